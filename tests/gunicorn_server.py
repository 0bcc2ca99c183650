"""gunicorn as deployed (gthread workers, the access-log format of scripts/run) in a subprocess, and SSE clients."""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT_S = 60
READ_TIMEOUT_S = 30


def access_log_format() -> str:
    """The access-log format that scripts/run (and the README) give gunicorn."""
    words = shlex.split(re.search(r"--access-logformat\s+('[^']*')", (ROOT / "scripts" / "run").read_text()).group(1))
    return words[0]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def at_once(*calls):
    """Run the calls in threads released together (two phones at the same instant); return their results."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(index, call):
        barrier.wait()
        results[index] = call()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=READ_TIMEOUT_S * 2)
    return results


class Gunicorn:
    """`gunicorn wsgi:app` with gthread workers on a free loopback port; its access log goes to a file."""

    def __init__(self, env: dict[str, str], log_dir: Path, workers: int = 2, threads: int = 8) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.access_log = log_dir / "access.log"
        self.error_log = log_dir / "error.log"
        self.command = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{self.port}", "--workers", str(workers),
                        "--worker-class", "gthread", "--threads", str(threads), "--graceful-timeout", "5",
                        "--access-logformat", access_log_format(), "--access-logfile", str(self.access_log),
                        "--error-logfile", str(self.error_log), "wsgi:app"]
        self.env = {**os.environ, **env}
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> Gunicorn:
        self.process = subprocess.Popen(self.command, cwd=ROOT, env=self.env, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {self.error_log.read_text()}")
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=2):
                    return self
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not answer within {START_TIMEOUT_S} s: {self.error_log.read_text()}")

    def __exit__(self, *exc) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def kill(self) -> None:
        """SIGKILL the master and every worker at once (its own process group), as a power cut would."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def call(self, method: str, path: str, body: dict | None = None, token: str | None = None):
        """One JSON request; returns (status, answer)."""
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.url + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=READ_TIMEOUT_S) as response:
                raw = response.read()
                return response.status, json.loads(raw) if raw else None
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"null")


    def upload(self, path: str, data: bytes, token: str, filename: str = "IMG_0001.jpg", field: str = "file",
               form: dict[str, str] | None = None):
        """One multipart upload of a file (and form fields); returns (status, answer)."""
        boundary = "field-api-test-boundary"
        parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
                 for name, value in (form or {}).items()]
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; filename="{filename}"\r\n'
                     f"Content-Type: application/octet-stream\r\n\r\n".encode() + data + b"\r\n")
        body = b"".join(parts) + f"--{boundary}--\r\n".encode()
        request = urllib.request.Request(self.url + path, data=body, method="POST", headers={
            "Content-Type": f"multipart/form-data; boundary={boundary}", "Authorization": f"Bearer {token}"})
        try:
            with urllib.request.urlopen(request, timeout=READ_TIMEOUT_S) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"null")


class SseClient:
    """An EventSource-like reader of a stream URL (read line by line, bounded by a socket timeout)."""

    def __init__(self, url: str) -> None:
        self.response = urllib.request.urlopen(url, timeout=READ_TIMEOUT_S)

    def next(self) -> tuple[str, object]:
        """The next event's name and data."""
        name, data = None, None
        while True:
            line = self.response.readline().decode()
            if not line:
                raise EOFError("the server closed the stream")
            line = line.rstrip("\n")
            if line.startswith("event: "):
                name = line[7:]
            elif line.startswith("data: "):
                data = json.loads(line[6:])
            elif line == "" and name is not None:
                return name, data

    def until(self, name: str, match=lambda data: True, max_events: int = 500):
        """Read until an event of that name matches (bounded in count; the heartbeat keeps lines coming)."""
        for _ in range(max_events):
            event, data = self.next()
            if event == name and match(data):
                return data
        raise AssertionError(f"no matching {name} event in {max_events} events")

    def close(self) -> None:
        self.response.close()
