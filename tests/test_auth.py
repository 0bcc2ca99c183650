"""Signing in and out: tokens, expiry, revocation, throttling."""

from __future__ import annotations

from datetime import timedelta

import pytest

from field_api.accounts.models import Role

TOKEN = "/api/v1/auth/token"


def test_a_user_trades_password_for_a_token_and_reads_themselves(accounts, client):
    user = accounts.user(Role.SURVEYOR, "SZ-FT", username="li.wei", password="s3cret-pass")
    response = client.post(TOKEN, json={"username": "li.wei", "password": "s3cret-pass"})
    assert response.status_code == 201
    body = response.json
    assert body["token_type"] == "Bearer"
    assert body["expires_at"].endswith("+00:00")
    assert body["user"]["username"] == "li.wei"
    assert "password" not in str(body["user"])
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200
    assert me.json["id"] == user.id
    assert me.json["branch_code"] == "SZ-FT"
    assert me.json["role"] == "surveyor"


def test_usernames_are_matched_case_insensitively(accounts, client):
    accounts.user(username="li.wei", password="s3cret-pass")
    assert client.post(TOKEN, json={"username": " Li.Wei ", "password": "s3cret-pass"}).status_code == 201


def test_unknown_user_and_wrong_password_get_the_same_answer(accounts, client):
    accounts.user(username="li.wei", password="s3cret-pass")
    wrong = client.post(TOKEN, json={"username": "li.wei", "password": "nope-nope"})
    unknown = client.post(TOKEN, json={"username": "nobody", "password": "nope-nope"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json == unknown.json


@pytest.mark.parametrize("header", [
    None, "Bearer", "Bearer ", "Basic abc", "Bearer forged-token", "bearer  ",
])
def test_requests_without_a_valid_token_are_refused(client, header):
    headers = {"Authorization": header} if header is not None else {}
    response = client.get("/api/v1/me", headers=headers)
    assert response.status_code == 401
    assert response.json["code"] == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_token_stops_working_when_it_expires(app, accounts, client, clock):
    signed = accounts.sign_in()
    clock.advance(hours=app.config["TOKEN_TTL_HOURS"], seconds=-1)
    assert client.get("/api/v1/me", headers=signed.headers).status_code == 200
    clock.advance(seconds=1)
    assert client.get("/api/v1/me", headers=signed.headers).status_code == 401


def test_signing_out_revokes_only_that_token(accounts, client):
    user = accounts.user(username="li.wei", password="s3cret-pass")
    first = client.post(TOKEN, json={"username": user.username, "password": "s3cret-pass"}).json["access_token"]
    second = client.post(TOKEN, json={"username": user.username, "password": "s3cret-pass"}).json["access_token"]
    assert client.delete(TOKEN, headers={"Authorization": f"Bearer {first}"}).status_code == 204
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {first}"}).status_code == 401
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {second}"}).status_code == 200


def test_a_deactivated_users_tokens_stop_working_at_once(accounts, client):
    admin = accounts.sign_in(Role.ADMIN, "HQ")
    surveyor = accounts.sign_in(Role.SURVEYOR, "SZ")
    response = client.post(f"/api/v1/users/{surveyor.user.id}/deactivate", headers=admin.headers)
    assert response.status_code == 200
    assert response.json["is_active"] is False
    assert client.get("/api/v1/me", headers=surveyor.headers).status_code == 401
    again = client.post(TOKEN, json={"username": surveyor.user.username, "password": "correct horse"})
    assert again.status_code == 401


def test_repeated_failures_for_one_username_are_refused_with_retry_after(app, accounts, client):
    accounts.user(username="li.wei", password="s3cret-pass")
    limit = int(app.config["LOGIN_LIMIT_PER_USERNAME"].split()[0])
    for _ in range(limit):
        assert client.post(TOKEN, json={"username": "li.wei", "password": "guess-guess"}).status_code == 401
    refused = client.post(TOKEN, json={"username": "li.wei", "password": "s3cret-pass"})
    assert refused.status_code == 429
    assert refused.json["code"] == 429
    assert int(refused.headers["Retry-After"]) > 0
    # Another username from the same address is not locked out by this one's failures.
    accounts.user(username="wang.fang", password="s3cret-pass")
    assert client.post(TOKEN, json={"username": "wang.fang", "password": "s3cret-pass"}).status_code == 201


def test_repeated_failures_from_one_address_are_refused(app, accounts, client):
    app.config["LOGIN_LIMIT_PER_ADDRESS"] = "5 per 15 minutes"
    for i in range(5):
        client.post(TOKEN, json={"username": f"guess{i}", "password": "guess-guess"})
    assert client.post(TOKEN, json={"username": "guess9", "password": "guess-guess"}).status_code == 429


def test_successful_sign_ins_do_not_count_as_failures(app, accounts, client):
    app.config["LOGIN_LIMIT_PER_USERNAME"] = "3 per 15 minutes"
    accounts.user(username="li.wei", password="s3cret-pass")
    for _ in range(6):
        assert client.post(TOKEN, json={"username": "li.wei", "password": "s3cret-pass"}).status_code == 201


def test_signing_in_and_out_is_audited(app, accounts, client):
    from field_api.audit.models import AuditEvent
    from field_api.extensions import db

    signed = accounts.sign_in()
    client.delete(TOKEN, headers=signed.headers)
    actions = [e.action for e in db.session.query(AuditEvent).filter_by(actor_id=signed.user.id)]
    assert actions == ["token.issue", "token.revoke"]


def test_token_lifetime_is_configured_in_hours(app, accounts, client, clock):
    app.config["TOKEN_TTL_HOURS"] = 1
    signed = accounts.sign_in()
    clock.advance(timedelta(minutes=61))
    assert client.get("/api/v1/me", headers=signed.headers).status_code == 401
