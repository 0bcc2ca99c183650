"""HTTP routes: visits (create-or-update, amendments, list), the sync batch and visit photos."""

from __future__ import annotations

from flask import current_app, request, send_file
from flask.views import MethodView
from flask_smorest.fields import Upload

from field_api.access import Blueprint, current_actor
from field_api.accounts.models import Role
from field_api.clock import current_clock
from field_api.extensions import db
from field_api.media import limit_upload_body
from field_api.pagination import SelectPage
from field_api.revisions import Outcome, etag, with_current
from field_api.visits import checklist_routes, photos, service, sync
from field_api.visits.derivation import VisitRules
from schemas.common import BaseSchema
from schemas.visits import (SHA256, PhotoFormSchema, Rejected, SyncReplySchema, VisitAmendmentSchema,
                            VisitPhotoSchema, VisitPutSchema, VisitQueryArgsSchema, VisitSchema, VisitSyncSchema)

visits = Blueprint("visits", __name__, url_prefix="/api/v1/visits", description="Salespeople's client visits.")
visit_sync = Blueprint("visit_sync", __name__, url_prefix="/api/v1/sync", description="Offline phones catching up.")
READERS = (Role.SALESPERSON, Role.COORDINATOR, Role.MANAGER, Role.ADMIN)
ETAG_HEADER = {"ETag": {"description": "The visit's version, for If-Match.", "schema": {"type": "string"}}}


class PhotoFileSchema(BaseSchema):
    """The uploaded photo (JPEG, PNG or HEIC; checked by decoding it)."""

    file = Upload(required=True)


def _rules() -> VisitRules:
    return VisitRules.from_config(current_app.config)


@visits.route("")
class Visits(MethodView):
    @visits.login_required(*READERS)
    @visits.arguments(VisitQueryArgsSchema, location="query")
    @visits.response(200, VisitSchema(many=True))
    @visits.paginate(SelectPage)
    def get(self, filters):
        """List the visits the caller may see (salespeople: their own; coordinators, managers: their subtree)."""
        return service.list_visits(db.session, actor=current_actor(), filters=filters)


@visits.route("/<uuid:visit_id>")
class VisitById(MethodView):
    @visits.login_required(*READERS)
    @visits.response(200, VisitSchema, headers=ETAG_HEADER)
    @visits.alt_response(404, response="NOT_FOUND")
    def get(self, visit_id):
        """Return a visit with its derived first meeting, distance, duration and compliance."""
        visit = service.get_visit(db.session, actor=current_actor(), visit_id=visit_id)
        return visit, 200, {"ETag": etag(visit.version)}

    @visits.login_required(Role.SALESPERSON)
    @visits.arguments(VisitPutSchema)
    @visits.response(200, VisitSchema, headers=ETAG_HEADER, description="Updated, or unchanged")
    @visits.alt_response(201, schema=VisitSchema, headers=ETAG_HEADER, description="Created")
    @visits.alt_response(404, response="NOT_FOUND")
    @visits.alt_response(409, response="CONFLICT")
    @visits.alt_response(412, response="PRECONDITION_FAILED")
    @visits.alt_response(428, response="PRECONDITION_REQUIRED")
    @with_current(VisitSchema())
    def put(self, data, visit_id):
        """Create a visit with the phone's UUID, or update its draft (If-Match); an identical body changes nothing."""
        visit, outcome = service.put_visit(db.session, actor=current_actor(), now=current_clock().now(),
                                           rules=_rules(), visit_id=visit_id, data=data,
                                           if_match=request.headers.get("If-Match"))
        return visit, 201 if outcome is Outcome.CREATED else 200, {"ETag": etag(visit.version)}


