"""Rows of a tabular export (CSV/TSV, XLSX, JSON, JSONL): the reader behind ticket imports,
labelled requirement sets and batch triage."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from assistant.errors import InvalidInput, NotFound
from assistant.ingest.encoding import decode_bytes


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
