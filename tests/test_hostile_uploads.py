"""Hostile uploads: every file that lies, breaks or bloats is refused with a clear 4xx, and leaves no trace.

Each hostile file goes to every upload endpoint in UPLOAD_TARGETS (visit photos and claim-form attachments;
a new one is one more entry), and through field_api/media on its own. After each refusal the database holds
the same rows, the media folder the same files, and the app still answers and still takes a real photo.
"""

from __future__ import annotations

import io
import uuid
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from PIL import Image

from field_api.errors import DomainError
from field_api.extensions import db
from field_api.media.images import inspect_image
from field_api.media.storage import MediaStore
from tests import tally
from tests.factories.images import decompression_bomb, image_bytes

MB = 1024 * 1024


def _jpeg(size=(300, 200), exif: Image.Exif | None = None) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, "red").save(buffer, format="JPEG", **({"exif": exif.tobytes()} if exif is not None else {}))
    return buffer.getvalue()


def _png(size=(300, 200)) -> bytes:
    return image_bytes("PNG", size)


def _patched(data: bytes, marker: bytes, offset: int, patch: bytes) -> bytes:
    at = data.index(marker) + offset
    return data[:at] + patch + data[at + len(patch):]


def _exif(**tags: Any) -> Image.Exif:
    exif = Image.Exif()
    for tag, value in tags.items():
        if tag == "gps":
            exif.get_ifd(0x8825).update(value)
        elif tag == "original":
            exif.get_ifd(0x8769)[0x9003] = value
        else:
            exif[{"orientation": 0x0112, "date": 0x0132}[tag]] = value
    return exif


def _gif() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buffer, format="GIF")
    return buffer.getvalue()


@dataclass(frozen=True)
class Hostile:
    """One hostile upload: its bytes, the name and type it claims, extra form fields, and the refusal expected."""

    id: str
    data: Callable[[], bytes]
    status: int
    filename: str = "IMG_0001.jpg"
    content_type: str = "image/jpeg"
    form: dict[str, str] = field(default_factory=dict)
    in_content: bool = True  # the bytes themselves are hostile (so field_api/media refuses them too)


