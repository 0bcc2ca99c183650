"""Checklist templates: the standard's version seeded from `standard_checklist`, later versions published by admins."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from field_api.access import Actor
from field_api.audit.service import record
from field_api.errors import Conflict, Invalid, NotFound
from field_api.visits import scoring
from field_api.visits.models import ChecklistItem, ChecklistVersion
from field_api.visits.standard_checklist import CODE as DEFAULT_CODE
from field_api.visits.standard_checklist import PURPOSES, STANDARD_CHECKLIST

ITEM_FIELDS = ("code", "standard_item", "article", "title_zh", "title_en", "requirement_zh", "requirement_en",
               "applies_at", "purposes", "answer_type", "photo_required", "sub_checks", "exclusions",
               "exclusions_note_zh", "exclusions_note_en")
TIMINGS = (scoring.FIRST_MEETING, scoring.EVERY_VISIT, scoring.POLICY_DELIVERY, scoring.AFTER_POLICY_DELIVERY)
ANSWER_TYPES = ("done", "done_with_sub_checks", "sent_date")


def ensure_standard(session: Session, *, now: datetime) -> None:
    """Store version 1 of the standard's checklist unless it is there; call it before any other change."""
    exists = sa.select(ChecklistVersion.id).where(ChecklistVersion.code == STANDARD_CHECKLIST["code"],
                                                  ChecklistVersion.number == STANDARD_CHECKLIST["version"])
    if session.scalar(exists) is not None:
        return
    session.add(_build(STANDARD_CHECKLIST, number=STANDARD_CHECKLIST["version"], now=now, by=None))
    try:
        session.commit()
    except IntegrityError:
        session.rollback()  # another request seeded it first


def list_versions(session: Session, *, now: datetime) -> list[ChecklistVersion]:
    """Every version of every template, by code and number."""
    ensure_standard(session, now=now)
    return list(session.scalars(sa.select(ChecklistVersion).order_by(ChecklistVersion.code,
                                                                     ChecklistVersion.number)))


def get_version(session: Session, *, now: datetime, code: str, number: int) -> ChecklistVersion:
    """One version of a template, or 404."""
    ensure_standard(session, now=now)
    return find_version(session, code=code, number=number)


def find_version(session: Session, *, code: str, number: int) -> ChecklistVersion:
    """One version of a template, or 404 (the standard's version must already be stored)."""
    version = session.scalar(sa.select(ChecklistVersion).where(ChecklistVersion.code == code,
                                                               ChecklistVersion.number == number))
    if version is None:
        raise NotFound(f"No checklist {code!r} version {number}.")
    return version


def latest_version(session: Session, *, code: str = DEFAULT_CODE) -> ChecklistVersion:
    """The newest version of a template, which new visits use unless they name one."""
    version = session.scalar(sa.select(ChecklistVersion).where(ChecklistVersion.code == code)
                             .order_by(ChecklistVersion.number.desc()).limit(1))
    if version is None:
        raise NotFound(f"No checklist {code!r}.")
    return version


def versions_with_item(session: Session, *, code: str, item_code: str) -> list[int]:
    """The numbers of a template's versions that have an item (to explain answers for another version)."""
    return list(session.scalars(sa.select(ChecklistVersion.number).join(ChecklistItem)
                                .where(ChecklistVersion.code == code, ChecklistItem.code == item_code)
                                .order_by(ChecklistVersion.number)))


def publish_version(session: Session, *, actor: Actor, now: datetime, code: str, number: int,
                    content: dict[str, Any]) -> tuple[ChecklistVersion, bool]:
    """Publish the next version of a template; republishing identical content is a no-op (False)."""
    ensure_standard(session, now=now)
    _check_items(content["items"])
    latest = session.scalar(sa.select(sa.func.max(ChecklistVersion.number)).where(ChecklistVersion.code == code))
    existing = session.scalar(sa.select(ChecklistVersion).where(ChecklistVersion.code == code,
                                                                ChecklistVersion.number == number))
    if existing is not None:
        if describe(existing) == describe_content(content):
            return existing, False
        raise Conflict(f"Checklist {code!r} version {number} is published with other content; versions never change.")
    if number != (latest or 0) + 1:
        raise Invalid(f"The next version of {code!r} is {(latest or 0) + 1}.", field="version")
    version = _build(content, number=number, now=now, by=actor.user_id, code=code)
    session.add(version)
    session.flush()
    record(session, actor=actor, at=now, action="checklist.publish", entity_type="checklist_version",
           entity_id=version.id, changes={"code": code, "version": number, **describe_content(content)})
    session.commit()
    return version, True


def describe(version: ChecklistVersion) -> dict[str, Any]:
    """A version's content as plain data, to compare with a publication."""
    return {"title_zh": version.title_zh, "title_en": version.title_en, "source": version.source,
            "items": [{name: getattr(item, name) for name in ITEM_FIELDS} for item in version.items]}


def describe_content(content: dict[str, Any]) -> dict[str, Any]:
    """Published content as plain data, in the same shape as `describe`."""
    return {"title_zh": content["title_zh"], "title_en": content["title_en"], "source": content.get("source"),
            "items": [{name: item.get(name) for name in ITEM_FIELDS} for item in content["items"]]}


def _build(content: dict[str, Any], *, number: int, now: datetime, by: int | None,
           code: str | None = None) -> ChecklistVersion:
    plain = describe_content(content)
    version = ChecklistVersion(code=code or content["code"], number=number, title_zh=plain["title_zh"],
                               title_en=plain["title_en"], source=plain["source"], published_at=now,
                               published_by_id=by)
    version.items = [ChecklistItem(position=i, **item) for i, item in enumerate(plain["items"])]
    return version


def _check_items(items: list[dict[str, Any]]) -> None:
    errors: dict[str, Any] = {}
    seen: set[str] = set()
    for index, item in enumerate(items):
        problems = _item_problems(item, seen)
        seen.add(item["code"])
        if problems:
            errors[str(index)] = problems
    if errors:
        raise Invalid("Some checklist items are inconsistent; see errors.", errors={"items": errors})


def _item_problems(item: dict[str, Any], seen: set[str]) -> dict[str, list[str]]:
    problems: dict[str, list[str]] = {}
    if item["code"] in seen:
        problems["code"] = ["Item codes must be unique within a version."]
    if item["applies_at"] not in TIMINGS:
        problems["applies_at"] = [f"Use one of: {', '.join(TIMINGS)}."]
    if unknown := sorted(set(item["purposes"]) - set(PURPOSES)):
        problems["purposes"] = [f"Unknown purposes: {', '.join(unknown)}."]
    elif not item["purposes"]:
        problems["purposes"] = ["Name at least one purpose."]
    is_task = item["applies_at"] in scoring.TASK_TIMINGS
    expected = ("sent_date",) if is_task else (("done_with_sub_checks",) if item["sub_checks"] else ("done",))
    if item["answer_type"] not in expected:
        problems["answer_type"] = [f"This item's answer type is {expected[0]}."]
    for name in ("sub_checks", "exclusions"):
        codes = [entry["code"] for entry in item[name]]
        if len(codes) != len(set(codes)):
            problems[name] = ["Codes must be unique."]
    if is_task and item["sub_checks"]:
        problems["sub_checks"] = ["A follow-up task has no sub-checks."]
    return problems
