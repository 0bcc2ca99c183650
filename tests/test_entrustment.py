"""Entrusted cross-region cases (委托查勘): both branches see the case; no third one, and nothing else of A."""

from __future__ import annotations

import pytest

from field_api.accounts.models import Role
from field_api.audit.models import AuditEvent
from field_api.outbox.models import OutboxMessage

ENTRUST = {"to_branch": "GZ", "items": "车损查勘、定损", "authorised_amount": "8000.00"}


@pytest.fixture
def branches(accounts, dispatching):
    """SZ (entrusting), GZ (accepting) and FS (a third branch), each with a coordinator."""
    dispatching.shenzhen_zones()
    accounts.branch("FS")
    return {code: accounts.sign_in(Role.COORDINATOR, code) for code in ("SZ", "GZ", "FS")}


def _entrust(client, case, who, **body):
    return client.post(f"/api/v1/cases/{case.id}/entrustment", json={**ENTRUST, **body}, headers=who.headers)


def test_an_entrusted_case_is_seen_by_both_branches_and_by_no_third_one(accounts, dispatching, branches, client):
    sz, gz, fs = branches["SZ"], branches["GZ"], branches["FS"]
    case = dispatching.case()
    kept = dispatching.case()
    kept_dispatch = dispatching.dispatch(kept, accounts.sign_in(Role.SURVEYOR, "SZ-FT"), sz)
    response = _entrust(client, case, sz)
    assert response.status_code == 201, response.json
    assert (response.json["to_branch"], response.json["authorised_amount"]) == ("GZ", "8000.00")

    # The accepting branch dispatches its own surveyor; the entrusting one sees its progress and clocks.
    gz_surveyor = accounts.sign_in(Role.SURVEYOR, "GZ")
    dispatch = dispatching.dispatch(case, gz_surveyor, gz)
    assert dispatching.event(dispatch["id"], gz_surveyor, "contacted").status_code == 201
    [entrusted] = client.get("/api/v1/entrustments", query_string={"branch": "SZ"}, headers=sz.headers).json
    assert entrusted["case"]["id"] == case.id and entrusted["dispatch"]["contact"]["state"] == "met"
    assert entrusted["dispatch"]["surveyor"]["id"] == gz_surveyor.user.id
    [accepted] = client.get("/api/v1/entrustments", query_string={"branch": "GZ", "side": "accepted"},
                            headers=gz.headers).json
    assert accepted["case"]["id"] == case.id
    assert client.get(f"/api/v1/dispatches/{dispatch['id']}", headers=sz.headers).status_code == 200

    # B sees that case and its dispatch, and nothing else of A.
    assert client.get(f"/api/v1/cases/{case.id}", headers=gz.headers).status_code == 200
    assert [c["id"] for c in client.get("/api/v1/cases", headers=gz.headers).json] == [case.id]
    assert [d["id"] for d in client.get("/api/v1/dispatches", headers=gz.headers).json] == [dispatch["id"]]
    assert client.get(f"/api/v1/cases/{kept.id}", headers=gz.headers).status_code == 404
    assert client.get(f"/api/v1/dispatches/{kept_dispatch['id']}", headers=gz.headers).status_code == 404
    assert client.get("/api/v1/board", query_string={"branch": "SZ"}, headers=gz.headers).status_code == 404
    assert [r["case"]["id"] for r in client.get("/api/v1/board", query_string={"branch": "GZ"},
                                                headers=gz.headers).json] == [case.id]
    assert client.get("/api/v1/entrustments", query_string={"branch": "GZ"}, headers=gz.headers).json == []

    gz_manager = accounts.sign_in(Role.MANAGER, "GZ")
    assert {u["branch_code"] for u in client.get("/api/v1/users", headers=gz_manager.headers).json} == {"GZ"}
    sz_surveyor = kept_dispatch["surveyor"]["id"]
    assert client.get(f"/api/v1/surveyors/{sz_surveyor}/track", headers=gz.headers).status_code == 404
    assert client.get("/api/v1/followups", query_string={"branch": "SZ"}, headers=gz.headers).status_code == 404

    # A third branch sees none of it.
    for path in (f"/api/v1/cases/{case.id}", f"/api/v1/dispatches/{dispatch['id']}",
                 f"/api/v1/dispatches/{dispatch['id']}/timeline", f"/api/v1/cases/{case.id}/candidates"):
        assert client.get(path, headers=fs.headers).status_code == 404, path
    assert client.get("/api/v1/cases", headers=fs.headers).json == []
    assert client.get("/api/v1/entrustments", query_string={"branch": "FS", "side": "accepted"},
                      headers=fs.headers).json == []
    assert client.get("/api/v1/board", query_string={"branch": "FS"}, headers=fs.headers).json == []


