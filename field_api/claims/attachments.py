"""Claim-form attachments: real images only, stored once by content hash, checked for where and when they were taken.

An attachment may arrive before its form: it is stored under the form's UUID with its uploader, and
is adopted by the form when the same surveyor sends it (another user's form id answers 409). Until
then only the uploader can see it.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from field_api.access import Actor, get_visible
from field_api.accounts.models import Branch, Role
from field_api.audit.service import record
from field_api.claims.models import AttachmentKind, ClaimAttachment, ClaimForm
from field_api.claims.rules import ClaimRules
from field_api.claims.status import refresh
from field_api.dispatch.models import Dispatch
from field_api.errors import Conflict, Forbidden, Invalid, NotFound, UnsupportedMediaType
from field_api.media.images import ExifFacts, inspect_image, inspect_photo, read_exif, without_metadata
from field_api.media.names import check_file_name
from field_api.media.storage import MediaStore
from field_api.revisions import Outcome
from geo.datum import Datum, convert
from geo.distance import geodesic_m

FAR_FROM_SITE = "far_from_site"
TAKEN_BEFORE_DISPATCH = "taken_before_dispatch"
NO_EXIF = ExifFacts(None, False, None, None, present=False)


@dataclass(frozen=True)
class Upload:
    """An uploaded file and what the phone said about it."""

    stream: BinaryIO
    filename: str | None
    kind: AttachmentKind
    device_time: datetime | None = None
    fix: dict[str, Any] | None = None
    signer: dict[str, Any] | None = None
    strokes: Any = None


def _form_for_upload(session: Session, actor: Actor, form_id: uuid.UUID) -> ClaimForm | None:
    if session.scalar(sa.select(ClaimForm.id).where(ClaimForm.id == form_id)) is None:
        return None
    form = get_visible(session, actor, ClaimForm, form_id, for_update=True)
    if form.surveyor_id != actor.user_id:
        raise NotFound(f"No claim form {form_id}.")
    return form


def add_attachment(session: Session, *, actor: Actor, now: datetime, rules: ClaimRules, canonical: Datum,
                   form_id: uuid.UUID, upload: Upload) -> tuple[ClaimAttachment, Outcome]:
    """Store an attachment of a form (which may not exist yet); the same bytes again store nothing."""
    check_file_name(upload.filename, field="file")
    # Receiving (hash, fsync), decoding and re-encoding a 12-megapixel photo take a good part of a second:
    # hold no transaction meanwhile (on SQLite it holds the database's one write lock, so uploads would
    # queue behind each other); the checks run before the work and again once it is done.
    session.commit()
    store = MediaStore(rules.media_root)
    with store.receive(upload.stream, max_bytes=rules.max_bytes, field="file") as incoming:
        form = _form_for_upload(session, actor, form_id)
        existing = _stored_before(session, actor, form_id, form, incoming.sha256)
        if existing is not None:
            return existing, Outcome.UNCHANGED
        session.commit()
        if upload.kind.is_sensitive:  # ID and bankbook copies get no thumbnail
            facts, thumb_data = inspect_image(incoming.path, max_pixels=rules.max_pixels, field="file"), None
        else:
            facts, thumb_data = inspect_photo(incoming.path, max_pixels=rules.max_pixels, field="file")
        if upload.kind is AttachmentKind.PARTY_SIGNATURE and facts.format != "PNG":
            raise UnsupportedMediaType("A signature is a PNG image, as a signature pad makes it.",
                                       errors={"file": ["Not a PNG."]})
        exif = _exif(incoming.path)
        stripped_data, stripped_type = _without_exif(incoming.path, exif)
        # Derived files are named by their content, so writing them before the checks harms nothing.
        thumb = store.keep_bytes(thumb_data) if thumb_data is not None else None
        stripped = store.keep_bytes(stripped_data) if stripped_data is not None else None
        form = _form_for_upload(session, actor, form_id)
        existing = _stored_before(session, actor, form_id, form, incoming.sha256)
        if existing is not None:
            return existing, Outcome.UNCHANGED
        store.keep(incoming)
    strokes = None
    if upload.strokes is not None:
        strokes = store.keep_bytes(json.dumps(upload.strokes, sort_keys=True, separators=(",", ":")).encode())
    branch_id = form.branch_id if form is not None else actor.branch_id
    timezone = ZoneInfo(session.get(Branch, branch_id).timezone)
    taken_at = exif.taken_at.replace(tzinfo=timezone) if exif.local_time and exif.taken_at else exif.taken_at
    exif_lat, exif_lon = (None, None) if exif.lat is None else convert(exif.lat, exif.lon, Datum.WGS84, canonical)
    fix, signer = upload.fix or {}, upload.signer or {}
    attachment = ClaimAttachment(
        form_id=form_id, kind=upload.kind, sha256=incoming.sha256, content_type=facts.content_type,
        size=incoming.size, width=facts.width, height=facts.height,
        thumbnail_sha256=thumb.sha256 if thumb else None, stripped_sha256=stripped.sha256 if stripped else None,
        stripped_content_type=stripped_type, device_time=upload.device_time or signer.get("signed_at"),
        fix_lat=fix.get("lat"), fix_lon=fix.get("lon"), fix_accuracy_m=fix.get("accuracy_m"),
        exif_taken_at=taken_at, exif_lat=exif_lat, exif_lon=exif_lon, flags=[],
        signer_name=signer.get("name"), signer_role=signer.get("role"),
        strokes_sha256=strokes.sha256 if strokes else None,
        uploaded_by_id=actor.user_id, branch_id=branch_id, received_at=now)
    try:
        with session.begin_nested():
            session.add(attachment)
    except IntegrityError:
        # The same bytes arrived twice at once (PostgreSQL lets both reach the insert): the first one stands.
        existing = session.scalar(sa.select(ClaimAttachment).where(ClaimAttachment.form_id == form_id,
                                                                   ClaimAttachment.sha256 == incoming.sha256))
        if existing is None or existing.uploaded_by_id != actor.user_id:
            raise
        session.commit()
        return existing, Outcome.UNCHANGED
    if form is not None:
        assess(attachment, form.dispatch, rules)
        refresh(session, form, now=now)
    record(session, actor=actor, at=now, action="claim_form.attachment", entity_type="claim_form",
           entity_id=form_id, branch_id=branch_id,
           changes={"kind": upload.kind.value, "sha256": attachment.sha256, "size": attachment.size,
                    "content_type": attachment.content_type, "flags": attachment.flags,
                    "before_form": form is None})
    session.commit()
    return attachment, Outcome.CREATED


def _exif(path: Path) -> ExifFacts:
    try:
        return read_exif(path)
    except Exception:  # noqa: BLE001 - the image decoded; a broken EXIF block only means no capture facts
        return NO_EXIF


def _stored_before(session: Session, actor: Actor, form_id: uuid.UUID, form: ClaimForm | None,
                   sha256: str) -> ClaimAttachment | None:
    """The attachment already stored with these bytes (a retry), or None when they may be stored; else refuse."""
    existing = session.scalar(sa.select(ClaimAttachment).where(ClaimAttachment.form_id == form_id,
                                                               ClaimAttachment.sha256 == sha256))
    if existing is not None:
        if existing.uploaded_by_id != actor.user_id:
            raise NotFound(f"No claim form {form_id}.")
        return existing
    if form is None and session.scalar(sa.select(ClaimAttachment.id).where(
            ClaimAttachment.form_id == form_id, ClaimAttachment.uploaded_by_id != actor.user_id).limit(1)):
        raise NotFound(f"No claim form {form_id}.")
    if form is not None and form.sealed_at is not None:
        raise Conflict("The form is sealed; attach to a correction of it instead.")
    return None


def _without_exif(path: Path, exif: ExifFacts) -> tuple[bytes | None, str | None]:
    """When the original has EXIF, a copy without it, and its content type."""
    if not exif.present:
        return None, None
    try:
        return without_metadata(path)
    except (OSError, ValueError) as error:
        raise Invalid(f"The image decoded but could not be re-encoded ({error}).", field="file") from None


def assess(attachment: ClaimAttachment, dispatch: Dispatch, rules: ClaimRules) -> None:
    """Measure a photo's distance from the site and flag it if far away or taken long before the dispatch."""
    lat, lon = ((attachment.exif_lat, attachment.exif_lon) if attachment.exif_lat is not None
                else (attachment.fix_lat, attachment.fix_lon))
    attachment.site_distance_m = None if lat is None else round(geodesic_m(dispatch.case.lat, dispatch.case.lon,
                                                                           lat, lon), 1)
    flags = []
    if attachment.kind.is_photo:
        if attachment.site_distance_m is not None and attachment.site_distance_m > rules.site_radius_m:
            flags.append(FAR_FROM_SITE)
        taken = attachment.exif_taken_at or attachment.device_time
        if taken is not None and taken < dispatch.dispatched_at - timedelta(hours=rules.before_dispatch_h):
            flags.append(TAKEN_BEFORE_DISPATCH)
    attachment.flags = flags


