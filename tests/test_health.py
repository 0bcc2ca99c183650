"""Probes for load balancers."""


def test_healthz_answers_while_the_process_lives(client):
    assert client.get("/healthz").json == {"status": "ok"}


def test_readyz_reports_a_migrated_database_as_ready(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json["migrations"] == "head"


def test_readyz_reports_a_database_behind_the_migrations(app, client):
    import sqlalchemy as sa

    from field_api.extensions import db

    with app.app_context():
        with db.engine.begin() as conn:
            conn.execute(sa.text("UPDATE alembic_version SET version_num = 'older'"))
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json["migrations"] == "behind"
