"""Incident history: import with a column mapping (the data-migration check implementation teams
need), the ticket lifecycle, and indexing incidents for hybrid search.

Formats: CSV (UTF-8, UTF-8-BOM, GBK/GB18030, detected), XLSX, JSON (a list of objects) and JSONL.
A mapping names the fields: ``id=Issue id,text=Summary+Description,category=Component`` (``+`` joins
columns, ``|`` lists alternatives: the first column present wins). Presets cover the usual exports
of Jira, Zendesk and ServiceNow.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from assistant.appdb import AppDB
from assistant.errors import InvalidInput, InvalidTransition, NotFound
from assistant.ingest.encoding import decode_bytes
from assistant.kbstore import now_iso

FIELDS = ("id", "text", "title", "category", "priority", "status", "resolution", "created")
REQUIRED = ("id", "text")

PRESETS: dict[str, str] = {
    "jira": "id=Issue key|Issue id,title=Summary,text=Summary+Description,category=Component/s|Component|Issue Type,"
    "priority=Priority,status=Status,resolution=Resolution,created=Created",
    "zendesk": "id=Id|Ticket ID|id,title=Subject|subject,text=Subject+Description|subject+description,"
    "category=Group|Type|type,priority=Priority|priority,status=Status|status,created=Created at|Requested|created_at",
    "servicenow": "id=number|Number,title=short_description|Short description,"
    "text=short_description+description|Short description+Description,category=category|Category,"
    "priority=priority|Priority,status=state|State,resolution=close_notes|Resolution notes,created=opened_at|Opened",
}

#: lifecycle of a ticket in the assistant (closed loop), and the legal moves
STATES = ("new", "analysing", "resolved", "reviewed")
TRANSITIONS = {
    "new": {"analysing", "resolved"},
    "analysing": {"resolved", "new"},
    "resolved": {"reviewed", "analysing"},
    "reviewed": set(),
}
_STATE_OF = {
    "open": "new",
    "new": "new",
    "reopened": "new",
    "to do": "new",
    "todo": "new",
    "新建": "new",
    "待处理": "new",
    "in progress": "analysing",
    "patch available": "analysing",
    "pending": "analysing",
    "on hold": "analysing",
    "analysing": "analysing",
    "处理中": "analysing",
    "分析中": "analysing",
    "resolved": "resolved",
    "closed": "resolved",
    "done": "resolved",
    "solved": "resolved",
    "fixed": "resolved",
    "已解决": "resolved",
    "已关闭": "resolved",
    "reviewed": "reviewed",
    "已复核": "reviewed",
}
KNOWN_PRIORITIES = {
    "blocker",
    "critical",
    "major",
    "minor",
    "trivial",
    "highest",
    "high",
    "medium",
    "normal",
    "low",
    "lowest",
    "urgent",
    "p1",
    "p2",
    "p3",
    "p4",
    "p5",
    "1",
    "2",
    "3",
    "4",
    "5",
    "1 - critical",
    "2 - high",
    "3 - moderate",
    "4 - low",
    "5 - planning",
    "紧急",
    "高",
    "中",
    "低",
    "一般",
    "严重",
    "致命",
}
_DATE_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y/%m/%d",
    "%d/%b/%y %H:%M",
    "%d/%b/%Y %H:%M",
    "%d/%m/%Y %H:%M",
    "%d/%m/%Y",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y",
    "%Y年%m月%d日 %H:%M",
    "%Y年%m月%d日",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%dT%H:%M:%SZ",
    "%Y-%m-%dT%H:%M:%S.%fZ",
)
_MOJIBAKE = re.compile(r"\ufffd|锟斤拷|Ã[\x80-\xbf]|â€|Â\s|ï¿½|�")


@dataclass
class Mapping:
    fields: dict[str, list[list[str]]]  # field -> alternatives, each a list of columns to join

    @classmethod
    def parse(cls, spec: str | None, preset: str | None = None) -> Mapping:
        """Parse ``field=Col+Col2|Alt,field2=...``; a preset fills what the spec leaves out."""
        if not spec and not preset:
            raise InvalidInput(
                "give a column mapping (--map 'id=Issue id,text=Summary+Description') or --preset jira|zendesk|servicenow"
            )
        merged: dict[str, str] = {}
        if preset:
            if preset.lower() not in PRESETS:
                raise InvalidInput(f"unknown preset {preset!r}; use one of: {', '.join(PRESETS)}")
            merged.update(_split_spec(PRESETS[preset.lower()]))
        if spec:
            merged.update(_split_spec(spec))
        missing = [f for f in REQUIRED if f not in merged]
        if missing:
            raise InvalidInput(
                f"the mapping needs {' and '.join(missing)} (e.g. id=Issue id,text=Summary+Description)"
            )
        return cls(
            {k: [[c.strip() for c in alt.split("+")] for alt in v.split("|")] for k, v in merged.items()}
        )

    @classmethod
    def of(cls, columns: dict[str, list[str]], preset: str | None = None) -> Mapping:
        """A mapping from chosen column lists (a form: column names may hold ',', '+' or '|');
        a preset fills the fields left out."""
        unknown = [f for f in columns if f not in FIELDS]
        if unknown:
            raise InvalidInput(f"unknown field {unknown[0]!r} in the mapping; fields: {', '.join(FIELDS)}")
        chosen = {k: [[c for c in cols]] for k, cols in columns.items() if cols}
        base = cls.parse(None, preset).fields if preset else {}
        merged = {**base, **chosen}
        missing = [f for f in REQUIRED if f not in merged]
        if missing:
            raise InvalidInput(f"the mapping needs {' and '.join(missing)}: choose the column(s) for them")
        return cls(merged)

    def resolve(self, columns: list[str]) -> dict[str, list[str]]:
        """Pick, per field, the first alternative whose columns all exist."""
        have = {c.strip(): c for c in columns}
        out: dict[str, list[str]] = {}
        for name, alternatives in self.fields.items():
            for alt in alternatives:
                if all(c in have for c in alt):
                    out[name] = [have[c] for c in alt]
                    break
            else:
                if name in REQUIRED:
                    wanted = " or ".join("+".join(a) for a in alternatives)
                    raise InvalidInput(
                        f"column(s) {wanted} for '{name}' not found; the file has: {', '.join(columns)}"
                    )
        return out


def _split_spec(spec: str) -> dict[str, str]:
    out = {}
    for part in spec.split(","):
        if not part.strip():
            continue
        if "=" not in part:
            raise InvalidInput(f"mapping entry {part.strip()!r} needs the form field=Column")
        key, value = part.split("=", 1)
        key = key.strip().lower()
        if key not in FIELDS:
            raise InvalidInput(f"unknown field {key!r} in the mapping; fields: {', '.join(FIELDS)}")
        if not value.strip():
            raise InvalidInput(f"mapping entry {key!r} names no column")
        out[key] = value.strip()
    return out


def read_rows(path: Path) -> tuple[list[str], list[dict[str, Any]]]:
    """Columns and rows of a CSV, XLSX, JSON or JSONL export."""
    if not path.is_file():
        raise NotFound(f"no such file: {path}")
    ext = path.suffix.lower()
    data = path.read_bytes()
    if not data.strip():
        raise InvalidInput(f"{path.name} is empty")
    if ext in (".csv", ".tsv", ".txt"):
        text, _ = decode_bytes(data)
        sample = text[:5000]
        delimiter = "\t" if ext == ".tsv" or sample.count("\t") > sample.count(",") else ","
        reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
        rows = [dict(r) for r in reader]
        return [c for c in (reader.fieldnames or [])], rows
    if ext == ".xlsx":
        import openpyxl

        try:
            wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as e:
            raise InvalidInput(f"{path.name} is not a readable XLSX file: {e}") from e
        ws = wb.worksheets[0]
        it = ws.iter_rows(values_only=True)
        header = [str(c).strip() if c is not None else "" for c in next(it, [])]
        rows = [{h: ("" if v is None else v) for h, v in zip(header, r, strict=False) if h} for r in it]
        return [h for h in header if h], [r for r in rows if any(str(v).strip() for v in r.values())]
    if ext in (".json", ".jsonl", ".ndjson"):
        text, _ = decode_bytes(data)
        try:
            if ext == ".json":
                items = json.loads(text)
                if isinstance(items, dict):
                    items = next((v for v in items.values() if isinstance(v, list)), None)
            else:
                items = [json.loads(line) for line in text.splitlines() if line.strip()]
        except json.JSONDecodeError as e:
            raise InvalidInput(f"{path.name} is not valid JSON: {e}") from e
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise InvalidInput(f"{path.name} must hold a list of objects")
        columns: list[str] = []
        for i in items:
            for k in i:
                if k not in columns:
                    columns.append(k)
        return columns, items
    raise InvalidInput(f"unsupported ticket file {ext!r}; use .csv, .xlsx, .json or .jsonl")


def parse_date(value: Any) -> str | None:
    if isinstance(value, datetime):
        return value.replace(microsecond=0).isoformat()
    text = str(value or "").strip()
    if not text:
        return None
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).replace(microsecond=0).isoformat()
        except ValueError:
            continue
    raise ValueError(text)


@dataclass
class Finding:
    row: int  # 1-based data row (the header is row 0)
    kind: str  # duplicate_id, duplicate_text, missing_field, bad_date, unknown_label, encoding_damage
    severity: str  # error (row skipped) or warning (row imported)
    message: str


@dataclass
class ImportReport:
    kb: str
    rows: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    findings: list[Finding] = field(default_factory=list)
    indexed: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "kb": self.kb,
            "rows": self.rows,
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "skipped": self.skipped,
            "indexed": self.indexed,
            "findings": [f.__dict__ for f in self.findings],
            "summary": {
                k: sum(1 for f in self.findings if f.kind == k)
                for k in sorted({f.kind for f in self.findings})
            },
        }


def _cell(row: dict[str, Any], cols: list[str] | None) -> str:
    if not cols:
        return ""
    parts = ["" if row.get(c) is None else str(row.get(c)).strip() for c in cols]
    return "\n\n".join(p for p in parts if p)


def validate_rows(
    rows: list[dict[str, Any]], mapping: dict[str, list[str]]
) -> tuple[list[dict[str, Any]], list[Finding]]:
    """Turn export rows into ticket records and the data-quality findings, with row numbers."""
    findings: list[Finding] = []
    good: list[dict[str, Any]] = []
    seen_ids: dict[str, int] = {}
    seen_text: dict[str, int] = {}
    for n, row in enumerate(rows, 1):
        rec: dict[str, Any] = {f: _cell(row, mapping.get(f)) for f in FIELDS}
        missing = [f for f in REQUIRED if not rec[f]]
        if missing:
            findings.append(
                Finding(n, "missing_field", "error", f"row {n}: no {' and no '.join(missing)}; skipped")
            )
            continue
        if _MOJIBAKE.search(rec["text"]) or _MOJIBAKE.search(rec["title"]):
            findings.append(
                Finding(
                    n,
                    "encoding_damage",
                    "error",
                    f"row {n} (id {rec['id']}): garbled characters (wrong encoding when exported); skipped",
                )
            )
            continue
        if rec["id"] in seen_ids:
            findings.append(
                Finding(
                    n,
                    "duplicate_id",
                    "error",
                    f"row {n}: id {rec['id']} already used in row {seen_ids[rec['id']]}; skipped",
                )
            )
            continue
        seen_ids[rec["id"]] = n
        norm = re.sub(r"\s+", " ", rec["text"]).strip().lower()
        if norm in seen_text:
            findings.append(
                Finding(
                    n,
                    "duplicate_text",
                    "warning",
                    f"row {n} (id {rec['id']}): same text as row {seen_text[norm]}; imported",
                )
            )
        else:
            seen_text[norm] = n
        if rec["created"]:
            try:
                rec["created"] = parse_date(rec["created"])
            except ValueError:
                findings.append(
                    Finding(
                        n,
                        "bad_date",
                        "warning",
                        f"row {n} (id {rec['id']}): date {rec['created']!r} not understood; left empty",
                    )
                )
                rec["created"] = None
        if rec["priority"] and rec["priority"].strip().lower() not in KNOWN_PRIORITIES:
            findings.append(
                Finding(
                    n,
                    "unknown_label",
                    "warning",
                    f"row {n} (id {rec['id']}): priority {rec['priority']!r} is not a known priority",
                )
            )
        if rec["status"] and rec["status"].strip().lower() not in _STATE_OF:
            findings.append(
                Finding(
                    n,
                    "unknown_label",
                    "warning",
                    f"row {n} (id {rec['id']}): status {rec['status']!r} is not a known status",
                )
            )
        rec["title"] = rec["title"] or rec["text"].split("\n")[0][:120]
        rec["row"] = n
        good.append(rec)
    return good, findings


def state_of(raw_status: str | None, resolution: str | None = None) -> str:
    state = _STATE_OF.get((raw_status or "").strip().lower())
    if state:
        return state
    return "resolved" if resolution else "new"


class TicketStore:
    def __init__(self, db: AppDB) -> None:
        self.db = db

    def upsert(
        self, kb: str, records: list[dict[str, Any]], source: str, report: ImportReport
    ) -> list[dict[str, Any]]:
        """Insert new tickets, update changed ones, leave unchanged ones alone; returns those to index."""
        changed = []
        now = now_iso()
        with self.db.transaction() as c:
            for rec in records:
                digest = hashlib.sha256(
                    json.dumps({f: rec.get(f) for f in FIELDS}, sort_keys=True).encode()
                ).hexdigest()
                old = c.execute(
                    "SELECT content_hash, status FROM tickets WHERE kb = ? AND id = ?", (kb, rec["id"])
                ).fetchone()
                state = state_of(rec["status"], rec["resolution"])
                if old is None:
                    c.execute(
                        "INSERT INTO tickets (id, kb, title, text, category, priority, status, resolution, source, "
                        "conversation_id, created_at, updated_at, extra, raw_status, created, content_hash) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, '{}', ?, ?, ?)",
                        (
                            rec["id"],
                            kb,
                            rec["title"],
                            rec["text"],
                            rec["category"] or None,
                            rec["priority"] or None,
                            state,
                            rec["resolution"] or None,
                            source,
                            now,
                            now,
                            rec["status"] or None,
                            rec["created"],
                            digest,
                        ),
                    )
                    report.added += 1
                    changed.append(rec)
                elif old["content_hash"] != digest:
                    c.execute(
                        "UPDATE tickets SET title = ?, text = ?, category = ?, priority = ?, status = ?, resolution = ?, "
                        "raw_status = ?, created = ?, content_hash = ?, updated_at = ? WHERE kb = ? AND id = ?",
                        (
                            rec["title"],
                            rec["text"],
                            rec["category"] or None,
                            rec["priority"] or None,
                            state,
                            rec["resolution"] or None,
                            rec["status"] or None,
                            rec["created"],
                            digest,
                            now,
                            kb,
                            rec["id"],
                        ),
                    )
                    report.updated += 1
                    changed.append(rec)
                else:
                    report.unchanged += 1
        return changed

    def get(self, kb: str, ticket_id: str) -> dict[str, Any]:
        row = self.db.conn.execute(
            "SELECT * FROM tickets WHERE kb = ? AND id = ?", (kb, ticket_id)
        ).fetchone()
        if row is None:
            raise NotFound(f"ticket {ticket_id!r} does not exist in knowledge base {kb!r}")
        return dict(row)

    def all(self, kb: str) -> list[dict[str, Any]]:
        return [
            dict(r)
            for r in self.db.conn.execute("SELECT * FROM tickets WHERE kb = ? ORDER BY created, id", (kb,))
        ]

    def set_status(
        self, kb: str, ticket_id: str, status: str, resolution: str | None = None
    ) -> dict[str, Any]:
        """Move a ticket through new -> analysing -> resolved -> reviewed (resolving needs a resolution)."""
        if status not in STATES:
            raise InvalidInput(f"unknown status {status!r}; use one of: {', '.join(STATES)}")
        with self.db.transaction() as c:
            row = c.execute(
                "SELECT status, resolution FROM tickets WHERE kb = ? AND id = ?", (kb, ticket_id)
            ).fetchone()
            if row is None:
                raise NotFound(f"ticket {ticket_id!r} does not exist in knowledge base {kb!r}")
            legal = TRANSITIONS[row["status"]]
            if status not in legal:
                allowed = ", ".join(sorted(legal)) or "none (final state)"
                raise InvalidTransition(f"ticket {ticket_id} is {row['status']}; it can move to: {allowed}")
            final_resolution = (resolution or "").strip() or row["resolution"]
            if status == "resolved" and not final_resolution:
                raise InvalidInput("a resolved ticket needs a resolution (--resolution TEXT)")
            c.execute(
                "UPDATE tickets SET status = ?, resolution = ?, updated_at = ? WHERE kb = ? AND id = ?",
                (status, final_resolution, now_iso(), kb, ticket_id),
            )
        return self.get(kb, ticket_id)
