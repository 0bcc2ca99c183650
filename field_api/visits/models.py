"""Checklist templates, visits with their scores and photos, and the follow-up tasks visits create."""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from field_api.accounts.models import Branch
from field_api.db import Base, value_enum



class VisitPurpose(str, enum.Enum):
    """Why the salesperson went."""

    PROSPECTING = "prospecting"
    PRODUCT_PRESENTATION = "product_presentation"
    APPLICATION = "application"
    POLICY_DELIVERY = "policy_delivery"
    SERVICE_CALL = "service_call"


class VisitStatus(str, enum.Enum):
    """A draft may change; a submitted visit is immutable (corrections are amendments)."""

    DRAFT = "draft"
    SUBMITTED = "submitted"


class ChecklistVersion(Base):
    """One published, immutable version of a checklist template."""

    __tablename__ = "checklist_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(64))
    number: Mapped[int]
    title_zh: Mapped[str] = mapped_column(sa.String(200))
    title_en: Mapped[str] = mapped_column(sa.String(200))
    source: Mapped[str | None] = mapped_column(sa.String(400))
    published_at: Mapped[datetime]
    published_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))

    items: Mapped[list[ChecklistItem]] = relationship(order_by="ChecklistItem.position", lazy="selectin",
                                                      cascade="all, delete-orphan")

    __table_args__ = (sa.UniqueConstraint("code", "number"),)


class ChecklistItem(Base):
    """One item of a checklist version: what counts, when it applies, and the exclusions allowed."""

    __tablename__ = "checklist_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(sa.ForeignKey("checklist_version.id"), index=True)
    position: Mapped[int]
    code: Mapped[str] = mapped_column(sa.String(64))
    standard_item: Mapped[str | None] = mapped_column(sa.String(16))
    article: Mapped[str | None] = mapped_column(sa.String(64))
    title_zh: Mapped[str] = mapped_column(sa.String(200))
    title_en: Mapped[str] = mapped_column(sa.String(200))
    requirement_zh: Mapped[str | None] = mapped_column(sa.Text)
    requirement_en: Mapped[str | None] = mapped_column(sa.Text)
    applies_at: Mapped[str] = mapped_column(sa.String(32))
    purposes: Mapped[list[str]] = mapped_column(sa.JSON)
    answer_type: Mapped[str] = mapped_column(sa.String(32))
    photo_required: Mapped[bool] = mapped_column(default=False)
    sub_checks: Mapped[list[dict[str, str]]] = mapped_column(sa.JSON)
    exclusions: Mapped[list[dict[str, str]]] = mapped_column(sa.JSON)
    exclusions_note_zh: Mapped[str | None] = mapped_column(sa.String(400))
    exclusions_note_en: Mapped[str | None] = mapped_column(sa.String(400))

    __table_args__ = (sa.UniqueConstraint("version_id", "code"),)


