"""Live map (item 3): GET /api/v1/live/map for a branch of 1,000 and one of 10,000 surveyors.

One data set per database: head office HQ over branch A (1,000 on-duty surveyors) and branch B (9,000),
a stored fix history behind them (1 million fixes in the full run, written server-side), each surveyor's
kept latest position equal to their newest stored fix, and 2,000 open cases of branch A, each with an open
dispatch to one of A's surveyors (so both views carry all 2,000 open dispatches). The whole request
(authentication, queries, features, datum conversion, JSON) is timed through Flask's test client;
`?branch=A` is the 1,000-surveyor view, `?branch=HQ` the 10,000-surveyor one.

Two ways of asking, per view:
- built: one request after another with sharing off (`FIELD_API_LIVE_MAP_SHARE_S=0`), so every request
  builds the map: the cost of one answer;
- shared: coordinators reloading the view at once, as after a restart sends every stream a resync:
  `arrivals` requests spread evenly over `burst_s` seconds (open loop, each on its own thread and
  signed-in coordinator), with the map shared for 1 s (the default); latency from the moment a request
  was due, so waiting for a busy process or for the build counts.

Baseline in the same run: the same latest positions computed from the fix history (PostgreSQL
`DISTINCT ON`, SQLite `ROW_NUMBER()` window), restricted to the view's surveyors.
"""

from __future__ import annotations

import random
import statistics
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bench import common

NOW = datetime(2026, 7, 1, 6, 0, tzinfo=timezone.utc)
SHENZHEN = (22.55, 114.05)
EVERY_S = 5
PASSWORD = "bench-password"
SHARE_S = 1.0
COORDINATORS = 20

BASELINE = {
    "postgresql": (
        "SELECT DISTINCT ON (f.surveyor_id) f.surveyor_id, f.device_time, f.lat, f.lon, f.accuracy_m, f.battery, "
        "f.speed_mps, f.heading_deg FROM fix f JOIN user_account u ON u.id = f.surveyor_id "
        "WHERE u.branch_id = ANY(:branches) AND NOT f.implausible ORDER BY f.surveyor_id, f.device_time DESC"),
    "sqlite": (
        "SELECT surveyor_id, device_time, lat, lon, accuracy_m, battery, speed_mps, heading_deg FROM ("
        "SELECT f.*, ROW_NUMBER() OVER (PARTITION BY f.surveyor_id ORDER BY f.device_time DESC) AS rn "
        "FROM fix f JOIN user_account u ON u.id = f.surveyor_id "
        "WHERE u.branch_id IN ({branches}) AND NOT f.implausible) WHERE rn = 1 ORDER BY surveyor_id"),
}


def _app(url: str):
    """A migrated, empty database and an app on it, its clock fixed at NOW."""
    import flask_migrate

    from bench.ingest_http import SECRET, _create_database
    from field_api.app import create_app
    from field_api.clock import SettableClock

    if url.startswith("postgresql"):
        _create_database(url)
        engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
        with engine.begin() as conn:
            conn.exec_driver_sql("DROP SCHEMA IF EXISTS fix_partitions CASCADE")
            conn.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
        engine.dispose()
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": SECRET, "PASSWORD_HASH_CHEAP": True,
                      "RATELIMIT_ENABLED": False, "LIVE_MAP_SHARE_S": SHARE_S}, clock=SettableClock(NOW))
    with app.app_context():
        flask_migrate.upgrade()
    return app


