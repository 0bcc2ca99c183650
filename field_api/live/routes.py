"""GET /api/v1/live/map, GET /api/v1/live/stream and POST /api/v1/live/tickets."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from flask import Response, current_app, request
from flask.views import MethodView

from field_api.access import Blueprint, authenticated_as, current_actor, current_token_id
from field_api.accounts.models import Role
from field_api.clock import current_clock
from field_api.extensions import db
from field_api.live import feed, tickets
from field_api.live.stream import StreamRequest, events
from geo.datum import Datum
from schemas.geo import canonical_datum
from schemas.live import LiveMapQueryArgsSchema, LiveMapSchema, StreamQueryArgsSchema, TicketSchema

blp = Blueprint("live", __name__, url_prefix="/api/v1/live",
                description="The coordinators' live map: the feed, the event stream and stream tickets.")

DESK = (Role.COORDINATOR, Role.MANAGER, Role.ADMIN)
# Before OpenAPI 3.2, the schema of an event-stream response describes one event.
SSE_EVENT = {"type": "object", "properties": {
    "event": {"type": "string", "enum": ["ready", "change", "positions", "time", "resync", "end"]},
    "data": {"type": "string", "description": "The event's JSON document"},
    "id": {"type": "string", "description": "Send it back as Last-Event-ID to resume after this event"},
    "retry": {"type": "integer", "description": "Milliseconds to wait before reconnecting"}}}

STREAM_DOC = {
    "parameters": [{"in": "header", "name": "Last-Event-ID", "required": False, "schema": {"type": "string"},
                    "description": "Resume after this event (browsers send it when they reconnect)."}],
    "responses": {"200": {"description": (
        "text/event-stream. Events: ready (server time, resumed or not), change (an outbox message: topic, "
        "message, and the current case and surveyor features), positions (a list of surveyor_id, coordinates, "
        "fix_time, accuracy_m, battery, speed_kmh), time (heartbeat with the server's time), resync (reload "
        "the map, then reconnect with its last_event_id), end (the sign-in ended)."),
        "content": {"text/event-stream": {"schema": SSE_EVENT}}}},
}


def _now():
    return current_clock().now()


def _datum(args: dict[str, Any]) -> Datum:
    return Datum(args.get("crs") or Datum.WGS84.value)


def ticket_accepted(func: Callable) -> Callable:
    """Let a stream ticket in the query stand in for the bearer token (an EventSource cannot send headers)."""
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        ticket = request.args.get("ticket")
        if ticket:
            actor, token_id = tickets.redeem_ticket(db.session, ticket=ticket, now=_now(),
                                                    address=request.remote_addr)
            authenticated_as(actor, token_id)
        return func(*args, **kwargs)

    return wrapper


@blp.route("/map")
class LiveMap(MethodView):
    @blp.login_required(*DESK)
    @blp.arguments(LiveMapQueryArgsSchema, location="query")
    @blp.response(200, LiveMapSchema, content_type="application/geo+json")
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, args):
        """Return the live map (GeoJSON): on-duty surveyors, open cases with both clocks, and the zones if asked.

        The same view asked for within `FIELD_API_LIVE_MAP_SHARE_S` of another, with no change to a case or
        a dispatch since, is answered with the map built then (its `generated_at` says when).
        """
        body = feed.shared_snapshot(db.session, current_app.extensions["live_maps"], actor=current_actor(), now=_now(),
                                    canonical=canonical_datum.get(), datum=_datum(args), branch_code=args.get("branch"),
                                    with_zones=args["zones"])
        return Response(body, mimetype="application/geo+json")


@blp.route("/tickets")
class Tickets(MethodView):
    @blp.login_required(*DESK)
    @blp.response(201, TicketSchema)
    def post(self):
        """Trade the bearer token for a single-use stream ticket, valid for a few seconds, to open the stream with."""
        return tickets.issue_ticket(db.session, actor=current_actor(), token_id=current_token_id(), now=_now(),
                                    ttl=timedelta(seconds=float(current_app.config["LIVE_TICKET_TTL_S"])))


@blp.route("/stream")
class Stream(MethodView):
    @ticket_accepted
    @blp.login_required(*DESK)
    @blp.arguments(StreamQueryArgsSchema, location="query")
    @blp.doc(**STREAM_DOC)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, args):
        """Stream the live map's changes as server-sent events (ticket or bearer token); resumes from Last-Event-ID."""
        scope = feed.scope_of(db.session, actor=current_actor(), branch_code=args.get("branch"))
        db.session.commit()  # hold no transaction open while streaming
        wanted = StreamRequest(token_id=current_token_id(), scope=scope, datum=_datum(args),
                               last_event_id=request.headers.get("Last-Event-ID") or args.get("last_event_id"))
        return Response(events(current_app._get_current_object(), wanted), mimetype="text/event-stream",
                        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


def register(api) -> None:
    """Register the live map's API blueprint."""
    api.register_blueprint(blp)
