"""What the help desk owns: conversations, their messages (question, answer, citations, flags) and
the feedback on each answer."""

from __future__ import annotations

import json
import uuid
from typing import Any

from assistant.errors import InvalidInput, NotFound
from assistant.knowledge.store import now_iso
from assistant.providers.database import AppDB, register_kb_records, register_schema
from assistant.schemas import Answer

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
"""
)
register_kb_records(
    ("feedback", "message_id IN (SELECT id FROM messages WHERE kb = ?)"),
    ("messages", "kb = ?"),
    ("conversations", "kb = ?"),
)


class ConversationStore:
    """Rows of the help desk's tables; the rules live in :class:`assistant.helpdesk.service.HelpDesk`."""

    def __init__(self, db: AppDB) -> None:
        self.db = db

    def open(self, kb: str, conversation_id: str | None, user: str | None) -> str:
        """An existing conversation of this knowledge base, or a new one."""
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

    def turns(self, conversation_id: str) -> list[dict[str, Any]]:
        """Question, searched query, answer and cited chunk ids of each message, oldest first."""
        rows = self.db.conn.execute(
            "SELECT question, query, answer, citations FROM messages WHERE conversation_id = ? ORDER BY seq",
            (conversation_id,),
        ).fetchall()
        return [
            {
                "question": r["question"],
                "answer": r["answer"],
                "query": r["query"],
                "chunk_ids": [c["chunk_id"] for c in json.loads(r["citations"]) if c.get("chunk_id")],
            }
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
            "WHERE c.kb = ? AND (CAST(? AS TEXT) IS NULL OR c.user = ?) ORDER BY c.created_at DESC LIMIT ?",
            (kb, user, user, limit),
        ).fetchall()
        return [dict(r) for r in rows]

    def add_message(self, kb: str, conv: str, question: str, answer: Answer) -> str:
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

    def rate(self, message_id: str, rating: int, comment: str | None) -> str:
        """Store (or replace) the feedback on a message; returns the message's knowledge base."""
        kb = self.message_kb(message_id)
        with self.db.transaction() as c:
            c.execute(
                "INSERT INTO feedback VALUES (?, ?, ?, ?) ON CONFLICT(message_id) DO UPDATE SET rating = excluded.rating, "
                "comment = excluded.comment, created_at = excluded.created_at",
                (message_id, rating, (comment or "").strip() or None, now_iso()),
            )
        return kb

    def message_kb(self, message_id: str) -> str:
        row = self.db.conn.execute("SELECT kb FROM messages WHERE id = ?", (message_id,)).fetchone()
        if row is None:
            raise NotFound(f"message {message_id!r} does not exist")
        return str(row["kb"])

    def conversation_owner(self, conversation_id: str) -> tuple[str, str | None]:
        """The knowledge base and the user (API key id) of a conversation."""
        row = self.db.conn.execute(
            "SELECT kb, user FROM conversations WHERE id = ?", (conversation_id,)
        ).fetchone()
        if row is None:
            raise NotFound(f"conversation {conversation_id!r} does not exist")
        return str(row["kb"]), row["user"]

    def message_owner(self, message_id: str) -> tuple[str, str | None]:
        """The knowledge base and the user of the conversation a message belongs to."""
        row = self.db.conn.execute(
            "SELECT m.kb, c.user FROM messages m JOIN conversations c ON c.id = m.conversation_id WHERE m.id = ?",
            (message_id,),
        ).fetchone()
        if row is None:
            raise NotFound(f"message {message_id!r} does not exist")
        return str(row["kb"]), row["user"]

    def conversation_kb(self, conversation_id: str) -> str:
        row = self.db.conn.execute("SELECT kb FROM conversations WHERE id = ?", (conversation_id,)).fetchone()
        if row is None:
            raise NotFound(f"conversation {conversation_id!r} does not exist")
        return str(row["kb"])

    def unanswered(self, kb: str, since: str | None = None, until: str | None = None) -> list[dict[str, Any]]:
        """Questions answered "not found" or voted down, oldest first (*until*: an ISO day, included)."""
        rows = self.db.conn.execute(
            "SELECT m.id, m.question, m.found, m.created_at, f.rating, f.comment FROM messages m "
            "LEFT JOIN feedback f ON f.message_id = m.id WHERE m.kb = ? AND (m.found = 0 OR f.rating = -1) "
            "AND m.created_at >= ? AND m.created_at <= ? ORDER BY m.created_at",
            (kb, since or "", (until + "T99") if until else "9999"),
        ).fetchall()
        return [dict(r) for r in rows]
