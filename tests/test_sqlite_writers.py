"""SQLite takes one writer at a time: a process's threads queue for it in order and always let the next in."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

from field_api import db as field_db
from field_api.db import configure_engine


@pytest.fixture
def engine(tmp_path, monkeypatch):
    monkeypatch.setattr(field_db, "BUSY_TIMEOUT_S", 2.0)  # a writer left holding the lock fails these tests fast
    writing = threading.local()
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'writers.sqlite3'}")
    configure_engine(engine, write_intent=lambda: getattr(writing, "on", True))
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE note (id INTEGER PRIMARY KEY, body TEXT)")
    engine.writing = writing
    yield engine
    engine.dispose()


def write(engine, body: str) -> None:
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO note (body) VALUES (:body)"), {"body": body})


def test_the_next_writer_gets_in_after_a_commit_a_rollback_or_a_connection_given_back_unfinished(engine):
    write(engine, "committed")
    with pytest.raises(ZeroDivisionError):
        with engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO note (body) VALUES ('rolled back')"))
            1 / 0
    conn = engine.connect()
    conn.execute(sa.text("INSERT INTO note (body) VALUES ('never committed')"))
    conn.close()
    write(engine, "after")
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT body FROM note ORDER BY id")).scalars().all() == ["committed", "after"]


def test_writers_of_one_process_take_turns_and_readers_do_not_wait_for_them(engine):
    holding, release = threading.Event(), threading.Event()
    read: list[int] = []

    def long_writer():
        with engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO note (body) VALUES ('first')"))
            holding.set()
            release.wait(5)

    def reader():
        engine.writing.on = False
        with engine.connect() as conn:
            read.append(conn.execute(sa.text("SELECT count(*) FROM note")).scalar())

    first = threading.Thread(target=long_writer)
    first.start()
    assert holding.wait(5)
    others = [threading.Thread(target=write, args=(engine, f"w{n}")) for n in range(4)]
    for thread in others:
        thread.start()
    reading = threading.Thread(target=reader)
    reading.start()
    reading.join(5)
    assert read == [0]  # read while the writer held the lock, from the snapshot before it
    release.set()
    for thread in [first, *others]:
        thread.join(10)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM note")).scalar() == 5
