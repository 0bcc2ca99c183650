"""HTTP routes: claim forms, their attachments, the document receipt, sealing and verification."""

from __future__ import annotations

from flask import current_app, render_template, request, send_file
from flask.views import MethodView
from flask_smorest.fields import Upload as UploadField

from field_api.access import Blueprint, current_actor
from field_api.accounts.models import Role
from field_api.claims import attachments, receipt_pdf, seals, service
from field_api.claims.models import AttachmentKind
from field_api.claims.rules import ClaimRules
from field_api.clock import current_clock
from field_api.extensions import db
from field_api.media import limit_upload_body
from field_api.pagination import Presented, SelectPage
from field_api.revisions import Outcome, etag, with_current
from schemas.claims import (AttachmentFileQueryArgsSchema, AttachmentFormSchema, ClaimAttachmentSchema,
                            ClaimFormQueryArgsSchema,
                            ClaimFormPutSchema, ClaimFormSchema, ReceiptQueryArgsSchema, ReceiptSchema, SealSchema,
                            VerdictSchema)
from schemas.common import BaseSchema
from schemas.geo import canonical_datum
from schemas.visits import SHA256

blp = Blueprint("claim_forms", __name__, url_prefix="/api/v1/claim-forms",
                description="Claim application forms (索赔申请书) filled on site, their documents, receipts and seals.")
READERS = (Role.SURVEYOR, Role.COORDINATOR, Role.MANAGER, Role.ADMIN)
ETAG_HEADER = {"ETag": {"description": "The form's version, for If-Match.", "schema": {"type": "string"}}}
IMAGE_TYPES = ("image/jpeg", "image/png", "image/heic", "application/json")


class AttachmentFileSchema(BaseSchema):
    """The uploaded image (JPEG, PNG or HEIC; a signature is a PNG; checked by decoding it)."""

    file = UploadField(required=True)


def _rules() -> ClaimRules:
    return ClaimRules.from_config(current_app.config)


@blp.route("")
class ClaimForms(MethodView):
    @blp.login_required(*READERS)
    @blp.arguments(ClaimFormQueryArgsSchema, location="query")
    @blp.response(200, ClaimFormSchema(many=True))
    @blp.paginate(SelectPage)
    def get(self, filters):
        """List the claim forms the caller may see (surveyors: their own; desk roles: their subtree), newest first."""
        query = service.list_forms(actor=current_actor(), filters=filters)
        return Presented(query, lambda form: service.present(db.session, form))


@blp.route("/<uuid:form_id>")
class ClaimFormById(MethodView):
    @blp.login_required(*READERS)
    @blp.response(200, ClaimFormSchema, headers=ETAG_HEADER)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, form_id):
        """Return a claim form with its attachments, what is still missing (中文/English) and what is on its way."""
        form = service.get_form(db.session, actor=current_actor(), form_id=form_id)
        return form, 200, {"ETag": etag(form.version)}

    @blp.login_required(Role.SURVEYOR)
    @blp.arguments(ClaimFormPutSchema)
    @blp.response(200, ClaimFormSchema, headers=ETAG_HEADER, description="Updated, or unchanged")
    @blp.alt_response(201, schema=ClaimFormSchema, headers=ETAG_HEADER, description="Created")
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT")
    @blp.alt_response(412, response="PRECONDITION_FAILED")
    @blp.alt_response(428, response="PRECONDITION_REQUIRED")
    @with_current(ClaimFormSchema())
    def put(self, data, form_id):
        """Create a claim form with the phone's UUID, or update it (If-Match); an identical body changes nothing."""
        form, outcome = service.put_form(db.session, actor=current_actor(), now=current_clock().now(), rules=_rules(),
                                         form_id=form_id, data=data, if_match=request.headers.get("If-Match"))
        return form, 201 if outcome is Outcome.CREATED else 200, {"ETag": etag(form.version)}


