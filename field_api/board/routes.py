"""HTTP routes: the duty roster, the board, candidates, entrusted cases and the care-callback worklist."""

from __future__ import annotations

from flask import current_app
from flask.views import MethodView

from field_api.access import Blueprint, current_actor
from field_api.accounts.models import Role
from field_api.board import candidates, entrustment, followups, roster, service
from field_api.clock import current_clock
from field_api.extensions import db
from schemas.board import (BoardQueryArgsSchema, BoardRowSchema, CallbackAttemptSchema, CandidateSchema,
                           EntrustmentQueryArgsSchema, EntrustmentSchema, EntrustSchema, FollowUpQueryArgsSchema,
                           FollowUpSchema, GapsSchema, HandBackSchema, RosterPutSchema, RosterQueryArgsSchema,
                           RosterSchema)
from schemas.geo import CrsQueryArgsSchema

roster_blp = Blueprint("roster", __name__, url_prefix="/api/v1/branches",
                       description="The branch's written duty roster (值班表).")
board_blp = Blueprint("board", __name__, url_prefix="/api/v1",
                      description="The coordinators' board, entrusted cases (委托查勘) and care callbacks (回访).")

DESK = (Role.COORDINATOR, Role.MANAGER, Role.ADMIN)


def _now():
    return current_clock().now()


@roster_blp.route("/<string:code>/roster")
class BranchRoster(MethodView):
    @roster_blp.login_required()
    @roster_blp.arguments(RosterQueryArgsSchema, location="query")
    @roster_blp.response(200, RosterSchema)
    @roster_blp.alt_response(404, response="NOT_FOUND")
    def get(self, args, code):
        """The branch's shifts overlapping the period, in its time zone."""
        return roster.get_roster(db.session, actor=current_actor(), now=_now(), branch_code=code, **args)

    @roster_blp.login_required(*DESK)
    @roster_blp.arguments(RosterQueryArgsSchema, location="query")
    @roster_blp.arguments(RosterPutSchema)
    @roster_blp.response(200, RosterSchema)
    @roster_blp.alt_response(404, response="NOT_FOUND")
    def put(self, args, data, code):
        """Replace the shifts that start in the period; overlapping or inverted shifts save nothing."""
        plans = [roster.ShiftPlan(starts=s["starts_at"], ends=s["ends_at"], coordinator_id=s["coordinator_id"],
                                  surveyor_ids=tuple(s["surveyor_ids"]), note=s.get("note"))
                 for s in data["shifts"]]
        return roster.replace_roster(db.session, actor=current_actor(), now=_now(), branch_code=code,
                                     shifts=plans, **args)


@roster_blp.route("/<string:code>/roster/gaps")
class RosterGaps(MethodView):
    @roster_blp.login_required(*DESK)
    @roster_blp.arguments(RosterQueryArgsSchema, location="query")
    @roster_blp.response(200, GapsSchema)
    @roster_blp.alt_response(404, response="NOT_FOUND")
    def get(self, args, code):
        """The periods in which the roster names no surveyor (the standard asks for 7×24 survey)."""
        return roster.gaps(db.session, actor=current_actor(), now=_now(), branch_code=code, **args)


@board_blp.route("/board")
class Board(MethodView):
    @board_blp.login_required(*DESK)
    @board_blp.arguments(BoardQueryArgsSchema, location="query")
    @board_blp.response(200, BoardRowSchema(many=True))
    @board_blp.alt_response(404, response="NOT_FOUND")
    def get(self, args):
        """Every open case of the branch subtree and those done today: accepted first, then VIP, then time left."""
        return service.board(db.session, actor=current_actor(), now=_now(), branch_code=args["branch"],
                             wait_minutes=float(current_app.config["DISPATCH_WAIT_MINUTES"]))


