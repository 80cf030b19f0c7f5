"""The help desk: conversations, answers, feedback, tickets for unanswered questions, and the
content-gap report (unanswered and down-voted questions grouped by topic)."""

from __future__ import annotations

import json
import re
import uuid
from collections import Counter
from collections.abc import Iterator
from typing import Any

from assistant.appdb import AppDB, register_schema
from assistant.chains.answer import AnswerEngine, Turn, question_language
from assistant.chains.prompts import texts
from assistant.errors import InvalidInput, NotFound
from assistant.kbstore import now_iso, validate_kb_name
from assistant.schemas import Answer, Citation
from assistant.text import query_terms

register_schema(
    """
CREATE TABLE IF NOT EXISTS conversations (
    id TEXT PRIMARY KEY, kb TEXT NOT NULL, created_at TEXT NOT NULL, user TEXT
);
CREATE TABLE IF NOT EXISTS messages (
    id TEXT PRIMARY KEY,
    conversation_id TEXT NOT NULL REFERENCES conversations(id),
    seq INTEGER NOT NULL,
    kb TEXT NOT NULL,
    question TEXT NOT NULL,
    query TEXT NOT NULL,
    answer TEXT NOT NULL,
    found INTEGER NOT NULL,
    mode TEXT NOT NULL,
    language TEXT NOT NULL,
    confidence REAL NOT NULL,
    citations TEXT NOT NULL,
    flags TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS messages_conv ON messages(conversation_id, seq);
CREATE INDEX IF NOT EXISTS messages_kb ON messages(kb, created_at);
CREATE TABLE IF NOT EXISTS feedback (
    message_id TEXT PRIMARY KEY REFERENCES messages(id),
    rating INTEGER NOT NULL,
    comment TEXT,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS tickets (
    id TEXT NOT NULL,
    kb TEXT NOT NULL,
    title TEXT NOT NULL,
    text TEXT NOT NULL,
    category TEXT,
    priority TEXT,
    status TEXT NOT NULL,
    resolution TEXT,
    source TEXT NOT NULL,
    conversation_id TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    extra TEXT NOT NULL DEFAULT '{}',
    raw_status TEXT,
    created TEXT,
    content_hash TEXT,
    PRIMARY KEY (kb, id)
);
"""
)

MAX_QUESTION_CHARS = 2000
MAX_COMMENT_CHARS = 2000
_CN_NUM = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
_STEP_REF = re.compile(r"第\s*([一二三四五六七八九十]|\d{1,2})\s*步|\bstep\s*(\d{1,2})\b", re.I)


