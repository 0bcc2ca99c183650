"""Reproducible benchmarks: `make bench` (or ./scripts/bench); see BENCHMARKS.md."""
