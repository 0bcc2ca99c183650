"""Growth (item 9): ingestion rate and the latest-position read as the partitioned fix history grows.

At each size the history is topped up server-side (INSERT ... SELECT generate_series, spread over past
days so it fills several daily partitions), then the same HTTP ingestion run and the same reads are
measured. Baseline at each size: the latest positions computed from the history with DISTINCT ON.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bench import common, fleet, ingest_http
from bench.ingest_http import Sizes

EVERY_S = 5


def _top_up(engine: sa.Engine, t0: datetime, surveyors: int, rows_from: int, rows_to: int) -> float:
    """Add each surveyor's fixes number rows_from..rows_to-1 going back in time from t0; return seconds."""
    from field_api.tracking import partitions

    per = lambda n: n // surveyors  # noqa: E731
    oldest = t0.timestamp() - per(rows_to) * EVERY_S
    partitions.ensure_for_times_engine(engine, datetime.fromtimestamp(oldest, timezone.utc), t0)
    started = time.perf_counter()
    with engine.begin() as conn:
        conn.execute(sa.text(
            "INSERT INTO fix (surveyor_id, device_time, received_at, lat, lon, accuracy_m, speed_mps, heading_deg, "
            "battery, provider, source, poor_accuracy, implausible) "
            "SELECT u.id, :t0 - g * interval '5 seconds', :t0, 22.5 + (u.id % 97) * 0.002 + g * 0.00001, "
            "114.0 + (u.id % 89) * 0.003, 8, 10, 0, 0.8, 'gps', 'api', false, false "
            "FROM (SELECT id FROM user_account WHERE username LIKE 'bench.s%') u, generate_series(CAST(:a AS integer), CAST(:b AS integer)) g"),
            {"t0": t0, "a": per(rows_from) + 1, "b": per(rows_to)})
        if rows_from == 0:
            # The newest fix of each surveyor (g = 1) becomes their kept latest position, as ingestion keeps it.
            conn.execute(sa.text(
                "INSERT INTO latest_position (surveyor_id, device_time, received_at, lat, lon, accuracy_m, "
                "speed_mps, heading_deg, battery, source, poor_accuracy) "
                "SELECT surveyor_id, device_time, received_at, lat, lon, accuracy_m, speed_mps, heading_deg, battery, "
                "source, poor_accuracy FROM fix WHERE device_time = :newest "
                "ON CONFLICT (surveyor_id) DO NOTHING"), {"newest": t0 - timedelta(seconds=EVERY_S)})
    with engine.connect() as conn:
        conn.exec_driver_sql("ANALYZE")
    return time.perf_counter() - started


def _reads(app, repeats: int) -> dict[str, float]:
    """Median times of the latest-position read (1,000 surveyors) and of the DISTINCT ON baseline."""
    from field_api.access import Actor
    from field_api.extensions import db
    from field_api.tracking import service

    latest, history = [], []
    with app.app_context():
        for _ in range(repeats):
            started = time.perf_counter()
            rows = db.session.execute(service.latest_positions(db.session, actor=Actor.system())).all()
            latest.append(time.perf_counter() - started)
        for _ in range(max(1, repeats // 5)):
            started = time.perf_counter()
            baseline = db.session.execute(sa.text(
                "SELECT DISTINCT ON (surveyor_id) surveyor_id, device_time, lat, lon FROM fix "
                "WHERE NOT implausible ORDER BY surveyor_id, device_time DESC")).all()
            history.append(time.perf_counter() - started)
        db.session.remove()
    return {"latest_positions_ms": statistics.median(latest) * 1000, "rows": len(rows),
            "distinct_on_baseline_ms": statistics.median(history) * 1000, "baseline_rows": len(baseline)}


def main(postgres_url: str, *, quick: bool = False, smoke: bool = False, millions: str | None = None) -> dict:
    """Measure at each size (millions of stored fixes); print and write the results."""
    from field_api.extensions import db

    steps = [float(m) for m in millions.split(",")] if millions else ([0.002] if smoke else [0.05, 0.2] if quick
                                                                       else [1, 5])
    sizes = Sizes.smoke() if smoke else Sizes(surveyors=1000, dispatches=200, big_surveyors=100, big_batches=2)
    workdir = Path(tempfile.mkdtemp(prefix="field-api-bench-"))
    app = ingest_http._prepare(postgres_url)
    now = datetime.now(timezone.utc)
    with app.app_context():
        the_fleet = fleet.seed(db.session, surveyors=sizes.surveyors, dispatches=sizes.dispatches, now=now)
        engine = db.engine
        db.session.remove()
    env = {"FIELD_API_DATABASE_URL": postgres_url, "FIELD_API_SECRET_KEY": ingest_http.SECRET}
    people, t0 = the_fleet.surveyors, the_fleet.t0
    results, stored = [], 0
    for step, size in enumerate(steps):
        target = int(size * 1_000_000)
        load_s = _top_up(engine, t0, len(people), stored, target) if target > stored else 0.0
        with engine.connect() as conn:
            stored = conn.exec_driver_sql("SELECT count(*) FROM fix").scalar()
            parts = conn.exec_driver_sql("SELECT count(*) FROM pg_inherits WHERE inhparent = 'fix'::regclass").scalar()
        with common.gunicorn("wsgi:app", env, log=workdir / "gunicorn.log") as (port, master):
            group = people[step * sizes.big_surveyors:(step + 1) * sizes.big_surveyors]
            ingest_http._http(port, master, ingest_http.PATH, people[-sizes.warmup:], t0, 50, 1, 80_000 + step * 100,
                              sizes)
            run = ingest_http._http(port, master, ingest_http.PATH, group, t0, sizes.big_batch, sizes.big_batches,
                                    10_000, sizes)
        reads = _reads(app, repeats=3 if smoke else 20)
        results.append({"stored_fixes": stored, "partitions": parts, "load_s": load_s, "ingest": run, **reads})
    rows = [[f"{r['stored_fixes'] / 1e6:.2f} M", r["partitions"], round(r["ingest"]["fixes_per_s"]),
             round(r["ingest"]["p50_ms"], 1), round(r["ingest"]["p99_ms"], 1), r["ingest"]["errors"],
             round(r["latest_positions_ms"], 2), round(r["distinct_on_baseline_ms"], 1)] for r in results]
    print(common.table("Growth of the partitioned fix history (PostgreSQL, 500-fix batches)",
                       ["stored", "partitions", "fixes/s", "p50 ms", "p99 ms", "errors", "latest read ms",
                        "DISTINCT ON ms"], rows))
    result = {"sizes_millions": steps, "results": results}
    path = common.write_result("partitions" + ("_quick" if quick or smoke else ""), result)
    print(f"  written to {common.shown(path)}")
    return result