class Visit(Base):
    """A salesperson's visit to a client, as the phone recorded it and as the server scored it."""

    __tablename__ = "visit"
    __branch_column__ = "branch_id"
    __owner_column__ = "owner_id"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    branch_id: Mapped[int] = mapped_column(sa.ForeignKey("branch.id"))  # ix_visit_branch_date
    owner_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"), index=True)
    client_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("client.id"), index=True)
    checklist_version_id: Mapped[int] = mapped_column(sa.ForeignKey("checklist_version.id"), index=True)
    purpose: Mapped[VisitPurpose] = mapped_column(value_enum(VisitPurpose, 24))
    status: Mapped[VisitStatus] = mapped_column(value_enum(VisitStatus, 16), index=True)

    check_in_lat: Mapped[float]
    check_in_lon: Mapped[float]
    check_in_accuracy_m: Mapped[float]
    check_in_at: Mapped[datetime] = mapped_column(index=True)
    check_in_received_at: Mapped[datetime]
    check_out_lat: Mapped[float | None]
    check_out_lon: Mapped[float | None]
    check_out_accuracy_m: Mapped[float | None]
    check_out_at: Mapped[datetime | None]
    check_out_received_at: Mapped[datetime | None]
    visit_date: Mapped[date] = mapped_column(index=True)

    answers: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON)
    objections: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON)
    notes: Mapped[str | None] = mapped_column(sa.Text)
    photo_manifest: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON)
    input_digest: Mapped[str] = mapped_column(sa.String(64))
    version: Mapped[int] = mapped_column(default=1)

    amends_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("visit.id"), unique=True)
    superseded_by_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("visit.id"))
    is_current: Mapped[bool] = mapped_column(default=True, index=True)
    amendment_reason: Mapped[str | None] = mapped_column(sa.String(400))

    is_first_meeting: Mapped[bool] = mapped_column(default=False)
    distance_m: Mapped[float | None]
    location_check: Mapped[str] = mapped_column(sa.String(16))
    duration_s: Mapped[int | None]
    met_count: Mapped[int] = mapped_column(default=0)
    missed_count: Mapped[int] = mapped_column(default=0, index=True)
    excused_count: Mapped[int] = mapped_column(default=0)
    not_applicable_count: Mapped[int] = mapped_column(default=0)
    share_met: Mapped[float | None]

    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    submitted_at: Mapped[datetime | None]

    branch: Mapped[Branch] = relationship(lazy="joined")
    checklist: Mapped[ChecklistVersion] = relationship(lazy="joined")
    outcomes: Mapped[list[VisitItemOutcome]] = relationship(order_by="VisitItemOutcome.position", lazy="selectin",
                                                            cascade="all, delete-orphan")
    photos: Mapped[list[VisitPhoto]] = relationship(order_by="VisitPhoto.id", lazy="selectin",
                                                    cascade="all, delete-orphan")

    # The compliance report reads a branch's visits by local date (reports/sources.py).
    __table_args__ = (sa.Index("ix_visit_branch_date", "branch_id", "visit_date"),)


class VisitItemOutcome(Base):
    """How one checklist item scored on one visit: met, missed, excused or not applicable."""

    __tablename__ = "visit_item_outcome"

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("visit.id"))  # its unique (visit_id, item_code)
    position: Mapped[int]
    item_code: Mapped[str] = mapped_column(sa.String(64), index=True)
    outcome: Mapped[str] = mapped_column(sa.String(16), index=True)
    reason: Mapped[str | None] = mapped_column(sa.String(400))

    __table_args__ = (
        sa.UniqueConstraint("visit_id", "item_code"),
        # The items that applied, as the compliance report reads them: a quarter of the rows, from the index alone.
        sa.Index("ix_visit_item_outcome_applied", "visit_id", "item_code", "outcome",
                 sqlite_where=sa.text("outcome <> 'not_applicable'"),
                 postgresql_where=sa.text("outcome <> 'not_applicable'")),
    )


class VisitPhoto(Base):
    """A photo of a visit, stored once by its SHA-256."""

    __tablename__ = "visit_photo"

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("visit.id"), index=True)
    sha256: Mapped[str] = mapped_column(sa.String(64), index=True)
    item_code: Mapped[str | None] = mapped_column(sa.String(64))
    content_type: Mapped[str] = mapped_column(sa.String(32))
    size: Mapped[int]
    width: Mapped[int]
    height: Mapped[int]
    taken_at: Mapped[datetime | None]
    received_at: Mapped[datetime]
    uploaded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"))

    __table_args__ = (sa.UniqueConstraint("visit_id", "sha256"),)


class ClientTask(Base):
    """A follow-up item due on a client after a visit (the thank-you letter), scored against its due date."""

    __tablename__ = "client_task"
    __branch_column__ = "branch_id"
    __owner_column__ = "owner_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("client.id"), index=True)
    branch_id: Mapped[int] = mapped_column(sa.ForeignKey("branch.id"), index=True)
    owner_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"), index=True)
    visit_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("visit.id"), index=True)
    checklist_version_id: Mapped[int] = mapped_column(sa.ForeignKey("checklist_version.id"))
    item_code: Mapped[str] = mapped_column(sa.String(64))
    due_on: Mapped[date] = mapped_column(index=True)
    done_on: Mapped[date | None]
    done_via: Mapped[str | None] = mapped_column(sa.String(16))
    done_recorded_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    created_at: Mapped[datetime]

    checklist: Mapped[ChecklistVersion] = relationship(lazy="joined")

    __table_args__ = (sa.UniqueConstraint("visit_id", "item_code"),)
