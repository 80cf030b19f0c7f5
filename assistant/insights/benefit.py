"""The project's benefit report (《项目效益评估报告》) for a period: questions asked and the share the
help desk answered without a ticket, tickets per week by category, first-response and resolution
times against the SLA, the recurring problems and the FAQ entries added for them, and the change
requests by state and age. JSON for machines, Markdown and DOCX (with charts) for the customer."""

from __future__ import annotations

import io
import json
import os
import statistics
import tempfile
from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from assistant.errors import InvalidInput
from assistant.messages import label
from assistant.providers.database import AppDB

#: fonts that draw Chinese chart labels (Debian's fonts-noto-cjk, then common others)
_FONTS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/System/Library/Fonts/PingFang.ttc",
    "C:/Windows/Fonts/msyh.ttc",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
)

TEXT = {
    "title": ("项目效益评估报告", "Project benefit report"),
    "period": ("统计期间", "Period"),
    "kb": ("知识库", "Knowledge base"),
    "helpdesk": ("帮助台", "Help desk"),
    "questions": ("提问数", "Questions asked"),
    "answered": ("文档直接回答的比例", "Answered from the documents"),
    "deflection": ("无需工单即解决的比例", "Resolved without a ticket (deflection)"),
    "helpdesk_tickets": ("帮助台转工单数", "Tickets opened from the help desk"),
    "tickets": ("工单", "Tickets"),
    "tickets_in_period": ("期间内工单数", "Tickets in the period"),
    "per_week": ("每周工单数（按分类）", "Tickets per week by category"),
    "week": ("周（周一）", "Week (Monday)"),
    "category": ("分类", "Category"),
    "count": ("数量", "Count"),
    "sla": ("服务时效（SLA）", "Service levels (SLA)"),
    "first_response": ("首次响应时间中位数（小时）", "Median first response (hours)"),
    "resolution": ("解决时间中位数（小时）", "Median resolution time (hours)"),
    "sla_met": ("按时解决的比例", "Resolved within the SLA"),
    "sla_state": ("时效状态", "SLA state"),
    "recurring": ("高频问题", "Recurring problems"),
    "unanswered": ("文档未覆盖的高频提问", "Frequent questions the documents do not cover"),
    "faq_added": ("期间新增的 FAQ 条目", "FAQ entries added in the period"),
    "from_tickets": ("来源工单", "From tickets"),
    "changes": ("变更请求", "Change requests"),
    "state": ("状态", "State"),
    "open_age": ("未关闭变更的平均天数", "Average age of open requests (days)"),
    "none": ("无", "none"),
    "no_data": ("期间内没有数据。", "No data in the period."),
    "definitions": (
        "口径：无需工单即解决的比例 = 1 − 帮助台转工单数 / 提问数；时间均为 UTC。",
        "Definitions: deflection = 1 − tickets opened from the help desk / questions; times in UTC.",
    ),
}
SLA_WORDS = {
    "on_track": ("正常", "on track"),
    "due_soon": ("即将超时", "due soon"),
    "breached": ("已超时", "breached"),
    "met": ("按时完成", "met"),
    "missed": ("超时完成", "missed"),
    "none": ("无时效", "no clock"),
}


def _w(key: str, language: str) -> str:
    zh, en = TEXT[key]
    return zh if language == "zh" else en


def parse_day(value: str | None, name: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value.strip()[:10])
    except ValueError:
        raise InvalidInput(f"{name} must be a date like 2026-11-01, not {value!r}") from None


def _hours(start: str | None, end: str | None) -> float | None:
    from assistant.support.workflow import parse_time

    a, b = parse_time(start), parse_time(end)
    return max(0.0, (b - a).total_seconds() / 3600) if a and b else None


