"""Visits: the phone's body (with check-in/out fixes in any datum), sync batches, photos, follow-ups, and replies."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from marshmallow import ValidationError, fields, validate

from schemas.checklists import PURPOSES
from schemas.clients import PointOutSchema, point_out
from schemas.common import BaseSchema, Timestamp, text, MAX_ID, record_id
from schemas.geo import PointSchema

RESULTS = ("done", "not_done", "excluded")
OBJECTION_CATEGORIES = ("rational", "emotional", "tactical")
STATUSES = ("draft", "submitted")
SYNC_RESULTS = ("created", "updated", "unchanged", "conflict", "invalid")
SHA256 = validate.Regexp(r"^[0-9a-f]{64}$", error="A lower-case hex SHA-256.")
MAX_SYNC = 100


class FixSchema(PointSchema):
    """A position fix from the phone: where (in its datum), how accurate, and the device's time."""

    accuracy_m = fields.Float(required=True, allow_nan=False, validate=validate.Range(min=0, max=100_000))
    at = Timestamp(required=True, metadata={"description": "The device's time, with its offset."})


class ChecklistRefSchema(BaseSchema):
    """The checklist version a visit is recorded with."""

    code = text(64, required=True)
    version = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=MAX_ID))


class AnswerSchema(BaseSchema):
    """The answer to one checklist item."""

    item = text(64, required=True)
    result = fields.String(required=True, validate=validate.OneOf(RESULTS))
    exclusion = text(64, load_default=None, allow_none=True,
                     metadata={"description": "With `excluded`: one of the item's exclusions."})
    sub_checks = fields.Dict(keys=fields.String(validate=validate.Length(max=64)), values=fields.Boolean(),
                             load_default=None, allow_none=True,
                             metadata={"description": "With `done`: every sub-check of the item, true or false."})
    note = text(1000, load_default=None, allow_none=True)


class ObjectionSchema(BaseSchema):
    """An objection the client raised (the standard's categories) and how it was resolved."""

    category = fields.String(required=True, validate=validate.OneOf(OBJECTION_CATEGORIES))
    text = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    resolution = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=2000),
                               metadata={"description": "How it was resolved; null: unresolved"})


class PhotoRefSchema(BaseSchema):
    """A photo the phone holds for the visit (uploaded separately)."""

    sha256 = fields.String(required=True, validate=SHA256)
    item = text(64, load_default=None, allow_none=True, metadata={"description": "The item it is evidence for."})


class VisitPutSchema(BaseSchema):
    """A visit as the phone records it."""

    client_id = fields.UUID(required=True)
    checklist = fields.Nested(ChecklistRefSchema, load_default=None, allow_none=True,
                              metadata={"description": "Default: the newest version when the visit is created."})
    purpose = fields.String(required=True, validate=validate.OneOf(PURPOSES))
    status = fields.String(load_default="draft", validate=validate.OneOf(STATUSES))
    check_in = fields.Nested(FixSchema, required=True)
    check_out = fields.Nested(FixSchema, load_default=None, allow_none=True)
    answers = fields.List(fields.Nested(AnswerSchema), load_default=list, validate=validate.Length(max=100))
    objections = fields.List(fields.Nested(ObjectionSchema), load_default=list, validate=validate.Length(max=50))
    notes = text(4000, load_default=None, allow_none=True)
    photos = fields.List(fields.Nested(PhotoRefSchema), load_default=list, validate=validate.Length(max=50))
    amends = fields.UUID(load_default=None, allow_none=True,
                         metadata={"description": "The submitted visit this one corrects (set when created)."})
    amendment_reason = text(400, load_default=None, allow_none=True)


class VisitAmendmentSchema(VisitPutSchema):
    """A correction of a submitted visit: a new visit with its own phone-made UUID."""

    class Meta(VisitPutSchema.Meta):
        exclude = ("amends",)

    id = fields.UUID(required=True)


class VisitSyncItemSchema(VisitPutSchema):
    """One visit of a sync batch, with the version the phone last saw."""

    id = fields.UUID(required=True)
    base_version = fields.Integer(load_default=None, allow_none=True, strict=True,
                                  validate=validate.Range(min=1, max=MAX_ID),
                                  metadata={"description": "Needed to change a stored visit (as If-Match)."})


