"""Duty rosters through the API."""

from __future__ import annotations


class BoardFactory:
    """Publishes roster shifts for a branch through the API."""

    def __init__(self, client) -> None:
        self.client = client

    @staticmethod
    def shift(starts: str, ends: str, coordinator, surveyors) -> dict:
        """A shift as a branch writes it: local wall times, the coordinator and the surveyors on duty."""
        return {"starts": starts, "ends": ends, "coordinator_id": coordinator.user.id,
                "surveyor_ids": [s.user.id for s in surveyors]}

    def put(self, branch: str, who, shifts: list[dict], start: str, end: str):
        """Replace the shifts that start in the period."""
        return self.client.put(f"/api/v1/branches/{branch}/roster", query_string={"from": start, "to": end},
                               json={"shifts": shifts}, headers=who.headers)

    def get(self, path: str, who, **query) -> dict | list:
        """GET an endpoint and insist on 200."""
        response = self.client.get(path, query_string=query, headers=who.headers)
        assert response.status_code == 200, response.json
        return response.json
