"""A small JSON client of the field_api HTTP API, for localhost only, one keep-alive connection per thread."""

from __future__ import annotations

import http.client
import ipaddress
import json
import threading
from typing import Any
from urllib.parse import urlsplit

LOCAL_NAMES = {"localhost", "localhost.localdomain"}


class NotLocal(ValueError):
    """The simulator only ever loads a server on this machine."""


def local_base_url(url: str) -> str:
    """The URL without a trailing slash, if it is http(s) on the loopback interface; NotLocal otherwise."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.scheme not in ("http", "https") or not host:
        raise NotLocal(f"{url!r} is not an http:// or https:// URL")
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = host.lower() in LOCAL_NAMES
    if not loopback:
        raise NotLocal(f"{host} is not this machine: the simulator only targets localhost, 127.0.0.0/8 or ::1")
    if parts.path not in ("", "/") or parts.query:
        raise NotLocal(f"{url!r}: give the server's base URL only, e.g. http://127.0.0.1:8000")
    return f"{parts.scheme}://{parts.netloc}"


class ApiError(RuntimeError):
    """The API answered with an error."""

    def __init__(self, status: int, answer: Any) -> None:
        message = answer.get("message") if isinstance(answer, dict) else answer
        super().__init__(f"{status}: {message}")
        self.status, self.answer = status, answer


class Api:
    """Calls the API with JSON bodies; each thread keeps its own connection open."""

    def __init__(self, base_url: str, timeout_s: float = 30.0) -> None:
        self.base = urlsplit(local_base_url(base_url))
        self.timeout_s = timeout_s
        self._local = threading.local()

    def _connection(self) -> http.client.HTTPConnection:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            kind = http.client.HTTPSConnection if self.base.scheme == "https" else http.client.HTTPConnection
            connection = kind(self.base.hostname, self.base.port, timeout=self.timeout_s)
            self._local.connection = connection
        return connection

    def call(self, method: str, path: str, body: Any = None, token: str | None = None) -> Any:
        """One request; returns the decoded answer, raises ApiError for 4xx/5xx."""
        headers = {"Accept": "application/json"}
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if token:
            headers["Authorization"] = f"Bearer {token}"
        for attempt in (1, 2):
            connection = self._connection()
            try:
                connection.request(method, path, body=payload, headers=headers)
                response = connection.getresponse()
                raw = response.read()
                break
            except (http.client.HTTPException, ConnectionError):
                connection.close()
                self._local.connection = None
                if attempt == 2:
                    raise
        answer = json.loads(raw) if raw else None
        if response.status >= 400:
            raise ApiError(response.status, answer)
        return answer
