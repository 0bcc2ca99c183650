"""Fixtures: a fresh app and database per test, on SQLite or on PostgreSQL (FIELD_API_TEST_DATABASE_URL)."""

from __future__ import annotations

import functools
import os
import shutil
from datetime import datetime, timezone

import pytest
import sqlalchemy as sa

from field_api.app import create_app
from field_api.clock import SettableClock
from field_api.extensions import db
from tests.factories.accounts import AccountFactory
from tests.factories.dispatch import DispatchFactory
from tests.factories.live import LiveFactory
from tests.factories.tracking import TrackingFactory
from tests.tally import COUNTS

START = datetime(2026, 7, 1, 2, 0, tzinfo=timezone.utc)  # 10:00 in Shenzhen
POSTGRES_URL = os.environ.get("FIELD_API_TEST_DATABASE_URL")


def pytest_sessionfinish(session):
    """An xdist worker hands its counts to the controller."""
    if hasattr(session.config, "workeroutput"):
        session.config.workeroutput["tally"] = dict(COUNTS)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    """The controller adds up the counts of each worker that finished."""
    COUNTS.update(getattr(node, "workeroutput", {}).get("tally", {}))


def pytest_terminal_summary(terminalreporter):
    """Print the counts that show how much the hardening tests tried."""
    for what, n in sorted(COUNTS.items()):
        terminalreporter.write_line(f"{what}: {n:,}")


def _upgrade(url: str, instance: str) -> None:
    import flask_migrate

    app = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "t" * 40}, clock=SettableClock(START))
    app.instance_path = instance
    with app.app_context():
        flask_migrate.upgrade()
        db.engine.dispose()


def _worker_postgres_url(worker_id: str) -> str:
    """Each xdist worker gets its own database next to the given one."""
    url = sa.engine.make_url(POSTGRES_URL).set(drivername="postgresql+psycopg")
    if worker_id in ("master", ""):
        return url.render_as_string(hide_password=False)
    name = f"{url.database}_{worker_id}"
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    engine.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def database_template(tmp_path_factory, worker_id):
    """A database migrated to head once per session: a SQLite file to copy, or a PostgreSQL URL."""
    instance = str(tmp_path_factory.mktemp("instance"))
    if POSTGRES_URL:
        url = _worker_postgres_url(worker_id)
        engine = sa.create_engine(url)
        with engine.begin() as conn:
            conn.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
        engine.dispose()
        _upgrade(url, instance)
        return url
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    _upgrade(f"sqlite:///{path}", instance)
    return path


@pytest.fixture
def clock():
    """The test clock: set it or advance it; nothing waits."""
    return SettableClock(START)


@functools.cache
def _empty_postgres() -> str:
    """Every test table emptied and its ids restarted, in one round trip: DELETE with triggers off (keys, and
    the append-only audit's refusal) takes 10 ms where TRUNCATE of the 31 tables took 130 ms. The datum the
    migrations recorded is deployment state, not test data."""
    tables = [t.name for t in db.metadata.sorted_tables if t.name != "deployment_setting"]
    return "; ".join([
        "SET LOCAL session_replication_role = replica", *(f"DELETE FROM {name}" for name in tables),
        "SELECT count(setval(c.oid, 1, false)) FROM pg_class c "
        "WHERE c.relkind = 'S' AND c.relnamespace = 'public'::regnamespace"])


@pytest.fixture
def app(database_template, tmp_path, clock):
    """A fresh app on a fresh database."""
    if POSTGRES_URL:
        url = database_template
    else:
        path = tmp_path / "test.sqlite3"
        shutil.copyfile(database_template, path)
        url = f"sqlite:///{path}"
    app = create_app({
        "TESTING": True,
        "DATABASE_URL": url,
        "SECRET_KEY": "test-secret-" + "x" * 32,
        "SEAL_KEY": "test-seal-" + "x" * 32,
        "MEDIA_ROOT": str(tmp_path / "media"),
        "PASSWORD_HASH_CHEAP": True,
    }, clock=clock)
    app.instance_path = str(tmp_path / "instance")
    yield app
    with app.app_context():
        db.session.remove()
        if POSTGRES_URL:
            with db.engine.begin() as conn:
                conn.exec_driver_sql(_empty_postgres())
        db.engine.dispose()


@pytest.fixture
def client(app):
    """Flask's test client."""
    return app.test_client()


@pytest.fixture
def runner(app):
    """Flask's CLI runner."""
    return app.test_cli_runner()


@pytest.fixture
def accounts(app, client):
    """Makes branches, users and their tokens."""
    with app.app_context():
        yield AccountFactory(app, client)


@pytest.fixture
def dispatching(app, client, accounts):
    """Makes zones, cases and dispatches."""
    return DispatchFactory(app, client, accounts)


@pytest.fixture
def session(app):
    """The app's database session, for checking results in the real database."""
    with app.app_context():
        yield db.session


@pytest.fixture
def tracking(client, clock):
    """Posts fixes, duty changes and devices through the API."""
    return TrackingFactory(client, clock)


@pytest.fixture
def visits(app, client, clock):
    """Puts clients and visits through the API."""
    from field_api.visits.checklists import ensure_standard
    from tests.factories.visits import VisitFactory

    with app.app_context():
        ensure_standard(db.session, now=clock.now())
        yield VisitFactory(client, clock)


@pytest.fixture
def sales(accounts):
    """A salesperson of Futian, signed in."""
    return accounts.sign_in("salesperson", "SZ-FT")


@pytest.fixture
def office(visits, sales):
    """A client of that salesperson."""
    return visits.make_client(sales)


@pytest.fixture
def live(app, client):
    """Opens live streams (heartbeats every few milliseconds) and closes them, and the feed's threads, after."""
    app.config.update(LIVE_HEARTBEAT_S=0.01, LIVE_POLL_S=0.01)
    factory = LiveFactory(app, client)
    yield factory
    factory.close()


@pytest.fixture
def rosters(client):
    """Publishes duty rosters through the API."""
    from tests.factories.board import BoardFactory

    return BoardFactory(client)


@pytest.fixture
def claims(app, client, accounts, dispatching):
    """A surveyor of SZ-FT and a coordinator of SZ with Shenzhen's zones; puts claim forms through the API."""
    from tests.factories.claims import ClaimFactory

    dispatching.shenzhen_zones()
    surveyor = accounts.sign_in("surveyor", "SZ-FT", display_name="Li Wei 李伟", phone="13900000001")
    return ClaimFactory(client, dispatching, accounts, surveyor, accounts.sign_in("coordinator", "SZ"))
