"""The checked-in OpenAPI spec is what the code generates."""

from __future__ import annotations

import json
from pathlib import Path

SPEC = Path(__file__).resolve().parent.parent / "openapi" / "openapi.json"


def test_the_checked_in_spec_matches_the_code(app):
    from field_api.extensions import api

    with app.app_context():
        generated = json.loads(json.dumps(api.spec.to_dict()))
    checked_in = json.loads(SPEC.read_text())
    assert generated == checked_in, "openapi/openapi.json is stale: run `field-api openapi write openapi/openapi.json`"


def test_the_spec_is_served_and_the_docs_load_without_a_cdn(client):
    assert client.get("/api/openapi.json").json["info"]["title"] == "field_api"
    page = client.get("/api/docs").get_data(as_text=True)
    assert "/api/docs/static/swagger-ui-bundle.js" in page
    assert "http://" not in page and "https://" not in page
    assert client.get("/api/docs/static/swagger-ui-bundle.js").status_code == 200
    assert client.get("/api/docs/static/swagger-ui.css").status_code == 200