def benefit_report(
    db: AppDB,
    helpdesk: Any,
    changes: Any,
    work: Any,
    kb: str,
    date_from: str | None = None,
    date_to: str | None = None,
) -> dict[str, Any]:
    """The figures of the period (both ends included; default: everything up to today)."""
    start = parse_day(date_from, "--from") or date(2000, 1, 1)
    end = parse_day(date_to, "--to") or datetime.now(UTC).date()
    if start > end:
        raise InvalidInput(f"--from {start} is after --to {end}")
    lo, hi = start.isoformat(), end.isoformat() + "T99"

    def in_range(value: str | None) -> bool:
        return bool(value) and lo <= str(value)[:19].replace(" ", "T") <= hi

    asked, found = db.conn.execute(
        "SELECT COUNT(*), COALESCE(SUM(found), 0) FROM messages WHERE kb = ? AND created_at >= ? AND created_at <= ?",
        (kb, lo, hi),
    ).fetchone()
    tickets = [t for t in work.queue(kb, times=False) if in_range(t["created"] or t["created_at"])]
    from_helpdesk = sum(1 for t in tickets if t["source"] == "helpdesk")
    weeks: dict[tuple[str, str], int] = Counter()
    for t in tickets:
        day = date.fromisoformat(str(t["created"] or t["created_at"])[:10])
        monday = date.fromordinal(day.toordinal() - day.weekday()).isoformat()
        weeks[(monday, t["category"] or "-")] += 1
    responses = [h for t in tickets if (h := _hours(t["created_at"], t["first_response_at"])) is not None]
    resolutions = [h for t in tickets if (h := _hours(t["created_at"], t["resolved_at"])) is not None]
    states = Counter(t["sla_state"] for t in tickets)
    closed = states["met"] + states["missed"]
    categories = Counter(t["category"] or "-" for t in tickets)
    faq = [
        {
            "id": r["id"],
            "question": r["question"],
            "tickets": json.loads(r["tickets"]),
            "decided_at": r["decided_at"],
        }
        for r in db.conn.execute(
            "SELECT * FROM faq_drafts WHERE kb = ? AND status = 'approved' ORDER BY decided_at", (kb,)
        )
        if in_range(r["decided_at"])
    ]
    crs = [cr for cr in changes.find(kb) if in_range(cr["created_at"])]
    now = datetime.now(UTC)
    from assistant.changes.models import OPEN_STATES

    open_ages = [
        (now - datetime.fromisoformat(cr["created_at"])).total_seconds() / 86400
        for cr in crs
        if cr["status"] in OPEN_STATES
    ]
    gaps = helpdesk.gaps(kb, start.isoformat())
    return {
        "kb": kb,
        "from": start.isoformat(),
        "to": end.isoformat(),
        "questions": int(asked),
        "answered_share": round(found / asked, 3) if asked else None,
        "helpdesk_tickets": from_helpdesk,
        "deflection": round(1 - from_helpdesk / asked, 3) if asked else None,
        "tickets": len(tickets),
        "tickets_per_week": [{"week": w, "category": c, "tickets": n} for (w, c), n in sorted(weeks.items())],
        "first_response_hours_median": round(statistics.median(responses), 2) if responses else None,
        "resolution_hours_median": round(statistics.median(resolutions), 2) if resolutions else None,
        "sla_states": dict(states.most_common()),
        "sla_met_share": round(states["met"] / closed, 3) if closed else None,
        "top_categories": [{"category": c, "tickets": n} for c, n in categories.most_common(10)],
        "top_unanswered": [{"topic": g["topic"], "count": g["count"]} for g in gaps[:10]],
        "faq_added": faq,
        "change_requests_by_state": dict(Counter(cr["status"] for cr in crs).most_common()),
        "change_requests": len(crs),
        "open_change_request_age_days": round(sum(open_ages) / len(open_ages), 1) if open_ages else None,
    }


def _pct(value: float | None, language: str) -> str:
    return _w("none", language) if value is None else f"{value:.0%}"


def _num(value: float | None, language: str) -> str:
    return _w("none", language) if value is None else f"{value:g}"


