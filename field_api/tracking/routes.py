"""HTTP routes: positions from our app and from tracker apps, duty, devices and tracks."""

from __future__ import annotations

from flask import current_app, request
from flask.views import MethodView

from field_api.access import Blueprint, current_actor
from field_api.accounts.models import Role
from field_api.clock import current_clock
from field_api.errors import Unauthorized
from field_api.extensions import db
from field_api.pagination import SelectPage
from field_api.tracking import protocols, service
from field_api.tracking.docs import OSMAND_FORM, OSMAND_JSON, OSMAND_QUERY, OWNTRACKS_JSON
from field_api.tracking.ingest import Limits
from field_api.tracking.models import Protocol
from schemas.positions import IngestResultSchema, PositionBatchSchema
from schemas.tracking import (DeviceCreateSchema, DeviceIssuedSchema, DeviceQueryArgsSchema, DeviceSchema,
                              DutySchema, DutyStateSchema, FeatureCollectionSchema, OwnTracksReplySchema,
                              TrackQueryArgsSchema, track_geojson)

positions = Blueprint("positions", __name__, url_prefix="/api/v1/positions",
                      description="Fixes from the surveyor's own app.")
duty = Blueprint("duty", __name__, url_prefix="/api/v1/me/duty", description="The surveyor's duty.")
devices = Blueprint("devices", __name__, url_prefix="/api/v1/devices", description="Surveyors' tracker devices.")
tracks = Blueprint("tracks", __name__, url_prefix="/api/v1/surveyors", description="Surveyors' tracks.")
ingest = Blueprint("ingest", __name__, url_prefix="/api/v1/ingest",
                   description="Fixes from free tracker apps, authenticated by device token (no bearer token).")

FIELD_STAFF_ADMINS = (Role.SURVEYOR, Role.COORDINATOR, Role.ADMIN)
BASIC_CHALLENGE = 'Basic realm="field_api"'


def _now():
    return current_clock().now()


def _limits() -> Limits:
    return Limits(max_accuracy_m=float(current_app.config["FIX_MAX_ACCURACY_M"]))


@positions.route("")
class Positions(MethodView):
    @positions.login_required(Role.SURVEYOR)
    @positions.arguments(PositionBatchSchema)
    @positions.response(200, IngestResultSchema)
    @positions.alt_response(422, response="UNPROCESSABLE_ENTITY")
    def post(self, data):
        """Record up to 500 of the caller's fixes; a retried batch stores nothing new."""
        return service.record_positions(db.session, actor=current_actor(), now=_now(), batch=data["batch"],
                                        limits=_limits(), device_id=data["device_id"],
                                        surveyor_id=data["surveyor_id"])


@duty.route("")
class Duty(MethodView):
    @duty.login_required(Role.SURVEYOR)
    @duty.response(200, DutyStateSchema)
    def get(self):
        """Return whether the caller is on duty."""
        return service.duty_state(db.session, actor=current_actor())

    @duty.login_required(Role.SURVEYOR)
    @duty.arguments(DutySchema)
    @duty.response(200, DutyStateSchema)
    @duty.alt_response(409, response="CONFLICT")
    @duty.alt_response(422, response="UNPROCESSABLE_ENTITY")
    def put(self, data):
        """Go on or off duty at the phone's time; sending the current state again changes nothing."""
        return service.set_duty(db.session, actor=current_actor(), now=_now(), on_duty=data["on_duty"],
                                device_time=data["device_time"])


@devices.route("")
class Devices(MethodView):
    @devices.login_required(Role.SURVEYOR, Role.COORDINATOR, Role.MANAGER, Role.ADMIN)
    @devices.arguments(DeviceQueryArgsSchema, location="query")
    @devices.response(200, DeviceSchema(many=True))
    @devices.paginate(SelectPage)
    def get(self, filters):
        """List the devices of the surveyors the caller may see."""
        return service.list_devices(db.session, actor=current_actor(), surveyor_id=filters.get("surveyor_id"),
                                    active=filters.get("active"))

    @devices.login_required(*FIELD_STAFF_ADMINS)
    @devices.arguments(DeviceCreateSchema)
    @devices.response(201, DeviceIssuedSchema)
    @devices.alt_response(404, response="NOT_FOUND")
    @devices.alt_response(409, response="CONFLICT")
    def post(self, data):
        """Register a device to a surveyor; the answer carries its token, shown only this once."""
        return service.register_device(db.session, actor=current_actor(), now=_now(), name=data["name"],
                                       protocol=Protocol(data["protocol"]), crs=data["crs"],
                                       surveyor_id=data["surveyor_id"])


