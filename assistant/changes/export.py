"""One change request as a Markdown or DOCX document, in Chinese or English."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from assistant.errors import InvalidInput
from assistant.messages import messages


def export_markdown(cr: dict[str, Any], audit: list[dict[str, Any]], language: str = "en") -> str:
    L = messages("change_export", language)
    imp = cr.get("impact") or {}
    lines = [
        f"# {cr['id']}: {cr['title']}",
        "",
        f"{L['status']}: **{cr['status']}** · {L['requester']}: {cr['requester']} · {L['created']} {cr['created_at']}",
        "",
        f"## {L['requested_change']}",
        "",
        cr.get("requested_change") or "",
        "",
        f"## {L['reason']}",
        "",
        cr.get("reason") or L["to_fill"],
        "",
        f"## {L['current']}",
        "",
    ]
    lines += [
        f"- {c['section']} ({c['source']}{', ' + L['page'] + ' ' + str(c['page']) if c.get('page') else ''}): {c['snippet'][:160]}"
        for c in cr.get("current_behaviour") or []
    ] or [L["none_found"]]
    lines += ["", f"## {L['modules']}", "", ", ".join(cr.get("affected_modules") or []) or L["none"], ""]
    lines += [f"## {L['requirements']}", ""]
    lines += [
        f"- {r['id']} — {r['source']}: {r['snippet'][:160]}" for r in cr.get("affected_requirements") or []
    ] or [L["none"]]
    lines += ["", f"## {L['incidents']}", ""]
    lines += [f"- {i['id']}: {i.get('title', '')}" for i in cr.get("related_incidents") or []] or [L["none"]]
    lines += [
        "",
        f"## {L['impact']}",
        "",
        f"| {L['item']} | {L['value']} | {L['proposal']} |",
        "|---|---|---|",
    ]
    for k in ("effort_days", "schedule", "cost", "risk"):
        v = imp.get(k) or {}
        lines.append(
            f"| {L[k]} | {v.get('value') if v.get('value') is not None else L['to_fill']} | "
            f"{L['proposed'] if v.get('proposed') else L['confirmed']} |"
        )
    lines += ["", f"## {L['acceptance']}", ""]
    lines += [
        f"- {a['text']}{L['proposed_short'] if a.get('proposed') else ''}"
        for a in cr.get("acceptance_criteria") or []
    ]
    lines += ["", f"## {L['approvals']}", ""]
    lines += [f"- {a['approver']} {L['at']} {a['at']}" for a in cr.get("approvals") or []] or [L["none_yet"]]
    lines += [
        "",
        f"## {L['audit']}",
        "",
        f"| {L['when']} | {L['who']} | {L['action']} | {L['from']} | {L['to']} | {L['comment']} |",
        "|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {a['at']} | {a['actor']} ({a['role']}) | {a['action']} | {a['from_state'] or ''} | {a['to_state'] or ''} | "
        f"{a['comment'] or ''} |"
        for a in audit
    ]
    return "\n".join(lines) + "\n"


def export_bytes(cr: dict[str, Any], audit: list[dict[str, Any]], fmt: str, language: str = "en") -> bytes:
    """One change request as a Markdown or DOCX file's bytes (for downloads)."""
    if fmt == "md":
        return export_markdown(cr, audit, language).encode("utf-8")
    if fmt != "docx":
        raise InvalidInput(f"unknown format {fmt!r}; use md or docx")
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        return export_docx(cr, audit, Path(tmp) / "cr.docx", language).read_bytes()


def export_docx(cr: dict[str, Any], audit: list[dict[str, Any]], path: Path, language: str = "en") -> Path:
    import docx

    L = messages("change_export", language)
    d = docx.Document()
    d.core_properties.title = f"{cr['id']}: {cr['title']}"
    d.add_heading(f"{cr['id']}: {cr['title']}", level=0)
    d.add_paragraph(
        f"{L['status']}: {cr['status']}   {L['requester']}: {cr['requester']}   {L['created']}: {cr['created_at']}"
    )
    for heading, body in (
        (L["requested_change"], cr.get("requested_change") or ""),
        (L["reason"], cr.get("reason") or L["to_fill"].strip("_")),
    ):
        d.add_heading(heading, level=1)
        d.add_paragraph(body)
    d.add_heading(L["requirements"], level=1)
    for r in cr.get("affected_requirements") or []:
        d.add_paragraph(f"{r['id']} — {r['source']}", style="List Bullet")
    d.add_heading(L["impact"], level=1)
    t = d.add_table(rows=1, cols=3)
    t.style = "Table Grid"
    for i, h in enumerate((L["item"], L["value"], L["proposal"])):
        t.cell(0, i).text = h.capitalize()
    for k in ("effort_days", "schedule", "cost", "risk"):
        v = (cr.get("impact") or {}).get(k) or {}
        cells = t.add_row().cells
        cells[0].text, cells[1].text = L[k], "" if v.get("value") is None else str(v.get("value"))
        cells[2].text = L["proposed"] if v.get("proposed") else L["confirmed"]
    d.add_heading(L["audit"], level=1)
    a_t = d.add_table(rows=1, cols=5)
    a_t.style = "Table Grid"
    for i, h in enumerate((L["when"], L["who"], L["action"], f"{L['from']} → {L['to']}", L["comment"])):
        a_t.cell(0, i).text = h.capitalize()
    for a in audit:
        cells = a_t.add_row().cells
        cells[0].text, cells[1].text, cells[2].text = a["at"], f"{a['actor']} ({a['role']})", a["action"]
        cells[3].text, cells[4].text = f"{a['from_state'] or ''} → {a['to_state'] or ''}", a["comment"] or ""
    path.parent.mkdir(parents=True, exist_ok=True)
    d.save(str(path))
    return path