def benefit_markdown(r: dict[str, Any], language: str = "zh") -> str:
    def w(key: str) -> str:
        return _w(key, language)

    lines = [
        f"# {w('title')}",
        "",
        f"{w('kb')}: {r['kb']} · {w('period')}: {r['from']} – {r['to']}",
        "",
        f"## {w('helpdesk')}",
        "",
        f"| | |\n|---|---|\n| {w('questions')} | {r['questions']} |\n| {w('answered')} | {_pct(r['answered_share'], language)} |"
        f"\n| {w('helpdesk_tickets')} | {r['helpdesk_tickets']} |\n| {w('deflection')} | {_pct(r['deflection'], language)} |",
        "",
        f"## {w('tickets')}",
        "",
        f"{w('tickets_in_period')}: {r['tickets']}",
        "",
    ]
    if r["tickets_per_week"]:
        lines += [f"| {w('week')} | {w('category')} | {w('count')} |", "|---|---|---|"]
        lines += [f"| {x['week']} | {x['category']} | {x['tickets']} |" for x in r["tickets_per_week"]]
        lines.append("")
    lines += [
        f"## {w('sla')}",
        "",
        f"| | |\n|---|---|\n| {w('first_response')} | {_num(r['first_response_hours_median'], language)} |"
        f"\n| {w('resolution')} | {_num(r['resolution_hours_median'], language)} |\n| {w('sla_met')} | {_pct(r['sla_met_share'], language)} |",
        "",
    ]
    if r["sla_states"]:
        lines += [f"| {w('sla_state')} | {w('count')} |", "|---|---|"]
        lines += [
            f"| {SLA_WORDS[k][0 if language == 'zh' else 1]} | {n} |" for k, n in r["sla_states"].items()
        ]
        lines.append("")
    lines += [f"## {w('recurring')}", ""]
    lines += [f"- {x['category']}: {x['tickets']}" for x in r["top_categories"]] or [w("no_data")]
    lines += ["", f"### {w('unanswered')}", ""]
    lines += [f"- {x['topic']} ({x['count']})" for x in r["top_unanswered"]] or [w("no_data")]
    lines += ["", f"### {w('faq_added')}", ""]
    lines += [
        f"- {x['question']} ({w('from_tickets')}: {', '.join(x['tickets'])})" for x in r["faq_added"]
    ] or [w("no_data")]
    lines += ["", f"## {w('changes')}", ""]
    if r["change_requests_by_state"]:
        lines += [f"| {w('state')} | {w('count')} |", "|---|---|"]
        lines += [
            f"| {label('workflow', 'state_', k, language)} | {n} |"
            for k, n in r["change_requests_by_state"].items()
        ]
        lines += ["", f"{w('open_age')}: {_num(r['open_change_request_age_days'], language)}"]
    else:
        lines.append(w("no_data"))
    lines += ["", f"_{w('definitions')}_", ""]
    return "\n".join(lines)


def _font(size: int) -> Any:
    from PIL import ImageFont

    for path in _FONTS:
        if os.path.exists(path):
            try:
                return ImageFont.truetype(path, size)
            except OSError:
                continue
    return ImageFont.load_default()


def bar_chart(title: str, labels: list[str], values: list[int], colours: list[str] | None = None) -> bytes:
    """A horizontal bar chart as PNG, with whole-number values written at each bar."""
    from PIL import Image, ImageDraw

    rows = max(1, len(labels))
    width, bar_h, left, top = 900, 28, 260, 50
    img = Image.new("RGB", (width, top + rows * (bar_h + 10) + 20), "white")
    d = ImageDraw.Draw(img)
    d.text((10, 10), title, fill="black", font=_font(20))
    peak = max(values) if values else 0
    label_font, value_font = _font(15), _font(14)
    for i, (name, value) in enumerate(zip(labels, values, strict=True)):
        y = top + i * (bar_h + 10)
        d.text((10, y + 5), name[:24], fill="black", font=label_font)
        length = int((width - left - 80) * value / peak) if peak else 0
        colour = colours[i] if colours else "#4C78A8"
        d.rectangle([left, y, left + max(length, 1), y + bar_h], fill=colour)
        d.text((left + length + 8, y + 5), str(int(value)), fill="black", font=value_font)
    buffer = io.BytesIO()
    img.save(buffer, format="PNG")
    return buffer.getvalue()


