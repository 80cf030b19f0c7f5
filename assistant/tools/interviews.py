"""Interview sessions: who was interviewed about what, the transcript turns, the extracted items
(with the consultant's edits kept), question guides with topic coverage, and the requirements
specification (需求规格说明书) exported as Markdown and DOCX."""

from __future__ import annotations

import json
import re
import uuid
from importlib import resources
from pathlib import Path
from typing import Any

from assistant.appdb import AppDB, register_schema
from assistant.errors import InvalidInput, NotFound
from assistant.kbstore import now_iso
from assistant.tools.extraction import TYPE_RULES, against_specs, extract, llm_extract
from assistant.tools.transcripts import Turn

register_schema(
    """
CREATE TABLE IF NOT EXISTS interview_sessions (
    id TEXT PRIMARY KEY, project TEXT NOT NULL, kb TEXT, module TEXT NOT NULL, consultant TEXT,
    interviewees TEXT NOT NULL, date TEXT, language TEXT NOT NULL, created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS interview_turns (
    session_id TEXT NOT NULL REFERENCES interview_sessions(id), seq INTEGER NOT NULL, ref TEXT NOT NULL,
    speaker TEXT NOT NULL, text TEXT NOT NULL, PRIMARY KEY (session_id, seq)
);
CREATE TABLE IF NOT EXISTS interview_items (
    session_id TEXT NOT NULL REFERENCES interview_sessions(id), item_id TEXT NOT NULL, kind TEXT NOT NULL,
    data TEXT NOT NULL, edited INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (session_id, item_id)
);
"""
)

MODULES = ("procurement", "inventory", "production", "sales", "finance", "hr")
TYPES = {"F", "A", "FT", "L", "LF", "MN", "O", "PE", "PO", "SC", "SE", "US"}
PRIORITIES = {"Must", "Should", "Could", "Won't"}


def load_guides(home: Path) -> dict[str, Any]:
    """The shipped question guides, overridden by ``<home>/guides.json`` where the consultant edited them."""
    guides = json.loads(resources.files("assistant").joinpath("data/guides.json").read_text(encoding="utf-8"))
    custom = home / "guides.json"
    if custom.exists():
        try:
            for module, langs in json.loads(custom.read_text(encoding="utf-8")).items():
                guides.setdefault(module, {}).update(langs)
        except (json.JSONDecodeError, AttributeError) as e:
            raise InvalidInput(f"{custom} is not a valid guide file: {e}") from e
    return guides  # type: ignore[no-any-return]