VARIANTS = ("original", "thumbnail", "strokes")


def attachment_file(session: Session, *, actor: Actor, now: datetime, rules: ClaimRules, form_id: uuid.UUID,
                    sha256: str, variant: str) -> tuple[Path, str, str]:
    """The file to serve for an attachment: path, content type and ETag; EXIF only for the one who took it."""
    form = None
    if session.scalar(sa.select(ClaimForm.id).where(ClaimForm.id == form_id)) is not None:
        form = get_visible(session, actor, ClaimForm, form_id)
    attachment = session.scalar(sa.select(ClaimAttachment).where(ClaimAttachment.form_id == form_id,
                                                                 ClaimAttachment.sha256 == sha256))
    own = attachment is not None and attachment.uploaded_by_id == actor.user_id
    if attachment is None or (form is None and not own):
        raise NotFound(f"No attachment {sha256} of claim form {form_id}.")
    if attachment.kind.is_sensitive:
        if not (own or actor.role in (Role.COORDINATOR, Role.MANAGER)):
            raise Forbidden("ID and bankbook copies open only to the capturing surveyor and the branch's "
                            "coordinators and managers.")
        record(session, actor=actor, at=now, action="claim_form.sensitive_read", entity_type="claim_form",
               entity_id=form_id, branch_id=attachment.branch_id,
               changes={"kind": attachment.kind.value, "sha256": sha256, "variant": variant})
        session.commit()
    store = MediaStore(rules.media_root)
    if variant == "thumbnail":
        if attachment.thumbnail_sha256 is None:
            raise NotFound("This attachment has no thumbnail.")
        return store.path_of(attachment.thumbnail_sha256), "image/jpeg", attachment.thumbnail_sha256
    if variant == "strokes":
        if attachment.strokes_sha256 is None:
            raise NotFound("This attachment has no stroke data.")
        return store.path_of(attachment.strokes_sha256), "application/json", attachment.strokes_sha256
    if not own and attachment.stripped_sha256 is not None:
        return store.path_of(attachment.stripped_sha256), attachment.stripped_content_type, attachment.stripped_sha256
    return store.path_of(attachment.sha256), attachment.content_type, attachment.sha256
