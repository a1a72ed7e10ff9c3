"""A content-addressed blob store for uploaded files, under the instance folder.

A blob lives at ``<uploads>/ab/cd/<sha256>``: its name is the hash of its
content, never anything the uploader chose, so no filename can reach the
file system and identical uploads are stored once. An upload is streamed
to a temporary file in ``<uploads>/tmp`` (same file system, so the final
rename is atomic) while it is hashed and counted; past the size limit the
temporary file is deleted and ``UploadTooLarge`` raised, leaving nothing
behind.
"""

import contextlib
import hashlib
import os
import re
import tempfile
from dataclasses import dataclass, field

from flask import current_app

from cop import unavailable

CHUNK = 64 * 1024
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class UploadTooLarge(Exception):
    """The upload is larger than ``MAX_UPLOAD_MB`` (views answer 413)."""


@contextlib.contextmanager
def _full_or_read_only_is_unavailable():
    """A full or read-only upload store raises ``cop.errors.Unavailable`` (503, "try again"), not OSError."""
    try:
        yield
    except OSError as exc:
        replacement = unavailable.storage_unavailable(exc)
        if replacement is None:
            raise
        raise replacement from exc


def uploads_root() -> str:
    """``UPLOAD_FOLDER`` if configured, else ``<instance>/uploads``."""
    return current_app.config.get("UPLOAD_FOLDER") or os.path.join(current_app.instance_path, "uploads")


def max_upload_bytes() -> int:
    return int(current_app.config["MAX_UPLOAD_MB"]) * 1024 * 1024


def blob_path(sha256: str) -> str:
    """Where the blob with this hash is (or would be) stored.

    :raise ValueError: if ``sha256`` is not 64 lowercase hex digits (it is
        only ever a hash we computed, but a path is never built from anything else).
    """
    if not _SHA256.match(sha256 or ""):
        raise ValueError("not a sha256 hex digest")
    return os.path.join(uploads_root(), sha256[:2], sha256[2:4], sha256)


@dataclass
class PendingBlob:
    """An upload received into a temporary file, not yet in the store.

    Use it as a context manager: call ``keep()`` to move it into place;
    leaving the block without keeping it (a refused type, an error) deletes
    the temporary file.
    """

    temp_path: str
    sha256: str
    size: int
    kept: bool = field(default=False)

    def head(self, count: int = 8192) -> bytes:
        with open(self.temp_path, "rb") as handle:
            return handle.read(count)

    def keep(self) -> str:
        """Move the blob to its content address (a no-op copy when it is already stored); return its path."""
        target = blob_path(self.sha256)
        with _full_or_read_only_is_unavailable():
            os.makedirs(os.path.dirname(target), exist_ok=True)
            if os.path.exists(target):
                os.unlink(self.temp_path)
            else:
                os.chmod(self.temp_path, 0o640)
                os.replace(self.temp_path, target)
        self.kept = True
        return target

    def discard(self) -> None:
        if not self.kept:
            try:
                os.unlink(self.temp_path)
            except FileNotFoundError:
                pass

    def __enter__(self) -> "PendingBlob":
        return self

    def __exit__(self, *exc_info) -> None:
        self.discard()


def receive(stream, max_bytes: int | None = None) -> PendingBlob:
    """Copy ``stream`` into a temporary file in the store, hashing and counting it.

    :raise UploadTooLarge: past ``max_bytes`` (default: ``MAX_UPLOAD_MB``);
        the partial temporary file is removed first.
    """
    limit = max_upload_bytes() if max_bytes is None else max_bytes
    temp_dir = os.path.join(uploads_root(), "tmp")
    with _full_or_read_only_is_unavailable():
        os.makedirs(temp_dir, exist_ok=True)
        fd, temp_path = tempfile.mkstemp(dir=temp_dir, prefix="upload-")
    digest = hashlib.sha256()
    size = 0
    try:
        with _full_or_read_only_is_unavailable(), os.fdopen(fd, "wb") as out:
            while chunk := stream.read(CHUNK):
                size += len(chunk)
                if size > limit:
                    raise UploadTooLarge(f"larger than {limit} bytes")
                digest.update(chunk)
                out.write(chunk)
    except BaseException:
        os.unlink(temp_path)
        raise
    return PendingBlob(temp_path=temp_path, sha256=digest.hexdigest(), size=size)


def exists(sha256: str) -> bool:
    return os.path.isfile(blob_path(sha256))
