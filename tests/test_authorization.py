"""Every endpoint declares its roles, and every role gets the answer the table says.

The table is the one list of who may call what. A new endpoint without a row fails
`test_every_endpoint_has_a_row`. Record ownership (own, same-branch, other-branch) is the other
dimension, in test_authorization_ownership.py; both count their cells in the test summary.
"""

from __future__ import annotations

import re

import pytest

from field_api.accounts.models import Role
from tests import tally

ALL = frozenset(Role)
ADMIN, MANAGER, COORDINATOR, SURVEYOR = Role.ADMIN, Role.MANAGER, Role.COORDINATOR, Role.SURVEYOR
DESK = frozenset({COORDINATOR, MANAGER, ADMIN})
SALESPERSON = Role.SALESPERSON
CLIENT_READERS = frozenset({SALESPERSON, COORDINATOR, MANAGER, ADMIN})
CLAIM_READERS = frozenset({SURVEYOR, COORDINATOR, MANAGER, ADMIN})
PUBLIC = None

# (method, rule) -> roles allowed (PUBLIC: no token needed)
TABLE: dict[tuple[str, str], frozenset[Role] | None] = {
    ("POST", "/api/v1/auth/token"): PUBLIC,
    ("DELETE", "/api/v1/auth/token"): ALL,
    ("GET", "/api/v1/me"): ALL,
    ("GET", "/api/v1/users"): frozenset({ADMIN, MANAGER}),
    ("POST", "/api/v1/users"): frozenset({ADMIN, MANAGER}),
    ("GET", "/api/v1/users/<int:user_id>"): frozenset({ADMIN, MANAGER}),
    ("POST", "/api/v1/users/<int:user_id>/deactivate"): frozenset({ADMIN, MANAGER}),
    ("GET", "/api/v1/branches"): ALL,
    ("POST", "/api/v1/branches"): frozenset({ADMIN}),
    ("GET", "/api/v1/branches/<string:code>"): ALL,
    ("PATCH", "/api/v1/branches/<string:code>"): frozenset({ADMIN, MANAGER}),
    ("GET", "/api/v1/zones/<string:branch_code>"): ALL,
    ("PUT", "/api/v1/zones/<string:branch_code>"): frozenset({ADMIN, MANAGER}),
    ("POST", "/api/v1/cases"): DESK,
    ("GET", "/api/v1/cases"): ALL,
    ("GET", "/api/v1/cases/<int:case_id>"): ALL,
    ("PUT", "/api/v1/cases/<int:case_id>/legal-hold"): frozenset({MANAGER, ADMIN}),
    ("DELETE", "/api/v1/cases/<int:case_id>/legal-hold"): frozenset({MANAGER, ADMIN}),
    ("POST", "/api/v1/dispatches"): frozenset({COORDINATOR, ADMIN}),
    ("GET", "/api/v1/dispatches"): ALL,
    ("GET", "/api/v1/dispatches/<int:dispatch_id>"): ALL,
    ("POST", "/api/v1/dispatches/<int:dispatch_id>/events"): frozenset({SURVEYOR}),
    ("POST", "/api/v1/dispatches/<int:dispatch_id>/cancel"): frozenset({COORDINATOR, ADMIN}),
    ("POST", "/api/v1/dispatches/<int:dispatch_id>/excusals"): DESK,
    ("GET", "/api/v1/dispatches/<int:dispatch_id>/timeline"): ALL,
    ("GET", "/api/v1/audit"): frozenset({ADMIN, MANAGER}),
    ("POST", "/api/v1/positions"): frozenset({SURVEYOR}),
    ("GET", "/api/v1/me/duty"): frozenset({SURVEYOR}),
    ("PUT", "/api/v1/me/duty"): frozenset({SURVEYOR}),
    ("GET", "/api/v1/devices"): frozenset({SURVEYOR, COORDINATOR, MANAGER, ADMIN}),
    ("POST", "/api/v1/devices"): frozenset({SURVEYOR, COORDINATOR, ADMIN}),
    ("DELETE", "/api/v1/devices/<int:device_id>"): frozenset({SURVEYOR, COORDINATOR, ADMIN}),
    ("GET", "/api/v1/surveyors/<int:surveyor_id>/track"): ALL,
    # Tracker apps authenticate with a device token (OsmAnd's `id`, OwnTracks' Basic password), not a bearer
    # token: public in this table's sense, and tested in test_tracker_apps.py.
    ("GET", "/api/v1/ingest/osmand"): PUBLIC,
    ("POST", "/api/v1/ingest/osmand"): PUBLIC,
    ("POST", "/api/v1/ingest/owntracks"): PUBLIC,
    ("GET", "/api/v1/clients"): CLIENT_READERS,
    ("GET", "/api/v1/clients/<uuid:client_id>"): CLIENT_READERS,
    ("PUT", "/api/v1/clients/<uuid:client_id>"): CLIENT_READERS,
    ("PATCH", "/api/v1/clients/<uuid:client_id>"): CLIENT_READERS,
    ("POST", "/api/v1/clients/<uuid:client_id>/merge"): frozenset({COORDINATOR, MANAGER, ADMIN}),
    ("GET", "/api/v1/checklists"): ALL,
    ("POST", "/api/v1/checklists/<string:code>/versions"): frozenset({ADMIN}),
    ("GET", "/api/v1/checklists/<string:code>/versions/<int:number>"): ALL,
    ("GET", "/api/v1/visits"): CLIENT_READERS,
    ("GET", "/api/v1/visits/<uuid:visit_id>"): CLIENT_READERS,
    ("PUT", "/api/v1/visits/<uuid:visit_id>"): frozenset({SALESPERSON}),
    ("POST", "/api/v1/visits/<uuid:visit_id>/amendments"): frozenset({SALESPERSON}),
    ("POST", "/api/v1/visits/<uuid:visit_id>/photos"): frozenset({SALESPERSON}),
    ("GET", "/api/v1/visits/<uuid:visit_id>/photos/<string:sha256>"): CLIENT_READERS,
    ("POST", "/api/v1/sync/visits"): frozenset({SALESPERSON}),
    ("GET", "/api/v1/tasks"): CLIENT_READERS,
    ("GET", "/api/v1/tasks/<int:task_id>"): CLIENT_READERS,
    ("POST", "/api/v1/tasks/<int:task_id>/done"): CLIENT_READERS,
    ("GET", "/api/v1/claim-forms"): CLAIM_READERS,
    ("GET", "/api/v1/claim-forms/<uuid:form_id>"): CLAIM_READERS,
    ("PUT", "/api/v1/claim-forms/<uuid:form_id>"): frozenset({SURVEYOR}),
    ("POST", "/api/v1/claim-forms/<uuid:form_id>/attachments"): frozenset({SURVEYOR}),
    ("GET", "/api/v1/claim-forms/<uuid:form_id>/attachments/<string:sha256>"): CLAIM_READERS,
    ("GET", "/api/v1/claim-forms/<uuid:form_id>/receipt"): CLAIM_READERS,
    ("POST", "/api/v1/claim-forms/<uuid:form_id>/seal"): frozenset({SURVEYOR}),
    ("GET", "/api/v1/claim-forms/<uuid:form_id>/verify"): CLAIM_READERS,
    ("GET", "/api/v1/live/map"): DESK,
    ("GET", "/api/v1/live/stream"): DESK,
    ("POST", "/api/v1/live/tickets"): DESK,
    ("GET", "/api/v1/reports/compliance"): DESK,
    ("GET", "/api/v1/reports/compliance/records"): DESK,
    # The report page's table and charts, fetched by the page with the bearer token.
    ("GET", "/reports/table"): DESK,
    ("GET", "/api/v1/branches/<string:code>/roster"): ALL,
    ("PUT", "/api/v1/branches/<string:code>/roster"): DESK,
    ("GET", "/api/v1/branches/<string:code>/roster/gaps"): DESK,
    ("GET", "/api/v1/board"): DESK,
    ("GET", "/api/v1/cases/<int:case_id>/candidates"): DESK,
    ("POST", "/api/v1/cases/<int:case_id>/entrustment"): DESK,
    ("POST", "/api/v1/cases/<int:case_id>/entrustment/hand-back"): DESK,
    ("GET", "/api/v1/entrustments"): DESK,
    ("GET", "/api/v1/followups"): DESK,
    ("POST", "/api/v1/cases/<int:case_id>/callbacks"): frozenset({COORDINATOR, ADMIN}),
}