HOSTILE = [
    # Files that lie about their type.
    Hostile("text-named-jpg", lambda: b"definitely a photo, trust me", 415),
    Hostile("pdf-as-jpeg", lambda: b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF", 415),
    Hostile("exe-as-jpeg", lambda: b"MZ\x90\x00" + b"\x00" * 60 + b"PE\x00\x00", 415),
    Hostile("zip-as-png", lambda: b"PK\x03\x04" + b"\x00" * 40, 415, "scan.png", "image/png"),
    Hostile("gif-as-jpeg", _gif, 415),
    Hostile("empty-file", lambda: b"", 415),
    Hostile("jpeg-magic-then-html", lambda: b"\xff\xd8\xff\xe0" + b"<html><script>alert(1)</script></html>", 422),
    # Script passed as an image.
    Hostile("svg-with-script", lambda: b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)">'
                                       b"<script>alert(document.cookie)</script></svg>", 415, "photo.svg",
            "image/svg+xml"),
    Hostile("svg-named-png", lambda: b'<?xml version="1.0"?><svg><script>alert(1)</script></svg>', 415,
            "photo.png", "image/png"),
    Hostile("html-with-script", lambda: b"<!doctype html><html><script>fetch('/api/v1/me')</script></html>", 415,
            "photo.jpg", "text/html"),
    # Truncated and corrupt images.
    Hostile("truncated-jpeg", lambda: _jpeg()[:400], 422),
    Hostile("jpeg-without-end", lambda: _jpeg()[:-2], 422),
    Hostile("truncated-png", lambda: _png()[: len(_png()) // 2], 422, "photo.png", "image/png"),
    Hostile("png-bad-checksum", lambda: _patched(_png(), b"IDAT", 10, b"\x00\xff\x00\xff"), 422, "photo.png",
            "image/png"),
    Hostile("jpeg-broken-huffman-table", lambda: _patched(_jpeg(), b"\xff\xc4", 4, b"\xff" * 26), 422),
    Hostile("jpeg-broken-scan-header", lambda: _patched(_jpeg(), b"\xff\xda", 2, b"\x00" * 10), 422),
    # Decompression bombs: tiny files that decode to hundreds of millions of pixels.
    Hostile("png-bomb", decompression_bomb, 422, "bomb.png", "image/png"),
    Hostile("jpeg-claiming-65000x65000", lambda: _patched(_jpeg(), b"\xff\xc0", 5, b"\xfd\xe8\xfd\xe8"), 422),
    # EXIF with absurd values.
    Hostile("exif-orientation-9999", lambda: _jpeg(exif=_exif(orientation=9999)), 422),
    Hostile("exif-date-9999-99-99", lambda: _jpeg(exif=_exif(date="9999:99:99 99:99:99")), 422),
    Hostile("exif-original-date-garbage", lambda: _jpeg(exif=_exif(original="yesterday-ish")), 422),
    Hostile("exif-gps-latitude-999", lambda: _jpeg(exif=_exif(gps={1: "N", 2: (999.0, 0.0, 0.0)})), 422),
    Hostile("exif-gps-minutes-600", lambda: _jpeg(exif=_exif(gps={3: "E", 4: (114.0, 600.0, 0.0)})), 422),
    # Path traversal and NUL bytes in file names and form fields (the bytes are a real photo).
    Hostile("name-traversal", lambda: _jpeg(), 422, "../../../../etc/cron.d/evil.jpg", in_content=False),
    Hostile("name-absolute", lambda: _jpeg(), 422, "/etc/passwd", in_content=False),
    Hostile("name-nul-byte", lambda: _jpeg(), 422, "photo.php\x00.jpg", in_content=False),
    Hostile("name-control-characters", lambda: _jpeg(), 422, "photo\r\nX-Injected: 1.jpg", in_content=False),
    Hostile("name-too-long", lambda: _jpeg(), 422, "a" * 300 + ".jpg", in_content=False),
    Hostile("item-traversal", lambda: _jpeg(), 422, form={"item": "../../etc/passwd"}, in_content=False),
    Hostile("item-nul-byte", lambda: _jpeg(), 422, form={"item": "business_card\x00"}, in_content=False),
    Hostile("taken-at-nul-byte", lambda: _jpeg(), 422, form={"taken_at": "2026-07-01T10:00:00\x00Z"},
            in_content=False),
]


@dataclass(frozen=True)
class UploadTarget:
    """An endpoint that takes a file: how to make the record it belongs to, and what it may write."""

    id: str
    prepare: Callable[[pytest.FixtureRequest], tuple[str, dict[str, str]]]  # -> (url, headers)
    max_bytes_setting: str
    tables: tuple[str, ...]
    field: str = "file"
    fields: tuple[tuple[str, str], ...] = ()  # the form fields a valid upload sends with the file


def _visit_photo(request: pytest.FixtureRequest) -> tuple[str, dict[str, str]]:
    visits = request.getfixturevalue("visits")
    sales = request.getfixturevalue("accounts").sign_in("salesperson", "SZ-FT")
    visit = visits.visit(sales, visits.make_client(sales)["id"], status="draft")
    return f"/api/v1/visits/{visit['id']}/photos", sales.headers


def _claim_attachment(request: pytest.FixtureRequest) -> tuple[str, dict[str, str]]:
    claims = request.getfixturevalue("claims")
    form_id = str(uuid.uuid4())
    response = claims.put(form_id, claims.body(claims.dispatch()["id"]))
    assert response.status_code == 201, response.json
    return f"/api/v1/claim-forms/{form_id}/attachments", claims.surveyor.headers


UPLOAD_TARGETS = [
    UploadTarget("visit-photo", _visit_photo, "PHOTO_MAX_BYTES",
                 ("visit", "visit_photo", "visit_item_outcome", "audit_event")),
    UploadTarget("claim-attachment", _claim_attachment, "PHOTO_MAX_BYTES",
                 ("claim_form", "claim_attachment", "claim_seal", "audit_event"), fields=(("kind", "scene"),)),
]


@pytest.fixture(params=UPLOAD_TARGETS, ids=lambda t: t.id)
def target(request):
    url, headers = request.param.prepare(request)
    return request.param, url, headers


def row_counts(tables: tuple[str, ...]) -> dict[str, int]:
    db.session.remove()
    return {t: db.session.scalar(sa.text(f"SELECT count(*) FROM {t}")) for t in tables}


def media_files(app) -> list[Path]:
    root = Path(app.config["MEDIA_ROOT"])
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def _send(client, target, url, headers, data: bytes, filename: str, content_type: str, form: dict[str, str]):
    payload = {target.field: (io.BytesIO(data), filename, content_type), **dict(target.fields), **form}
    return client.post(url, data=payload, headers=headers, content_type="multipart/form-data")


def _still_healthy(app, client, target, url, headers) -> None:
    assert client.get("/healthz").status_code == 200
    response = _send(client, target, url, headers, image_bytes("JPEG", color="navy"), "IMG_0002.jpg",
                     "image/jpeg", {})
    assert response.status_code == 201, response.json
    assert media_files(app), "the real photo is stored (with whatever copies the endpoint keeps)"


@pytest.mark.parametrize("hostile", HOSTILE, ids=[h.id for h in HOSTILE])
def test_each_hostile_file_is_refused_with_a_clear_4xx_and_leaves_no_trace(app, client, target, hostile):
    spec, url, headers = target
    before = row_counts(spec.tables)
    response = _send(client, spec, url, headers, hostile.data(), hostile.filename, hostile.content_type,
                     hostile.form)
    tally.count("hostile files tried")
    assert response.status_code == hostile.status, response.json
    assert response.is_json and response.json["message"] and response.json["errors"], response.data[:300]
    assert row_counts(spec.tables) == before
    assert media_files(app) == []
    _still_healthy(app, client, spec, url, headers)


class MultipartOfZeros(io.RawIOBase):
    """A multipart body with one file of `size` zero bytes, made as it is read: never whole in memory."""

    BOUNDARY = "hostile-boundary"

    def __init__(self, size: int, field: str = "file") -> None:
        self.head = (f"--{self.BOUNDARY}\r\nContent-Disposition: form-data; name=\"{field}\"; "
                     f"filename=\"huge.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n").encode() + b"\xff\xd8\xff\xe0"
        self.tail = f"\r\n--{self.BOUNDARY}--\r\n".encode()
        self.length = len(self.head) + size + len(self.tail)
        self.position = 0
        self.size = size

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True  # werkzeug's test client measures the body by seeking to its end and back

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        self.position = {io.SEEK_SET: 0, io.SEEK_CUR: self.position, io.SEEK_END: self.length}[whence] + offset
        return self.position

    def tell(self) -> int:
        return self.position

    def readinto(self, buffer) -> int:
        start, count = self.position, min(len(buffer), self.length - self.position)
        if count <= 0:
            return 0
        chunk = bytearray(count)
        for offset, piece in ((0, self.head), (self.length - len(self.tail), self.tail)):
            lo, hi = max(start, offset), min(start + count, offset + len(piece))
            if lo < hi:
                chunk[lo - start:hi - start] = piece[lo - offset:hi - offset]
        buffer[:count] = chunk
        self.position += count
        return count


@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "chunked"])
def test_a_100_mb_body_is_413_without_being_held_in_memory(app, client, target, declared):
    spec, url, headers = target
    body = MultipartOfZeros(100 * MB, spec.field)
    before = row_counts(spec.tables)
    tracemalloc.start()
    try:
        response = client.post(url, headers=headers, input_stream=body,
                               content_type=f"multipart/form-data; boundary={body.BOUNDARY}",
                               content_length=body.length if declared else None,
                               environ_overrides={} if declared else {"wsgi.input_terminated": True})
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    tally.count("hostile files tried")
    assert response.status_code == 413, response.data[:300]
    assert response.is_json and response.json["status"]
    assert peak < 8 * MB, f"the refusal held {peak / MB:.1f} MB"
    assert body.position <= app.config["PHOTO_MAX_BYTES"] + 2 * MB, "read far past the limit"
    assert row_counts(spec.tables) == before and media_files(app) == []
    _still_healthy(app, client, spec, url, headers)


