"""Rows of a tabular export (CSV/TSV, XLSX, JSON, JSONL): the reader behind ticket imports,
labelled requirement sets and batch triage."""

from __future__ import annotations

import csv
import io
import json
import re
import sys
from pathlib import Path
from typing import Any

from assistant.errors import InvalidInput, NotFound
from assistant.ingest.encoding import decode_bytes

# real exports (Jira, GitHub, ServiceNow) carry cells far over the csv module's 128 KB default:
# a stack trace, a mail thread. Every CSV reader of the project goes through parse_csv.
csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
DELIMITERS = ",;\t|"


def sniff_delimiter(text: str) -> str:
    """The separator of a CSV text: comma, semicolon (European Excel), tab (Excel's "Unicode
    text") or pipe, judged on the header line (cells below it may hold any of them)."""
    first = re.sub(r'"[^"]*"', "", text[:20000].split("\n", 1)[0])
    counts = {d: first.count(d) for d in DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def parse_csv(text: str, delimiter: str | None = None) -> tuple[list[str], list[dict[str, Any]]]:
    """Columns and rows of a CSV text as exports write it: BOM, ``\r\n``, multi-line quoted cells,
    cells of any size, duplicate header names (the second ``Comment`` becomes ``Comment (2)``),
    empty trailing columns (dropped), rows longer than the header (extra cells get ``column N``)."""
    text = text.lstrip("\ufeff")
    delimiter = delimiter or sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header_row = next(reader, None)
    if header_row is None:
        return [], []
    body = [r for r in reader if r]  # blank lines are no rows (as csv.DictReader); ",," is one
    width = max([len(header_row), *(len(r) for r in body)])
    names: list[str] = []
    seen: dict[str, int] = {}
    for i in range(width):
        name = header_row[i].strip().lstrip("\ufeff") if i < len(header_row) else ""
        name = name or f"column {i + 1}"
        seen[name] = seen.get(name, 0) + 1
        names.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    unnamed = {i for i in range(width) if i >= len(header_row) or not header_row[i].strip()}
    empty = {i for i in unnamed if all(i >= len(r) or not r[i].strip() for r in body)}
    keep = [i for i in range(width) if i not in empty]
    rows = [{names[i]: (r[i].replace("\r\n", "\n") if i < len(r) else "") for i in keep} for r in body]
    return [names[i] for i in keep], rows


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
        return parse_csv(text, "\t" if ext == ".tsv" else None)
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
