"""Support desk: ticket import (formats, encodings, mapping, validation), triage, duplicates, FAQ drafts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.errors import InvalidInput, InvalidTransition, NotFound
from assistant.services import Services
from tests.conftest import ROOT, SAMPLE_TICKETS, SAMPLE_TICKETS_MAP

# contract tests: each runs on SQLite and on PostgreSQL (server mode)
pytestmark = pytest.mark.backends

ZH, ZH_MAP = SAMPLE_TICKETS, SAMPLE_TICKETS_MAP


@pytest.fixture
def desk(services: Services) -> Services:
    services.ingest("demo", [ROOT / "corpus"])
    report = services.support.import_file("demo", ZH, ZH_MAP)
    assert report.added == 96 and not report.findings
    return services


def write_csv(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


BAD = """Key,Summary,Description,Component,Priority,Status,Created
T-1,Login fails,Users cannot log in after the upgrade,Auth,Major,Open,2027-01-05 09:00
T-2,Export broken,Export to Excel cuts rows,Reports,Minor,Resolved,not a date
T-1,Repeat id,Another ticket with the same id,Auth,Major,Open,2027-01-06
T-3,,,,Major,Open,2027-01-06
T-4,Login fails,Users cannot log in after the upgrade,Auth,Sky-high,Closed,2027-01-07
T-5,CafÃ© broken,Text mangled â€™ by a wrong export,Auth,Minor,Open,2027-01-07
"""
BAD_MAP = "id=Key,title=Summary,text=Summary+Description,category=Component,priority=Priority,status=Status,created=Created"


def test_validation_report_with_row_numbers(fast_services: Services, tmp_path: Path) -> None:
    report = fast_services.support.import_file("t", write_csv(tmp_path / "t.csv", BAD), BAD_MAP)
    kinds = {(f.row, f.kind, f.severity) for f in report.findings}
    assert (2, "bad_date", "warning") in kinds
    assert (3, "duplicate_id", "error") in kinds
    assert (4, "missing_field", "error") in kinds
    assert (5, "duplicate_text", "warning") in kinds
    assert (5, "unknown_label", "warning") in kinds
    assert (6, "encoding_damage", "error") in kinds
    assert report.added == 3 and report.skipped == 3
    ids = {t["id"] for t in fast_services.support.tickets.all("t")}
    assert ids == {"T-1", "T-2", "T-4"}
    assert fast_services.support.tickets.get("t", "T-1")["text"].startswith("Login fails")


def test_reimport_is_idempotent_and_updates_changed_rows(fast_services: Services, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "t.csv", BAD)
    fast_services.support.import_file("t", path, BAD_MAP)
    again = fast_services.support.import_file("t", path, BAD_MAP)
    assert (again.added, again.updated, again.unchanged, again.indexed) == (0, 0, 3, 0)
    write_csv(path, BAD.replace("Export to Excel cuts rows", "Export to Excel cuts rows after 50,000"))
    third = fast_services.support.import_file("t", path, BAD_MAP)
    assert (third.added, third.updated, third.unchanged, third.indexed) == (0, 1, 2, 1)
    base = fast_services.kbs.get("t")
    assert base.conn.execute("SELECT COUNT(*) FROM documents WHERE doc_type = 'incident'").fetchone()[0] == 3


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_csv_encodings(fast_services: Services, tmp_path: Path, encoding: str) -> None:
    text = "编号,标题,描述,分类\nA1,收货报错,收货时提示超收,库存\nA2,无法登录,账号被锁定,账户权限\n"
    r = fast_services.support.import_file(
        "t", write_csv(tmp_path / "t.csv", text, encoding), "id=编号,text=标题+描述,category=分类"
    )
    assert r.added == 2 and not r.findings
    assert fast_services.support.tickets.get("t", "A1")["category"] == "库存"


def test_xlsx_json_jsonl(fast_services: Services, tmp_path: Path) -> None:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Issue key", "Summary", "Description", "Priority", "Status"])
    ws.append(["J-1", "Crash on save", "NPE when saving", "Major", "Open"])
    wb.save(tmp_path / "t.xlsx")
    assert fast_services.support.import_file("x", tmp_path / "t.xlsx", None, "jira").added == 1
    items = [
        {
            "number": "INC001",
            "short_description": "VPN down",
            "description": "no VPN",
            "priority": "1 - Critical",
            "state": "New",
        }
    ]
    (tmp_path / "t.json").write_text(json.dumps(items))
    assert fast_services.support.import_file("x", tmp_path / "t.json", None, "servicenow").added == 1
    (tmp_path / "t.jsonl").write_text(
        "\n".join(json.dumps({"Id": i, "Subject": f"s{i}", "Description": "d"}) for i in range(3))
    )
    assert fast_services.support.import_file("x", tmp_path / "t.jsonl", None, "zendesk").added == 3


@pytest.mark.parametrize(
    "spec, preset, message",
    [
        ("id=Nope,text=Summary", None, "not found"),
        ("", None, "mapping"),
        (None, None, "mapping"),
        ("text=Summary", None, "needs id"),
        ("id=Key,text=", None, "names no column"),
        ("id=Key,text=Summary,colour=Red", None, "unknown field"),
        (None, "salesforce", "unknown preset"),
        ("id Key", None, "field=Column"),
    ],
)
def test_mapping_errors(fast_services: Services, tmp_path: Path, spec, preset, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidInput, match=message):
        fast_services.support.import_file("t", write_csv(tmp_path / "t.csv", BAD), spec, preset)
    assert not fast_services.support.tickets.all("t")


def test_unreadable_files(fast_services: Services, tmp_path: Path) -> None:
    with pytest.raises(NotFound):
        fast_services.support.import_file("t", tmp_path / "missing.csv", BAD_MAP)
    (tmp_path / "e.csv").write_bytes(b"")
    with pytest.raises(InvalidInput, match="empty"):
        fast_services.support.import_file("t", tmp_path / "e.csv", BAD_MAP)
    (tmp_path / "b.json").write_text("{broken")
    with pytest.raises(InvalidInput, match="JSON"):
        fast_services.support.import_file("t", tmp_path / "b.json", BAD_MAP)
    (tmp_path / "b.xlsx").write_bytes(b"PK not really")
    with pytest.raises(InvalidInput, match="XLSX"):
        fast_services.support.import_file("t", tmp_path / "b.xlsx", BAD_MAP)


def test_training_needs_enough_data(fast_services: Services, tmp_path: Path) -> None:
    fast_services.support.import_file("t", write_csv(tmp_path / "t.csv", BAD), BAD_MAP)
    with pytest.raises(InvalidInput, match="at least 10"):
        fast_services.support.train("t", ["category"])
    rows = "\n".join(f"X{i},ticket {i},text {i},Auth,Major,Open,2027-01-01" for i in range(12))
    fast_services.support.import_file(
        "one", write_csv(tmp_path / "o.csv", BAD.splitlines()[0] + "\n" + rows), BAD_MAP
    )
    with pytest.raises(InvalidInput, match="distinct value"):
        fast_services.support.train("one", ["category"])
    with pytest.raises(InvalidInput, match="unknown target"):
        fast_services.support.train("one", ["colour"])


def test_train_and_triage(desk: Services) -> None:
    metas = desk.support.train("demo", ["category", "priority"])
    assert {m["target"] for m in metas} == {"category", "priority"}
    for m in metas:
        assert 0 <= m["cv_macro_f1"] <= 1 and m["trained_at"] and len(m["labels"]) >= 3
    r = desk.support.triage("demo", "仓库收货时系统提示数量超过订单，不能过账")
    cat = r["predictions"]["category"]
    assert cat["predicted"] == "库存" and 0 <= cat["confidence"] <= 1
    assert cat["label"] in ("库存", "uncertain")
    assert len(r["similar"]) == 5 and r["similar"][0]["resolution"]
    assert any("超过订单数量" in (s["title"] + (s["resolution"] or "")) for s in r["similar"][:2])
    assert 1 <= len(r["articles"]) <= 3 and all(
        a["source"] and not a["source"].startswith("incidents/") for a in r["articles"]
    )


def test_duplicates_among_open_tickets(desk: Services) -> None:
    open_ids = [t["id"] for t in desk.support.tickets.all("demo") if t["status"] in ("new", "analysing")]
    assert open_ids
    t = desk.support.tickets.get("demo", open_ids[0])
    r = desk.support.triage("demo", t["text"])
    assert open_ids[0] in {d["id"] for d in r["duplicates"]}


def test_batch_triage_contract(desk: Services, tmp_path: Path) -> None:
    desk.support.train("demo", ["category"])
    path = write_csv(tmp_path / "new.csv", "title,body\n登录不了,账号被锁定\n,\n月结报错,外币评估未完成\n")
    lines = list(desk.support.triage_batch("demo", path, "title+body"))
    assert [line["row"] for line in lines] == [1, 2, 3]
    assert set(lines[0]) == {"row", "predictions", "similar"}
    assert set(lines[0]["predictions"]["category"]) == {"label", "confidence"}
    assert set(lines[0]["similar"][0]) == {"id", "score"}
    assert "error" in lines[1]
    with pytest.raises(InvalidInput, match="not in the file"):
        list(desk.support.triage_batch("demo", path, "subject"))


def test_ticket_status_transitions(desk: Services) -> None:
    store = desk.support.tickets
    t = next(x for x in store.all("demo") if x["status"] == "analysing" or x["status"] == "new")
    with pytest.raises(InvalidTransition, match="can move to"):
        store.set_status("demo", t["id"], "reviewed")
    with pytest.raises(InvalidInput, match="resolution"):
        store.set_status("demo", t["id"], "resolved")
    assert store.set_status("demo", t["id"], "resolved", "已修改订单数量")["status"] == "resolved"
    assert store.set_status("demo", t["id"], "reviewed")["status"] == "reviewed"
    with pytest.raises(InvalidTransition, match="final state"):
        store.set_status("demo", t["id"], "new")
    with pytest.raises(InvalidInput):
        store.set_status("demo", t["id"], "done")
    with pytest.raises(NotFound):
        store.set_status("demo", "nope", "analysing")


def test_faq_suggestions_from_resolved_tickets(desk: Services) -> None:
    drafts = desk.support.faq_suggest("demo")
    assert drafts and all(d["size"] >= 2 and d["answer"] and d["tickets"] for d in drafts)
    resolved = {t["id"]: t for t in desk.support.tickets.all("demo")}
    for d in drafts:
        assert any(resolved[i]["resolution"] == d["answer"] for i in d["tickets"])


def test_faq_draft_approved_into_the_knowledge_base(desk: Services) -> None:
    drafts = desk.support.faq_suggest("demo")
    d = drafts[0]
    assert d["id"].startswith("FAQ-") and d["status"] == "draft"
    entry = desk.support.faq_approve("demo", d["id"])
    assert entry["status"] == "approved"
    again = {x["id"]: x for x in desk.support.faq_suggest("demo")}
    assert again[d["id"]]["status"] == "approved"
    with pytest.raises(InvalidTransition):
        desk.support.faq_approve("demo", d["id"])
    with pytest.raises(NotFound):
        desk.support.faq_approve("demo", "FAQ-NOPE")
    hits = desk.search("demo", d["question"], k=5, doc_types=["faq"])
    assert any(h.chunk.source == entry["source"] for h in hits)


def test_mapping_from_a_form_keeps_column_names_with_separators(
    fast_services: Services, tmp_path: Path
) -> None:
    from assistant.support.models import Mapping

    export = tmp_path / "export.csv"
    export.write_text(
        'Key,"Summary, short","Details+notes"\nT-1,Printer jams,Paper stuck in tray 2\n', encoding="utf-8"
    )
    mapping = Mapping.of(
        {"id": ["Key"], "title": ["Summary, short"], "text": ["Summary, short", "Details+notes"]}
    )
    report = fast_services.support.import_file("forms", export, mapping)
    assert report.added == 1 and not report.findings
    t = fast_services.support.tickets.get("forms", "T-1")
    assert t["title"] == "Printer jams" and "tray 2" in t["text"]
    with pytest.raises(InvalidInput):  # the text column is required
        Mapping.of({"id": ["Key"], "text": []})
    with pytest.raises(InvalidInput):
        Mapping.of({"id": ["Key"], "text": ["x"], "colour": ["y"]})
    assert Mapping.of({}, "jira").fields["id"] == [["Issue key"], ["Issue id"]]  # a preset fills the rest
