"""GET /api/v1/audit: the append-only trail, for admins and for managers of the branch."""

from __future__ import annotations

import sqlalchemy as sa
from flask.views import MethodView

from field_api.access import Blueprint, current_actor, visible
from field_api.accounts.models import Role
from field_api.audit.models import AuditEvent
from field_api.pagination import SelectPage
from schemas.audit import AuditEventSchema, AuditQueryArgsSchema

blp = Blueprint("audit", __name__, url_prefix="/api/v1/audit",
                description="Who changed or read what, when, from where (read-only).")


@blp.route("")
class Audit(MethodView):
    @blp.login_required(Role.ADMIN, Role.MANAGER)
    @blp.arguments(AuditQueryArgsSchema, location="query")
    @blp.response(200, AuditEventSchema(many=True))
    @blp.paginate(SelectPage)
    def get(self, args):
        """List audit events of the caller's branch subtree, newest first."""
        query = sa.select(AuditEvent).where(visible(current_actor(), AuditEvent))
        for name in ("entity_type", "entity_id", "actor_id", "action"):
            if name in args:
                query = query.where(getattr(AuditEvent, name) == args[name])
        if "since" in args:
            query = query.where(AuditEvent.at >= args["since"])
        if "until" in args:
            query = query.where(AuditEvent.at < args["until"])
        return query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
