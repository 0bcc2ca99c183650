"""Compliance reports per branch and rolled up the branch tree, their trend, and the records behind a number."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from field_api.access import Actor, branch_subtree
from field_api.accounts.models import Branch
from field_api.accounts.service import visible_branch
from field_api.errors import Invalid
from field_api.reports import measures
from field_api.reports.measures import Result
from field_api.reports.periods import Period, parse_period, previous_quarter, quarter_period
from field_api.reports.sources import Window

TREND_QUARTERS = 4


@dataclass(frozen=True)
class BranchReport:
    """One branch's numbers: its own records, and rolled up over its whole subtree."""

    branch: Branch
    depth: int
    start: datetime
    end: datetime
    own: list[Result]
    rolled_up: list[Result]


@dataclass(frozen=True)
class Report:
    """The compliance report of a branch tree for a period."""

    period: Period
    generated_at: datetime
    branch: Branch
    branches: list[BranchReport]


def window(branch: Branch, period: Period, now: datetime) -> Window:
    """A branch's share of a period, bounded in its time zone."""
    start, end = period.bounds(branch.timezone)
    return Window(branch.id, start, end, period.first, period.last, now.astimezone(ZoneInfo(branch.timezone)).date(),
                  branch.timezone)


def report_branch(session: Session, actor: Actor, code: str | None) -> Branch:
    """The branch asked for (one the actor sees), else the actor's own, else the root for admins."""
    if code:
        return visible_branch(session, actor, code)
    if actor.branch_id is not None:
        return session.get(Branch, actor.branch_id)
    return session.scalar(sa.select(Branch).where(Branch.parent_id.is_(None)).order_by(Branch.id))


def chosen_period(branch: Branch, period: str | None, now: datetime) -> Period:
    """The period asked for, else the quarter head office publishes now (the one before today's, locally)."""
    if period:
        return parse_period(period)
    return previous_quarter(now.astimezone(ZoneInfo(branch.timezone)).date())


def compliance(session: Session, *, actor: Actor, now: datetime, branch_code: str | None,
               period: str | None) -> Report:
    """The report of a branch and every branch below it, each on its own and rolled up."""
    root = report_branch(session, actor, branch_code)
    if root is None:
        raise Invalid("There is no branch to report on.", field="branch")
    chosen = chosen_period(root, period, now)
    return Report(chosen, now, root, branch_reports(session, chosen, now, tree(session, root)))


def branch_reports(session: Session, period: Period, now: datetime,
                   nodes: list[tuple[Branch, int, list[Branch]]]) -> list[BranchReport]:
    """Each branch's numbers on its own and over its subtree (the same numbers for a branch with none below),
    measured for all the branches at once."""
    windows = {b.id: window(b, period, now) for b, _, _ in nodes}
    groups = {}
    for branch, _, subtree in nodes:
        groups[branch.id, "own"] = [windows[branch.id]]
        if len(subtree) > 1:
            groups[branch.id, "rolled"] = [windows[b.id] for b in subtree]
    results = measures.measure_groups(session, groups, now)
    return [BranchReport(branch, depth, windows[branch.id].start, windows[branch.id].end, results[branch.id, "own"],
                         results.get((branch.id, "rolled"), results[branch.id, "own"]))
            for branch, depth, _ in nodes]


def trend(session: Session, *, actor: Actor, now: datetime, branch_code: str | None, period: str | None,
          quarters: int = TREND_QUARTERS) -> list[tuple[str, list[Result]]]:
    """The branch's rolled-up rates for the quarters up to the period's last one."""
    root = report_branch(session, actor, branch_code)
    chosen = chosen_period(root, period, now)
    last = chosen.quarters[-1]
    labels = []
    year, q = int(last.label[:4]), int(last.label[-1])
    for _ in range(quarters):
        labels.append((year, q))
        year, q = (year - 1, 4) if q == 1 else (year, q - 1)
    subtree = [b for b, _, _ in tree(session, root)]
    out = []
    for year, q in reversed(labels):
        quarter = quarter_period(year, q)
        out.append((quarter.label, measures.measure(session, [window(b, quarter, now) for b in subtree], now)))
    return out


def drill_down(session: Session, *, actor: Actor, now: datetime, branch_code: str | None, period: str | None,
               measure: str, part: str, rolled_up: bool) -> sa.Select:
    """The records behind one number of the report, for the branch alone or its subtree."""
    if measure not in measures.BY_KEY:
        raise Invalid(f"No measure {measure!r}; use one of: {', '.join(measures.BY_KEY)}.", field="measure")
    if part not in measures.parts_of(measure):
        raise Invalid(f"Use one of: {', '.join(measures.parts_of(measure))}.", field="part")
    root = report_branch(session, actor, branch_code)
    chosen = chosen_period(root, period, now)
    branches = [b for b, _, _ in tree(session, root)] if rolled_up else [root]
    return measures.records(session, measure, part, [window(b, chosen, now) for b in branches], now)


def tree(session: Session, root: Branch) -> list[tuple[Branch, int, list[Branch]]]:
    """The branches under `root`, depth first by code, each with its depth and its subtree."""
    ids = branch_subtree(session, root.id)
    branches = {b.id: b for b in session.scalars(sa.select(Branch).where(Branch.id.in_(sorted(ids))))}
    children: dict[int | None, list[Branch]] = {}
    for b in branches.values():
        children.setdefault(b.parent_id, []).append(b)
    out: list[tuple[Branch, int, list[Branch]]] = []

    def walk(branch: Branch, depth: int) -> list[Branch]:
        slot = len(out)
        out.append((branch, depth, []))
        below = [branch]
        for child in sorted(children.get(branch.id, []), key=lambda b: b.code):
            below += walk(child, depth + 1)
        out[slot] = (branch, depth, below)
        return below

    walk(root, 0)
    return out
