"""Fix ingestion over HTTP: gunicorn with 2 workers, batches of 100 and 500 fixes, PostgreSQL and SQLite.

Baselines in the same run: the raw insert of the same rows (PostgreSQL binary COPY, SQLite executemany),
and a naive endpoint (bench/naive_app.py: a schema object, queries and an ORM row per fix).
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bench import common, fleet, loadgen

PATH = "/api/v1/positions"
NAIVE_PATH = "/bench/naive/positions"
SECRET = "bench-secret-" + "x" * 40
COLUMNS = ("surveyor_id", "device_time", "received_at", "lat", "lon", "accuracy_m", "speed_mps", "heading_deg",
           "altitude_m", "battery", "provider", "source", "device_id", "poor_accuracy", "implausible")


@dataclass(frozen=True)
class Sizes:
    """How big a run is: the fleet, and per scenario how many surveyors post how many batches."""

    surveyors: int = 2000
    dispatches: int = 2000
    big_batch: int = 500
    big_surveyors: int = 200
    big_batches: int = 3
    small_batch: int = 100
    small_surveyors: int = 500
    small_batches: int = 4
    naive_surveyors: int = 40
    naive_batches: int = 1
    warmup: int = 8
    processes: int = 2
    threads: int = 3
    server_threads: int = 4

    @classmethod
    def quick(cls) -> "Sizes":
        return cls(surveyors=60, dispatches=60, big_surveyors=8, big_batches=2, small_surveyors=12, small_batches=2,
                   naive_surveyors=4, warmup=2)

    @classmethod
    def smoke(cls) -> "Sizes":
        return cls(surveyors=12, dispatches=12, big_batch=20, big_surveyors=2, big_batches=1, small_batch=10,
                   small_surveyors=2, small_batches=1, naive_surveyors=2, warmup=1, processes=1, threads=1)


def _create_database(url: str) -> None:
    """Create the benchmark's PostgreSQL database when it does not exist yet."""
    target = sa.engine.make_url(url).set(drivername="postgresql+psycopg")
    engine = sa.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        if not conn.exec_driver_sql("SELECT 1 FROM pg_database WHERE datname = %s", (target.database,)).scalar():
            conn.exec_driver_sql(f'CREATE DATABASE "{target.database}"')
    engine.dispose()


def _prepare(url: str) -> Any:
    """Migrate a fresh database to head and return an app on it (the bench's own connection)."""
    import flask_migrate

    from field_api.app import create_app

    if url.startswith("postgresql"):
        _create_database(url)
        engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
        with engine.begin() as conn:
            conn.exec_driver_sql("DROP SCHEMA IF EXISTS fix_partitions CASCADE")
            conn.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
        engine.dispose()
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": SECRET, "PASSWORD_HASH_CHEAP": True})
    with app.app_context():
        flask_migrate.upgrade()
    return app


def _plan(surveyors: list[fleet.Surveyor], t0: datetime, size: int, batches: int, offset: int):
    """A make_plan for the load generator: slot k encodes every k-th surveyor's batches."""
    def make(slot: int, processes: int) -> loadgen.Plan:
        return [(s.token, [fleet.body(s, t0, b, size, offset) for b in range(batches)])
                for s in surveyors[slot::processes]]
    return make


def _http(port: int, master: int, path: str, surveyors, t0, size, batches, offset, sizes: Sizes,
          answered: list | None = None) -> dict[str, Any]:
    """Post the plan, and measure the server workers' CPU and the generator's (and extend `answered`, if given)."""
    workers = common.children(master)
    cpu_before = sum(common.process_cpu_s(p) for p in workers)
    make = _plan(surveyors, t0, size, batches, offset)
    result = loadgen.run(port, path, lambda slot: make(slot, sizes.processes), processes=sizes.processes,
                         threads=sizes.threads)
    server_cpu = sum(common.process_cpu_s(p) for p in workers) - cpu_before
    if answered is not None:
        answered += result.answered
    cores = os.cpu_count() or 1
    errors = sum(n for status, n in result.statuses.items() if status != 200)
    return {
        "batch": size, "requests": len(result.latencies_s), "fixes_sent": len(surveyors) * batches * size,
        "accepted": result.accepted, "duplicate": result.duplicate, "off_duty": result.off_duty,
        "rejected": result.rejected, "errors": errors, "error_samples": result.errors,
        "wall_s": result.wall_s, "fixes_per_s": result.accepted / result.wall_s,
        "p50_ms": common.percentile(result.latencies_s, 50) * 1000,
        "p99_ms": common.percentile(result.latencies_s, 99) * 1000,
        "generator_cpu_share": result.generator_cpu_s / (result.wall_s * cores),
        "server_cpu_share": server_cpu / (result.wall_s * cores),
        "worker_peak_rss_mb": max((common.peak_rss_mb(p) for p in workers), default=0.0),
    }


