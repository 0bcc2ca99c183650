"""Clients: idempotent create-or-update from phones, edits, and merging two phones' copies of one client."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from field_api.access import Actor, get_visible, visible
from field_api.accounts.models import Role, User
from field_api.audit.service import record
from field_api.clients.models import Client, ClientKind
from field_api.errors import Conflict, Invalid
from field_api.revisions import Outcome, input_digest, plain, require_version, retrying
from field_api.visits import derivation
from field_api.visits.models import Visit

FIELDS = ("name", "kind", "contact_person", "contact_phone", "address", "lat", "lon", "owner_id")


def _state(client: Client) -> dict[str, Any]:
    return {name: getattr(client, name) for name in FIELDS}


def _resolve_owner(session: Session, actor: Actor, owner_id: int | None) -> User:
    """The salesperson who owns a client: the caller, or one a coordinator names within their subtree."""
    if actor.role is Role.SALESPERSON:
        if owner_id not in (None, actor.user_id):
            raise Invalid("Salespeople own the clients they create.", field="owner_id")
        return session.get(User, actor.user_id)
    if owner_id is None:
        raise Invalid("Name the salesperson who owns the client.", field="owner_id")
    owner = session.get(User, owner_id)
    if (owner is None or owner.role is not Role.SALESPERSON or not owner.is_active
            or not (actor.sees_everything or owner.branch_id in actor.subtree)):
        raise Invalid(f"No active salesperson {owner_id} in your branches.", field="owner_id")
    return owner


def _input(data: dict[str, Any], owner: User) -> dict[str, Any]:
    location = data.get("location") or {}
    return {"name": data["name"], "kind": ClientKind(data["kind"]), "contact_person": data.get("contact_person"),
            "contact_phone": data.get("contact_phone"), "address": data.get("address"),
            "lat": location.get("lat"), "lon": location.get("lon"), "owner_id": owner.id}


def put_client(session: Session, *, actor: Actor, now: datetime, rules: derivation.VisitRules,
               client_id: uuid.UUID, data: dict[str, Any], if_match: str | None) -> tuple[Client, Outcome]:
    """Create a client with the phone's UUID, or update it; an identical body changes nothing."""
    result = retrying(session, lambda: _save(session, actor=actor, now=now, rules=rules, client_id=client_id,
                                             data=data, if_match=if_match))
    session.commit()
    return result


def _save(session: Session, *, actor: Actor, now: datetime, rules: derivation.VisitRules, client_id: uuid.UUID,
          data: dict[str, Any], if_match: str | None) -> tuple[Client, Outcome]:
    existing = None
    if session.scalar(sa.select(Client.id).where(Client.id == client_id)) is not None:
        existing = get_visible(session, actor, Client, client_id, for_update=True)
    owner = _resolve_owner(session, actor, data.get("owner_id"))
    values = _input(data, owner)
    digest = input_digest(values)
    if existing is None:
        client = Client(id=client_id, branch_id=owner.branch_id, input_digest=digest, version=1, created_at=now,
                        updated_at=now, **values)
        session.add(client)
        session.flush()
        record(session, actor=actor, at=now, action="client.create", entity_type="client", entity_id=client_id,
               branch_id=client.branch_id, changes=plain(values))
        return client, Outcome.CREATED
    if existing.input_digest == digest:
        return existing, Outcome.UNCHANGED
    require_version(if_match=if_match, current=existing, what="client")
    _apply(session, actor=actor, now=now, rules=rules, client=existing, values=values)
    return existing, Outcome.UPDATED


def patch_client(session: Session, *, actor: Actor, now: datetime, rules: derivation.VisitRules,
                 client_id: uuid.UUID, changes: dict[str, Any], if_match: str | None) -> Client:
    """Change some fields of a client (coordinators may hand it to another salesperson)."""
    client = get_visible(session, actor, Client, client_id, for_update=True)
    if if_match is not None:
        require_version(if_match=if_match, current=client, what="client")
    values = _state(client)
    if "owner_id" in changes:
        if actor.role is Role.SALESPERSON:
            raise Invalid("Only coordinators and managers hand a client to another salesperson.", field="owner_id")
        values["owner_id"] = _resolve_owner(session, actor, changes["owner_id"]).id
    if "location" in changes:
        location = changes["location"] or {}
        values["lat"], values["lon"] = location.get("lat"), location.get("lon")
    for name in ("name", "contact_person", "contact_phone", "address"):
        if name in changes:
            values[name] = changes[name]
    if "kind" in changes:
        values["kind"] = ClientKind(changes["kind"])
    if values != _state(client):
        _apply(session, actor=actor, now=now, rules=rules, client=client, values=values)
        session.commit()
    return client