@dataclass(frozen=True)
class Rejected:
    """A batch item that did not match its schema."""

    raw: Any
    errors: Any

    @property
    def id(self) -> str | None:
        """The id the item claimed, if any."""
        value = self.raw.get("id") if isinstance(self.raw, dict) else None
        return value if isinstance(value, str) else None


class EachOnItsOwn(fields.Nested):
    """A nested item whose schema errors are kept beside it instead of failing the whole list."""

    def deserialize(self, value, attr=None, data=None, **kwargs):
        try:
            return super().deserialize(value, attr, data, **kwargs)
        except ValidationError as error:
            return Rejected(value, error.messages)


class VisitSyncSchema(BaseSchema):
    """Up to 100 visits from a phone coming back online."""

    visits = fields.List(EachOnItsOwn(VisitSyncItemSchema), required=True,
                         validate=validate.Length(min=1, max=MAX_SYNC))


class VisitPhotoSchema(BaseSchema):
    """A received photo of a visit."""

    sha256 = fields.String(dump_only=True)
    item = fields.String(attribute="item_code", dump_only=True, allow_none=True)
    content_type = fields.String(dump_only=True)
    size = fields.Integer(dump_only=True)
    width = fields.Integer(dump_only=True)
    height = fields.Integer(dump_only=True)
    taken_at = Timestamp(dump_only=True, allow_none=True)
    received_at = Timestamp(dump_only=True)


class FixOutSchema(PointOutSchema):
    """A stored fix: canonical-datum position, accuracy, the device's time and the server's receive time."""

    accuracy_m = fields.Float()
    at = Timestamp()
    received_at = Timestamp()


def _fix(visit: Any, name: str) -> dict[str, Any] | None:
    point = point_out(getattr(visit, f"{name}_lat"), getattr(visit, f"{name}_lon"))
    if point is None:
        return None
    return {**point, "accuracy_m": getattr(visit, f"{name}_accuracy_m"), "at": getattr(visit, f"{name}_at"),
            "received_at": getattr(visit, f"{name}_received_at")}


class ItemOutcomeSchema(BaseSchema):
    """How one item scored."""

    item = fields.String()
    title_zh = fields.String()
    title_en = fields.String()
    outcome = fields.String(metadata={"description": "met, missed, excused or not_applicable"})
    reason = fields.String(allow_none=True)


class ComplianceSchema(BaseSchema):
    """A visit's compliance with its checklist version."""

    items = fields.List(fields.Nested(ItemOutcomeSchema))
    met = fields.Integer()
    missed = fields.Integer()
    excused = fields.Integer()
    not_applicable = fields.Integer()
    share_met = fields.Float(allow_none=True, metadata={"description": "met / (met + missed); null when neither"})


def _compliance(visit: Any) -> dict[str, Any]:
    titles = {item.code: item for item in visit.checklist.items}
    items = [{"item": o.item_code, "title_zh": titles[o.item_code].title_zh, "title_en": titles[o.item_code].title_en,
              "outcome": o.outcome, "reason": o.reason} for o in visit.outcomes]
    return {"items": items, "met": visit.met_count, "missed": visit.missed_count, "excused": visit.excused_count,
            "not_applicable": visit.not_applicable_count, "share_met": visit.share_met}


