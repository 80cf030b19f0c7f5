"""The ticket queue: a help-desk ticket is seen by support, assigned, answered, linked or resolved
through the loop with an audit trail; SLA states; two agents on one ticket; bad values."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from typer.testing import CliRunner

from assistant.cli import app
from assistant.errors import InvalidInput, InvalidTransition, NotFound, TooLarge
from assistant.support.workflow import SlaPolicy, parse_duration, sla_state

# contract tests: each runs on SQLite and on PostgreSQL (server mode)
pytestmark = pytest.mark.backends


def test_durations_and_sla_policy() -> None:
    assert parse_duration("30m") == timedelta(minutes=30)
    assert parse_duration("1h30m") == timedelta(minutes=90)
    assert parse_duration("1d") == timedelta(days=1)
    assert parse_duration("2小时") == timedelta(hours=2)
    for bad in ("soon", "1x", "", "-1h", "0m"):
        with pytest.raises(InvalidInput, match="duration"):
            parse_duration(bad)
    policy = SlaPolicy.from_settings({"P1": {"response": "15m"}})
    assert policy.targets["P1"] == (timedelta(minutes=15), timedelta(hours=4))
    with pytest.raises(InvalidInput, match="P1, P2 or P3"):
        SlaPolicy.from_settings({"P9": {"response": "1h"}})


def test_sla_levels_follow_the_urgency_rank() -> None:
    from assistant.support.workflow import sla_level

    assert [
        sla_level(p) for p in ("P0", "1 - Critical", "Blocker", "紧急", "High", "高", "中", "低", "whatever")
    ] == [
        "P1",
        "P1",
        "P1",
        "P1",
        "P2",
        "P2",
        "P3",
        "P3",
        "P3",
    ]


def test_sla_states_on_the_clock() -> None:
    policy = SlaPolicy.from_settings()
    now = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)

    def ticket(minutes_ago: float, priority: str = "P1", **kw: object) -> dict[str, object]:
        return {
            "created_at": (now - timedelta(minutes=minutes_ago)).isoformat(),
            "priority": priority,
            "source": "api",
            "status": "new",
            **kw,
        }

    assert sla_state(ticket(5), policy, now)["state"] == "on_track"
    assert sla_state(ticket(26), policy, now)["state"] == "due_soon"  # 4 of 30 minutes left
    assert sla_state(ticket(31), policy, now)["state"] == "breached"  # no response in 30 minutes
    responded = ticket(31, first_response_at=(now - timedelta(minutes=20)).isoformat())
    assert sla_state(responded, policy, now)["state"] == "on_track"  # answered; 4 h to resolve
    done = ticket(300, resolved_at=(now - timedelta(minutes=100)).isoformat(), status="resolved")
    assert sla_state(done, policy, now)["state"] == "met"
    late = ticket(600, resolved_at=(now - timedelta(minutes=1)).isoformat(), status="resolved")
    assert sla_state(late, policy, now)["state"] == "missed"
    assert (
        sla_state(ticket(60 * 30, priority="minor"), policy, now)["state"] == "breached"
    )  # P3: 1 day to answer
    assert sla_state({"source": "import", "created": None, "priority": "P1"}, policy, now)["state"] == "none"


def _run(*args: str) -> object:
    return CliRunner().invoke(app, list(args))


def test_queue_loop_from_help_desk_ticket_to_review(fast_services, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    services = fast_services
    monkeypatch.setenv("ASSISTANT_HOME", str(services.settings.home))
    services.kbs.get("erp", create=True)
    opened = services.support.tickets.open_from_helpdesk(
        "erp",
        "月结时提示“期间未关闭”怎么办？",
        None,
        [{"role": "user", "text": "月结时提示“期间未关闭”怎么办？"}],
        "user-7",
    )
    other = services.ticket_work.open_ticket(
        "erp", "打印机", "收货单打印不出来，急！", "agent-a", priority="P1"
    )
    r = _run("tickets", "list", "--kb", "erp", "--json")
    assert r.exit_code == 0, r.output
    rows = [json.loads(x) for x in r.stdout.splitlines()]
    assert {x["id"] for x in rows} == {opened["id"], other["id"]}
    assert {x["source"] for x in rows} == {"helpdesk", "api"} and all(
        x["sla_state"] == "on_track" for x in rows
    )
    assert set(rows[0]) >= {"id", "status", "priority", "sla_state", "source"}
    hid = opened["id"]
    assert (
        _run(
            "tickets", "assign", hid, "--to", "王工", "--kb", "erp", "--by", "lead", "--version", "0"
        ).exit_code
        == 0
    )
    # a second agent who saw version 0 is refused, nothing is overwritten
    stale = _run("tickets", "assign", hid, "--to", "李工", "--kb", "erp", "--version", "0")
    assert stale.exit_code != 0 and "changed since you opened it" in stale.output
    assert (
        _run(
            "tickets", "reply", hid, "--text", "请先在总账关闭期间。", "--kb", "erp", "--by", "王工"
        ).exit_code
        == 0
    )
    bad = _run("tickets", "resolve", hid, "--note", "  ", "--kb", "erp")
    assert bad.exit_code != 0 and "resolution note" in bad.output
    assert (
        _run(
            "tickets", "resolve", hid, "--note", "关闭总账期间后月结成功", "--kb", "erp", "--by", "王工"
        ).exit_code
        == 0
    )
    illegal = _run("tickets", "assign", hid, "--to", "x", "--kb", "erp")
    assert illegal.exit_code == 0  # assigning a resolved ticket is allowed; moving it is not
    assert _run("tickets", "reopen", hid, "--kb", "erp", "--comment", "又出现了").exit_code == 0
    assert _run("tickets", "resolve", hid, "--note", "重新关闭期间", "--kb", "erp").exit_code == 0
    assert _run("tickets", "review", hid, "--kb", "erp").exit_code == 0
    again = _run("tickets", "reopen", hid, "--kb", "erp")
    assert again.exit_code == 0  # a reviewed ticket can be reopened when the problem comes back
    shown = json.loads(_run("tickets", "show", hid, "--kb", "erp", "--json").stdout)
    assert [e["action"] for e in shown["events"]] == [
        "assign",
        "reply",
        "resolve",
        "assign",
        "reopen",
        "resolve",
        "review",
        "reopen",
    ]
    assert (
        shown["events"][0]["actor"] == "lead" and shown["assignee"] == "x" and shown["status"] == "analysing"
    )
    assert shown["replies"][0]["detail"]["text"] == "请先在总账关闭期间。" and shown["conversation"]
    assert shown["version"] == 8
    # duplicates: linked to a master, closed with the pointer; not across knowledge bases
    services.kbs.get("crm", create=True)
    foreign = services.ticket_work.open_ticket("crm", "x", "another project's ticket", "a")
    with pytest.raises(NotFound):
        services.ticket_work.link("erp", other["id"], foreign["id"], "agent")
    linked = services.ticket_work.link("erp", other["id"], hid, "agent")
    assert (
        linked["status"] == "resolved"
        and linked["master"] == hid
        and linked["resolution"] == f"duplicate of {hid}"
    )
    with pytest.raises(InvalidInput, match="itself"):
        services.ticket_work.link("erp", hid, hid, "agent")
    with pytest.raises(InvalidTransition):
        services.ticket_work.review("erp", hid, "agent")  # analysing -> reviewed is not a move
    assert _run("tickets", "list", "--kb", "erp", "--status", "closed").exit_code == 2
    assert _run("tickets", "list", "--kb", "erp", "--source", "email").exit_code != 0
    assert _run("tickets", "show", "NOPE", "--kb", "erp").exit_code != 0


def test_faq_loop_not_found_then_tickets_then_accepted_entry_answers(
    services, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    """The closed loop: a question the documents do not answer, the tickets it raises resolved,
    the FAQ draft from them accepted, and the same question answered from the new entry."""
    from tests.conftest import ROOT

    services.ingest("erp", [ROOT / "corpus" / "faq"])
    question = "月结时系统提示“上一会计期间未关闭”，怎么处理？"
    first = services.helpdesk.ask("erp", question)
    assert not first.found  # the manuals say nothing about it
    work = services.ticket_work
    for text in (question, "月结报错：上一会计期间未关闭，无法月结"):
        t = services.support.tickets.open_from_helpdesk(
            "erp", text, None, [{"role": "user", "text": text}], "u1"
        )
        work.resolve("erp", t["id"], "在总账模块先关闭上一会计期间，再重新执行月结即可。", "agent")
    drafts = [d for d in services.support.faq_suggest("erp") if d["size"] >= 2]
    assert drafts and drafts[0]["status"] == "draft"
    monkeypatch.setenv("ASSISTANT_HOME", str(services.settings.home))
    review = CliRunner().invoke(app, ["faq", "review", "--kb", "erp", "--json"])
    assert review.exit_code == 0 and drafts[0]["id"] in review.stdout
    entry = services.support.faq_approve("erp", drafts[0]["id"])
    assert len(entry["tickets"]) == 2
    second = services.helpdesk.ask("erp", question)
    assert second.found and any(c.source == entry["source"] for c in second.citations)
    rejected = CliRunner().invoke(app, ["faq", "reject", drafts[0]["id"], "--kb", "erp"])
    assert rejected.exit_code != 0 and "already approved" in rejected.output


def test_benefit_report_json_markdown_and_docx_with_charts(
    fast_services, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    import docx

    services = fast_services
    monkeypatch.setenv("ASSISTANT_HOME", str(services.settings.home))
    services.kbs.get("erp", create=True)
    work = services.ticket_work
    for i, text in enumerate(["月结报错", "打印不出收货单", "月结又报错"]):
        t = services.support.tickets.open_from_helpdesk("erp", text, None, [], "u")
        work.reply("erp", t["id"], "处理中", "agent")
        if i != 1:
            work.resolve("erp", t["id"], "关闭上一期间后重新月结", "agent")
    today = datetime.now(UTC).date().isoformat()
    r = _run("report", "benefit", "--kb", "erp", "--from", "2026-01-01", "--to", today, "--json")
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert data["tickets"] == 3 and data["helpdesk_tickets"] == 3
    assert data["sla_states"] == {"met": 2, "on_track": 1} and data["sla_met_share"] == 1.0
    assert data["first_response_hours_median"] is not None and data["resolution_hours_median"] is not None
    out = tmp_path / "report"
    r = _run("report", "benefit", "--kb", "erp", "--out", str(out), "--language", "zh")
    assert r.exit_code == 0, r.output
    md = next(out.glob("*.md")).read_text(encoding="utf-8")
    assert "项目效益评估报告" in md and "按时完成" in md and "met" not in md.split("口径")[0]
    document = docx.Document(str(next(out.glob("*.docx"))))
    assert len(document.inline_shapes) >= 2  # tickets per week, SLA states
    assert "项目效益评估报告" in document.paragraphs[0].text
    bad = _run("report", "benefit", "--kb", "erp", "--from", "2026-12-31", "--to", "2026-01-01")
    assert bad.exit_code != 0 and "after" in bad.output
    assert _run("report", "benefit", "--kb", "erp", "--from", "last week").exit_code != 0
    assert _run("report", "benefit", "--kb", "nope").exit_code != 0


def test_sla_counts_working_hours_holidays_and_make_up_days() -> None:
    """With a calendar, only working time counts: a P2 ticket opened Friday 17:00 (2 h to respond) is
    due Monday 10:00; the Spring Festival holiday is skipped and its make-up Sunday counts."""
    cal = {
        "timezone": "Asia/Shanghai",
        "days": "周一-周五",
        "hours": "09:00-18:00",
        "holidays": ["2027-02-08", "2027-02-09"],
        "workdays": ["2027-02-07"],
        "levels": ["P2", "P3"],
    }
    policy = SlaPolicy.from_settings(None, cal)
    cst = ZoneInfo("Asia/Shanghai")
    friday_5pm = datetime(2027, 1, 8, 17, 0, tzinfo=cst)
    ticket = {"created_at": friday_5pm.isoformat(), "priority": "高", "source": "api", "status": "new"}
    state = sla_state(ticket, policy, datetime(2027, 1, 9, 12, 0, tzinfo=cst))  # Saturday noon
    assert state["state"] == "on_track"  # the weekend does not count
    assert datetime.fromisoformat(state["respond_by"]) == datetime(2027, 1, 11, 10, 0, tzinfo=cst)
    # 1 day of resolution is one working day, 9 h: Friday 17-18, then Monday 9-17
    assert datetime.fromisoformat(state["resolve_by"]) == datetime(2027, 1, 11, 17, 0, tzinfo=cst)
    # Monday 09:40: 20 of 120 working minutes left -> due soon; 10:01 -> breached
    assert sla_state(ticket, policy, datetime(2027, 1, 11, 9, 40, tzinfo=cst))["state"] == "due_soon"
    assert sla_state(ticket, policy, datetime(2027, 1, 11, 10, 1, tzinfo=cst))["state"] == "breached"
    # a ticket opened on Friday 2027-02-05 17:30: Sunday 02-07 is a make-up working day, 02-08/09 are off
    before_festival = {**ticket, "created_at": datetime(2027, 2, 5, 17, 30, tzinfo=cst).isoformat()}
    due = sla_state(before_festival, policy, datetime(2027, 2, 5, 18, 0, tzinfo=cst))["respond_by"]
    assert datetime.fromisoformat(due) == datetime(2027, 2, 7, 10, 30, tzinfo=cst)
    # hours count as working hours, days as working days: 24h is longer than 1d (9 h) here
    long = SlaPolicy.from_settings({"P2": {"resolution": "24h"}}, cal)
    assert datetime.fromisoformat(sla_state(ticket, long, friday_5pm)["resolve_by"]) > datetime.fromisoformat(
        state["resolve_by"]
    )
    # an imported export's local time is read in the calendar's zone, not as UTC
    imported = {"created": "2027-01-11 10:00", "priority": "高", "source": "import", "status": "new"}
    due = sla_state(imported, policy, datetime(2027, 1, 11, 10, 5, tzinfo=cst))["respond_by"]
    assert datetime.fromisoformat(due) == datetime(2027, 1, 11, 12, 0, tzinfo=cst)
    # P1 is not in the calendar's levels: it runs 7×24
    urgent = {**ticket, "priority": "紧急"}
    p1 = sla_state(urgent, policy, datetime(2027, 1, 8, 17, 10, tzinfo=cst))
    assert datetime.fromisoformat(p1["respond_by"]) == friday_5pm + timedelta(minutes=30)
    # bad calendars are refused with what to write
    for bad, words in (
        ({"hours": "18:00-09:00"}, "before the end"),
        ({"hours": "nine to six"}, "09:00-18:00"),
        ({"days": "mon-funday"}, "weekday"),
        ({"timezone": "Mars/Olympus"}, "time zone"),
        ({"holidays": ["next tuesday"]}, "not a date"),
        ({"levels": ["P7"]}, "P1, P2 or P3"),
        ({"weekends": "off"}, "unknown SLA calendar setting"),
    ):
        with pytest.raises(InvalidInput, match=words):
            SlaPolicy.from_settings(None, bad)


def test_classify_applies_labels_with_an_audit_and_a_version_check(fast_services) -> None:  # type: ignore[no-untyped-def]
    svc = fast_services
    svc.kbs.get("kb1", create=True)
    work = svc.ticket_work
    t = work.open_ticket("kb1", "扫码枪扫不出", "仓库的扫码枪扫不出条码，三号线停了", "李娜")
    assert work.count("kb1") == 1 and work.count("kb1", "resolved") == 0  # the queue's badge
    done = work.classify("kb1", t["id"], "李娜", category="仓库", priority="高", version=t["version"])
    assert (done["category"], done["priority"]) == ("仓库", "高")
    event = done["events"][-1]
    assert event["action"] == "classify" and event["detail"]["before"] == {"category": None, "priority": None}
    with pytest.raises(InvalidTransition, match="changed since you opened it"):
        work.classify("kb1", t["id"], "王磊", priority="低", version=t["version"])
    with pytest.raises(InvalidInput, match="category and/or a priority"):
        work.classify("kb1", t["id"], "李娜", category="  ")
    assert work.show("kb1", t["id"])["priority"] == "高"  # nothing half-written


def test_insights_period_sla_counts_and_topic_phrases(fast_services) -> None:  # type: ignore[no-untyped-def]
    svc = fast_services
    svc.kbs.get("kb1", create=True)
    for q in ("怎么给供应商开通门户账号？", "供应商门户账号怎么开通", "供应商门户的账号在哪里开通"):
        assert not svc.helpdesk.ask("kb1", q).found  # an empty knowledge base answers nothing
    svc.ticket_work.open_ticket("kb1", "打印机", "标签打印机不出纸", "李娜", priority="高")
    data = svc.insights("kb1")
    assert data["top_unanswered"][0]["count"] == 3
    topic = data["top_unanswered"][0]["topic"]
    assert topic in {"怎么给供应商开通门户账号", "供应商门户账号怎么开通", "供应商门户的账号在哪里开通"}
    assert {r["state"] for r in data["tickets_by_sla"]} == {"on_track"}
    assert data["tickets_by_priority"][0]["rank"] == 1
    empty = svc.insights("kb1", "2019-01-01", "2019-01-31")
    assert empty["questions"] == 0 and not empty["tickets_by_category"] and not empty["top_unanswered"]
    assert empty["first_day"] == data["first_day"]  # the span of all records, for the period picker
    with pytest.raises(InvalidInput, match="after it ends"):
        svc.insights("kb1", "2027-02-01", "2027-01-01")
    with pytest.raises(InvalidInput, match="must be a date"):
        svc.insights("kb1", "last week")


def test_priority_colours_mean_what_they_say() -> None:
    from assistant.support.models import priority_colours

    three = priority_colours(["低", "中", "高"])
    assert three["高"] == "#c62828" and three["低"] != "#c62828" and three["中"] != "#c62828"
    five = priority_colours(["Major", "Blocker", "Trivial", "Minor", "Critical"])
    assert five["Blocker"] == "#c62828" and five["Trivial"] == "#90a4ae"
    assert priority_colours(["someday"])["someday"] == "#bdbdbd"  # a label no tracker uses: grey


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def test_attachments_checked_kept_listed_and_removed_with_the_kb(fast_services, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    svc = fast_services
    svc.kbs.get("kb1", create=True)
    work = svc.ticket_work
    t = work.open_ticket("kb1", "报错", "保存收货单时报错", "李娜")
    done = work.attach("kb1", t["id"], "C:\\Users\\王磊\\Desktop\\报错截图.PNG", PNG, "王磊")
    assert [a["name"] for a in done["attachments"]] == ["报错截图.png"]  # no folders, lower-case type
    assert done["events"][-1]["action"] == "attach" and done["version"] == t["version"] + 1
    again = work.attach("kb1", t["id"], "报错截图.png", PNG, "王磊")
    assert [a["name"] for a in again["attachments"]] == ["报错截图.png", "报错截图 (2).png"]
    data, mime = work.attachments.read("kb1", t["id"], "报错截图 (2).png")  # type: ignore[union-attr]
    assert data == PNG and mime == "image/png"
    for name, content, error in (
        ("截图.png", b"GIF89a...", "not a PNG"),  # the name says PNG, the content does not
        ("setup.exe", b"MZ\x90\x00", "tickets take"),
        ("日志.log", b"\x00\x01binary", "not a text file"),
        ("空.txt", b"", "empty"),
        ("", b"x", "no file name"),
    ):
        with pytest.raises(InvalidInput, match=error):
            work.attach("kb1", t["id"], name, content, "王磊")
    with pytest.raises(TooLarge, match="MB limit"):
        work.attach("kb1", t["id"], "大.txt", b"x" * (10 * 1024 * 1024 + 1), "王磊")
    with pytest.raises(NotFound):
        work.attach("kb1", "T-404", "a.txt", b"hello", "王磊")
    with pytest.raises(InvalidTransition):
        work.attach("kb1", t["id"], "a.txt", b"hello", "王磊", version=0)  # stale view: nothing kept
    assert len(work.show("kb1", t["id"])["attachments"]) == 2
    folder = svc.settings.home / "attachments"
    assert sorted(p.name for p in folder.rglob("*") if p.is_file()) == ["报错截图 (2).png", "报错截图.png"]
    svc.delete_kb("kb1")
    assert not any(p.is_file() for p in folder.rglob("*"))
    assert not svc.db.conn.execute("SELECT count(*) FROM ticket_attachments").fetchone()[0]


def test_attachment_limit_per_ticket(fast_services) -> None:  # type: ignore[no-untyped-def]
    svc = fast_services
    svc.settings.support.max_attachments = 2
    svc.kbs.get("kb1", create=True)
    t = svc.ticket_work.open_ticket("kb1", "x", "导出的报表不对", "李娜")
    for i in range(2):
        svc.ticket_work.attach("kb1", t["id"], f"{i}.csv", b"a,b\n1,2\n", "李娜")
    with pytest.raises(InvalidInput, match="most allowed"):
        svc.ticket_work.attach("kb1", t["id"], "3.csv", b"a,b\n", "李娜")


def test_cli_classify_and_attach(fast_services, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("ASSISTANT_HOME", str(fast_services.settings.home))
    fast_services.kbs.get("erp", create=True)
    t = fast_services.ticket_work.open_ticket("erp", "发货", "发货单打印不出来，车在门口等", "agent-a")
    r = _run(
        "tickets", "classify", t["id"], "--kb", "erp", "--priority", "高", "--by", "李娜", "--version", "0"
    )
    assert r.exit_code == 0, r.output
    assert "priority 高" in r.output
    shot = tmp_path / "发货单.pdf"
    shot.write_bytes(b"%PDF-1.4\n%...")
    r = _run("tickets", "attach", t["id"], str(shot), "--kb", "erp", "--by", "李娜")
    assert r.exit_code == 0 and "attached 发货单.pdf" in r.output, r.output
    fake = tmp_path / "fake.pdf"
    fake.write_bytes(b"not a pdf")
    r = _run("tickets", "attach", t["id"], str(fake), "--kb", "erp")
    assert r.exit_code != 0 and "not a PDF file" in r.output
    r = _run("tickets", "classify", t["id"], "--kb", "erp")
    assert r.exit_code != 0 and "category and/or a priority" in r.output
    assert [a["name"] for a in fast_services.ticket_work.show("erp", t["id"])["attachments"]] == [
        "发货单.pdf"
    ]


def test_queue_sorts_by_priority_and_age(fast_services) -> None:  # type: ignore[no-untyped-def]
    svc = fast_services
    svc.kbs.get("kb1", create=True)
    work = svc.ticket_work
    for title, priority in (("a", "低"), ("b", "高"), ("c", None), ("d", "中")):
        work.open_ticket("kb1", title, f"{title} 的描述", "李娜", priority=priority)
    assert [t["title"] for t in work.queue("kb1", sort="priority")] == ["b", "d", "a", "c"]
    assert [t["title"] for t in work.queue("kb1", sort="oldest", limit=2)] == ["a", "b"]
    assert [t["title"] for t in work.queue("kb1", priority="高")] == ["b"]
    assert work.summary("kb1")["priorities"] == ["高", "中", "低"]  # most urgent first
    with pytest.raises(InvalidInput, match="unknown sort"):
        work.queue("kb1", sort="random")


def test_attachment_names_fit_the_file_system() -> None:
    from assistant.support.attachments import safe_name

    name = safe_name("报" * 150 + ".png")
    assert name.endswith(".png") and len(name.encode("utf-8")) <= 200  # ext4 allows 255 bytes
    assert safe_name("../../etc/passwd.txt") == "passwd.txt"
