"""Arrival detection cost per fix (item 2): runs bench/geo_arrival.py, smaller in quick mode."""

from __future__ import annotations


def main(*, quick: bool = False, smoke: bool = False) -> None:
    """Run the geo author's micro-benchmark; quick mode shrinks the fleet and the repeats."""
    from bench import geo_arrival

    if quick or smoke:
        geo_arrival.FENCES = 20 if smoke else 200
        geo_arrival.REPEATS = 1 if smoke else 2
        geo_arrival.OUTPUT = "geo_arrival_quick.json"
    geo_arrival.main()