@devices.route("/<int:device_id>")
class DeviceById(MethodView):
    @devices.login_required(*FIELD_STAFF_ADMINS)
    @devices.response(204)
    @devices.alt_response(404, response="NOT_FOUND")
    def delete(self, device_id):
        """Revoke a device: its token stops working at once."""
        service.revoke_device(db.session, actor=current_actor(), now=_now(), device_id=device_id)


@tracks.route("/<int:surveyor_id>/track")
class Track(MethodView):
    @tracks.login_required()
    @tracks.arguments(TrackQueryArgsSchema, location="query")
    @tracks.response(200, FeatureCollectionSchema)
    @tracks.alt_response(404, response="NOT_FOUND")
    def get(self, args, surveyor_id):
        """Return a surveyor's track as GeoJSON; reading someone else's is recorded in the audit trail."""
        rows = service.read_track(db.session, actor=current_actor(), now=_now(), surveyor_id=surveyor_id,
                                  start=args["start"], end=args["end"])
        return track_geojson(rows, surveyor_id=surveyor_id, crs=args["crs"])


@ingest.route("/osmand")
class OsmAnd(MethodView):
    @ingest.doc(parameters=OSMAND_QUERY)
    @ingest.response(200, IngestResultSchema)
    @ingest.alt_response(401, response="UNAUTHORIZED")
    @ingest.alt_response(422, response="UNPROCESSABLE_ENTITY")
    def get(self):
        """Record a fix from OsmAnd or Traccar Client sent as query parameters (`id` is the device token)."""
        report = protocols.osmand_from_params(request.args, now=_now())
        return service.record_tracker_report(db.session, token=report.token, protocol=Protocol.OSMAND,
                                             rows=report.rows, now=_now(), limits=_limits())

    @ingest.doc(parameters=OSMAND_QUERY, requestBody={"required": False, "content": {
        "application/x-www-form-urlencoded": {"schema": OSMAND_FORM}, "application/json": {"schema": OSMAND_JSON}}})
    @ingest.response(200, IngestResultSchema)
    @ingest.alt_response(401, response="UNAUTHORIZED")
    @ingest.alt_response(422, response="UNPROCESSABLE_ENTITY")
    def post(self):
        """Record a fix from OsmAnd or Traccar Client: query or form parameters, or Traccar Client's JSON."""
        if request.is_json:
            report = protocols.osmand_from_json(request.get_json(silent=True))
        else:
            report = protocols.osmand_from_params(request.values, now=_now())
        return service.record_tracker_report(db.session, token=report.token, protocol=Protocol.OSMAND,
                                             rows=report.rows, now=_now(), limits=_limits())


@ingest.route("/owntracks")
class OwnTracks(MethodView):
    @ingest.doc(security=[{"deviceBasic": []}],
                requestBody={"required": True, "content": {"application/json": {"schema": OWNTRACKS_JSON}}})
    @ingest.response(200, OwnTracksReplySchema(many=True))
    @ingest.alt_response(401, response="UNAUTHORIZED")
    @ingest.alt_response(422, response="UNPROCESSABLE_ENTITY")
    def post(self):
        """Record an OwnTracks HTTP-mode message (Basic auth: surveyor's username, device token as password)."""
        credentials = request.authorization
        report = protocols.owntracks_from_json(
            request.get_json(force=True, silent=True),
            username=credentials.username if credentials else None,
            password=credentials.password if credentials else None)
        try:
            result = service.record_tracker_report(db.session, token=report.token, protocol=Protocol.OWNTRACKS,
                                                   rows=report.rows, now=_now(), limits=_limits(),
                                                   username=report.username)
        except Unauthorized as error:
            error.headers["WWW-Authenticate"] = BASIC_CHALLENGE
            raise
        # OwnTracks reads the body as messages for it, so the counts travel in a header.
        return [], 200, {"X-Fixes": result.summary()}


def register(api) -> None:
    """Register this domain's blueprints and the tracker apps' security scheme."""
    api.spec.components.security_scheme("deviceBasic", {
        "type": "http", "scheme": "basic",
        "description": "OwnTracks: the surveyor's username and the device token as password."})
    for blp in (positions, duty, devices, tracks, ingest):
        api.register_blueprint(blp)
