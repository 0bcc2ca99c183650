"""The one place where authentication and authorization are decided.

A route declares the roles that may call it with `blp.login_required(...)`; queries are
scoped by `visible(...)`, the single rule of who sees which records.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import flask_smorest
import sqlalchemy as sa
from flask import request
from sqlalchemy.orm import Session

from field_api.accounts.models import AccessToken, Branch, Role, User
from field_api.clock import current_clock
from field_api.db import end_reading
from field_api.errors import Forbidden, NotFound, Unauthorized
from field_api.extensions import db
from field_api.parsing import JsonParser

BEARER_SECURITY = [{"bearerAuth": []}]


@dataclass(frozen=True)
class Actor:
    """Who is acting: a signed-in user, or the system itself (CLI, worker)."""

    user_id: int | None
    role: Role
    branch_id: int | None
    subtree: frozenset[int] = field(default_factory=frozenset)
    username: str = "system"
    address: str | None = None
    device: str | None = None
    is_chief_coordinator: bool = False

    @classmethod
    def system(cls, device: str = "cli") -> Actor:
        """The actor for commands and the background worker: sees everything."""
        return cls(user_id=None, role=Role.ADMIN, branch_id=None, device=device)

    @property
    def sees_everything(self) -> bool:
        """Admins and the system see every branch."""
        return self.role is Role.ADMIN


def token_digest(token: str) -> str:
    """The stored form of a bearer token."""
    return hashlib.sha256(token.encode()).hexdigest()


def branch_subtree(session: Session, branch_id: int) -> frozenset[int]:
    """The ids of a branch and every branch below it."""
    tree = sa.select(Branch.id).where(Branch.id == branch_id).cte("subtree", recursive=True)
    tree = tree.union_all(sa.select(Branch.id).join(tree, Branch.parent_id == tree.c.id))
    return frozenset(session.scalars(sa.select(tree.c.id)))


def actor_for(session: Session, user: User, *, address: str | None = None, device: str | None = None) -> Actor:
    """Build the actor for a user, with the branch subtree they oversee."""
    return Actor(
        user_id=user.id,
        role=user.role,
        branch_id=user.branch_id,
        subtree=branch_subtree(session, user.branch_id),
        username=user.username,
        address=address,
        device=device,
        is_chief_coordinator=user.is_chief_coordinator,
    )


def _credentials() -> sa.Select:
    """A token's row, its user, and each branch of the user's subtree: one round trip per request."""
    digest = sa.bindparam("digest")
    tree = (sa.select(User.branch_id.label("id")).join(AccessToken, AccessToken.user_id == User.id)
            .where(AccessToken.token_hash == digest).cte("subtree", recursive=True))
    tree = tree.union_all(sa.select(Branch.id).join(tree, Branch.parent_id == tree.c.id))
    return (sa.select(AccessToken.id, AccessToken.revoked_at, AccessToken.expires_at, User.id, User.role,
                      User.branch_id, User.username, User.is_active, User.is_chief_coordinator, tree.c.id)
            .join(User, User.id == AccessToken.user_id).outerjoin(tree, sa.true())
            .where(AccessToken.token_hash == digest))


_CREDENTIALS = _credentials()  # built once: a reused statement skips rebuilding and hashing it


def authenticate(session: Session, now) -> Actor:
    """Resolve the request's bearer token to an actor, checking expiry, revocation and the user's status."""
    cached = request.environ.get("field_api.actor")
    if cached is not None:
        return cached
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("A bearer token is required.", headers={"WWW-Authenticate": "Bearer"})
    rows = session.connection().execute(_CREDENTIALS, {"digest": token_digest(token.strip())}).all()
    row = rows[0] if rows else None
    if row is None or row[1] is not None or row[2] <= now or not row[7]:
        raise Unauthorized("The token is invalid, expired or revoked.",
                           headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
    token_id, _, _, user_id, role, branch_id, username, _, is_chief_coordinator, _ = row
    actor = Actor(user_id=user_id, role=role, branch_id=branch_id,
                  subtree=frozenset(r[9] for r in rows if r[9] is not None), username=username,
                  address=request.remote_addr, device=request.headers.get("X-Device-Id"),
                  is_chief_coordinator=is_chief_coordinator)
    request.environ["field_api.token_id"] = token_id
    request.environ["field_api.actor"] = actor
    return actor


def current_actor() -> Actor:
    """The actor of the current request (a route behind login_required has one)."""
    return request.environ["field_api.actor"]


def current_token_id() -> int:
    """The id of the token that authenticated the current request."""
    return request.environ["field_api.token_id"]


def authenticated_as(actor: Actor, token_id: int) -> None:
    """Record who the request is from when another credential (a stream ticket) stood in for the token."""
    request.environ["field_api.actor"] = actor
    request.environ["field_api.token_id"] = token_id


class Blueprint(flask_smorest.Blueprint):
    """flask-smorest's Blueprint with role declarations that are enforced and documented."""

    ARGUMENTS_PARSER = JsonParser()

    def login_required(self, *roles: Role) -> Callable:
        """Require a valid token, and one of `roles` (every role when none is named)."""
        allowed = frozenset(roles) or frozenset(Role)

        def decorator(func: Callable) -> Callable:
            @functools.wraps(func)
            def wrapper(*args: Any, **kwargs: Any) -> Any:
                actor = authenticate(db.session, current_clock().now())
                if actor.role not in allowed:
                    raise Forbidden(f"The {actor.role.value} role may not do this.")
                end_reading(db.session())
                return func(*args, **kwargs)

            wrapper = self.doc(security=BEARER_SECURITY)(wrapper)
            wrapper = self.alt_response(401, response="UNAUTHORIZED")(wrapper)
            if allowed != frozenset(Role):
                wrapper = self.alt_response(403, response="FORBIDDEN")(wrapper)
            wrapper.allowed_roles = allowed
            return wrapper

        return decorator


