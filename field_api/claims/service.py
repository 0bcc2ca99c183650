"""Claim forms: idempotent create-or-update from the phone, corrections, completeness and the receipt."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from field_api.access import Actor, get_visible, visible
from field_api.audit.service import record
from field_api.claims import completeness, payout
from field_api.claims.attachments import assess
from field_api.claims.models import ClaimAttachment, ClaimForm, InsuredKind, PaymentMethod
from field_api.claims.rules import ClaimRules
from field_api.claims.status import attachments_of, refresh
from field_api.dispatch.models import Dispatch
from field_api.errors import Conflict, Invalid
from field_api.revisions import Outcome, input_digest, plain, require_version, retrying

STATE_FIELDS = ("dispatch_id", "account", "party_name", "party_phone", "party_id_number", "insured_kind",
                "insured_name", "amount", "payment_method", "form_date", "notice_handed_at", "notes", "manifest",
                "corrects_id")


def put_form(session: Session, *, actor: Actor, now: datetime, rules: ClaimRules, form_id: uuid.UUID,
             data: dict[str, Any], if_match: str | None) -> tuple[ClaimForm, Outcome]:
    """Create a claim form with the phone's UUID or update it (If-Match); an identical body changes nothing."""
    form, outcome = retrying(session, lambda: _save(session, actor=actor, now=now, rules=rules, form_id=form_id,
                                                    data=data, if_match=if_match))
    session.commit()
    return present(session, form), outcome


def _save(session: Session, *, actor: Actor, now: datetime, rules: ClaimRules, form_id: uuid.UUID,
          data: dict[str, Any], if_match: str | None) -> tuple[ClaimForm, Outcome]:
    existing = None
    if session.scalar(sa.select(ClaimForm.id).where(ClaimForm.id == form_id)) is not None:
        existing = present(session, get_visible(session, actor, ClaimForm, form_id, for_update=True))
    digest = input_digest({**data, "amount": None if data["amount"] is None else f"{data['amount']:.2f}"})
    if existing is not None:
        if existing.input_digest == digest:
            return existing, Outcome.UNCHANGED
        if existing.sealed_at is not None:
            _refuse(Conflict("The form is sealed; correct it with a new form that names it in `corrects`."), existing)
        require_version(if_match=if_match, current=existing, what="claim form")
        for name, column in (("dispatch_id", "dispatch_id"), ("corrects", "corrects_id")):
            if data[name] != getattr(existing, column):
                raise Invalid("This cannot change once the form exists.", field=name)
    dispatch = _own_dispatch(session, actor, data["dispatch_id"])
    strangers = sa.select(ClaimAttachment.id).where(ClaimAttachment.form_id == form_id,
                                                    ClaimAttachment.uploaded_by_id != actor.user_id)
    if existing is None and session.scalar(strangers.limit(1)) is not None:
        raise Conflict("Another surveyor uploaded attachments under this form id; the phone must make a new UUID.")
    original = _corrected(session, actor, data["corrects"], dispatch, form_id) if existing is None else None
    if existing is None:
        form = ClaimForm(id=form_id, branch_id=dispatch.branch_id, dispatch=dispatch, surveyor_id=actor.user_id,
                         version=1, created_at=now, manifest=[], missing=[], awaiting=[])
        before: dict[str, Any] = {}
        session.add(form)
    else:
        form, before = existing, _state(existing)
        form.version += 1
    _apply(form, data, digest=digest, now=now)
    session.flush()
    carried = 0
    if original is not None:
        original.corrected_by_id = form.id
        carried = _carry_over(session, original, form)
    for attachment in attachments_of(session, form.id):
        assess(attachment, dispatch, rules)
    refresh(session, form, now=now)
    after = _state(form)
    changes = after if not before else {k: [before[k], v] for k, v in after.items() if before[k] != v}
    action = "claim_form.create" if not before else "claim_form.update"
    if original is not None:
        action, changes = "claim_form.correct", {**changes, "attachments_carried_over": carried}
    record(session, actor=actor, at=now, action=action, entity_type="claim_form", entity_id=form.id,
           branch_id=form.branch_id, changes=plain({"version": form.version, **changes}))
    return form, Outcome.CREATED if existing is None else Outcome.UPDATED


def _refuse(error: Exception, current: ClaimForm) -> None:
    error.current = current
    raise error


def _own_dispatch(session: Session, actor: Actor, dispatch_id: int) -> Dispatch:
    dispatch = session.scalar(sa.select(Dispatch).where(Dispatch.id == dispatch_id, visible(actor, Dispatch)))
    if dispatch is None or dispatch.surveyor_id != actor.user_id:
        raise Invalid("Only the surveyor of the dispatch fills its claim form.", field="dispatch_id")
    return dispatch


def _corrected(session: Session, actor: Actor, original_id: uuid.UUID | None, dispatch: Dispatch,
               form_id: uuid.UUID) -> ClaimForm | None:
    if original_id is None:
        return None
    original = get_visible(session, actor, ClaimForm, original_id, for_update=True)
    if original.sealed_at is None:
        raise Conflict("Only a sealed form is corrected by a new one; change this one directly.",
                       errors={"corrects": ["Not sealed."]})
    if original.corrected_by_id not in (None, form_id):
        raise Conflict("That form was already corrected; correct the newest version.",
                       errors={"corrects": [f"Corrected by {original.corrected_by_id}."]})
    if original.dispatch_id != dispatch.id:
        raise Invalid("A correction belongs to the dispatch of the form it corrects.", field="corrects")
    return original


