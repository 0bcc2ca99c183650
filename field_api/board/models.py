"""Duty rosters, entrusted cases and care-callback follow-ups."""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from field_api.accounts.models import Branch, User
from field_api.db import Base, value_enum
from field_api.dispatch.models import Case



class RosterShift(Base):
    """One shift of a branch's written duty roster: when, which surveyors, which coordinator answers for it."""

    __tablename__ = "roster_shift"
    __branch_column__ = "branch_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    branch_id: Mapped[int] = mapped_column(sa.ForeignKey("branch.id"))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    coordinator_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"))
    note: Mapped[str | None] = mapped_column(sa.String(200))

    branch: Mapped[Branch] = relationship(lazy="joined", innerjoin=True)
    coordinator: Mapped[User] = relationship(lazy="joined", innerjoin=True)
    surveyors: Mapped[list[RosterSurveyor]] = relationship(order_by="RosterSurveyor.surveyor_id", lazy="selectin",
                                                          cascade="all, delete-orphan")

    __table_args__ = (sa.Index("ix_roster_shift_branch_starts", "branch_id", "starts_at"),)


class RosterSurveyor(Base):
    """A surveyor named on a shift."""

    __tablename__ = "roster_surveyor"

    shift_id: Mapped[int] = mapped_column(sa.ForeignKey("roster_shift.id", ondelete="CASCADE"), primary_key=True)
    surveyor_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"), primary_key=True, index=True)

    surveyor: Mapped[User] = relationship(lazy="joined", innerjoin=True)


class EntrustmentStatus(str, enum.Enum):
    """An entrusted case is being surveyed by the accepting branch, or was handed back."""

    ACCEPTED = "accepted"
    HANDED_BACK = "handed_back"


class Entrustment(Base):
    """A case reported to one branch entrusted to another for survey (委托查勘 / 通赔)."""

    __tablename__ = "entrustment"
    __branch_column__ = "from_branch_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("claim_case.id"), index=True)
    from_branch_id: Mapped[int] = mapped_column(sa.ForeignKey("branch.id"), index=True)
    to_branch_id: Mapped[int] = mapped_column(sa.ForeignKey("branch.id"), index=True)
    items: Mapped[str] = mapped_column(sa.String(1000))
    authorised_amount: Mapped[Decimal] = mapped_column(sa.Numeric(14, 2))
    status: Mapped[EntrustmentStatus] = mapped_column(value_enum(EntrustmentStatus, 24))
    entrusted_at: Mapped[datetime]
    entrusted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    handed_back_at: Mapped[datetime | None]
    handed_back_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    hand_back_reason: Mapped[str | None] = mapped_column(sa.String(500))

    case: Mapped[Case] = relationship(lazy="joined", innerjoin=True)
    from_branch: Mapped[Branch] = relationship(foreign_keys=[from_branch_id], lazy="joined", innerjoin=True)
    to_branch: Mapped[Branch] = relationship(foreign_keys=[to_branch_id], lazy="joined", innerjoin=True)

    __table_args__ = (
        # At most one accepting branch at a time.
        sa.Index("uq_entrustment_accepted", "case_id", unique=True,
                 sqlite_where=sa.text("status = 'accepted'"), postgresql_where=sa.text("status = 'accepted'")),
    )


class FollowUpReason(str, enum.Enum):
    """Why a case is on the care-callback list (article 10 C7)."""

    DISPATCHED = "dispatched"
    NO_DISPATCH = "no_dispatch"


class FollowUpStatus(str, enum.Enum):
    """Where a care callback stands."""

    OPEN = "open"
    REACHED = "reached"
    UNABLE_TO_CONTACT = "unable_to_contact"  # 无法联系客户


class FollowUp(Base):
    """A case extracted for the care callback (出险关怀回访), with what the clocks knew at extraction."""

    __tablename__ = "follow_up"
    __branch_column__ = "branch_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("claim_case.id"), unique=True)
    branch_id: Mapped[int] = mapped_column(sa.ForeignKey("branch.id"), index=True)
    dispatch_id: Mapped[int | None] = mapped_column(sa.ForeignKey("dispatch.id"))
    batch_at: Mapped[datetime]
    due_at: Mapped[datetime]
    reason: Mapped[FollowUpReason] = mapped_column(value_enum(FollowUpReason, 24))
    for_chief: Mapped[bool]
    status: Mapped[FollowUpStatus] = mapped_column(value_enum(FollowUpStatus, 24), index=True)
    failed_attempts: Mapped[int] = mapped_column(default=0)
    needs_review: Mapped[bool] = mapped_column(default=False)
    closed_at: Mapped[datetime | None]

    case: Mapped[Case] = relationship(lazy="joined", innerjoin=True)
    attempts: Mapped[list[CallbackAttempt]] = relationship(order_by="CallbackAttempt.id", lazy="selectin")


class CallbackAttempt(Base):
    """One call to the customer and what they said."""

    __tablename__ = "callback_attempt"

    id: Mapped[int] = mapped_column(primary_key=True)
    follow_up_id: Mapped[int] = mapped_column(sa.ForeignKey("follow_up.id"), index=True)
    at: Mapped[datetime]
    caller_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    reached: Mapped[bool]
    surveyor_called: Mapped[bool | None]
    arrived_on_time: Mapped[bool | None]
    notes: Mapped[str | None] = mapped_column(sa.String(1000))
    contradicts_clocks: Mapped[bool] = mapped_column(default=False)