def _fill_fixes(conn: sa.Connection, per_surveyor: int) -> None:
    """Each bench surveyor's fixes, one every 5 s back from NOW, written by the database itself."""
    columns = ("surveyor_id, device_time, received_at, lat, lon, accuracy_m, speed_mps, heading_deg, battery, "
               "provider, source, poor_accuracy, implausible")
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text(
            f"INSERT INTO fix ({columns}) SELECT u.id, :t0 - g * interval '5 seconds', :t0, "
            "22.35 + (u.id % 997) * 0.0004 + g * 0.00001, 113.65 + (u.id % 991) * 0.0008, 8, 10, 90, 0.8, 'gps', "
            "'api', false, false FROM user_account u, generate_series(1, :n) g WHERE u.username LIKE 'bench.s%'"),
            {"t0": NOW, "n": per_surveyor})
    else:
        conn.execute(sa.text(
            f"WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < :n) "
            f"INSERT INTO fix ({columns}) SELECT u.id, "
            "strftime('%Y-%m-%d %H:%M:%S', :t0, '-' || (g.n * 5) || ' seconds') || '.000000', :t0s, "
            "22.35 + (u.id % 997) * 0.0004 + g.n * 0.00001, 113.65 + (u.id % 991) * 0.0008, 8, 10, 90, 0.8, 'gps', "
            "'api', 0, 0 FROM user_account u, g WHERE u.username LIKE 'bench.s%'"),
            {"t0": NOW.strftime("%Y-%m-%d %H:%M:%S"), "t0s": NOW.strftime("%Y-%m-%d %H:%M:%S.000000"),
             "n": per_surveyor})
    # The kept latest position is the newest stored fix, so the baseline must give the same answer.
    conn.execute(sa.text(
        "INSERT INTO latest_position (surveyor_id, device_time, received_at, lat, lon, accuracy_m, speed_mps, "
        "heading_deg, battery, source, poor_accuracy) SELECT surveyor_id, device_time, received_at, lat, lon, "
        "accuracy_m, speed_mps, heading_deg, battery, source, poor_accuracy FROM fix WHERE device_time = :newest"),
        {"newest": NOW - timedelta(seconds=EVERY_S)})


