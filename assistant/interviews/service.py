"""Interview sessions: who was interviewed about what, the transcript turns, the extracted items
(with the consultant's edits kept), question guides with topic coverage, and the requirements
specification (需求规格说明书) exported as Markdown and DOCX."""

from __future__ import annotations

import json
import logging
import re
import uuid
from pathlib import Path
from typing import Any

from assistant.errors import InvalidInput, NotFound, OutputParseError, ProviderError
from assistant.interviews.extraction import TYPE_RULES, against_specs, extract, llm_extract
from assistant.interviews.guides import load_guides
from assistant.interviews.models import MODULES, PRIORITIES, TYPES, Turn
from assistant.interviews.spec import build_spec, spec_bytes, spec_docx, spec_markdown
from assistant.interviews.transcripts import parse_transcript, read_transcript
from assistant.knowledge.store import now_iso
from assistant.providers.database import AppDB, register_kb_records, register_schema

log = logging.getLogger(__name__)

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
register_kb_records(
    ("interview_items", "session_id IN (SELECT id FROM interview_sessions WHERE kb = ?)"),
    ("interview_turns", "session_id IN (SELECT id FROM interview_sessions WHERE kb = ?)"),
    ("interview_sessions", "kb = ?"),
)


class Interviews:
    """Interview sessions, their turns and extracted items, guides and the specification."""

    def __init__(self, db: AppDB, home: Path) -> None:
        self.db = db
        self.home = home

    # -- transcripts --------------------------------------------------------------------------
    read_transcript = staticmethod(read_transcript)
    parse_transcript = staticmethod(parse_transcript)

    def add_notes(self, sid: str, text: str, speaker: str | None = None) -> list[Turn]:
        """Typed notes: one turn of ``speaker``, or labelled lines ('客户：...') parsed into turns."""
        turns = (
            [Turn("", speaker.strip(), text.strip())]
            if speaker
            else parse_transcript(text.encode("utf-8"), "notes.txt")
        )
        return self.add_turns(sid, turns)

    @staticmethod
    def extract_transcript(path: Path, llm: Any = None, classifier: Any = None) -> dict[str, Any]:
        """Items of a transcript file that is not stored in a session (the LLM's list in LLM modes)."""
        turns = read_transcript(path)
        result: dict[str, Any] = dict(extract(turns, classifier))
        if llm is not None:
            with_llm(result, llm, turns)
        result["turns"] = [t.__dict__ for t in turns]
        return result

    # -- guides and the specification -----------------------------------------------------------
    def guides(self) -> dict[str, Any]:
        return load_guides(self.home)

    def spec(self, sid: str, items: dict[str, Any] | None = None) -> dict[str, Any]:
        """The specification of a session, from its stored (or the given) items."""
        return build_spec(self.get(sid), items or self.items(sid), self.home)

    spec_bytes = staticmethod(spec_bytes)

    @staticmethod
    def write_spec(spec: dict[str, Any], folder: Path, stem: str) -> tuple[Path, Path]:
        """The specification as ``<stem>.md`` and ``<stem>.docx`` in a folder."""
        folder.mkdir(parents=True, exist_ok=True)
        md = folder / f"{stem}.md"
        md.write_text(spec_markdown(spec), encoding="utf-8")
        return md, spec_docx(spec, folder / f"{stem}.docx")

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
            with_llm(result, llm, turns)
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
        out: dict[str, Any] = self.items(sid)
        # turns the extractor did not read (a language it does not know), and who led the interview
        out["skipped"], out["summary"] = result["skipped"], result["summary"]
        if "llm_error" in result:
            out["llm_error"] = result["llm_error"]
        return out

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


def rule_types() -> list[str]:
    return [label for label, _ in TYPE_RULES]


def with_llm(result: dict[str, Any], llm: Any, turns: list[Turn]) -> None:
    """Replace the offline requirements by the model's (only quotes found verbatim are kept). When
    the model fails, times out, answers with something that is not the JSON asked for, or returns
    no requirements, the offline extraction stays and ``llm_error`` says why."""
    try:
        kept, dropped = llm_extract(llm, turns)
    except (ProviderError, OutputParseError) as e:
        result["llm_error"] = f"{e}; the offline extraction is shown"
        log.warning("LLM extraction failed: %s", e)
        return
    result["dropped_quotes"] = dropped
    if not kept:
        result["llm_error"] = (
            "the model returned no requirement with a quote found in the transcript; the offline extraction is shown"
        )
        return
    result["requirements"] = kept
