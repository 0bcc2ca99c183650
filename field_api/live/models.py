"""Stream tickets: short-lived, single-use stand-ins for a bearer token in an EventSource URL."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from field_api.db import Base


class StreamTicket(Base):
    """A ticket traded for a bearer token; kept only as its SHA-256, used at most once."""

    __tablename__ = "stream_ticket"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"), index=True)
    token_id: Mapped[int] = mapped_column(sa.ForeignKey("access_token.id"), index=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)
    used_at: Mapped[datetime | None]
