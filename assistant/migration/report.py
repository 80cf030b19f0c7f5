"""The check report as an Excel workbook a consultant hands to the data owner: a summary sheet, the
rows with findings as they are in the export with the offending cells highlighted (red: error,
amber: warning) and the finding beside each row, and one sheet per kind of finding. Written in
openpyxl's streaming mode, so a million findings do not need a million cells in memory."""

from __future__ import annotations

import csv
import os
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any

from assistant.messages import finding_words, label, message
from assistant.migration.table import Table

EXCEL_MAX_ROWS = 1_048_576
ERROR_FILL = "FFC7CE"
WARNING_FILL = "FFEB9C"


def _words(rule: str, language: str) -> str:
    return finding_words(rule, language)


def _sheet_name(text: str, used: set[str]) -> str:
    name = "".join(ch for ch in text if ch not in "[]:*?/\\")[:28] or "sheet"
    base, n = name, 2
    while name in used:
        name, n = f"{base} {n}", n + 1
    used.add(name)
    return name


def xlsx_report(
    path: Path, table: Table, findings: list[dict[str, Any]], summary: dict[str, Any], language: str = "zh"
) -> Path:
    """Write the workbook to *path* (atomically: a failed write leaves no half a file)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font, PatternFill

    def m(key: str) -> str:
        return message("ui", key, language)

    bold = Font(bold=True)
    fills = {
        "error": PatternFill("solid", fgColor=ERROR_FILL),
        "warning": PatternFill("solid", fgColor=WARNING_FILL),
    }
    book = Workbook(write_only=True)
    used: set[str] = set()

    def header(ws: Any, names: list[str]) -> None:
        cells = []
        for n in names:
            c = WriteOnlyCell(ws, value=n)
            c.font = bold
            cells.append(c)
        ws.append(cells)

    overview = book.create_sheet(_sheet_name(m("mig_summary"), used))
    overview.append([message("ui", "mig_report_title", language, name=table.source)])
    overview.append([m("mig_rows"), summary["rows"]])
    overview.append([m("mig_errors"), summary["errors"]])
    overview.append([m("mig_warnings"), summary["warnings"]])
    overview.append([m("mig_rows_with_findings"), summary["rows_with_findings"]])
    overview.append([])
    header(overview, [m("mig_rule"), m("mig_findings")])
    for rule, count in summary["by_rule"].items():
        overview.append([_words(rule, language), count])

    by_row: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for f in findings:
        by_row[f["row"]].append(f)
    rows_sheet = book.create_sheet(_sheet_name(m("mig_rows_sheet"), used))
    header(rows_sheet, [m("mig_row"), *table.columns, m("mig_rule")])
    index = {c: i for i, c in enumerate(table.columns)}
    written = 1
    for f in by_row.get(0, []):  # findings about the header itself
        rows_sheet.append([0, *([""] * len(table.columns)), f"{f['column']}: {_words(f['rule'], language)}"])
        written += 1
    with table.csv_path.open(encoding="utf-8", newline="") as src:
        reader = csv.reader(src)
        next(reader)
        for n, row in enumerate(reader, 1):
            hits = by_row.get(n)
            if not hits:
                continue
            if written >= EXCEL_MAX_ROWS - 1:
                rows_sheet.append([message("ui", "mig_truncated", language)])
                break
            worst: dict[int, str] = {}
            for f in hits:
                at = index.get(f["column"])
                if at is not None and worst.get(at) != "error":
                    worst[at] = f["severity"]
            cells: list[Any] = [n]
            for i, v in enumerate(row):
                c = WriteOnlyCell(rows_sheet, value=v)
                if i in worst:
                    c.fill = fills.get(worst[i], fills["warning"])
                cells.append(c)
            notes = "; ".join(
                f"{f['column']}: {_words(f['rule'], language)}"
                + (f" → {f['suggestion']}" if f["suggestion"] not in (None, "") else "")
                for f in hits
            )
            rows_sheet.append([*cells, notes])
            written += 1

    by_rule: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for f in findings:  # one sheet per kind: 'inferred_type:decimal' and ':date' share one
        by_rule[f["rule"].partition(":")[0]].append(f)
    for kind, items in by_rule.items():
        ws = book.create_sheet(_sheet_name(_words(kind, language), used))
        header(
            ws,
            [
                m("mig_row"),
                m("mig_column"),
                m("mig_value"),
                m("mig_rule"),
                m("mig_severity"),
                m("mig_suggestion"),
            ],
        )
        for f in items[: EXCEL_MAX_ROWS - 2]:
            sev = WriteOnlyCell(ws, value=label("ui", "severity_", f["severity"], language))
            sev.fill = fills.get(f["severity"], fills["warning"])
            ws.append(
                [
                    f["row"],
                    f["column"],
                    str(f["value"]),
                    _words(f["rule"], language),
                    sev,
                    str(f["suggestion"] or ""),
                ]
            )
        if len(items) > EXCEL_MAX_ROWS - 2:
            ws.append([message("ui", "mig_truncated", language)])
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".report-", suffix=".xlsx", dir=path.parent)
    os.close(fd)
    try:
        book.save(tmp)
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)
    return path
