"""Uploaded files (HTTP API and web UI): safe names, size and type limits, and an all-or-nothing store."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from assistant.errors import InvalidInput, TooLarge, UnsupportedFormat
from assistant.ingest.loaders import LOADERS

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


def check_upload(name: str | None, size: int, max_mb: float) -> str:
    """The sanitised name of an acceptable upload, or a clear error (type or size)."""
    safe = sanitize_filename(name)
    ext = Path(safe).suffix.lower()
    if ext not in LOADERS:
        raise UnsupportedFormat(
            f"unsupported file type {ext or '(none)'!r}; supported: {', '.join(sorted(LOADERS))}"
        )
    if size > max_mb * 1024 * 1024:
        raise TooLarge(f"the upload is over the {max_mb:g} MB limit")
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
