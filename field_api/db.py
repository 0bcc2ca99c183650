"""Declarative base, column types and engine settings shared by every domain's models."""

from __future__ import annotations

import contextlib
import contextvars
import enum
import fcntl
import functools
import logging
import os
import sqlite3
import threading
import time
import weakref
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, scoped_session

log = logging.getLogger(__name__)

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
    if session.get_bind().dialect.name == "sqlite" and session.in_transaction():
        session.commit()


_READING_FIRST: contextvars.ContextVar[bool] = contextvars.ContextVar("field_api.reading_first", default=False)


@contextlib.contextmanager
def before_writing(session: Session) -> Iterator[None]:
    """Run the block's reads before the writes that follow it. On SQLite they read a snapshot of their own,
    so the database's one write lock is taken by the writes after the block and held only while they write;
    elsewhere, and when the session's transaction has written already, they run in that transaction."""
    if isinstance(session, scoped_session):
        session = session()
    if session.get_bind().dialect.name != "sqlite" or _has_written(session):
        yield
        return
    end_reading(session)
    token = _READING_FIRST.set(True)
    try:
        yield
    finally:
        _READING_FIRST.reset(token)
    end_reading(session)


def _has_written(session: Session) -> bool:
    if not session.in_transaction():
        return False
    connection = session.connection()
    return connection.connection.dbapi_connection.total_changes != connection.info.get(_CHANGES_AT_BEGIN)


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

    # SQLite lets one writer in at a time and makes the others poll, sleeping up to 100 ms between tries,
    # so a process whose threads hand the lock to each other could keep another process out for as long as
    # it has writers. Writers queue here instead: a process's threads on a lock, processes on a file lock
    # that the kernel hands to the next one the moment it is let go.
    writer = WriterTurn(engine.url.database)

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        # A writer takes the write lock up front, so two writers queue on the busy
        # timeout instead of failing when one upgrades a read snapshot.
        connection.info[_CHANGES_AT_BEGIN] = connection.connection.dbapi_connection.total_changes
        if _READING_FIRST.get() or not write_intent():
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

    # The turn passes once the transaction has ended, not at SQLAlchemy's commit event, which comes
    # before it (the next writer would meet the lock still held, and SQLite's sleeps).
    dialect = engine.dialect
    for name in ("do_commit", "do_rollback"):
        setattr(dialect, name, _then_end_writing(getattr(dialect, name)))

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection, record):  # a transaction the pool rolled back, or a connection closed
        _end_writing(record.info)


_WRITING = "field_api.writing"
_CHANGES_AT_BEGIN = "field_api.changes_at_begin"


def _then_end_writing(end_transaction):
    @functools.wraps(end_transaction)
    def ended(connection):  # the pool's proxy of a DBAPI connection, whose info is the pool record's
        try:
            end_transaction(connection)
        finally:
            try:
                info = connection.info
            except (AttributeError, NotImplementedError):  # a bare connection, or the first connect's stand-in
                info = {}
            _end_writing(info)

    return ended


def _end_writing(info: dict) -> None:
    if (writer := info.pop(_WRITING, None)) is not None:
        writer.release()


class WriterTurn:
    """Whose turn it is to write to one SQLite database: a process's threads queue on a lock, and the
    processes on an exclusive `flock` of a file beside the database (none for an in-memory database)."""

    def __init__(self, database: str | None) -> None:
        self._threads = threading.Lock()
        on_disk = database and database != ":memory:" and not database.startswith("file:")
        self._path = f"{database}-writer.lock" if on_disk else None
        self._process: _ProcessTurn | None = None

    def acquire(self, timeout: float) -> bool:
        """Wait up to `timeout` seconds for the turn; False if it did not come."""
        deadline = time.monotonic() + timeout
        if not self._threads.acquire(timeout=timeout):
            return False
        if self._path is None:
            return True
        process = self._process
        if process is None or process.pid != os.getpid():  # a forked child takes turns of its own
            try:
                process = self._process = _ProcessTurn(self._path)
            except OSError as error:  # left to SQLite's own polling between processes, as before
                log.warning("SQLite writers of other processes are not queued: %s", error)
                self._path = None
                return True
        if process.acquire(max(0.0, deadline - time.monotonic())):
            return True
        self._threads.release()
        return False

    def release(self) -> None:
        """Let the next writer in."""
        if self._path is not None:
            self._process.release()
        self._threads.release()


class _ProcessTurn:
    """This process's place in the file lock, asked for by one thread of the process at a time. While the
    lock is taken, a helper thread waits in the kernel for it, so the asker can give up after a timeout
    and the hand-over is still immediate."""

    def __init__(self, path: str) -> None:
        self.pid = os.getpid()
        # flock needs no write access: any user of the service that can read the file takes turns with it.
        self._fd = os.open(path, os.O_RDONLY | os.O_CREAT, 0o644)
        weakref.finalize(self, os.close, self._fd)
        self._changed = threading.Condition()
        self._wanted = self._waiting = self._handed = False

    def acquire(self, timeout: float) -> bool:
        with self._changed:
            if not self._waiting:  # (while the helper waits, it may hold the lock already: ask it)
                try:
                    fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    return True
                except BlockingIOError:
                    self._waiting = True
                    threading.Thread(target=self._wait, name="sqlite-writer-turn", daemon=True).start()
            self._wanted = True
            if self._changed.wait_for(lambda: self._handed, timeout):
                self._handed = False
                return True
            self._wanted = False  # the helper lets a turn that came too late go at once
            return False

    def release(self) -> None:
        fcntl.flock(self._fd, fcntl.LOCK_UN)

    def _wait(self) -> None:
        fcntl.flock(self._fd, fcntl.LOCK_EX)
        with self._changed:
            self._waiting = False
            if self._wanted:
                self._wanted, self._handed = False, True
                self._changed.notify_all()
            else:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
