"""The requirements specification (需求规格说明书) of an interview session: every requirement with
its quote, as Markdown or DOCX."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from assistant.errors import InvalidInput
from assistant.interviews.guides import load_guides
from assistant.messages import messages


def build_spec(session: dict[str, Any], items: dict[str, Any], home: Path | None = None) -> dict[str, Any]:
    lang = session["language"]
    lab = messages("spec", lang)
    try:
        guide = load_guides(home or Path("/nonexistent"))[session["module"]]
        session = {**session, "module": (guide.get(lang) or guide["en"])["title"]}
    except (KeyError, InvalidInput):
        pass
    return {
        "labels": lab,
        "session": session,
        "requirements": items["requirements"],
        "pain_points": items["pain_points"],
        "process_steps": items["process_steps"],
        "open_questions": items["open_questions"],
        "contradictions": items["contradictions"],
    }


def spec_markdown(spec: dict[str, Any]) -> str:
    lab, s = spec["labels"], spec["session"]
    out = [
        f"# {lab['title']}: {s['project']}",
        "",
        f"{lab['project']}: {s['project']}  ",
        f"{lab['module']}: {s['module']}  ",
        f"{lab['date']}: {s.get('date') or ''}  ",
        f"{lab['consultant']}: {s.get('consultant') or ''}",
        "",
        f"## {lab['scope']}",
        "",
        lab["scope_text"].format(module=s["module"]),
        "",
        f"## {lab['stakeholders']}",
        "",
        f"| {lab['name']} | {lab['role']} | {lab['dept']} |",
        "|---|---|---|",
    ]
    out += [
        f"| {p.get('name', '')} | {p.get('role', '')} | {p.get('department', '')} |"
        for p in s["interviewees"]
    ]
    out += ["", f"## {lab['current']}", "", f"### {lab['steps']}", ""]
    out += [f"{i}. {x['quote']} ({x['turn']})" for i, x in enumerate(spec["process_steps"], 1)] or [
        lab["none"]
    ]
    out += ["", f"### {lab['pains']}", ""]
    out += [f"- {x['quote']} ({x['speaker']}, {x['turn']})" for x in spec["pain_points"]] or [lab["none"]]
    out += [
        "",
        f"## {lab['reqs']}",
        "",
        "| " + " | ".join(lab["cols"]) + " |",
        "|" + "---|" * len(lab["cols"]),
    ]
    for r in spec["requirements"]:
        quote = evidence(r).replace("|", "\\|")
        notes = "".join(
            f" ⚠ {ref['kind']}: {', '.join(ref.get('req_ids') or []) or ref['source']}"
            for ref in r.get("refs", [])
        )
        out.append(
            f"| {r['id']} | {r['statement']}{notes} | {r.get('type') or ''} | {r.get('priority') or ''} | "
            f"{quote} | {r['speaker']} |"
        )
    out += ["", f"## {lab['open']}", ""]
    out += [f"- {x['quote']} ({x['speaker']}, {x['turn']})" for x in spec["open_questions"]] or [lab["none"]]
    out += ["", f"## {lab['conflicts']}", ""]
    out += [
        f"- {c['speakers'][0]} ({c['turns'][0]}): “{c['quotes'][0]}” ↔ {c['speakers'][1]} ({c['turns'][1]}): "
        f"“{c['quotes'][1]}” — {c['reason']}"
        for c in spec["contradictions"]
    ] or [lab["none"]]
    out += [
        "",
        f"## {lab['signoff']}",
        "",
        "| " + " | ".join(lab["sign"]) + " |",
        "|---|---|---|",
        "|  |  |  |",
        "",
    ]
    return "\n".join(out)


def spec_bytes(spec: dict[str, Any], fmt: str) -> bytes:
    """The specification as a Markdown or DOCX file's bytes (for downloads)."""
    if fmt == "md":
        return spec_markdown(spec).encode("utf-8")
    if fmt != "docx":
        raise InvalidInput(f"unknown format {fmt!r}; use md or docx")
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        return spec_docx(spec, Path(tmp) / "spec.docx").read_bytes()


def spec_docx(spec: dict[str, Any], path: Path) -> Path:
    import docx

    lab, s = spec["labels"], spec["session"]
    d = docx.Document()
    d.core_properties.title = f"{lab['title']}: {s['project']}"
    d.add_heading(f"{lab['title']}: {s['project']}", level=0)
    d.add_paragraph(
        f"{lab['module']}: {s['module']}   {lab['date']}: {s.get('date') or ''}   "
        f"{lab['consultant']}: {s.get('consultant') or ''}"
    )
    d.add_heading(lab["scope"], level=1)
    d.add_paragraph(lab["scope_text"].format(module=s["module"]))
    d.add_heading(lab["stakeholders"], level=1)
    _table(
        d,
        [lab["name"], lab["role"], lab["dept"]],
        [[p.get("name", ""), p.get("role", ""), p.get("department", "")] for p in s["interviewees"]],
    )
    d.add_heading(lab["current"], level=1)
    d.add_heading(lab["steps"], level=2)
    for x in spec["process_steps"] or [{"quote": lab["none"], "turn": ""}]:
        d.add_paragraph(f"{x['quote']} {('(' + x['turn'] + ')') if x['turn'] else ''}", style="List Number")
    d.add_heading(lab["pains"], level=2)
    for x in spec["pain_points"] or [{"quote": lab["none"], "speaker": "", "turn": ""}]:
        d.add_paragraph(f"{x['quote']} {x['speaker']} {x['turn']}".strip(), style="List Bullet")
    d.add_heading(lab["reqs"], level=1)
    _table(
        d,
        lab["cols"],
        [
            [
                r["id"],
                r["statement"],
                r.get("type") or "",
                r.get("priority") or "",
                evidence(r),
                r["speaker"],
            ]
            for r in spec["requirements"]
        ],
    )
    d.add_heading(lab["open"], level=1)
    for x in spec["open_questions"] or [{"quote": lab["none"], "speaker": "", "turn": ""}]:
        d.add_paragraph(f"{x['quote']} {x['speaker']} {x['turn']}".strip(), style="List Bullet")
    d.add_heading(lab["conflicts"], level=1)
    for c in spec["contradictions"] or []:
        d.add_paragraph(
            f"{c['speakers'][0]}: “{c['quotes'][0]}” ↔ {c['speakers'][1]}: “{c['quotes'][1]}” ({c['reason']})",
            style="List Bullet",
        )
    d.add_heading(lab["signoff"], level=1)
    _table(d, lab["sign"], [["", "", ""]])
    path.parent.mkdir(parents=True, exist_ok=True)
    d.save(str(path))
    return path


def _table(d: Any, header: list[str], rows: list[list[str]]) -> None:
    t = d.add_table(rows=1 + len(rows), cols=len(header))
    t.style = "Table Grid"
    for i, h in enumerate(header):
        t.cell(0, i).text = h
    for r, row in enumerate(rows, 1):
        for i, v in enumerate(row):
            t.cell(r, i).text = str(v)


def evidence(r: dict[str, Any]) -> str:
    """Every quote of a requirement with its turn: “…” (T3); “…” (T9)."""
    quotes = r.get("quotes") or [{"quote": r["quote"], "turn": r["turn"]}]
    return "; ".join(f"“{q['quote']}” ({q['turn']})" for q in quotes)
