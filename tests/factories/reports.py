"""Generated evidence for reports: cases with dispatch chains, visits with item outcomes, thank-you letters.

Rows are written straight into the tables (every combination of facts the services can leave behind, fast);
the report is then checked against a row-by-row recomputation with the dispatch clock's own rules.
"""

from __future__ import annotations

import random
import uuid
from datetime import date, datetime, timedelta, timezone

import sqlalchemy as sa

from field_api.accounts.models import Branch, Role, User
from field_api.clients.models import Client, ClientKind
from field_api.dispatch import clock as clocks
from field_api.dispatch.models import Case, ClockState, Dispatch, DispatchStatus, ExcuseCause, Line
from field_api.extensions import db
from field_api.tracking.models import DutyInterval
from field_api.visits.checklists import ensure_standard
from field_api.visits.models import ChecklistVersion, ClientTask, Visit, VisitItemOutcome, VisitPurpose, VisitStatus
from geo.zones import Coverage

ITEMS = ("business_card", "product_presentation", "application_form", "service_handbook", "policy_envelope")
OUTCOMES = ("met", "missed", "excused", "not_applicable")


def _minutes(rng: random.Random, low: float, high: float) -> timedelta:
    return timedelta(seconds=round(rng.uniform(low, high) * 60))


class ReportData:
    """Writes random but possible records into the tables of a branch tree."""

    def __init__(self, accounts, now: datetime, seed: int = 9) -> None:
        self.accounts, self.now, self.rng = accounts, now, random.Random(seed)
        self._numbers = iter(range(1, 10**6))

    def people(self, branch: str) -> tuple[User, User]:
        """A surveyor and a salesperson of the branch."""
        return (self.accounts.user(Role.SURVEYOR, branch), self.accounts.user(Role.SALESPERSON, branch))

    def case(self, branch: Branch, surveyor: User, reported_at: datetime, *, line: Line | None = None,
             on_site: bool | None = None, coverage: Coverage | None = None, dispatches: int | None = None) -> Case:
        """A case with a chain of dispatches (re-dispatches hand over the clocks) and random facts on the last."""
        rng = self.rng
        line = line or rng.choice([Line.MOTOR, Line.MOTOR, Line.PROPERTY])
        on_site = rng.random() < 0.9 if on_site is None else on_site
        coverage = coverage or rng.choice([Coverage.URBAN, Coverage.URBAN, Coverage.SUBURBAN, Coverage.OUTSIDE])
        case = Case(branch_id=branch.id, report_number=f"G{next(self._numbers):07d}", reported_at=reported_at,
                    line=line, on_site=on_site, lat=22.54, lon=114.05, customer_name="Customer",
                    coverage=coverage.value,
                    plate_number="粤B12345" if line is Line.MOTOR else None, created_at=reported_at)
        db.session.add(case)
        if dispatches is None and rng.random() < 0.08:  # never dispatched, perhaps closed
            case.closed_at = reported_at + timedelta(hours=2) if rng.random() < 0.5 else None
            db.session.commit()
            return case
        start = reported_at + _minutes(rng, 0, 40)
        case.first_dispatched_at = start
        db.session.flush()
        count = dispatches or rng.choice([1, 1, 1, 2])
        at = start
        for n in range(count):
            d = self._dispatch(case, surveyor, at, start)
            if n + 1 < count:
                at = at + _minutes(rng, 1, 20)
                d.status, d.closed_at = DispatchStatus.REASSIGNED, at
        db.session.commit()
        return case

    def _dispatch(self, case: Case, surveyor: User, at: datetime, start: datetime) -> Dispatch:
        rng = self.rng
        agreed = start + _minutes(rng, 20, 180) if rng.random() < 0.7 else None
        d = Dispatch(case_id=case.id, branch_id=case.branch_id, surveyor_id=surveyor.id, dispatched_at=at,
                     clock_start=start, is_first=at == start, status=DispatchStatus.OPEN, fence_lat=case.lat,
                     fence_lon=case.lon, arrive_radius_m=200.0, leave_radius_m=300.0,
                     contact_due_at=clocks.contact_due(case.line, case.on_site, start),
                     arrival_due_at=clocks.arrival_due(case.line, case.on_site, Coverage(case.coverage), start, agreed),
                     agreed_arrival_at=agreed)
        if rng.random() < 0.85:
            d.contacted_at = start + _minutes(rng, 0, 9)
        if case.on_site and rng.random() < 0.8:
            d.arrived_at = start + _minutes(rng, 5, 150)
        if case.on_site and rng.random() < 0.3:
            d.late_notice_at = start + _minutes(rng, 2, 100)
            d.late_notice_eta, d.late_notice_reason = d.late_notice_at + timedelta(minutes=30), "traffic jam"
        if rng.random() < 0.15:
            d.contact_excuse = rng.choice(list(ExcuseCause))
        if rng.random() < 0.15:
            d.arrival_excuse = rng.choice(list(ExcuseCause))
        roll = rng.random()
        if roll < 0.6 and (d.arrived_at or not case.on_site):
            d.status = DispatchStatus.COMPLETED
            d.completed_at = d.closed_at = (d.arrived_at or start) + timedelta(minutes=20)
        elif roll < 0.7:
            d.status, d.closed_at = DispatchStatus.CANCELLED, start + _minutes(rng, 1, 60)
        db.session.add(d)
        db.session.flush()
        return d

    def visit(self, branch: Branch, salesperson: User, on: date, *, outcomes: dict[str, str] | None = None,
              far: bool | None = None, letter: str | None = None) -> Visit:
        """A submitted visit with item outcomes, a check-in near or far, and perhaps a thank-you letter."""
        rng = self.rng
        ensure_standard(db.session, now=self.now)
        version = db.session.scalar(sa.select(ChecklistVersion).order_by(ChecklistVersion.id))
        client = Client(id=uuid.uuid4(), branch_id=branch.id, owner_id=salesperson.id, name="Client",
                        kind=ClientKind.OTHER, lat=22.54, lon=114.05, input_digest="x", created_at=self.now,
                        updated_at=self.now)
        db.session.add(client)
        at = datetime(on.year, on.month, on.day, 3, tzinfo=timezone.utc)
        far = rng.random() < 0.2 if far is None else far
        distance = None if rng.random() < 0.1 else (900.0 if far else 40.0)
        visit = Visit(id=uuid.uuid4(), branch_id=branch.id, owner_id=salesperson.id, client_id=client.id,
                      checklist_version_id=version.id, purpose=VisitPurpose.POLICY_DELIVERY,
                      status=rng.choice([VisitStatus.SUBMITTED] * 5 + [VisitStatus.DRAFT]),
                      check_in_lat=22.54, check_in_lon=114.05, check_in_accuracy_m=10.0, check_in_at=at,
                      check_in_received_at=at, visit_date=on, answers=[], objections=[], photo_manifest=[],
                      input_digest="x", is_current=rng.random() < 0.9, is_first_meeting=rng.random() < 0.4,
                      distance_m=distance, location_check="unknown" if distance is None else ("far" if far else "near"),
                      created_at=at, updated_at=at)
        db.session.add(visit)
        db.session.flush()
        for position, item in enumerate(ITEMS):
            outcome = (outcomes or {}).get(item) or rng.choice(OUTCOMES)
            db.session.add(VisitItemOutcome(visit_id=visit.id, position=position, item_code=item, outcome=outcome))
        letter = letter or rng.choice(["on_time", "late", "open", "cancelled", None])
        if letter is not None:
            due = on + timedelta(days=7)
            done = {"on_time": due - timedelta(days=1), "late": due + timedelta(days=2)}.get(letter)
            db.session.add(ClientTask(client_id=client.id, branch_id=branch.id, owner_id=salesperson.id,
                                      visit_id=visit.id, checklist_version_id=version.id, item_code="thank_you_letter",
                                      due_on=due, done_on=done,
                                      cancelled_at=self.now if letter == "cancelled" else None,
                                      created_at=at))
        db.session.commit()
        return visit