class Interviews:
    def __init__(self, db: AppDB, home: Path) -> None:
        self.db = db
        self.home = home

    # -- sessions ---------------------------------------------------------------------------
    def create(
        self,
        project: str,
        module: str,
        interviewees: list[dict[str, str]],
        kb: str | None = None,
        consultant: str | None = None,
        date: str | None = None,
        language: str = "zh",
    ) -> dict[str, Any]:
        if not (project or "").strip():
            raise InvalidInput("a session needs a project name")
        if module not in MODULES:
            raise InvalidInput(f"unknown module {module!r}; use one of: {', '.join(MODULES)}")
        if language not in ("zh", "en"):
            raise InvalidInput("language must be zh or en")
        if date and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", date):
            raise InvalidInput("date must look like 2026-11-20")
        if not interviewees or not all((p.get("name") or "").strip() for p in interviewees):
            raise InvalidInput("name at least one interviewee")
        sid = "S-" + uuid.uuid4().hex[:8]
        with self.db.transaction() as c:
            c.execute(
                "INSERT INTO interview_sessions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    sid,
                    project.strip(),
                    kb,
                    module,
                    consultant,
                    json.dumps(interviewees, ensure_ascii=False),
                    date,
                    language,
                    now_iso(),
                ),
            )
        return self.get(sid)

    def get(self, sid: str) -> dict[str, Any]:
        row = self.db.conn.execute("SELECT * FROM interview_sessions WHERE id = ?", (sid,)).fetchone()
        if row is None:
            raise NotFound(f"interview session {sid!r} does not exist")
        d = dict(row)
        d["interviewees"] = json.loads(d["interviewees"])
        return d

    def sessions(self, kbs: list[str] | None = None) -> list[dict[str, Any]]:
        """Sessions, newest first; ``kbs`` limits them to those knowledge bases (``*`` means all)."""
        rows = self.db.conn.execute(
            "SELECT s.*, (SELECT COUNT(*) FROM interview_turns t WHERE t.session_id = s.id) AS turns "
            "FROM interview_sessions s ORDER BY s.created_at DESC"
        ).fetchall()
        out = []
        for r in rows:
            if kbs is not None and "*" not in kbs and r["kb"] not in kbs:
                continue
            d = dict(r)
            d["interviewees"] = json.loads(d["interviewees"])
            out.append(d)
        return out

    def add_turns(self, sid: str, turns: list[Turn]) -> list[Turn]:
        """Append turns; references continue the session's numbering (T1, T2, ...)."""
        self.get(sid)
        with self.db.transaction() as c:
            seq = c.execute(
                "SELECT COALESCE(MAX(seq), 0) FROM interview_turns WHERE session_id = ?", (sid,)
            ).fetchone()[0]
            out = []
            for t in turns:
                seq += 1
                out.append(Turn(f"T{seq}", t.speaker, t.text))
                c.execute(
                    "INSERT INTO interview_turns VALUES (?, ?, ?, ?, ?)",
                    (sid, seq, f"T{seq}", t.speaker, t.text),
                )
        return out

    def turns(self, sid: str) -> list[Turn]:
        rows = self.db.conn.execute(
            "SELECT ref, speaker, text FROM interview_turns WHERE session_id = ? ORDER BY seq", (sid,)
        )
        return [Turn(r["ref"], r["speaker"], r["text"]) for r in rows]

    # -- extraction and edits ---------------------------------------------------------------
    def extract(
        self, sid: str, classifier: Any = None, spec_search: Any = None, llm: Any = None
    ) -> dict[str, Any]:
        """Extract from all turns; items the consultant edited are kept as edited."""
        turns = self.turns(sid)
        if not turns:
            raise InvalidInput(f"session {sid} has no transcript yet; add one with `assistant interview add`")
        result = extract(turns, classifier)
        if llm is not None:
            result["requirements"], _dropped = llm_extract(llm, turns)
        if spec_search is not None:
            against_specs(result["requirements"], spec_search)
        with self.db.transaction() as c:
            edited = {
                r["item_id"]
                for r in c.execute(
                    "SELECT item_id FROM interview_items WHERE session_id = ? AND edited = 1", (sid,)
                )
            }
            c.execute("DELETE FROM interview_items WHERE session_id = ? AND edited = 0", (sid,))
            for kind in ("requirements", "pain_points", "process_steps", "open_questions"):
                for item in result[kind]:
                    if item["id"] not in edited:
                        c.execute(
                            "INSERT INTO interview_items VALUES (?, ?, ?, ?, 0)",
                            (sid, item["id"], item["kind"], json.dumps(item, ensure_ascii=False)),
                        )
            c.execute("DELETE FROM interview_items WHERE session_id = ? AND kind = 'contradiction'", (sid,))
            for n, con in enumerate(result["contradictions"], 1):
                c.execute(
                    "INSERT INTO interview_items VALUES (?, ?, 'contradiction', ?, 0)",
                    (sid, f"C{n}", json.dumps(con, ensure_ascii=False)),
                )
        return self.items(sid)

    def items(self, sid: str) -> dict[str, Any]:
        rows = self.db.conn.execute("SELECT * FROM interview_items WHERE session_id = ?", (sid,)).fetchall()
        out: dict[str, list[dict[str, Any]]] = {
            "requirements": [],
            "pain_points": [],
            "process_steps": [],
            "open_questions": [],
            "contradictions": [],
        }
        key = {
            "requirement": "requirements",
            "pain_point": "pain_points",
            "process_step": "process_steps",
            "open_question": "open_questions",
            "contradiction": "contradictions",
        }
        for r in rows:
            data = json.loads(r["data"])
            data["edited"] = bool(r["edited"])
            out[key[r["kind"]]].append(data)
        for v in out.values():
            v.sort(key=lambda d: int(re.sub(r"\D", "", d.get("id", "0")) or 0))
        return out

    def edit(
        self,
        sid: str,
        item_id: str,
        statement: str | None = None,
        type_: str | None = None,
        priority: str | None = None,
    ) -> dict[str, Any]:
        if type_ is not None and type_ not in TYPES:
            raise InvalidInput(f"unknown type {type_!r}; use one of: {', '.join(sorted(TYPES))}")
        if priority is not None and priority not in PRIORITIES:
            raise InvalidInput(f"unknown priority {priority!r}; use one of: {', '.join(sorted(PRIORITIES))}")
        with self.db.transaction() as c:
            row = c.execute(
                "SELECT data FROM interview_items WHERE session_id = ? AND item_id = ? AND kind = 'requirement'",
                (sid, item_id),
            ).fetchone()
            if row is None:
                raise NotFound(f"no requirement {item_id!r} in session {sid}")
            data = json.loads(row["data"])
            if statement is not None:
                if not statement.strip():
                    raise InvalidInput("the statement is empty")
                data["statement"] = statement.strip()
            if type_ is not None:
                data["type"] = type_
            if priority is not None:
                data["priority"] = priority
            c.execute(
                "UPDATE interview_items SET data = ?, edited = 1 WHERE session_id = ? AND item_id = ?",
                (json.dumps(data, ensure_ascii=False), sid, item_id),
            )
        return data

    def apply_edits(self, sid: str, before: list[dict[str, Any]], after: list[dict[str, Any]]) -> int:
        """Save what a consultant changed in the requirement table (rows with id, statement, type,
        priority, as shown and as edited); returns the number of requirements changed."""
        n = 0
        for old, new in zip(before, after, strict=True):
            if old["id"] != new["id"]:
                raise InvalidInput("the requirement table changed while you edited it; reload and edit again")
            changes = {
                "statement": new["statement"] if new["statement"] != old["statement"] else None,
                "type_": new["type"] if new["type"] != old["type"] and new["type"] else None,
                "priority": new["priority"]
                if new["priority"] != old["priority"] and new["priority"]
                else None,
            }
            if any(v is not None for v in changes.values()):
                self.edit(sid, old["id"], **changes)
                n += 1
        return n

    # -- guides -----------------------------------------------------------------------------
    def guide(self, module: str, language: str = "zh", sid: str | None = None) -> dict[str, Any]:
        guides = load_guides(self.home)
        if module not in guides:
            raise InvalidInput(f"no guide for module {module!r}; available: {', '.join(sorted(guides))}")
        g = guides[module].get(language) or guides[module].get("en")
        said = " ".join(t.text for t in self.turns(sid)).lower() if sid else ""
        topics = []
        for t in g["topics"]:
            covered = bool(said) and any(k.lower() in said for k in t["keywords"])
            topics.append({**t, "covered": covered})
        return {
            "module": module,
            "title": g["title"],
            "language": language,
            "topics": topics,
            "uncovered": [t["topic"] for t in topics if not t["covered"]],
        }


