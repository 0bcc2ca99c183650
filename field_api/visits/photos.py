"""Visit photos: only real images, stored once by content hash, so a retried upload stores nothing twice."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO

import sqlalchemy as sa
from sqlalchemy.orm import Session

from field_api.access import Actor, get_visible
from field_api.audit.service import record
from field_api.errors import Conflict, Invalid, NotFound
from field_api.media.images import inspect_image
from field_api.media.names import check_file_name
from field_api.media.storage import MediaStore
from field_api.revisions import Outcome
from field_api.visits import derivation
from field_api.visits.models import Visit, VisitPhoto, VisitStatus


@dataclass(frozen=True)
class PhotoLimits:
    """Where photos go and how big they may be."""

    media_root: str
    max_bytes: int
    max_pixels: int

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> PhotoLimits:
        """Read the limits from the app's configuration."""
        return cls(media_root=config["MEDIA_ROOT"], max_bytes=int(config["PHOTO_MAX_BYTES"]),
                   max_pixels=int(config["IMAGE_MAX_PIXELS"]))


def add_photo(session: Session, *, actor: Actor, now: datetime, limits: PhotoLimits, visit_id: uuid.UUID,
              stream: BinaryIO, item: str | None = None, taken_at: datetime | None = None,
              file_name: str | None = None) -> tuple[VisitPhoto, Outcome]:
    """Store a photo of a visit; the same bytes again are a no-op, and a submitted visit takes only listed photos."""
    check_file_name(file_name, field="file")
    visit = get_visible(session, actor, Visit, visit_id, for_update=True)
    if item is not None and item not in {i.code for i in visit.checklist.items}:
        raise Invalid(f"{item!r} is not an item of the visit's checklist.", field="item")
    store = MediaStore(limits.media_root)
    with store.receive(stream, max_bytes=limits.max_bytes, field="file") as incoming:
        existing = session.scalar(sa.select(VisitPhoto).where(VisitPhoto.visit_id == visit.id,
                                                              VisitPhoto.sha256 == incoming.sha256))
        if existing is not None:
            return existing, Outcome.UNCHANGED
        listed = {p["sha256"]: p for p in visit.photo_manifest}
        if visit.status is VisitStatus.SUBMITTED and incoming.sha256 not in listed:
            raise Conflict("The visit is submitted; only photos listed in its `photos` can still arrive.",
                           errors={"file": [f"{incoming.sha256} is not listed."]})
        facts = inspect_image(incoming.path, max_pixels=limits.max_pixels, field="file")
        store.keep(incoming)
    photo = VisitPhoto(sha256=incoming.sha256, item_code=item or listed.get(incoming.sha256, {}).get("item"),
                       content_type=facts.content_type, size=incoming.size, width=facts.width, height=facts.height,
                       taken_at=taken_at, received_at=now, uploaded_by_id=actor.user_id)
    visit.photos.append(photo)
    session.flush()
    derivation.rescore(visit)
    record(session, actor=actor, at=now, action="visit.photo", entity_type="visit", entity_id=visit.id,
           branch_id=visit.branch_id, changes={"sha256": photo.sha256, "item": photo.item_code,
                                               "content_type": photo.content_type, "size": photo.size})
    session.commit()
    return photo, Outcome.CREATED


def photo_file(session: Session, *, actor: Actor, media_root: str, visit_id: uuid.UUID,
               sha256: str) -> tuple[Path, str]:
    """The stored file and content type of a visit's photo."""
    visit = get_visible(session, actor, Visit, visit_id)
    photo = next((p for p in visit.photos if p.sha256 == sha256), None)
    if photo is None:
        raise NotFound(f"No photo {sha256} of visit {visit_id}.")
    return MediaStore(media_root).path_of(sha256), photo.content_type