@visits.route("/<uuid:visit_id>/amendments")
class VisitAmendments(MethodView):
    @visits.login_required(Role.SALESPERSON)
    @visits.arguments(VisitAmendmentSchema)
    @visits.response(200, VisitSchema, headers=ETAG_HEADER, description="Already made (unchanged) or updated")
    @visits.alt_response(201, schema=VisitSchema, headers=ETAG_HEADER, description="Created")
    @visits.alt_response(404, response="NOT_FOUND")
    @visits.alt_response(409, response="CONFLICT")
    @with_current(VisitSchema())
    def post(self, data, visit_id):
        """Correct a submitted visit: a new visit that supersedes it once submitted; the original is kept."""
        visit, outcome = service.amend_visit(db.session, actor=current_actor(), now=current_clock().now(),
                                             rules=_rules(), original_id=visit_id, data=data)
        return visit, 201 if outcome is Outcome.CREATED else 200, {"ETag": etag(visit.version)}


@visits.route("/<uuid:visit_id>/photos")
class VisitPhotos(MethodView):
    decorators = [limit_upload_body(room=64 * 1024)]

    @visits.login_required(Role.SALESPERSON)
    @visits.arguments(PhotoFormSchema, location="form")
    @visits.arguments(PhotoFileSchema, location="files")
    @visits.response(200, VisitPhotoSchema, description="Already stored (a retried upload)")
    @visits.alt_response(201, schema=VisitPhotoSchema, description="Stored")
    @visits.alt_response(404, response="NOT_FOUND")
    @visits.alt_response(409, response="CONFLICT")
    @visits.alt_response(413, response="REQUEST_ENTITY_TOO_LARGE")
    @visits.alt_response(415, response="UNSUPPORTED_MEDIA_TYPE")
    def post(self, form, files, visit_id):
        """Upload a photo of the visit (multipart `file`); the same bytes again store nothing."""
        photo, outcome = photos.add_photo(db.session, actor=current_actor(), now=current_clock().now(),
                                          limits=photos.PhotoLimits.from_config(current_app.config),
                                          visit_id=visit_id, stream=files["file"].stream, item=form["item"],
                                          taken_at=form["taken_at"], file_name=files["file"].filename)
        return photo, 201 if outcome is Outcome.CREATED else 200


@visits.route("/<uuid:visit_id>/photos/<string:sha256>")
class VisitPhotoFile(MethodView):
    @visits.login_required(*READERS)
    @visits.doc(responses={"200": {"description": "The image", "content": {
        ct: {"schema": {"type": "string", "format": "binary"}} for ct in ("image/jpeg", "image/png", "image/heic")}}})
    @visits.alt_response(404, response="NOT_FOUND")
    def get(self, visit_id, sha256):
        """Return a photo of the visit as stored."""
        if SHA256.regex.match(sha256) is None:
            sha256 = "0" * 64  # never a stored photo: answers 404 like any other unknown one
        path, content_type = photos.photo_file(db.session, actor=current_actor(),
                                               media_root=current_app.config["MEDIA_ROOT"], visit_id=visit_id,
                                               sha256=sha256)
        return send_file(path, mimetype=content_type, etag=sha256, max_age=86400, conditional=True)


@visit_sync.route("/visits")
class VisitSync(MethodView):
    @visit_sync.login_required(Role.SALESPERSON)
    @visit_sync.arguments(VisitSyncSchema)
    @visit_sync.response(200, SyncReplySchema)
    def post(self, batch):
        """Save up to 100 visits, each on its own: created, updated, unchanged, conflict or invalid."""
        items = [sync.SyncItem(item.id, errors=item.errors) if isinstance(item, Rejected)
                 else sync.SyncItem(item.pop("id"), item, base_version=item.pop("base_version"))
                 for item in batch["visits"]]
        results = sync.sync_visits(db.session, actor=current_actor(), now=current_clock().now(), rules=_rules(),
                                   items=items)
        return {"results": results}


def register(api) -> None:
    """Register this domain's blueprints (checklists and follow-ups included)."""
    for blp in (visits, visit_sync, *checklist_routes.BLUEPRINTS):
        api.register_blueprint(blp)
