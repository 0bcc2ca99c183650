"""What the report keeps of a settled day: one branch's counts and durations, stored once, read by every report."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from field_api.db import Base


class SettledDay(Base):
    """A branch's numbers of one source on one day (a UTC day of case clocks, a local date of visits) whose
    numbers can no longer turn with time.

    A write to the day's records deletes the row (triggers of migrations 0013 and 0014), so a row that exists is
    exact.
    """

    __tablename__ = "report_settled_day"

    source: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    branch_id: Mapped[int] = mapped_column(sa.ForeignKey("branch.id"), primary_key=True)
    day: Mapped[date] = mapped_column(primary_key=True)
    # The measures' definition the numbers follow (reports/settling.py); rows of another are ignored, then replaced.
    signature: Mapped[str] = mapped_column(sa.String(64))
    # The last due time of the day's clocks, or when the local date is over everywhere: the numbers hold for a
    # report at any instant after it.
    settled_at: Mapped[datetime]
    computed_at: Mapped[datetime]
    counts: Mapped[bytes] = mapped_column(sa.LargeBinary)  # int64: every counted part, then each duration's count
    durations: Mapped[bytes] = mapped_column(sa.LargeBinary)  # float64: each duration's values, in turn
