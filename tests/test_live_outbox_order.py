"""The live feed reads the outbox in id order and never passes over a row still being committed."""

from __future__ import annotations

from field_api.live.hub import POSITION, Hub, LiveEvent
from field_api.live.outbox_reader import OutboxReader
from field_api.outbox.models import OutboxMessage


class Stopwatch:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def write(session, *ids, now):
    for ident in ids:
        session.add(OutboxMessage(id=ident, created_at=now, topic="case.created", branch_id=None, payload={}))
    session.commit()


def test_a_missing_id_holds_the_reader_back_until_its_row_commits(session, clock):
    watch = Stopwatch()
    reader = OutboxReader(0, hole_grace_s=2.0, monotonic=watch)
    write(session, 1, 2, 4, now=clock.now())
    assert [r.id for r in reader.read(session)] == [1, 2]
    watch.now = 1.0
    assert reader.read(session) == []
    write(session, 3, now=clock.now())  # the slower transaction commits after all
    assert [r.id for r in reader.read(session)] == [3, 4]


def test_an_id_missing_longer_than_the_grace_period_is_given_up(session, clock):
    watch = Stopwatch()
    reader = OutboxReader(0, hole_grace_s=2.0, monotonic=watch)
    write(session, 1, 3, now=clock.now())
    assert [r.id for r in reader.read(session)] == [1]
    watch.now = 2.5  # the transaction that took id 2 rolled back
    assert [r.id for r in reader.read(session)] == [3]
    assert reader.after == 3


def test_a_full_queue_drops_only_that_stream_and_the_rest_still_get_events():
    hub = Hub(queue_size=1)
    slow, _ = hub.subscribe(None)
    fast, _ = hub.subscribe(None)
    first = LiveEvent(POSITION, 1, {"surveyor_id": 1})
    hub.deliver(first)
    assert fast.take(0) == [first]
    hub.deliver(LiveEvent(POSITION, 1, {"surveyor_id": 1}))
    assert slow.dropped == "the stream fell behind" and hub.listeners == 1
    assert len(fast.take(0)) == 1


def test_a_stream_gets_only_its_branches_and_learns_where_the_outbox_stood():
    hub = Hub(queue_size=10)
    hub.reset_to(7)
    mine, settled = hub.subscribe({1, 2})
    assert settled == 7
    hub.deliver(LiveEvent(POSITION, 3, {}))
    hub.deliver(LiveEvent("change", 2, {}, outbox_id=8))
    hub.deliver(LiveEvent("change", 2, {}, outbox_id=8))
    assert [e.outbox_id for e in mine.take(0)] == [8]
    assert hub.last_outbox_id == 8
