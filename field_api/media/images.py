"""Only real images pass: decoded by Pillow (JPEG, PNG, HEIC) within a pixel limit; names are not trusted.

Accepted images also yield their EXIF capture time and position, a thumbnail, and a copy without metadata.
"""

from __future__ import annotations

import functools
import io
import math
import re
import struct
import warnings
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from field_api.errors import Invalid, UnsupportedMediaType

ORIENTATION, DATE_TIME, EXIF_IFD, GPS_IFD, DATE_TIME_ORIGINAL = 0x0112, 0x0132, 0x8769, 0x8825, 0x9003
GPS_LATITUDE, GPS_LONGITUDE = 2, 4
# Pillow format name -> the content type we serve; no other decoder is ever tried.
CONTENT_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "HEIF": "image/heic"}
ACCEPTED = "JPEG, PNG or HEIC"


@dataclass(frozen=True)
class ImageFacts:
    """What decoding an image established about it."""

    format: str
    content_type: str
    width: int
    height: int

    @property
    def pixels(self) -> int:
        """Width times height."""
        return self.width * self.height


@functools.cache
def _register_heif() -> None:
    from pillow_heif import register_heif_opener

    register_heif_opener()


def inspect_image(path: str | Path, *, max_pixels: int, field: str = "file") -> ImageFacts:
    """Decode the file at `path` completely and describe it; refuse anything that is not a sound image."""
    return _inspect(path, max_pixels=max_pixels, field=field, thumbnail_side=None)[0]


def inspect_photo(path: str | Path, *, max_pixels: int, field: str = "file",
                  thumbnail_side: int = 320) -> tuple[ImageFacts, bytes]:
    """`inspect_image`, and the `thumbnail` made from the same decode (one decode of the file instead of two)."""
    facts, thumb = _inspect(path, max_pixels=max_pixels, field=field, thumbnail_side=thumbnail_side)
    assert thumb is not None
    return facts, thumb


