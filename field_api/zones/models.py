"""A branch's service zones, stored as repaired GeoJSON in the canonical datum."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from field_api.db import Base


class ServiceZones(Base):
    """The zones of one branch; `version` grows on every change so every worker process reloads."""

    __tablename__ = "service_zones"
    __branch_column__ = "branch_id"

    branch_id: Mapped[int] = mapped_column(sa.ForeignKey("branch.id"), primary_key=True)
    feature_collection: Mapped[dict[str, Any]]
    version: Mapped[int]
    updated_at: Mapped[datetime]
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
