"""Entrusted cross-region cases (委托查勘 / 通赔, article 10 C1, C6): one branch surveys another's report."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from field_api.access import Actor, also_visible, branch_subtree, get_visible, require_subtree, visible
from field_api.accounts.models import Branch
from field_api.accounts.service import visible_branch
from field_api.audit.service import record
from field_api.board.models import Entrustment, EntrustmentStatus
from field_api.dispatch.models import Case, Dispatch, DispatchStatus
from field_api.dispatch.service import DispatchView, view
from field_api.errors import Conflict, Invalid, NotFound
from field_api.outbox.service import also_announce_to, publish

ACCEPTED = EntrustmentStatus.ACCEPTED


def accepted_cases(branch_ids) -> sa.Select:
    """The ids of the cases entrusted to these branches and not handed back."""
    return sa.select(Entrustment.case_id).where(Entrustment.to_branch_id.in_(sorted(branch_ids)),
                                                Entrustment.status == ACCEPTED)


@also_visible
def entrusted_to_the_callers_branch(actor: Actor, model: Any) -> sa.ColumnElement[bool] | None:
    """The accepting branch's desk sees the entrusted case, its dispatches and the entrustment; nothing else of A."""
    if actor.role.is_field_staff or not actor.subtree:
        return None
    if model is Case:
        return Case.id.in_(accepted_cases(actor.subtree))
    if model is Dispatch:
        return Dispatch.case_id.in_(accepted_cases(actor.subtree))
    if model is Entrustment:
        return Entrustment.to_branch_id.in_(sorted(actor.subtree))
    return None


@also_announce_to
def the_accepting_branch(session: Session, payload: dict[str, Any]) -> list[int]:
    """The accepting branch's live map hears of its entrusted case's dispatches and clocks too."""
    if payload.get("case_id") is None:
        return []
    return list(session.scalars(sa.select(Entrustment.to_branch_id).where(Entrustment.case_id == payload["case_id"],
                                                                            Entrustment.status == ACCEPTED)))


def active_entrustment(session: Session, case_id: int) -> Entrustment | None:
    """The case's current entrustment, if it has one."""
    return session.scalar(sa.select(Entrustment).where(Entrustment.case_id == case_id, Entrustment.status == ACCEPTED))


def entrust(session: Session, *, actor: Actor, now: datetime, case_id: int, to_branch_code: str, items: str,
            authorised_amount: Decimal) -> Entrustment:
    """Entrust a case of the caller's branches to another branch for survey; it cannot refuse."""
    case = get_visible(session, actor, Case, case_id, for_update=True)
    require_subtree(actor, case.branch_id, ("case", str(case_id)))
    target = session.scalar(sa.select(Branch).where(Branch.code == to_branch_code))
    if target is None:
        raise Invalid(f"No branch {to_branch_code!r}.", field="to_branch")
    if target.id in branch_subtree(session, case.branch_id):
        raise Invalid("A case is entrusted to another branch, not to its own.", field="to_branch")
    if case.closed_at is not None:
        raise Conflict("The case is closed.")
    if active_entrustment(session, case.id) is not None:
        raise Conflict("The case is entrusted already.", errors={"case_id": ["Entrusted."]})
    entrustment = Entrustment(case_id=case.id, from_branch_id=case.branch_id, to_branch_id=target.id, items=items,
                              authorised_amount=authorised_amount, status=ACCEPTED, entrusted_at=now,
                              entrusted_by_id=actor.user_id)
    session.add(entrustment)
    session.flush()
    record(session, actor=actor, at=now, action="case.entrust", entity_type="case", entity_id=case.id,
           branch_id=case.branch_id, changes={"to_branch": target.code, "items": items,
                                              "authorised_amount": str(authorised_amount)})
    _announce(session, now, "case.entrusted", entrustment)
    session.commit()
    return entrustment


def hand_back(session: Session, *, actor: Actor, now: datetime, case_id: int, reason: str) -> Entrustment:
    """The accepting branch hands an entrusted case back, with the reason for the record (it cannot decline)."""
    entrustment = session.scalar(sa.select(Entrustment).where(
        Entrustment.case_id == case_id, Entrustment.status == ACCEPTED, visible(actor, Entrustment)).with_for_update())
    if entrustment is None or not (actor.sees_everything or entrustment.to_branch_id in actor.subtree):
        raise NotFound(f"No entrusted case {case_id!r} accepted by your branch.")
    open_dispatch = sa.select(Dispatch.id).where(Dispatch.case_id == case_id, Dispatch.status == DispatchStatus.OPEN)
    if session.scalar(open_dispatch) is not None:
        raise Conflict("A surveyor is still dispatched to the case; cancel the dispatch first.")
    entrustment.status, entrustment.handed_back_at = EntrustmentStatus.HANDED_BACK, now
    entrustment.handed_back_by_id, entrustment.hand_back_reason = actor.user_id, reason
    record(session, actor=actor, at=now, action="case.hand_back", entity_type="case", entity_id=case_id,
           branch_id=entrustment.from_branch_id, changes={"by_branch": entrustment.to_branch.code, "reason": reason})
    _announce(session, now, "case.handed_back", entrustment)
    session.commit()
    return entrustment


def _announce(session: Session, now: datetime, topic: str, entrustment: Entrustment) -> None:
    # Both branches' live maps hear of it: each coordinator watches their own branches.
    session.flush()  # the_accepting_branch reads the entrustment as it now stands
    payload = {"case_id": entrustment.case_id, "from_branch_id": entrustment.from_branch_id,
               "to_branch_id": entrustment.to_branch_id}
    publish(session, now=now, topic=topic, branch_id=entrustment.from_branch_id, payload=payload)
    if entrustment.status is not ACCEPTED:  # handed back: the_accepting_branch no longer names it
        publish(session, now=now, topic=topic, branch_id=entrustment.to_branch_id, payload=payload)


@dataclass(frozen=True)
class EntrustedCase:
    """An entrustment with the case and the accepting branch's latest dispatch, clocks read now."""

    entrustment: Entrustment
    dispatch: DispatchView | None

    def __getattr__(self, name: str) -> Any:
        return getattr(self.entrustment, name)


def list_entrustments(session: Session, *, actor: Actor, now: datetime, branch_code: str,
                      side: str) -> list[EntrustedCase]:
    """The branch's entrusted list (委托案件处理清单) or accepted list (受理案件处理清单), newest first."""
    branch = visible_branch(session, actor, branch_code)
    subtree = sorted(branch_subtree(session, branch.id))
    column = Entrustment.from_branch_id if side == "entrusted" else Entrustment.to_branch_id
    rows = session.scalars(sa.select(Entrustment).where(column.in_(subtree), visible(actor, Entrustment))
                           .order_by(Entrustment.entrusted_at.desc(), Entrustment.id.desc())).unique().all()
    return [EntrustedCase(e, view(e.case.dispatches[-1], now) if e.case.dispatches else None) for e in rows]
