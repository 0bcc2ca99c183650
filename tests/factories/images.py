"""Real (tiny) images made with Pillow, and files that only pretend to be images."""

from __future__ import annotations

import io

from PIL import Image


def image_bytes(fmt: str = "JPEG", size: tuple[int, int] = (64, 48), color: str = "red") -> bytes:
    """A small real image in a format Pillow writes (JPEG, PNG, HEIF)."""
    if fmt == "HEIF":
        from pillow_heif import register_heif_opener

        register_heif_opener()
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format=fmt)
    return buffer.getvalue()


def decompression_bomb() -> bytes:
    """A 48 kB PNG that would decode to 400 million pixels."""
    buffer = io.BytesIO()
    Image.new("1", (20_000, 20_000)).save(buffer, format="PNG")
    return buffer.getvalue()
