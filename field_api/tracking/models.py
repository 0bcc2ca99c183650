"""Fixes, each surveyor's latest position, tracker devices and duty intervals."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from field_api.db import Base, value_enum


class Source(str, enum.Enum):
    """How a fix reached the server."""

    API = "api"
    OSMAND = "osmand"
    OWNTRACKS = "owntracks"


class Protocol(str, enum.Enum):
    """What a device speaks: a free tracker app's protocol, or our app's JSON API."""

    OSMAND = "osmand"
    OWNTRACKS = "owntracks"
    APP = "app"



class Fix(Base):
    """One stored position report; lat/lon in the canonical datum, battery as a fraction 0-1.

    No foreign keys: on PostgreSQL their per-row checks (each a FOR KEY SHARE lock on the surveyor's row)
    cost more than the insert itself, and ingestion only ever stores fixes for the authenticated surveyor
    and that surveyor's verified device; users and devices are deactivated or revoked, never deleted.
    On PostgreSQL the table is partitioned by day of device_time and its primary key is (id, device_time)
    (migration 0008).
    """

    __tablename__ = "fix"

    id: Mapped[int] = mapped_column(sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True)
    surveyor_id: Mapped[int]
    device_time: Mapped[datetime]
    received_at: Mapped[datetime]
    lat: Mapped[float] = mapped_column(sa.Double)
    lon: Mapped[float] = mapped_column(sa.Double)
    accuracy_m: Mapped[float | None] = mapped_column(sa.Double)
    speed_mps: Mapped[float | None] = mapped_column(sa.Double)
    heading_deg: Mapped[float | None] = mapped_column(sa.Double)
    altitude_m: Mapped[float | None] = mapped_column(sa.Double)
    battery: Mapped[float | None] = mapped_column(sa.Double)
    provider: Mapped[str | None] = mapped_column(sa.String(16))
    source: Mapped[Source] = mapped_column(value_enum(Source, 16))
    device_id: Mapped[int | None]
    poor_accuracy: Mapped[bool] = mapped_column(default=False)
    implausible: Mapped[bool] = mapped_column(default=False)

    __table_args__ = (
        sa.UniqueConstraint("surveyor_id", "device_time"),
        sa.Index("ix_fix_device_time", "device_time"),
    )


class LatestPosition(Base):
    """A surveyor's newest plausible fix, kept current on ingestion for the live map."""

    __tablename__ = "latest_position"

    surveyor_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"), primary_key=True)
    device_time: Mapped[datetime]
    received_at: Mapped[datetime]
    lat: Mapped[float] = mapped_column(sa.Double)
    lon: Mapped[float] = mapped_column(sa.Double)
    accuracy_m: Mapped[float | None] = mapped_column(sa.Double)
    speed_mps: Mapped[float | None] = mapped_column(sa.Double)
    heading_deg: Mapped[float | None] = mapped_column(sa.Double)
    battery: Mapped[float | None] = mapped_column(sa.Double)
    source: Mapped[Source] = mapped_column(value_enum(Source, 16))
    poor_accuracy: Mapped[bool] = mapped_column(default=False)


class Device(Base):
    """A phone registered to a surveyor; its secret token is kept only as a SHA-256 digest."""

    __tablename__ = "device"

    id: Mapped[int] = mapped_column(primary_key=True)
    surveyor_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(64))
    protocol: Mapped[Protocol] = mapped_column(value_enum(Protocol, 16))
    default_crs: Mapped[str] = mapped_column(sa.String(8))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class DutyInterval(Base):
    """A period, in device time, during which a surveyor was on duty (open while ended_at is None)."""

    __tablename__ = "duty_interval"

    id: Mapped[int] = mapped_column(primary_key=True)
    surveyor_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"))
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]

    __table_args__ = (
        sa.Index("ix_duty_interval_surveyor_started", "surveyor_id", "started_at"),
        # At most one open interval per surveyor, even when two phones race.
        sa.Index("uq_duty_interval_open", "surveyor_id", unique=True,
                 sqlite_where=sa.text("ended_at IS NULL"), postgresql_where=sa.text("ended_at IS NULL")),
    )
