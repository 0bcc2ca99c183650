"""Claim forms: the phone's body with its attachment manifest, attachment uploads, the receipt, seals and verdicts."""

from __future__ import annotations

import json
from marshmallow import ValidationError, fields, validate, validates_schema

from schemas.clients import PointOutSchema, point_out
from schemas.common import BaseSchema, Timestamp, record_id, text
from schemas.visits import SHA256, FixSchema

KINDS = ("scene", "vehicle_damage", "injury", "party_signature", "company_seal", "id_copy", "passbook_copy",
         "payment_receipt", "other")
SIGNER_ROLES = ("party", "insured", "insured_representative", "other")
VARIANTS = ("original", "thumbnail", "strokes")
MAX_STROKES_CHARS = 512 * 1024
MAX_AMOUNT = 999_999_999_999
AMOUNT_OUT = {"type": "string", "description": "CNY, two decimals"}


class ManifestEntrySchema(BaseSchema):
    """A file the phone holds for the form (uploaded separately)."""

    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    sha256 = fields.String(required=True, validate=SHA256)


class PartySchema(BaseSchema):
    """The party concerned (当事人) who signs the form."""

    name = text(120, load_default=None, allow_none=True)
    phone = text(32, load_default=None, allow_none=True)
    id_number = text(32, load_default=None, allow_none=True, metadata={"description": "ID card number"})


class InsuredSchema(BaseSchema):
    """The insured: a person, or an organization (which must seal the form)."""

    kind = fields.String(required=True, validate=validate.OneOf(("person", "organization")))
    name = text(200, load_default=None, allow_none=True)


class ClaimFormPutSchema(BaseSchema):
    """A claim application form (索赔申请书) as the phone records it."""

    dispatch_id = record_id(required=True)
    account = text(20_000, load_default=None, allow_none=True, metadata={"description": "Full account of the accident"})
    party = fields.Nested(PartySchema, load_default=None, allow_none=True)
    insured = fields.Nested(InsuredSchema, required=True)
    amount = fields.Decimal(places=2, load_default=None, allow_none=True, allow_nan=False,
                            metadata={"description": "Estimated loss or claim amount in CNY (0 to 999,999,999,999.99)",
                                      "minimum": 0, "maximum": MAX_AMOUNT})
    payment_method = fields.String(required=True, validate=validate.OneOf(("transfer", "other")))
    date = fields.Date(load_default=None, allow_none=True, metadata={"description": "The date on the form"})
    notice_handed_at = Timestamp(load_default=None, allow_none=True,
                                 metadata={"description": "When the claim notice (索赔须知) was handed over"})
    notes = text(4000, load_default=None, allow_none=True)
    attachments = fields.List(fields.Nested(ManifestEntrySchema), load_default=list, validate=validate.Length(max=100),
                              metadata={"description": "Every file the phone holds for the form"})
    corrects = fields.UUID(load_default=None, allow_none=True,
                           metadata={"description": "The sealed form this one corrects (set when created)."})

    @validates_schema
    def _amount_in_range(self, data, **kwargs):
        if data.get("amount") is not None and not 0 <= data["amount"] <= MAX_AMOUNT:
            raise ValidationError(f"From 0 to {MAX_AMOUNT}.", field_name="amount")

    @validates_schema
    def _unique_files(self, data, **kwargs):
        hashes = [entry["sha256"] for entry in data.get("attachments", [])]
        if len(hashes) != len(set(hashes)):
            raise ValidationError("Each file is listed once.", field_name="attachments")


