"""Visits: idempotent create-or-update from phones, amendments, reading and listing."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from field_api.access import Actor, get_visible, visible
from field_api.accounts.models import Branch
from field_api.audit.service import record
from field_api.errors import Conflict
from field_api.revisions import Outcome, input_digest, plain, require_version, retrying
from field_api.visits import checklists, derivation, tasks
from field_api.visits.derivation import VisitRules
from field_api.visits.models import Visit, VisitPurpose, VisitStatus
from field_api.visits.validation import check_visit

INPUT_FIELDS = ("client_id", "purpose", "status", "answers", "objections", "notes", "photos", "amends",
                "amendment_reason")


def put_visit(session: Session, *, actor: Actor, now: datetime, rules: VisitRules, visit_id: uuid.UUID,
              data: dict[str, Any], if_match: str | None) -> tuple[Visit, Outcome]:
    """Create a visit with the phone's UUID or update its draft; an identical body changes nothing."""
    checklists.ensure_standard(session, now=now)
    result = retrying(session, lambda: save_visit(session, actor=actor, now=now, rules=rules, visit_id=visit_id,
                                                  data=data, if_match=if_match))
    session.commit()
    return result


def amend_visit(session: Session, *, actor: Actor, now: datetime, rules: VisitRules, original_id: uuid.UUID,
                data: dict[str, Any]) -> tuple[Visit, Outcome]:
    """Correct a submitted visit with a new visit that supersedes it once submitted; the original stays."""
    get_visible(session, actor, Visit, original_id)
    data = {**data, "amends": original_id}
    amendment_id = data.pop("id")
    return put_visit(session, actor=actor, now=now, rules=rules, visit_id=amendment_id, data=data, if_match=None)


def save_visit(session: Session, *, actor: Actor, now: datetime, rules: VisitRules, visit_id: uuid.UUID,
               data: dict[str, Any], if_match: str | None = None) -> tuple[Visit, Outcome]:
    """Create or update one visit in the caller's transaction, deriving everything the server computes."""
    existing = None
    if session.scalar(sa.select(Visit.id).where(Visit.id == visit_id)) is not None:
        existing = get_visible(session, actor, Visit, visit_id, for_update=True)
    digest = input_digest(data)
    if existing is not None:
        if existing.input_digest == digest:
            return existing, Outcome.UNCHANGED
        if existing.status is VisitStatus.SUBMITTED:
            error = Conflict("A submitted visit is immutable; correct it with an amendment.")
            error.current = existing
            raise error
        require_version(if_match=if_match, current=existing, what="visit")
    checked = check_visit(session, actor=actor, now=now, rules=rules, data=data, existing=existing)
    if existing is None:
        visit = Visit(id=visit_id, branch_id=actor.branch_id, owner_id=actor.user_id, version=1, created_at=now,
                      answers=[], objections=[], photo_manifest=[])
        before: dict[str, Any] = {}
        session.add(visit)
    else:
        visit, before = existing, _state(existing)
        visit.version += 1
    old_client = existing.client_id if existing is not None else None
    _apply(session, visit, data, checked.checklist, now=now, digest=digest)
    derivation.locate(session, visit, rules)
    _supersede(session, visit, checked.amends)
    for root in {derivation.root_of(session, c) for c in (visit.client_id, old_client,
                                                          checked.amends and checked.amends.client_id) if c}:
        derivation.rederive_group(session, actor=actor, now=now, root_id=root, saving=visit)
    tasks.follow_up(session, actor=actor, now=now, rules=rules, visit=visit)
    _audit(session, actor=actor, now=now, visit=visit, before=before)
    return visit, Outcome.CREATED if existing is None else Outcome.UPDATED


def _apply(session: Session, visit: Visit, data: dict[str, Any], checklist, *, now: datetime, digest: str) -> None:
    visit.client_id = data["client_id"]
    visit.checklist = checklist
    visit.purpose = VisitPurpose(data["purpose"])
    visit.status = VisitStatus(data["status"])
    _set_fix(visit, "check_in", data["check_in"], now)
    _set_fix(visit, "check_out", data.get("check_out"), now)
    timezone = session.get(Branch, visit.branch_id).timezone
    visit.visit_date = visit.check_in_at.astimezone(ZoneInfo(timezone)).date()
    visit.answers = [dict(a) for a in data.get("answers", [])]
    visit.objections = [dict(o) for o in data.get("objections", [])]
    visit.notes = data.get("notes")
    visit.photo_manifest = [dict(p) for p in data.get("photos", [])]
    visit.amends_id = data.get("amends")
    visit.amendment_reason = data.get("amendment_reason")
    visit.input_digest = digest
    visit.updated_at = now
    if visit.status is VisitStatus.SUBMITTED:
        visit.submitted_at = now
    visit.is_current = visit.amends_id is None or visit.status is VisitStatus.SUBMITTED


