"""Uploaded files (HTTP API and web UI): safe names, size and type limits, and an all-or-nothing store."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import time
import unicodedata
from pathlib import Path

from assistant.errors import InvalidInput, TooLarge, UnsupportedFormat
from assistant.ingest.loaders import LOADERS
from assistant.settings import MB, mb_text

_UNSAFE = re.compile(r"[\x00-\x1f\x7f<>:\"|?*]")


def sanitize_filename(name: str | None) -> str:
    """Keep only the last path component, drop control and reserved characters; never '..'."""
    base = unicodedata.normalize("NFC", (name or "").replace("\\", "/").split("/")[-1])
    base = _UNSAFE.sub("_", base).strip().lstrip(".")
    if not base or base in {".", ".."}:
        raise InvalidInput("the uploaded file has no usable name")
    stem, dot, ext = base.rpartition(".")
    if dot and len(base) > 150:
        base = stem[: 150 - len(ext) - 1] + "." + ext
    return base[:150]


#: what a table upload (a legacy export, a rules file) may be
TABLE_SUFFIXES = frozenset(
    {".csv", ".tsv", ".txt", ".xlsx", ".xlsm", ".xls", ".ods", ".yaml", ".yml", ".json"}
)


def check_upload(name: str | None, size: int, max_mb: float, allowed: frozenset[str] | None = None) -> str:
    """The sanitised name of an acceptable upload, or a clear error (type or size); ``allowed``:
    the suffixes accepted (default: the document loaders')."""
    safe = sanitize_filename(name)
    ext = Path(safe).suffix.lower()
    accepted = allowed if allowed is not None else frozenset(LOADERS)
    if ext not in accepted:
        raise UnsupportedFormat(
            f"unsupported file type {ext or '(none)'!r}; supported: {', '.join(sorted(accepted))}"
        )
    if size > max_mb * 1024 * 1024:
        raise TooLarge(f"the upload ({mb_text(size)} MB) is over the {mb_text(max_mb * MB)} MB limit")
    return safe


class StoredUpload:
    """Writes an upload into its folder atomically and can put the previous file back."""

    def __init__(self, folder: Path, name: str, data: bytes) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.target = folder / name
        self.previous = self.target.read_bytes() if self.target.exists() else None
        tmp = folder / f".{name}.part"
        tmp.write_bytes(data)
        tmp.replace(self.target)

    def roll_back(self) -> None:
        if self.previous is None:
            self.target.unlink(missing_ok=True)
        else:
            self.target.write_bytes(self.previous)


# scratch copies of uploaded exports (web UI) not used for this long are removed by the next save
SCRATCH_TTL_SECONDS = 24 * 3600
_SCRATCH_PREFIX = "upload-"


def save_scratch_copy(root: Path, name: str | None, data: bytes, ttl: float = SCRATCH_TTL_SECONDS) -> Path:
    """Save an uploaded export in a folder of its own under ``root`` for readers that go by suffix.

    Scratch folders nobody has used for ``ttl`` seconds (see :func:`touch_scratch_copy`) are removed
    first: a browser session that ends without signing out leaves its copy behind.

    Args:
        root: the folder that holds the scratch folders (created if missing).
        name: the uploaded file's name; only a sanitised last component is kept.
        data: the file's bytes.
        ttl: seconds after the last use at which a scratch folder may be removed.

    Returns:
        The saved file.

    Raises:
        InvalidInput: the name has nothing usable left.
    """
    safe = sanitize_filename(name)
    root.mkdir(parents=True, exist_ok=True)
    cutoff = time.time() - ttl
    for old in root.glob(f"{_SCRATCH_PREFIX}*"):
        try:
            if old.is_dir() and old.stat().st_mtime < cutoff:
                shutil.rmtree(old, ignore_errors=True)
        except OSError:  # another session removed it first
            continue
    path = Path(tempfile.mkdtemp(prefix=_SCRATCH_PREFIX, dir=root)) / safe
    path.write_bytes(data)
    return path


def touch_scratch_copy(path: Path) -> bool:
    """Mark a scratch copy as in use (its folder's age restarts); False when it is gone."""
    try:
        os.utime(path.parent)
    except OSError:
        return False
    return path.exists()
