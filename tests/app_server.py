"""The app served over HTTP from a test thread, sharing the test's clock and database."""

from __future__ import annotations

import threading

from werkzeug.serving import WSGIRequestHandler, make_server


class _Unlogged(WSGIRequestHandler):
    """Logs no request lines: they would carry stream tickets in their query strings."""

    def log_request(self, *args, **kwargs) -> None:
        pass


class AppServer:
    """The app on a free loopback port, served by werkzeug in a thread (one thread per request, as for streams)."""

    def __init__(self, app) -> None:
        self._server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_Unlogged)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="app-server", daemon=True)

    def __enter__(self) -> AppServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)
