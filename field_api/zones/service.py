"""Storing zones, and classifying sites with prepared geometries kept in memory per branch."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from field_api.access import Actor, require_subtree
from field_api.accounts.models import Branch
from field_api.accounts.service import branch_by_code
from field_api.audit.service import record
from field_api.errors import Invalid, NotFound
from field_api.zones.models import ServiceZones
from geo.datum import Datum
from geo.zones import Coverage, Repair, ZoneError, ZoneIndex, ZoneSet, parse_zones


@dataclass(frozen=True)
class Classification:
    """Where a site lies, and which branch's zones (at which version) said so."""

    coverage: Coverage
    zones_branch_id: int | None
    zones_version: int | None


@dataclass(frozen=True)
class StoredZones:
    """A branch's zones as stored, with what the import repaired."""

    branch: Branch
    zones: ZoneSet
    version: int
    repairs: tuple[Repair, ...] = ()


_cache: dict[int, tuple[int, ZoneIndex]] = {}
_cache_lock = threading.Lock()


def replace_zones(session: Session, *, actor: Actor, now: datetime, branch_code: str,
                  feature_collection: Any, crs: Datum, canonical: Datum) -> StoredZones:
    """Validate, repair and store a branch's zones (sent in `crs`), replacing the previous ones."""
    branch = branch_by_code(session, branch_code)
    require_subtree(actor, branch.id)
    try:
        parsed = parse_zones(feature_collection, datum=crs)
    except ZoneError as error:
        where = "features" if error.feature_index is None else f"features.{error.feature_index}"
        raise Invalid(error.message, errors={where: [error.message], "reason": [error.reason]}) from None
    zones = parsed.converted(canonical)
    row = session.get(ServiceZones, branch.id, with_for_update=True)
    stored = zones.to_feature_collection()
    if row is None:
        row = ServiceZones(branch_id=branch.id, feature_collection=stored, version=1, updated_at=now,
                           updated_by_id=actor.user_id)
        session.add(row)
    else:
        row.feature_collection, row.version = stored, row.version + 1
        row.updated_at, row.updated_by_id = now, actor.user_id
    record(session, actor=actor, at=now, action="zones.replace", entity_type="zones", entity_id=branch.code,
           branch_id=branch.id, changes={"version": row.version, "features": len(zones.zones), "crs": crs,
                                         "repairs": [str(r) for r in parsed.repairs]})
    session.commit()
    return StoredZones(branch=branch, zones=zones, version=row.version, repairs=parsed.repairs)


def zones_of(session: Session, *, branch: Branch, canonical: Datum) -> StoredZones:
    """A branch's own zones, or its nearest ancestor's."""
    row = _effective_row(session, branch.id)
    if row is None:
        raise NotFound(f"No zones for branch {branch.code!r} or its ancestors.")
    owner = session.get(Branch, row.branch_id)
    return StoredZones(branch=owner, zones=parse_zones(row.feature_collection, datum=canonical),
                       version=row.version)


def classify(session: Session, *, branch_id: int, lat: float, lon: float, canonical: Datum) -> Classification:
    """Classify a canonical-datum point with the branch's effective zones; no zones means outside coverage."""
    ref = _effective_version(session, branch_id)
    if ref is None:
        return Classification(Coverage.OUTSIDE, None, None)
    owner_id, version = ref
    return Classification(_index(session, owner_id, version, canonical).classify(lat, lon), owner_id, version)


def _index(session: Session, owner_id: int, version: int, canonical: Datum) -> ZoneIndex:
    with _cache_lock:
        cached = _cache.get(owner_id)
    if cached is not None and cached[0] == version:
        return cached[1]
    row = session.get(ServiceZones, owner_id)
    index = ZoneIndex.build(parse_zones(row.feature_collection, datum=canonical))
    with _cache_lock:
        _cache[owner_id] = (row.version, index)
    return index


def _ancestors(branch_id: int) -> sa.CTE:
    """The branch and its ancestors, with their distance from it."""
    chain = sa.select(Branch.id, Branch.parent_id, sa.literal(0).label("depth")).where(
        Branch.id == branch_id).cte("chain", recursive=True)
    parent = sa.orm.aliased(Branch)
    return chain.union_all(sa.select(parent.id, parent.parent_id, (chain.c.depth + 1).label("depth"))
                           .join(chain, parent.id == chain.c.parent_id))


def _effective_version(session: Session, branch_id: int) -> tuple[int, int] | None:
    chain = _ancestors(branch_id)
    row = session.execute(sa.select(ServiceZones.branch_id, ServiceZones.version)
                          .join(chain, chain.c.id == ServiceZones.branch_id)
                          .order_by(chain.c.depth).limit(1)).first()
    return (row[0], row[1]) if row else None


def _effective_row(session: Session, branch_id: int) -> ServiceZones | None:
    ref = _effective_version(session, branch_id)
    return session.get(ServiceZones, ref[0]) if ref else None
