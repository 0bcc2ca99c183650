"""GET /reports: the managers' report page; its table and charts are rendered here and fetched with the token."""

from __future__ import annotations

import base64

from flask import render_template
from flask.views import MethodView

from field_api.access import Blueprint, current_actor
from field_api.clock import current_clock
from field_api.extensions import db
from field_api.reports import charts, rendering, service
from field_api.reports.routes import READERS
from schemas.reports import ComplianceQueryArgsSchema

page = Blueprint("reports_page", __name__)


@page.get("/reports")
def reports_page():
    """The page: a sign-in form, then a branch and period picker; every script and style is a file of this server."""
    return render_template("reports/page.html")


def _svg(fig) -> str:
    # Embedded as a data: image, which the page policy allows (img-src 'self' data:), unlike inline styles.
    return "data:image/svg+xml;base64," + base64.b64encode(charts.encoded(fig, "svg")).decode()


@page.route("/reports/table")
class ReportTable(MethodView):
    @page.login_required(*READERS)
    @page.arguments(ComplianceQueryArgsSchema, location="query")
    def get(self, args):
        """The report's tables per branch and its charts, as an HTML fragment for the page."""
        now = current_clock().now()
        report = service.compliance(db.session, actor=current_actor(), now=now, branch_code=args.get("branch"),
                                    period=args.get("period"))
        quarters = service.trend(db.session, actor=current_actor(), now=now, branch_code=report.branch.code,
                                 period=report.period.label)
        trend = _svg(charts.trend_figure(f"{report.branch.code}: trend by quarter", quarters))
        rows = [{"row": row, "own": {r.measure.key: r for r in row.own},
                 "measures": [rendering.measure_dict(r) for r in row.rolled_up],
                 "chart": _svg(charts.rates_figure(f"{row.branch.code} · {report.period.label}", row.rolled_up))}
                for row in report.branches]
        return render_template("reports/table.html", report=report, rows=rows, trend=trend,
                               trend_labels=[label for label, _ in quarters])