def _raw_rows(surveyors, t0, size, batches, offset, received_at: datetime) -> list[tuple]:
    rows = []
    for s in surveyors:
        for b in range(batches):
            for f in fleet.fixes(s, t0, b, size, offset):
                rows.append((s.user_id, fleet.utc(f["device_time"]), received_at, f["lat"], f["lon"], f["accuracy"],
                             f["speed"], f["heading"], None, f["battery"], f["provider"], "api", None, False, False))
    return rows


def raw_insert_postgres(url: str, rows: list[tuple]) -> dict[str, Any]:
    """Binary COPY of the rows into a plain copy of the fix table (same indexes): the physical limit."""
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://", 1)) as conn:
        conn.execute("DROP TABLE IF EXISTS bench_raw_fix")
        conn.execute("CREATE TABLE bench_raw_fix (LIKE fix INCLUDING DEFAULTS INCLUDING INDEXES)")
        conn.commit()
        start = time.perf_counter()
        with conn.cursor() as cur:
            with cur.copy(f"COPY bench_raw_fix ({', '.join(COLUMNS)}) FROM STDIN (FORMAT BINARY)") as copy:
                copy.set_types(["int4", "timestamptz", "timestamptz", "float8", "float8", "float8", "float8",
                                "float8", "float8", "float8", "varchar", "varchar", "int4", "bool", "bool"])
                for r in rows:
                    copy.write_row(r)
        conn.commit()
        elapsed = time.perf_counter() - start
        conn.execute("DROP TABLE bench_raw_fix")
        conn.commit()
    return {"method": "binary COPY", "rows": len(rows), "wall_s": elapsed, "rows_per_s": len(rows) / elapsed}


