"""The worker's loop: take the lease, run every periodic job once, repeat."""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Callable
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from field_api.clock import Clock
from field_api.worker.models import WorkerLease

log = logging.getLogger(__name__)
LEASE = "clock-worker"
LEASE_TTL = timedelta(seconds=30)

Job = Callable[[Session, datetime], int]


def holder_name() -> str:
    """This process, as named in the lease."""
    return f"{socket.gethostname()}:{os.getpid()}"


def acquire_lease(session: Session, *, holder: str, now: datetime, ttl: timedelta = LEASE_TTL) -> bool:
    """Take or renew the lease; False while another live worker holds it."""
    renewed = session.execute(
        sa.update(WorkerLease)
        .where(WorkerLease.name == LEASE, sa.or_(WorkerLease.holder == holder, WorkerLease.expires_at < now))
        .values(holder=holder, expires_at=now + ttl))
    if renewed.rowcount:
        session.commit()
        return True
    try:
        session.add(WorkerLease(name=LEASE, holder=holder, expires_at=now + ttl))
        session.commit()
        return True
    except IntegrityError:
        session.rollback()
        return False


def run_once(session: Session, *, now: datetime, jobs: list[Job]) -> int:
    """Run each job once at `now`; returns how many records they changed."""
    changed = 0
    for job in jobs:
        changed += job(session, now)
    return changed


def run_forever(session_factory: Callable[[], Session], *, clock: Clock, jobs: list[Job],
                interval_s: float = 1.0, holder: str | None = None, stop: Callable[[], bool] = lambda: False) -> None:
    """Loop until stopped: while holding the lease, run the jobs every `interval_s` seconds."""
    holder = holder or holder_name()
    while not stop():
        session = session_factory()
        try:
            if acquire_lease(session, holder=holder, now=clock.now()):
                changed = run_once(session, now=clock.now(), jobs=jobs)
                if changed:
                    log.info("worker: %d clock changes", changed)
        except sa.exc.SQLAlchemyError:
            log.exception("worker: job failed; retrying")
            session.rollback()
        finally:
            session.close()
        time.sleep(interval_s)
