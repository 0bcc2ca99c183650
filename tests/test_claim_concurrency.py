"""Phones retrying at the same instant: a form, an upload and two seals of one branch at once."""

from __future__ import annotations

import io
import uuid

from field_api.extensions import db
from tests.factories.claims import row_counts
from tests.factories.concurrency import race
from tests.factories.images import photo_with_exif


def test_the_same_form_put_twice_at_once_is_stored_once(app, claims):
    dispatch = claims.dispatch()
    form_id = uuid.uuid4()
    body = claims.body(dispatch["id"])
    send = lambda client: client.put(f"/api/v1/claim-forms/{form_id}", json=body,  # noqa: E731
                                     headers=claims.surveyor.headers)
    assert sorted(r.status_code for r in race(app, [send, send])) == [200, 201]
    with app.app_context():
        assert row_counts()["claim_form"] == 1


def test_the_same_attachment_uploaded_twice_at_once_before_its_form_is_stored_once(app, claims):
    form_id, data = uuid.uuid4(), photo_with_exif()

    def send(client):
        return client.post(f"/api/v1/claim-forms/{form_id}/attachments", headers=claims.surveyor.headers,
                           data={"kind": "scene", "file": (io.BytesIO(data), "a.jpg")},
                           content_type="multipart/form-data")

    assert sorted(r.status_code for r in race(app, [send, send])) == [200, 201]
    with app.app_context():
        assert row_counts()["claim_attachment"] == 1


def test_two_forms_of_a_branch_sealed_at_once_take_consecutive_places_in_the_chain(app, claims):
    forms = [claims.complete_form()[0] for _ in range(2)]
    sends = [lambda client, f=f: client.post(f"/api/v1/claim-forms/{f}/seal", headers=claims.surveyor.headers)
             for f in forms]
    responses = race(app, sends)
    assert all(r.status_code == 201 for r in responses), [r.json for r in responses]
    assert sorted(r.json["sequence"] for r in responses) == [1, 2]
    db.session.remove()  # the test's own session still reads from before the race
    verdict = claims.client.get(f"/api/v1/claim-forms/{forms[0]}/verify", headers=claims.coordinator.headers).json
    assert verdict["valid"] is True, verdict
