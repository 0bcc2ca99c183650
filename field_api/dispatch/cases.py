"""Accident reports (报案): intake, classification into a zone, listing and legal holds."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from field_api.access import Actor, get_visible, require_subtree, visible
from field_api.accounts.service import branch_by_code, visible_branch
from field_api.audit.service import record
from field_api.dispatch.models import Case, Line
from field_api.errors import Conflict, Invalid
from field_api.outbox.service import publish
from field_api.zones.service import classify
from geo.datum import Datum

FUTURE_TOLERANCE = timedelta(minutes=5)


def create_case(session: Session, *, actor: Actor, now: datetime, canonical: Datum, branch_code: str | None,
                report_number: str, reported_at: datetime, line: Line, on_site: bool, lat: float, lon: float,
                customer_name: str, address: str | None = None, customer_phone: str | None = None,
                is_vip: bool = False, plate_number: str | None = None) -> Case:
    """Take an accident report and classify its site into the branch's zones."""
    branch = branch_by_code(session, branch_code) if branch_code else None
    branch_id = branch.id if branch else actor.branch_id
    if branch_id is None:
        raise Invalid("Say which branch takes the report.", field="branch_code")
    require_subtree(actor, branch_id)
    if reported_at > now + FUTURE_TOLERANCE:
        raise Invalid("The report time is in the future.", field="reported_at")
    if line is Line.MOTOR and not plate_number:
        raise Invalid("A motor report needs the plate number.", field="plate_number")
    if session.scalar(sa.select(Case.id).where(Case.report_number == report_number)) is not None:
        raise Conflict(f"Report {report_number!r} exists.", errors={"report_number": ["Taken."]})
    where = classify(session, branch_id=branch_id, lat=lat, lon=lon, canonical=canonical)
    case = Case(branch_id=branch_id, report_number=report_number, reported_at=min(reported_at, now), line=line,
                on_site=on_site, lat=lat, lon=lon, address=address, customer_name=customer_name,
                customer_phone=customer_phone, is_vip=is_vip, plate_number=plate_number,
                coverage=where.coverage.value, zones_branch_id=where.zones_branch_id,
                zones_version=where.zones_version, created_at=now, created_by_id=actor.user_id)
    session.add(case)
    session.flush()
    record(session, actor=actor, at=now, action="case.create", entity_type="case", entity_id=case.id,
           branch_id=branch_id, changes=_case_facts(case))
    publish(session, now=now, topic="case.created", branch_id=branch_id,
            payload={"case_id": case.id, "report_number": report_number, "coverage": case.coverage})
    session.commit()
    return case


def _case_facts(case: Case) -> dict[str, Any]:
    return {k: getattr(case, k) for k in ("report_number", "reported_at", "line", "on_site", "lat", "lon",
                                          "address", "customer_name", "is_vip", "plate_number", "coverage")}


def get_case(session: Session, *, actor: Actor, case_id: int) -> Case:
    """A case the actor may see."""
    return get_visible(session, actor, Case, case_id)


def list_cases(session: Session, *, actor: Actor, branch_code: str | None = None, open_only: bool = False,
               line: Line | None = None) -> sa.Select:
    """The cases the actor may see, newest first."""
    query = sa.select(Case).where(visible(actor, Case)).order_by(Case.reported_at.desc(), Case.id.desc())
    if branch_code:
        query = query.where(Case.branch_id == visible_branch(session, actor, branch_code).id)
    if open_only:
        query = query.where(Case.closed_at.is_(None))
    if line is not None:
        query = query.where(Case.line == line)
    return query


def set_legal_hold(session: Session, *, actor: Actor, now: datetime, case_id: int, reason: str | None) -> Case:
    """Put a case on legal hold (a dispute or complaint) so its surveyors' fixes are kept; None lifts it."""
    case = get_visible(session, actor, Case, case_id, for_update=True)
    before = case.legal_hold_reason
    case.legal_hold_reason = reason
    case.legal_hold_at = now if reason else None
    record(session, actor=actor, at=now, action="case.legal_hold" if reason else "case.legal_hold_lifted",
           entity_type="case", entity_id=case.id, branch_id=case.branch_id,
           changes={"legal_hold_reason": [before, reason]})
    session.commit()
    return case