def _carry_over(session: Session, original: ClaimForm, form: ClaimForm) -> int:
    """A correction keeps the documents the sealed form already had (same files, same receipt times)."""
    present_hashes = {a.sha256 for a in attachments_of(session, form.id)}
    carried = [a for a in attachments_of(session, original.id) if a.sha256 not in present_hashes]
    skip = {"id", "form_id"}
    for attachment in carried:
        session.add(ClaimAttachment(form_id=form.id, **{c.key: getattr(attachment, c.key)
                                                        for c in ClaimAttachment.__table__.columns if c.key not in skip}))
    session.flush()
    return len(carried)


def _apply(form: ClaimForm, data: dict[str, Any], *, digest: str, now: datetime) -> None:
    party, insured = data["party"] or {}, data["insured"]
    form.account = data["account"]
    form.party_name, form.party_phone = party.get("name"), party.get("phone")
    form.party_id_number = party.get("id_number")
    form.insured_kind, form.insured_name = InsuredKind(insured["kind"]), insured.get("name")
    form.amount = data["amount"]
    form.payment_method = PaymentMethod(data["payment_method"])
    form.form_date = data["date"]
    form.notice_handed_at = data["notice_handed_at"]
    form.notes = data["notes"]
    form.manifest = [dict(entry) for entry in data["attachments"]]
    form.corrects_id = data["corrects"]
    form.input_digest = digest
    form.updated_at = now


def _state(form: ClaimForm) -> dict[str, Any]:
    return {name: getattr(form, name) for name in STATE_FIELDS}


def list_forms(*, actor: Actor, filters: dict[str, Any]) -> sa.Select:
    """The query of claim forms the actor may see, filtered, newest first."""
    query = sa.select(ClaimForm).where(visible(actor, ClaimForm)).order_by(ClaimForm.created_at.desc(),
                                                                           ClaimForm.id)
    if "dispatch_id" in filters:
        query = query.where(ClaimForm.dispatch_id == filters["dispatch_id"])
    if "case_id" in filters:
        query = query.where(ClaimForm.dispatch_id.in_(
            sa.select(Dispatch.id).where(Dispatch.case_id == filters["case_id"])))
    if "surveyor_id" in filters:
        query = query.where(ClaimForm.surveyor_id == filters["surveyor_id"])
    if "sealed" in filters:
        query = query.where(ClaimForm.sealed_at.is_not(None) if filters["sealed"] else ClaimForm.sealed_at.is_(None))
    if "complete" in filters:
        query = query.where(ClaimForm.documents_complete_at.is_not(None) if filters["complete"]
                            else ClaimForm.documents_complete_at.is_(None))
    if not filters.get("include_corrected"):
        query = query.where(ClaimForm.corrected_by_id.is_(None))
    return query


def get_form(session: Session, *, actor: Actor, form_id: uuid.UUID) -> ClaimForm:
    """A claim form the actor may see (the surveyor of its dispatch, desk roles of its branch)."""
    return present(session, get_visible(session, actor, ClaimForm, form_id))


def present(session: Session, form: ClaimForm) -> ClaimForm:
    """Attach what a reply shows beside the row: the received attachments and the missing list in both languages."""
    form.received = attachments_of(session, form.id)
    form.missing_items = completeness.describe(form.missing)
    return form


def receipt(session: Session, *, actor: Actor, now: datetime, rules: ClaimRules, form_id: uuid.UUID) -> dict[str, Any]:
    """The document receipt (资料接收回执): received, missing, who is responsible, and the expected payout date."""
    form = get_form(session, actor=actor, form_id=form_id)
    received = attachments_of(session, form.id)
    counts: dict[completeness.AttachmentKind, int] = {}
    for attachment in received:
        counts[attachment.kind] = counts.get(attachment.kind, 0) + 1
    case = form.dispatch.case
    body: dict[str, Any] = {
        "form_id": form.id, "report_number": case.report_number, "line": case.line.value,
        "customer_class": "vip" if case.is_vip else "ordinary", "insured_name": form.insured_name,
        "party_name": form.party_name, "issued_at": now,
        "received": [{"kind": kind.value, "zh": completeness.KIND_LABELS[kind][0],
                      "en": completeness.KIND_LABELS[kind][1], "count": count} for kind, count in counts.items()],
        "missing": completeness.describe(form.missing), "awaiting_uploads": form.awaiting,
        "amount": form.amount,
        "responsible_person": {"name": form.surveyor.display_name, "phone": form.surveyor.phone},
        "enquiry_phone": rules.enquiry_phone, "expected_payout": None,
    }
    if form.missing or form.awaiting:
        body["status"] = "incomplete"
        body["message_zh"] = "资料不全:请补齐下列资料,资料齐全之日起计算理赔时效,届时告知预计领取赔款时间。"
        body["message_en"] = ("Documents incomplete: the claim clock starts when the items listed are complete; "
                              "the expected payout date is given then.")
        return body
    body["status"] = "complete"
    if form.amount is None:
        body["message_zh"] = "资料齐全;索赔金额未填写,无法估计领取赔款时间。"
        body["message_en"] = "Documents complete; no claim amount was stated, so no payout date can be estimated."
        return body
    rule = payout.commitment(line=case.line, vip=case.is_vip, amount=Decimal(form.amount),
                             centre_authority=rules.centre_authority)
    start = form.documents_complete_at.astimezone(ZoneInfo(form.branch.timezone)).date()
    day, calendar = payout.add_working_days(start, rule.working_days)
    body["expected_payout"] = {"date": day.isoformat(), "working_days": rule.working_days,
                               "counted_from": start.isoformat(),
                               "rule_zh": rule.rule_zh, "rule_en": rule.rule_en, "calendar": calendar}
    body["message_zh"] = f"资料齐全,预计领取赔款时间:{day.isoformat()}。"
    body["message_en"] = f"Documents complete; expected payout date: {day.isoformat()}."
    return body
