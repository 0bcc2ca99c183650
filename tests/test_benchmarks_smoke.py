"""Every benchmark still runs: `python -m bench NAME --smoke` at minimal sizes (no timing is asserted).

One test per benchmark, so the test runner's workers share them out; slow (run once in CI, on the
PostgreSQL pass), where each measures SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from bench.__main__ import BENCHMARKS
from tests.conftest import POSTGRES_URL

REPO = Path(__file__).resolve().parents[1]


def _bench_database(name: str) -> str:
    """A database of its own next to the test database (the benchmark wipes the one it is given)."""
    url = sa.engine.make_url(POSTGRES_URL).set(drivername="postgresql+psycopg")
    name = f"{url.database}_bench_{name}"
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    engine.dispose()
    return url.set(database=name, drivername="postgresql").render_as_string(hide_password=False)


def _results(name: str, tmp_path: Path) -> Path:
    """Run one benchmark in smoke mode; return the folder its results were written to."""
    env = {**os.environ, "FIELD_API_BENCH_RESULTS": str(tmp_path), "FIELD_API_BENCH_DATABASE_URL": ""}
    if POSTGRES_URL:
        env["FIELD_API_BENCH_DATABASE_URL"] = _bench_database(name)
    done = subprocess.run([sys.executable, "-m", "bench", name, "--smoke"], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return tmp_path


def _read(folder: Path, name: str) -> dict:
    return json.loads((folder / f"{name}_quick.json").read_text())


def _geo_arrival(folder: Path) -> None:
    assert (folder / "geo_arrival_quick.json").exists()


def _ingest_http(folder: Path) -> None:
    for database in _read(folder, "ingest_http")["results"]:
        for scenario in ("fast_big", "fast_small", "naive_small"):
            assert database[scenario]["errors"] == 0, database[scenario]["error_samples"]
            assert database[scenario]["accepted"] == database[scenario]["fixes_sent"]


def _partitions(folder: Path) -> None:
    if POSTGRES_URL:
        assert all(step["ingest"]["errors"] == 0 for step in _read(folder, "partitions")["results"])


def _candidates(folder: Path) -> None:
    assert _read(folder, "candidates")["same_order"] is True


def _live_map(folder: Path) -> None:
    live = _read(folder, "live_map")
    assert len(live["results"]) == (2 if POSTGRES_URL else 1)
    assert all(view["answer"]["features"]["surveyor"] == view["surveyors"] for r in live["results"]
               for view in r["views"])


def _photo_upload(folder: Path) -> None:
    photos = _read(folder, "photo_upload")
    assert all(r["errors"] == 0 and r["stored"] == r["uploads"] for r in photos["results"]), photos["results"]


def _stream_fanout(folder: Path) -> None:
    fanout = folder / "stream_fanout_quick.json"
    assert fanout.exists() or not os.environ.get("FIELD_API_REQUIRE_REDIS"), "stream_fanout needs Redis"
    for database in json.loads(fanout.read_text())["results"] if fanout.exists() else []:
        assert database["with"]["errors"] == database["without"]["errors"] == 0, database["phases"]
        assert database["delivery"]["streams_open"] == database["clients"], database["delivery"]
        assert database["delivery"]["missed"] == 0, database["delivery"]


def _reports(folder: Path) -> None:
    for database in _read(folder, "reports")["results"]:
        assert database["settled_branch_days"] > 0
        assert all(row["kept_numbers_compared"] == row["numbers_compared"] > 0 for row in database["reports"])


CHECKS = {"geo_arrival": _geo_arrival, "ingest_http": _ingest_http, "partitions": _partitions,
          "candidates": _candidates, "live_map": _live_map, "photo_upload": _photo_upload,
          "stream_fanout": _stream_fanout, "reports": _reports}


def test_every_benchmark_has_its_smoke_test():
    assert set(CHECKS) == set(BENCHMARKS)


@pytest.mark.slow
@pytest.mark.parametrize("name", BENCHMARKS)
def test_the_benchmark_runs_in_smoke_mode_and_writes_its_results(name, tmp_path):
    CHECKS[name](_results(name, tmp_path))
