"""Follow-up tasks on clients: the thank-you letter due a configurable number of days after a policy delivery."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from field_api.access import Actor, get_visible, visible
from field_api.accounts.models import Branch
from field_api.audit.service import record
from field_api.errors import Conflict, Invalid
from field_api.revisions import plain
from field_api.visits import derivation, scoring
from field_api.visits.derivation import VisitRules
from field_api.visits.models import ChecklistItem, ClientTask, Visit, VisitStatus

PENDING, CANCELLED = "pending", "cancelled"
VIA = ("post", "in_person")


def outcome(task: ClientTask, *, today: date) -> str:
    """Met when done by the due date, missed when done later or not done once it has passed, else pending."""
    if task.cancelled_at is not None:
        return CANCELLED
    if task.done_on is not None:
        return scoring.MET if task.done_on <= task.due_on else scoring.MISSED
    return scoring.MISSED if today > task.due_on else PENDING


def local_today(session: Session, task: ClientTask, now: datetime) -> date:
    """The date in the task's branch."""
    return now.astimezone(ZoneInfo(session.get(Branch, task.branch_id).timezone)).date()


def follow_up(session: Session, *, actor: Actor, now: datetime, rules: VisitRules, visit: Visit) -> None:
    """Create, move to an amendment, re-date or cancel the follow-ups a submitted visit leaves on its client."""
    if not (visit.is_current and visit.status is VisitStatus.SUBMITTED):
        return
    due_items = {item.code: item for item in visit.checklist.items if _follows(item, visit)}
    visits = [visit.id] + ([visit.amends_id] if visit.amends_id else [])
    existing = {t.item_code: t for t in session.scalars(sa.select(ClientTask).where(ClientTask.visit_id.in_(visits)))}
    due_on = visit.visit_date + timedelta(days=rules.thank_you_letter_days)
    for code in due_items.keys() | existing.keys():
        task = existing.get(code)
        if task is None:
            task = ClientTask(client_id=visit.client_id, branch_id=visit.branch_id, owner_id=visit.owner_id,
                              visit_id=visit.id, checklist_version_id=visit.checklist.id, item_code=code,
                              due_on=due_on, created_at=now)
            session.add(task)
            session.flush()
            _audit(session, actor, now, task, "task.create", {"visit_id": visit.id, "due_on": due_on})
            continue
        before = {"visit_id": task.visit_id, "client_id": task.client_id, "due_on": task.due_on,
                  "cancelled_at": task.cancelled_at}
        task.visit_id, task.client_id = visit.id, visit.client_id
        if code in due_items:
            task.due_on, task.cancelled_at = due_on, None
        elif task.done_on is None and task.cancelled_at is None:
            task.cancelled_at = now  # the correction says no policy was delivered
        after = {"visit_id": task.visit_id, "client_id": task.client_id, "due_on": task.due_on,
                 "cancelled_at": task.cancelled_at}
        if after != before:
            _audit(session, actor, now, task, "task.update", {k: [before[k], v] for k, v in after.items()
                                                              if before[k] != v})


def _follows(item: ChecklistItem, visit: Visit) -> bool:
    return item.applies_at in scoring.TASK_TIMINGS and visit.purpose.value in item.purposes


def _audit(session: Session, actor: Actor, now: datetime, task: ClientTask, action: str,
           changes: dict[str, Any]) -> None:
    record(session, actor=actor, at=now, action=action, entity_type="client_task", entity_id=task.id,
           branch_id=task.branch_id, changes=plain(changes))


def list_tasks(session: Session, *, actor: Actor, filters: dict[str, Any]) -> sa.Select:
    """The query of follow-ups the actor may see, soonest due first."""
    query = sa.select(ClientTask).where(visible(actor, ClientTask)).order_by(ClientTask.due_on, ClientTask.id)
    if "client_id" in filters:
        root = derivation.root_of(session, filters["client_id"])
        query = query.where(ClientTask.client_id.in_(derivation.group_ids(root)))
    if "salesperson_id" in filters:
        query = query.where(ClientTask.owner_id == filters["salesperson_id"])
    if "open" in filters:
        is_open = sa.and_(ClientTask.done_on.is_(None), ClientTask.cancelled_at.is_(None))
        query = query.where(is_open if filters["open"] else sa.not_(is_open))
    if isinstance(filters.get("due_before"), date):
        query = query.where(ClientTask.due_on < filters["due_before"])
    return query


def get_task(session: Session, *, actor: Actor, now: datetime, task_id: int) -> TaskView:
    """A follow-up the actor may see, as of now."""
    return view(session, get_visible(session, actor, ClientTask, task_id), now=now)


def record_done(session: Session, *, actor: Actor, now: datetime, task_id: int, done_on: date,
                via: str) -> TaskView:
    """Record that a follow-up was sent (on a date, by post or in person); repeating the record is a no-op."""
    task = get_visible(session, actor, ClientTask, task_id, for_update=True)
    if (task.done_on, task.done_via) == (done_on, via):
        return view(session, task, now=now)
    if task.cancelled_at is not None:
        raise Conflict("The follow-up was cancelled by a correction of its visit.")
    if task.done_on is not None:
        raise Conflict(f"Already recorded as sent on {task.done_on} by {task.done_via}.")
    if via not in VIA:
        raise Invalid(f"Use one of: {', '.join(VIA)}.", field="via")
    if done_on > local_today(session, task, now):
        raise Invalid("The date is in the future.", field="done_on")
    visit_date = session.scalar(sa.select(Visit.visit_date).where(Visit.id == task.visit_id))
    if done_on < visit_date:
        raise Invalid(f"The policy was delivered on {visit_date}; the letter follows it.", field="done_on")
    task.done_on, task.done_via, task.done_recorded_at = done_on, via, now
    _audit(session, actor, now, task, "task.done", {"done_on": done_on, "via": via})
    session.commit()
    return view(session, task, now=now)


def item_of(task: ClientTask) -> ChecklistItem | None:
    """The checklist item a follow-up fulfils."""
    return next((i for i in task.checklist.items if i.code == task.item_code), None)


@dataclass(frozen=True)
class TaskView:
    """A follow-up as read: its item, dates and outcome today."""

    id: int
    client_id: uuid.UUID
    visit_id: uuid.UUID
    salesperson_id: int
    item: dict[str, str]
    due_on: date
    done_on: date | None
    done_via: str | None
    outcome: str
    cancelled_at: datetime | None
    created_at: datetime


def view(session: Session, task: ClientTask, *, now: datetime) -> TaskView:
    """Describe a follow-up as of now."""
    item = item_of(task)
    return TaskView(id=task.id, client_id=task.client_id, visit_id=task.visit_id, salesperson_id=task.owner_id,
                    item={"code": task.item_code, "title_zh": item.title_zh if item else "",
                          "title_en": item.title_en if item else ""},
                    due_on=task.due_on, done_on=task.done_on, done_via=task.done_via,
                    outcome=outcome(task, today=local_today(session, task, now)), cancelled_at=task.cancelled_at,
                    created_at=task.created_at)
