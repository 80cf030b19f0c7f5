"""A legacy export as one normalised table: any CSV encoding (UTF-8, GBK/GB18030, UTF-16) or an
XLSX sheet, streamed into a UTF-8 CSV with unique column names that DuckDB then reads. Structural
problems (ragged rows, empty or duplicate column names) become findings, never silent changes."""

from __future__ import annotations

import codecs
import csv
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.errors import AssistantError, InvalidInput, NotFound
from assistant.ingest.encoding import decode_bytes
from assistant.ingest.tables import sniff_delimiter

PREFIX_BYTES = 1 << 20  # what the encoding and the separator are judged on
TEXT_SUFFIXES = {".csv", ".tsv", ".txt"}
SHEET_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".ods"}


@dataclass
class Table:
    """The normalised copy of an export: ``csv_path`` holds a header and ``rows`` data rows."""

    source: str
    csv_path: Path
    columns: list[str]
    rows: int
    encoding: str
    sheet: str | None = None
    #: structural findings: {"row", "column", "value", "rule", "severity", "suggestion"}
    findings: list[dict[str, Any]] = field(default_factory=list)

    def duckdb_source(self) -> str:
        """A ``read_csv`` call for DuckDB over the normalised copy (every column as text)."""
        path = str(self.csv_path).replace("'", "''")
        columns = ", ".join("'" + c.replace("'", "''") + "': 'VARCHAR'" for c in self.columns)
        return (
            f"read_csv('{path}', header=true, delim=',', quote='\"', escape='\"', "
            f"null_padding=true, auto_detect=false, columns={{{columns}}})"
        )


def load(path: Path, workdir: Path, sheet: str | None = None, progress: Any = None) -> Table:
    """Read *path* (CSV/TSV in any common encoding, or one XLSX sheet) into a normalised table.

    Raises:
        NotFound: no such file, or no such sheet.
        InvalidInput: empty file, no header, or a format that is not a table.
    """
    if not path.is_file():
        raise NotFound(f"no such file: {path}")
    suffix = path.suffix.lower()
    merges: list[str] = []
    if suffix in SHEET_SUFFIXES:
        rows, encoding, chosen = _sheet_rows(path, sheet, merges), "xlsx", sheet
    else:
        if sheet:
            raise InvalidInput(f"--sheet applies to Excel files; {path.name} is a text file")
        encoding = _encoding_of(path)
        rows, chosen = _text_rows(path, encoding), None
    workdir.mkdir(parents=True, exist_ok=True)
    out = Path(tempfile.mkstemp(prefix="table-", suffix=".csv", dir=workdir)[1])
    try:
        table = _normalise(path.name, rows, out, progress, encoding)
    except AssistantError:
        out.unlink(missing_ok=True)
        raise
    table.sheet = chosen if suffix in SHEET_SUFFIXES else None
    for area in merges:
        table.findings.append(
            {
                "row": 0,
                "column": area,
                "value": area,
                "rule": "merged_cells",
                "severity": "warning",
                "suggestion": "the merged cell's value was copied into every cell it covers",
            }
        )
    return table


def _encoding_of(path: Path) -> str:
    with path.open("rb") as f:
        head = f.read(PREFIX_BYTES)
    if not head.strip():
        raise InvalidInput(f"{path.name} is empty")
    for cut in range(4):  # a prefix may end inside a multi-byte character
        try:
            return decode_bytes(head[: len(head) - cut] if cut else head)[1]
        except AssistantError:
            if len(head) < PREFIX_BYTES:
                raise
    return decode_bytes(head[:-4])[1]


def _text_rows(path: Path, encoding: str) -> Iterator[list[str]]:
    with path.open("rb") as raw:
        head = codecs.getincrementaldecoder(encoding)(errors="replace").decode(raw.read(65536))
    delimiter = sniff_delimiter(head.lstrip("\ufeff"))
    with path.open("r", encoding=encoding, errors="replace", newline="") as f:
        first = True
        for row in csv.reader(f, delimiter=delimiter):
            if first and row:
                row[0] = row[0].lstrip("\ufeff")
                first = False
            yield row


