"""Deployment settings kept in the database so that a restart cannot silently change them."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from field_api.db import Base


class DeploymentSetting(Base):
    """A key and its value, e.g. ('datum', 'wgs84')."""

    __tablename__ = "deployment_setting"

    key: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    value: Mapped[str] = mapped_column(sa.String(255))
