"""The report as plain data: the JSON shape, CSV rows, and the records behind a number."""

from __future__ import annotations

import csv
import enum
import io
import json
from collections.abc import Mapping
from typing import Any

from field_api.reports.measures import RECORD_KINDS, STATED, Result
from field_api.reports.service import Report

CSV_COLUMNS = ("period", "branch", "scope", "measure", "article", "label", "numerator", "denominator", "rate",
               "na", "target", "count", "median_minutes", "p90_minutes", "details", "numerator_is", "denominator_is")
SECONDS = {"report_to_dispatch_s": "report_to_dispatch_min", "to_contact_s": "to_contact_min",
           "to_arrive_s": "to_arrive_min"}


def measure_dict(result: Result) -> dict[str, Any]:
    """One measure's numbers, with its rate null and `na` set when there was nothing to measure."""
    m = result.measure
    return {"key": m.key, "label": m.label, "article": m.article, "group": m.group, "kind": m.kind,
            "numerator": result.numerator, "denominator": result.denominator, "rate": result.rate, "na": result.na,
            "numerator_is": STATED[m.key][0], "denominator_is": STATED[m.key][1],
            "target": m.target, "count": result.count, "median_minutes": result.median_minutes,
            "p90_minutes": result.p90_minutes, "details": dict(result.details), "shares": result.shares}


def report_dict(report: Report) -> dict[str, Any]:
    """The report as the API returns it."""
    return {"period": report.period.label, "first_day": report.period.first, "last_day": report.period.last,
            "generated_at": report.generated_at, "branch": report.branch.code,
            "branches": [{"code": row.branch.code, "name": row.branch.name,
                          "parent": row.branch.parent.code if row.branch.parent else None, "depth": row.depth,
                          "timezone": row.branch.timezone, "period_start": row.start, "period_end": row.end,
                          "own": [measure_dict(r) for r in row.own],
                          "rolled_up": [measure_dict(r) for r in row.rolled_up]} for row in report.branches]}


def csv_text(report: Report) -> str:
    """The report as a spreadsheet: one line per branch, scope and measure; n/a rates are left empty."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for row in report.branches:
        for scope, results in (("own", row.own), ("rolled_up", row.rolled_up)):
            for r in results:
                d = measure_dict(r)
                writer.writerow([report.period.label, row.branch.code, scope, d["key"], d["article"], d["label"],
                                 _cell(d["numerator"]), _cell(d["denominator"]), _cell(d["rate"]),
                                 "n/a" if d["na"] else "", _cell(d["target"]), _cell(d["count"]),
                                 _cell(d["median_minutes"]), _cell(d["p90_minutes"]),
                                 "; ".join(f"{k}={v}" for k, v in d["details"].items()),
                                 d["numerator_is"], _cell(d["denominator_is"])])
    return out.getvalue()


def _cell(value: Any) -> str:
    return "" if value is None else str(value)


def record_dict(source: str, row: Mapping[str, Any]) -> dict[str, Any]:
    """A drill-down row: its kind, its columns, durations in minutes."""
    out: dict[str, Any] = {"kind": RECORD_KINDS[source]}
    for name, value in row.items():
        if name == "missing" and isinstance(value, str):
            out[name] = json.loads(value)
        elif name in SECONDS:
            out[SECONDS[name]] = None if value is None else round(float(value) / 60.0, 1)
        elif name not in ("branch_id", "on_site", "outcome_id"):
            out[name] = value.value if isinstance(value, enum.Enum) else value
    return out
