"""Stream tickets: a bearer token traded for a short-lived, single-use ticket that may travel in a URL."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from field_api.access import Actor, actor_for, token_digest
from field_api.accounts.models import AccessToken, User
from field_api.audit.service import record
from field_api.errors import Unauthorized
from field_api.live.models import StreamTicket

KEEP_USED = timedelta(days=1)
BAD_TICKET = "The stream ticket is unknown, used or expired; ask for a new one."


@dataclass(frozen=True)
class IssuedTicket:
    """A new ticket in clear, which exists only in this answer."""

    ticket: str
    expires_at: datetime


def issue_ticket(session: Session, *, actor: Actor, token_id: int, now: datetime, ttl: timedelta) -> IssuedTicket:
    """Trade the caller's bearer token for a single-use stream ticket; old tickets are swept at the same time."""
    ticket = secrets.token_urlsafe(32)
    row = StreamTicket(ticket_hash=token_digest(ticket), user_id=actor.user_id, token_id=token_id, created_at=now,
                       expires_at=now + ttl)
    session.add(row)
    swept = session.execute(sa.delete(StreamTicket).where(StreamTicket.expires_at < now - KEEP_USED),
                            execution_options={"synchronize_session": False}).rowcount
    session.flush()
    record(session, actor=actor, at=now, action="stream_ticket.issue", entity_type="stream_ticket",
           entity_id=row.id, branch_id=actor.branch_id, changes={"expires_at": row.expires_at, "swept": swept})
    session.commit()
    return IssuedTicket(ticket=ticket, expires_at=row.expires_at)


def redeem_ticket(session: Session, *, ticket: str, now: datetime, address: str | None = None) -> tuple[Actor, int]:
    """Use a ticket once: the actor and bearer-token id it stands for, while that token is still valid."""
    used = session.execute(
        sa.update(StreamTicket)
        .where(StreamTicket.ticket_hash == token_digest(ticket), StreamTicket.used_at.is_(None),
               StreamTicket.expires_at > now)
        .values(used_at=now).returning(StreamTicket.id, StreamTicket.token_id)).first()
    if used is None:
        session.rollback()
        raise Unauthorized(BAD_TICKET)
    token = session.get(AccessToken, used.token_id)
    if not token_is_valid(token, now):
        session.rollback()
        raise Unauthorized(BAD_TICKET)
    actor = actor_for(session, token.user, address=address, device="live-stream")
    record(session, actor=actor, at=now, action="stream_ticket.redeem", entity_type="stream_ticket",
           entity_id=used.id, branch_id=actor.branch_id)
    session.commit()
    return actor, token.id


def token_is_valid(token: AccessToken | None, now: datetime) -> bool:
    """Whether a bearer token still stands: not revoked, not expired, its user active."""
    return (token is not None and token.revoked_at is None and token.expires_at > now
            and token.user.is_active)


def token_still_valid(session: Session, *, token_id: int, now: datetime) -> bool:
    """Re-check, during a long stream, the bearer token it was opened with."""
    row = session.execute(sa.select(AccessToken.revoked_at, AccessToken.expires_at, User.is_active)
                          .join(User, AccessToken.user_id == User.id).where(AccessToken.id == token_id)).first()
    return row is not None and row.revoked_at is None and row.expires_at > now and row.is_active
