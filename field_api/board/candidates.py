"""Whom to dispatch: the on-duty surveyors of the handling branch ranked by estimated time to the site."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased

from field_api.access import Actor, branch_subtree, get_visible
from field_api.accounts.models import User
from field_api.board.entrustment import active_entrustment
from field_api.board.roster import on_duty
from field_api.dispatch.models import Case, Dispatch, DispatchStatus
from field_api.tracking.models import LatestPosition
from geo.arrival import assumed_speed_mps
from geo.distance import haversine_many_m
from geo.zones import Coverage


@dataclass(frozen=True)
class Candidate:
    """An on-duty surveyor, how far from the site by the latest fix, and the job they are on (if any)."""

    surveyor_id: int
    username: str
    display_name: str
    lat: float | None
    lon: float | None
    fix_age_s: float | None
    distance_m: float | None
    minutes_to_site: float | None
    current_dispatch_id: int | None
    current_report_number: str | None

    @property
    def busy(self) -> bool:
        """Already on an open dispatch."""
        return self.current_dispatch_id is not None


def handling_branch(session: Session, case: Case) -> int:
    """The branch that surveys the case: the accepting branch of an entrustment, else the reporting one."""
    entrustment = active_entrustment(session, case.id)
    return entrustment.to_branch_id if entrustment is not None else case.branch_id


def candidates(session: Session, *, actor: Actor, now: datetime, case_id: int) -> list[Candidate]:
    """The case's candidates: free before busy, each by estimated minutes to the site; no fix ranks last."""
    case = get_visible(session, actor, Case, case_id)
    return rank(session, case=case, branch_ids=branch_subtree(session, handling_branch(session, case)), now=now)


def rank(session: Session, *, case: Case, branch_ids, now: datetime) -> list[Candidate]:
    """Rank the on-duty surveyors of these branches for a case: one query, then one vectorised distance pass."""
    job = aliased(Case)
    rows = session.execute(
        sa.select(User.id, User.username, User.display_name, LatestPosition.device_time, LatestPosition.lat,
                  LatestPosition.lon, Dispatch.id, job.report_number)
        .outerjoin(LatestPosition, LatestPosition.surveyor_id == User.id)
        .outerjoin(Dispatch, sa.and_(Dispatch.surveyor_id == User.id, Dispatch.status == DispatchStatus.OPEN))
        .outerjoin(job, job.id == Dispatch.case_id)
        .where(User.id.in_(on_duty(branch_ids, now)), User.is_active.is_(True))
        .order_by(User.id, Dispatch.id)).all()
    seen, unique = set(), []
    for row in rows:
        if row[0] not in seen:
            seen.add(row[0])
            unique.append(row)
    if not unique:
        return []
    lats = np.array([np.nan if r[4] is None else r[4] for r in unique], dtype=float)
    lons = np.array([np.nan if r[5] is None else r[5] for r in unique], dtype=float)
    # No fix: NaN distance, ranked last among its kind.
    distance = haversine_many_m(case.lat, case.lon, lats, lons)
    travel = distance / assumed_speed_mps(None, Coverage(case.coverage))
    order = sorted(range(len(unique)), key=lambda i: (unique[i][6] is not None, travel[i] != travel[i],
                                                      0.0 if travel[i] != travel[i] else travel[i], unique[i][0]))
    distance, travel = distance.tolist(), travel.tolist()
    return [_candidate(unique[i], distance[i], travel[i], now) for i in order]


def _candidate(row: sa.Row, distance: float, travel: float, now: datetime) -> Candidate:
    return Candidate(surveyor_id=row[0], username=row[1], display_name=row[2], lat=row[4], lon=row[5],
                     fix_age_s=None if row[3] is None else round(max(0.0, (now - row[3]).total_seconds()), 1),
                     distance_m=None if distance != distance else round(distance, 1),
                     minutes_to_site=None if travel != travel else round(travel / 60.0, 1),
                     current_dispatch_id=row[6], current_report_number=row[7])
