"""WSGI entry point: `gunicorn wsgi:app`."""

from field_api.app import create_app

app = create_app()