class JsonNested(fields.Nested):
    """A nested object sent as a JSON string in a multipart form."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except (ValueError, RecursionError):
                raise ValidationError("Not JSON.") from None
        return super()._deserialize(value, attr, data, **kwargs)


class SignerSchema(BaseSchema):
    """Who signed, as what, and when (the device's time)."""

    name = text(120, required=True)
    role = fields.String(load_default="party", validate=validate.OneOf(SIGNER_ROLES))
    signed_at = Timestamp(load_default=None, allow_none=True)


class AttachmentFormSchema(BaseSchema):
    """The form fields beside an uploaded attachment."""

    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    device_time = Timestamp(load_default=None, metadata={"description": "The device's capture time."})
    fix = JsonNested(FixSchema, load_default=None, metadata={"description": "Where the phone was (JSON, any datum)."})
    signer = JsonNested(SignerSchema, load_default=None,
                        metadata={"description": "With party_signature (required there): the signer (JSON)."})
    strokes = fields.String(load_default=None, validate=validate.Length(max=MAX_STROKES_CHARS),
                            metadata={"description": "With party_signature: the signature pad's stroke data (JSON)."})

    @validates_schema
    def _signature(self, data, **kwargs):
        signature = data.get("kind") == "party_signature"
        if signature and data.get("signer") is None:
            raise ValidationError("A signature names its signer.", field_name="signer")
        for name in ("signer", "strokes"):
            if not signature and data.get(name) is not None:
                raise ValidationError("Only with a party_signature.", field_name=name)
        if data.get("strokes") is not None:
            try:
                data["strokes"] = json.loads(data["strokes"])
            except (ValueError, RecursionError):
                raise ValidationError("Not JSON.", field_name="strokes") from None


class AttachmentFileQueryArgsSchema(BaseSchema):
    """Which file of an attachment to return."""

    variant = fields.String(load_default="original", validate=validate.OneOf(VARIANTS),
                            metadata={"description": "original (EXIF stripped for all but its uploader), "
                                                     "thumbnail (not for ID or bankbook copies) or strokes"})


class ReceiptQueryArgsSchema(BaseSchema):
    """The receipt as JSON, as a printable page or as a PDF."""

    format = fields.String(load_default="json", validate=validate.OneOf(("json", "html", "pdf")))


def _point(lat_attr: str, lon_attr: str):
    return fields.Function(lambda a: PointOutSchema().dump(point_out(getattr(a, lat_attr), getattr(a, lon_attr)))
                           if getattr(a, lat_attr) is not None else None,
                           dump_only=True, allow_none=True, metadata={"type": "object"})


class ClaimAttachmentSchema(BaseSchema):
    """A received attachment, with what the server read from it and found about it."""

    kind = fields.Function(lambda a: a.kind.value, dump_only=True)
    sha256 = fields.String(dump_only=True)
    content_type = fields.String(dump_only=True)
    size = fields.Integer(dump_only=True)
    width = fields.Integer(dump_only=True)
    height = fields.Integer(dump_only=True)
    has_thumbnail = fields.Function(lambda a: a.thumbnail_sha256 is not None, dump_only=True)
    device_time = Timestamp(dump_only=True, allow_none=True)
    fix = _point("fix_lat", "fix_lon")
    fix_accuracy_m = fields.Float(dump_only=True, allow_none=True)
    exif_taken_at = Timestamp(dump_only=True, allow_none=True)
    exif_position = _point("exif_lat", "exif_lon")
    site_distance_m = fields.Float(dump_only=True, allow_none=True)
    flags = fields.List(fields.String(), dump_only=True,
                        metadata={"description": "far_from_site, taken_before_dispatch"})
    signer = fields.Function(lambda a: None if a.signer_name is None else {"name": a.signer_name,
                                                                          "role": a.signer_role},
                             dump_only=True, allow_none=True, metadata={"type": "object"})
    has_strokes = fields.Function(lambda a: a.strokes_sha256 is not None, dump_only=True)
    received_at = Timestamp(dump_only=True)


class MissingSchema(BaseSchema):
    """One thing the form still lacks, in Chinese and English."""

    code = fields.String()
    zh = fields.String()
    en = fields.String()


class ClaimFormQueryArgsSchema(BaseSchema):
    """Filters of the claim-form list."""

    dispatch_id = record_id()
    case_id = record_id()
    surveyor_id = record_id()
    sealed = fields.Boolean()
    complete = fields.Boolean(metadata={"description": "Every document the standard asks for was received."})
    include_corrected = fields.Boolean(metadata={"description": "Also list forms replaced by a correction."})


class ClaimFormSchema(BaseSchema):
    """A claim form as stored, with its attachments, what is missing and what is still on its way."""

    id = fields.UUID(dump_only=True)
    dispatch_id = fields.Integer(dump_only=True)
    case_id = fields.Function(lambda f: f.dispatch.case_id, dump_only=True)
    surveyor_id = fields.Integer(dump_only=True)
    branch_code = fields.Function(lambda f: f.branch.code, dump_only=True)
    line = fields.Function(lambda f: f.dispatch.case.line.value, dump_only=True)
    account = fields.String(dump_only=True, allow_none=True)
    party = fields.Function(lambda f: {"name": f.party_name, "phone": f.party_phone, "id_number": f.party_id_number},
                            dump_only=True, metadata={"type": "object"})
    insured = fields.Function(lambda f: {"kind": f.insured_kind.value, "name": f.insured_name}, dump_only=True,
                              metadata={"type": "object"})
    amount = fields.Decimal(places=2, as_string=True, dump_only=True, allow_none=True, metadata=AMOUNT_OUT)
    payment_method = fields.Function(lambda f: f.payment_method.value, dump_only=True)
    date = fields.Date(attribute="form_date", dump_only=True, allow_none=True)
    notice_handed_at = Timestamp(dump_only=True, allow_none=True)
    notes = fields.String(dump_only=True, allow_none=True)
    manifest = fields.List(fields.Nested(ManifestEntrySchema), dump_only=True)
    attachments = fields.List(fields.Nested(ClaimAttachmentSchema), attribute="received", dump_only=True)
    awaiting_uploads = fields.List(fields.Nested(ManifestEntrySchema), attribute="awaiting", dump_only=True)
    missing = fields.List(fields.Nested(MissingSchema), attribute="missing_items", dump_only=True)
    complete = fields.Function(lambda f: not f.missing and not f.awaiting, dump_only=True)
    documents_complete_at = Timestamp(dump_only=True, allow_none=True)
    corrects = fields.UUID(attribute="corrects_id", dump_only=True, allow_none=True)
    corrected_by = fields.UUID(attribute="corrected_by_id", dump_only=True, allow_none=True)
    sealed_at = Timestamp(dump_only=True, allow_none=True)
    version = fields.Integer(dump_only=True)
    created_at = Timestamp(dump_only=True)
    updated_at = Timestamp(dump_only=True)


class SealSchema(BaseSchema):
    """A form's seal: its place in the branch's chain and its HMAC."""

    form_id = fields.UUID(dump_only=True)
    sequence = fields.Integer(dump_only=True)
    digest = fields.String(dump_only=True)
    previous_digest = fields.String(dump_only=True, allow_none=True)
    sealed_at = Timestamp(dump_only=True)


class VerdictSchema(BaseSchema):
    """What verification found."""

    form_id = fields.String()
    sealed = fields.Boolean()
    valid = fields.Boolean()
    seal = fields.Nested(SealSchema, allow_none=True)
    problems = fields.List(fields.Dict(), metadata={"description": "code (digest_mismatch, file_altered, "
                                                                   "file_missing, chain_gap, chain_broken, "
                                                                   "row_altered, not_sealed), message, details"})


class ReceiptSchema(BaseSchema):
    """The document receipt (资料接收回执)."""

    form_id = fields.UUID()
    report_number = fields.String()
    line = fields.String()
    customer_class = fields.String(metadata={"description": "vip or ordinary"})
    insured_name = fields.String(allow_none=True)
    party_name = fields.String(allow_none=True)
    amount = fields.Decimal(places=2, as_string=True, allow_none=True, metadata=AMOUNT_OUT)
    status = fields.String(metadata={"description": "complete or incomplete"})
    received = fields.List(fields.Dict())
    missing = fields.List(fields.Nested(MissingSchema))
    awaiting_uploads = fields.List(fields.Nested(ManifestEntrySchema))
    responsible_person = fields.Dict()
    enquiry_phone = fields.String()
    expected_payout = fields.Dict(allow_none=True, metadata={
        "description": "date, working_days, counted_from, rule_zh, rule_en, calendar (chinese_calendar or "
                       "weekends_only for years the calendar does not know); null while documents are missing"})
    message_zh = fields.String()
    message_en = fields.String()
    issued_at = Timestamp()
