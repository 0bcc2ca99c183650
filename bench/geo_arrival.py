"""Micro-benchmark: arrival evaluation for 50,000 fixes against 2,000 open fences, fast path vs all-geodesic."""

from __future__ import annotations

import json
import platform
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "tests" / "geo")]

from geo.arrival import evaluate_fleet, fleet_fixes_inside  # noqa: E402
from geo.distance import geodesic_m  # noqa: E402
from geo_reference import generate_fleet, reference_evaluate  # noqa: E402

FENCES = 2000
FIXES_PER_FENCE = 25
REPEATS = 5
OUTPUT = "geo_arrival.json"


def best_of(repeats, run):
    """Return the fastest wall time of several runs and the last run's result."""
    best, result = float("inf"), None
    for _ in range(repeats):
        start = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - start)
    return best, result


def main() -> None:
    # A realistic fleet: most surveyors drive in, some pass by or leave, 2 % park right on a radius.
    fences, tracks = generate_fleet(FENCES, FIXES_PER_FENCE, seed=2024, near_radius_share=0.02)
    n_fixes = sum(len(t) for t in tracks)
    flat = [f for t in tracks for f in t]
    fence_of_fix = np.repeat(np.arange(len(fences)), [len(t) for t in tracks])
    lats, lons = np.array([f.lat for f in flat]), np.array([f.lon for f in flat])

    check_fast_s, (fast_arrive, fast_leave) = best_of(
        REPEATS, lambda: fleet_fixes_inside(fences, fence_of_fix, lats, lons)
    )

    def all_geodesic_check():
        arrive, leave = np.empty(n_fixes, bool), np.empty(n_fixes, bool)
        for i, (k, lat, lon) in enumerate(zip(fence_of_fix, lats, lons)):
            fence = fences[k]
            d = geodesic_m(fence.lat, fence.lon, lat, lon)
            arrive[i], leave[i] = d <= fence.arrive_radius_m, d <= fence.leave_radius_m
        return arrive, leave

    check_slow_s, (slow_arrive, slow_leave) = best_of(1, all_geodesic_check)
    assert np.array_equal(fast_arrive, slow_arrive) and np.array_equal(fast_leave, slow_leave)

    eval_fast_s, fast = best_of(REPEATS, lambda: evaluate_fleet(fences, tracks))
    eval_slow_s, slow = best_of(1, lambda: [reference_evaluate(f, t) for f, t in zip(fences, tracks)])
    assert fast == slow, "fast path and all-geodesic baseline disagree"

    per_fix = lambda seconds: seconds / n_fixes * 1e6  # noqa: E731
    results = {
        "fences": len(fences),
        "fixes": n_fixes,
        "fence_check_us_per_fix": {"fast": per_fix(check_fast_s), "all_geodesic": per_fix(check_slow_s)},
        "evaluate_arrival_us_per_fix": {"fast": per_fix(eval_fast_s), "all_geodesic": per_fix(eval_slow_s)},
        "arrivals": sum(r.arrived_at is not None for r in fast),
        "identical_results": True,
        "target_us_per_fix": 5.0,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "machine": platform.machine(),
    }
    print(f"{n_fixes} fixes against {len(fences)} fences")
    for name in ("fence_check_us_per_fix", "evaluate_arrival_us_per_fix"):
        row = results[name]
        print(f"  {name:30s} fast {row['fast']:7.2f} µs/fix   all-geodesic {row['all_geodesic']:7.2f} µs/fix"
              f"   ({row['all_geodesic'] / row['fast']:.0f}x)")
    print(f"  arrivals: {results['arrivals']}, results identical: yes")
    from bench.common import RESULTS

    out = RESULTS / OUTPUT
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"  written to {out}")


if __name__ == "__main__":
    main()