SLA_COLOURS = {
    "breached": "#D62728",
    "missed": "#FF7F0E",
    "due_soon": "#FFBF00",
    "on_track": "#4C78A8",
    "met": "#2CA02C",
    "none": "#9E9E9E",
}


def benefit_docx(r: dict[str, Any], path: Path, language: str = "zh") -> Path:
    """The report as DOCX with the charts, written atomically."""
    import docx
    from docx.shared import Inches

    def w(key: str) -> str:
        return _w(key, language)

    doc = docx.Document()
    doc.add_heading(w("title"), level=0)
    doc.add_paragraph(f"{w('kb')}: {r['kb']} · {w('period')}: {r['from']} – {r['to']}")

    def table(rows: list[tuple[str, str]]) -> None:
        t = doc.add_table(rows=len(rows), cols=2)
        t.style = "Table Grid"
        for i, (a, b) in enumerate(rows):
            t.cell(i, 0).text, t.cell(i, 1).text = a, b

    doc.add_heading(w("helpdesk"), level=1)
    table(
        [
            (w("questions"), str(r["questions"])),
            (w("answered"), _pct(r["answered_share"], language)),
            (w("helpdesk_tickets"), str(r["helpdesk_tickets"])),
            (w("deflection"), _pct(r["deflection"], language)),
        ]
    )
    doc.add_heading(w("tickets"), level=1)
    doc.add_paragraph(f"{w('tickets_in_period')}: {r['tickets']}")
    weekly: Counter[str] = Counter()
    for x in r["tickets_per_week"]:
        weekly[x["week"]] += x["tickets"]
    if weekly:
        png = bar_chart(w("per_week"), list(weekly), list(weekly.values()))
        doc.add_picture(io.BytesIO(png), width=Inches(6))
    if r["top_categories"]:
        png = bar_chart(
            w("recurring"),
            [x["category"] for x in r["top_categories"]],
            [x["tickets"] for x in r["top_categories"]],
        )
        doc.add_picture(io.BytesIO(png), width=Inches(6))
    doc.add_heading(w("sla"), level=1)
    table(
        [
            (w("first_response"), _num(r["first_response_hours_median"], language)),
            (w("resolution"), _num(r["resolution_hours_median"], language)),
            (w("sla_met"), _pct(r["sla_met_share"], language)),
        ]
    )
    if r["sla_states"]:
        keys = list(r["sla_states"])
        png = bar_chart(
            w("sla_state"),
            [SLA_WORDS[k][0 if language == "zh" else 1] for k in keys],
            [r["sla_states"][k] for k in keys],
            [SLA_COLOURS[k] for k in keys],
        )
        doc.add_picture(io.BytesIO(png), width=Inches(6))
    doc.add_heading(w("unanswered"), level=2)
    for x in r["top_unanswered"] or [{"topic": w("no_data"), "count": ""}]:
        doc.add_paragraph(
            f"{x['topic']} {('(' + str(x['count']) + ')') if x['count'] != '' else ''}", style="List Bullet"
        )
    doc.add_heading(w("faq_added"), level=2)
    for x in r["faq_added"]:
        doc.add_paragraph(
            f"{x['question']} ({w('from_tickets')}: {', '.join(x['tickets'])})", style="List Bullet"
        )
    if not r["faq_added"]:
        doc.add_paragraph(w("no_data"))
    doc.add_heading(w("changes"), level=1)
    if r["change_requests_by_state"]:
        table(
            [
                (label("workflow", "state_", k, language), str(n))
                for k, n in r["change_requests_by_state"].items()
            ]
        )
        doc.add_paragraph(f"{w('open_age')}: {_num(r['open_change_request_age_days'], language)}")
    else:
        doc.add_paragraph(w("no_data"))
    doc.add_paragraph(w("definitions"))
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".benefit-", suffix=".docx", dir=path.parent)
    os.close(fd)
    try:
        doc.save(tmp)
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)
    return path
