"""Report periods: a quarter (`2026Q3`), a year (`2026`) or a date range, bounded in each branch's time zone."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from field_api.errors import Invalid

QUARTER = re.compile(r"^(\d{4})[Qq]([1-4])$")
YEAR = re.compile(r"^(\d{4})$")
RANGE = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:\.\.|/)(\d{4}-\d{2}-\d{2})$")
LONGEST_RANGE = timedelta(days=3 * 366)
YEARS = range(2000, 2200)  # as the roster's periods: enough for the records, and no calendar overflow


@dataclass(frozen=True)
class Period:
    """Local dates from `first` to `last`, both included, with the label the report prints."""

    label: str
    first: date
    last: date

    def bounds(self, timezone: str) -> tuple[datetime, datetime]:
        """The period's instants in a branch's time zone: from midnight of the first day to before the next one."""
        zone = ZoneInfo(timezone)
        start = datetime.combine(self.first, time(), zone)
        end = datetime.combine(self.last + timedelta(days=1), time(), zone)
        return start, end

    @property
    def quarters(self) -> list[Period]:
        """The calendar quarters the period touches, for the trend."""
        out, year, q = [], self.first.year, (self.first.month - 1) // 3 + 1
        while True:
            quarter = quarter_period(year, q)
            if quarter.first > self.last:
                return out
            out.append(quarter)
            year, q = (year + 1, 1) if q == 4 else (year, q + 1)


def quarter_period(year: int, quarter: int) -> Period:
    """The calendar quarter `yearQquarter`."""
    first = date(year, 3 * quarter - 2, 1)
    after = date(year + 1, 1, 1) if quarter == 4 else date(year, 3 * quarter + 1, 1)
    return Period(f"{year}Q{quarter}", first, after - timedelta(days=1))


def parse_period(text: str) -> Period:
    """Read `2026Q3`, `2026` or `2026-07-01..2026-09-30` (also with `/`); anything else names the field."""
    text = (text or "").strip()
    period = _read(text)
    if period.first.year not in YEARS or period.last.year not in YEARS:
        raise Invalid(f"Give a period between {YEARS[0]} and {YEARS[-1]}.", field="period")
    return period


def _read(text: str) -> Period:
    try:
        if match := QUARTER.match(text):
            return quarter_period(int(match[1]), int(match[2]))
        if match := YEAR.match(text):
            year = int(match[1])
            return Period(str(year), date(year, 1, 1), date(year, 12, 31))
        if match := RANGE.match(text):
            first, last = date.fromisoformat(match[1]), date.fromisoformat(match[2])
            if last < first:
                raise Invalid("The range ends before it starts.", field="period")
            if last - first > LONGEST_RANGE:
                raise Invalid("A range covers at most three years.", field="period")
            return Period(f"{first.isoformat()}..{last.isoformat()}", first, last)
    except ValueError:
        raise Invalid(f"{text!r} is not a date the calendar has.", field="period") from None
    raise Invalid("Give a quarter (2026Q3), a year (2026) or a date range (2026-07-01..2026-09-30).", field="period")


def previous_quarter(today: date) -> Period:
    """The quarter head office publishes in the first month of the next one (article 4)."""
    q = (today.month - 1) // 3 + 1
    return quarter_period(today.year - 1, 4) if q == 1 else quarter_period(today.year, q - 1)
