"""The audit trail: every change recorded, readable by admins and the branch's managers, never editable."""

from __future__ import annotations

from field_api.accounts.models import Role


def test_a_manager_reads_the_audit_of_their_subtree_only(accounts, client):
    admin = accounts.sign_in(Role.ADMIN, "HQ")
    manager = accounts.sign_in(Role.MANAGER, "SZ")
    accounts.branch("SZ-FT")
    accounts.branch("GZ")
    created = client.post("/api/v1/users", json={"username": "li.wei", "password": "long enough",
                                                 "role": "surveyor", "branch_code": "SZ-FT"}, headers=admin.headers)
    client.post("/api/v1/users", json={"username": "gz.one", "password": "long enough", "role": "surveyor",
                                       "branch_code": "GZ"}, headers=admin.headers)
    events = client.get(f"/api/v1/audit?entity_type=user&action=user.create&actor_id={admin.user.id}",
                        headers=manager.headers).json
    assert [e["entity_id"] for e in events] == [str(created.json["id"])]
    assert events[0]["actor_id"] == admin.user.id
    assert events[0]["changes"]["username"] == "li.wei"
    everything = client.get("/api/v1/audit?action=user.create&page_size=100", headers=admin.headers).json
    assert len(everything) > len(events)


def test_the_audit_filters_by_time(accounts, client, clock):
    admin = accounts.sign_in(Role.ADMIN, "HQ")
    before = clock.now().isoformat()
    clock.advance(minutes=1)
    accounts.branch("SZ")
    after = client.get("/api/v1/audit", query_string={"from": clock.now().isoformat()}, headers=admin.headers).json
    assert all(e["at"] >= clock.now().isoformat() for e in after)
    assert client.get("/api/v1/audit", query_string={"to": before}, headers=admin.headers).json == []


def test_the_audit_has_no_write_endpoint(client, accounts):
    admin = accounts.sign_in(Role.ADMIN, "HQ")
    for method in ("post", "put", "patch", "delete"):
        assert getattr(client, method)("/api/v1/audit", headers=admin.headers).status_code == 405
