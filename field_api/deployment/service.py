"""The canonical datum: chosen by FIELD_API_DATUM, recorded by the migrations, enforced at start."""

from __future__ import annotations

import logging

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from field_api.config import ConfigError
from field_api.deployment.models import DeploymentSetting

log = logging.getLogger(__name__)


def recorded_datum(engine: Engine) -> str | None:
    """The datum the database's coordinates are stored in, or None before the migrations recorded it."""
    try:
        with engine.connect() as conn:
            return conn.scalar(sa.select(DeploymentSetting.value).where(DeploymentSetting.key == "datum"))
    except sa.exc.OperationalError:
        return None
    except sa.exc.ProgrammingError:
        return None


def check_datum(engine: Engine, configured: str) -> None:
    """Refuse to start with a canonical datum other than the one the stored coordinates are in."""
    stored = recorded_datum(engine)
    if stored is not None and stored != configured:
        raise ConfigError(
            f"FIELD_API_DATUM={configured} but this database stores coordinates in {stored}: "
            f"set FIELD_API_DATUM={stored} (converting stored data is not supported)")
