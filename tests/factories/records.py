"""One record of each kind a URL can address, made for a given owner through the other factories.

The ownership matrix and the audit walk both need "a real record of this kind, owned by this user";
this is the one place that knows how to make each.
"""

from __future__ import annotations

import hashlib
import io
import itertools
import json
import uuid
from datetime import timedelta
from typing import Any

from field_api.accounts.models import Branch, Role
from field_api.extensions import db
from tests.factories.accounts import AccountFactory, SignedIn
from tests.factories.claims import ClaimFactory
from tests.factories.dispatch import SHENZHEN, DispatchFactory
from tests.factories.images import image_bytes
from tests.factories.visits import HANDBOOK_SUB_CHECKS, VisitFactory, visit_body

_names = itertools.count(1)
DELIVERY_ANSWERS = [{"item": "service_handbook", "result": "done", "sub_checks": HANDBOOK_SUB_CHECKS},
                    {"item": "policy_envelope", "result": "done"}]


def zones_body() -> dict[str, Any]:
    """Shenzhen's districts as a PUT /zones body (GCJ-02, as AMap draws them)."""
    return json.loads(SHENZHEN.read_text())


def branch_of(signed: SignedIn) -> str:
    """The code of a signed-in user's branch."""
    return db.session.get(Branch, signed.user.branch_id).code


class RecordFactory:
    """Makes cases, dispatches, devices, clients, visits, photos and tasks owned by a signed-in user."""

    def __init__(self, client, accounts: AccountFactory, dispatching: DispatchFactory, visits: VisitFactory) -> None:
        self.client, self.accounts, self.dispatching, self.visits = client, accounts, dispatching, visits
        self._coordinators: dict[str, SignedIn] = {}

    def coordinator(self, branch: str) -> SignedIn:
        """The coordinator who dispatches in a branch (made once)."""
        if branch not in self._coordinators:
            self._coordinators[branch] = self.accounts.sign_in(Role.COORDINATOR, branch)
        return self._coordinators[branch]

    def case(self, surveyor: SignedIn) -> int:
        """A case of the surveyor's branch that the surveyor was dispatched to."""
        return self.dispatch(surveyor)["case"]["id"]

    def dispatch(self, surveyor: SignedIn) -> dict[str, Any]:
        """A dispatch of the surveyor to a new case of their branch."""
        branch = branch_of(surveyor)
        case = self.dispatching.case(branch=branch)
        return self.dispatching.dispatch(case, surveyor, self.coordinator(branch))

    def entrusted_case(self, to_branch: str, *, from_branch: str) -> int:
        """A case of `from_branch` that its coordinator entrusted to `to_branch` for survey."""
        case = self.dispatching.case(branch=from_branch)
        response = self.client.post(f"/api/v1/cases/{case.id}/entrustment",
                                    headers=self.coordinator(from_branch).headers,
                                    json={"to_branch": to_branch, "items": "车损查勘、定损", "authorised_amount": "8000.00"})
        assert response.status_code == 201, response.json
        return case.id

    def claim_form(self, surveyor: SignedIn) -> tuple[str, dict[str, Any]]:
        """A draft claim form of the surveyor's dispatch: (id, the body sent)."""
        body = self.claims(surveyor).body(self.dispatch(surveyor)["id"])
        form_id = str(uuid.uuid4())
        response = self.claims(surveyor).put(form_id, body)
        assert response.status_code == 201, response.json
        return form_id, body

    def claim_attachment(self, surveyor: SignedIn) -> tuple[str, str]:
        """A scene photo on a draft claim form of the surveyor: (form id, sha256)."""
        form_id, _ = self.claim_form(surveyor)
        data = image_bytes("JPEG", color="silver")
        response = self.claims(surveyor).upload(form_id, "scene", data)
        assert response.status_code == 201, response.json
        return form_id, hashlib.sha256(data).hexdigest()

    def claims(self, surveyor: SignedIn) -> ClaimFactory:
        """The claim factory acting as this surveyor."""
        return ClaimFactory(self.client, self.dispatching, self.accounts, surveyor,
                            self.coordinator(branch_of(surveyor)))

    def device(self, surveyor: SignedIn) -> int:
        """A device the surveyor carries."""
        response = self.client.post("/api/v1/devices", headers=surveyor.headers,
                                    json={"name": f"phone {next(_names)}", "protocol": "osmand"})
        assert response.status_code == 201, response.json
        return response.json["id"]

    def client_of(self, sales: SignedIn) -> str:
        """A client the salesperson owns."""
        return self.visits.make_client(sales)["id"]

    def visit(self, sales: SignedIn, status: str = "draft") -> tuple[str, dict[str, Any], str]:
        """A visit of the salesperson to a new client of theirs: (id, the body sent, its ETag)."""
        body = visit_body(self.client_of(sales), at=self.visits.now - timedelta(hours=2), status=status)
        response = self.visits.put(sales, body, visit_id=uuid.uuid4())
        assert response.status_code == 201, response.json
        return response.json["id"], body, response.headers["ETag"]

    def photo(self, sales: SignedIn) -> tuple[str, str]:
        """A photo of a draft visit of the salesperson: (visit id, sha256)."""
        visit_id = self.visit(sales)[0]
        data = image_bytes("PNG", color="teal")
        response = self.client.post(f"/api/v1/visits/{visit_id}/photos", headers=sales.headers,
                                    data={"file": (io.BytesIO(data), "a.png")}, content_type="multipart/form-data")
        assert response.status_code == 201, response.json
        return visit_id, hashlib.sha256(data).hexdigest()

    def task(self, sales: SignedIn) -> int:
        """A thank-you letter the salesperson owes after a policy delivery."""
        visit = self.visits.visit(sales, self.client_of(sales), purpose="policy_delivery", answers=DELIVERY_ANSWERS,
                                  at=self.visits.now - timedelta(hours=2))
        response = self.client.get(f"/api/v1/tasks?client_id={visit['client_id']}", headers=sales.headers)
        assert response.status_code == 200, response.json
        [task] = response.json
        return task["id"]
