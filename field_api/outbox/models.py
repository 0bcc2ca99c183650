"""Outbox messages, numbered in commit order by their id."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from field_api.db import Base


class OutboxMessage(Base):
    """One event for the live stream: a dispatch event, a clock change, a new case."""

    __tablename__ = "outbox_message"

    id: Mapped[int] = mapped_column(sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(index=True)
    topic: Mapped[str] = mapped_column(sa.String(40))
    branch_id: Mapped[int | None] = mapped_column(sa.ForeignKey("branch.id"), index=True)
    payload: Mapped[dict[str, Any]]
