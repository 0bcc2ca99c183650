"""SQLite takes one writer at a time: a process's threads queue for it in order and always let the next in."""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa

from field_api import db as field_db
from field_api.db import configure_engine

ROOT = Path(__file__).resolve().parents[1]


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


# A writer in another process, driven line by line: "hold" writes and keeps the transaction open, "commit"
# ends it, "write" writes and commits at once; each answers "ok" or the error's name.
OTHER_PROCESS = """
import sys
import sqlalchemy as sa
from field_api import db as field_db
from field_api.db import configure_engine

field_db.BUSY_TIMEOUT_S = float(sys.argv[2])
engine = sa.create_engine("sqlite:///" + sys.argv[1])
configure_engine(engine, write_intent=lambda: True)
held = None
for line in sys.stdin:
    try:
        if line.strip() == "hold":
            held = engine.connect()
            held.execute(sa.text("INSERT INTO note (body) VALUES ('other, held')"))
        elif line.strip() == "commit":
            held.commit()
            held.close()
        else:
            with engine.begin() as conn:
                conn.execute(sa.text("INSERT INTO note (body) VALUES ('other')"))
        print("ok", flush=True)
    except sa.exc.OperationalError as error:
        print(type(error.orig).__name__, error.orig, flush=True)
"""


class OtherProcess:
    def __init__(self, path, timeout_s: float):
        self.process = subprocess.Popen([sys.executable, "-c", OTHER_PROCESS, str(path), str(timeout_s)],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT)

    def send(self, command: str) -> None:
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()

    def answer(self) -> str:
        return self.process.stdout.readline().strip()

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(10)


@pytest.fixture
def other_process(engine):
    others = []

    def start(timeout_s: float = 10.0) -> OtherProcess:
        others.append(OtherProcess(engine.url.database, timeout_s))
        return others[-1]

    yield start
    for other in others:
        other.close()


def turn_is_free(engine) -> bool:
    """Whether a writer of yet another process could take the turn now."""
    fd = os.open(f"{engine.url.database}-writer.lock", os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False
    finally:
        os.close(fd)


def notes(engine) -> list[str]:
    engine.writing.on = False
    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT body FROM note ORDER BY id")).scalars().all()


def test_processes_take_turns_on_a_file_lock_that_passes_to_the_waiting_one_when_let_go(engine, other_process):
    other = other_process()
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO note (body) VALUES ('this')"))
        assert not turn_is_free(engine)
        other.send("write")  # waits for this transaction
    assert other.answer() == "ok"
    assert turn_is_free(engine)
    assert notes(engine) == ["this", "other"]


def test_the_turn_passes_once_the_commit_has_ended_not_when_sqlalchemy_announces_it(engine):
    free_while_committing = []
    sa.event.listen(engine, "commit", lambda conn: free_while_committing.append(turn_is_free(engine)))
    write(engine, "committed")
    assert free_while_committing == [False]
    assert turn_is_free(engine)


def test_a_writer_that_waited_too_long_gives_up_and_the_turn_that_comes_later_is_let_go(engine, other_process):
    other = other_process()
    other.send("hold")
    assert other.answer() == "ok"
    with pytest.raises(sa.exc.OperationalError, match="database is locked"):
        write(engine, "too late")  # BUSY_TIMEOUT_S is 2 s here
    other.send("commit")
    assert other.answer() == "ok"
    # This process's helper got the file lock after its writer had given up, and let it go at once.
    third = other_process(timeout_s=5.0)
    third.send("write")
    assert third.answer() == "ok"
    write(engine, "after")
    assert notes(engine) == ["other, held", "other", "after"]


def test_an_in_memory_database_needs_no_file_lock():
    engine = sa.create_engine("sqlite://")
    configure_engine(engine, write_intent=lambda: True)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE note (id INTEGER PRIMARY KEY, body TEXT)")
        conn.execute(sa.text("INSERT INTO note (body) VALUES ('kept')"))
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT body FROM note")).scalars().all() == ["kept"]


def test_a_lock_file_that_cannot_be_opened_leaves_the_processes_to_sqlites_own_polling(tmp_path, caplog):
    (tmp_path / "blocked.sqlite3-writer.lock").mkdir()  # not a file this process can open
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'blocked.sqlite3'}")
    configure_engine(engine, write_intent=lambda: True)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE note (id INTEGER PRIMARY KEY, body TEXT)")
    write(engine, "still written")
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT body FROM note")).scalars().all() == ["still written"]
    assert "not queued" in caplog.text
    engine.dispose()
