"""The media module on its own: images are checked by decoding, files stored atomically by their SHA-256."""

from __future__ import annotations

import hashlib
import io

import pytest
from PIL import Image

from field_api.errors import Invalid, PayloadTooLarge, UnsupportedMediaType
from field_api.media.images import (inspect_image, inspect_photo, jpeg_without_metadata, thumbnail,
                                   without_metadata)
from field_api.media.storage import MediaStore
from tests.factories.images import decompression_bomb, image_bytes, photo_with_exif


def _write(tmp_path, data: bytes, name="upload.bin"):
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("fmt, content_type", [("JPEG", "image/jpeg"), ("PNG", "image/png"), ("HEIF", "image/heic")])
def test_real_images_are_described_by_decoding_them(tmp_path, fmt, content_type):
    facts = inspect_image(_write(tmp_path, image_bytes(fmt, (40, 30))), max_pixels=10_000)
    assert (facts.content_type, facts.width, facts.height) == (content_type, 40, 30)


@pytest.mark.parametrize("data", [b"hello, I am a jpeg", b"", b"<svg onload='alert(1)'></svg>",
                                  b"GIF89a" + b"\x00" * 20])
def test_anything_else_is_not_an_image(tmp_path, data):
    with pytest.raises(UnsupportedMediaType) as refused:
        inspect_image(_write(tmp_path, data, "photo.jpg"), max_pixels=10_000)
    assert "file" in refused.value.errors


def test_a_gif_is_not_accepted_even_though_pillow_reads_it(tmp_path):
    buffer = io.BytesIO()
    from PIL import Image

    Image.new("RGB", (8, 8)).save(buffer, format="GIF")
    with pytest.raises(UnsupportedMediaType):
        inspect_image(_write(tmp_path, buffer.getvalue()), max_pixels=10_000)


