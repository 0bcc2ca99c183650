"""File names sent with an upload: never used to store anything, but a name no phone sends is refused."""

from __future__ import annotations

import unicodedata

from field_api.errors import Invalid

MAX_NAME = 255


def check_file_name(name: str | None, *, field: str = "file") -> None:
    """Refuse a file name with a path, a NUL or another control character, or over 255 characters."""
    if not name:
        return
    if (len(name) > MAX_NAME or "/" in name or "\\" in name or name.strip() in (".", "..")
            or ".." in name.strip().split(".")
            or any(unicodedata.category(c) == "Cc" for c in name)):
        raise Invalid("The file name must be a plain name: no path, no control characters, at most 255 characters.",
                      field=field)