def _inspect(path: str | Path, *, max_pixels: int, field: str,
             thumbnail_side: int | None) -> tuple[ImageFacts, bytes | None]:
    _register_heif()
    formats = tuple(CONTENT_TYPES)
    thumb = None
    try:
        with warnings.catch_warnings():
            # Pillow only warns between its own limit and twice it; a bomb is refused either way.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path, formats=formats) as image:
                facts = ImageFacts(image.format, CONTENT_TYPES[image.format], *image.size)
                _check_pixels(facts, max_pixels, field)
                image.verify()
            with Image.open(path, formats=formats) as image:
                if image.format == "JPEG":
                    # Every byte of the entropy-coded data is decoded at any scale; the pixels only at this one.
                    image.draft("RGB", (thumbnail_side, thumbnail_side) if thumbnail_side
                                else (max(1, facts.width // 8), max(1, facts.height // 8)))
                image.load()
                _check_exif(_read_exif(image, field), field)
                if thumbnail_side:
                    thumb = _thumbnail_of(image, thumbnail_side)
    except UnidentifiedImageError:
        raise UnsupportedMediaType(f"The file is not a {ACCEPTED} image.",
                                   errors={field: [f"Not a {ACCEPTED} image."]}) from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise Invalid(f"The image has more than {max_pixels} pixels.", field=field) from None
    except (OSError, SyntaxError, ValueError, EOFError) as error:
        raise Invalid(f"The image is truncated or corrupt ({error}).", field=field) from None
    return facts, thumb


def _check_pixels(facts: ImageFacts, max_pixels: int, field: str) -> None:
    if facts.width < 1 or facts.height < 1 or facts.pixels > max_pixels:
        raise Invalid(f"The image has {facts.width}x{facts.height} pixels; at most {max_pixels} are accepted.",
                      field=field)


def _read_exif(image: Image.Image, field: str) -> Image.Exif:
    try:
        exif = image.getexif()
        exif.get_ifd(EXIF_IFD), exif.get_ifd(GPS_IFD)
    except (struct.error, KeyError, IndexError, TypeError, ValueError, OSError) as error:
        raise Invalid(f"The image's EXIF is unreadable ({error}).", field=field) from None
    return exif


def _check_exif(exif: Image.Exif, field: str) -> None:
    """Refuse EXIF that no camera writes: an orientation outside 1–8, an impossible date or GPS position."""
    orientation = exif.get(ORIENTATION)
    if orientation is not None and orientation not in range(1, 9):
        raise Invalid(f"The image's EXIF orientation {orientation!r} is not 1 to 8.", field=field)
    for value in (exif.get(DATE_TIME), exif.get_ifd(EXIF_IFD).get(DATE_TIME_ORIGINAL)):
        if value is not None and not _exif_date(value):
            raise Invalid(f"The image's EXIF date {str(value)[:40]!r} is not a date.", field=field)
    gps = exif.get_ifd(GPS_IFD)
    for tag, limit in ((GPS_LATITUDE, 90), (GPS_LONGITUDE, 180)):
        if tag in gps and not _degrees_within(gps[tag], limit):
            raise Invalid(f"The image's EXIF GPS position {gps[tag]!r} is not on Earth.", field=field)


def _exif_date(value: object) -> bool:
    text = str(value).strip("\x00 ")
    if text.strip(": 0") == "":
        return True  # the standard's way of saying the camera's clock was never set
    try:
        datetime.strptime(text, "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return False
    return True


def _degrees_within(value: object, limit: float) -> bool:
    try:
        degrees, minutes, seconds = (float(part) for part in value)
    except (TypeError, ValueError, ZeroDivisionError):
        return False
    return 0 <= minutes < 60 and 0 <= seconds < 60 and 0 <= degrees + minutes / 60 + seconds / 3600 <= limit


@dataclass(frozen=True)
class ExifFacts:
    """What a photo's EXIF says about when and where it was taken (GPS in WGS-84, as EXIF defines it)."""

    taken_at: datetime | None
    local_time: bool
    lat: float | None
    lon: float | None
    present: bool


_EXIF_IFD, _GPS_IFD = 0x8769, 0x8825
_DATETIME_ORIGINAL, _OFFSET_TIME_ORIGINAL, _DATETIME = 0x9003, 0x9011, 0x0132


def read_exif(path: str | Path) -> ExifFacts:
    """Read the capture time and GPS position of an image already accepted by `inspect_image`."""
    _register_heif()
    with Image.open(path, formats=tuple(CONTENT_TYPES)) as image:
        exif = image.getexif()
        details, gps = dict(exif.get_ifd(_EXIF_IFD)), dict(exif.get_ifd(_GPS_IFD))
    taken_at, local = _capture_time(details.get(_DATETIME_ORIGINAL) or exif.get(_DATETIME),
                                    details.get(_OFFSET_TIME_ORIGINAL))
    lat, lon = _gps_degrees(gps.get(2), gps.get(1), "S"), _gps_degrees(gps.get(4), gps.get(3), "W")
    if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180) or (lat, lon) == (0, 0):
        lat = lon = None
    return ExifFacts(taken_at, local, lat, lon, present=len(exif) > 0)


def _capture_time(value: object, offset: object) -> tuple[datetime | None, bool]:
    """EXIF time is local wall time; with OffsetTimeOriginal it is an instant, without it the caller picks the zone."""
    if not isinstance(value, str):
        return None, False
    try:
        wall = datetime.strptime(value.strip("\x00 ").strip(), "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None, False
    if isinstance(offset, str):
        try:
            return datetime.strptime(f"{wall.isoformat()}{offset.strip()}", "%Y-%m-%dT%H:%M:%S%z"), False
        except ValueError:
            pass
    return wall, True


def _gps_degrees(value: object, ref: object, negative: str) -> float | None:
    try:
        degrees, minutes, seconds = (float(part) for part in value)  # type: ignore[union-attr]
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    result = degrees + minutes / 60 + seconds / 3600
    if not all(map(math.isfinite, (degrees, minutes, seconds))):
        return None
    return -result if isinstance(ref, str) and ref.strip().upper() == negative else result


def thumbnail(path: str | Path, *, max_side: int = 320) -> bytes:
    """A small JPEG of the image, upright and without metadata."""
    _register_heif()
    with Image.open(path, formats=tuple(CONTENT_TYPES)) as image:
        if image.format == "JPEG":
            # Decode at 1/2, 1/4 or 1/8 scale (the DCT does it for free), still at least max_side a side.
            image.draft("RGB", (max_side, max_side))
        return _thumbnail_of(image, max_side)


def _thumbnail_of(image: Image.Image, max_side: int) -> bytes:
    small = ImageOps.exif_transpose(image)
    small.thumbnail((max_side, max_side))
    buffer = io.BytesIO()
    small.convert("RGB").save(buffer, format="JPEG", quality=80)
    return buffer.getvalue()


def without_metadata(path: str | Path) -> tuple[bytes, str]:
    """The image without EXIF (JPEG stays JPEG, PNG stays PNG, HEIC becomes JPEG), and its type.

    An upright JPEG loses its metadata segments losslessly, without decoding (a 12-megapixel photo
    costs milliseconds instead of a decode and a re-encode); any other image is re-encoded upright.
    """
    _register_heif()
    with Image.open(path, formats=tuple(CONTENT_TYPES)) as image:
        if image.format == "JPEG" and image.getexif().get(ORIENTATION, 1) == 1:
            stripped = jpeg_without_metadata(Path(path).read_bytes())
            if stripped is not None:
                return stripped, "image/jpeg"
        upright = ImageOps.exif_transpose(image)
        buffer = io.BytesIO()
        if image.format == "PNG":
            upright.save(buffer, format="PNG")
            return buffer.getvalue(), "image/png"
        upright.convert("RGB").save(buffer, format="JPEG", quality=92)
    return buffer.getvalue(), "image/jpeg"


_SOI, _EOI, _SOS, _COM = 0xD8, 0xD9, 0xDA, 0xFE
_STANDALONE = frozenset({0x01, *range(0xD0, 0xD8)})  # TEM and RSTn carry no length
# A marker inside entropy-coded data: 0xFF then neither a stuffed 0x00, a restart 0xD0-0xD7 nor a fill 0xFF.
_NEXT_MARKER = re.compile(rb"\xff(?=[^\x00\xd0-\xd7\xff])")


def _kept_segment(marker: int, payload: bytes) -> bool:
    """Image data and the segments needed to show it right; no APPn metadata (EXIF, XMP, IPTC, MPF) or comments."""
    if marker == 0xE0:
        return payload.startswith(b"JFIF\0")
    if marker == 0xE2:
        return payload.startswith(b"ICC_PROFILE\0")
    if marker == 0xEE:
        return payload.startswith(b"Adobe")  # its colour transform flag decides how the pixels decode
    return not (0xE0 <= marker <= 0xEF or marker == _COM)


def jpeg_without_metadata(data: bytes) -> bytes | None:
    """The JPEG with its metadata segments dropped and nothing after its end marker; None if it does not parse."""
    if data[:2] != b"\xff\xd8":
        return None
    out, i, n = [b"\xff\xd8"], 2, len(data)
    while i < n:
        if data[i] != 0xFF:
            return None
        while i < n and data[i] == 0xFF:  # fill bytes
            i += 1
        if i >= n:
            return None
        marker = data[i]
        i += 1
        if marker == _EOI:
            out.append(b"\xff\xd9")
            return b"".join(out)
        if marker in _STANDALONE:
            out.append(bytes((0xFF, marker)))
            continue
        if i + 2 > n:
            return None
        length = int.from_bytes(data[i:i + 2], "big")
        if length < 2 or i + length > n:
            return None
        payload = data[i + 2:i + length]
        end = i + length
        if marker == _SOS:
            # Entropy-coded data runs to the next marker that is neither a stuffed 0xFF00 nor a restart.
            found = _NEXT_MARKER.search(data, end)
            if found is None:
                return None
            out.append(data[i - 2:found.start()])
            i = found.start()
            continue
        if _kept_segment(marker, payload):
            out.append(data[i - 2:end])
        i = end
    return None
