"""Demo history for the report: two past quarters of cases and visits, recorded through the real services.

Every case goes through intake, dispatch and the surveyor's events at its own past instant, so its clocks
end met, missed, excused or told-in-advance the way a real day leaves them.
"""

from __future__ import annotations

import io
import random
import uuid
from collections.abc import Iterator
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from field_api.access import Actor, actor_for
from field_api.accounts.models import Branch, User
from field_api.board import followups
from field_api.board.models import RosterShift
from field_api.board.roster import ShiftPlan, replace_roster
from field_api.claims import attachments, seals
from field_api.claims import demo as claims_demo
from field_api.claims import service as claim_forms
from field_api.claims.models import AttachmentKind
from field_api.claims.rules import ClaimRules
from field_api.clients import service as clients
from field_api.clients.models import Client
from field_api.dispatch import cases
from field_api.dispatch import service as dispatches
from field_api.dispatch.models import Case, ExcuseCause, Line
from field_api.dispatch.service import EventKind, PhoneEvent
from field_api.reports.periods import Period, previous_quarter, quarter_period
from field_api.tracking.models import DutyInterval
from field_api.visits import demo as visits_demo
from field_api.visits import service as visits
from field_api.visits import tasks
from field_api.visits.derivation import VisitRules
from field_api.visits.models import ClientTask, Visit
from geo.datum import Datum, convert

CASES_PER_QUARTER = 36
VISITS_PER_QUARTER = 16
# Sites in GCJ-02: urban Futian, suburban Bao'an, and Hong Kong (outside the zones).
SITES = [((22.543099, 114.057868), "福田区 市民中心"), ((22.5455, 114.0835), "福田区 深南中路"),
         ((22.639258, 113.810664), "宝安区 机场"), ((22.302711, 114.177216), "香港 (outside coverage)")]
SURVEYORS = ("ft.surveyor1", "ft.surveyor2", "ba.surveyor1")
NAMESPACE = uuid.UUID("0b9f5c1e-7d0c-4b8e-8a57-2f1f0c0de409")


def quarters(now: datetime, timezone: str) -> list[Period]:
    """The quarter the report shows by default, and the one before it for the trend."""
    last = previous_quarter(now.astimezone(ZoneInfo(timezone)).date())
    year, q = int(last.label[:4]), int(last.label[-1])
    return [quarter_period(year - 1, 4) if q == 1 else quarter_period(year, q - 1), last]


def seed(session: Session, *, config: Any, now: datetime) -> Iterator[str]:
    """Record the past quarters' cases and visits that are missing; running twice changes nothing."""
    shenzhen = session.scalar(sa.select(Branch).where(Branch.code == "SZ"))
    for n, period in enumerate(quarters(now, shenzhen.timezone)):
        _roster(session, shenzhen, period, now)
        rng = random.Random(f"{period.label}-cases")
        # Later quarters do better, so the trend has a direction.
        skill = 0.55 + 0.25 * n
        for i in range(CASES_PER_QUARTER):
            number = f"HIST-{period.label}-{i + 1:03d}"
            if session.scalar(sa.select(Case.id).where(Case.report_number == number)) is None:
                _case(session, config, rng, period, number, skill)
    _visits(session, config, now)
    yield f"report history: {CASES_PER_QUARTER} cases (care callbacks, claim forms) and {VISITS_PER_QUARTER} " \
          "visits a quarter in SZ, and its roster with a few nights left open, over " \
          f"{', '.join(p.label for p in quarters(now, shenzhen.timezone))} (see /reports)"


