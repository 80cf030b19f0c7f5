"""One change request as a Markdown or DOCX document, in Chinese or English."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from assistant.errors import InvalidInput
from assistant.messages import label, messages


def _state(code: str | None, language: str) -> str:
    return label("workflow", "state_", code, language)


def _action(code: str, language: str) -> str:
    # the action codes are English verbs already ("approve", "needs_info"): the audit log keeps them
    # as the board wrote them in English, and takes the label in Chinese
    return label("workflow", "act_", code, language) if language == "zh" else code.replace("_", " ")


def _role(code: str, language: str) -> str:
    return label("workflow", "cr_role_", code, language)


def _when(iso: str | None) -> str:
    """A stored UTC timestamp as people read it: ``2026-12-01 09:34 UTC``."""
    return f"{iso[:16].replace('T', ' ')} UTC" if iso else ""


def _one_line(text: str, limit: int = 160) -> str:
    """A snippet on one line (a quoted numbered list must not continue the document's own list)."""
    flat = " ".join((text or "").split())
    return flat if len(flat) <= limit else flat[:limit].rstrip() + "…"


def _modules(codes: list[str], language: str) -> str:
    return ("、" if language == "zh" else ", ").join(label("workflow", "module_", m, language) for m in codes)


def _value(key: str, value: Any, language: str) -> str:
    return label("workflow", "risk_", str(value), language) if key == "risk" else str(value)


def export_markdown(cr: dict[str, Any], audit: list[dict[str, Any]], language: str = "en") -> str:
    L = messages("change_export", language)
    imp = cr.get("impact") or {}
    lines = [
        f"# {cr['id']}: {cr['title']}",
        "",
        f"{L['status']}: **{_state(cr['status'], language)}** · {L['requester']}: {cr['requester']} · "
        f"{L['created']} {_when(cr['created_at'])}",
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
        f"- {c['section']} ({c['source']}{', ' + L['page'] + ' ' + str(c['page']) if c.get('page') else ''}): "
        f"{_one_line(c['snippet'])}"
        for c in cr.get("current_behaviour") or []
    ] or [L["none_found"]]
    lines += [
        "",
        f"## {L['modules']}",
        "",
        _modules(cr.get("affected_modules") or [], language) or L["none"],
        "",
    ]
    lines += [f"## {L['requirements']}", ""]
    lines += [
        f"- {r['id']} — {r['source']}: {_one_line(r['snippet'])}"
        for r in cr.get("affected_requirements") or []
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
            f"| {L[k]} | {_value(k, v['value'], language) if v.get('value') is not None else L['to_fill']} | "
            f"{L['proposed'] if v.get('proposed') else L['confirmed']} |"
        )
    lines += ["", f"## {L['acceptance']}", ""]
    lines += [
        f"- {a['text']}{L['proposed_short'] if a.get('proposed') else ''}"
        for a in cr.get("acceptance_criteria") or []
    ]
    lines += ["", f"## {L['approvals']}", ""]
    lines += [f"- {a['approver']} {L['at']} {_when(a['at'])}" for a in cr.get("approvals") or []] or [
        L["none_yet"]
    ]
    lines += [
        "",
        f"## {L['audit']}",
        "",
        f"| {L['when']} | {L['who']} | {L['action']} | {L['from']} | {L['to']} | {L['comment']} |",
        "|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {_when(a['at'])} | {a['actor']} ({_role(a['role'], language)}) | {_action(a['action'], language)} | "
        f"{_state(a['from_state'], language)} | {_state(a['to_state'], language)} | {a['comment'] or ''} |"
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
        f"{L['status']}: {_state(cr['status'], language)}   {L['requester']}: {cr['requester']}   "
        f"{L['created']}: {_when(cr['created_at'])}"
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
        cells[0].text, cells[1].text = L[k], "" if v.get("value") is None else _value(k, v["value"], language)
        cells[2].text = L["proposed"] if v.get("proposed") else L["confirmed"]
    d.add_heading(L["audit"], level=1)
    a_t = d.add_table(rows=1, cols=5)
    a_t.style = "Table Grid"
    for i, h in enumerate((L["when"], L["who"], L["action"], f"{L['from']} → {L['to']}", L["comment"])):
        a_t.cell(0, i).text = h.capitalize()
    for a in audit:
        cells = a_t.add_row().cells
        cells[0].text, cells[1].text = _when(a["at"]), f"{a['actor']} ({_role(a['role'], language)})"
        cells[2].text = _action(a["action"], language)
        cells[3].text = f"{_state(a['from_state'], language)} → {_state(a['to_state'], language)}"
        cells[4].text = a["comment"] or ""
    path.parent.mkdir(parents=True, exist_ok=True)
    d.save(str(path))
    return path
