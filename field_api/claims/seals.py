"""Sealing a signed form into the branch's chain, and verifying a form and the chain from what is stored."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from field_api.access import Actor, get_visible
from field_api.accounts.models import Branch
from field_api.audit.service import record
from field_api.claims import sealing
from field_api.claims.models import AttachmentKind, ClaimAttachment, ClaimForm, ClaimSeal
from field_api.claims.rules import ClaimRules
from field_api.claims.status import attachments_of
from field_api.errors import Conflict, NotFound
from field_api.media.storage import MediaStore
from field_api.revisions import Outcome


def _file_hashes(store: MediaStore, attachments: list[ClaimAttachment]) -> dict[str, str | None]:
    names = {a.sha256 for a in attachments} | {a.strokes_sha256 for a in attachments if a.strokes_sha256}
    return {name: sealing.file_sha256(lambda name=name: store.open(name)) for name in names}


def seal_form(session: Session, *, actor: Actor, now: datetime, rules: ClaimRules,
              form_id: uuid.UUID) -> tuple[ClaimSeal, Outcome]:
    """Freeze a form the party has signed: an HMAC over its content and files, chained to the branch's last seal."""
    form = get_visible(session, actor, ClaimForm, form_id, for_update=True)
    if form.surveyor_id != actor.user_id:
        raise NotFound(f"No claim form {form_id}.")
    existing = session.scalar(sa.select(ClaimSeal).where(ClaimSeal.form_id == form.id))
    if existing is not None:
        return existing, Outcome.UNCHANGED
    attachments = attachments_of(session, form.id)
    if form.awaiting:
        raise Conflict("Uploads listed in the form's manifest have not arrived; send them, then seal again.",
                       errors={"awaiting_uploads": form.awaiting})
    if not any(a.kind is AttachmentKind.PARTY_SIGNATURE for a in attachments):
        raise Conflict("The party has not signed: upload the party's signature before sealing.",
                       errors={"party_signature": ["Missing."]})
    store = MediaStore(rules.media_root)
    hashes = _file_hashes(store, attachments)
    damaged = sorted(name for name, actual in hashes.items() if actual != name)
    if damaged:
        raise Conflict("Stored files do not match their hashes; upload them again.", errors={"attachments": damaged})
    # One sealer per branch at a time, so the chain never forks.
    session.scalar(sa.select(Branch.id).where(Branch.id == form.branch_id).with_for_update())
    previous = session.scalar(sa.select(ClaimSeal).where(ClaimSeal.branch_id == form.branch_id)
                              .order_by(ClaimSeal.sequence.desc()).limit(1))
    sequence = 1 if previous is None else previous.sequence + 1
    previous_digest = None if previous is None else previous.digest
    content = sealing.canonical(form, attachments, file_hashes=hashes, sequence=sequence,
                                previous_digest=previous_digest, sealed_at=now)
    seal = ClaimSeal(branch_id=form.branch_id, sequence=sequence, form_id=form.id, previous_digest=previous_digest,
                     digest=sealing.digest(rules.seal_key, content), sealed_at=now, sealed_by_id=actor.user_id)
    session.add(seal)
    form.sealed_at = now
    record(session, actor=actor, at=now, action="claim_form.seal", entity_type="claim_form", entity_id=form.id,
           branch_id=form.branch_id, changes={"sequence": sequence, "digest": seal.digest,
                                              "attachments": sorted(a.sha256 for a in attachments)})
    session.commit()
    return seal, Outcome.CREATED


def verify_form(session: Session, *, actor: Actor, rules: ClaimRules, form_id: uuid.UUID) -> sealing.Verdict:
    """Recompute a sealed form's digest from its row and files, and check every seal of its branch's chain."""
    form = get_visible(session, actor, ClaimForm, form_id)
    seal = session.scalar(sa.select(ClaimSeal).where(ClaimSeal.form_id == form.id))
    verdict = sealing.Verdict(form_id=str(form.id), sealed=seal is not None, seal=seal)
    if seal is None:
        verdict.problem("not_sealed", "The form is not sealed.")
        return verdict
    if form.sealed_at != seal.sealed_at:
        verdict.problem("row_altered", "The form's seal time differs from its seal's.")
    store = MediaStore(rules.media_root)
    seals = list(session.scalars(sa.select(ClaimSeal).where(ClaimSeal.branch_id == seal.branch_id)
                                 .order_by(ClaimSeal.sequence)))
    sealing.check_chain(seals, verdict)
    for each in seals:
        _recompute(session, store, rules, each, verdict, this=each.id == seal.id)
    return verdict


def _recompute(session: Session, store: MediaStore, rules: ClaimRules, seal: ClaimSeal, verdict: sealing.Verdict,
               *, this: bool) -> None:
    form = session.get(ClaimForm, seal.form_id)
    attachments = attachments_of(session, seal.form_id)
    hashes = _file_hashes(store, attachments)
    where = "" if this else f" (seal {seal.sequence} of the chain, form {seal.form_id})"
    for name, actual in sorted(hashes.items()):
        if actual is None:
            verdict.problem("file_missing", f"A sealed file is gone from the store{where}.", sha256=name)
        elif actual != name:
            verdict.problem("file_altered", f"A sealed file was changed on disk{where}.", sha256=name)
    content = sealing.canonical(form, attachments, file_hashes=hashes, sequence=seal.sequence,
                                previous_digest=seal.previous_digest, sealed_at=seal.sealed_at)
    if sealing.digest(rules.seal_key, content) != seal.digest:
        verdict.problem("digest_mismatch", f"The stored content does not match its seal{where}.",
                        sequence=seal.sequence)