@board_blp.route("/cases/<int:case_id>/candidates")
class CaseCandidates(MethodView):
    @board_blp.login_required(*DESK)
    @board_blp.arguments(CrsQueryArgsSchema, location="query")
    @board_blp.response(200, CandidateSchema(many=True))
    @board_blp.alt_response(404, response="NOT_FOUND")
    def get(self, _args, case_id):
        """The on-duty surveyors ranked by estimated time to the site; busy ones after the free ones."""
        return candidates.candidates(db.session, actor=current_actor(), now=_now(), case_id=case_id)


@board_blp.route("/cases/<int:case_id>/entrustment")
class CaseEntrustment(MethodView):
    @board_blp.login_required(*DESK)
    @board_blp.arguments(EntrustSchema)
    @board_blp.response(201, EntrustmentSchema)
    @board_blp.alt_response(404, response="NOT_FOUND")
    @board_blp.alt_response(409, response="CONFLICT")
    def post(self, data, case_id):
        """Entrust the case to another branch for survey (委托查勘), with the items and the authorised amount."""
        now = _now()
        made = entrustment.entrust(db.session, actor=current_actor(), now=now, case_id=case_id,
                                   to_branch_code=data["to_branch"], items=data["items"],
                                   authorised_amount=data["authorised_amount"])
        return entrustment.EntrustedCase(made, None)


@board_blp.route("/cases/<int:case_id>/entrustment/hand-back")
class CaseHandBack(MethodView):
    @board_blp.login_required(*DESK)
    @board_blp.arguments(HandBackSchema)
    @board_blp.response(200, EntrustmentSchema)
    @board_blp.alt_response(404, response="NOT_FOUND")
    @board_blp.alt_response(409, response="CONFLICT")
    def post(self, data, case_id):
        """The accepting branch hands the case back, with the reason (an entrustment cannot be declined)."""
        back = entrustment.hand_back(db.session, actor=current_actor(), now=_now(), case_id=case_id,
                                     reason=data["reason"])
        return entrustment.EntrustedCase(back, None)


@board_blp.route("/entrustments")
class Entrustments(MethodView):
    @board_blp.login_required(*DESK)
    @board_blp.arguments(EntrustmentQueryArgsSchema, location="query")
    @board_blp.response(200, EntrustmentSchema(many=True))
    @board_blp.alt_response(404, response="NOT_FOUND")
    def get(self, args):
        """The branch's entrusted list (委托案件处理清单) or accepted list (受理案件处理清单) with progress and clocks."""
        return entrustment.list_entrustments(db.session, actor=current_actor(), now=_now(),
                                             branch_code=args["branch"], side=args["side"])


@board_blp.route("/followups")
class FollowUps(MethodView):
    @board_blp.login_required(*DESK)
    @board_blp.arguments(FollowUpQueryArgsSchema, location="query")
    @board_blp.response(200, FollowUpSchema(many=True))
    @board_blp.alt_response(404, response="NOT_FOUND")
    def get(self, args):
        """The care-callback worklist (出险关怀回访) the worker extracts every half hour."""
        return followups.list_followups(db.session, actor=current_actor(), now=_now(), branch_code=args["branch"],
                                        status=args.get("status"), for_chief=args.get("for_chief"))


@board_blp.route("/cases/<int:case_id>/callbacks")
class CaseCallbacks(MethodView):
    @board_blp.login_required(Role.COORDINATOR, Role.ADMIN)
    @board_blp.arguments(CallbackAttemptSchema)
    @board_blp.response(201, FollowUpSchema)
    @board_blp.alt_response(404, response="NOT_FOUND")
    @board_blp.alt_response(409, response="CONFLICT")
    def post(self, data, case_id):
        """Record a call to the customer; the third failed call closes it as unable to contact (无法联系客户)."""
        return followups.record_callback(db.session, actor=current_actor(), now=_now(), case_id=case_id, **data)


def register(api) -> None:
    """Register this domain's blueprints."""
    api.register_blueprint(roster_blp)
    api.register_blueprint(board_blp)