ScopeRule = Callable[[Actor, Any], "sa.ColumnElement[bool] | None"]
_extra_rules: list[ScopeRule] = []


def also_visible(rule: ScopeRule) -> ScopeRule:
    """Register an exception to the scoping rule (e.g. a case entrusted to the caller's branch)."""
    _extra_rules.append(rule)
    return rule


def visible(actor: Actor, model: Any) -> sa.ColumnElement[bool]:
    """The one scoping rule: admins see all, field staff their own, coordinators and managers their subtree.

    A model names its branch column (`__branch_column__`) and, for records field staff own, its owner
    column (`__owner_column__`) or an `owned_by(user_id)` predicate.
    """
    if actor.sees_everything:
        return sa.true()
    if actor.role.is_field_staff and hasattr(model, "owned_by"):
        rule = model.owned_by(actor.user_id)
    elif actor.role.is_field_staff and getattr(model, "__owner_column__", None) is not None:
        rule = getattr(model, model.__owner_column__) == actor.user_id
    else:
        rule = getattr(model, model.__branch_column__).in_(sorted(actor.subtree))
    extras = [extra for r in _extra_rules if (extra := r(actor, model)) is not None]
    return sa.or_(rule, *extras) if extras else rule


def get_visible(session: Session, actor: Actor, model: Any, ident: Any, *, key: str = "id",
                for_update: bool = False) -> Any:
    """Load one record the actor may see; anything else is 404, so ids cannot be probed."""
    query = sa.select(model).where(getattr(model, key) == ident, visible(actor, model))
    if for_update:
        query = query.with_for_update(of=model)
    row = session.scalar(query)
    if row is None:
        raise NotFound(f"No {model.__name__.lower()} {ident!r}.")
    return row


def require_subtree(actor: Actor, branch_id: int, what: Iterable[str] = ("branch",)) -> None:
    """Refuse to act on a branch outside the actor's subtree (404, as for reads)."""
    if not actor.sees_everything and branch_id not in actor.subtree:
        raise NotFound(f"No {' '.join(what)} {branch_id!r}.")
