"""Accident reports (报案), dispatches (派工) with their two clocks, and the dispatch timeline."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from field_api.accounts.models import Branch, User
from field_api.db import Base, value_enum



class Line(str, enum.Enum):
    """Line of insurance, which decides the clock rules (article 10 C1)."""

    MOTOR = "motor"
    PROPERTY = "property"


class ClockState(str, enum.Enum):
    """State of a contact or arrival clock."""

    PENDING = "pending"
    AT_RISK = "at_risk"
    MET = "met"
    MISSED = "missed"
    EXCUSED = "excused"
    CANCELLED = "cancelled"


class DispatchStatus(str, enum.Enum):
    """Where a dispatch stands."""

    OPEN = "open"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    REASSIGNED = "reassigned"


class ExcuseCause(str, enum.Enum):
    """The standard's objective causes for a missed deadline (article 10 C1 exclusions)."""

    COMMUNICATION_OUTAGE = "communication_outage"  # 通讯中断
    TRAFFIC = "traffic"  # 交通环境
    GEOGRAPHY = "geography"  # 地理位置


class Case(Base):
    """An accident report: where, what line, and whether the site must be surveyed."""

    __tablename__ = "claim_case"
    __branch_column__ = "branch_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    branch_id: Mapped[int] = mapped_column(sa.ForeignKey("branch.id"))  # ix_claim_case_branch_first_dispatched
    report_number: Mapped[str] = mapped_column(sa.String(40), unique=True)
    reported_at: Mapped[datetime] = mapped_column(index=True)
    line: Mapped[Line] = mapped_column(value_enum(Line, 16))
    on_site: Mapped[bool]
    lat: Mapped[float]
    lon: Mapped[float]
    address: Mapped[str | None] = mapped_column(sa.String(300))
    customer_name: Mapped[str] = mapped_column(sa.String(120))
    customer_phone: Mapped[str | None] = mapped_column(sa.String(32))
    is_vip: Mapped[bool] = mapped_column(default=False)
    plate_number: Mapped[str | None] = mapped_column(sa.String(16))
    coverage: Mapped[str] = mapped_column(sa.String(16))
    zones_branch_id: Mapped[int | None] = mapped_column(sa.ForeignKey("branch.id"))
    zones_version: Mapped[int | None]
    first_dispatched_at: Mapped[datetime | None] = mapped_column(index=True)
    closed_at: Mapped[datetime | None]
    legal_hold_reason: Mapped[str | None] = mapped_column(sa.String(500))
    legal_hold_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))

    branch: Mapped[Branch] = relationship(foreign_keys=[branch_id], lazy="joined", innerjoin=True)
    dispatches: Mapped[list[Dispatch]] = relationship(back_populates="case", order_by="Dispatch.id",
                                                      lazy="selectin")

    # The compliance report counts a branch's cases by first dispatch in its period (reports/sources.py).
    __table_args__ = (sa.Index("ix_claim_case_branch_first_dispatched", "branch_id", "first_dispatched_at"),)

    @property
    def dispatch_delay_minutes(self) -> float | None:
        """Minutes from the report to the first dispatch (the delay the standard forbids); None until dispatched."""
        if self.first_dispatched_at is None:
            return None
        return round((self.first_dispatched_at - self.reported_at).total_seconds() / 60.0, 1)

    @classmethod
    def owned_by(cls, user_id: int) -> sa.ColumnElement[bool]:
        """Field staff see the cases they were dispatched to."""
        return sa.exists().where(Dispatch.case_id == cls.id, Dispatch.surveyor_id == user_id)


class Dispatch(Base):
    """A surveyor sent to a case; its clocks run from the case's first dispatch."""

    __tablename__ = "dispatch"
    __branch_column__ = "branch_id"
    __owner_column__ = "surveyor_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("claim_case.id"))  # ix_dispatch_case_latest
    branch_id: Mapped[int] = mapped_column(sa.ForeignKey("branch.id"), index=True)
    surveyor_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"), index=True)
    dispatched_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    dispatched_at: Mapped[datetime]
    clock_start: Mapped[datetime]
    is_first: Mapped[bool]
    status: Mapped[DispatchStatus] = mapped_column(value_enum(DispatchStatus, 16), index=True)
    closed_at: Mapped[datetime | None]
    cancel_reason: Mapped[str | None] = mapped_column(sa.String(500))

    fence_lat: Mapped[float]
    fence_lon: Mapped[float]
    arrive_radius_m: Mapped[float]
    leave_radius_m: Mapped[float]

    contact_due_at: Mapped[datetime | None]
    contact_state: Mapped[ClockState | None] = mapped_column(value_enum(ClockState, 16))
    contacted_at: Mapped[datetime | None]

    arrival_due_at: Mapped[datetime | None]
    arrival_state: Mapped[ClockState | None] = mapped_column(value_enum(ClockState, 16))
    arrived_at: Mapped[datetime | None]
    arrival_source: Mapped[str | None] = mapped_column(sa.String(16))
    agreed_arrival_at: Mapped[datetime | None]
    projected_arrival_at: Mapped[datetime | None]
    late_notice_at: Mapped[datetime | None]
    late_notice_eta: Mapped[datetime | None]
    late_notice_reason: Mapped[str | None] = mapped_column(sa.String(500))

    contact_excuse: Mapped[ExcuseCause | None] = mapped_column(value_enum(ExcuseCause, 24))
    contact_excuse_note: Mapped[str | None] = mapped_column(sa.String(500))
    arrival_excuse: Mapped[ExcuseCause | None] = mapped_column(value_enum(ExcuseCause, 24))
    arrival_excuse_note: Mapped[str | None] = mapped_column(sa.String(500))

    completed_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(default=1)

    case: Mapped[Case] = relationship(back_populates="dispatches", lazy="joined", innerjoin=True)
    surveyor: Mapped[User] = relationship(foreign_keys=[surveyor_id], lazy="joined", innerjoin=True)

    __table_args__ = (
        sa.Index("ix_dispatch_open_clocks", "status", "arrival_due_at"),
        # A case's latest dispatch (the one holding its clocks) read from the index alone.
        sa.Index("ix_dispatch_case_latest", "case_id", "id"),
    )


class DispatchEvent(Base):
    """One entry of a dispatch's timeline: from a phone, a coordinator, the fixes or the worker."""

    __tablename__ = "dispatch_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    dispatch_id: Mapped[int] = mapped_column(sa.ForeignKey("dispatch.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(24))
    at: Mapped[datetime]
    device_time: Mapped[datetime | None]
    recorded_at: Mapped[datetime]
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    client_event_id: Mapped[str | None] = mapped_column(sa.String(36), unique=True)
    lat: Mapped[float | None]
    lon: Mapped[float | None]
    accuracy_m: Mapped[float | None]
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