def _case(session: Session, config: Any, rng: random.Random, period: Period, number: str, skill: float) -> None:
    system = Actor.system("seed-demo")
    canonical = Datum(config["DATUM"])
    day = period.first + timedelta(days=rng.randrange((period.last - period.first).days + 1))
    reported = datetime(day.year, day.month, day.day, rng.randrange(0, 14), rng.randrange(60),
                        tzinfo=ZoneInfo("UTC"))
    (site, address), line = rng.choice(SITES), Line.MOTOR if rng.random() < 0.8 else Line.PROPERTY
    lat, lon = convert(*site, Datum.GCJ02, canonical)
    case = cases.create_case(session, actor=system, now=reported, canonical=canonical, branch_code="SZ",
                             report_number=number, reported_at=reported, line=line, on_site=True, lat=lat, lon=lon,
                             customer_name="Customer 客户", customer_phone="13500000000", address=address,
                             plate_number="粤B" + number[-5:] if line is Line.MOTOR else None)
    surveyor = session.scalar(sa.select(User).where(User.username == rng.choice(SURVEYORS)))
    phone = actor_for(session, surveyor, device="seed-demo")
    at = reported + timedelta(minutes=rng.uniform(1, 20) if rng.random() < skill + 0.2 else rng.uniform(20, 70))
    d = dispatches.dispatch_case(session, actor=system, now=at, case_id=case.id, surveyor_id=surveyor.id,
                                 default_radius_m=config["ARRIVAL_RADIUS_M"])

    def event(kind: EventKind, when: datetime, **more) -> None:
        dispatches.record_phone_event(session, actor=phone, now=when, dispatch_id=d.id,
                                      event=PhoneEvent(kind=kind, device_time=when, **more))

    contact = at + timedelta(minutes=rng.uniform(1, 4.5) if rng.random() < skill + 0.15 else rng.uniform(6, 15))
    event(EventKind.CONTACTED, contact)
    if d.arrival_due_at is None:
        event(EventKind.AGREED_TIME, contact, agreed_time=at + timedelta(minutes=rng.choice([60, 90, 120])))
    due = d.arrival_due_at
    late = rng.random() > skill
    _care_callback(session, rng, case, at, late)
    if late and due is not None and rng.random() < 0.5:
        event(EventKind.LATE_NOTICE, due - timedelta(minutes=10), reason="堵车 traffic jam",
              new_eta=due + timedelta(minutes=20))
    if due is not None:
        arrival = due + timedelta(minutes=rng.uniform(3, 30)) if late else \
            at + (due - at) * rng.uniform(0.4, 0.95)
    else:  # outside coverage, the time was agreed too late to count: the surveyor still goes, and finishes
        arrival = contact + timedelta(minutes=rng.uniform(40, 90))
    arrival = max(arrival, contact)
    event(EventKind.ARRIVED, arrival, lat=lat, lon=lon, accuracy_m=10.0)
    _claim_form(session, config, rng, d, phone, arrival + timedelta(minutes=10), (lat, lon))
    event(EventKind.COMPLETED, arrival + timedelta(minutes=40))
    if due is not None and late and rng.random() < 0.35:
        dispatches.excuse(session, actor=system, now=arrival + timedelta(hours=1), dispatch_id=d.id,
                              which="arrival", cause=rng.choice(list(ExcuseCause)), note="demo: " + address)


def _care_callback(session: Session, rng: random.Random, case: Case, dispatched: datetime, late: bool) -> None:
    """The half-hourly extraction an hour after the dispatch, and the call centre's call; now and then the
    customer's memory and the clocks disagree."""
    followups.extract_followups(session, dispatched + timedelta(minutes=60))
    if case.line is not Line.MOTOR or rng.random() < 0.15:
        return
    reached = rng.random() < 0.85
    answers = {"surveyor_called": rng.random() > 0.05,
               "arrived_on_time": (not late) if rng.random() < 0.93 else late} if reached else {}
    followups.record_callback(session, actor=Actor.system("seed-demo"), now=dispatched + timedelta(minutes=70),
                              case_id=case.id, reached=reached, **answers)


