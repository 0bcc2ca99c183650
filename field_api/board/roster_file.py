"""Reading the roster spreadsheets branches already keep (CSV: starts, ends, coordinator, surveyors)."""

from __future__ import annotations

import csv
from datetime import datetime
from typing import IO

import sqlalchemy as sa
from sqlalchemy.orm import Session

from field_api.accounts.models import User
from field_api.board.roster import ShiftPlan
from field_api.errors import Invalid

COLUMNS = ("starts", "ends", "coordinator", "surveyors")


def read_roster_file(session: Session, handle: IO[str]) -> tuple[datetime, datetime, list[ShiftPlan]]:
    """The shifts of a CSV roster and the period they span (wall times are the branch's)."""
    reader = csv.DictReader(handle)
    missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise Invalid(f"The file lacks the columns {', '.join(missing)}.", field="file")
    rows = list(reader)
    if not rows:
        raise Invalid("The file names no shift.", field="file")
    names = {row["coordinator"].strip() for row in rows} | {
        name.strip() for row in rows for name in row["surveyors"].split(";") if name.strip()}
    ids = dict(session.execute(sa.select(User.username, User.id).where(User.username.in_(sorted(names)))).all())
    plans = [_plan(i + 2, row, ids) for i, row in enumerate(rows)]
    if len({p.starts.tzinfo is None for p in plans} | {p.ends.tzinfo is None for p in plans}) > 1:
        raise Invalid("Give every time as a wall time of the branch, or every one with its offset.", field="file")
    start = min(p.starts for p in plans)
    end = max(p.ends for p in plans)
    return start, end, plans


def _plan(line: int, row: dict[str, str], ids: dict[str, int]) -> ShiftPlan:
    def user(name: str) -> int:
        if name not in ids:
            raise Invalid(f"Line {line}: no user {name!r}.", field=f"line {line}")
        return ids[name]

    try:
        starts, ends = datetime.fromisoformat(row["starts"].strip()), datetime.fromisoformat(row["ends"].strip())
    except ValueError:
        raise Invalid(f"Line {line}: give times as YYYY-MM-DD HH:MM.", field=f"line {line}") from None
    surveyors = tuple(user(n.strip()) for n in row["surveyors"].split(";") if n.strip())
    return ShiftPlan(starts=starts, ends=ends, coordinator_id=user(row["coordinator"].strip()), surveyor_ids=surveyors,
                     note=(row.get("note") or "").strip() or None)