def _set_fix(visit: Visit, name: str, fix: dict[str, Any] | None, now: datetime) -> None:
    values = (None, None, None, None) if fix is None else (fix["lat"], fix["lon"], fix["accuracy_m"], fix["at"])
    columns = (f"{name}_lat", f"{name}_lon", f"{name}_accuracy_m", f"{name}_at")
    if tuple(getattr(visit, c) for c in columns) == values:
        return
    for column, value in zip(columns, values):
        setattr(visit, column, value)
    # The device's time is kept as given; the server's receive time sits beside it.
    setattr(visit, f"{name}_received_at", None if fix is None else now)


def _supersede(session: Session, visit: Visit, original: Visit | None) -> None:
    if original is not None and visit.status is VisitStatus.SUBMITTED:
        session.flush()  # the amendment's row first: the original will point at it
        original.superseded_by_id = visit.id
        original.is_current = False


def _state(visit: Visit) -> dict[str, Any]:
    state = {name: getattr(visit, name) for name in INPUT_FIELDS if name not in ("photos", "amends")}
    state.update(photos=visit.photo_manifest, amends=visit.amends_id,
                 checklist=f"{visit.checklist.code} v{visit.checklist.number}",
                 check_in=(visit.check_in_lat, visit.check_in_lon, visit.check_in_accuracy_m, visit.check_in_at),
                 check_out=(visit.check_out_lat, visit.check_out_lon, visit.check_out_accuracy_m,
                            visit.check_out_at))
    return state


def _audit(session: Session, *, actor: Actor, now: datetime, visit: Visit, before: dict[str, Any]) -> None:
    after = _state(visit)
    if not before:
        action, changes = ("visit.amend" if visit.amends_id else "visit.create"), after
    else:
        submitted = before["status"] is not VisitStatus.SUBMITTED and visit.status is VisitStatus.SUBMITTED
        action = "visit.submit" if submitted else "visit.update"
        changes = {k: [before[k], v] for k, v in after.items() if before[k] != v}
    record(session, actor=actor, at=now, action=action, entity_type="visit", entity_id=visit.id,
           branch_id=visit.branch_id, changes=plain({"version": visit.version, **changes}))


def get_visit(session: Session, *, actor: Actor, visit_id: uuid.UUID) -> Visit:
    """A visit the actor may see."""
    return get_visible(session, actor, Visit, visit_id)


def list_visits(session: Session, *, actor: Actor, filters: dict[str, Any]) -> sa.Select:
    """The query of visits the actor may see, filtered, newest check-in first."""
    query = sa.select(Visit).where(visible(actor, Visit)).order_by(Visit.check_in_at.desc(), Visit.id)
    if not filters.get("include_superseded"):
        query = query.where(Visit.superseded_by_id.is_(None))
    if "salesperson_id" in filters:
        query = query.where(Visit.owner_id == filters["salesperson_id"])
    if "client_id" in filters:
        root = derivation.root_of(session, filters["client_id"])
        query = query.where(Visit.client_id.in_(derivation.group_ids(root)))
    for name, test in (("date_from", Visit.visit_date.__ge__), ("date_to", Visit.visit_date.__le__)):
        if isinstance(filters.get(name), date):
            query = query.where(test(filters[name]))
    if "status" in filters:
        query = query.where(Visit.status == VisitStatus(filters["status"]))
    if "purpose" in filters:
        query = query.where(Visit.purpose == VisitPurpose(filters["purpose"]))
    if "has_missed_items" in filters:
        query = query.where(Visit.missed_count > 0 if filters["has_missed_items"] else Visit.missed_count == 0)
    if "first_meeting" in filters:
        query = query.where(Visit.is_first_meeting.is_(filters["first_meeting"]))
    return query
