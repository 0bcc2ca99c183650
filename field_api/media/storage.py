"""Content-addressed storage: each file lives at sha256/ab/cd/<hash>, written through a temp file, fsync and rename.

A crash leaves at most a stray temp file, never a half-written stored file, and storing the same
bytes twice is a no-op.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import BinaryIO

from field_api.errors import PayloadTooLarge

CHUNK = 1024 * 1024
TEMP_MAX_AGE = timedelta(hours=1)


@dataclass(frozen=True)
class StoredFile:
    """A file in the store, named by its content."""

    sha256: str
    size: int
    path: Path


@dataclass
class Incoming:
    """Received bytes waiting in a temp file until they are kept or discarded."""

    path: Path
    sha256: str
    size: int
    kept: StoredFile | None = field(default=None)


class MediaStore:
    """A folder of files named by their SHA-256."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def path_of(self, sha256: str) -> Path:
        """Where the file with this hash lives (whether or not it exists)."""
        if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
            raise ValueError(f"not a SHA-256 hex digest: {sha256!r}")
        return self.root / "sha256" / sha256[:2] / sha256[2:4] / sha256

    def exists(self, sha256: str) -> bool:
        """Whether the file with this hash is stored."""
        return self.path_of(sha256).is_file()

    def open(self, sha256: str) -> BinaryIO:
        """Open a stored file for reading."""
        return self.path_of(sha256).open("rb")

    @contextmanager
    def receive(self, stream: BinaryIO, *, max_bytes: int, field: str = "file") -> Iterator[Incoming]:
        """Copy a stream into a temp file, hashing it; the temp file goes away unless `keep` moved it."""
        incoming = self._write_temp(stream, max_bytes=max_bytes, field=field)
        try:
            yield incoming
        finally:
            if incoming.kept is None:
                incoming.path.unlink(missing_ok=True)

    def keep(self, incoming: Incoming) -> StoredFile:
        """Move received bytes to their content address atomically; identical bytes already there win."""
        target = self.path_of(incoming.sha256)
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.is_file():
            incoming.path.unlink(missing_ok=True)
        else:
            os.replace(incoming.path, target)
            _fsync_dir(target.parent)
        incoming.kept = StoredFile(incoming.sha256, incoming.size, target)
        return incoming.kept

    def sweep_temp(self, *, older_than: datetime) -> int:
        """Delete temp files a crash left behind (older than any upload in progress); return how many."""
        swept = 0
        for path in (self.root / "tmp").glob("upload-*"):
            try:
                if path.stat().st_mtime < older_than.timestamp():
                    path.unlink()
                    swept += 1
            except FileNotFoundError:
                continue  # its upload finished meanwhile
        return swept

    def keep_bytes(self, data: bytes) -> StoredFile:
        """Store bytes made on the server (a thumbnail, a stripped copy) at their content address."""
        with self.receive(io.BytesIO(data), max_bytes=len(data)) as incoming:
            return self.keep(incoming)

    def _write_temp(self, stream: BinaryIO, *, max_bytes: int, field: str) -> Incoming:
        temp_dir = self.root / "tmp"
        temp_dir.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=temp_dir, prefix="upload-")
        digest, size = hashlib.sha256(), 0
        try:
            with os.fdopen(fd, "wb") as out:
                while chunk := stream.read(CHUNK):
                    size += len(chunk)
                    if size > max_bytes:
                        raise PayloadTooLarge(f"The file is over {max_bytes} bytes.",
                                              errors={field: [f"Over {max_bytes} bytes."]})
                    digest.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
        except BaseException:
            Path(name).unlink(missing_ok=True)
            raise
        return Incoming(Path(name), digest.hexdigest(), size)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def media_jobs(config) -> list[Callable]:
    """The worker's media job: sweep temp files that an interrupted upload left behind."""
    store = MediaStore(config["MEDIA_ROOT"])
    return [lambda session, now: store.sweep_temp(older_than=now - TEMP_MAX_AGE)]
