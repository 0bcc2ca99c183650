"""Branches, users and tokens: the rules, with no knowledge of HTTP."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from sqlalchemy.orm import Session

from field_api.access import Actor, get_visible, require_subtree, token_digest, visible
from field_api.accounts.models import AccessToken, Branch, Role, User
from field_api.accounts.passwords import hash_password, verify_password
from field_api.audit.service import record
from field_api.errors import Conflict, Forbidden, Invalid, NotFound, Unauthorized

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
BRANCH_CODE = re.compile(r"^[A-Z0-9][A-Z0-9_-]{0,31}$")
MIN_PASSWORD = 8
BAD_CREDENTIALS = "Unknown username or wrong password."


@dataclass(frozen=True)
class IssuedToken:
    """A new bearer token; the clear token exists only in this answer."""

    access_token: str
    expires_at: datetime
    user: User


def branch_by_code(session: Session, code: str) -> Branch:
    """Load a branch by code, or fail with 404."""
    branch = session.scalar(sa.select(Branch).where(Branch.code == code))
    if branch is None:
        raise NotFound(f"No branch {code!r}.")
    return branch


def visible_branch(session: Session, actor: Actor, code: str) -> Branch:
    """Load a branch the actor may see, by code."""
    return get_visible(session, actor, Branch, code, key="code")


def create_branch(session: Session, *, actor: Actor, now: datetime, code: str, name: str,
                  parent_code: str | None = None, timezone: str | None = None,
                  default_timezone: str = "Asia/Shanghai") -> Branch:
    """Create a branch under a parent (or a root, such as head office)."""
    if not BRANCH_CODE.match(code):
        raise Invalid("Use 1-32 upper-case letters, digits, '-' or '_'.", field="code")
    tz = timezone or default_timezone
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise Invalid(f"{tz!r} is not an IANA time zone.", field="timezone") from None
    parent = None
    if parent_code is not None:
        parent = branch_by_code(session, parent_code) if actor.sees_everything else visible_branch(
            session, actor, parent_code)
    elif not actor.sees_everything:
        raise Forbidden("Only admins create root branches.")
    if session.scalar(sa.select(Branch.id).where(Branch.code == code)) is not None:
        raise Conflict(f"Branch {code!r} exists.")
    branch = Branch(code=code, name=name, parent=parent, timezone=tz, created_at=now)
    session.add(branch)
    session.flush()
    record(session, actor=actor, at=now, action="branch.create", entity_type="branch", entity_id=branch.id,
           branch_id=branch.id, changes={"code": code, "name": name, "parent": parent_code, "timezone": tz})
    session.commit()
    return branch


def arrival_radius(session: Session, branch: Branch, default: float) -> float:
    """The branch's arrival radius, inherited from its nearest ancestor that sets one."""
    node: Branch | None = branch
    while node is not None:
        if node.arrival_radius_m is not None:
            return node.arrival_radius_m
        node = node.parent
    return default


def update_branch(session: Session, *, actor: Actor, now: datetime, code: str, changes: dict) -> Branch:
    """Change a branch's name, time zone or arrival radius."""
    branch = visible_branch(session, actor, code)
    if "timezone" in changes:
        try:
            ZoneInfo(changes["timezone"])
        except (ZoneInfoNotFoundError, ValueError):
            raise Invalid(f"{changes['timezone']!r} is not an IANA time zone.", field="timezone") from None
    before = {k: getattr(branch, k) for k in changes}
    for key, value in changes.items():
        setattr(branch, key, value)
    record(session, actor=actor, at=now, action="branch.update", entity_type="branch", entity_id=branch.id,
           branch_id=branch.id, changes={k: [before[k], v] for k, v in changes.items()})
    session.commit()
    return branch


def list_branches(session: Session, *, actor: Actor) -> list[Branch]:
    """The branches the actor may see, by code."""
    return list(session.scalars(sa.select(Branch).where(visible(actor, Branch)).order_by(Branch.code)))


