"""The application factory."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import swagger_ui_bundle
from flask import Flask, has_request_context, request, send_from_directory

from field_api import cli, models  # noqa: F401  (models: every table known to the metadata)
from field_api import security
from field_api.accounts import routes as accounts_routes
from field_api.audit import routes as audit_routes
from field_api.board import routes as board_routes
from field_api.claims import routes as claims_routes
from field_api.clients import routes as clients_routes
from field_api.clock import Clock
from field_api.config import load_config
from field_api.db import configure_engine
from field_api.deployment.service import check_datum
from field_api.dispatch import routes as dispatch_routes
from field_api.extensions import api, db, limiter, migrate
from field_api.health.routes import health
from field_api.routing import RecordIdConverter, TextConverter, record_id_schema, text_schema
from field_api.live import routes as live_routes
from field_api.live import settings as live_settings
from field_api.live import transport as live_transport
from field_api.live.page import page as map_page
from field_api.reports import routes as reports_routes
from field_api.reports.page import page as reports_page
from field_api.tracking import routes as tracking_routes
from field_api.visits import routes as visits_routes
from field_api.zones import routes as zones_routes
from geo.datum import Datum
from schemas.geo import DATUMS, canonical_datum, output_datum

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
WRITING_GETS = frozenset({"ingest.OsmAnd"})  # OsmAnd and Traccar Client send their fixes as a GET


def create_app(test_config: dict[str, Any] | None = None, *, clock: Clock | None = None) -> Flask:
    """Create and configure the app: config, database, API blueprints and commands."""
    app = Flask(__name__, instance_relative_config=True)
    app.url_map.converters["int"] = RecordIdConverter
    app.url_map.converters["string"] = TextConverter
    load_config(app, test_config)
    live_settings.init_app(app)
    app.extensions["clock"] = clock or Clock()
    logging.basicConfig(level=logging.INFO)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS), render_as_batch=True, compare_type=True)
    limiter.init_app(app)
    with app.app_context():
        configure_engine(db.engine, write_intent=_write_intent)
        check_datum(db.engine, app.config["DATUM"])

    api.init_app(app, spec_kwargs={"components": {"securitySchemes": {
        "bearerAuth": {"type": "http", "scheme": "bearer"}}}})
    api.register_converter(RecordIdConverter, record_id_schema)
    api.register_converter(TextConverter, text_schema)
    accounts_routes.register(api)
    api.register_blueprint(zones_routes.blp)
    dispatch_routes.register(api)
    tracking_routes.register(api)
    api.register_blueprint(audit_routes.blp)
    clients_routes.register(api)
    visits_routes.register(api)
    claims_routes.register(api)
    live_routes.register(api)
    reports_routes.register(api)
    board_routes.register(api)
    app.register_blueprint(health)
    app.register_blueprint(map_page)
    app.register_blueprint(reports_page)
    live_transport.init_app(app)

    @app.get("/api/docs/static/<path:filename>")
    def swagger_ui_static(filename: str):
        """Swagger UI's files, served from the installed package (no CDN)."""
        return send_from_directory(swagger_ui_bundle.swagger_ui_path, filename)

    datum = Datum(app.config["DATUM"])
    canonical_datum.set(datum)

    @app.before_request
    def _datums() -> None:
        # Every read honours ?crs=; requests that send coordinates say their own datum in the body.
        canonical_datum.set(datum)
        asked = request.args.get("crs")
        output_datum.set(Datum(asked) if asked in DATUMS else None)

    security.install(app)
    cli.register(app)
    return app


def _write_intent() -> bool:
    # Outside a request (commands, the worker) assume a writer; a GET only reads, but for a tracker's report.
    return not has_request_context() or request.method not in SAFE_METHODS or request.endpoint in WRITING_GETS
