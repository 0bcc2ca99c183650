"""Cases (报案), dispatches (派工), their clocks and timelines."""

from __future__ import annotations

from marshmallow import fields, validate

from schemas.common import BaseSchema, Timestamp, record_id, text
from schemas.geo import Location, PointSchema, crs_field

LINES = ("motor", "property")
STATES = ("pending", "at_risk", "met", "missed", "excused", "cancelled")
STATUSES = ("open", "completed", "cancelled", "reassigned")
CAUSES = ("communication_outage", "traffic", "geography")


class CaseCreateSchema(BaseSchema):
    """An accident report (报案)."""

    report_number = text(40, required=True)
    reported_at = Timestamp(required=True)
    line = fields.String(required=True, validate=validate.OneOf(LINES))
    on_site = fields.Boolean(required=True, metadata={"description": "An on-site case (现场案件) must be surveyed."})
    location = fields.Nested(PointSchema, required=True)
    address = text(300, load_default=None)
    customer_name = text(120, required=True)
    customer_phone = text(32, load_default=None)
    is_vip = fields.Boolean(load_default=False)
    plate_number = text(16, load_default=None)
    branch_code = text(32, load_default=None, metadata={"description": "Default: the caller's branch."})


class CaseSchema(BaseSchema):
    """A case as stored, with the zone its site falls in."""

    id = fields.Integer(dump_only=True)
    branch_code = fields.Function(lambda c: c.branch.code, dump_only=True)
    report_number = fields.String(dump_only=True)
    reported_at = Timestamp(dump_only=True)
    line = fields.Function(lambda c: c.line.value, dump_only=True)
    on_site = fields.Boolean(dump_only=True)
    location = Location()
    address = fields.String(dump_only=True, allow_none=True)
    customer_name = fields.String(dump_only=True)
    customer_phone = fields.String(dump_only=True, allow_none=True)
    is_vip = fields.Boolean(dump_only=True)
    plate_number = fields.String(dump_only=True, allow_none=True)
    coverage = fields.String(dump_only=True, metadata={"description": "urban, suburban or outside"})
    first_dispatched_at = Timestamp(dump_only=True, allow_none=True)
    dispatch_delay_minutes = fields.Float(dump_only=True, allow_none=True, metadata={
        "description": "Report-to-dispatch delay: minutes from the report to the first dispatch."})
    closed_at = Timestamp(dump_only=True, allow_none=True)
    legal_hold_reason = fields.String(dump_only=True, allow_none=True)


class CaseQueryArgsSchema(BaseSchema):
    """Filters of the case list."""

    branch = text(32)
    open = fields.Boolean()
    line = fields.String(validate=validate.OneOf(LINES))
    crs = crs_field()


class LegalHoldSchema(BaseSchema):
    """Why a case's evidence must be kept."""

    reason = text(500, required=True)


class ClockSchema(BaseSchema):
    """One clock at the instant of the answer."""

    state = fields.Function(lambda r: r.state.value, dump_only=True, metadata={"enum": list(STATES)})
    due_at = Timestamp(dump_only=True, allow_none=True)
    minutes_left = fields.Float(dump_only=True, allow_none=True,
                                metadata={"description": "Negative: minutes late."})
    done_at = Timestamp(dump_only=True, allow_none=True)
    with_notice = fields.Boolean(dump_only=True, metadata={"description": "Customer told before the due time."})
    no_time_agreed = fields.Boolean(dump_only=True)


class SurveyorRefSchema(BaseSchema):
    """Who was dispatched."""

    id = fields.Integer(dump_only=True)
    username = fields.String(dump_only=True)
    display_name = fields.String(dump_only=True)


class DispatchSchema(BaseSchema):
    """A dispatch with both clocks as of now."""

    id = fields.Integer(dump_only=True)
    case = fields.Nested(CaseSchema, dump_only=True)
    surveyor = fields.Nested(SurveyorRefSchema, dump_only=True)
    status = fields.Function(lambda d: d.status.value, dump_only=True)
    is_first = fields.Boolean(dump_only=True)
    dispatched_at = Timestamp(dump_only=True)
    clock_start = Timestamp(dump_only=True)
    site = Location("fence_lat", "fence_lon")
    arrive_radius_m = fields.Float(dump_only=True)
    contacted_at = Timestamp(dump_only=True, allow_none=True)
    arrived_at = Timestamp(dump_only=True, allow_none=True)
    arrival_source = fields.String(dump_only=True, allow_none=True)
    agreed_arrival_at = Timestamp(dump_only=True, allow_none=True)
    projected_arrival_at = Timestamp(dump_only=True, allow_none=True)
    late_notice_at = Timestamp(dump_only=True, allow_none=True)
    late_notice_eta = Timestamp(dump_only=True, allow_none=True)
    late_notice_reason = fields.String(dump_only=True, allow_none=True)
    contact = fields.Nested(ClockSchema, dump_only=True, allow_none=True)
    arrival = fields.Nested(ClockSchema, dump_only=True, allow_none=True)
    closed_at = Timestamp(dump_only=True, allow_none=True)
    cancel_reason = fields.String(dump_only=True, allow_none=True)
    version = fields.Integer(dump_only=True)


class DispatchCreateSchema(BaseSchema):
    """Send a surveyor to a case."""

    case_id = record_id(required=True)
    surveyor_id = record_id(required=True)


class DispatchQueryArgsSchema(BaseSchema):
    """Filters of the dispatch list."""

    state = fields.String(validate=validate.OneOf(STATUSES))
    branch = text(32)
    surveyor_id = record_id()
    crs = crs_field()


class EventFixSchema(PointSchema):
    """The phone's position when the event happened."""

    accuracy = fields.Float(load_default=None, validate=validate.Range(min=0, max=100_000))


class DispatchEventCreateSchema(BaseSchema):
    """What the surveyor's phone records: contacted, late_notice, agreed_time, arrived, completed."""

    kind = fields.String(required=True, validate=validate.OneOf(
        ("contacted", "late_notice", "agreed_time", "arrived", "completed")))
    device_time = Timestamp(required=True)
    event_id = fields.UUID(load_default=None, metadata={
        "description": "Made on the phone; a retry with the same id changes nothing."})
    fix = fields.Nested(EventFixSchema, load_default=None)
    reason = text(500, load_default=None)
    new_eta = Timestamp(load_default=None)
    agreed_time = Timestamp(load_default=None)
    note = text(1000, load_default=None)


class CancelSchema(BaseSchema):
    """Why a coordinator cancels a dispatch."""

    reason = text(500, required=True)


class ExcusalSchema(BaseSchema):
    """A missed deadline excused with one of the standard's objective causes."""

    clock = fields.String(required=True, validate=validate.OneOf(("contact", "arrival")))
    cause = fields.String(required=True, validate=validate.OneOf(CAUSES))
    note = text(1000, required=True)


class TimelineEntrySchema(BaseSchema):
    """One entry of a dispatch's timeline."""

    kind = fields.String(dump_only=True)
    at = Timestamp(dump_only=True)
    source = fields.String(dump_only=True, metadata={"description": "phone, coordinator, fixes or system"})
    device_time = Timestamp(dump_only=True, allow_none=True)
    recorded_at = Timestamp(dump_only=True, allow_none=True)
    actor_id = fields.Integer(dump_only=True, allow_none=True)
    location = Location()
    data = fields.Dict(dump_only=True)
