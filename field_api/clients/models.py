"""A client (客户): an enterprise, institution or other customer that salespeople visit."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from field_api.accounts.models import Branch
from field_api.db import Base


class ClientKind(str, enum.Enum):
    """The standard's customer segments (企业 / 事业 / 其它)."""

    ENTERPRISE = "enterprise"
    INSTITUTION = "institution"
    OTHER = "other"


class Client(Base):
    """A client, with its own UUID made on the phone; a merged duplicate points at its survivor."""

    __tablename__ = "client"
    __branch_column__ = "branch_id"
    __owner_column__ = "owner_id"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    branch_id: Mapped[int] = mapped_column(sa.ForeignKey("branch.id"), index=True)
    owner_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    kind: Mapped[ClientKind] = mapped_column(sa.Enum(ClientKind, native_enum=False, length=16,
                                                     values_callable=lambda e: [m.value for m in e]))
    contact_person: Mapped[str | None] = mapped_column(sa.String(120))
    contact_phone: Mapped[str | None] = mapped_column(sa.String(32))
    address: Mapped[str | None] = mapped_column(sa.String(400))
    lat: Mapped[float | None]
    lon: Mapped[float | None]
    merged_into_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("client.id"), index=True)
    merged_at: Mapped[datetime | None]
    input_digest: Mapped[str] = mapped_column(sa.String(64))
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    branch: Mapped[Branch] = relationship(lazy="joined")

    @property
    def root_id(self) -> uuid.UUID:
        """The id of the client this one is (itself, or the survivor it was merged into)."""
        return self.merged_into_id or self.id

    @property
    def has_location(self) -> bool:
        """Whether the client's position is known."""
        return self.lat is not None and self.lon is not None