NOT_API = {"/api/openapi.json", "/api/docs", "/api/docs/static/<path:filename>", "/static/<path:filename>",
           "/healthz", "/readyz", "/map", "/map/leaflet/<path:filename>", "/reports"}


def api_endpoints(app):
    for rule in app.url_map.iter_rules():
        if rule.rule in NOT_API:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield method, rule


def test_every_endpoint_has_a_row(app):
    missing = {(m, r.rule) for m, r in api_endpoints(app)} - set(TABLE)
    assert not missing, f"add these endpoints to the authorization table: {sorted(missing)}"


def test_every_endpoint_declares_the_roles_of_its_row(app):
    for method, rule in api_endpoints(app):
        view = app.view_functions[rule.endpoint]
        handler = getattr(view.view_class, method.lower())
        declared = getattr(handler, "allowed_roles", None)
        assert declared == TABLE[(method, rule.rule)], f"{method} {rule.rule}"


def _url(rule: str) -> str:
    return re.sub(r"<uuid:\w+>", "00000000-0000-4000-8000-000000000000",
                  re.sub(r"<int:\w+>", "999999", re.sub(r"<string:\w+>", "NOPE", rule)))


CASES = [(m, r, role) for (m, r), roles in TABLE.items() if roles is not PUBLIC for role in Role]


@pytest.mark.parametrize("method, rule, role", CASES, ids=[f"{m} {r} {role.value}" for m, r, role in CASES])
def test_each_role_gets_the_answer_of_the_table(accounts, client, method, rule, role):
    tally.count("authorization matrix cells checked")
    signed = accounts.sign_in(role, "HQ" if role is ADMIN else "SZ")
    response = client.open(_url(rule), method=method, headers=signed.headers, json={})
    if role in TABLE[(method, rule)]:
        assert response.status_code not in (401, 403), response.json
    else:
        assert response.status_code == 403, response.json


@pytest.mark.parametrize("method, rule", [(m, r) for (m, r), roles in TABLE.items() if roles is not PUBLIC])
@pytest.mark.parametrize("credential", ["none", "forged", "expired", "revoked", "deactivated"])
def test_no_endpoint_answers_without_a_valid_token(app, accounts, client, clock, method, rule, credential):
    tally.count("authorization matrix cells checked")
    headers = {}
    if credential == "forged":
        headers = {"Authorization": "Bearer forged"}
    elif credential != "none":
        signed = accounts.sign_in(Role.ADMIN, "HQ")
        headers = signed.headers
        if credential == "expired":
            clock.advance(hours=app.config["TOKEN_TTL_HOURS"] + 1)
        elif credential == "revoked":
            assert client.delete("/api/v1/auth/token", headers=headers).status_code == 204
        else:
            other_admin = accounts.sign_in(Role.ADMIN, "HQ")
            client.post(f"/api/v1/users/{signed.user.id}/deactivate", headers=other_admin.headers)
    response = client.open(_url(rule), method=method, headers=headers, json={})
    assert response.status_code == 401
