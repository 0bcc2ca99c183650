"""Branches, users and signed-in clients."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from field_api.access import Actor
from field_api.accounts import service
from field_api.accounts.models import Branch, Role, User
from field_api.extensions import db

_seq = itertools.count(1)


@dataclass
class SignedIn:
    """A user and the headers that carry their token."""

    user: User
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


class AccountFactory:
    """Creates the branch tree HQ → SZ → (SZ-FT, SZ-BA) and GZ on demand, and users in it."""

    def __init__(self, app, client) -> None:
        self.app = app
        self.client = client

    @property
    def now(self):
        return self.app.extensions["clock"].now()

    def branch(self, code: str, parent: str | None = None, name: str | None = None,
               timezone: str | None = None) -> Branch:
        existing = db.session.query(Branch).filter_by(code=code).one_or_none()
        if existing is not None:
            return existing
        if parent is None and code != "HQ":
            parent = {"SZ": "HQ", "GZ": "HQ", "SZ-FT": "SZ", "SZ-BA": "SZ"}.get(code, "HQ")
        if parent is not None:
            self.branch(parent)
        return service.create_branch(db.session, actor=Actor.system("test"), now=self.now, code=code,
                                     name=name or code, parent_code=parent, timezone=timezone)

    def user(self, role: Role | str = Role.SURVEYOR, branch: str = "SZ", username: str | None = None,
             password: str = "correct horse", **kwargs) -> User:
        role = Role(role)
        self.branch(branch)
        username = username or f"{role.value}{next(_seq)}"
        return service.create_user(db.session, actor=Actor.system("test"), now=self.now, username=username,
                                   password=password, role=role, branch_code=branch, cheap_hash=True, **kwargs)

    def sign_in(self, role: Role | str = Role.SURVEYOR, branch: str = "SZ", **kwargs) -> SignedIn:
        """Create a user and sign them in through the API."""
        password = kwargs.pop("password", "correct horse")
        user = self.user(role, branch, password=password, **kwargs)
        response = self.client.post("/api/v1/auth/token", json={"username": user.username, "password": password})
        assert response.status_code == 201, response.json
        return SignedIn(user=user, token=response.json["access_token"])