@blp.route("/<uuid:form_id>/attachments")
class ClaimAttachments(MethodView):
    decorators = [limit_upload_body(room=1024 * 1024)]  # stroke data and the fields get room

    @blp.login_required(Role.SURVEYOR)
    @blp.arguments(AttachmentFormSchema, location="form")
    @blp.arguments(AttachmentFileSchema, location="files")
    @blp.response(200, ClaimAttachmentSchema, description="Already stored (a retried upload)")
    @blp.alt_response(201, schema=ClaimAttachmentSchema, description="Stored")
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT")
    @blp.alt_response(413, response="REQUEST_ENTITY_TOO_LARGE")
    @blp.alt_response(415, response="UNSUPPORTED_MEDIA_TYPE")
    def post(self, form, files, form_id):
        """Upload a photo, signature, seal or document of the form (multipart `file`); the form may come later."""
        upload = attachments.Upload(stream=files["file"].stream, filename=files["file"].filename,
                                    kind=AttachmentKind(form["kind"]), device_time=form["device_time"],
                                    fix=form["fix"], signer=form["signer"], strokes=form["strokes"])
        attachment, outcome = attachments.add_attachment(db.session, actor=current_actor(), now=current_clock().now(),
                                                         rules=_rules(), canonical=canonical_datum.get(),
                                                         form_id=form_id, upload=upload)
        return attachment, 201 if outcome is Outcome.CREATED else 200


@blp.route("/<uuid:form_id>/attachments/<string:sha256>")
class ClaimAttachmentFile(MethodView):
    @blp.login_required(*READERS)
    @blp.arguments(AttachmentFileQueryArgsSchema, location="query")
    @blp.doc(responses={"200": {"description": "The file", "content": {
        ct: {"schema": {"type": "string", "format": "binary"}} for ct in IMAGE_TYPES}}})
    @blp.alt_response(403, response="FORBIDDEN")
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, args, form_id, sha256):
        """Return an attachment; ID and bankbook copies only to their surveyor and the branch's desk (audited)."""
        if SHA256.regex.match(sha256) is None:
            sha256 = "0" * 64  # never stored: answers 404 like any other unknown one
        path, content_type, tag = attachments.attachment_file(
            db.session, actor=current_actor(), now=current_clock().now(), rules=_rules(), form_id=form_id,
            sha256=sha256, variant=args["variant"])
        response = send_file(path, mimetype=content_type, etag=tag, max_age=0, conditional=True)
        response.headers["Cache-Control"] = "private, no-store"
        return response


@blp.route("/<uuid:form_id>/receipt")
class ClaimReceipt(MethodView):
    @blp.login_required(*READERS)
    @blp.arguments(ReceiptQueryArgsSchema, location="query")
    @blp.response(200, ReceiptSchema, content_type="application/json")
    @blp.doc(responses={"200": {"description": "The receipt", "content": {
        "application/json": {"schema": ReceiptSchema}, "text/html": {"schema": {"type": "string"}},
        "application/pdf": {"schema": {"type": "string", "format": "binary"}}}}})
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, args, form_id):
        """The document receipt (资料接收回执): received, missing, responsible person and expected payout date."""
        body = service.receipt(db.session, actor=current_actor(), now=current_clock().now(), rules=_rules(),
                               form_id=form_id)
        if args["format"] == "html":
            page = render_template("claims/receipt.html", receipt=ReceiptSchema().dump(body))
            return current_app.response_class(page, mimetype="text/html")
        if args["format"] == "pdf":
            return current_app.response_class(receipt_pdf.render(ReceiptSchema().dump(body)),
                                              mimetype="application/pdf")
        return body


@blp.route("/<uuid:form_id>/seal")
class ClaimSeal(MethodView):
    @blp.login_required(Role.SURVEYOR)
    @blp.response(200, SealSchema, description="Already sealed")
    @blp.alt_response(201, schema=SealSchema, description="Sealed")
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT")
    def post(self, form_id):
        """Seal a form the party has signed (HMAC chained to the branch's previous seal); refused while uploads lag."""
        seal, outcome = seals.seal_form(db.session, actor=current_actor(), now=current_clock().now(), rules=_rules(),
                                        form_id=form_id)
        return seal, 201 if outcome is Outcome.CREATED else 200


@blp.route("/<uuid:form_id>/verify")
class ClaimVerify(MethodView):
    @blp.login_required(*READERS)
    @blp.response(200, VerdictSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, form_id):
        """Recompute a sealed form's digest from its stored row and files, and check the branch's chain of seals."""
        return seals.verify_form(db.session, actor=current_actor(), rules=_rules(), form_id=form_id)


def register(api) -> None:
    """Register this domain's blueprint."""
    api.register_blueprint(blp)
