"""Every endpoint that addresses a record answers each role by whose record it is: own, same branch, other branch.

The role dimension is in test_authorization.py; this is the ownership dimension. Each row of OWNERSHIP
names the kind of record a URL addresses and how to call it; the expected answer comes from one rule
(`expected`): a role the endpoint refuses gets 403, a record the role may not see gets 404 (so ids cannot
be probed), and a record it may see gets the endpoint's success. A new endpoint with a path parameter and
no row (nor a documented place in NOT_OWNED) fails `test_every_record_endpoint_has_an_ownership_row`.
BRANCH_FILTERS adds the collections that take a branch code in the query (the live map among them).
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qsl

import pytest
import sqlalchemy as sa

from field_api.accounts.models import Role
from field_api.extensions import db
from tests import tally
from tests.factories.images import image_bytes
from tests.factories.records import RecordFactory, branch_of, zones_body
from tests.factories.visits import visit_body
from tests.test_authorization import TABLE, api_endpoints

OWN, SAME_BRANCH, OTHER_BRANCH = "own", "same-branch", "other-branch"
OWNERSHIPS = (OWN, SAME_BRANCH, OTHER_BRANCH)
HOME, ELSEWHERE, THIRD = "SZ", "GZ", "FS"  # every actor works in SZ; GZ is the other branch; FS entrusts cases
SUB_BRANCH = "SZ-FT"  # a branch under the actor's: "same branch" for records addressed by branch code
DESK = frozenset({Role.COORDINATOR, Role.MANAGER})
FIELD = frozenset({Role.SURVEYOR, Role.SALESPERSON})

# Who owns each kind of record, and so which roles have an "own" cell for it.
OWNER_ROLE: dict[str, Role | None] = {
    "user": None,  # every role is a user: its own record is itself
    "surveyor": Role.SURVEYOR, "case": Role.SURVEYOR, "dispatch": Role.SURVEYOR, "device": Role.SURVEYOR,
    "client": Role.SALESPERSON, "client_pair": Role.SALESPERSON, "visit": Role.SALESPERSON,
    "submitted_visit": Role.SALESPERSON, "photo": Role.SALESPERSON, "task": Role.SALESPERSON,
    "branch": None,  # addressed by code: own = the actor's branch
    "claim_form": Role.SURVEYOR, "claim_attachment": Role.SURVEYOR,
    "entrusted": Role.SURVEYOR,  # a third branch's case entrusted to the owner's branch (desk roles act on it)
}

# Path-addressed endpoints whose records belong to no branch, and why.
NOT_OWNED = {
    ("POST", "/api/v1/checklists/<string:code>/versions"): "checklists are the company's standard, one for all",
    ("GET", "/api/v1/checklists/<string:code>/versions/<int:number>"): "checklists are one for all branches",
}


@dataclass(frozen=True)
class Row:
    """How to call one endpoint on a record of a kind, and what success looks like."""

    kind: str
    call: Callable[[Any, Any], tuple[str, dict[str, Any]]]
    ok: frozenset[int] = frozenset({200, 201, 204})
    ok_own: frozenset[int] | None = field(default=None)  # when acting on one's own record is refused by the domain


def _json(url: str, body: Any = None) -> tuple[str, dict[str, Any]]:
    return url, ({} if body is None else {"json": body})


def _photo_upload(url: str) -> tuple[str, dict[str, Any]]:
    data = image_bytes("JPEG", color="olive")
    return url, {"data": {"file": (io.BytesIO(data), "p.jpg")}, "content_type": "multipart/form-data"}


def _claim_upload(form_id: str) -> tuple[str, dict[str, Any]]:
    data = image_bytes("JPEG", color="khaki")
    return f"/api/v1/claim-forms/{form_id}/attachments", {
        "data": {"file": (io.BytesIO(data), "scene.jpg"), "kind": "scene"}, "content_type": "multipart/form-data"}


def _amendment(visit) -> tuple[str, dict[str, Any]]:
    visit_id, body, _ = visit
    return _json(f"/api/v1/visits/{visit_id}/amendments", {**body, "id": str(uuid.uuid4())})


def _same_visit(visit) -> tuple[str, dict[str, Any]]:
    visit_id, body, tag = visit
    return f"/api/v1/visits/{visit_id}", {"json": {**body, "notes": "corrected"}, "headers": {"If-Match": tag}}


def _same_client(pair) -> tuple[str, dict[str, Any]]:
    client, owner_id = pair
    body = {k: client[k] for k in ("name", "kind", "contact_person", "contact_phone", "address")}
    return f"/api/v1/clients/{client['id']}", {"json": {**body, "owner_id": owner_id},
                                               "headers": {"If-Match": f'"{client["version"]}"'}}


OWNERSHIP: dict[tuple[str, str], Row] = {
    ("GET", "/api/v1/users/<int:user_id>"): Row("user", lambda t, now: _json(f"/api/v1/users/{t}")),
    ("POST", "/api/v1/users/<int:user_id>/deactivate"): Row(
        "user", lambda t, now: _json(f"/api/v1/users/{t}/deactivate"), ok_own=frozenset({409})),
    ("GET", "/api/v1/branches/<string:code>"): Row("branch", lambda t, now: _json(f"/api/v1/branches/{t}")),
    ("PATCH", "/api/v1/branches/<string:code>"): Row(
        "branch", lambda t, now: _json(f"/api/v1/branches/{t}", {"name": "Renamed"})),
    ("GET", "/api/v1/zones/<string:branch_code>"): Row("branch", lambda t, now: _json(f"/api/v1/zones/{t}")),
    ("PUT", "/api/v1/zones/<string:branch_code>"): Row(
        "branch", lambda t, now: _json(f"/api/v1/zones/{t}?crs=gcj02", zones_body())),
    ("GET", "/api/v1/cases/<int:case_id>"): Row("case", lambda t, now: _json(f"/api/v1/cases/{t}")),
    ("PUT", "/api/v1/cases/<int:case_id>/legal-hold"): Row(
        "case", lambda t, now: _json(f"/api/v1/cases/{t}/legal-hold", {"reason": "Disputed claim"})),
    ("DELETE", "/api/v1/cases/<int:case_id>/legal-hold"): Row(
        "case", lambda t, now: _json(f"/api/v1/cases/{t}/legal-hold")),
    ("GET", "/api/v1/dispatches/<int:dispatch_id>"): Row(
        "dispatch", lambda t, now: _json(f"/api/v1/dispatches/{t['id']}")),
    ("GET", "/api/v1/dispatches/<int:dispatch_id>/timeline"): Row(
        "dispatch", lambda t, now: _json(f"/api/v1/dispatches/{t['id']}/timeline")),
    ("POST", "/api/v1/dispatches/<int:dispatch_id>/events"): Row(
        "dispatch", lambda t, now: _json(f"/api/v1/dispatches/{t['id']}/events",
                                         {"kind": "contacted", "device_time": now.isoformat()})),
    ("POST", "/api/v1/dispatches/<int:dispatch_id>/cancel"): Row(
        "dispatch", lambda t, now: _json(f"/api/v1/dispatches/{t['id']}/cancel", {"reason": "Reported twice"})),
    ("POST", "/api/v1/dispatches/<int:dispatch_id>/excusals"): Row(
        # No deadline was missed yet, so the excusal itself is refused: a visible dispatch answers 409.
        "dispatch", lambda t, now: _json(f"/api/v1/dispatches/{t['id']}/excusals",
                                         {"clock": "contact", "cause": "traffic", "note": "Jam on the bridge"}),
        ok=frozenset({201, 409, 422})),
    ("DELETE", "/api/v1/devices/<int:device_id>"): Row("device", lambda t, now: _json(f"/api/v1/devices/{t}")),
    ("GET", "/api/v1/surveyors/<int:surveyor_id>/track"): Row(
        "surveyor", lambda t, now: _json(f"/api/v1/surveyors/{t}/track")),
    ("GET", "/api/v1/clients/<uuid:client_id>"): Row(
        "client", lambda t, now: _json(f"/api/v1/clients/{t[0]['id']}")),
    ("PUT", "/api/v1/clients/<uuid:client_id>"): Row("client", lambda t, now: _same_client(t)),
    ("PATCH", "/api/v1/clients/<uuid:client_id>"): Row(
        "client", lambda t, now: _json(f"/api/v1/clients/{t[0]['id']}", {"address": "深圳市福田区深南大道"})),
    ("POST", "/api/v1/clients/<uuid:client_id>/merge"): Row(
        "client_pair", lambda t, now: _json(f"/api/v1/clients/{t[0]}/merge", {"duplicate_id": t[1]})),
    ("GET", "/api/v1/visits/<uuid:visit_id>"): Row("visit", lambda t, now: _json(f"/api/v1/visits/{t[0]}")),
    ("PUT", "/api/v1/visits/<uuid:visit_id>"): Row("visit", lambda t, now: _same_visit(t)),
    ("POST", "/api/v1/visits/<uuid:visit_id>/amendments"): Row("submitted_visit", lambda t, now: _amendment(t)),
    ("POST", "/api/v1/visits/<uuid:visit_id>/photos"): Row(
        "visit", lambda t, now: _photo_upload(f"/api/v1/visits/{t[0]}/photos")),
    ("GET", "/api/v1/visits/<uuid:visit_id>/photos/<string:sha256>"): Row(
        "photo", lambda t, now: _json(f"/api/v1/visits/{t[0]}/photos/{t[1]}")),
    ("GET", "/api/v1/tasks/<int:task_id>"): Row("task", lambda t, now: _json(f"/api/v1/tasks/{t}")),
    ("POST", "/api/v1/tasks/<int:task_id>/done"): Row(
        "task", lambda t, now: _json(f"/api/v1/tasks/{t}/done", {"done_on": now.date().isoformat(), "via": "post"})),
    ("GET", "/api/v1/branches/<string:code>/roster"): Row(
        "branch", lambda t, now: _json(f"/api/v1/branches/{t}/roster")),
    ("PUT", "/api/v1/branches/<string:code>/roster"): Row(
        "branch", lambda t, now: _json(f"/api/v1/branches/{t}/roster", {"shifts": []})),
    ("GET", "/api/v1/branches/<string:code>/roster/gaps"): Row(
        "branch", lambda t, now: _json(f"/api/v1/branches/{t}/roster/gaps")),
    ("GET", "/api/v1/cases/<int:case_id>/candidates"): Row(
        "case", lambda t, now: _json(f"/api/v1/cases/{t}/candidates")),
    ("POST", "/api/v1/cases/<int:case_id>/entrustment"): Row(
        "case", lambda t, now: _json(f"/api/v1/cases/{t}/entrustment", {
            "to_branch": THIRD, "items": "车损查勘、定损", "authorised_amount": "8000.00"})),
    ("POST", "/api/v1/cases/<int:case_id>/entrustment/hand-back"): Row(
        "entrusted", lambda t, now: _json(f"/api/v1/cases/{t}/entrustment/hand-back", {"reason": "No surveyor free"})),
    ("POST", "/api/v1/cases/<int:case_id>/callbacks"): Row(
        # A visible case that needs no callback is refused for that reason (422); another branch's is 404.
        "case", lambda t, now: _json(f"/api/v1/cases/{t}/callbacks", {"reached": False}), ok=frozenset({201, 422})),
    ("GET", "/api/v1/claim-forms/<uuid:form_id>"): Row(
        "claim_form", lambda t, now: _json(f"/api/v1/claim-forms/{t[0]}")),
    ("PUT", "/api/v1/claim-forms/<uuid:form_id>"): Row(
        "claim_form", lambda t, now: _json(f"/api/v1/claim-forms/{t[0]}", t[1])),
    ("POST", "/api/v1/claim-forms/<uuid:form_id>/attachments"): Row(
        "claim_form", lambda t, now: _claim_upload(t[0])),
    ("GET", "/api/v1/claim-forms/<uuid:form_id>/attachments/<string:sha256>"): Row(
        "claim_attachment", lambda t, now: _json(f"/api/v1/claim-forms/{t[0]}/attachments/{t[1]}")),
    ("GET", "/api/v1/claim-forms/<uuid:form_id>/receipt"): Row(
        "claim_form", lambda t, now: _json(f"/api/v1/claim-forms/{t[0]}/receipt")),
    ("POST", "/api/v1/claim-forms/<uuid:form_id>/seal"): Row(
        # A draft still missing documents is refused for that reason; another's form is 404.
        "claim_form", lambda t, now: _json(f"/api/v1/claim-forms/{t[0]}/seal"), ok=frozenset({200, 201, 409, 422})),
    ("GET", "/api/v1/claim-forms/<uuid:form_id>/verify"): Row(
        "claim_form", lambda t, now: _json(f"/api/v1/claim-forms/{t[0]}/verify"), ok=frozenset({200, 409, 422})),
}
# The dispatch-board exception: a case entrusted to the caller's branch is seen there too.
ENTRUSTED_READS: dict[tuple[str, str], Row] = {
    ("GET", "/api/v1/cases/<int:case_id>"): Row("entrusted", lambda t, now: _json(f"/api/v1/cases/{t}")),
    ("GET", "/api/v1/cases/<int:case_id>/candidates"): Row(
        "entrusted", lambda t, now: _json(f"/api/v1/cases/{t}/candidates")),
}

# Collections filtered by a branch code in the query: another branch's code answers 404 like its records.
BRANCH_FILTERS: dict[tuple[str, str], Row] = {
    ("GET", "/api/v1/users"): Row("branch", lambda t, now: _json(f"/api/v1/users?branch={t}")),
    ("GET", "/api/v1/cases"): Row("branch", lambda t, now: _json(f"/api/v1/cases?branch={t}")),
    ("GET", "/api/v1/dispatches"): Row("branch", lambda t, now: _json(f"/api/v1/dispatches?branch={t}")),
    ("GET", "/api/v1/live/map"): Row("branch", lambda t, now: _json(f"/api/v1/live/map?branch={t}")),
}
ROWS = {**{(m, r, ""): row for (m, r), row in OWNERSHIP.items()},
        **{(m, r, ""): row for (m, r), row in BRANCH_FILTERS.items()},
        **{(m, r, " (entrusted)"): row for (m, r), row in ENTRUSTED_READS.items()}}


def sees(role: Role, kind: str, ownership: str) -> bool:
    """The scoping rule, written out: admins see all; desk staff their branch; field staff what is theirs."""
    if role is Role.ADMIN:
        return True
    if ownership == OTHER_BRANCH or (kind == "entrusted" and role in FIELD):
        return False
    if kind == "branch" or role in DESK:
        return True
    return ownership == OWN


def expected(row: Row, role: Role, method: str, rule: str, ownership: str) -> frozenset[int]:
    """The statuses the matrix accepts for one cell."""
    if role not in TABLE[(method, rule)]:
        return frozenset({403})
    if not sees(role, row.kind, ownership):
        return frozenset({404})
    if ownership == OWN and row.ok_own is not None:
        return row.ok_own
    return row.ok


def has_own(role: Role, kind: str) -> bool:
    """Whether a role can own a record of this kind (everyone is a user and has a branch)."""
    owner = OWNER_ROLE[kind]
    return owner is None or owner is role


class World:
    """An actor of each role in SZ, and owners of records in SZ and GZ; makes a fresh target for each cell."""

    def __init__(self, accounts, records: RecordFactory) -> None:
        self.accounts, self.records = accounts, records
        self.actors = {role: accounts.sign_in(role, HOME) for role in Role}
        self._owners: dict[tuple[Role, str], Any] = {}

    def owner(self, role: Role, branch: str):
        if (role, branch) not in self._owners:
            self._owners[(role, branch)] = self.accounts.sign_in(role, branch)
        return self._owners[(role, branch)]

    def target(self, kind: str, actor_role: Role, ownership: str) -> Any:
        """Make a record of `kind` that is the actor's own, a colleague's in the same branch, or another branch's."""
        if kind == "branch":
            return {OWN: HOME, SAME_BRANCH: SUB_BRANCH, OTHER_BRANCH: ELSEWHERE}[ownership]
        owner_role = OWNER_ROLE[kind] or Role.SURVEYOR
        if ownership == OWN:
            owner = self.actors[actor_role]
        else:
            owner = self.owner(owner_role, HOME if ownership == SAME_BRANCH else ELSEWHERE)
        return self.make(kind, owner)

    def make(self, kind: str, owner) -> Any:
        r = self.records
        if kind in ("user", "surveyor"):
            return owner.user.id
        if kind == "case":
            return r.case(owner)
        if kind == "dispatch":
            return r.dispatch(owner)
        if kind == "device":
            return r.device(owner)
        if kind == "client":
            return r.visits.make_client(owner), owner.user.id
        if kind == "client_pair":
            return r.client_of(owner), r.client_of(owner)
        if kind == "visit":
            return r.visit(owner)
        if kind == "submitted_visit":
            return r.visit(owner, status="submitted")
        if kind == "photo":
            return r.photo(owner)
        if kind == "task":
            return r.task(owner)
        if kind == "claim_form":
            return r.claim_form(owner)
        if kind == "claim_attachment":
            return r.claim_attachment(owner)
        if kind == "entrusted":
            return r.entrusted_case(branch_of(owner), from_branch=THIRD)
        raise AssertionError(f"no recipe for a {kind}")


