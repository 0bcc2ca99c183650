"""Announcing events that need no outbox row (a surveyor's new position) to the live stream, after the commit.

Positions arrive in thousands of batches a minute and each one supersedes the last, so they are not
written to the outbox: the batch's newest position is handed to the live transport once the batch has
committed (this process's streams, and every other process's through Redis when configured). A stream
that missed some catches up from the kept latest positions.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import current_app, has_app_context

from field_api.audit.service import jsonable

POSITION = "position"


def announce(topic: str, *, branch_id: int | None, payload: dict[str, Any]) -> None:
    """Hand a committed event to the live transport; never blocks and never fails the caller."""
    transport = current_app.extensions.get("live_transport") if has_app_context() else None
    if transport is not None:
        transport.announce({"kind": topic, "branch_id": branch_id, "payload": jsonable(payload)})


def announce_position(*, surveyor_id: int, branch_id: int, lat: float, lon: float, device_time: datetime,
                      received_at: datetime, accuracy_m: float | None = None, battery: float | None = None,
                      speed_mps: float | None = None, heading_deg: float | None = None) -> None:
    """Announce a surveyor's newest stored position (canonical datum), once per committed batch."""
    announce(POSITION, branch_id=branch_id, payload={
        "surveyor_id": surveyor_id, "lat": lat, "lon": lon, "device_time": device_time, "received_at": received_at,
        "accuracy_m": accuracy_m, "battery": battery, "speed_mps": speed_mps, "heading_deg": heading_deg})
