"""Tamper-evident seals: an HMAC-SHA-256 over a form's canonical content and its files, chained per branch.

The key (FIELD_API_SEAL_KEY) is never in the database, so whoever can edit rows can neither rewrite a
form together with its digest nor forge a seal; each seal carries the digest of the branch's previous
one and a gap-free sequence number, so removing a sealed form breaks the chain after it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

from field_api.claims.models import ClaimAttachment, ClaimForm, ClaimSeal

CHUNK = 1024 * 1024
FORM_FIELDS = ("account", "party_name", "party_phone", "party_id_number", "insured_kind", "insured_name", "amount",
               "payment_method", "form_date", "notice_handed_at", "notes", "manifest", "corrects_id")


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).isoformat()
    if hasattr(value, "value"):
        return value.value
    return str(value)


def file_sha256(open_file: Callable[[], Any]) -> str | None:
    """The SHA-256 of a stored file as it is on disk now (None when it is gone)."""
    digest = hashlib.sha256()
    try:
        with open_file() as stream:
            while chunk := stream.read(CHUNK):
                digest.update(chunk)
    except (FileNotFoundError, ValueError):  # ValueError: a row's hash was edited into something that names no file
        return None
    return digest.hexdigest()


def canonical(form: ClaimForm, attachments: list[ClaimAttachment], *, file_hashes: dict[str, str | None],
              sequence: int, previous_digest: str | None, sealed_at: datetime) -> bytes:
    """The bytes a seal signs: the form's fields, each attachment as stored and each file's hash as read."""
    content = {
        "form": {"id": str(form.id), "branch_id": form.branch_id, "dispatch_id": form.dispatch_id,
                 "surveyor_id": form.surveyor_id, **{name: getattr(form, name) for name in FORM_FIELDS},
                 "amount": None if form.amount is None else f"{Decimal(form.amount):.2f}"},
        "attachments": sorted(({
            "kind": a.kind, "sha256": a.sha256, "file_sha256": file_hashes.get(a.sha256),
            "strokes_sha256": a.strokes_sha256,
            "strokes_file_sha256": file_hashes.get(a.strokes_sha256) if a.strokes_sha256 else None,
            "signer_name": a.signer_name, "signer_role": a.signer_role, "device_time": a.device_time,
            "fix": [a.fix_lat, a.fix_lon, a.fix_accuracy_m], "received_at": a.received_at,
        } for a in attachments), key=lambda a: (a["sha256"], a["kind"].value)),
        "seal": {"sequence": sequence, "previous_digest": previous_digest, "sealed_at": sealed_at},
    }
    return json.dumps(content, default=_plain, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def digest(key: str, content: bytes) -> str:
    """HMAC-SHA-256 of the canonical content under the seal key."""
    return hmac.new(key.encode(), content, hashlib.sha256).hexdigest()


@dataclass
class Verdict:
    """What verification found: whether the form and the branch's chain are intact, and every problem."""

    form_id: str
    sealed: bool
    valid: bool = True
    problems: list[dict[str, Any]] = field(default_factory=list)
    seal: ClaimSeal | None = None

    def problem(self, code: str, message: str, **details: Any) -> None:
        """Record a finding that makes the verdict fail."""
        self.valid = False
        self.problems.append({"code": code, "message": message, **details})


def check_chain(seals: list[ClaimSeal], verdict: Verdict) -> None:
    """Check that the branch's seals run 1, 2, 3 ... each naming the digest of the one before."""
    previous: ClaimSeal | None = None
    for seal in seals:
        expected = 1 if previous is None else previous.sequence + 1
        if seal.sequence != expected:
            verdict.problem("chain_gap", f"Seal {expected} of the branch is missing: a sealed form was removed.",
                            sequence=expected)
        elif previous is not None and seal.previous_digest != previous.digest:
            verdict.problem("chain_broken", f"Seal {seal.sequence} does not follow seal {previous.sequence}.",
                            sequence=seal.sequence)
        elif previous is None and seal.previous_digest is not None:
            verdict.problem("chain_broken", "The branch's first seal names a predecessor.", sequence=seal.sequence)
        previous = seal