@pytest.fixture
def world(app, accounts, dispatching, visits, client):
    app.config["TOKEN_TTL_HOURS"] = 24 * 30
    for branch in (HOME, SUB_BRANCH, ELSEWHERE, THIRD):
        accounts.branch(branch)
    dispatching.shenzhen_zones(HOME)
    dispatching.shenzhen_zones(ELSEWHERE)
    return World(accounts, RecordFactory(client, accounts, dispatching, visits))


def record_endpoints(app):
    """(method, rule) of every API endpoint whose URL addresses one record."""
    return {(m, r.rule) for m, r in api_endpoints(app) if r.arguments}


def test_every_record_endpoint_has_an_ownership_row(app):
    missing = record_endpoints(app) - set(OWNERSHIP) - set(NOT_OWNED)
    assert not missing, f"add these endpoints to OWNERSHIP (or NOT_OWNED, with the reason): {sorted(missing)}"
    assert not (set(OWNERSHIP) | set(NOT_OWNED)) - record_endpoints(app), "rows for endpoints that are gone"


def _audit_rows() -> int:
    return db.session.scalar(sa.text("SELECT count(*) FROM audit_event"))


@pytest.mark.parametrize("method, rule, case", sorted(ROWS), ids=[f"{m} {r}{c}" for m, r, c in sorted(ROWS)])
def test_each_role_reaches_only_the_records_its_branch_and_role_let_it_see(client, clock, world, method, rule,
                                                                           case):
    row = ROWS[(method, rule, case)]
    wrong = []
    for role in Role:
        for ownership in OWNERSHIPS:
            if ownership == OWN and not has_own(role, row.kind):
                continue
            target = world.target(row.kind, role, ownership)
            url, kwargs = row.call(target, clock.now())
            headers = {**world.actors[role].headers, **kwargs.pop("headers", {})}
            before = _audit_rows()
            response = client.open(url, method=method, headers=headers, **kwargs)
            allowed = expected(row, role, method, rule, ownership)
            tally.count("authorization matrix cells checked")
            if response.status_code not in allowed:
                wrong.append(f"{role.value} on {ownership} record: {response.status_code} not in {sorted(allowed)} "
                             f"({(response.json or {}).get('message')})")
            elif response.status_code in (403, 404) and _audit_rows() != before:
                wrong.append(f"{role.value} on {ownership} record: refused, yet an audit row was written")
    assert not wrong, f"{method} {rule}:\n" + "\n".join(wrong)



