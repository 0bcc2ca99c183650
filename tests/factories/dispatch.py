"""Zones, cases and dispatches, made through the real services and API."""

from __future__ import annotations

import itertools
import json
from datetime import datetime
from pathlib import Path

from field_api.access import Actor
from field_api.dispatch import cases
from field_api.dispatch.models import Case, Line
from field_api.extensions import db
from field_api.zones import service as zones
from geo.datum import Datum, convert

SHENZHEN = Path(__file__).resolve().parents[2] / "field_api" / "data" / "shenzhen-districts-gcj02.geojson"
# GCJ-02, as AMap shows them.
FUTIAN_CIVIC_CENTER = (22.543099, 114.057868)  # urban (福田)
BAOAN_AIRPORT = (22.639258, 113.810664)  # suburban (宝安)
HONG_KONG = (22.302711, 114.177216)  # outside every zone
_numbers = itertools.count(1)


def wgs84(point: tuple[float, float]) -> tuple[float, float]:
    """A GCJ-02 point as a phone's GPS would report it."""
    return convert(*point, Datum.GCJ02, Datum.WGS84)


class DispatchFactory:
    """Loads Shenzhen's zones and makes cases and dispatches."""

    def __init__(self, app, client, accounts) -> None:
        self.app, self.client, self.accounts = app, client, accounts

    @property
    def now(self) -> datetime:
        return self.app.extensions["clock"].now()

    def shenzhen_zones(self, branch: str = "SZ") -> None:
        self.accounts.branch(branch)
        zones.replace_zones(db.session, actor=Actor.system("test"), now=self.now, branch_code=branch,
                            feature_collection=json.loads(SHENZHEN.read_text()), crs=Datum.GCJ02,
                            canonical=Datum(self.app.config["DATUM"]))

    def case(self, *, at=FUTIAN_CIVIC_CENTER, crs: Datum = Datum.GCJ02, line: Line = Line.MOTOR,
             on_site: bool = True, branch: str = "SZ", is_vip: bool = False, reported_at=None) -> Case:
        self.accounts.branch(branch)
        lat, lon = convert(*at, crs, Datum(self.app.config["DATUM"]))
        return cases.create_case(db.session, actor=Actor.system("test"), now=self.now,
                                 canonical=Datum(self.app.config["DATUM"]), branch_code=branch,
                                 report_number=f"R{next(_numbers):08d}", reported_at=reported_at or self.now,
                                 line=line, on_site=on_site, lat=lat, lon=lon, customer_name="Customer",
                                 customer_phone="13500000000", is_vip=is_vip,
                                 plate_number="粤B12345" if line is Line.MOTOR else None)

    def dispatch(self, case: Case, surveyor, coordinator) -> dict:
        response = self.client.post("/api/v1/dispatches", json={"case_id": case.id, "surveyor_id": surveyor.user.id},
                                    headers=coordinator.headers)
        assert response.status_code == 201, response.json
        return response.json

    def event(self, dispatch_id: int, surveyor, kind: str, device_time: datetime | None = None, **body):
        payload = {"kind": kind, "device_time": (device_time or self.now).isoformat(), **body}
        return self.client.post(f"/api/v1/dispatches/{dispatch_id}/events", json=payload, headers=surveyor.headers)

    def get(self, dispatch_id: int, who) -> dict:
        response = self.client.get(f"/api/v1/dispatches/{dispatch_id}", headers=who.headers)
        assert response.status_code == 200, response.json
        return response.json
