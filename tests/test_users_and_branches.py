"""Users and the branch tree, scoped to the caller's subtree."""

from __future__ import annotations

from field_api.accounts.models import Role
from field_api.audit.models import AuditEvent
from field_api.extensions import db


def new_user(**overrides):
    body = {"username": "zhang.min", "password": "long enough", "role": "surveyor", "branch_code": "SZ-FT",
            "display_name": "Zhang Min 张敏", "phone": "13900000003"}
    body.update(overrides)
    return body


def test_an_admin_creates_a_user_anywhere_and_it_is_audited(accounts, client):
    admin = accounts.sign_in(Role.ADMIN, "HQ")
    accounts.branch("SZ-FT")
    response = client.post("/api/v1/users", json=new_user(), headers=admin.headers)
    assert response.status_code == 201
    assert response.json["branch_code"] == "SZ-FT"
    assert "password" not in response.json and "password_hash" not in response.json
    event = db.session.query(AuditEvent).filter_by(action="user.create", actor_id=admin.user.id).one()
    assert event.actor_id == admin.user.id
    assert event.entity_id == str(response.json["id"])
    assert "password" not in str(event.changes)


def test_a_manager_creates_users_only_in_their_subtree(accounts, client):
    manager = accounts.sign_in(Role.MANAGER, "SZ")
    accounts.branch("SZ-FT")
    accounts.branch("GZ")
    assert client.post("/api/v1/users", json=new_user(), headers=manager.headers).status_code == 201
    outside = client.post("/api/v1/users", json=new_user(username="x.y", branch_code="GZ"), headers=manager.headers)
    assert outside.status_code == 404


def test_a_manager_cannot_create_an_admin(accounts, client):
    manager = accounts.sign_in(Role.MANAGER, "SZ")
    response = client.post("/api/v1/users", json=new_user(role="admin", branch_code="SZ"), headers=manager.headers)
    assert response.status_code == 403


def test_a_taken_username_is_a_conflict(accounts, client):
    admin = accounts.sign_in(Role.ADMIN, "HQ")
    accounts.user(username="zhang.min")
    accounts.branch("SZ-FT")
    assert client.post("/api/v1/users", json=new_user(), headers=admin.headers).status_code == 409


def test_a_manager_lists_only_their_subtree(accounts, client):
    manager = accounts.sign_in(Role.MANAGER, "SZ")
    mine = accounts.user(Role.SURVEYOR, "SZ-FT")
    theirs = accounts.user(Role.SURVEYOR, "GZ")
    response = client.get("/api/v1/users?page_size=100", headers=manager.headers)
    ids = {u["id"] for u in response.json}
    assert mine.id in ids and manager.user.id in ids
    assert theirs.id not in ids
    assert "X-Pagination" in response.headers


def test_the_user_list_filters_by_role_and_branch(accounts, client):
    admin = accounts.sign_in(Role.ADMIN, "HQ")
    surveyor = accounts.user(Role.SURVEYOR, "SZ-FT")
    accounts.user(Role.SALESPERSON, "SZ-FT")
    accounts.user(Role.SURVEYOR, "GZ")
    response = client.get("/api/v1/users?role=surveyor&branch=SZ-FT", headers=admin.headers)
    assert [u["id"] for u in response.json] == [surveyor.id]


def test_another_branchs_user_is_not_found_rather_than_forbidden(accounts, client):
    manager = accounts.sign_in(Role.MANAGER, "SZ")
    theirs = accounts.user(Role.SURVEYOR, "GZ")
    assert client.get(f"/api/v1/users/{theirs.id}", headers=manager.headers).status_code == 404
    assert client.get("/api/v1/users/999999", headers=manager.headers).status_code == 404
    assert client.post(f"/api/v1/users/{theirs.id}/deactivate", headers=manager.headers).status_code == 404


def test_nobody_deactivates_themselves(accounts, client):
    admin = accounts.sign_in(Role.ADMIN, "HQ")
    assert client.post(f"/api/v1/users/{admin.user.id}/deactivate", headers=admin.headers).status_code == 409


def test_branches_form_a_tree_and_are_scoped(accounts, client):
    admin = accounts.sign_in(Role.ADMIN, "HQ")
    created = client.post("/api/v1/branches", json={"code": "SZ-LG", "name": "Longgang", "parent_code": "HQ"},
                          headers=admin.headers)
    assert created.status_code == 201
    assert created.json["timezone"] == "Asia/Shanghai"
    assert created.json["parent_code"] == "HQ"
    accounts.branch("SZ-FT")
    coordinator = accounts.sign_in(Role.COORDINATOR, "SZ")
    codes = [b["code"] for b in client.get("/api/v1/branches", headers=coordinator.headers).json]
    assert codes == ["SZ", "SZ-BA", "SZ-FT"] or codes == ["SZ", "SZ-FT"]
    assert client.get("/api/v1/branches/HQ", headers=coordinator.headers).status_code == 404


def test_a_branch_needs_a_real_time_zone_and_a_fresh_code(accounts, client):
    admin = accounts.sign_in(Role.ADMIN, "HQ")
    bad_tz = client.post("/api/v1/branches", json={"code": "X1", "name": "X", "parent_code": "HQ",
                                                    "timezone": "Mars/Olympus"}, headers=admin.headers)
    assert bad_tz.status_code == 422 and "timezone" in bad_tz.json["errors"]
    dup = client.post("/api/v1/branches", json={"code": "HQ", "name": "again"}, headers=admin.headers)
    assert dup.status_code == 409


def test_only_admins_create_branches(accounts, client):
    manager = accounts.sign_in(Role.MANAGER, "SZ")
    response = client.post("/api/v1/branches", json={"code": "SZ-X", "name": "X", "parent_code": "SZ"},
                           headers=manager.headers)
    assert response.status_code == 403
