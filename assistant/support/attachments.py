"""Files attached to a ticket (a screenshot of the error, the exported order, a log): stored under
``<home>/attachments/<kb>/<ticket>/``, listed with the ticket, each addition in its audit trail.

A file is checked before anything is kept: its type by name and by its first bytes (a '.png' that
is not a PNG is refused), its size, and the ticket's count. It is written under a temporary name and
renamed; its row is added in the same step, and the file is removed again when the row fails."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
import unicodedata
from pathlib import Path
from typing import Any

from assistant.errors import InvalidInput, NotFound, TooLarge
from assistant.knowledge.store import kb_key, now_iso
from assistant.providers.database import AppDB, register_kb_records, register_schema
from assistant.support.models import ATTACHMENT_TYPES

register_schema(
    """
CREATE TABLE IF NOT EXISTS ticket_attachments (
    kb TEXT NOT NULL,
    id TEXT NOT NULL,
    name TEXT NOT NULL,
    size INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    added_at TEXT NOT NULL,
    added_by TEXT NOT NULL,
    PRIMARY KEY (kb, id, name)
);
"""
)
register_kb_records(("ticket_attachments", "kb = ?"))

#: what a ticket may carry, by extension, with the first bytes the file must start with (None: text)
KINDS: dict[str, tuple[bytes, ...] | None] = {
    ".png": (b"\x89PNG\r\n\x1a\n",),
    ".jpg": (b"\xff\xd8\xff",),
    ".jpeg": (b"\xff\xd8\xff",),
    ".gif": (b"GIF87a", b"GIF89a"),
    ".webp": (b"RIFF",),
    ".bmp": (b"BM",),
    ".pdf": (b"%PDF",),
    ".docx": (b"PK\x03\x04",),
    ".xlsx": (b"PK\x03\x04",),
    ".pptx": (b"PK\x03\x04",),
    ".zip": (b"PK\x03\x04",),
    ".xls": (b"\xd0\xcf\x11\xe0",),
    ".doc": (b"\xd0\xcf\x11\xe0",),
    ".txt": None,
    ".log": None,
    ".csv": None,
    ".json": None,
    ".xml": None,
}
MIME = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".bmp": "image/bmp",
    ".pdf": "application/pdf",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ".zip": "application/zip",
    ".xls": "application/vnd.ms-excel",
    ".doc": "application/msword",
    ".txt": "text/plain",
    ".log": "text/plain",
    ".csv": "text/csv",
    ".json": "application/json",
    ".xml": "application/xml",
}
MAX_NAME_BYTES = 200
assert set(KINDS) == {f".{k}" for k in ATTACHMENT_TYPES}


def safe_name(name: str) -> str:
    """The file name without folders, control characters or characters file systems refuse."""
    base = unicodedata.normalize("NFC", os.path.basename(str(name).replace("\\", "/"))).strip()
    base = re.sub(r'[\x00-\x1f<>:"/\\|?*]', "_", base).strip(" .")
    if not base:
        raise InvalidInput("the attachment has no file name")
    stem, ext = os.path.splitext(base)
    # file systems count bytes (255 on ext4): a Chinese character is three; room is left for " (n)"
    while len((stem + ext).encode("utf-8")) > MAX_NAME_BYTES:
        stem = stem[:-1]
    return stem + ext.lower()


def check_content(name: str, data: bytes) -> str:
    """The extension of an acceptable attachment.

    Raises:
        InvalidInput: a type tickets do not take, empty content, or content that is not what its
            name says.
    """
    ext = os.path.splitext(name)[1].lower()
    if ext not in KINDS:
        raise InvalidInput(
            f"{name}: tickets take {', '.join(k.lstrip('.') for k in KINDS)} files, not {ext or 'files without a type'}"
        )
    if not data:
        raise InvalidInput(f"{name} is empty")
    magic = KINDS[ext]
    if magic is not None and not any(data.startswith(m) for m in magic):
        raise InvalidInput(f"{name} is not a {ext.lstrip('.').upper()} file (its content says otherwise)")
    if magic is None and b"\x00" in data[:4096]:
        raise InvalidInput(f"{name} is not a text file")
    return ext


class Attachments:
    """The files of tickets, per knowledge base."""

    def __init__(self, db: AppDB, root: Path, max_mb: float = 10, max_files: int = 10) -> None:
        self.db = db
        self.root = root
        self.max_bytes = int(max_mb * 1024 * 1024)
        self.max_files = max_files

    def _folder(self, kb: str, ticket_id: str) -> Path:
        digest = hashlib.sha1(ticket_id.encode("utf-8")).hexdigest()[:12]
        return self.root / kb_key(kb) / digest

    def list(self, kb: str, ticket_id: str) -> list[dict[str, Any]]:
        rows = self.db.conn.execute(
            "SELECT name, size, added_at, added_by FROM ticket_attachments WHERE kb = ? AND id = ? "
            "ORDER BY added_at, rowid",
            (kb, ticket_id),
        ).fetchall()
        out = []
        for r in rows:
            item = dict(r)
            item["mime"] = MIME.get(os.path.splitext(item["name"])[1].lower(), "application/octet-stream")
            out.append(item)
        return out

    def check(self, name: str, data: bytes) -> str:
        """The cleaned name of an acceptable file (before any ticket is touched).

        Raises:
            TooLarge: over the size limit.
            InvalidInput: a bad name or type.
        """
        name = safe_name(name)
        if len(data) > self.max_bytes:
            raise TooLarge(f"{name} is over the {self.max_bytes // (1024 * 1024)} MB limit for an attachment")
        check_content(name, data)
        return name

    def store(self, c: Any, kb: str, ticket_id: str, name: str, data: bytes, actor: str) -> dict[str, Any]:
        """Keep one checked file of a ticket inside the caller's transaction *c*; a second file of
        the same name is numbered, 'screenshot (2).png'. The file is removed again if the
        transaction fails afterwards is the caller's part (see TicketWork.attach).

        Raises:
            InvalidInput: the ticket already holds the most files allowed.
        """
        folder = self._folder(kb, ticket_id)
        folder.mkdir(parents=True, exist_ok=True)
        taken = {
            r[0]
            for r in c.execute("SELECT name FROM ticket_attachments WHERE kb = ? AND id = ?", (kb, ticket_id))
        }
        if len(taken) >= self.max_files:
            raise InvalidInput(f"ticket {ticket_id} already has {len(taken)} attachments (the most allowed)")
        stem, ext = os.path.splitext(name)
        final, n = name, 2
        while final in taken:
            final, n = f"{stem} ({n}){ext}", n + 1
        c.execute(
            "INSERT INTO ticket_attachments (kb, id, name, size, sha256, added_at, added_by) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (kb, ticket_id, final, len(data), hashlib.sha256(data).hexdigest(), now_iso(), actor),
        )
        fd, tmp = tempfile.mkstemp(prefix=".part-", dir=folder)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, folder / final)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return {"name": final, "size": len(data), "mime": MIME[ext.lower()]}

    def discard(self, kb: str, ticket_id: str, name: str) -> None:
        """Remove a file whose row was rolled back."""
        (self._folder(kb, ticket_id) / name).unlink(missing_ok=True)

    def read(self, kb: str, ticket_id: str, name: str) -> tuple[bytes, str]:
        """The bytes of one attachment and its media type."""
        row = self.db.conn.execute(
            "SELECT name FROM ticket_attachments WHERE kb = ? AND id = ? AND name = ?", (kb, ticket_id, name)
        ).fetchone()
        path = self._folder(kb, ticket_id) / name
        if row is None or not path.is_file():
            raise NotFound(f"ticket {ticket_id} has no attachment {name!r}")
        return path.read_bytes(), MIME.get(os.path.splitext(name)[1].lower(), "application/octet-stream")

    def purge(self, kb: str) -> None:
        """The files of a deleted knowledge base (its rows go with the knowledge base's records)."""
        shutil.rmtree(self.root / kb_key(kb), ignore_errors=True)
