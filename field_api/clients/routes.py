"""HTTP routes: clients (create-or-update from the phone, list, read, edit, merge)."""

from __future__ import annotations

from flask import current_app, request
from flask.views import MethodView

from field_api.access import Blueprint, current_actor
from field_api.accounts.models import Role
from field_api.clients import service
from field_api.clock import current_clock
from field_api.extensions import db
from field_api.pagination import SelectPage
from field_api.revisions import Outcome, etag, with_current
from field_api.visits.derivation import VisitRules
from schemas.clients import (ClientMergeSchema, ClientPatchSchema, ClientPutSchema, ClientQueryArgsSchema,
                             ClientSchema)

clients = Blueprint("clients", __name__, url_prefix="/api/v1/clients", description="Clients (客户) of salespeople.")
CLIENT_ROLES = (Role.SALESPERSON, Role.COORDINATOR, Role.MANAGER, Role.ADMIN)
ETAG_HEADER = {"ETag": {"description": "The client's version, for If-Match.", "schema": {"type": "string"}}}


def _rules() -> VisitRules:
    return VisitRules.from_config(current_app.config)


@clients.route("")
class Clients(MethodView):
    @clients.login_required(*CLIENT_ROLES)
    @clients.arguments(ClientQueryArgsSchema, location="query")
    @clients.response(200, ClientSchema(many=True))
    @clients.paginate(SelectPage)
    def get(self, filters):
        """List the clients the caller may see."""
        return service.list_clients(db.session, actor=current_actor(), filters=filters)


@clients.route("/<uuid:client_id>")
class ClientById(MethodView):
    @clients.login_required(*CLIENT_ROLES)
    @clients.response(200, ClientSchema, headers=ETAG_HEADER)
    @clients.alt_response(404, response="NOT_FOUND")
    def get(self, client_id):
        """Return a client."""
        client = service.get_client(db.session, actor=current_actor(), client_id=client_id)
        return client, 200, {"ETag": etag(client.version)}

    @clients.login_required(*CLIENT_ROLES)
    @clients.arguments(ClientPutSchema)
    @clients.response(200, ClientSchema, headers=ETAG_HEADER, description="Updated, or unchanged")
    @clients.alt_response(201, schema=ClientSchema, headers=ETAG_HEADER, description="Created")
    @clients.alt_response(404, response="NOT_FOUND")
    @clients.alt_response(409, response="CONFLICT")
    @clients.alt_response(412, response="PRECONDITION_FAILED")
    @clients.alt_response(428, response="PRECONDITION_REQUIRED")
    @with_current(ClientSchema())
    def put(self, data, client_id):
        """Create a client with the phone's UUID, or update it (If-Match); an identical body changes nothing."""
        client, outcome = service.put_client(db.session, actor=current_actor(), now=current_clock().now(),
                                             rules=_rules(), client_id=client_id, data=data,
                                             if_match=request.headers.get("If-Match"))
        return client, 201 if outcome is Outcome.CREATED else 200, {"ETag": etag(client.version)}

    @clients.login_required(*CLIENT_ROLES)
    @clients.arguments(ClientPatchSchema)
    @clients.response(200, ClientSchema, headers=ETAG_HEADER)
    @clients.alt_response(404, response="NOT_FOUND")
    @clients.alt_response(409, response="CONFLICT")
    @clients.alt_response(412, response="PRECONDITION_FAILED")
    @with_current(ClientSchema())
    def patch(self, changes, client_id):
        """Change some fields of a client (If-Match optional)."""
        client = service.patch_client(db.session, actor=current_actor(), now=current_clock().now(), rules=_rules(),
                                      client_id=client_id, changes=changes, if_match=request.headers.get("If-Match"))
        return client, 200, {"ETag": etag(client.version)}


@clients.route("/<uuid:client_id>/merge")
class ClientMerge(MethodView):
    @clients.login_required(Role.COORDINATOR, Role.MANAGER, Role.ADMIN)
    @clients.arguments(ClientMergeSchema)
    @clients.response(200, ClientSchema)
    @clients.alt_response(404, response="NOT_FOUND")
    @clients.alt_response(409, response="CONFLICT")
    def post(self, data, client_id):
        """Merge a duplicate into this client: both histories stay, first meetings are re-derived over both."""
        return service.merge_clients(db.session, actor=current_actor(), now=current_clock().now(),
                                     survivor_id=client_id, duplicate_id=data["duplicate_id"])


def register(api) -> None:
    """Register this domain's blueprints."""
    api.register_blueprint(clients)
