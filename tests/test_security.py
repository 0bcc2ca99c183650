"""Headers on every answer, and a per-caller limit on writes."""

from __future__ import annotations

from field_api.accounts.models import Role


def test_api_answers_are_not_sniffed_or_cached(client):
    response = client.get("/healthz")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert client.get("/api/v1/me").headers["Cache-Control"] == "no-store"


def test_html_pages_get_a_content_security_policy_without_framing(client):
    response = client.get("/api/docs")
    policy = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in policy
    assert response.headers["X-Frame-Options"] == "DENY"


def test_writes_beyond_the_per_caller_limit_get_429_with_retry_after(app, accounts, client):
    app.config["WRITE_LIMIT"] = "3 per minute"
    admin = accounts.sign_in(Role.ADMIN, "HQ")
    statuses = [client.post("/api/v1/branches", json={"code": f"B{i}", "name": "x", "parent_code": "HQ"},
                            headers=admin.headers).status_code for i in range(4)]
    assert statuses == [201, 201, 201, 429]
    refused = client.post("/api/v1/branches", json={"code": "B9", "name": "x", "parent_code": "HQ"},
                          headers=admin.headers)
    assert refused.json["code"] == 429 and int(refused.headers["Retry-After"]) > 0
    assert client.get("/api/v1/branches", headers=admin.headers).status_code == 200, "reads are not limited"
    other = accounts.sign_in(Role.ADMIN, "HQ")
    assert client.post("/api/v1/branches", json={"code": "C1", "name": "x", "parent_code": "HQ"},
                       headers=other.headers).status_code == 201, "the limit is per caller"


def test_no_answer_carries_a_password_hash(accounts, client):
    admin = accounts.sign_in(Role.ADMIN, "HQ")
    for url in ("/api/v1/me", "/api/v1/users"):
        assert "argon2" not in client.get(url, headers=admin.headers).get_data(as_text=True)