def create_user(session: Session, *, actor: Actor, now: datetime, username: str, password: str, role: Role,
                branch_code: str, display_name: str | None = None, phone: str | None = None,
                is_chief_coordinator: bool = False, cheap_hash: bool = False) -> User:
    """Create a user; managers may only create non-admins within their subtree."""
    username = username.strip().lower()
    if not USERNAME.match(username):
        raise Invalid("Use 2-64 lower-case letters, digits, '.', '_' or '-'.", field="username")
    if len(password) < MIN_PASSWORD:
        raise Invalid(f"Use at least {MIN_PASSWORD} characters.", field="password")
    if role is Role.ADMIN and not actor.sees_everything:
        raise Forbidden("Only admins create admins.")
    if is_chief_coordinator and role is not Role.COORDINATOR:
        raise Invalid("Only a coordinator can be the chief coordinator.", field="is_chief_coordinator")
    branch = branch_by_code(session, branch_code)
    require_subtree(actor, branch.id)
    if session.scalar(sa.select(User.id).where(User.username == username)) is not None:
        raise Conflict(f"Username {username!r} is taken.", errors={"username": ["Taken."]})
    user = User(username=username, display_name=display_name or username, phone=phone, role=role,
                branch=branch, is_chief_coordinator=is_chief_coordinator,
                password_hash=hash_password(password, cheap=cheap_hash), created_at=now)
    session.add(user)
    session.flush()
    record(session, actor=actor, at=now, action="user.create", entity_type="user", entity_id=user.id,
           branch_id=branch.id, changes={"username": username, "role": role, "branch": branch_code,
                                         "display_name": user.display_name, "phone": phone,
                                         "is_chief_coordinator": is_chief_coordinator})
    session.commit()
    return user


def get_user(session: Session, *, actor: Actor, user_id: int) -> User:
    """A user the actor may see."""
    return get_visible(session, actor, User, user_id)


def list_users(session: Session, *, actor: Actor, role: Role | None = None, branch_code: str | None = None,
               active: bool | None = None) -> sa.Select:
    """The query of users the actor may see, filtered."""
    query = sa.select(User).where(visible(actor, User)).order_by(User.username)
    if role is not None:
        query = query.where(User.role == role)
    if branch_code is not None:
        query = query.where(User.branch_id == visible_branch(session, actor, branch_code).id)
    if active is not None:
        query = query.where(User.is_active == active)
    return query


def deactivate_user(session: Session, *, actor: Actor, now: datetime, user_id: int) -> User:
    """Deactivate a user: their tokens stop working at once."""
    user = get_visible(session, actor, User, user_id, for_update=True)
    if user.role is Role.ADMIN and not actor.sees_everything:
        raise Forbidden("Only admins deactivate admins.")
    if user.id == actor.user_id:
        raise Conflict("You cannot deactivate yourself.")
    if user.is_active:
        user.is_active = False
        user.deactivated_at = now
        session.execute(sa.update(AccessToken).where(AccessToken.user_id == user.id,
                                                     AccessToken.revoked_at.is_(None)).values(revoked_at=now))
        record(session, actor=actor, at=now, action="user.deactivate", entity_type="user", entity_id=user.id,
               branch_id=user.branch_id, changes={"is_active": [True, False]})
    session.commit()
    return user


def issue_token(session: Session, *, now: datetime, username: str, password: str, ttl: timedelta,
                address: str | None = None, cheap_hash: bool = False) -> IssuedToken:
    """Trade a username and password for a bearer token; one message for every failure."""
    user = session.scalar(sa.select(User).where(User.username == username.strip().lower()))
    valid = verify_password(user.password_hash if user else None, password, cheap=cheap_hash)
    if not valid or user is None or not user.is_active:
        raise Unauthorized(BAD_CREDENTIALS)
    token = secrets.token_urlsafe(32)
    expires_at = now + ttl
    row = AccessToken(token_hash=token_digest(token), user_id=user.id, created_at=now, expires_at=expires_at,
                      client_address=address)
    session.add(row)
    session.flush()
    record(session, actor=Actor(user_id=user.id, role=user.role, branch_id=user.branch_id, address=address),
           at=now, action="token.issue", entity_type="access_token", entity_id=row.id, branch_id=user.branch_id,
           changes={"expires_at": expires_at})
    session.commit()
    return IssuedToken(access_token=token, expires_at=expires_at, user=user)


def revoke_token(session: Session, *, actor: Actor, now: datetime, token_id: int) -> None:
    """Revoke one token (sign out)."""
    session.execute(sa.update(AccessToken).where(AccessToken.id == token_id, AccessToken.revoked_at.is_(None))
                    .values(revoked_at=now))
    record(session, actor=actor, at=now, action="token.revoke", entity_type="access_token", entity_id=token_id,
           branch_id=actor.branch_id)
    session.commit()