def _apply(session: Session, *, actor: Actor, now: datetime, rules: derivation.VisitRules, client: Client,
           values: dict[str, Any]) -> None:
    if client.merged_into_id is not None:
        error = Conflict(f"Client {client.id} was merged into {client.merged_into_id}; change that one.")
        error.current = client
        raise error
    before = _state(client)
    for name, value in values.items():
        setattr(client, name, value)
    if values["owner_id"] != before["owner_id"]:
        client.branch = session.get(User, values["owner_id"]).branch
    client.input_digest = input_digest(values)
    client.version += 1
    client.updated_at = now
    record(session, actor=actor, at=now, action="client.update", entity_type="client", entity_id=client.id,
           branch_id=client.branch_id,
           changes=plain({k: [before[k], v] for k, v in values.items() if before[k] != v}))
    if (before["lat"], before["lon"]) != (values["lat"], values["lon"]):
        relocate_visits(session, root_id=client.root_id, rules=rules)


def relocate_visits(session: Session, *, root_id: uuid.UUID, rules: derivation.VisitRules) -> None:
    """Recompute the check-in distances of a client's visits after its position changed."""
    for visit in session.scalars(sa.select(Visit).where(Visit.client_id.in_(derivation.group_ids(root_id)))):
        derivation.locate(session, visit, rules)


def get_client(session: Session, *, actor: Actor, client_id: uuid.UUID) -> Client:
    """A client the actor may see."""
    return get_visible(session, actor, Client, client_id)


def list_clients(session: Session, *, actor: Actor, filters: dict[str, Any]) -> sa.Select:
    """The query of clients the actor may see, filtered; merged duplicates only when asked for."""
    query = sa.select(Client).where(visible(actor, Client)).order_by(Client.name, Client.id)
    if not filters.get("include_merged"):
        query = query.where(Client.merged_into_id.is_(None))
    if "owner_id" in filters:
        query = query.where(Client.owner_id == filters["owner_id"])
    if "kind" in filters:
        query = query.where(Client.kind == ClientKind(filters["kind"]))
    if filters.get("q"):
        pattern = "%" + filters["q"].replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(sa.or_(Client.name.ilike(pattern, escape="\\"),
                                   Client.contact_person.ilike(pattern, escape="\\"),
                                   Client.contact_phone.ilike(pattern, escape="\\")))
    return query


def merge_clients(session: Session, *, actor: Actor, now: datetime, survivor_id: uuid.UUID,
                  duplicate_id: uuid.UUID) -> Client:
    """Merge a duplicate into a survivor: both histories stay, and first meetings are re-derived over both."""
    if survivor_id == duplicate_id:
        raise Invalid("A client cannot be merged into itself.", field="duplicate_id")
    survivor = get_visible(session, actor, Client, survivor_id, for_update=True)
    duplicate = get_visible(session, actor, Client, duplicate_id, for_update=True)
    if duplicate.merged_into_id == survivor.id:
        return survivor  # a retried merge
    if survivor.merged_into_id is not None:
        raise Conflict(f"Client {survivor.id} was itself merged into {survivor.merged_into_id}; merge into that one.")
    if duplicate.merged_into_id is not None:
        raise Conflict(f"Client {duplicate.id} was already merged into {duplicate.merged_into_id}.")
    followers = list(session.scalars(sa.select(Client).where(Client.merged_into_id == duplicate.id)))
    for client in (duplicate, *followers):
        client.merged_into_id, client.merged_at = survivor.id, now
        client.version += 1
        client.updated_at = now
    record(session, actor=actor, at=now, action="client.merge", entity_type="client", entity_id=survivor.id,
           branch_id=survivor.branch_id,
           changes={"survivor": str(survivor.id), "merged": [str(c.id) for c in (duplicate, *followers)]})
    derivation.rederive_group(session, actor=actor, now=now, root_id=survivor.id)
    session.commit()
    return survivor