def _claim_form(session: Session, config: Any, rng: random.Random, dispatch, phone, at: datetime,
                site: tuple[float, float]) -> None:
    """The surveyor's claim form on site: signature and photos, mostly sealed that day, sometimes lacking a photo."""
    rules = ClaimRules.from_config(config)
    form_id = uuid.uuid5(NAMESPACE, f"form-{dispatch.id}")
    kinds = [AttachmentKind.PARTY_SIGNATURE, AttachmentKind.SCENE, AttachmentKind.VEHICLE_DAMAGE]
    if rng.random() < 0.25:
        kinds.remove(rng.choice(kinds[1:]))
    for kind in kinds:
        far = kind.is_photo and rng.random() < 0.08
        fix = {"lat": site[0] + (0.02 if far else 0.0002), "lon": site[1], "accuracy_m": 10.0}
        signer = {"name": "客户 Customer", "role": "party", "signed_at": at}
        upload = attachments.Upload(stream=io.BytesIO(claims_demo._image(kind, "gray", str(dispatch.id))),
                                    filename=f"{kind.value}.img", kind=kind, device_time=at, fix=fix,
                                    signer=signer if kind is AttachmentKind.PARTY_SIGNATURE else None)
        attachments.add_attachment(session, actor=phone, now=at, rules=rules, canonical=Datum(config["DATUM"]),
                                   form_id=form_id, upload=upload)
    data = {"dispatch_id": dispatch.id, "account": "追尾,后保险杠受损 (rear-ended, bumper damaged)",
            "party": {"name": "客户 Customer", "phone": "13500000000", "id_number": None},
            "insured": {"kind": "person", "name": "客户 Customer"}, "amount": None, "payment_method": "other",
            "date": at.date(), "notice_handed_at": at, "notes": None, "attachments": [], "corrects": None}
    claim_forms.put_form(session, actor=phone, now=at, rules=rules, form_id=form_id, data=data, if_match=None)
    if rng.random() < 0.9:
        later = timedelta(minutes=20) if rng.random() < 0.8 else timedelta(days=1, hours=2)
        seals.seal_form(session, actor=phone, now=at + later, rules=rules, form_id=form_id)


def _duty_history(session: Session, ids: dict[str, int], period: Period, zone: ZoneInfo) -> None:
    """The surveyors' duty switch over the quarter: on a little after their shift starts, off a little before it ends.

    Written as closed intervals, as the phones' history would have left them: the duty service only moves forward
    from a surveyor's current state, and the demo's surveyors are on duty now.
    """
    rng = random.Random(f"{period.label}-duty")
    day = period.first
    while day <= period.last:
        for name, (on, off) in (("ft.surveyor1", (8, 20)), ("ba.surveyor1", (8, 20)), ("ft.surveyor2", (20, 32))):
            if on == 20 and not day.toordinal() % 12:
                continue
            start = datetime.combine(day, time(), zone) + timedelta(hours=on, minutes=rng.choice([0, 5, 20, 90]))
            end = datetime.combine(day, time(), zone) + timedelta(hours=off, minutes=-rng.choice([0, 10, 45]))
            session.add(DutyInterval(surveyor_id=ids[name], started_at=start, ended_at=end))
        day += timedelta(days=1)
    session.commit()


def _roster(session: Session, branch: Branch, period: Period, now: datetime) -> None:
    """Day and night shifts over the quarter, one night in twelve left open; shifts already there are kept."""
    zone = ZoneInfo(branch.timezone)
    start, end = period.bounds(branch.timezone)
    first_morning = datetime.combine(period.first, time(8), zone)
    if session.scalar(sa.select(RosterShift.id).where(RosterShift.branch_id == branch.id,
                                                      RosterShift.starts_at == first_morning)):
        return
    ids = dict(session.execute(sa.select(User.username, User.id)).all())
    plans, day = [], period.first
    while day <= period.last:
        morning, evening = (datetime.combine(day, time(h), zone) for h in (8, 20))
        plans.append(ShiftPlan(starts=morning, ends=evening, coordinator_id=ids["sz.coordinator"],
                               surveyor_ids=(ids["ft.surveyor1"], ids["ba.surveyor1"]), note="白班"))
        if day.toordinal() % 12:
            plans.append(ShiftPlan(starts=evening, ends=min(evening + timedelta(hours=12), end),
                                   coordinator_id=ids["sz.chief"], surveyor_ids=(ids["ft.surveyor2"],), note="夜班"))
        day += timedelta(days=1)
    there = session.scalars(sa.select(RosterShift).where(
        RosterShift.branch_id == branch.id, RosterShift.starts_at < end, RosterShift.ends_at > start)).all()
    plans = [p for p in plans if not any(p.starts < s.ends_at and p.ends > s.starts_at for s in there)]
    plans += [ShiftPlan(starts=s.starts_at, ends=s.ends_at, coordinator_id=s.coordinator_id,
                        surveyor_ids=tuple(x.surveyor_id for x in s.surveyors), note=s.note)
              for s in there if s.starts_at >= start]
    _duty_history(session, ids, period, zone)
    # The roster is replaced a month at a time (the board takes at most 62 days).
    for year, month in sorted({(p.starts.astimezone(zone).year, p.starts.astimezone(zone).month) for p in plans}):
        first = datetime(year, month, 1, tzinfo=zone)
        after = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=zone)
        replace_roster(session, actor=Actor.system("seed-demo"), now=now, branch_code=branch.code, start=first,
                       end=after, shifts=[p for p in plans if first <= p.starts < after])


