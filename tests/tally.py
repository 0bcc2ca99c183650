"""Counts that the suite prints at its end (fuzz examples run, matrix cells checked, hostile files tried).

Each test process counts its own; under xdist the workers hand their counts to the controller
(see the hooks in conftest.py), which prints the sums.
"""

from __future__ import annotations

from collections import Counter

COUNTS: Counter[str] = Counter()


def count(what: str, n: int = 1) -> None:
    """Add n to a printed count."""
    COUNTS[what] += n
