"""A lease that lets exactly one worker process run the periodic jobs."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from field_api.db import Base


class WorkerLease(Base):
    """Who runs a job now, and until when their claim holds."""

    __tablename__ = "worker_lease"

    name: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    holder: Mapped[str] = mapped_column(sa.String(120))
    expires_at: Mapped[datetime]
