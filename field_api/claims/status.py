"""What a claim form still lacks and what is still on its way, recomputed whenever the form or its files change."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from field_api.claims import completeness
from field_api.claims.models import AttachmentKind, ClaimAttachment, ClaimForm


def attachments_of(session: Session, form_id: uuid.UUID) -> list[ClaimAttachment]:
    """The attachments stored under a form id, in the order they arrived."""
    return list(session.scalars(sa.select(ClaimAttachment).where(ClaimAttachment.form_id == form_id)
                                .order_by(ClaimAttachment.id)))


def refresh(session: Session, form: ClaimForm, *, now: datetime) -> None:
    """Recompute what is still missing and what is still on its way; note when the documents became complete."""
    received = attachments_of(session, form.id)
    hashes = {a.sha256 for a in received}
    form.awaiting = [dict(m) for m in form.manifest if m["sha256"] not in hashes]
    supplied = {a.kind for a in received} | {AttachmentKind(m["kind"]) for m in form.manifest}
    form.missing = completeness.missing(line=form.dispatch.case.line, insured_kind=form.insured_kind,
                                        payment_method=form.payment_method, account=form.account,
                                        party_phone=form.party_phone, has_date=form.form_date is not None,
                                        supplied=supplied)
    if form.missing or form.awaiting:
        form.documents_complete_at = None
    elif form.documents_complete_at is None:
        form.documents_complete_at = now
