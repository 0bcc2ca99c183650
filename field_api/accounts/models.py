"""Branches (机构), users and their access tokens."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from field_api.db import Base


class Role(str, enum.Enum):
    """What a user does; later features add duties to these roles rather than new roles."""

    SALESPERSON = "salesperson"
    SURVEYOR = "surveyor"
    COORDINATOR = "coordinator"
    MANAGER = "manager"
    ADMIN = "admin"

    @property
    def is_field_staff(self) -> bool:
        """Field staff see only their own records."""
        return self in (Role.SALESPERSON, Role.SURVEYOR)


class Branch(Base):
    """A node of the branch tree: head office, branches, sub-branches."""

    __tablename__ = "branch"
    __branch_column__ = "id"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("branch.id"), index=True)
    timezone: Mapped[str] = mapped_column(sa.String(64))
    arrival_radius_m: Mapped[float | None]
    created_at: Mapped[datetime]

    parent: Mapped[Branch | None] = relationship(remote_side=[id], lazy="joined", innerjoin=False)


class User(Base):
    """A person who signs in: field staff, coordinators, managers and admins."""

    __tablename__ = "user_account"
    __branch_column__ = "branch_id"
    __owner_column__ = "id"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(64), unique=True)
    display_name: Mapped[str] = mapped_column(sa.String(120))
    phone: Mapped[str | None] = mapped_column(sa.String(32))
    role: Mapped[Role] = mapped_column(sa.Enum(Role, native_enum=False, length=16,
                                                values_callable=lambda e: [m.value for m in e]))
    branch_id: Mapped[int] = mapped_column(sa.ForeignKey("branch.id"), index=True)
    is_chief_coordinator: Mapped[bool] = mapped_column(default=False)
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]
    deactivated_at: Mapped[datetime | None]

    branch: Mapped[Branch] = relationship(lazy="joined")


class AccessToken(Base):
    """A bearer token, kept only as its SHA-256 so a database reader cannot use it."""

    __tablename__ = "access_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"), index=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    client_address: Mapped[str | None] = mapped_column(sa.String(64))

    user: Mapped[User] = relationship(lazy="joined")
