"""Every benchmark still runs: `python -m bench --smoke` at minimal sizes (no timing is asserted)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa

from tests.conftest import POSTGRES_URL

REPO = Path(__file__).resolve().parents[1]


def _bench_database(worker_id: str) -> str:
    """A database of its own next to the test database (the benchmark wipes the one it is given)."""
    url = sa.engine.make_url(POSTGRES_URL).set(drivername="postgresql+psycopg")
    name = f"{url.database}_bench_{worker_id}"
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    engine.dispose()
    return url.set(database=name, drivername="postgresql").render_as_string(hide_password=False)


def test_every_benchmark_runs_in_smoke_mode_and_writes_its_results(tmp_path, worker_id):
    env = {**os.environ, "FIELD_API_BENCH_RESULTS": str(tmp_path), "FIELD_API_BENCH_DATABASE_URL": ""}
    if POSTGRES_URL:
        env["FIELD_API_BENCH_DATABASE_URL"] = _bench_database(worker_id)
    done = subprocess.run([sys.executable, "-m", "bench", "--smoke"], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert (tmp_path / "geo_arrival_quick.json").exists()
    assert json.loads((tmp_path / "candidates_quick.json").read_text())["same_order"] is True
    live = json.loads((tmp_path / "live_map_quick.json").read_text())
    assert len(live["results"]) == (2 if POSTGRES_URL else 1)
    assert all(view["answer"]["features"]["surveyor"] == view["surveyors"] for r in live["results"]
               for view in r["views"])
    photos = json.loads((tmp_path / "photo_upload_quick.json").read_text())
    assert all(r["errors"] == 0 and r["stored"] == r["uploads"] for r in photos["results"]), photos["results"]
    ingest = json.loads((tmp_path / "ingest_http_quick.json").read_text())
    for database in ingest["results"]:
        for scenario in ("fast_big", "fast_small", "naive_small"):
            assert database[scenario]["errors"] == 0, database[scenario]["error_samples"]
            assert database[scenario]["accepted"] == database[scenario]["fixes_sent"]
    fanout = tmp_path / "stream_fanout_quick.json"
    assert fanout.exists() or not os.environ.get("FIELD_API_REQUIRE_REDIS"), "stream_fanout needs Redis"
    for database in json.loads(fanout.read_text())["results"] if fanout.exists() else []:
        assert database["with"]["errors"] == database["without"]["errors"] == 0, database["phases"]
        assert database["delivery"]["streams_open"] == database["clients"], database["delivery"]
        assert database["delivery"]["missed"] == 0, database["delivery"]
    if POSTGRES_URL:
        growth = json.loads((tmp_path / "partitions_quick.json").read_text())
        assert all(step["ingest"]["errors"] == 0 for step in growth["results"])
    reports = json.loads((tmp_path / "reports_quick.json").read_text())
    for database in reports["results"]:
        assert database["settled_branch_days"] > 0
        assert all(row["kept_numbers_compared"] == row["numbers_compared"] > 0 for row in database["reports"])
