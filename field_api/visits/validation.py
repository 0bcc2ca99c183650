"""The rules a visit body must satisfy beyond its schema; every fault is named by its field, and nothing is saved."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from field_api.access import Actor, visible
from field_api.clients.models import Client
from field_api.errors import Conflict, Invalid, NotFound
from field_api.visits import checklists, scoring
from field_api.visits.derivation import VisitRules
from field_api.visits.models import ChecklistVersion, Visit, VisitStatus


@dataclass(frozen=True)
class CheckedVisit:
    """What validating a visit body resolved: its checklist version, its client and the visit it amends."""

    checklist: ChecklistVersion
    client: Client
    amends: Visit | None


def check_visit(session: Session, *, actor: Actor, now: datetime, rules: VisitRules, data: dict[str, Any],
                existing: Visit | None) -> CheckedVisit:
    """Check a visit body against the client, its checklist version, the clock and the visit it amends."""
    errors: dict[str, Any] = {}
    client = session.scalar(sa.select(Client).where(Client.id == data["client_id"], visible(actor, Client)))
    if client is None:
        errors["client_id"] = [f"No client {data['client_id']}."]
    checklist = _checklist(session, data, existing, errors)
    _check_times(data, now, rules, errors)
    if checklist is not None:
        _check_answers(session, checklist, data, errors)
    amends = _amended(session, actor, data, existing, errors)
    if errors:
        raise Invalid("The visit breaks the standard's or the API's rules; see errors.", errors=errors)
    return CheckedVisit(checklist, client, amends)


def _checklist(session: Session, data: dict[str, Any], existing: Visit | None,
               errors: dict[str, Any]) -> ChecklistVersion | None:
    wanted = data.get("checklist")
    if wanted is None:
        return existing.checklist if existing is not None else checklists.latest_version(session)
    try:
        return checklists.find_version(session, code=wanted["code"], number=wanted["version"])
    except NotFound as error:
        errors["checklist"] = [error.message]
        return None


def _check_times(data: dict[str, Any], now: datetime, rules: VisitRules, errors: dict[str, Any]) -> None:
    latest = now + rules.future_tolerance
    check_in, check_out = data["check_in"], data.get("check_out")
    minutes = int(rules.future_tolerance.total_seconds() // 60)
    for name, fix in (("check_in", check_in), ("check_out", check_out)):
        if fix is not None and fix["at"] > latest:
            errors.setdefault(name, {})["at"] = [
                f"{fix['at'].isoformat()} is more than {minutes} minutes ahead of the server's clock."]
    if check_out is not None and check_out["at"] < check_in["at"]:
        errors.setdefault("check_out", {}).setdefault("at", []).append("Check-out is before check-in.")
    if check_out is None and data["status"] == VisitStatus.SUBMITTED.value:
        errors["check_out"] = ["Check out before submitting the visit."]


def _check_answers(session: Session, checklist: ChecklistVersion, data: dict[str, Any],
                   errors: dict[str, Any]) -> None:
    rules = [scoring.ItemRule.of(item) for item in checklist.items]
    known = {rule.code for rule in rules}
    answers = data.get("answers", [])
    elsewhere = {a["item"]: checklists.versions_with_item(session, code=checklist.code, item_code=a["item"])
                 for a in answers if a["item"] not in known}
    label = f"checklist {checklist.code!r} version {checklist.number}"
    if answer_errors := scoring.answer_errors(rules, answers, version_label=label, other_versions=elsewhere):
        errors["answers"] = answer_errors
    photo_errors: dict[str, Any] = {}
    seen: set[str] = set()
    for index, photo in enumerate(data.get("photos", [])):
        if photo["sha256"] in seen:
            photo_errors[str(index)] = {"sha256": ["Listed twice."]}
        elif photo.get("item") is not None and photo["item"] not in known:
            photo_errors[str(index)] = {"item": [f"{photo['item']!r} is not an item of {label}."]}
        seen.add(photo["sha256"])
    if photo_errors:
        errors["photos"] = photo_errors


def _amended(session: Session, actor: Actor, data: dict[str, Any], existing: Visit | None,
             errors: dict[str, Any]) -> Visit | None:
    amends: uuid.UUID | None = data.get("amends")
    if existing is not None and amends != existing.amends_id:
        errors["amends"] = ["Which visit an amendment corrects is fixed when it is created."]
        return None
    if amends is None:
        return None
    original = session.scalar(sa.select(Visit).where(Visit.id == amends, visible(actor, Visit)))
    if original is None:
        errors["amends"] = [f"No visit {amends}."]
    elif existing is None and original.status is not VisitStatus.SUBMITTED:
        errors["amends"] = ["Only a submitted visit is amended; change a draft directly."]
    elif existing is None and not original.is_current:
        raise Conflict(f"Visit {amends} was already corrected by {original.superseded_by_id}; amend that one.")
    elif existing is None and session.scalar(sa.select(Visit.id).where(Visit.amends_id == amends)) is not None:
        raise Conflict(f"Visit {amends} already has an amendment in progress; finish that one.")
    return original
