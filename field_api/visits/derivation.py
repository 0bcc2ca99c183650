"""What the server derives from visits: first meetings per client, distances, durations and item scores."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from field_api.access import Actor
from field_api.audit.service import record
from field_api.clients.models import Client
from field_api.visits import scoring
from field_api.visits.models import Visit, VisitItemOutcome, VisitStatus
from geo.distance import geodesic_m

NEAR, FAR, UNCERTAIN, UNKNOWN = "near", "far", "uncertain", "unknown"


@dataclass(frozen=True)
class VisitRules:
    """The configurable numbers of visit logging."""

    distance_flag_m: float = 300.0
    thank_you_letter_days: int = 7
    future_tolerance: timedelta = timedelta(minutes=5)

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> VisitRules:
        """Read the rules from the app's configuration."""
        return cls(distance_flag_m=float(config["VISIT_DISTANCE_FLAG_M"]),
                   thank_you_letter_days=int(config["THANK_YOU_LETTER_DAYS"]))


def group_ids(root_id: uuid.UUID) -> sa.Select:
    """The ids of a client and of every duplicate merged into it."""
    return sa.select(Client.id).where(sa.or_(Client.id == root_id, Client.merged_into_id == root_id))


def root_of(session: Session, client_id: uuid.UUID) -> uuid.UUID:
    """The id of the client a client id stands for (its survivor, once merged)."""
    merged_into = session.scalar(sa.select(Client.merged_into_id).where(Client.id == client_id))
    return merged_into or client_id


def locate(session: Session, visit: Visit, rules: VisitRules) -> None:
    """Set the check-in's distance from the client (or its survivor) and the visit's duration."""
    client = session.get(Client, visit.client_id)
    if not client.has_location and client.merged_into_id is not None:
        client = session.get(Client, client.merged_into_id)
    if client.has_location:
        visit.distance_m = round(geodesic_m(visit.check_in_lat, visit.check_in_lon, client.lat, client.lon), 1)
        visit.location_check = _location_check(visit.distance_m, visit.check_in_accuracy_m, rules.distance_flag_m)
    else:
        visit.distance_m, visit.location_check = None, UNKNOWN
    visit.duration_s = (int((visit.check_out_at - visit.check_in_at).total_seconds())
                        if visit.check_out_at is not None else None)


def _location_check(distance_m: float, accuracy_m: float, flag_m: float) -> str:
    # Flag only when even the near edge of the fix's uncertainty circle is beyond the threshold.
    if distance_m - accuracy_m > flag_m:
        return FAR
    return UNCERTAIN if accuracy_m > flag_m else NEAR


def rules_of(visit: Visit) -> list[scoring.ItemRule]:
    """The scoring rules of the checklist version the visit was recorded with."""
    return [scoring.ItemRule.of(item) for item in visit.checklist.items]


def rescore(visit: Visit) -> scoring.Compliance:
    """Score the visit against its own checklist version and store the outcome of each item."""
    compliance = scoring.score_visit(rules_of(visit), visit.answers, purpose=visit.purpose.value,
                                     is_first_meeting=visit.is_first_meeting,
                                     photo_items={p.item_code for p in visit.photos if p.item_code})
    rows = {row.item_code: row for row in visit.outcomes}
    keep = []
    for position, score in enumerate(compliance.items):
        row = rows.get(score.item) or VisitItemOutcome(item_code=score.item)
        row.position, row.outcome, row.reason = position, score.outcome, score.reason
        keep.append(row)
    visit.outcomes = keep
    counts = compliance.counts
    visit.met_count, visit.missed_count = counts[scoring.MET], counts[scoring.MISSED]
    visit.excused_count, visit.not_applicable_count = counts[scoring.EXCUSED], counts[scoring.NOT_APPLICABLE]
    visit.share_met = compliance.share_met
    return compliance


def lock_client(session: Session, root_id: uuid.UUID) -> None:
    """Serialize derivations for one client: two phones syncing its visits at once take turns."""
    session.execute(sa.select(Client.id).where(Client.id == root_id).with_for_update())


def rederive_group(session: Session, *, actor: Actor, now: datetime, root_id: uuid.UUID,
                   saving: Visit | None = None) -> None:
    """Re-derive which visit of a client is the first meeting, rescoring (and auditing) the visits that changed."""
    lock_client(session, root_id)
    session.flush()
    visits = list(session.scalars(sa.select(Visit).where(Visit.client_id.in_(group_ids(root_id)))))
    current = sorted((v for v in visits if v.is_current), key=_meeting_order)
    for visit in visits:
        if visit.is_current:
            first = visit is current[0]
        elif visit.superseded_by_id is None and visit.status is VisitStatus.DRAFT:
            # A draft amendment is scored as if it had already replaced its original.
            others = [v for v in current if v.id != visit.amends_id]
            first = not others or _meeting_order(visit) < _meeting_order(others[0])
        else:
            continue  # a superseded visit keeps the scores it was superseded with
        if visit.is_first_meeting == first and visit is not saving:
            continue
        before = (visit.is_first_meeting, visit.share_met)
        visit.is_first_meeting = first
        rescore(visit)
        if visit is not saving and before != (visit.is_first_meeting, visit.share_met):
            record(session, actor=actor, at=now, action="visit.rederive", entity_type="visit", entity_id=visit.id,
                   branch_id=visit.branch_id, changes={"is_first_meeting": [before[0], first],
                                                       "share_met": [before[1], visit.share_met]})


def _meeting_order(visit: Visit) -> tuple[datetime, str]:
    return visit.check_in_at, str(visit.id)
