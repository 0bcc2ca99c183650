"""`python -m bench`: run the benchmarks, print their tables and write bench/results/*.json.

PostgreSQL runs need FIELD_API_BENCH_DATABASE_URL (a database the benchmark may wipe, e.g.
postgresql://postgres@127.0.0.1:5432/bench_field_api); without it only SQLite is measured.
"""

from __future__ import annotations

import argparse
import os
import time

from bench import common

BENCHMARKS = ("geo_arrival", "ingest_http", "partitions", "candidates", "live_map", "photo_upload",
              "stream_fanout", "reports")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", metavar="NAME",
                        help=f"which to run (default all): {', '.join(BENCHMARKS)}")
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke run of a minute or two")
    parser.add_argument("--smoke", action="store_true", help="minimal sizes, for the test suite")
    parser.add_argument("--postgres", default=os.environ.get("FIELD_API_BENCH_DATABASE_URL"),
                        help="PostgreSQL URL the benchmark may wipe (default $FIELD_API_BENCH_DATABASE_URL)")
    parser.add_argument("--fixes", default=None,
                        help="partitions and live_map: stored-fix sizes in millions, comma-separated "
                             "(default 1,5 and 1)")
    args = parser.parse_args(argv)
    names = args.names or list(BENCHMARKS)
    unknown = set(names) - set(BENCHMARKS)
    if unknown:
        parser.error(f"unknown benchmark {', '.join(sorted(unknown))}; choose from {', '.join(BENCHMARKS)}")
    info = common.machine()
    print(f"machine: {info['nproc']} cores, {info['cpu_model']}, load average "
          f"{' '.join(f'{x:.2f}' for x in info['load_average'])}")
    if not args.postgres:
        print("(FIELD_API_BENCH_DATABASE_URL not set: PostgreSQL benchmarks are skipped)")
    for name in names:
        started = time.perf_counter()
        print(f"\n== {name}")
        if name == "geo_arrival":
            from bench import arrival_cost
            arrival_cost.main(quick=args.quick or args.smoke, smoke=args.smoke)
        elif name == "ingest_http":
            from bench import ingest_http
            ingest_http.main(quick=args.quick, smoke=args.smoke, postgres_url=args.postgres)
        elif name == "candidates":
            from bench import candidates
            candidates.main(quick=args.quick, smoke=args.smoke, postgres_url=args.postgres)
        elif name == "live_map":
            from bench import live_map
            live_map.main(quick=args.quick, smoke=args.smoke, postgres_url=args.postgres, millions=args.fixes)
        elif name == "photo_upload":
            from bench import photo_upload
            photo_upload.main(quick=args.quick, smoke=args.smoke, postgres_url=args.postgres)
        elif name == "stream_fanout":
            from bench import stream_fanout
            stream_fanout.main(quick=args.quick, smoke=args.smoke, postgres_url=args.postgres)
        elif name == "reports":
            from bench import report_year
            report_year.main(quick=args.quick, smoke=args.smoke, postgres_url=args.postgres)
        elif name == "partitions":
            from bench import partitions
            if not args.postgres:
                print("skipped: needs PostgreSQL")
                continue
            partitions.main(args.postgres, quick=args.quick, smoke=args.smoke, millions=args.fixes)
        print(f"   ({time.perf_counter() - started:.0f} s)")
    info = common.machine()
    print(f"\nload average at the end: {' '.join(f'{x:.2f}' for x in info['load_average'])}")


if __name__ == "__main__":
    main()
