"""Password hashing with Argon2id."""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_PRODUCTION = PasswordHasher()
# Only the test configuration uses this: the suite hashes hundreds of passwords.
_CHEAP = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


@cache
def _dummy_hash(cheap: bool) -> str:
    # Verifying against this keeps an unknown username as slow as a wrong password.
    return hasher(cheap).hash("no user has this password")


def hasher(cheap: bool) -> PasswordHasher:
    """Return the Argon2id hasher for the configuration."""
    return _CHEAP if cheap else _PRODUCTION


def hash_password(password: str, *, cheap: bool = False) -> str:
    """Hash a password for storage."""
    return hasher(cheap).hash(password)


def verify_password(stored_hash: str | None, password: str, *, cheap: bool = False) -> bool:
    """Check a password; an absent hash costs the same time as a wrong password."""
    try:
        return hasher(cheap).verify(stored_hash or _dummy_hash(cheap), password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False
