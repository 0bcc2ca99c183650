"""The demo shows a week of roster, a waiting case, an entrusted case and a care callback."""

from __future__ import annotations


def test_the_demo_board_has_a_roster_a_waiting_case_an_entrusted_case_and_a_callback(runner, client):
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    token = client.post("/api/v1/auth/token", json={"username": "sz.coordinator", "password": "sz.coordinator-demo"})
    headers = {"Authorization": f"Bearer {token.json['access_token']}"}

    board = client.get("/api/v1/board", query_string={"branch": "SZ"}, headers=headers).json
    assert board[0]["case"]["report_number"] == "DEMO-0005" and board[0]["accepted"] is True
    waiting = next(r for r in board if r["case"]["report_number"] == "DEMO-0004")
    assert waiting["state"] == "waiting" and waiting["waiting_too_long"] is True
    candidates = client.get(f"/api/v1/cases/{waiting['case']['id']}/candidates", headers=headers).json
    assert {c["username"] for c in candidates} == {"ft.surveyor1", "ft.surveyor2", "ba.surveyor1"}
    assert client.get("/api/v1/branches/SZ/roster/gaps", headers=headers).json["gaps"] == []
    followups = client.get("/api/v1/followups", query_string={"branch": "SZ"}, headers=headers).json
    assert "DEMO-0006" in {f["report_number"] for f in followups}
