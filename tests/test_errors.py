"""Every error is JSON of one shape, and bad input changes nothing."""

from __future__ import annotations

import pytest

from field_api.accounts.models import Role, User
from field_api.audit.models import AuditEvent
from field_api.extensions import db


def assert_error(response, status):
    assert response.status_code == status, response.data
    assert response.is_json, response.data
    body = response.json
    assert body["code"] == status
    assert isinstance(body["status"], str) and isinstance(body["message"], str) and body["message"]
    return body


def test_unknown_routes_answer_json_404(client):
    assert_error(client.get("/api/v1/nothing-here"), 404)
    assert_error(client.get("/no/such/page"), 404)


def test_wrong_methods_answer_json_405(client):
    body = assert_error(client.put("/api/v1/me"), 405)
    assert body["code"] == 405


def test_malformed_json_is_a_400_or_422_with_json(client):
    response = client.post("/api/v1/auth/token", data="{not json", content_type="application/json")
    assert response.status_code in (400, 422)
    assert_error(response, response.status_code)


def test_unknown_fields_name_the_field(client):
    response = client.post("/api/v1/auth/token", json={"username": "a", "password": "b", "otp": 1})
    body = assert_error(response, 422)
    assert "otp" in body["errors"]["json"]


def test_wrong_types_name_the_field(client):
    body = assert_error(client.post("/api/v1/auth/token", json={"username": 5, "password": "x"}), 422)
    assert "username" in body["errors"]["json"]


def test_bodies_over_the_limit_answer_json_413(app, client):
    app.config["MAX_CONTENT_LENGTH"] = 1024
    response = client.post("/api/v1/auth/token", data="x" * 4096, content_type="application/json")
    assert_error(response, 413)


def test_a_crash_answers_json_500_without_a_stack_trace(app, client):
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.get("/boom")
    def boom():
        raise RuntimeError("secret detail")

    body = assert_error(client.get("/boom"), 500)
    assert "secret detail" not in str(body)
    assert "Traceback" not in str(body)


def test_a_role_calling_what_it_may_not_gets_403(accounts, client):
    surveyor = accounts.sign_in(Role.SURVEYOR)
    assert_error(client.get("/api/v1/users", headers=surveyor.headers), 403)


@pytest.mark.parametrize("payload, field", [
    ({"username": "x", "password": "long enough", "role": "surveyor", "branch_code": "SZ"}, "username"),
    ({"username": "ok.name", "password": "short", "role": "surveyor", "branch_code": "SZ"}, "password"),
    ({"username": "ok.name", "password": "long enough", "role": "pilot", "branch_code": "SZ"}, "role"),
    ({"username": "n" * 65, "password": "long enough", "role": "surveyor", "branch_code": "SZ"}, "username"),
    ({"username": "ok.name", "password": "long enough", "role": "surveyor"}, "branch_code"),
    ({"username": "ok.name", "password": "long enough", "role": "surveyor", "branch_code": "SZ",
      "is_chief_coordinator": True}, "is_chief_coordinator"),
])
def test_bad_user_input_names_the_field_and_saves_nothing(accounts, client, payload, field):
    admin = accounts.sign_in(Role.ADMIN, "HQ")
    accounts.branch("SZ")
    users_before = db.session.query(User).count()
    audit_before = db.session.query(AuditEvent).count()
    body = assert_error(client.post("/api/v1/users", json=payload, headers=admin.headers), 422)
    errors = body["errors"].get("json", body["errors"])
    assert field in errors
    assert db.session.query(User).count() == users_before
    assert db.session.query(AuditEvent).count() == audit_before