def _ids(answer) -> set:
    return {str(item["id"]) for item in answer}


# Collections: each role's list holds exactly the records the scoping rule lets it see. kind -> the target's id.
LISTS: dict[str, tuple[str, Callable[[Any], str], Callable[[Any], set]]] = {
    "/api/v1/users": ("user", str, _ids),
    "/api/v1/branches": ("branch", str, lambda answer: {item["code"] for item in answer}),
    "/api/v1/cases": ("case", str, _ids),
    "/api/v1/dispatches": ("dispatch", lambda t: str(t["id"]), _ids),
    "/api/v1/devices": ("device", str, _ids),
    "/api/v1/clients": ("client", lambda t: t[0]["id"], _ids),
    "/api/v1/visits": ("visit", lambda t: t[0], _ids),
    "/api/v1/tasks": ("task", str, _ids),
    "/api/v1/claim-forms": ("claim_form", lambda t: t[0], _ids),
    "/api/v1/board?branch=SZ": ("case", str, lambda answer: {str(row["case"]["id"]) for row in answer}),
}
NOT_LISTED = {
    "/api/v1/entrustments": "listed per branch and side (entrusting, accepting); test_entrustment.py tries a third "
                            "branch",
    "/api/v1/followups": "the worklist the worker extracts each half hour; test_followups.py scopes it",
    "/api/v1/me": "the caller's own account",
    "/api/v1/me/duty": "the caller's own duty",
    "/api/v1/checklists": "one standard for all branches",
    "/api/v1/audit": "scoped by branch in test_audit.py",
    "/api/v1/live/map": "a branch's live picture: its branch filter is a row of BRANCH_FILTERS",
    "/api/v1/live/stream": "opened with a ticket, scoped like the live map",
    "/api/v1/ingest/osmand": "tracker apps post fixes; nothing to list",
}


