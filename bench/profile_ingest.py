"""Where a batch's time goes: POST /api/v1/positions in-process under cProfile, top functions by own time.

`python -m bench.profile_ingest [--postgres URL] [--batch 500] [--requests 60]`; for a live gunicorn
worker use py-spy instead (`py-spy top --pid <worker>` while `make bench` runs).
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

from bench import fleet
from bench.ingest_http import SECRET, _prepare


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.profile_ingest")
    parser.add_argument("--postgres", default=None)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--requests", type=int, default=60)
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
    for token, body in bodies[:3]:  # warm up: first-request imports and statement caches
        client.post("/api/v1/positions", data=body, headers={"Authorization": f"Bearer {token}",
                                                             "Content-Type": "application/json"})
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    accepted = 0
    for token, body in bodies[3:]:
        response = client.post("/api/v1/positions", data=body, headers={"Authorization": f"Bearer {token}",
                                                                        "Content-Type": "application/json"})
        assert response.status_code == 200, response.get_data(as_text=True)
        accepted += response.json["accepted"]
    profiler.disable()
    elapsed = time.perf_counter() - started
    print(f"{len(bodies) - 3} requests of {args.batch} fixes, {accepted} accepted in {elapsed:.2f} s under the "
          f"profiler ({accepted / elapsed:,.0f} fixes/s, one process)")
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats(args.sort).print_stats(args.top)
    print(out.getvalue())


if __name__ == "__main__":
    main()
