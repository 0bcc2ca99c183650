"""Reading the outbox in id order without passing over a row that is still being committed.

On PostgreSQL ids come from a sequence: a transaction may take id 10, another id 11 and commit first.
A reader that saw 11 and moved on would never see 10. So a missing id holds the reader back until
it appears, or until it has been missing for `hole_grace_s` (the transaction rolled back and its id
is gone for good).
"""

from __future__ import annotations

import time
from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.orm import Session

from field_api.outbox.models import OutboxMessage

OUTBOX = OutboxMessage.__table__
COLUMNS = (OUTBOX.c.id, OUTBOX.c.created_at, OUTBOX.c.topic, OUTBOX.c.branch_id, OUTBOX.c.payload)


def latest_outbox_id(session: Session) -> int:
    """The highest outbox id written so far (0 for an empty outbox)."""
    return session.scalar(sa.select(sa.func.max(OUTBOX.c.id))) or 0


class OutboxReader:
    """Reads the outbox after a position, in id order, waiting briefly at holes."""

    def __init__(self, after: int, *, hole_grace_s: float = 2.0,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.after = after
        self.hole_grace_s = hole_grace_s
        self._monotonic = monotonic
        self._hole_seen: dict[int, float] = {}

    def read(self, session: Session, limit: int = 500) -> list[sa.Row]:
        """The next messages in id order, stopping at a hole younger than the grace period."""
        rows = session.execute(sa.select(*COLUMNS).where(OUTBOX.c.id > self.after)
                               .order_by(OUTBOX.c.id).limit(limit)).all()
        taken = []
        for row in rows:
            expected = self.after + 1
            if row.id != expected:
                first_seen = self._hole_seen.setdefault(expected, self._monotonic())
                if self._monotonic() - first_seen < self.hole_grace_s:
                    break
            taken.append(row)
            self.after = row.id
        self._hole_seen = {k: v for k, v in self._hole_seen.items() if k > self.after}
        return taken
