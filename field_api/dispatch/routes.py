"""HTTP routes: cases, dispatches, phone events, coordinators' decisions and the timeline."""

from __future__ import annotations

from flask import current_app
from flask.views import MethodView

from field_api.access import Blueprint, current_actor
from field_api.accounts.models import Role
from field_api.clock import current_clock
from field_api.dispatch import cases, service, timeline
from field_api.dispatch.models import DispatchStatus, ExcuseCause, Line
from field_api.extensions import db
from field_api.pagination import Presented, SelectPage
from schemas.dispatch import (CancelSchema, CaseCreateSchema, CaseQueryArgsSchema, CaseSchema,
                              DispatchCreateSchema, DispatchEventCreateSchema, DispatchQueryArgsSchema,
                              DispatchSchema, ExcusalSchema, LegalHoldSchema, TimelineEntrySchema)
from schemas.geo import CrsQueryArgsSchema, canonical_datum

case_blp = Blueprint("cases", __name__, url_prefix="/api/v1/cases", description="Accident reports (报案).")
dispatch_blp = Blueprint("dispatches", __name__, url_prefix="/api/v1/dispatches",
                         description="Dispatches (派工) and the service clock.")

DESK = (Role.COORDINATOR, Role.MANAGER, Role.ADMIN)


def _now():
    return current_clock().now()


@case_blp.route("")
class Cases(MethodView):
    @case_blp.login_required(*DESK)
    @case_blp.arguments(CaseCreateSchema)
    @case_blp.response(201, CaseSchema)
    @case_blp.alt_response(409, response="CONFLICT")
    def post(self, data):
        """Take an accident report; its site is classified into the branch's zones."""
        location = data.pop("location")
        return cases.create_case(db.session, actor=current_actor(), now=_now(), canonical=canonical_datum.get(),
                                 line=Line(data.pop("line")), lat=location["lat"], lon=location["lon"], **data)

    @case_blp.login_required()
    @case_blp.arguments(CaseQueryArgsSchema, location="query")
    @case_blp.response(200, CaseSchema(many=True))
    @case_blp.paginate(SelectPage)
    def get(self, args):
        """List cases: field staff see the cases they were dispatched to."""
        return cases.list_cases(db.session, actor=current_actor(), branch_code=args.get("branch"),
                                open_only=args.get("open", False),
                                line=Line(args["line"]) if "line" in args else None)


@case_blp.route("/<int:case_id>")
class CaseById(MethodView):
    @case_blp.login_required()
    @case_blp.arguments(CrsQueryArgsSchema, location="query")
    @case_blp.response(200, CaseSchema)
    @case_blp.alt_response(404, response="NOT_FOUND")
    def get(self, _args, case_id):
        """Return a case."""
        return cases.get_case(db.session, actor=current_actor(), case_id=case_id)


@case_blp.route("/<int:case_id>/legal-hold")
class LegalHold(MethodView):
    @case_blp.login_required(Role.MANAGER, Role.ADMIN)
    @case_blp.arguments(LegalHoldSchema)
    @case_blp.response(200, CaseSchema)
    @case_blp.alt_response(404, response="NOT_FOUND")
    def put(self, data, case_id):
        """Put a case on legal hold: its surveyors' fixes are kept past the retention period."""
        return cases.set_legal_hold(db.session, actor=current_actor(), now=_now(), case_id=case_id,
                                    reason=data["reason"])

    @case_blp.login_required(Role.MANAGER, Role.ADMIN)
    @case_blp.response(200, CaseSchema)
    @case_blp.alt_response(404, response="NOT_FOUND")
    def delete(self, case_id):
        """Lift a legal hold."""
        return cases.set_legal_hold(db.session, actor=current_actor(), now=_now(), case_id=case_id, reason=None)


@dispatch_blp.route("")
class Dispatches(MethodView):
    @dispatch_blp.login_required(Role.COORDINATOR, Role.ADMIN)
    @dispatch_blp.arguments(DispatchCreateSchema)
    @dispatch_blp.response(201, DispatchSchema)
    @dispatch_blp.alt_response(404, response="NOT_FOUND")
    @dispatch_blp.alt_response(409, response="CONFLICT")
    def post(self, data):
        """Dispatch a surveyor to a case (a second dispatch reassigns it; the clocks keep running)."""
        now = _now()
        dispatch = service.dispatch_case(db.session, actor=current_actor(), now=now, case_id=data["case_id"],
                                         surveyor_id=data["surveyor_id"],
                                         default_radius_m=current_app.config["ARRIVAL_RADIUS_M"])
        return service.view(dispatch, now)

    @dispatch_blp.login_required()
    @dispatch_blp.arguments(DispatchQueryArgsSchema, location="query")
    @dispatch_blp.response(200, DispatchSchema(many=True))
    @dispatch_blp.paginate(SelectPage)
    def get(self, args):
        """List dispatches with both clocks, the most urgent arrival first."""
        query = service.list_dispatches(db.session, actor=current_actor(),
                                        status=DispatchStatus(args["state"]) if "state" in args else None,
                                        branch_code=args.get("branch"), surveyor_id=args.get("surveyor_id"))
        now = _now()
        return Presented(query, lambda dispatch: service.view(dispatch, now))


