"""PUT/GET /api/v1/zones/{branch_code}."""

from __future__ import annotations

from flask.views import MethodView

from field_api.access import Blueprint, current_actor
from field_api.accounts.models import Role
from field_api.accounts.service import visible_branch
from field_api.clock import current_clock
from field_api.extensions import db
from field_api.zones import service
from geo.datum import Datum
from schemas.geo import canonical_datum
from schemas.zones import ZonesPutSchema, ZonesQueryArgsSchema, ZonesSchema

blp = Blueprint("zones", __name__, url_prefix="/api/v1/zones", description="Urban and suburban service zones.")


def _answer(stored: service.StoredZones, crs: str) -> dict:
    collection = stored.zones.to_feature_collection(Datum(crs))
    return {**collection, "branch_code": stored.branch.code, "version": stored.version, "datum": crs,
            "repairs": [str(r) for r in stored.repairs]}


@blp.route("/<string:branch_code>")
class Zones(MethodView):
    @blp.login_required()
    @blp.arguments(ZonesQueryArgsSchema, location="query")
    @blp.response(200, ZonesSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, args, branch_code):
        """Return the branch's zones (its own or its nearest ancestor's), in WGS-84 unless crs says otherwise."""
        branch = visible_branch(db.session, current_actor(), branch_code)
        return _answer(service.zones_of(db.session, branch=branch, canonical=canonical_datum.get()), args["crs"])

    @blp.login_required(Role.ADMIN, Role.MANAGER)
    @blp.arguments(ZonesQueryArgsSchema, location="query")
    @blp.arguments(ZonesPutSchema)
    @blp.response(200, ZonesSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def put(self, args, collection, branch_code):
        """Replace the branch's zones; invalid geometry is repaired (and reported) or refused with the reason."""
        stored = service.replace_zones(db.session, actor=current_actor(), now=current_clock().now(),
                                       branch_code=branch_code, feature_collection=collection,
                                       crs=Datum(args["crs"]), canonical=canonical_datum.get())
        return _answer(stored, args["crs"])