def test_a_truncated_jpeg_is_refused(tmp_path):
    data = image_bytes("JPEG", (400, 300))
    with pytest.raises(Invalid, match="truncated or corrupt"):
        inspect_image(_write(tmp_path, data[: len(data) // 2]), max_pixels=1_000_000)


def test_a_decompression_bomb_is_refused(tmp_path):
    with pytest.raises(Invalid, match="pixels"):
        inspect_image(_write(tmp_path, decompression_bomb()), max_pixels=64_000_000)


def test_the_pixel_limit_is_ours_to_set(tmp_path):
    with pytest.raises(Invalid, match="at most 1000"):
        inspect_image(_write(tmp_path, image_bytes("PNG", (100, 100))), max_pixels=1000)


def test_stored_files_live_at_their_content_address_and_storing_twice_is_a_no_op(tmp_path):
    store = MediaStore(tmp_path)
    data = image_bytes()
    digest = hashlib.sha256(data).hexdigest()
    for _ in range(2):
        with store.receive(io.BytesIO(data), max_bytes=10_000) as incoming:
            stored = store.keep(incoming)
    assert stored.path == tmp_path / "sha256" / digest[:2] / digest[2:4] / digest
    assert stored.path.read_bytes() == data and stored.size == len(data)
    assert list((tmp_path / "tmp").iterdir()) == []


def test_bytes_not_kept_leave_nothing_behind(tmp_path):
    store = MediaStore(tmp_path)
    with pytest.raises(RuntimeError), store.receive(io.BytesIO(b"abc"), max_bytes=10) as incoming:
        assert incoming.path.exists()
        raise RuntimeError("the image check failed")
    assert list((tmp_path / "tmp").iterdir()) == []
    assert not (tmp_path / "sha256").exists()


def test_a_stream_over_the_limit_is_refused_without_a_trace(tmp_path):
    store = MediaStore(tmp_path)
    with pytest.raises(PayloadTooLarge), store.receive(io.BytesIO(b"x" * 100), max_bytes=99):
        pass
    assert list((tmp_path / "tmp").iterdir()) == []


def test_only_hex_digests_name_files(tmp_path):
    with pytest.raises(ValueError):
        MediaStore(tmp_path).path_of("../../etc/passwd")


def test_an_upright_jpeg_loses_its_metadata_without_being_re_encoded(tmp_path):
    original = photo_with_exif(gps=(22.54, 114.05)) + b"trailing bytes after the end marker"
    data, content_type = without_metadata(_write(tmp_path, original, "photo.jpg"))
    assert content_type == "image/jpeg" and data == jpeg_without_metadata(original)
    assert b"trailing" not in data and len(Image.open(io.BytesIO(data)).getexif()) == 0
    assert Image.open(io.BytesIO(data)).tobytes() == Image.open(io.BytesIO(original)).tobytes()


def test_a_rotated_jpeg_is_re_encoded_upright_without_its_metadata(tmp_path):
    source = Image.open(io.BytesIO(image_bytes(size=(64, 48))))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to show
    buffer = io.BytesIO()
    source.save(buffer, format="JPEG", exif=exif.tobytes())
    data, _ = without_metadata(_write(tmp_path, buffer.getvalue(), "rotated.jpg"))
    shown = Image.open(io.BytesIO(data))
    assert shown.size == (48, 64) and len(shown.getexif()) == 0


@pytest.mark.parametrize("options", [{}, {"progressive": True}, {"restart_marker_blocks": 2},
                                     {"restart_marker_rows": 1, "progressive": True}])
def test_stripping_keeps_every_scan_whole_with_its_stuffed_bytes_and_restart_markers(options):
    import numpy as np

    noise = np.random.default_rng(1).integers(0, 256, (96, 128, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(noise, "RGB").save(buffer, format="JPEG", quality=95, exif=Image.Exif().tobytes(), **options)
    original = buffer.getvalue()
    assert original.count(b"\xff\x00") > 10  # stuffed bytes in the entropy-coded data
    stripped = jpeg_without_metadata(original)
    assert stripped is not None and stripped.count(b"\xff\xda") == original.count(b"\xff\xda")
    assert Image.open(io.BytesIO(stripped)).tobytes() == Image.open(io.BytesIO(original)).tobytes()
    filled = original[:-2] + b"\xff\xff\xd9"  # a fill byte before the end marker stays in the scan
    assert jpeg_without_metadata(filled) == stripped[:-2] + b"\xff\xff\xd9"


def test_a_jpeg_that_does_not_parse_is_left_to_the_re_encoder():
    assert jpeg_without_metadata(b"\xff\xd8\xff\xe1\x00") is None
    assert jpeg_without_metadata(image_bytes("PNG")) is None
    assert jpeg_without_metadata(image_bytes()[:-2]) is None  # its scan never ends


def test_a_photo_is_inspected_and_its_thumbnail_made_from_one_decode(tmp_path):
    path = _write(tmp_path, photo_with_exif(size=(1600, 1200)), "photo.jpg")
    facts, thumb = inspect_photo(path, max_pixels=10_000_000)
    assert facts == inspect_image(path, max_pixels=10_000_000) and thumb == thumbnail(path)
    assert Image.open(io.BytesIO(thumb)).size == (320, 240)


def test_the_worker_sweeps_temp_files_a_crash_left_but_not_uploads_in_progress(tmp_path):
    import os
    from datetime import datetime, timedelta, timezone

    from field_api.media.storage import media_jobs

    store = MediaStore(tmp_path)
    (tmp_path / "tmp").mkdir()
    stale, fresh = tmp_path / "tmp" / "upload-stale", tmp_path / "tmp" / "upload-fresh"
    stale.write_bytes(b"half a photo")
    fresh.write_bytes(b"arriving")
    now = datetime.now(timezone.utc)
    two_hours_ago = (now - timedelta(hours=2)).timestamp()
    os.utime(stale, (two_hours_ago, two_hours_ago))
    [sweep] = media_jobs({"MEDIA_ROOT": str(tmp_path)})
    assert sweep(None, now) == 1
    assert not stale.exists() and fresh.exists() and store.sweep_temp(older_than=now - timedelta(hours=1)) == 0