@pytest.mark.parametrize("hostile", [h for h in HOSTILE if h.in_content], ids=[h.id for h in HOSTILE if h.in_content])
def test_the_media_module_itself_refuses_each_hostile_file(tmp_path, hostile):
    store = MediaStore(tmp_path / "media")
    stream = io.BytesIO(hostile.data())
    with pytest.raises(DomainError) as refused, store.receive(stream, max_bytes=10 * MB) as incoming:
        inspect_image(incoming.path, max_pixels=64_000_000)
        store.keep(incoming)
    tally.count("hostile files tried")
    assert refused.value.status == hostile.status and "file" in refused.value.errors
    assert [p for p in (tmp_path / "media").rglob("*") if p.is_file()] == []


def test_the_media_module_stops_reading_a_100_mb_stream_at_its_limit(tmp_path):
    store = MediaStore(tmp_path / "media")
    body = MultipartOfZeros(100 * MB)
    tracemalloc.start()
    try:
        with pytest.raises(DomainError) as refused, store.receive(body, max_bytes=10 * MB):
            pass
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    tally.count("hostile files tried")
    assert refused.value.status == 413 and body.position <= 12 * MB
    assert peak < 8 * MB
    assert [p for p in (tmp_path / "media").rglob("*") if p.is_file()] == []
