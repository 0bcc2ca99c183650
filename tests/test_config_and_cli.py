"""Configuration from FIELD_API_* variables, and the command line."""

from __future__ import annotations

import pytest

from field_api.app import create_app
from field_api.config import ConfigError
from field_api.extensions import db
from tests.conftest import POSTGRES_URL


def test_configuration_comes_from_prefixed_environment_variables(monkeypatch, tmp_path):
    monkeypatch.setenv("FIELD_API_DATABASE_URL", f"sqlite:///{tmp_path}/x.sqlite3")
    monkeypatch.setenv("FIELD_API_TIMEZONE", "Asia/Urumqi")
    monkeypatch.setenv("FIELD_API_MEDIA_ROOT", str(tmp_path / "m"))
    monkeypatch.setenv("FIELD_API_SECRET_KEY", "k" * 40)
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("x.sqlite3")
    assert app.config["TIMEZONE"] == "Asia/Urumqi"
    assert app.config["MEDIA_ROOT"] == str(tmp_path / "m")


def test_plain_postgresql_urls_use_psycopg_3(monkeypatch):
    monkeypatch.setenv("FIELD_API_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
    monkeypatch.setenv("FIELD_API_SECRET_KEY", "k" * 40)
    assert create_app().config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql+psycopg://")


@pytest.mark.skipif(not POSTGRES_URL, reason="PostgreSQL's session settings")
def test_postgresql_sessions_run_in_utc_without_jit(app):
    with app.app_context():
        with db.engine.connect() as conn:
            assert conn.exec_driver_sql("SHOW TimeZone").scalar() == "UTC"
            assert conn.exec_driver_sql("SHOW jit").scalar() == "off"


def test_an_unknown_time_zone_is_refused_at_start(monkeypatch):
    monkeypatch.setenv("FIELD_API_TIMEZONE", "Nowhere/City")
    with pytest.raises(ConfigError):
        create_app({"SECRET_KEY": "k" * 40})


def test_development_generates_a_secret_once_and_keeps_it(tmp_path):
    app = create_app({"DATABASE_URL": "sqlite://"})
    key = app.config["SECRET_KEY"]
    assert len(key) >= 32
    assert create_app({"DATABASE_URL": "sqlite://"}).config["SECRET_KEY"] == key


def test_production_requires_a_real_secret_and_refuses_the_development_one():
    with pytest.raises(ConfigError):
        create_app({"ENV": "production", "DATABASE_URL": "sqlite://"})
    with pytest.raises(ConfigError):
        create_app({"ENV": "production", "SECRET_KEY": "short", "DATABASE_URL": "sqlite://"})
    dev_key = create_app({"DATABASE_URL": "sqlite://"}).config["SECRET_KEY"]
    with pytest.raises(ConfigError):
        create_app({"ENV": "production", "SECRET_KEY": dev_key, "DATABASE_URL": "sqlite://"})
    assert create_app({"ENV": "production", "SECRET_KEY": "p" * 48, "SEAL_KEY": "s" * 48,
                       "DATABASE_URL": "sqlite://"})


def test_production_requires_a_real_seal_key_and_refuses_the_development_one():
    with pytest.raises(ConfigError, match="SEAL_KEY"):
        create_app({"ENV": "production", "SECRET_KEY": "p" * 48, "DATABASE_URL": "sqlite://"})
    dev_key = create_app({"DATABASE_URL": "sqlite://"}).config["SEAL_KEY"]
    with pytest.raises(ConfigError, match="seal key"):
        create_app({"ENV": "production", "SECRET_KEY": "p" * 48, "SEAL_KEY": dev_key, "DATABASE_URL": "sqlite://"})


def test_the_cli_creates_a_branch_and_a_user_who_can_sign_in(runner, client):
    assert runner.invoke(args=["branches", "create", "HQ", "--name", "Head office"]).exit_code == 0
    result = runner.invoke(args=["branches", "create", "SZ", "--name", "Shenzhen", "--parent", "HQ"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["users", "create", "li.wei", "--password", "s3cret-pass", "--role", "surveyor",
                                 "--branch", "SZ"])
    assert result.exit_code == 0, result.output
    token = client.post("/api/v1/auth/token", json={"username": "li.wei", "password": "s3cret-pass"})
    assert token.status_code == 201
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token.json['access_token']}"})
    assert me.json["branch_code"] == "SZ"


def test_the_cli_explains_a_refusal(runner):
    result = runner.invoke(args=["users", "create", "li.wei", "--password", "s3cret-pass", "--role", "surveyor",
                                 "--branch", "NOPE"])
    assert result.exit_code != 0
    assert "No branch 'NOPE'" in result.output


def test_seed_demo_is_safe_to_run_twice(runner, client):
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    second = runner.invoke(args=["seed-demo"])
    assert second.exit_code == 0, second.output
    assert first.output == second.output
    assert "ft.surveyor1" in first.output
    token = client.post("/api/v1/auth/token", json={"username": "sz.chief", "password": "sz.chief-demo"})
    assert token.status_code == 201


def test_starting_with_another_datum_over_existing_data_is_refused(app):
    with pytest.raises(ConfigError, match="stores coordinates in wgs84"):
        create_app({"DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "DATUM": "gcj02",
                    "SECRET_KEY": "k" * 40})


def test_an_unknown_canonical_datum_is_refused():
    with pytest.raises(ConfigError):
        create_app({"DATUM": "bd09", "SECRET_KEY": "k" * 40, "DATABASE_URL": "sqlite://"})


@pytest.mark.parametrize("value", ["0", "-5", '"often"'])
def test_the_report_settling_interval_is_a_positive_number_of_seconds(monkeypatch, value):
    monkeypatch.setenv("FIELD_API_REPORT_SETTLE_INTERVAL_S", value)
    with pytest.raises(ConfigError, match="REPORT_SETTLE_INTERVAL_S"):
        create_app({"SECRET_KEY": "k" * 40, "DATABASE_URL": "sqlite://"})
