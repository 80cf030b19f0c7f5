"""Incident history: import with a column mapping (the data-migration check implementation teams
need): rows of an export turned into ticket records, with data-quality findings per row.

Formats: CSV (UTF-8, UTF-8-BOM, GBK/GB18030, detected), XLSX, JSON (a list of objects) and JSONL
(read by :mod:`assistant.ingest.tables`). A mapping (:class:`assistant.support.models.Mapping`)
names the fields.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from assistant.support.models import FIELDS, KNOWN_PRIORITIES, REQUIRED, STATE_OF, Finding

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
        if rec["status"] and rec["status"].strip().lower() not in STATE_OF:
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