class HelpDesk:
    def __init__(self, db: AppDB, engines: Any) -> None:
        """``engines(kb)`` returns the :class:`AnswerEngine` of a knowledge base."""
        self.db = db
        self.engines = engines

    # -- asking -----------------------------------------------------------------------------
    def ask(
        self, kb: str, question: str, conversation_id: str | None = None, user: str | None = None
    ) -> Answer:
        final: Answer | None = None
        for event in self.ask_stream(kb, question, conversation_id, user):
            if isinstance(event, Answer):
                final = event
        assert final is not None
        return final

    def ask_stream(
        self, kb: str, question: str, conversation_id: str | None = None, user: str | None = None
    ) -> Iterator[str | Answer]:
        """Text deltas (LLM modes), then the stored :class:`Answer`."""
        question = _clean_question(question)
        kb = validate_kb_name(kb)
        engine: AnswerEngine = self.engines(kb)
        conv = self._conversation(kb, conversation_id, user)
        history = self.history(conv)
        answer = self._step_follow_up(question, history, engine)
        if answer is None:
            for event in engine.stream(question, history):
                if isinstance(event, Answer):
                    answer = event
                else:
                    yield event
        assert answer is not None
        answer.conversation_id = conv
        answer.message_id = self._store(kb, conv, question, answer)
        yield answer

    def _step_follow_up(self, question: str, history: list[Turn], engine: AnswerEngine) -> Answer | None:
        """'那第二步呢？' / 'and step 3?': quote that step of the procedure the last answer cited."""
        m = _STEP_REF.search(question)
        if not m or not history or not history[-1].chunk_ids or len(question) > 40:
            return None
        raw = m.group(1) or m.group(2)
        n = _CN_NUM.get(raw) or int(raw)
        chunks = engine.searcher.kb.chunks_by_id(history[-1].chunk_ids)
        for cid in history[-1].chunk_ids:
            chunk = chunks.get(cid)
            if chunk is None:
                continue
            for line in chunk.text.split("\n"):
                if re.match(rf"^\s*(?:{n}[.)、]|[（(]{n}[)）]|步骤\s*{n}|Step\s+{n}\b)", line, re.I):
                    language = question_language(question)
                    cite = Citation(
                        n=1,
                        source=chunk.source,
                        page=chunk.page,
                        section=chunk.section,
                        snippet=line.strip(),
                        title=chunk.title,
                        chunk_id=chunk.chunk_id,
                    )
                    text = f"{texts(language)['found_intro']}\n\n> {line.strip()} [1]"
                    return Answer(
                        answer=text,
                        citations=[cite],
                        found=True,
                        mode=engine.mode,
                        language=language,
                        query=history[-1].query,
                        confidence=1.0,
                        flags=["step_follow_up"],
                    )
        return None

    # -- conversations ----------------------------------------------------------------------
    def _conversation(self, kb: str, conversation_id: str | None, user: str | None) -> str:
        if conversation_id:
            row = self.db.conn.execute(
                "SELECT kb FROM conversations WHERE id = ?", (conversation_id,)
            ).fetchone()
            if row is None:
                raise NotFound(f"conversation {conversation_id!r} does not exist; omit it to start a new one")
            if row["kb"] != kb:
                raise InvalidInput(f"conversation {conversation_id!r} belongs to another knowledge base")
            return conversation_id
        new_id = uuid.uuid4().hex[:16]
        with self.db.transaction() as c:
            c.execute("INSERT INTO conversations VALUES (?, ?, ?, ?)", (new_id, kb, now_iso(), user))
        return new_id

    def history(self, conversation_id: str) -> list[Turn]:
        rows = self.db.conn.execute(
            "SELECT question, query, answer, citations FROM messages WHERE conversation_id = ? ORDER BY seq",
            (conversation_id,),
        ).fetchall()
        return [
            Turn(
                question=r["question"],
                answer=r["answer"],
                query=r["query"],
                chunk_ids=[c["chunk_id"] for c in json.loads(r["citations"]) if c.get("chunk_id")],
            )
            for r in rows
        ]

    def conversation(self, conversation_id: str) -> dict[str, Any]:
        row = self.db.conn.execute("SELECT * FROM conversations WHERE id = ?", (conversation_id,)).fetchone()
        if row is None:
            raise NotFound(f"conversation {conversation_id!r} does not exist")
        messages = self.db.conn.execute(
            "SELECT m.*, f.rating, f.comment FROM messages m LEFT JOIN feedback f ON f.message_id = m.id "
            "WHERE conversation_id = ? ORDER BY seq",
            (conversation_id,),
        ).fetchall()
        return {
            "id": row["id"],
            "kb": row["kb"],
            "created_at": row["created_at"],
            "messages": [
                {
                    "message_id": m["id"],
                    "question": m["question"],
                    "answer": m["answer"],
                    "found": bool(m["found"]),
                    "citations": json.loads(m["citations"]),
                    "flags": json.loads(m["flags"]),
                    "created_at": m["created_at"],
                    "feedback": None
                    if m["rating"] is None
                    else {"rating": m["rating"], "comment": m["comment"]},
                }
                for m in messages
            ],
        }

    def conversations(self, kb: str, limit: int = 50, user: str | None = None) -> list[dict[str, Any]]:
        """Newest first; ``user`` limits them to one user's conversations."""
        rows = self.db.conn.execute(
            "SELECT c.id, c.created_at, (SELECT question FROM messages WHERE conversation_id = c.id ORDER BY seq LIMIT 1) "
            "AS first_question, (SELECT COUNT(*) FROM messages WHERE conversation_id = c.id) AS n FROM conversations c "
            "WHERE c.kb = ? AND (? IS NULL OR c.user = ?) ORDER BY c.created_at DESC LIMIT ?",
            (kb, user, user, limit),
        ).fetchall()
        return [dict(r) for r in rows]

    def _store(self, kb: str, conv: str, question: str, answer: Answer) -> str:
        message_id = uuid.uuid4().hex[:16]
        with self.db.transaction() as c:
            seq = c.execute(
                "SELECT COALESCE(MAX(seq), 0) + 1 FROM messages WHERE conversation_id = ?", (conv,)
            ).fetchone()[0]
            c.execute(
                "INSERT INTO messages VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    message_id,
                    conv,
                    seq,
                    kb,
                    question,
                    answer.query or question,
                    answer.answer,
                    int(answer.found),
                    answer.mode,
                    answer.language,
                    answer.confidence,
                    json.dumps([c.model_dump() for c in answer.citations], ensure_ascii=False),
                    json.dumps(answer.flags),
                    now_iso(),
                ),
            )
        return message_id

    # -- feedback and tickets ---------------------------------------------------------------
    def feedback(self, message_id: str, rating: int, comment: str | None = None) -> dict[str, Any]:
        if rating not in (1, -1):
            raise InvalidInput("rating must be 1 (thumbs up) or -1 (thumbs down)")
        if comment is not None and len(comment) > MAX_COMMENT_CHARS:
            raise InvalidInput(f"comment is longer than {MAX_COMMENT_CHARS} characters")
        row = self.db.conn.execute("SELECT kb FROM messages WHERE id = ?", (message_id,)).fetchone()
        if row is None:
            raise NotFound(f"message {message_id!r} does not exist")
        with self.db.transaction() as c:
            c.execute(
                "INSERT INTO feedback VALUES (?, ?, ?, ?) ON CONFLICT(message_id) DO UPDATE SET rating = excluded.rating, "
                "comment = excluded.comment, created_at = excluded.created_at",
                (message_id, rating, (comment or "").strip() or None, now_iso()),
            )
        return {"message_id": message_id, "rating": rating, "comment": comment, "kb": row["kb"]}

    def message_kb(self, message_id: str) -> str:
        row = self.db.conn.execute("SELECT kb FROM messages WHERE id = ?", (message_id,)).fetchone()
        if row is None:
            raise NotFound(f"message {message_id!r} does not exist")
        return str(row["kb"])

    def conversation_kb(self, conversation_id: str) -> str:
        row = self.db.conn.execute("SELECT kb FROM conversations WHERE id = ?", (conversation_id,)).fetchone()
        if row is None:
            raise NotFound(f"conversation {conversation_id!r} does not exist")
        return str(row["kb"])

    def open_ticket(
        self, kb: str, question: str, conversation_id: str | None = None, user: str | None = None
    ) -> dict[str, Any]:
        """A ticket for support from an unanswered question, with the conversation attached."""
        question = _clean_question(question)
        transcript = self.conversation(conversation_id)["messages"] if conversation_id else []
        ticket_id = "HD-" + uuid.uuid4().hex[:8].upper()
        now = now_iso()
        with self.db.transaction() as c:
            c.execute(
                "INSERT INTO tickets (id, kb, title, text, status, source, conversation_id, created_at, updated_at, extra) "
                "VALUES (?, ?, ?, ?, 'new', 'helpdesk', ?, ?, ?, ?)",
                (
                    ticket_id,
                    kb,
                    question[:120],
                    question,
                    conversation_id,
                    now,
                    now,
                    json.dumps(
                        {
                            "user": user,
                            "conversation": [{"q": m["question"], "a": m["answer"]} for m in transcript],
                        },
                        ensure_ascii=False,
                    ),
                ),
            )
        return {
            "id": ticket_id,
            "kb": kb,
            "status": "new",
            "title": question[:120],
            "conversation_id": conversation_id,
        }

    # -- content gaps -----------------------------------------------------------------------
    def gaps(self, kb: str, since: str | None = None) -> list[dict[str, Any]]:
        """Unanswered and down-voted questions, grouped by topic (shared key words), biggest first."""
        rows = self.db.conn.execute(
            "SELECT m.id, m.question, m.found, m.created_at, f.rating, f.comment FROM messages m "
            "LEFT JOIN feedback f ON f.message_id = m.id WHERE m.kb = ? AND (m.found = 0 OR f.rating = -1) "
            "AND m.created_at >= ? ORDER BY m.created_at",
            (kb, since or ""),
        ).fetchall()
        groups: list[dict[str, Any]] = []
        for r in rows:
            ordered = query_terms(r["question"])  # in question order: ties in the topic label stay stable
            terms = set(ordered)
            item = {
                "question": r["question"],
                "reason": "not_found" if not r["found"] else "down_voted",
                "comment": r["comment"],
                "at": r["created_at"],
                "message_id": r["id"],
            }
            best, best_sim = None, 0.0
            for g in groups:
                union = terms | g["terms"]
                sim = len(terms & g["terms"]) / len(union) if union else 0.0
                if sim > best_sim:
                    best, best_sim = g, sim
            if best is not None and best_sim >= 0.25:
                best["items"].append(item)
                best["counter"].update(ordered)
                best["terms"] |= terms
            else:
                groups.append({"terms": set(terms), "counter": Counter(ordered), "items": [item]})
        out = []
        for g in sorted(groups, key=lambda g: len(g["items"]), reverse=True):
            topic = " ".join(t for t, _ in g["counter"].most_common(3)) or g["items"][0]["question"][:30]
            out.append({"topic": topic, "count": len(g["items"]), "questions": g["items"]})
        return out


def _clean_question(question: str) -> str:
    q = (question or "").strip()
    if not q:
        raise InvalidInput("the question is empty")
    if len(q) > MAX_QUESTION_CHARS:
        raise InvalidInput(f"the question is longer than {MAX_QUESTION_CHARS} characters")
    return q