def raw_insert_sqlite(path: str, rows: list[tuple]) -> dict[str, Any]:
    """executemany of the rows into a plain copy of the fix table (same indexes), one transaction."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("DROP TABLE IF EXISTS bench_raw_fix")
    conn.execute("CREATE TABLE bench_raw_fix (id INTEGER PRIMARY KEY, surveyor_id INTEGER NOT NULL, "
                 "device_time DATETIME NOT NULL, received_at DATETIME NOT NULL, lat FLOAT NOT NULL, "
                 "lon FLOAT NOT NULL, accuracy_m FLOAT, speed_mps FLOAT, heading_deg FLOAT, altitude_m FLOAT, "
                 "battery FLOAT, provider VARCHAR(16), source VARCHAR(16) NOT NULL, device_id INTEGER, "
                 "poor_accuracy BOOLEAN NOT NULL, implausible BOOLEAN NOT NULL, UNIQUE (surveyor_id, device_time))")
    conn.execute("CREATE INDEX ix_bench_raw_fix_device_time ON bench_raw_fix (device_time)")

    def text(at: datetime) -> str:
        return at.astimezone(timezone.utc).replace(tzinfo=None).isoformat(" ")

    encoded = [(r[0], text(r[1]), text(r[2]), *r[3:]) for r in rows]
    start = time.perf_counter()
    conn.execute("BEGIN")
    conn.executemany(f"INSERT INTO bench_raw_fix ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})",
                     encoded)
    conn.execute("COMMIT")
    elapsed = time.perf_counter() - start
    conn.execute("DROP TABLE bench_raw_fix")
    conn.close()
    return {"method": "executemany", "rows": len(rows), "wall_s": elapsed, "rows_per_s": len(rows) / elapsed}


def run_database(kind: str, url: str, sizes: Sizes, log: Path) -> dict[str, Any]:
    """Every scenario on one database: fast path at both batch sizes, naive endpoint, raw insert."""
    from field_api.extensions import db

    app = _prepare(url)
    now = datetime.now(timezone.utc)
    with app.app_context():
        started = time.perf_counter()
        the_fleet = fleet.seed(db.session, surveyors=sizes.surveyors, dispatches=sizes.dispatches, now=now)
        seed_s = time.perf_counter() - started
        db.session.remove()
        db.engine.dispose()
    people, t0 = the_fleet.surveyors, the_fleet.t0
    big = people[:sizes.big_surveyors]
    small = people[sizes.big_surveyors:sizes.big_surveyors + sizes.small_surveyors]
    naive = people[sizes.big_surveyors + sizes.small_surveyors:][:sizes.naive_surveyors]
    warm = people[-sizes.warmup:]
    env = {"FIELD_API_DATABASE_URL": url, "FIELD_API_SECRET_KEY": SECRET}
    out: dict[str, Any] = {"database": kind, "surveyors": sizes.surveyors, "open_dispatches": sizes.dispatches,
                           "seed_s": seed_s}
    with common.gunicorn("wsgi:app", env, threads=sizes.server_threads, log=log) as (port, master):
        _http(port, master, PATH, warm, t0, 50, 1, 80_000, sizes)
        out["fast_big"] = _http(port, master, PATH, big, t0, sizes.big_batch, sizes.big_batches, 0, sizes)
        out["fast_small"] = _http(port, master, PATH, small, t0, sizes.small_batch, sizes.small_batches, 0, sizes)
    with common.gunicorn("bench.naive_app:app", env, log=log) as (port, master):
        _http(port, master, NAIVE_PATH, warm, t0, 10, 1, 81_000, sizes)
        out["naive_small"] = _http(port, master, NAIVE_PATH, naive, t0, sizes.small_batch, sizes.naive_batches, 0,
                                   sizes)
    rows = _raw_rows(big, t0, sizes.big_batch, sizes.big_batches, 0, now)
    if kind == "postgresql":
        out["raw"] = raw_insert_postgres(url, rows)
    else:
        out["raw"] = raw_insert_sqlite(url.removeprefix("sqlite:///"), rows)
    return out


def report(results: list[dict[str, Any]]) -> str:
    """The results as a table: each scenario's rate next to its database's raw insert rate."""
    rows = []
    for r in results:
        raw = r["raw"]["rows_per_s"]
        rows.append([r["database"], f"raw insert ({r['raw']['method']})", "-", round(raw), "-", "-", "-", "1.00",
                     "-", "-"])
        for key, label in (("fast_big", "POST /positions"), ("fast_small", "POST /positions"),
                           ("naive_small", "naive endpoint")):
            s = r[key]
            rows.append([r["database"], label, s["batch"], round(s["fixes_per_s"]), round(s["p50_ms"], 1),
                         round(s["p99_ms"], 1), s["errors"], f"{s['fixes_per_s'] / raw:.2f}",
                         f"{s['generator_cpu_share']:.0%}", round(s["worker_peak_rss_mb"])])
    return common.table("Fix ingestion over HTTP (gunicorn, 2 workers)",
                        ["db", "scenario", "batch", "fixes/s", "p50 ms", "p99 ms", "errors", "vs raw",
                         "generator CPU", "worker RSS MB"], rows)


def main(*, quick: bool = False, smoke: bool = False, postgres_url: str | None = None,
         workdir: str | None = None) -> dict[str, Any]:
    """Run on SQLite (a file) and on PostgreSQL (when a URL is given); print and write the results."""
    sizes = Sizes.smoke() if smoke else Sizes.quick() if quick else Sizes()
    workdir = workdir or tempfile.mkdtemp(prefix="field-api-bench-")
    log = Path(workdir) / "gunicorn.log"
    results = []
    if postgres_url:
        results.append(run_database("postgresql", postgres_url, sizes, log))
    results.append(run_database("sqlite", f"sqlite:///{Path(workdir) / 'bench.sqlite3'}", sizes, log))
    print(report(results))
    result = {"sizes": sizes.__dict__, "results": results, "server_log": str(log)}
    path = common.write_result("ingest_http" + ("_quick" if quick or smoke else ""), result)
    print(f"  written to {common.shown(path)}")
    return result