# ---------------------------------------------------------------------------------------------
# specification drafting

LABELS = {
    "zh": {
        "title": "需求规格说明书",
        "project": "项目",
        "module": "模块",
        "date": "访谈日期",
        "consultant": "实施顾问",
        "scope": "1 范围",
        "stakeholders": "2 干系人",
        "current": "3 现状流程与痛点",
        "steps": "现状流程",
        "pains": "痛点",
        "reqs": "4 需求清单",
        "open": "5 待确认问题",
        "conflicts": "6 矛盾与冲突",
        "signoff": "7 签字确认",
        "cols": ["编号", "需求描述", "类型", "优先级", "原话", "受访人"],
        "scope_text": "本说明书记录 {module} 模块访谈中提出的需求，每条需求均可追溯到访谈原话。",
        "sign": ["客户代表", "实施顾问", "日期"],
        "none": "无",
        "name": "姓名",
        "role": "岗位",
        "dept": "部门",
    },
    "en": {
        "title": "Requirements Specification",
        "project": "Project",
        "module": "Module",
        "date": "Interview date",
        "consultant": "Consultant",
        "scope": "1 Scope",
        "stakeholders": "2 Stakeholders",
        "current": "3 Current process and pain points",
        "steps": "Current process",
        "pains": "Pain points",
        "reqs": "4 Requirements",
        "open": "5 Open questions",
        "conflicts": "6 Contradictions",
        "signoff": "7 Sign-off",
        "cols": ["ID", "Statement", "Type", "Priority", "Source quote", "Interviewee"],
        "scope_text": "This specification records the requirements raised in the {module} interviews; every "
        "requirement traces back to what was said.",
        "sign": ["Customer representative", "Consultant", "Date"],
        "none": "none",
        "name": "Name",
        "role": "Role",
        "dept": "Department",
    },
}


def build_spec(session: dict[str, Any], items: dict[str, Any], home: Path | None = None) -> dict[str, Any]:
    lang = session["language"]
    lab = dict(LABELS[lang])
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
        quote = r["quote"].replace("|", "\\|")
        notes = "".join(
            f" ⚠ {ref['kind']}: {', '.join(ref.get('req_ids') or []) or ref['source']}"
            for ref in r.get("refs", [])
        )
        out.append(
            f"| {r['id']} | {r['statement']}{notes} | {r.get('type') or ''} | {r.get('priority') or ''} | "
            f"“{quote}” ({r['turn']}) | {r['speaker']} |"
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
                f"“{r['quote']}” ({r['turn']})",
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


def rule_types() -> list[str]:
    return [label for label, _ in TYPE_RULES]
