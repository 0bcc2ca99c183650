"""The published report (article 4): JSON, CSV and PNG charts in a folder, with progress shown as it goes."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from field_api.access import Actor
from field_api.reports import charts, rendering, service
from schemas.reports import ComplianceSchema

Progress = Callable[[Iterable[Any], str], Iterable[Any]]


def _quietly(items: Iterable[Any], _label: str) -> Iterable[Any]:
    return items


def publish(session: Session, *, now: datetime, out: Path, period: str | None, branch_code: str | None,
            progress: Progress = _quietly) -> list[Path]:
    """Compute the report and write it; returns the files written."""
    actor = Actor.system("report")
    root = service.report_branch(session, actor, branch_code)
    chosen = service.chosen_period(root, period, now)
    nodes = service.tree(session, root)
    rows = service.branch_reports(session, chosen, now, nodes)
    report = service.Report(chosen, now, root, rows)
    out.mkdir(parents=True, exist_ok=True)
    stem = f"compliance-{root.code}-{chosen.label.replace('..', '_')}"
    written = [out / f"{stem}.json", out / f"{stem}.csv"]
    written[0].write_text(json.dumps(ComplianceSchema().dump(rendering.report_dict(report)), ensure_ascii=False,
                                     indent=2), encoding="utf-8")
    written[1].write_text(rendering.csv_text(report), encoding="utf-8")
    quarters = service.trend(session, actor=actor, now=now, branch_code=root.code, period=chosen.label)
    figures = [(f"{stem}-rates-{row.branch.code}.png",
                lambda row=row: charts.rates_figure(f"{row.branch.code} · {chosen.label}",
                                                    row.rolled_up)) for row in rows]
    figures.append((f"{stem}-trend.png",
                    lambda: charts.trend_figure(f"{root.code}: trend by quarter", quarters)))
    for name, draw in progress(figures, "drawing charts"):
        path = out / name
        path.write_bytes(charts.encoded(draw(), "png"))
        written.append(path)
    return written