def build(url: str, *, small: int, large: int, cases: int, fixes: int) -> tuple[Any, dict[str, Any]]:
    """The data set: HQ > A (`small` surveyors) and B (`large - small`), `fixes` stored fixes, `cases` open."""
    from field_api.access import Actor
    from field_api.accounts import service as accounts
    from field_api.accounts.models import Role, User
    from field_api.dispatch.models import Case, Dispatch
    from field_api.extensions import db
    from field_api.tracking import partitions
    from field_api.tracking.models import DutyInterval

    app = _app(url)
    rng = random.Random(1)
    per_surveyor = max(1, fixes // large)
    timings: dict[str, float] = {}
    with app.app_context():
        started = time.perf_counter()
        system = Actor.system("bench")
        for code, parent in (("HQ", None), ("A", "HQ"), ("B", "HQ")):
            accounts.create_branch(db.session, actor=system, now=NOW, code=code, name=code, parent_code=parent)
        for n in range(COORDINATORS):
            accounts.create_user(db.session, actor=system, now=NOW, username=f"desk{n}", password=PASSWORD,
                                 role=Role.COORDINATOR, branch_code="HQ", cheap_hash=True)
        branch = {code: accounts.branch_by_code(db.session, code).id for code in ("HQ", "A", "B")}
        first = db.session.scalar(sa.select(sa.func.max(User.id))) + 1
        ids = list(range(first, first + large))
        db.session.execute(sa.insert(User), [
            {"id": i, "username": f"bench.s{i}", "display_name": f"Surveyor {i}", "role": Role.SURVEYOR,
             "branch_id": branch["A"] if n < small else branch["B"], "is_chief_coordinator": False,
             "password_hash": "x", "is_active": True, "created_at": NOW} for n, i in enumerate(ids)])
        db.session.execute(sa.insert(DutyInterval), [
            {"surveyor_id": i, "started_at": NOW - timedelta(hours=2)} for i in ids])
        sites = [(SHENZHEN[0] + rng.uniform(-0.2, 0.2), SHENZHEN[1] + rng.uniform(-0.4, 0.4)) for _ in range(cases)]
        db.session.execute(sa.insert(Case), [
            {"id": n + 1, "branch_id": branch["A"], "report_number": f"B{n:06d}", "reported_at": NOW,
             "line": "motor", "on_site": True, "lat": lat, "lon": lon, "customer_name": "C", "is_vip": False,
             "coverage": "urban", "plate_number": "粤B00000", "created_at": NOW, "first_dispatched_at": NOW}
            for n, (lat, lon) in enumerate(sites)])
        db.session.execute(sa.insert(Dispatch), [
            {"case_id": n + 1, "branch_id": branch["A"], "surveyor_id": ids[n % small],
             "dispatched_at": NOW - timedelta(minutes=n % 40), "clock_start": NOW - timedelta(minutes=n % 40),
             "is_first": True, "status": "open", "fence_lat": lat, "fence_lon": lon, "arrive_radius_m": 200.0,
             "leave_radius_m": 300.0, "contact_due_at": NOW + timedelta(minutes=5), "contact_state": "pending",
             "arrival_due_at": NOW + timedelta(minutes=30 - n % 40), "arrival_state": "pending",
             "arrived_at": NOW - timedelta(minutes=1) if n % 3 == 0 else None, "version": 1}
            for n, (lat, lon) in enumerate(sites)])
        db.session.commit()
        timings["seed_s"] = time.perf_counter() - started
        engine = db.engine
        db.session.remove()
    started = time.perf_counter()
    # The schema was just wiped: this process must not trust its memory of which daily partitions exist.
    partitions.forget(engine, [NOW.date() + timedelta(days=d) for d in range(-7, 8)])
    partitions.ensure_for_times_engine(engine, NOW - timedelta(seconds=EVERY_S * (per_surveyor + 1)), NOW)
    with engine.begin() as conn:
        _fill_fixes(conn, per_surveyor)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        # Every table, as autovacuum would have by then: the planner needs the users', duty and dispatch counts,
        # and PostgreSQL's index-only scans need the visibility map that a vacuum sets (SQLite has neither).
        conn.exec_driver_sql("VACUUM ANALYZE" if conn.dialect.name == "postgresql" else "ANALYZE")
        stored = conn.exec_driver_sql("SELECT count(*) FROM fix").scalar()
    timings["fill_s"] = time.perf_counter() - started
    return app, {"branches": branch, "stored_fixes": stored, **timings}


def _baseline(app, branches: list[int], repeats: int) -> tuple[list[float], int]:
    """Latest positions of a view's surveyors computed from the fix history; times in seconds, rows."""
    from field_api.extensions import db

    times, rows = [], 0
    with app.app_context():
        dialect = db.engine.dialect.name
        for _ in range(repeats):
            started = time.perf_counter()
            if dialect == "postgresql":
                result = db.session.execute(sa.text(BASELINE["postgresql"]), {"branches": branches}).all()
            else:
                sql = BASELINE["sqlite"].format(branches=",".join(str(int(b)) for b in branches))
                result = db.session.execute(sa.text(sql)).all()
            times.append(time.perf_counter() - started)
            rows = len(result)
        db.session.remove()
    return times, rows


def _endpoint(client, headers: dict[str, str], query: str, repeats: int) -> tuple[list[float], dict[str, Any]]:
    """Times of the whole request (after one warm-up), and what it answered."""
    import json

    response = client.get(f"/api/v1/live/map?{query}", headers=headers)
    assert response.status_code == 200, response.data[:500]
    body = json.loads(response.data)
    kinds: dict[str, int] = {}
    for feature in body["features"]:
        kinds[feature["properties"]["kind"]] = kinds.get(feature["properties"]["kind"], 0) + 1
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        response = client.get(f"/api/v1/live/map?{query}", headers=headers)
        times.append(time.perf_counter() - started)
        assert response.status_code == 200
    return times, {"features": kinds, "bytes": len(response.data)}


def _burst(app, headers: list[dict[str, str]], query: str, arrivals: int, burst_s: float) -> dict[str, Any]:
    """`arrivals` requests due evenly over `burst_s` s, each from the next coordinator; latency from when due."""
    local = threading.local()
    maps = app.extensions["live_maps"]
    builds_before = maps.builds

    def ask(n: int, due: float) -> tuple[float, int]:
        time.sleep(max(0.0, due - time.perf_counter()))
        if not hasattr(local, "client"):
            local.client = app.test_client()
        response = local.client.get(f"/api/v1/live/map?{query}", headers=headers[n % len(headers)])
        return time.perf_counter() - due, response.status_code

    start = time.perf_counter() + 0.2
    with ThreadPoolExecutor(max_workers=len(headers)) as pool:
        done = list(pool.map(ask, range(arrivals), [start + n * burst_s / arrivals for n in range(arrivals)]))
    times = [t for t, _ in done]
    return {"arrivals": arrivals, "burst_s": burst_s, "errors": sum(1 for _, code in done if code != 200),
            "builds": maps.builds - builds_before, "p50_ms": statistics.median(times) * 1000,
            "p90_ms": common.percentile(times, 90) * 1000, "p99_ms": common.percentile(times, 99) * 1000,
            "max_ms": max(times) * 1000}


def measure(url: str, *, small: int, large: int, cases: int, fixes: int, repeats: int,
            arrivals: int, burst_s: float) -> dict[str, Any]:
    """Build one database and time both views (built, shared) and their baselines."""
    app, built = build(url, small=small, large=large, cases=cases, fixes=fixes)
    client = app.test_client()
    headers = []
    for n in range(COORDINATORS):
        token = client.post("/api/v1/auth/token", json={"username": f"desk{n}", "password": PASSWORD})
        headers.append({"Authorization": f"Bearer {token.json['access_token']}"})
    branches = built["branches"]
    maps = app.extensions["live_maps"]
    views = []
    for label, code, members, n in ((f"{small:,}", "A", [branches["A"]], repeats * 3),
                                    (f"{large:,}", "HQ", list(branches.values()), repeats)):
        load = list(__import__("os").getloadavg())
        maps.share_s = 0  # every request builds its map
        times, answer = _endpoint(client, headers[0], f"branch={code}", n)
        gcj, _ = _endpoint(client, headers[0], f"branch={code}&crs=gcj02", max(3, n // 3))
        maps.share_s = SHARE_S
        shared = _burst(app, headers, f"branch={code}", arrivals, burst_s)
        base, base_rows = _baseline(app, members, max(3, repeats // 2))
        surveyors = answer["features"].get("surveyor", 0)
        assert base_rows == surveyors, (base_rows, surveyors)
        assert shared["errors"] == 0, shared
        views.append({"surveyors": surveyors, "view": label, "branch": code, "answer": answer,
                      "p50_ms": statistics.median(times) * 1000, "p90_ms": common.percentile(times, 90) * 1000,
                      "gcj02_p50_ms": statistics.median(gcj) * 1000, "shared": shared,
                      "baseline_p50_ms": statistics.median(base) * 1000, "repeats": len(times),
                      "load_average": load})
    with app.app_context():
        from field_api.extensions import db

        db.engine.dispose()
    return {"database": url.split(":", 1)[0], **built, "views": views}


def main(quick: bool = False, smoke: bool = False, postgres_url: str | None = None,
         millions: str | None = None) -> dict[str, Any]:
    """Measure on SQLite (and PostgreSQL when given), at each stored-fix size; print and write the results."""
    if smoke:
        sizes = {"small": 20, "large": 60, "cases": 30, "fixes": 1_200, "repeats": 2, "arrivals": 20, "burst_s": 1.0}
    elif quick:
        sizes = {"small": 1_000, "large": 10_000, "cases": 2_000, "fixes": 100_000, "repeats": 5,
                 "arrivals": 100, "burst_s": 5.0}
    else:
        sizes = {"small": 1_000, "large": 10_000, "cases": 2_000, "fixes": 1_000_000, "repeats": 11,
                 "arrivals": 200, "burst_s": 10.0}
    def urls() -> list[str]:  # a fresh SQLite file per size; the PostgreSQL database is wiped by each build
        return ([f"sqlite:///{Path(tempfile.mkdtemp(prefix='field-api-bench-')) / 'live.sqlite3'}"]
                + ([postgres_url] if postgres_url else []))

    counts = [int(float(m) * 1_000_000) for m in millions.split(",")] if millions else [sizes.pop("fixes")]
    sizes.pop("fixes", None)
    results = [measure(url, **sizes, fixes=count) for count in counts for url in urls()]
    rows = []
    for r in results:
        for v in r["views"]:
            shared = v["shared"]
            rows.append([r["database"], f"{r['stored_fixes']:,}", v["surveyors"],
                         v["answer"]["features"].get("case", 0),
                         round(v["p50_ms"], 1), round(v["gcj02_p50_ms"], 1),
                         f"{shared['arrivals']}/{shared['burst_s']:g}s", shared["builds"],
                         round(shared["p50_ms"], 1), round(shared["p99_ms"], 1), round(v["baseline_p50_ms"], 1),
                         v["baseline_p50_ms"] / v["p50_ms"], v["baseline_p50_ms"] / shared["p50_ms"],
                         f"{v['answer']['bytes'] / 1e6:.2f}", " ".join(f"{x:.1f}" for x in v["load_average"])])
    print(common.table("GET /api/v1/live/map (whole request) vs latest positions from the fix history",
                       ["database", "stored fixes", "surveyors", "cases", "built p50 ms", "gcj02 built p50 ms",
                        "shared: asked", "builds", "shared p50 ms", "shared p99 ms", "history baseline p50 ms",
                        "baseline / built", "baseline / shared", "MB", "load 1/5/15"], rows))
    result = {"sizes": {**sizes, "fixes": counts}, "results": results}
    path = common.write_result("live_map" + ("_quick" if quick or smoke else ""), result)
    print(f"  written to {common.shown(path)}")
    return result