def state(reading) -> str | None:
    """A clock reading as the report counts it (at-risk is still pending)."""
    if reading is None:
        return None
    return "pending" if reading.state is ClockState.AT_RISK else reading.state.value


class FieldData:
    """Roster shifts, care callbacks and claim forms with their photos, written straight into the tables."""

    def __init__(self, data: ReportData) -> None:
        self.data, self.rng = data, data.rng

    def shifts(self, branch: Branch, coordinator: User, surveyor: User, start: datetime, days: int) -> None:
        """Shifts of 4 to 14 hours with random holes and overlaps; some name no surveyor."""
        from field_api.board.models import RosterShift, RosterSurveyor

        at = start
        while at < start + timedelta(days=days):
            at += timedelta(minutes=self.rng.choice([0, 0, 0, 30, 90, 300, -60]))
            ends = at + timedelta(hours=self.rng.randint(4, 14))
            shift = RosterShift(branch_id=branch.id, starts_at=at, ends_at=ends, coordinator_id=coordinator.id)
            db.session.add(shift)
            db.session.flush()
            if self.rng.random() < 0.9:
                db.session.add(RosterSurveyor(shift_id=shift.id, surveyor_id=surveyor.id))
            at = ends
        duty, on = start - timedelta(hours=3), None
        while duty < start + timedelta(days=days):
            length = timedelta(hours=self.rng.randint(1, 20))
            db.session.add(DutyInterval(surveyor_id=surveyor.id, started_at=duty, ended_at=duty + length))
            duty += length + timedelta(minutes=self.rng.choice([10, 45, 120, 600]))
        db.session.commit()

    def follow_up(self, case: Case) -> None:
        """A care callback of the case: open, reached (perhaps contradicting the clocks) or unable to contact."""
        from field_api.board.models import (CallbackAttempt, FollowUp, FollowUpReason, FollowUpStatus)

        status = self.rng.choice(list(FollowUpStatus))
        last = max(case.dispatches, key=lambda d: d.id) if case.dispatches else None
        up = FollowUp(case_id=case.id, branch_id=case.branch_id, dispatch_id=last.id if last else None,
                      batch_at=case.first_dispatched_at + timedelta(minutes=40), due_at=case.first_dispatched_at
                      + timedelta(minutes=70), reason=FollowUpReason.DISPATCHED, for_chief=self.rng.random() < 0.3,
                      status=status, failed_attempts=3 if status is FollowUpStatus.UNABLE_TO_CONTACT else 0)
        db.session.add(up)
        db.session.flush()
        if status is FollowUpStatus.REACHED:
            contradicts = self.rng.random() < 0.3
            db.session.add(CallbackAttempt(follow_up_id=up.id, at=up.batch_at, reached=True,
                                           surveyor_called=not contradicts, contradicts_clocks=contradicts,
                                           arrived_on_time=self.rng.choice([True, False, None])))
        db.session.commit()

    def claim_form(self, case: Case, surveyor: User) -> None:
        """The first form of the case's dispatch (sealed the same day, a later day or not yet), maybe corrected."""
        from field_api.claims.models import (AttachmentKind, ClaimAttachment, ClaimForm, InsuredKind,
                                             PaymentMethod)

        rng = self.rng
        dispatch = max(case.dispatches, key=lambda d: d.id)
        sealed = rng.choice([None, timedelta(hours=1), timedelta(hours=rng.randint(2, 30)), timedelta(days=3)])
        missing = [] if rng.random() < 0.5 else rng.sample(["party_signature", "id_copy", "scene_photos",
                                                            "company_seal", "form_date"], rng.randint(1, 3))
        form = ClaimForm(id=uuid.uuid4(), branch_id=case.branch_id, dispatch_id=dispatch.id, surveyor_id=surveyor.id,
                         insured_kind=InsuredKind.PERSON, payment_method=PaymentMethod.OTHER, manifest=[],
                         missing=missing, awaiting=[], input_digest="x", created_at=dispatch.dispatched_at,
                         updated_at=dispatch.dispatched_at,
                         sealed_at=dispatch.dispatched_at + sealed if sealed else None)
        db.session.add(form)
        db.session.flush()
        for n in range(rng.randint(0, 4)):
            kind = rng.choice([AttachmentKind.SCENE, AttachmentKind.VEHICLE_DAMAGE, AttachmentKind.INJURY,
                               AttachmentKind.ID_COPY])
            flags = rng.choice([[], [], ["far_from_site"], ["taken_before_dispatch"],
                                ["far_from_site", "taken_before_dispatch"]])
            db.session.add(ClaimAttachment(form_id=form.id, kind=kind, sha256=f"{n:064d}", content_type="image/jpeg",
                                           size=1, width=1, height=1, flags=flags, uploaded_by_id=surveyor.id,
                                           branch_id=case.branch_id, received_at=dispatch.dispatched_at,
                                           site_distance_m=900.0 if "far_from_site" in flags else 20.0))
        if sealed and rng.random() < 0.2:
            correction = ClaimForm(id=uuid.uuid4(), branch_id=case.branch_id, dispatch_id=dispatch.id,
                                   surveyor_id=surveyor.id, insured_kind=InsuredKind.PERSON,
                                   payment_method=PaymentMethod.OTHER, manifest=[], missing=[], awaiting=[],
                                   input_digest="y", created_at=form.sealed_at, updated_at=form.sealed_at,
                                   corrects_id=form.id, sealed_at=form.sealed_at + timedelta(hours=1))
            db.session.add(correction)
            db.session.flush()
            form.corrected_by_id = correction.id
        db.session.commit()
