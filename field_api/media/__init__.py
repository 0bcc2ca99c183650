"""Uploaded media: image validation by decoding (images.py), content-addressed atomic storage (storage.py),
and the request-size limit of upload routes (limit_upload_body)."""

from __future__ import annotations

import functools
from collections.abc import Callable

from flask import current_app, request


def limit_upload_body(room: int) -> Callable:
    """Refuse an upload over FIELD_API_PHOTO_MAX_BYTES (plus `room` for the other fields) before werkzeug spools it."""

    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            request.max_content_length = current_app.config["PHOTO_MAX_BYTES"] + room
            return view(*args, **kwargs)

        return wrapper

    return decorator