def test_the_accepting_branch_cannot_decline_but_hands_back_with_a_reason(dispatching, branches, client, session):
    sz, gz = branches["SZ"], branches["GZ"]
    case = dispatching.case()
    assert _entrust(client, case, sz).status_code == 201
    path = f"/api/v1/cases/{case.id}/entrustment/hand-back"
    assert client.post(path, json={}, headers=gz.headers).status_code == 422
    assert client.post(path, json={"reason": "x"}, headers=sz.headers).status_code == 404
    response = client.post(path, json={"reason": "车辆已拖回深圳"}, headers=gz.headers)
    assert response.status_code == 200, response.json
    assert (response.json["status"], response.json["hand_back_reason"]) == ("handed_back", "车辆已拖回深圳")
    assert client.get(f"/api/v1/cases/{case.id}", headers=gz.headers).status_code == 404
    [listed] = client.get("/api/v1/entrustments", query_string={"branch": "SZ"}, headers=sz.headers).json
    assert listed["status"] == "handed_back"
    actions = [a for (a,) in session.query(AuditEvent.action).filter(AuditEvent.action.like("case.%"))]
    assert actions[-2:] == ["case.entrust", "case.hand_back"]
    announced = session.query(OutboxMessage.topic, OutboxMessage.branch_id).filter(
        OutboxMessage.topic.in_(["case.entrusted", "case.handed_back"])).order_by(OutboxMessage.id).all()
    sz_id, gz_id = sz.user.branch_id, gz.user.branch_id
    assert announced == [("case.entrusted", sz_id), ("case.entrusted", gz_id), ("case.handed_back", sz_id),
                         ("case.handed_back", gz_id)]


def test_the_accepting_branchs_live_map_hears_of_the_entrusted_case_and_a_third_branch_does_not(
        accounts, dispatching, branches, live):
    sz, gz, fs = branches["SZ"], branches["GZ"], branches["FS"]
    case = dispatching.case()
    gz_stream, fs_stream = live.stream(gz), live.stream(fs)
    gz_stream.next(), fs_stream.next()
    assert _entrust(live.client, case, sz).status_code == 201
    assert gz_stream.change("case.entrusted").data["message"]["case_id"] == case.id

    dispatch = dispatching.dispatch(case, accounts.sign_in(Role.SURVEYOR, "GZ"), gz)
    change = gz_stream.change("dispatch.created")
    assert change.data["message"]["dispatch_id"] == dispatch["id"]
    assert change.data["case"]["properties"]["case_id"] == case.id
    assert not [e for e in fs_stream.heartbeats(3) if e.name == "change"]


@pytest.mark.parametrize("to_branch, status", [("SZ", 422), ("SZ-FT", 422), ("NOPE", 422)])
def test_an_entrustment_to_its_own_branch_or_to_no_branch_is_refused_and_saves_nothing(
        dispatching, branches, client, to_branch, status):
    sz = branches["SZ"]
    case = dispatching.case()
    response = _entrust(client, case, sz, to_branch=to_branch)
    assert response.status_code == status
    assert "to_branch" in response.json["errors"]
    assert client.get("/api/v1/entrustments", query_string={"branch": "SZ"}, headers=sz.headers).json == []


def test_a_case_is_entrusted_once_and_only_by_its_own_branch(dispatching, branches, client):
    case = dispatching.case()
    assert _entrust(client, case, branches["GZ"], to_branch="FS").status_code == 404
    assert _entrust(client, case, branches["SZ"]).status_code == 201
    assert _entrust(client, case, branches["SZ"], to_branch="FS").status_code == 409
    assert _entrust(client, case, branches["GZ"], to_branch="FS").status_code == 404


def test_a_nul_character_is_refused_as_bad_input_not_a_crash(dispatching, branches, client):
    response = _entrust(client, dispatching.case(), branches["SZ"], items="车损\x00查勘")
    assert response.status_code == 422 and "items" in response.json["errors"]["json"]