PRESENTATION = {"item": "product_presentation", "result": "done", "sub_checks": {
    "benefits_tied_to_needs": True, "proof_offered": True, "objections_handled": True, "price_at_right_moment": True}}
HANDBOOK = {"item": "service_handbook", "result": "done",
            "sub_checks": {"handed_with_policy": True, "contents_explained": True}}
ANSWERS = {
    "prospecting": [[visits_demo.CARD], [visits_demo.CARD], [{"item": "business_card", "result": "not_done"}],
                    [{"item": "business_card", "result": "excluded", "exclusion": "client_declined_card"}]],
    "product_presentation": [[PRESENTATION], [PRESENTATION], [{**PRESENTATION, "sub_checks": {
        **PRESENTATION["sub_checks"], "price_at_right_moment": False}}]],
    "policy_delivery": [[{"item": "policy_envelope", "result": "done"}, HANDBOOK],
                        [{"item": "policy_envelope", "result": "done"}, visits_demo.HANDBOOK_EXCUSED],
                        [{"item": "policy_envelope", "result": "not_done"}]],
}


def _visits(session: Session, config: Any, now: datetime) -> None:
    """Each past visit meets a new client of the salesperson (a first meeting), near it or far from it."""
    rules = VisitRules.from_config(config)
    shenzhen = session.scalar(sa.select(Branch).where(Branch.code == "SZ"))
    owners = {name: session.scalar(sa.select(User).where(User.username == name))
              for name in ("ft.sales1", "ba.sales1")}
    for period in quarters(now, shenzhen.timezone):
        rng = random.Random(f"{period.label}-visits")
        for i in range(VISITS_PER_QUARTER):
            visit_id = uuid.uuid5(NAMESPACE, f"{period.label}-{i}")
            owner = owners[rng.choice(sorted(owners))]
            purpose = rng.choice(sorted(ANSWERS))
            answers = rng.choice(ANSWERS[purpose])
            if purpose != "prospecting" and rng.random() < 0.8:
                answers = [visits_demo.CARD, *answers]
            far = rng.random() < 0.15
            day = period.first + timedelta(days=rng.randrange((period.last - period.first).days + 1))
            at = datetime(day.year, day.month, day.day, 2, 30, tzinfo=ZoneInfo("UTC"))
            if session.get(Visit, visit_id) is not None:
                continue
            actor = actor_for(session, owner, device="seed-demo")
            lat, lon = 22.54 + rng.uniform(-0.03, 0.03), 114.05 + rng.uniform(-0.05, 0.05)
            client_id = uuid.uuid5(NAMESPACE, f"client-{period.label}-{i}")
            if session.get(Client, client_id) is None:
                clients.put_client(session, actor=actor, now=at, rules=rules, client_id=client_id, if_match=None,
                                   data={"name": f"客户 Client {period.label}-{i + 1}", "kind": "other",
                                         "contact_person": None, "contact_phone": None, "address": None,
                                         "location": {"lat": lat, "lon": lon}})
            fix = {"lat": lat + (0.01 if far else 0.0003), "lon": lon + 0.0002, "accuracy_m": 15.0}
            visits.put_visit(session, actor=actor, now=at + timedelta(hours=1), rules=rules, visit_id=visit_id,
                             if_match=None,
                             data={"client_id": client_id, "checklist": None, "purpose": purpose,
                                   "status": "submitted", "check_in": {**fix, "at": at},
                                   "check_out": {**fix, "at": at + timedelta(minutes=35)},
                                   "answers": answers, "objections": [], "notes": None,
                                   "photos": [], "amends": None, "amendment_reason": None})
            letter = session.scalar(sa.select(ClientTask).where(ClientTask.visit_id == visit_id))
            if letter is not None and rng.random() < 0.7:
                tasks.record_done(session, actor=actor, now=at + timedelta(days=14), task_id=letter.id,
                                  done_on=letter.due_on - timedelta(days=rng.choice([1, 4, -2])), via="post")
