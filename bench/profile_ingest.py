"""Where a batch's time goes: POST /api/v1/positions in-process, under cProfile or timed.

`python -m bench.profile_ingest [--postgres URL] [--batch 500] [--requests 60] [--time]`: with `--time`
no profiler runs and each request's wall time, this process's CPU and (PostgreSQL) the server backend's
CPU are reported per request. For a live gunicorn worker use py-spy (`py-spy top --pid <worker>`).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import sqlalchemy as sa

from bench import common, fleet
from bench.ingest_http import _prepare


def _backend_pids(db) -> list[int]:
    """The PostgreSQL backends serving this process's pooled connections (none on SQLite)."""
    if db.engine.dialect.name != "postgresql":
        return []
    with db.engine.connect() as conn:
        return [pid for (pid,) in conn.execute(sa.text(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"))]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.profile_ingest")
    parser.add_argument("--postgres", default=None)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--time", action="store_true", help="no profiler: wall and CPU ms per request")
    parser.add_argument("--sort", default="tottime")
    parser.add_argument("--top", type=int, default=35)
    args = parser.parse_args(argv)
    url = args.postgres or f"sqlite:///{Path(tempfile.mkdtemp()) / 'profile.sqlite3'}"
    from field_api.extensions import db

    app = _prepare(url)
    now = datetime.now(timezone.utc)
    with app.app_context():
        the_fleet = fleet.seed(db.session, surveyors=args.requests, dispatches=args.requests, now=now)
        db.session.remove()
    client = app.test_client()
    bodies = [(s.token, fleet.body(s, the_fleet.t0, b, args.batch)) for b in range(2) for s in the_fleet.surveyors]

    def post(token: str, body: bytes) -> int:
        response = client.post("/api/v1/positions", data=body, headers={"Authorization": f"Bearer {token}",
                                                                        "Content-Type": "application/json"})
        assert response.status_code == 200, response.get_data(as_text=True)
        return response.json["accepted"]

    for token, body in bodies[:3]:  # warm up: first-request imports and statement caches
        post(token, body)
    timed = bodies[3:]
    profiler = None if args.time else cProfile.Profile()
    with app.app_context():
        backends = _backend_pids(db)
    db_cpu = sum(common.process_cpu_s(pid) for pid in backends)
    cpu, started = time.process_time(), time.perf_counter()
    if profiler:
        profiler.enable()
    accepted = sum(post(token, body) for token, body in timed)
    if profiler:
        profiler.disable()
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    db_cpu = sum(common.process_cpu_s(pid) for pid in backends) - db_cpu
    n = len(timed)
    print(f"{n} requests of {args.batch} fixes, {accepted} accepted in {elapsed:.2f} s"
          f"{'' if args.time else ' under the profiler'} ({accepted / elapsed:,.0f} fixes/s, one process)")
    print(f"per request: {elapsed / n * 1000:.2f} ms wall, {cpu / n * 1000:.2f} ms CPU here"
          + (f", {db_cpu / n * 1000:.2f} ms CPU in the database" if backends else ""))
    if profiler:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats(args.sort).print_stats(args.top)
        print(out.getvalue())


if __name__ == "__main__":
    main()
