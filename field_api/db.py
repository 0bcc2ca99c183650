"""Declarative base, column types and engine settings shared by every domain's models."""

from __future__ import annotations

import enum
import sqlite3
import threading
from datetime import datetime, timezone
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(sa.types.TypeDecorator):
    """A timestamp stored in UTC and always returned timezone-aware."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; attach a time zone")
        value = value.astimezone(timezone.utc)
        # SQLite has no time zone type: store the UTC wall time.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        zone = value.tzinfo
        if zone is None:
            return value.replace(tzinfo=timezone.utc)
        return value if zone is timezone.utc else value.astimezone(timezone.utc)


def value_enum(cls: type[enum.Enum], length: int) -> sa.Enum:
    """A string column holding an enum's values (not its names), checked by the application, not the database."""
    return sa.Enum(cls, native_enum=False, length=length, values_callable=lambda e: [m.value for m in e])


class Base(DeclarativeBase):
    """Base of every model."""

    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: sa.JSON()}


def end_reading(session: Session) -> None:
    """End a transaction that has only read so far, where writers take one lock for the whole database
    (SQLite's BEGIN IMMEDIATE): the request then holds it only while it writes, not while its body is parsed."""
    if session.get_bind().dialect.name == "sqlite" and session.get_transaction() is not None:
        session.commit()


BUSY_TIMEOUT_S = 10.0


def configure_engine(engine: Engine, *, write_intent) -> None:
    """Tune an engine for concurrent use: SQLite gets WAL, foreign keys, a busy timeout and explicit BEGINs."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Let SQLAlchemy, not the driver, decide when a transaction begins.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_S * 1000)}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    # SQLite lets one writer in at a time and makes the others poll, sleeping up to 100 ms between tries.
    # A process's threads queue for the write lock here instead, each let in as soon as the last one ends;
    # only writers of other processes still meet SQLite's polling.
    writer = threading.Lock()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        # A writer takes the write lock up front, so two writers queue on the busy
        # timeout instead of failing when one upgrades a read snapshot.
        if not write_intent():
            connection.exec_driver_sql("BEGIN")
            return
        if not writer.acquire(timeout=BUSY_TIMEOUT_S):
            raise sa.exc.OperationalError("BEGIN IMMEDIATE", None, sqlite3.OperationalError("database is locked"))
        connection.info[_WRITING] = writer
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            _end_writing(connection.info)
            raise

    @event.listens_for(engine, "commit")
    @event.listens_for(engine, "rollback")
    def _on_end(connection):
        _end_writing(connection.info)

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection, record):  # a transaction the pool rolled back, or a connection closed
        _end_writing(record.info)


_WRITING = "field_api.writing"


def _end_writing(info: dict) -> None:
    if (writer := info.pop(_WRITING, None)) is not None:
        writer.release()
