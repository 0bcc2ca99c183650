"""Only real images pass: decoded by Pillow (JPEG, PNG, HEIC) within a pixel limit; names are not trusted."""

from __future__ import annotations

import functools
import struct
import warnings
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from PIL import Image, UnidentifiedImageError

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
    _register_heif()
    formats = tuple(CONTENT_TYPES)
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
                    image.draft("RGB", (max(1, facts.width // 8), max(1, facts.height // 8)))
                image.load()
                _check_exif(_read_exif(image, field), field)
    except UnidentifiedImageError:
        raise UnsupportedMediaType(f"The file is not a {ACCEPTED} image.",
                                   errors={field: [f"Not a {ACCEPTED} image."]}) from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise Invalid(f"The image has more than {max_pixels} pixels.", field=field) from None
    except (OSError, SyntaxError, ValueError, EOFError) as error:
        raise Invalid(f"The image is truncated or corrupt ({error}).", field=field) from None
    return facts


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
