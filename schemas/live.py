"""The live map's feed, stream and tickets."""

from __future__ import annotations

from marshmallow import fields

from schemas.common import BaseSchema, Timestamp, text
from schemas.geo import crs_field


class LiveMapQueryArgsSchema(BaseSchema):
    """Which branches, in which datum (default wgs84, as RFC 7946 says), with or without the zones."""

    branch = text(32, metadata={"description": "A branch code: its subtree only (default: all the caller's)."})
    crs = crs_field()
    zones = fields.Boolean(load_default=False, metadata={"description": "Add the service zones as polygons."})


class LiveMapSchema(BaseSchema):
    """An RFC 7946 FeatureCollection; `kind` in each feature's properties says surveyor, case or zone."""

    type = fields.String(dump_only=True, metadata={"enum": ["FeatureCollection"]})
    features = fields.List(fields.Dict(), dump_only=True, metadata={"description": (
        "surveyor: name, state (idle, en_route, on_site), dispatch_id, case_id, fix_time, fix_age_s, accuracy_m, "
        "battery (0-1), speed_kmh; geometry null before the first fix. case: report_number, line, coverage, "
        "dispatch with its contact and arrival clocks (state, due_at, minutes_left: negative when late). "
        "zone: coverage (urban, suburban), name.")})
    datum = fields.String(dump_only=True, metadata={"description": "Datum of every coordinate."})
    generated_at = Timestamp(dump_only=True)
    last_event_id = fields.String(dump_only=True, metadata={
        "description": "Open the stream with this as Last-Event-ID to get every change after this map."})


class StreamQueryArgsSchema(BaseSchema):
    """The stream's credential, datum, branches and resume point."""

    ticket = text(100, metadata={"description": "A stream ticket from POST /live/tickets (browsers); other "
                                                "clients may send the bearer token in the Authorization header."})
    crs = crs_field()
    branch = text(32, metadata={"description": "A branch code: its subtree only."})
    last_event_id = text(40, metadata={"description": "Resume after this event id (a new EventSource cannot send "
                                                      "the Last-Event-ID header; the header wins when both come)."})


class TicketSchema(BaseSchema):
    """A single-use stream ticket."""

    ticket = fields.String(dump_only=True)
    expires_at = Timestamp(dump_only=True)
