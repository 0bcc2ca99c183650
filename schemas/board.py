"""The board: duty roster (值班表), waiting cases, candidates, entrusted cases and care callbacks."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from marshmallow import ValidationError, fields, validate

from schemas.common import BaseSchema, Timestamp, record_id, text
from schemas.dispatch import CaseSchema, DispatchSchema, SurveyorRefSchema
from schemas.geo import Location, crs_field

STATES = ("waiting", "dispatched", "on_site", "done")
FOLLOW_UP_STATUSES = ("open", "reached", "unable_to_contact")


def _local(value: datetime, zone: str) -> str:
    return value.astimezone(ZoneInfo(zone)).isoformat()


class BranchTime(fields.DateTime):
    """A wall time of the branch (no offset: the branch's time zone) or an ISO 8601 instant with an offset."""

    YEARS = (2000, 2199)

    def __init__(self, **kwargs):
        super().__init__(format="iso", **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        result = super()._deserialize(value, attr, data, **kwargs)
        if not self.YEARS[0] <= result.year <= self.YEARS[1]:
            raise ValidationError(f"Give a time between the years {self.YEARS[0]} and {self.YEARS[1]}.")
        return result


class ShiftTime(BranchTime):
    """A shift's start or end: read as a branch time, shown in the branch's time zone with its offset."""

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else _local(value, obj.branch.timezone)


class RosterQueryArgsSchema(BaseSchema):
    """The period (default: seven days from today's midnight in the branch's time zone)."""

    start = BranchTime(data_key="from", load_default=None)
    end = BranchTime(data_key="to", load_default=None)


class ShiftSchema(BaseSchema):
    """A shift: start and end in the branch's time zone, the surveyors on duty and the responsible coordinator."""

    id = fields.Integer(dump_only=True)
    starts = ShiftTime(attribute="starts_at", required=True)
    ends = ShiftTime(attribute="ends_at", required=True)
    coordinator_id = record_id(required=True)
    surveyor_ids = fields.List(record_id(), required=True, validate=validate.Length(min=1, max=200))
    coordinator = fields.Nested(SurveyorRefSchema, dump_only=True)
    surveyors = fields.Function(lambda s: [SurveyorRefSchema().dump(r.surveyor) for r in s.surveyors],
                                dump_only=True)
    note = text(200, load_default=None, allow_none=True)

    def get_attribute(self, obj, attr, default):
        if attr == "surveyor_ids":
            return [r.surveyor_id for r in obj.surveyors]
        return super().get_attribute(obj, attr, default)


class RosterPutSchema(BaseSchema):
    """The shifts that replace those starting in the period."""

    shifts = fields.List(fields.Nested(ShiftSchema), required=True, validate=validate.Length(max=2000))


class BranchPeriodSchema(BaseSchema):
    """A branch, its time zone and a period in it."""

    branch_code = fields.String(dump_only=True)
    timezone = fields.String(dump_only=True)
    start = fields.Function(lambda r: _local(r.start, r.timezone), data_key="from", dump_only=True)
    end = fields.Function(lambda r: _local(r.end, r.timezone), data_key="to", dump_only=True)


class RosterSchema(BranchPeriodSchema):
    """A branch's shifts overlapping the period."""

    shifts = fields.List(fields.Nested(ShiftSchema), dump_only=True)


class GapSchema(BaseSchema):
    """A period with no surveyor on the roster, in the branch's time zone."""

    start = fields.Function(lambda g: _local(g.start, g.timezone), data_key="from", dump_only=True)
    end = fields.Function(lambda g: _local(g.end, g.timezone), data_key="to", dump_only=True)
    minutes = fields.Float(dump_only=True)


class GapsSchema(BranchPeriodSchema):
    """The roster's gaps in the period (the standard asks for 7×24 survey)."""

    gaps = fields.List(fields.Nested(GapSchema), dump_only=True)


class BoardQueryArgsSchema(BaseSchema):
    """Which branch's board."""

    branch = text(32, required=True)
    crs = crs_field()


class ProgressSchema(DispatchSchema):
    """The case's current dispatch with both clocks (the case itself is given alongside)."""

    class Meta(DispatchSchema.Meta):
        exclude = ("case",)


class EntrustmentRefSchema(BaseSchema):
    """The entrustment of a case: from which branch to which, what for."""

    from_branch = fields.Function(lambda e: e.from_branch.code, dump_only=True)
    to_branch = fields.Function(lambda e: e.to_branch.code, dump_only=True)
    items = fields.String(dump_only=True)
    authorised_amount = fields.Decimal(as_string=True, dump_only=True,
                                       metadata={"type": "string", "format": "decimal"})
    entrusted_at = Timestamp(dump_only=True)


class BoardRowSchema(BaseSchema):
    """One case on the board with its state, age and clocks."""

    case = fields.Nested(CaseSchema, dump_only=True)
    state = fields.Function(lambda r: r.state.value, dump_only=True, metadata={"enum": list(STATES)})
    age_minutes = fields.Float(dump_only=True, metadata={"description": "Minutes since the report."})
    waiting_too_long = fields.Boolean(dump_only=True, metadata={
        "description": "Waiting for dispatch longer than FIELD_API_DISPATCH_WAIT_MINUTES."})
    dispatch_delay_minutes = fields.Float(dump_only=True, allow_none=True, metadata={
        "description": "Report-to-dispatch delay of the first dispatch."})
    minutes_left = fields.Float(dump_only=True, allow_none=True)
    accepted = fields.Boolean(dump_only=True, metadata={"description": "Entrusted to this branch by another one."})
    entrusted = fields.Boolean(dump_only=True, metadata={"description": "Entrusted by this branch to another one."})
    entrustment = fields.Nested(EntrustmentRefSchema, dump_only=True, allow_none=True)
    dispatch = fields.Nested(ProgressSchema, dump_only=True, allow_none=True)


class CandidateSchema(BaseSchema):
    """An on-duty surveyor ranked for a case."""

    surveyor_id = fields.Integer(dump_only=True)
    username = fields.String(dump_only=True)
    display_name = fields.String(dump_only=True)
    location = Location()
    fix_age_s = fields.Float(dump_only=True, allow_none=True, metadata={"description": "Age of the latest fix."})
    distance_m = fields.Float(dump_only=True, allow_none=True)
    minutes_to_site = fields.Float(dump_only=True, allow_none=True, metadata={
        "description": "Estimated from the latest fix at typical traffic speed for the site's zone."})
    busy = fields.Boolean(dump_only=True)
    current_dispatch_id = fields.Integer(dump_only=True, allow_none=True)
    current_report_number = fields.String(dump_only=True, allow_none=True)


class EntrustSchema(BaseSchema):
    """Entrust a case to another branch for survey."""

    to_branch = text(32, required=True)
    items = text(1000, required=True, metadata={"description": "The entrusted items (委托事项)."})
    authorised_amount = fields.Decimal(required=True, places=2,
                                       validate=validate.Range(min=0, max=999_999_999_999),
                                       metadata={"minimum": 0, "maximum": 999_999_999_999,
                                                 "description": "Yuan, up to two decimals."})


class HandBackSchema(BaseSchema):
    """Why the accepting branch hands a case back (it cannot decline it)."""

    reason = text(500, required=True)


class EntrustmentSchema(EntrustmentRefSchema):
    """An entrusted case with the accepting branch's progress and clocks."""

    id = fields.Integer(dump_only=True)
    case = fields.Nested(CaseSchema, dump_only=True)
    status = fields.Function(lambda e: e.status.value, dump_only=True)
    handed_back_at = Timestamp(dump_only=True, allow_none=True)
    hand_back_reason = fields.String(dump_only=True, allow_none=True)
    dispatch = fields.Nested(ProgressSchema, dump_only=True, allow_none=True)


class EntrustmentQueryArgsSchema(BaseSchema):
    """A branch's entrusted list (委托案件处理清单) or accepted list (受理案件处理清单)."""

    branch = text(32, required=True)
    side = fields.String(load_default="entrusted", validate=validate.OneOf(("entrusted", "accepted")))


class FollowUpQueryArgsSchema(BaseSchema):
    """Filters of the callback worklist."""

    branch = text(32, required=True)
    status = fields.String(validate=validate.OneOf(FOLLOW_UP_STATUSES))
    for_chief = fields.Boolean(metadata={"description": "Only the records the chief coordinator follows."})


class ClockStateSchema(BaseSchema):
    """What a clock knows."""

    state = fields.Function(lambda r: r.state.value, dump_only=True)
    due_at = Timestamp(dump_only=True, allow_none=True)
    done_at = Timestamp(dump_only=True, allow_none=True)


class CallbackAttemptSchema(BaseSchema):
    """One call to the customer."""

    at = Timestamp(dump_only=True)
    caller_id = fields.Integer(dump_only=True, allow_none=True)
    reached = fields.Boolean(required=True)
    surveyor_called = fields.Boolean(load_default=None, allow_none=True, metadata={
        "description": "The customer's answer: did the surveyor call?"})
    arrived_on_time = fields.Boolean(load_default=None, allow_none=True, metadata={
        "description": "The customer's answer: did the surveyor arrive on time?"})
    notes = text(1000, load_default=None, allow_none=True)
    contradicts_clocks = fields.Boolean(dump_only=True)


class FollowUpSchema(BaseSchema):
    """A care-callback record with the customer's phone, the surveyor and what the clocks know."""

    id = fields.Integer(dump_only=True)
    case_id = fields.Integer(dump_only=True)
    report_number = fields.Function(lambda f: f.case.report_number, dump_only=True)
    customer_name = fields.Function(lambda f: f.case.customer_name, dump_only=True)
    customer_phone = fields.Function(lambda f: f.case.customer_phone, dump_only=True)
    reason = fields.Function(lambda f: f.reason.value, dump_only=True, metadata={"enum": ["dispatched",
                                                                                          "no_dispatch"]})
    surveyor = fields.Nested(SurveyorRefSchema, dump_only=True, allow_none=True)
    contact = fields.Nested(ClockStateSchema, dump_only=True, allow_none=True)
    arrival = fields.Nested(ClockStateSchema, dump_only=True, allow_none=True)
    for_chief = fields.Boolean(dump_only=True, metadata={
        "description": "No dispatch or a missed contact: the branch's chief coordinator follows it too."})
    status = fields.Function(lambda f: f.status.value, dump_only=True, metadata={"enum": list(FOLLOW_UP_STATUSES)})
    failed_attempts = fields.Integer(dump_only=True)
    needs_review = fields.Boolean(dump_only=True, metadata={
        "description": "The customer's answer contradicts the clocks."})
    batch_at = Timestamp(dump_only=True)
    due_at = Timestamp(dump_only=True)
    overdue = fields.Boolean(dump_only=True)
    closed_at = Timestamp(dump_only=True, allow_none=True)
    attempts = fields.List(fields.Nested(CallbackAttemptSchema), dump_only=True)
