"""Compliance reports: the query, the report's measures per branch, and the records behind a number."""

from __future__ import annotations

from marshmallow import fields, validate

from schemas.common import BaseSchema, Timestamp, text

PERIOD_HELP = "A quarter (2026Q3), a year (2026) or local dates (2026-07-01..2026-09-30). Default: last quarter."


class ComplianceQueryArgsSchema(BaseSchema):
    """Which branch tree and period; JSON unless `format=csv` or `Accept: text/csv`."""

    branch = text(32, metadata={"description": "Branch code; default the caller's branch."})
    period = text(40, metadata={"description": PERIOD_HELP})
    format = fields.String(validate=validate.OneOf(("json", "csv")))


class RecordQueryArgsSchema(BaseSchema):
    """One number of the report: its measure, which part of it, and the branch alone or its subtree."""

    branch = text(32, metadata={"description": "Branch code; default the caller's branch."})
    period = text(40, metadata={"description": PERIOD_HELP})
    measure = text(64, required=True, metadata={"description": "A measure key of the report."})
    part = text(32, load_default="denominator",
                metadata={"description": "numerator, denominator, or a detail of the measure (e.g. excused, traffic)."})
    scope = fields.String(load_default="rolled_up", validate=validate.OneOf(("own", "rolled_up")))


class MeasureSchema(BaseSchema):
    """A measure: a rate states numerator and denominator, and is null with `na` when the denominator is 0."""

    key = fields.String()
    label = fields.String()
    article = fields.String(metadata={"description": "The standard's item (C1, S1, U6, ...)."})
    group = fields.String()
    kind = fields.String(metadata={"description": "rate, count or duration."})
    numerator = fields.Integer(allow_none=True)
    numerator_is = fields.String(metadata={"description": "What the numerator (or count) counts."})
    denominator_is = fields.String(allow_none=True, metadata={"description": "What the denominator counts."})
    denominator = fields.Integer(allow_none=True)
    rate = fields.Float(allow_none=True)
    na = fields.Boolean(metadata={"description": "Nothing to measure: the rate is n/a, not 0% or 100%."})
    target = fields.Float(allow_none=True, metadata={"description": "The standard's target (1.0 = 100%)."})
    count = fields.Integer(allow_none=True)
    median_minutes = fields.Float(allow_none=True)
    p90_minutes = fields.Float(allow_none=True)
    details = fields.Dict(keys=fields.String(), values=fields.Integer())
    shares = fields.Dict(keys=fields.String(), values=fields.Float(allow_none=True), allow_none=True)


class BranchReportSchema(BaseSchema):
    """One branch: its own records, and rolled up over the branches below it."""

    code = fields.String()
    name = fields.String()
    parent = fields.String(allow_none=True)
    depth = fields.Integer()
    timezone = fields.String()
    period_start = Timestamp(metadata={"description": "The period's first instant in the branch's time zone."})
    period_end = Timestamp(metadata={"description": "The instant after the period, in the branch's time zone."})
    own = fields.List(fields.Nested(MeasureSchema))
    rolled_up = fields.List(fields.Nested(MeasureSchema))


class ComplianceSchema(BaseSchema):
    """The compliance report of a branch tree for a period (article 4)."""

    period = fields.String()
    first_day = fields.Date()
    last_day = fields.Date()
    generated_at = Timestamp()
    branch = fields.String()
    branches = fields.List(fields.Nested(BranchReportSchema))


class RecordSchema(BaseSchema):
    """A record behind a number; which fields it has depends on its kind, and any of them may be null."""

    kind = fields.String(metadata={"description": "dispatch, case, visit, task, care_callback, claim_form, "
                                                  "claim_photo or roster_shift."})
    branch = fields.String(allow_none=True)
    case_id = fields.Integer(allow_none=True)
    dispatch_id = fields.Integer(allow_none=True)
    report_number = fields.String(allow_none=True)
    closed_at = Timestamp(allow_none=True)
    line = fields.String(allow_none=True)
    coverage = fields.String(allow_none=True)
    at = Timestamp(allow_none=True, metadata={"description": "When the record falls in the period (first dispatch, "
                                                             "report, extraction, shift start)."})
    contact = fields.String(allow_none=True)
    arrival = fields.String(allow_none=True)
    notice = fields.Boolean(allow_none=True)
    contact_cause = fields.String(allow_none=True)
    arrival_cause = fields.String(allow_none=True)
    report_to_dispatch_min = fields.Float(allow_none=True)
    to_contact_min = fields.Float(allow_none=True)
    to_arrive_min = fields.Float(allow_none=True)
    visit_id = fields.UUID(allow_none=True)
    task_id = fields.Integer(allow_none=True)
    owner_id = fields.Integer(allow_none=True)
    day = fields.Date(allow_none=True)
    item = fields.String(allow_none=True)
    outcome = fields.String(allow_none=True)
    reason = fields.String(allow_none=True, metadata={"description": "Why an item was not met, or why a case was "
                                                                     "extracted for the care callback."})
    first_meeting = fields.Boolean(allow_none=True)
    distance_m = fields.Float(allow_none=True)
    location_check = fields.String(allow_none=True)
    follow_up_id = fields.Integer(allow_none=True)
    status = fields.String(allow_none=True)
    for_chief = fields.Boolean(allow_none=True)
    failed_attempts = fields.Integer(allow_none=True)
    contradicts_clocks = fields.Boolean(allow_none=True)
    form_id = fields.UUID(allow_none=True)
    sealed_at = Timestamp(allow_none=True)
    same_day = fields.Boolean(allow_none=True)
    complete = fields.Boolean(allow_none=True)
    missing = fields.List(fields.String(), allow_none=True)
    attachment_id = fields.Integer(allow_none=True)
    photo_kind = fields.String(allow_none=True)
    far = fields.Boolean(allow_none=True)
    shift_id = fields.Integer(allow_none=True)
    ends_at = Timestamp(allow_none=True)
    surveyors = fields.Integer(allow_none=True)
