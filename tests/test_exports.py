"""Ticket exports of the shapes real tools write (Jira, GitHub, ServiceNow, Excel): every CSV reader
of the project reads them. Generated here; no real export is copied into the project."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from assistant.ingest.tables import parse_csv, read_rows
from assistant.services import Services

STACK = "java.lang.NullPointerException\n" + "\tat com.acme.erp.Receipt.post(Receipt.java:42)\n" * 30000


def jira_csv(sep: str = ",", newline: str = "\r\n") -> str:
    out = io.StringIO()
    w = csv.writer(out, delimiter=sep, lineterminator=newline)
    # Jira repeats "Comment" once per comment and pads with empty columns
    w.writerow(["Issue key", "Summary", "Description", "Priority", "Comment", "Comment", ""])
    w.writerow(["ERP-1", "收货过账报错", "过账时报错：\n" + STACK, "High", "first\nreply", "second", ""])
    w.writerow(["ERP-2", "Login fails", "SSO loop; user 张伟", "Low", "", "", ""])
    return out.getvalue()


def test_a_cell_of_over_a_megabyte_and_multiline_cells(tmp_path: Path) -> None:
    assert len(STACK) > 1_000_000
    path = tmp_path / "jira.csv"
    path.write_text(jira_csv(), encoding="utf-8-sig")  # Excel's BOM
    columns, rows = read_rows(path)
    assert columns == ["Issue key", "Summary", "Description", "Priority", "Comment", "Comment (2)"]
    assert len(rows) == 2 and rows[0]["Description"].endswith("(Receipt.java:42)\n")
    assert len(rows[0]["Description"]) > 1_000_000 and "\r" not in rows[0]["Comment"]
    assert rows[0]["Comment"] == "first\nreply" and rows[0]["Comment (2)"] == "second"


@pytest.mark.parametrize("sep", [";", "\t", "|"])
def test_separators(sep: str) -> None:
    columns, rows = parse_csv(jira_csv(sep))
    assert columns[:2] == ["Issue key", "Summary"] and rows[1]["Summary"] == "Login fails"


def test_excel_unicode_text_is_utf16_tab_separated(tmp_path: Path) -> None:
    path = tmp_path / "export.txt"
    path.write_bytes(jira_csv("\t").encode("utf-16"))  # BOM + UTF-16LE, as Excel saves "Unicode text"
    columns, rows = read_rows(path)
    assert columns[0] == "Issue key" and rows[0]["Summary"] == "收货过账报错"


def test_rows_longer_than_the_header_keep_their_cells() -> None:
    columns, rows = parse_csv("id,text\n1,a,extra\n2,b\n")
    assert (
        columns == ["id", "text", "column 3"] and rows[0]["column 3"] == "extra" and rows[1]["column 3"] == ""
    )


def test_importing_such_an_export_reports_and_goes_on(fast_services: Services, tmp_path: Path) -> None:
    path = tmp_path / "jira.csv"
    path.write_text(jira_csv(";"), encoding="utf-8-sig")
    report = fast_services.support.import_file("demo", path, preset="jira")
    assert report.rows == 2 and report.added == 2 and report.skipped == 0, report
    got = fast_services.support.tickets.get("demo", "ERP-1")
    assert "Receipt.java:42" in got["text"]