def _sheet_rows(path: Path, sheet: str | None, merges: list[str] | None = None) -> Iterator[list[str]]:
    """The sheet's rows as text; merged cells carry their value into every cell they cover (and are
    listed in *merges*). Formulas read as the value Excel last computed."""
    from python_calamine import CalamineWorkbook

    try:
        book = CalamineWorkbook.from_path(str(path))
    except Exception as e:  # noqa: BLE001 - calamine raises its own error types for broken files
        raise InvalidInput(f"{path.name} is not a readable spreadsheet: {e}") from e
    names = list(book.sheet_names)
    if not names:
        raise InvalidInput(f"{path.name} has no sheets")
    name = sheet or names[0]
    if name not in names:
        raise NotFound(f"no sheet {name!r} in {path.name}; it has: {', '.join(names)}")
    data = book.get_sheet_by_name(name)
    merged = list(getattr(data, "merged_cell_ranges", None) or [])
    rows = [["" if v is None else _cell(v) for v in row] for row in data.to_python(skip_empty_area=False)]
    for (r0, c0), (r1, c1) in merged:  # a merged cell means its value for every row it spans
        if r0 < len(rows) and c0 < len(rows[r0]):
            value = rows[r0][c0]
            for r in range(r0, min(r1, len(rows) - 1) + 1):
                for c in range(c0, c1 + 1):
                    if c < len(rows[r]):
                        rows[r][c] = value
        if merges is not None:
            merges.append(f"{_excel_column(c0)}{r0 + 1}:{_excel_column(c1)}{r1 + 1}")
    yield from rows


def _excel_column(index: int) -> str:
    name = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        name = chr(65 + rem) + name
    return name


def _cell(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _normalise(source: str, rows: Iterator[list[str]], out: Path, progress: Any, encoding: str) -> Table:
    header = next((r for r in rows if any(c.strip() for c in r)), None)
    if header is None:
        raise InvalidInput(f"{source} holds no header row")
    findings: list[dict[str, Any]] = []
    names: list[str] = []
    seen: dict[str, int] = {}
    for i, raw in enumerate(header):
        name = raw.strip()
        if not name:
            findings.append(_structural(0, f"column {i + 1}", raw, "empty_column_name", f"column {i + 1}"))
            name = f"column {i + 1}"
        seen[name] = seen.get(name, 0) + 1
        if seen[name] > 1:
            renamed = f"{name} ({seen[name]})"
            findings.append(_structural(0, renamed, name, "duplicate_column_name", renamed))
            name = renamed
        names.append(name)
    width = len(names)
    n = 0
    with out.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(names)
        for row in rows:
            if not any(c.strip() for c in row):
                continue  # a blank line is no data row
            n += 1
            if len(row) > width and any(c.strip() for c in row[width:]):
                findings.append(
                    _structural(
                        n,
                        names[-1],
                        " | ".join(row[width:])[:200],
                        "extra_fields",
                        f"{len(row)} fields, header has {width}",
                    )
                )
            elif len(row) < width:
                findings.append(
                    _structural(
                        n, names[len(row)], "", "missing_fields", f"{len(row)} fields, header has {width}"
                    )
                )
            writer.writerow((row + [""] * width)[:width])
            if progress is not None and n % 50000 == 0:
                progress("rows", {"rows": n})
    if n == 0:
        out.unlink(missing_ok=True)
        raise InvalidInput(f"{source} has a header but no data rows")
    return Table(source, out, names, n, encoding, findings=findings)


def output_folder(path: Path) -> Path:
    """A folder to write results into, made when missing.

    Raises:
        InvalidInput: the path is an existing file.
    """
    if path.exists() and not path.is_dir():
        raise InvalidInput(f"{path} is a file; give a folder for the results")
    path.mkdir(parents=True, exist_ok=True)
    return path


def _structural(row: int, column: str, value: str, rule: str, suggestion: str) -> dict[str, Any]:
    return {
        "row": row,
        "column": column,
        "value": value,
        "rule": rule,
        "severity": "error",
        "suggestion": suggestion,
    }