@dispatch_blp.route("/<int:dispatch_id>")
class DispatchById(MethodView):
    @dispatch_blp.login_required()
    @dispatch_blp.arguments(CrsQueryArgsSchema, location="query")
    @dispatch_blp.response(200, DispatchSchema)
    @dispatch_blp.alt_response(404, response="NOT_FOUND")
    def get(self, _args, dispatch_id):
        """Return a dispatch with both clocks as of now."""
        return service.view(service.get_dispatch(db.session, actor=current_actor(), dispatch_id=dispatch_id),
                            _now())


@dispatch_blp.route("/<int:dispatch_id>/events")
class DispatchEvents(MethodView):
    @dispatch_blp.login_required(Role.SURVEYOR)
    @dispatch_blp.arguments(DispatchEventCreateSchema)
    @dispatch_blp.response(201, DispatchSchema)
    @dispatch_blp.alt_response(404, response="NOT_FOUND")
    @dispatch_blp.alt_response(409, response="CONFLICT")
    def post(self, data, dispatch_id):
        """Record what the surveyor did: contacted, late_notice, agreed_time, arrived or completed."""
        fix = data.pop("fix") or {}
        event_id = data.pop("event_id")
        event = service.PhoneEvent(kind=service.EventKind(data.pop("kind")),
                                   client_event_id=str(event_id) if event_id else None, lat=fix.get("lat"),
                                   lon=fix.get("lon"), accuracy_m=fix.get("accuracy"), **data)
        now = _now()
        dispatch = service.record_phone_event(db.session, actor=current_actor(), now=now, dispatch_id=dispatch_id,
                                              event=event,
                                              max_accuracy_m=current_app.config["FIX_MAX_ACCURACY_M"])
        return service.view(dispatch, now)


@dispatch_blp.route("/<int:dispatch_id>/cancel")
class DispatchCancel(MethodView):
    @dispatch_blp.login_required(Role.COORDINATOR, Role.ADMIN)
    @dispatch_blp.arguments(CancelSchema)
    @dispatch_blp.response(200, DispatchSchema)
    @dispatch_blp.alt_response(404, response="NOT_FOUND")
    @dispatch_blp.alt_response(409, response="CONFLICT")
    def post(self, data, dispatch_id):
        """Cancel a dispatch (coordinators only), with the reason."""
        now = _now()
        return service.view(service.cancel(db.session, actor=current_actor(), now=now, dispatch_id=dispatch_id,
                                           reason=data["reason"]), now)


@dispatch_blp.route("/<int:dispatch_id>/excusals")
class DispatchExcusals(MethodView):
    @dispatch_blp.login_required(*DESK)
    @dispatch_blp.arguments(ExcusalSchema)
    @dispatch_blp.response(201, DispatchSchema)
    @dispatch_blp.alt_response(404, response="NOT_FOUND")
    @dispatch_blp.alt_response(409, response="CONFLICT")
    def post(self, data, dispatch_id):
        """Excuse a missed deadline with an objective cause: communication outage, traffic or geography."""
        now = _now()
        return service.view(service.excuse(db.session, actor=current_actor(), now=now, dispatch_id=dispatch_id,
                                           which=data["clock"], cause=ExcuseCause(data["cause"]),
                                           note=data["note"]), now)


@dispatch_blp.route("/<int:dispatch_id>/timeline")
class DispatchTimeline(MethodView):
    @dispatch_blp.login_required()
    @dispatch_blp.arguments(CrsQueryArgsSchema, location="query")
    @dispatch_blp.response(200, TimelineEntrySchema(many=True))
    @dispatch_blp.alt_response(404, response="NOT_FOUND")
    def get(self, _args, dispatch_id):
        """Every event of the dispatch and every arrival or departure its fixes show, in order."""
        return timeline.timeline(db.session, actor=current_actor(), dispatch_id=dispatch_id)


def register(api) -> None:
    """Register this domain's blueprints."""
    api.register_blueprint(case_blp)
    api.register_blueprint(dispatch_blp)