def test_every_collection_has_a_listing_row(app):
    collections = {r.rule for m, r in api_endpoints(app) if m == "GET" and not r.arguments}
    missing = collections - {url.partition("?")[0] for url in LISTS} - set(NOT_LISTED)
    assert not missing, f"add these collections to LISTS (or NOT_LISTED, with the reason): {sorted(missing)}"


@pytest.mark.parametrize("url", sorted(LISTS))
def test_each_roles_list_holds_exactly_the_records_it_may_see(client, world, url):
    kind, id_of, ids_in = LISTS[url]
    wrong = []
    for role in Role:
        if role not in TABLE[("GET", url.partition("?")[0])]:
            continue
        targets = {ownership: id_of(world.target(kind, role, ownership))
                   for ownership in OWNERSHIPS if ownership != OWN or has_own(role, kind)}
        path, _, query = url.partition("?")
        response = client.get(path, query_string={**dict(parse_qsl(query)), "page_size": 100},
                              headers=world.actors[role].headers)
        assert response.status_code == 200, response.json
        listed = ids_in(response.json)
        for ownership, ident in targets.items():
            tally.count("authorization matrix cells checked")
            expected_listed = sees(role, kind, ownership) and not (ownership == OTHER_BRANCH and "branch=" in url)
            if (ident in listed) != expected_listed:
                wrong.append(f"{role.value}: {ownership} record {ident} {'listed' if ident in listed else 'missing'}")
    assert not wrong, f"GET {url}:\n" + "\n".join(wrong)
