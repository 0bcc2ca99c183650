"""HTTP routes: the compliance report (JSON or CSV) and the records behind each of its numbers."""

from __future__ import annotations

import functools

from flask import Response, request
from flask.views import MethodView

from field_api.access import Blueprint, current_actor
from field_api.accounts.models import Role
from field_api.clock import current_clock
from field_api.extensions import db
from field_api.pagination import Presented, RowPage
from field_api.reports import measures, rendering, service
from schemas.reports import ComplianceQueryArgsSchema, ComplianceSchema, RecordQueryArgsSchema, RecordSchema

blp = Blueprint("reports", __name__, url_prefix="/api/v1/reports",
                description="Service-standard compliance reports (article 4).")
READERS = (Role.COORDINATOR, Role.MANAGER, Role.ADMIN)


def wants_csv(args) -> bool:
    """CSV when asked by `format=csv` or by an Accept header preferring text/csv."""
    if "format" in args:
        return args["format"] == "csv"
    best = request.accept_mimetypes.best_match(["application/json", "text/csv"])
    return best == "text/csv"


@blp.route("/compliance")
class Compliance(MethodView):
    @blp.login_required(*READERS)
    @blp.arguments(ComplianceQueryArgsSchema, location="query")
    @blp.response(200, ComplianceSchema)
    @blp.alt_response(200, schema={"type": "string"}, content_type="text/csv", success=True,
                      description="The report; as CSV (a line per branch, scope and measure) with format=csv "
                                  "or Accept: text/csv")
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, args):
        """Report each branch's compliance with the standard for a period, on its own and rolled up."""
        report = service.compliance(db.session, actor=current_actor(), now=current_clock().now(),
                                    branch_code=args.get("branch"), period=args.get("period"))
        if wants_csv(args):
            name = f"compliance-{report.branch.code}-{report.period.label.replace('..', '_')}.csv"
            return Response(rendering.csv_text(report), mimetype="text/csv",
                            headers={"Content-Disposition": f'attachment; filename="{name}"'})
        return rendering.report_dict(report)


@blp.route("/compliance/records")
class ComplianceRecords(MethodView):
    @blp.login_required(*READERS)
    @blp.arguments(RecordQueryArgsSchema, location="query")
    @blp.response(200, RecordSchema(many=True))
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.paginate(RowPage)
    def get(self, args):
        """List the dispatches, visits or tasks behind one number of the report."""
        query = service.drill_down(db.session, actor=current_actor(), now=current_clock().now(),
                                   branch_code=args.get("branch"), period=args.get("period"),
                                   measure=args["measure"], part=args["part"], rolled_up=args["scope"] == "rolled_up")
        source = measures.BY_KEY[args["measure"]].source
        return Presented(query, functools.partial(rendering.record_dict, source))


def register(api) -> None:
    """Register the report routes."""
    api.register_blueprint(blp)
