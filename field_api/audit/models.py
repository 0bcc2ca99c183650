"""The audit table; migrations add triggers that refuse UPDATE and DELETE on it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from field_api.db import Base


class AuditEvent(Base):
    """One change or sensitive reading, as it happened."""

    __tablename__ = "audit_event"
    __branch_column__ = "branch_id"

    id: Mapped[int] = mapped_column(sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"), index=True)
    actor_address: Mapped[str | None] = mapped_column(sa.String(64))
    actor_device: Mapped[str | None] = mapped_column(sa.String(128))
    action: Mapped[str] = mapped_column(sa.String(64))
    entity_type: Mapped[str] = mapped_column(sa.String(32))
    entity_id: Mapped[str] = mapped_column(sa.String(64))
    branch_id: Mapped[int | None] = mapped_column(sa.ForeignKey("branch.id"), index=True)
    changes: Mapped[dict[str, Any]] = mapped_column(default=dict)

    __table_args__ = (sa.Index("ix_audit_event_entity", "entity_type", "entity_id"),)
