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


def photo_with_exif(taken_at: str | None = "2026:07:01 10:05:00", offset: str | None = "+08:00",
                    gps: tuple[float, float] | None = None, color: str = "navy", size=(64, 48)) -> bytes:
    """A JPEG as a phone camera makes it: capture time and, optionally, a WGS-84 GPS position in its EXIF."""
    exif = Image.Exif()
    exif[0x0110] = "Test phone"
    details = exif.get_ifd(0x8769)
    if taken_at:
        details[0x9003] = taken_at
    if offset:
        details[0x9011] = offset
    if gps is not None:
        position = exif.get_ifd(0x8825)
        lat, lon = gps
        position.update({1: "N" if lat >= 0 else "S", 2: _dms(abs(lat)), 3: "E" if lon >= 0 else "W",
                         4: _dms(abs(lon))})
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format="JPEG", exif=exif)
    return buffer.getvalue()


def _dms(degrees: float) -> tuple[float, float, float]:
    whole = int(degrees)
    minutes = int((degrees - whole) * 60)
    return float(whole), float(minutes), round((degrees - whole - minutes / 60) * 3600, 4)


def signature_png(color: str = "black") -> bytes:
    """A signature pad's PNG: dark strokes on white."""
    image = Image.new("RGB", (200, 80), "white")
    for x in range(20, 180):
        image.putpixel((x, 40 + (x % 7)), (0, 0, 0) if color == "black" else (0, 0, 120))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()
