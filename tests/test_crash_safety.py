"""A power cut in the middle of uploads and fix batches: SIGKILL gunicorn (master and workers), restart, check.

Many phones upload photos and post fix batches at once; the whole process group is killed while they are
in flight. After a restart: no partial rows (a batch is all there or not at all, a photo has its audit
row), every stored file is whole and named by its content, every row's file exists, every request that got
a 2xx is fully there, and the phones' retries complete the rest; the worker's sweep removes the temp
files the crash left behind. PostgreSQL only.
"""

from __future__ import annotations

import hashlib
import http.client
import io
import os
import random
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa
from PIL import Image

from field_api.accounts.models import Role
from field_api.extensions import db
from field_api.media.storage import TEMP_MAX_AGE, media_jobs
from tests.factories.visits import visit_body
from tests.gunicorn_server import Gunicorn
from tests.test_retries_on_gunicorn import PASSWORD, count, make_client, server_env, sign_in

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not os.environ.get("FIELD_API_TEST_DATABASE_URL", "").startswith("postgres"),
                       reason="needs PostgreSQL (FIELD_API_TEST_DATABASE_URL)"),
]
PHOTOS = 24
SURVEYORS = 4
BATCHES_PER_SURVEYOR = 8
FIXES_PER_BATCH = 150
PHONES = 16  # requests in flight at once
KILL_AFTER_2XX = 8  # pull the plug once this many requests succeeded (or after KILL_AFTER_S)
KILL_AFTER_S = 20.0


def noise_png(seed: int) -> bytes:
    """About a megabyte of incompressible PNG: slow enough to be in flight when the plug is pulled."""
    rng = random.Random(seed)
    buffer = io.BytesIO()
    Image.frombytes("RGB", (600, 600), rng.randbytes(600 * 600 * 3)).save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


@dataclass
class Send:
    """One request a phone must get through: it retries until the server says 2xx."""

    kind: str  # "photo" or "fixes"
    call: callable
    key: tuple
    status: int | None = None
    error: str | None = None

    def __call__(self, succeeded: threading.Semaphore | None = None):
        try:
            self.status, _ = self.call()
        except (OSError, http.client.HTTPException) as error:  # the connection died with the server
            self.status, self.error = None, type(getattr(error, "reason", error)).__name__
        if self.status is not None and 200 <= self.status < 300 and succeeded is not None:
            succeeded.release()
        return self


def _requests(server_ref, tokens, visits, surveyors, photos) -> list[Send]:
    sends = []
    for i, (visit_id, data) in enumerate(zip(visits, photos)):
        sends.append(Send("photo", lambda v=visit_id, d=data: server_ref[0].upload(
            f"/api/v1/visits/{v}/photos", d, tokens["sales"]), (visit_id, hashlib.sha256(data).hexdigest())))
    start = datetime.now(timezone.utc) - timedelta(hours=1)
    for s, (surveyor_id, token) in enumerate(surveyors):
        for b in range(BATCHES_PER_SURVEYOR):
            first = start + timedelta(seconds=FIXES_PER_BATCH * b)
            fixes = [{"device_time": (first + timedelta(seconds=i)).isoformat(), "lat": 22.5431 + i * 1e-5,
                      "lon": 114.0579 + s * 1e-3, "accuracy": 8} for i in range(FIXES_PER_BATCH)]
            sends.append(Send("fixes", lambda f=fixes, t=token: server_ref[0].call(
                "POST", "/api/v1/positions", {"fixes": f}, t), (surveyor_id, first, first + timedelta(
                    seconds=FIXES_PER_BATCH - 1))))
    random.Random(7).shuffle(sends)
    return sends


def _stored_fixes(surveyor_id: int, first: datetime, last: datetime) -> int:
    return count("SELECT count(*) FROM fix WHERE surveyor_id = :s AND device_time BETWEEN :a AND :b",
                 s=surveyor_id, a=first, b=last)