class VisitSchema(BaseSchema):
    """A visit as stored, with what the server derived: first meeting, distance, duration, compliance."""

    id = fields.UUID(dump_only=True)
    client_id = fields.UUID(dump_only=True)
    salesperson_id = fields.Integer(attribute="owner_id", dump_only=True)
    branch_code = fields.Function(lambda v: v.branch.code, dump_only=True)
    checklist = fields.Function(lambda v: {"code": v.checklist.code, "version": v.checklist.number},
                                dump_only=True, metadata={"type": "object"})
    purpose = fields.Function(lambda v: v.purpose.value, dump_only=True)
    status = fields.Function(lambda v: v.status.value, dump_only=True)
    check_in = fields.Method("_check_in", dump_only=True, metadata={"type": "object"})
    check_out = fields.Method("_check_out", dump_only=True, allow_none=True, metadata={"type": "object"})
    visit_date = fields.Date(dump_only=True, metadata={"description": "Local date of check-in in the branch"})
    answers = fields.List(fields.Nested(AnswerSchema), dump_only=True)
    objections = fields.List(fields.Nested(ObjectionSchema), dump_only=True)
    notes = fields.String(dump_only=True, allow_none=True)
    photos = fields.List(fields.Nested(VisitPhotoSchema), dump_only=True)
    awaiting_photos = fields.Function(
        lambda v: [p["sha256"] for p in v.photo_manifest if p["sha256"] not in {x.sha256 for x in v.photos}],
        dump_only=True, metadata={"type": "array", "items": {"type": "string"}})
    is_first_meeting = fields.Boolean(dump_only=True)
    distance_m = fields.Float(dump_only=True, allow_none=True)
    location_check = fields.String(dump_only=True, metadata={"description": "near, far (flagged), uncertain, unknown"})
    distance_flagged = fields.Function(lambda v: v.location_check == "far", dump_only=True)
    duration_s = fields.Integer(dump_only=True, allow_none=True)
    compliance = fields.Function(_compliance, dump_only=True, metadata={"type": "object"})
    amends = fields.UUID(attribute="amends_id", dump_only=True, allow_none=True)
    superseded_by = fields.UUID(attribute="superseded_by_id", dump_only=True, allow_none=True)
    amendment_reason = fields.String(dump_only=True, allow_none=True)
    version = fields.Integer(dump_only=True)
    created_at = Timestamp(dump_only=True)
    updated_at = Timestamp(dump_only=True)
    submitted_at = Timestamp(dump_only=True, allow_none=True)

    def _check_in(self, visit: Any) -> dict[str, Any] | None:
        return FixOutSchema().dump(_fix(visit, "check_in"))

    def _check_out(self, visit: Any) -> dict[str, Any] | None:
        fix = _fix(visit, "check_out")
        return None if fix is None else FixOutSchema().dump(fix)


class VisitQueryArgsSchema(BaseSchema):
    """Filters of the visit list; dates are local to each visit's branch."""

    salesperson_id = record_id()
    client_id = fields.UUID(metadata={"description": "Includes the visits of duplicates merged into it."})
    date_from = fields.Date()
    date_to = fields.Date()
    status = fields.String(validate=validate.OneOf(STATUSES))
    purpose = fields.String(validate=validate.OneOf(PURPOSES))
    has_missed_items = fields.Boolean()
    first_meeting = fields.Boolean()
    include_superseded = fields.Boolean()


class SyncResultSchema(BaseSchema):
    """What happened to one visit of a batch."""

    id = fields.String(allow_none=True)
    result = fields.String(validate=validate.OneOf(SYNC_RESULTS))
    version = fields.Integer(allow_none=True)
    message = fields.String(allow_none=True)
    errors = fields.Raw(allow_none=True)
    visit = fields.Nested(VisitSchema, allow_none=True,
                          metadata={"description": "The stored visit (for a conflict: the current one)."})


class SyncReplySchema(BaseSchema):
    """The result of every visit of a batch, in the order sent."""

    results = fields.List(fields.Nested(SyncResultSchema))


class PhotoFormSchema(BaseSchema):
    """The form fields beside an uploaded photo."""

    item = text(64, load_default=None, metadata={"description": "The checklist item it is evidence for."})
    taken_at = Timestamp(load_default=None, metadata={"description": "The device's capture time."})


class TaskSchema(BaseSchema):
    """A follow-up on a client and how it scores against its due date."""

    id = fields.Integer()
    client_id = fields.UUID()
    visit_id = fields.UUID()
    salesperson_id = fields.Integer()
    item = fields.Dict()
    due_on = fields.Date()
    done_on = fields.Date(allow_none=True)
    done_via = fields.String(allow_none=True)
    outcome = fields.String(metadata={"description": "pending, met, missed or cancelled"})
    cancelled_at = Timestamp(allow_none=True)
    created_at = Timestamp()


class TaskQueryArgsSchema(BaseSchema):
    """Filters of the follow-up list."""

    client_id = fields.UUID()
    salesperson_id = record_id()
    open = fields.Boolean(metadata={"description": "true: not yet sent and not cancelled"})
    due_before = fields.Date()


class TaskDoneSchema(BaseSchema):
    """When and how a follow-up was sent."""

    done_on = fields.Date(required=True)
    via = fields.String(required=True, validate=validate.OneOf(("post", "in_person")))


