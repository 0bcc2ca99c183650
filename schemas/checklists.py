"""Checklist templates: versions, their items, and a new version as an admin publishes it."""

from __future__ import annotations

from marshmallow import fields, validate

from schemas.common import BaseSchema, Timestamp, text

PURPOSES = ("prospecting", "product_presentation", "application", "policy_delivery", "service_call")
TIMINGS = ("first_meeting", "every_visit", "policy_delivery", "after_policy_delivery")
ANSWER_TYPES = ("done", "done_with_sub_checks", "sent_date")
CODE = validate.Regexp(r"^[a-z][a-z0-9_]{1,63}$", error="Use 2-64 lower-case letters, digits or '_'.")


class ChecklistEntrySchema(BaseSchema):
    """A sub-check or an allowed exclusion, in the standard's words."""

    code = fields.String(required=True, validate=CODE)
    zh = text(400, required=True)
    en = text(400, required=True)


class ChecklistItemSchema(BaseSchema):
    """One item of a checklist: what counts, when it applies, the exclusions the standard allows."""

    code = fields.String(required=True, validate=CODE)
    standard_item = text(16, load_default=None, allow_none=True, metadata={"description": "e.g. S1, U6"})
    article = text(64, load_default=None, allow_none=True, metadata={"description": "e.g. 第八条(一)"})
    title_zh = text(200, required=True)
    title_en = text(200, required=True)
    requirement_zh = text(2000, load_default=None, allow_none=True)
    requirement_en = text(2000, load_default=None, allow_none=True)
    applies_at = fields.String(required=True, validate=validate.OneOf(TIMINGS), metadata={
        "description": "first_meeting (derived from the client's history), every_visit, policy_delivery, "
                       "or after_policy_delivery (a follow-up task on the client)"})
    purposes = fields.List(fields.String(validate=validate.OneOf(PURPOSES)), required=True,
                           validate=validate.Length(min=1))
    answer_type = fields.String(required=True, validate=validate.OneOf(ANSWER_TYPES))
    photo_required = fields.Boolean(load_default=False)
    sub_checks = fields.List(fields.Nested(ChecklistEntrySchema), load_default=list,
                             validate=validate.Length(max=30))
    exclusions = fields.List(fields.Nested(ChecklistEntrySchema), load_default=list,
                             validate=validate.Length(max=30))
    exclusions_note_zh = text(400, load_default=None, allow_none=True)
    exclusions_note_en = text(400, load_default=None, allow_none=True)


class ChecklistSummarySchema(BaseSchema):
    """A checklist version without its items."""

    code = fields.String(dump_only=True)
    version = fields.Integer(attribute="number", dump_only=True)
    title_zh = fields.String(dump_only=True)
    title_en = fields.String(dump_only=True)
    source = fields.String(dump_only=True, allow_none=True)
    published_at = Timestamp(dump_only=True)
    published_by_id = fields.Integer(dump_only=True, allow_none=True)


class ChecklistVersionSchema(ChecklistSummarySchema):
    """A checklist version with its items."""

    items = fields.List(fields.Nested(ChecklistItemSchema), dump_only=True)


class ChecklistPublishSchema(BaseSchema):
    """A new version of a template: its number (the next one) and its full content."""

    version = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=2**31 - 1))
    title_zh = text(200, required=True)
    title_en = text(200, required=True)
    source = text(400, load_default=None, allow_none=True)
    items = fields.List(fields.Nested(ChecklistItemSchema), required=True, validate=validate.Length(min=1, max=50))
