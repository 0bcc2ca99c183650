"""The demo data holds a complete, sealed claim form and an incomplete one, and loads twice without change."""

from __future__ import annotations

from tests.factories.claims import row_counts


def _headers(client, username):
    token = client.post("/api/v1/auth/token", json={"username": username, "password": f"{username}-demo"})
    return {"Authorization": f"Bearer {token.json['access_token']}"}


def test_the_demo_has_a_complete_sealed_form_and_an_incomplete_one(app, runner, client):
    from field_api.claims.demo import NAMESPACE
    import uuid

    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        before = row_counts()
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    with app.app_context():
        assert row_counts() == before
    desk = _headers(client, "sz.coordinator")
    complete = client.get(f"/api/v1/claim-forms/{uuid.uuid5(NAMESPACE, 'complete')}", headers=desk).json
    assert complete["complete"] is True and complete["sealed_at"] is not None
    verdict = client.get(f"/api/v1/claim-forms/{complete['id']}/verify", headers=desk).json
    assert verdict["valid"] is True
    incomplete = client.get(f"/api/v1/claim-forms/{uuid.uuid5(NAMESPACE, 'incomplete')}", headers=desk).json
    assert [m["code"] for m in incomplete["missing"]] == ["company_seal", "passbook_copy", "payment_receipt"]