def _check_consistent(media: Path, sends: list[Send]) -> None:
    """No partial rows, no missing or torn files, every 2xx fully there."""
    db.session.remove()
    photos = list(db.session.execute(sa.text("SELECT visit_id, sha256 FROM visit_photo")))
    for visit_id, sha in photos:
        path = media / "sha256" / sha[:2] / sha[2:4] / sha
        assert path.is_file(), f"visit {visit_id} references a photo that is not stored"
        assert count("SELECT count(*) FROM audit_event WHERE action = 'visit.photo' AND entity_id = :v",
                     v=str(visit_id)) == 1, "a photo row without its audit row"
    for path in (media / "sha256").rglob("*"):
        if path.is_file():
            assert hashlib.sha256(path.read_bytes()).hexdigest() == path.name, f"torn file {path}"
    stored_photos = {(str(v), s) for v, s in photos}
    for send in sends:
        if send.kind == "photo":
            if send.status in (200, 201):
                assert (send.key[0], send.key[1]) in stored_photos, "a photo answered 2xx is missing"
        else:
            stored = _stored_fixes(*send.key)
            assert stored in (0, FIXES_PER_BATCH), f"a partial batch: {stored} of {FIXES_PER_BATCH} fixes"
            if send.status == 200:
                assert stored == FIXES_PER_BATCH, "a batch answered 200 is missing"


def test_a_power_cut_during_uploads_and_batches_loses_nothing_answered_and_leaves_nothing_half_done(
        app, accounts, tmp_path):
    media = tmp_path / "media"
    env = server_env(app, media)
    server_ref = [Gunicorn(env, tmp_path / "first", workers=3, threads=6)]
    (tmp_path / "first").mkdir()
    (tmp_path / "second").mkdir()
    photos = [noise_png(i) for i in range(PHOTOS)]
    with server_ref[0] as server:
        _, sales = sign_in(server, accounts, Role.SALESPERSON)
        client_id = make_client(server, sales)
        visits = []
        for _ in range(PHOTOS):
            visit_id = str(uuid.uuid4())
            body = visit_body(client_id, at=datetime.now(timezone.utc) - timedelta(hours=2), status="draft")
            assert server.call("PUT", f"/api/v1/visits/{visit_id}", body, sales)[0] == 201
            visits.append(visit_id)
        surveyors = []
        on_duty = (datetime.now(timezone.utc) - timedelta(hours=2)).isoformat()
        for _ in range(SURVEYORS):
            surveyor_id, token = sign_in(server, accounts, Role.SURVEYOR)
            assert server.call("PUT", "/api/v1/me/duty", {"on_duty": True, "device_time": on_duty}, token)[0] == 200
            surveyors.append((surveyor_id, token))
        sends = _requests(server_ref, {"sales": sales}, visits, surveyors, photos)

        succeeded = threading.Semaphore(0)
        with ThreadPoolExecutor(PHONES) as phones:
            futures = [phones.submit(send, succeeded) for send in sends]
            deadline = time.monotonic() + KILL_AFTER_S
            for _ in range(KILL_AFTER_2XX):
                if not succeeded.acquire(timeout=max(0.0, deadline - time.monotonic())):
                    break
            server.kill()
            for future in futures:
                future.result(timeout=60)

    answered = [s for s in sends if s.status is not None and 200 <= s.status < 300]
    cut = [s for s in sends if s.status is None or s.status >= 500]
    errors = Counter(s.error or str(s.status) for s in cut)
    in_flight = sum(n for error, n in errors.items() if error != "ConnectionRefusedError")
    assert answered and in_flight, f"the plug was pulled too early or too late: {len(answered)} answered, {errors}"
    stray = list((media / "tmp").iterdir()) if (media / "tmp").exists() else []
    _check_consistent(media, sends)

    server_ref[0] = Gunicorn(env, tmp_path / "second", workers=3, threads=6)
    with server_ref[0]:
        for send in sends:
            if send not in answered:
                assert send().status in (200, 201), (send.kind, send.status, send.error)
        for send in answered:  # a phone that missed the answer sends again: nothing new
            assert send().status == 200, (send.kind, send.status)
    _check_consistent(media, sends)
    [sweep] = media_jobs({"MEDIA_ROOT": str(media)})
    assert sweep(None, datetime.now(timezone.utc) + TEMP_MAX_AGE + timedelta(minutes=1)) == len(stray)
    assert list((media / "tmp").iterdir()) == [], "the worker sweeps what the crash left in tmp"
    assert count("SELECT count(*) FROM visit_photo") == PHOTOS
    assert count("SELECT count(*) FROM fix") == SURVEYORS * BATCHES_PER_SURVEYOR * FIXES_PER_BATCH
    print(f"\ncrash: {len(answered)} of {len(sends)} requests answered before SIGKILL, {in_flight} cut in flight, "
          f"{len(cut) - in_flight} refused; {len(stray)} stray temp files; all complete after retries")
