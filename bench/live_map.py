"""Benchmark: GET /api/v1/live/map for a branch with 10,000 on-duty surveyors and 2,000 open dispatches.

    .venv/bin/python bench/live_map.py [--surveyors 10000] [--cases 2000]

Builds the data with bulk inserts in a fresh SQLite file (or FIELD_API_BENCH_DATABASE_URL, an empty
PostgreSQL database), then times the whole request (query, features, datum conversion, JSON) through
Flask's test client. Writes bench/results/live_map.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import sqlalchemy as sa  # noqa: E402

from field_api.access import Actor  # noqa: E402
from field_api.accounts import service as accounts  # noqa: E402
from field_api.accounts.models import Role, User  # noqa: E402
from field_api.app import create_app  # noqa: E402
from field_api.clock import SettableClock  # noqa: E402
from field_api.dispatch.models import Case, Dispatch  # noqa: E402
from field_api.extensions import db  # noqa: E402
from field_api.tracking.models import DutyInterval, LatestPosition  # noqa: E402

NOW = datetime(2026, 7, 1, 2, 0, tzinfo=timezone.utc)
SHENZHEN = (22.55, 114.05)
REPEATS = 5


def build(surveyors: int, cases: int) -> tuple:
    url = os.environ.get("FIELD_API_BENCH_DATABASE_URL") or f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "b" * 40, "PASSWORD_HASH_CHEAP": True,
                      "RATELIMIT_ENABLED": False}, clock=SettableClock(NOW))
    rng = random.Random(1)
    with app.app_context():
        import flask_migrate

        flask_migrate.upgrade()
        system = Actor.system("bench")
        for code, parent in (("HQ", None), ("SZ", "HQ")):
            accounts.create_branch(db.session, actor=system, now=NOW, code=code, name=code, parent_code=parent)
        accounts.create_user(db.session, actor=system, now=NOW, username="desk", password="bench-password",
                             role=Role.COORDINATOR, branch_code="SZ", cheap_hash=True)
        branch_id = accounts.branch_by_code(db.session, "SZ").id
        first = db.session.scalar(sa.select(sa.func.max(User.id))) + 1
        ids = list(range(first, first + surveyors))
        db.session.execute(sa.insert(User), [
            {"id": i, "username": f"s{i}", "display_name": f"Surveyor {i}", "role": Role.SURVEYOR,
             "branch_id": branch_id, "is_chief_coordinator": False, "password_hash": "x", "is_active": True,
             "created_at": NOW} for i in ids])
        db.session.execute(sa.insert(DutyInterval), [
            {"surveyor_id": i, "started_at": NOW - timedelta(hours=2)} for i in ids])
        db.session.execute(sa.insert(LatestPosition), [
            {"surveyor_id": i, "device_time": NOW - timedelta(seconds=rng.randint(1, 300)), "received_at": NOW,
             "lat": SHENZHEN[0] + rng.uniform(-0.2, 0.2), "lon": SHENZHEN[1] + rng.uniform(-0.4, 0.4),
             "accuracy_m": rng.uniform(4, 20), "battery": rng.uniform(0.2, 1), "speed_mps": rng.uniform(0, 15),
             "source": "api", "poor_accuracy": False} for i in ids])
        sites = [(SHENZHEN[0] + rng.uniform(-0.2, 0.2), SHENZHEN[1] + rng.uniform(-0.4, 0.4)) for _ in range(cases)]
        db.session.execute(sa.insert(Case), [
            {"id": n + 1, "branch_id": branch_id, "report_number": f"B{n:06d}", "reported_at": NOW, "line": "motor",
             "on_site": True, "lat": lat, "lon": lon, "customer_name": "C", "is_vip": False, "coverage": "urban",
             "plate_number": "粤B00000", "created_at": NOW, "first_dispatched_at": NOW}
            for n, (lat, lon) in enumerate(sites)])
        db.session.execute(sa.insert(Dispatch), [
            {"case_id": n + 1, "branch_id": branch_id, "surveyor_id": ids[n], "dispatched_at": NOW,
             "clock_start": NOW, "is_first": True, "status": "open", "fence_lat": lat, "fence_lon": lon,
             "arrive_radius_m": 200.0, "leave_radius_m": 300.0, "contact_due_at": NOW + timedelta(minutes=5),
             "contact_state": "pending", "arrival_due_at": NOW + timedelta(minutes=30), "arrival_state": "pending",
             "version": 1} for n, (lat, lon) in enumerate(sites)])
        db.session.commit()
    return app, url


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--surveyors", type=int, default=10_000)
    parser.add_argument("--cases", type=int, default=2_000)
    args = parser.parse_args()
    app, url = build(args.surveyors, args.cases)
    client = app.test_client()
    token = client.post("/api/v1/auth/token", json={"username": "desk", "password": "bench-password"})
    headers = {"Authorization": f"Bearer {token.json['access_token']}"}
    timings = {}
    for crs in ("wgs84", "gcj02"):
        best, size, count = float("inf"), 0, 0
        for _ in range(REPEATS):
            start = time.perf_counter()
            response = client.get(f"/api/v1/live/map?crs={crs}", headers=headers)
            best = min(best, time.perf_counter() - start)
            assert response.status_code == 200
            size, count = len(response.data), len(json.loads(response.data)["features"])
        timings[crs] = {"best_s": round(best, 3), "features": count, "bytes": size}
        print(f"GET /api/v1/live/map?crs={crs}: {count} features, {size / 1e6:.1f} MB, best of {REPEATS}: "
              f"{best * 1000:.0f} ms")
    results = {"surveyors": args.surveyors, "open_dispatches": args.cases, "database": url.split(":", 1)[0],
               "timings": timings, "python": platform.python_version(), "machine": platform.machine()}
    out = REPO / "bench" / "results" / "live_map.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"written to {out.relative_to(REPO)}")


if __name__ == "__main__":
    main()
