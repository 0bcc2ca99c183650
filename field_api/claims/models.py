"""Claim forms as the surveyor's phone fills them, their attachments, and the branch's chain of seals."""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from field_api.accounts.models import Branch, User
from field_api.db import Base, value_enum
from field_api.dispatch.models import Dispatch


class InsuredKind(str, enum.Enum):
    """Whether the insured is a person or an organization (which needs a company seal)."""

    PERSON = "person"
    ORGANIZATION = "organization"


class PaymentMethod(str, enum.Enum):
    """How the claim is paid; a bank transfer needs ID and passbook copies and a signed receipt."""

    TRANSFER = "transfer"
    OTHER = "other"


class AttachmentKind(str, enum.Enum):
    """What an attached image shows."""

    SCENE = "scene"
    VEHICLE_DAMAGE = "vehicle_damage"
    INJURY = "injury"
    PARTY_SIGNATURE = "party_signature"
    COMPANY_SEAL = "company_seal"
    ID_COPY = "id_copy"
    PASSBOOK_COPY = "passbook_copy"
    PAYMENT_RECEIPT = "payment_receipt"
    OTHER = "other"

    @property
    def is_sensitive(self) -> bool:
        """ID-card and bankbook copies are sensitive personal information (PIPL): no thumbnails, audited reads."""
        return self in (AttachmentKind.ID_COPY, AttachmentKind.PASSBOOK_COPY)

    @property
    def is_photo(self) -> bool:
        """Photos of the site are checked for where and when they were taken."""
        return self in (AttachmentKind.SCENE, AttachmentKind.VEHICLE_DAMAGE, AttachmentKind.INJURY)


class ClaimForm(Base):
    """A claim application form (索赔申请书) filled on site, keyed by the phone's UUID."""

    __tablename__ = "claim_form"
    __branch_column__ = "branch_id"
    __owner_column__ = "surveyor_id"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    branch_id: Mapped[int] = mapped_column(sa.ForeignKey("branch.id"), index=True)
    dispatch_id: Mapped[int] = mapped_column(sa.ForeignKey("dispatch.id"), index=True)
    surveyor_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"), index=True)

    account: Mapped[str | None] = mapped_column(sa.Text)
    party_name: Mapped[str | None] = mapped_column(sa.String(120))
    party_phone: Mapped[str | None] = mapped_column(sa.String(32))
    party_id_number: Mapped[str | None] = mapped_column(sa.String(32))
    insured_kind: Mapped[InsuredKind] = mapped_column(value_enum(InsuredKind, 16))
    insured_name: Mapped[str | None] = mapped_column(sa.String(200))
    amount: Mapped[Decimal | None] = mapped_column(sa.Numeric(14, 2))
    payment_method: Mapped[PaymentMethod] = mapped_column(value_enum(PaymentMethod, 16))
    form_date: Mapped[date | None]
    notice_handed_at: Mapped[datetime | None]
    notes: Mapped[str | None] = mapped_column(sa.Text)
    manifest: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON)

    missing: Mapped[list[str]] = mapped_column(sa.JSON)
    awaiting: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON)
    documents_complete_at: Mapped[datetime | None]

    corrects_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("claim_form.id"), unique=True)
    corrected_by_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("claim_form.id"))
    sealed_at: Mapped[datetime | None]

    input_digest: Mapped[str] = mapped_column(sa.String(64))
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    branch: Mapped[Branch] = relationship(lazy="joined")
    dispatch: Mapped[Dispatch] = relationship(lazy="joined")
    surveyor: Mapped[User] = relationship(foreign_keys=[surveyor_id], lazy="joined")


class ClaimAttachment(Base):
    """An image of a claim form, stored by its SHA-256; it may arrive before the form it belongs to."""

    __tablename__ = "claim_attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Not a foreign key: the phone may upload before it sends the form (see README, "Claim forms").
    form_id: Mapped[uuid.UUID] = mapped_column(index=True)
    kind: Mapped[AttachmentKind] = mapped_column(value_enum(AttachmentKind, 24))
    sha256: Mapped[str] = mapped_column(sa.String(64))
    content_type: Mapped[str] = mapped_column(sa.String(32))
    size: Mapped[int]
    width: Mapped[int]
    height: Mapped[int]
    thumbnail_sha256: Mapped[str | None] = mapped_column(sa.String(64))
    stripped_sha256: Mapped[str | None] = mapped_column(sa.String(64))
    stripped_content_type: Mapped[str | None] = mapped_column(sa.String(32))

    device_time: Mapped[datetime | None]
    fix_lat: Mapped[float | None]
    fix_lon: Mapped[float | None]
    fix_accuracy_m: Mapped[float | None]
    exif_taken_at: Mapped[datetime | None]
    exif_lat: Mapped[float | None]
    exif_lon: Mapped[float | None]
    site_distance_m: Mapped[float | None]
    flags: Mapped[list[str]] = mapped_column(sa.JSON)

    signer_name: Mapped[str | None] = mapped_column(sa.String(120))
    signer_role: Mapped[str | None] = mapped_column(sa.String(32))
    strokes_sha256: Mapped[str | None] = mapped_column(sa.String(64))

    uploaded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"), index=True)
    branch_id: Mapped[int] = mapped_column(sa.ForeignKey("branch.id"), index=True)
    received_at: Mapped[datetime]

    __table_args__ = (sa.UniqueConstraint("form_id", "sha256"),)


class ClaimSeal(Base):
    """A sealed form's HMAC, chained to the branch's previous seal so a removed form breaks the chain."""

    __tablename__ = "claim_seal"
    __branch_column__ = "branch_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    branch_id: Mapped[int] = mapped_column(sa.ForeignKey("branch.id"), index=True)
    sequence: Mapped[int]
    form_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("claim_form.id"), unique=True)
    previous_digest: Mapped[str | None] = mapped_column(sa.String(64))
    digest: Mapped[str] = mapped_column(sa.String(64))
    sealed_at: Mapped[datetime]
    sealed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))

    __table_args__ = (sa.UniqueConstraint("branch_id", "sequence"),)
