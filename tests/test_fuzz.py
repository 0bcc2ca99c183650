"""Every operation fuzzed from the checked-in OpenAPI spec, as every role: no 5xx, no undocumented
status code, no answer that breaks its documented schema."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (content_type_conformance, not_a_server_error, response_schema_conformance,
                                 status_code_conformance)

from field_api.accounts.models import Role
from tests.tally import count

SPEC = Path(__file__).resolve().parent.parent / "openapi" / "openapi.json"
EXAMPLES = int(os.environ.get("FIELD_API_FUZZ_EXAMPLES", "25"))
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance, content_type_conformance]

schema = schemathesis.openapi.from_path(str(SPEC))


@pytest.fixture
def fuzz_headers(app, accounts, dispatching):
    """A signed-in user of each role, in a branch tree with zones and a dispatched case."""
    app.config.update(LIVE_HEARTBEAT_S=0.01, LIVE_STREAM_MAX_S=0.05)  # streams end, so their bodies can be read
    dispatching.shenzhen_zones()
    signed = {role: accounts.sign_in(role, "HQ" if role is Role.ADMIN else "SZ-FT") for role in Role}
    dispatching.dispatch(dispatching.case(), signed[Role.SURVEYOR], accounts.sign_in(Role.COORDINATOR, "SZ"))
    return {role: s.headers for role, s in signed.items()}


@pytest.mark.slow
@pytest.mark.parametrize("role", list(Role), ids=[r.value for r in Role])
@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_no_operation_breaks_its_contract(app, fuzz_headers, role, case):
    count("fuzz examples run")
    case.call_and_validate(app=app, headers=fuzz_headers[role], checks=CHECKS)
