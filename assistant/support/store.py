"""The tickets the support desk owns: the ``tickets`` table (imported history, tickets opened from
the help desk) and the ``faq_drafts`` table of FAQ entries drafted from resolved tickets."""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any

from assistant.errors import InvalidInput, InvalidTransition, NotFound
from assistant.knowledge.store import now_iso
from assistant.providers.database import AppDB, register_kb_records, register_schema
from assistant.support.models import FIELDS, STATES, TRANSITIONS, ImportReport, state_of

register_schema(
    """
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
CREATE TABLE IF NOT EXISTS faq_drafts (
    id TEXT NOT NULL,
    kb TEXT NOT NULL,
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    tickets TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at TEXT NOT NULL,
    decided_at TEXT,
    PRIMARY KEY (kb, id)
);
"""
)
register_kb_records(("faq_drafts", "kb = ?"), ("tickets", "kb = ?"))


class TicketStore:
    def __init__(self, db: AppDB) -> None:
        self.db = db

    def upsert(
        self, kb: str, records: list[dict[str, Any]], source: str, report: ImportReport
    ) -> list[dict[str, Any]]:
        """Insert new tickets, update changed ones, leave unchanged ones alone; returns those to index."""
        changed = []
        now = now_iso()
        with self.db.transaction() as c:
            for rec in records:
                digest = hashlib.sha256(
                    json.dumps({f: rec.get(f) for f in FIELDS}, sort_keys=True).encode()
                ).hexdigest()
                old = c.execute(
                    "SELECT content_hash, status FROM tickets WHERE kb = ? AND id = ?", (kb, rec["id"])
                ).fetchone()
                state = state_of(rec["status"], rec["resolution"])
                if old is None:
                    c.execute(
                        "INSERT INTO tickets (id, kb, title, text, category, priority, status, resolution, source, "
                        "conversation_id, created_at, updated_at, extra, raw_status, created, content_hash) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, '{}', ?, ?, ?)",
                        (
                            rec["id"],
                            kb,
                            rec["title"],
                            rec["text"],
                            rec["category"] or None,
                            rec["priority"] or None,
                            state,
                            rec["resolution"] or None,
                            source,
                            now,
                            now,
                            rec["status"] or None,
                            rec["created"],
                            digest,
                        ),
                    )
                    report.added += 1
                    changed.append(rec)
                elif old["content_hash"] != digest:
                    c.execute(
                        "UPDATE tickets SET title = ?, text = ?, category = ?, priority = ?, status = ?, resolution = ?, "
                        "raw_status = ?, created = ?, content_hash = ?, updated_at = ? WHERE kb = ? AND id = ?",
                        (
                            rec["title"],
                            rec["text"],
                            rec["category"] or None,
                            rec["priority"] or None,
                            state,
                            rec["resolution"] or None,
                            rec["status"] or None,
                            rec["created"],
                            digest,
                            now,
                            kb,
                            rec["id"],
                        ),
                    )
                    report.updated += 1
                    changed.append(rec)
                else:
                    report.unchanged += 1
        return changed

    def get(self, kb: str, ticket_id: str) -> dict[str, Any]:
        row = self.db.conn.execute(
            "SELECT * FROM tickets WHERE kb = ? AND id = ?", (kb, ticket_id)
        ).fetchone()
        if row is None:
            raise NotFound(f"ticket {ticket_id!r} does not exist in knowledge base {kb!r}")
        return dict(row)

    def all(self, kb: str) -> list[dict[str, Any]]:
        return [
            dict(r)
            for r in self.db.conn.execute("SELECT * FROM tickets WHERE kb = ? ORDER BY created, id", (kb,))
        ]

    def set_status(
        self, kb: str, ticket_id: str, status: str, resolution: str | None = None
    ) -> dict[str, Any]:
        """Move a ticket through new -> analysing -> resolved -> reviewed (resolving needs a resolution)."""
        if status not in STATES:
            raise InvalidInput(f"unknown status {status!r}; use one of: {', '.join(STATES)}")
        with self.db.transaction() as c:
            row = c.execute(
                "SELECT status, resolution FROM tickets WHERE kb = ? AND id = ?", (kb, ticket_id)
            ).fetchone()
            if row is None:
                raise NotFound(f"ticket {ticket_id!r} does not exist in knowledge base {kb!r}")
            legal = TRANSITIONS[row["status"]]
            if status not in legal:
                allowed = ", ".join(sorted(legal)) or "none (final state)"
                raise InvalidTransition(f"ticket {ticket_id} is {row['status']}; it can move to: {allowed}")
            final_resolution = (resolution or "").strip() or row["resolution"]
            if status == "resolved" and not final_resolution:
                raise InvalidInput("a resolved ticket needs a resolution (--resolution TEXT)")
            c.execute(
                "UPDATE tickets SET status = ?, resolution = ?, updated_at = ? WHERE kb = ? AND id = ?",
                (status, final_resolution, now_iso(), kb, ticket_id),
            )
        return self.get(kb, ticket_id)

    def open_from_helpdesk(
        self,
        kb: str,
        question: str,
        conversation_id: str | None,
        transcript: list[dict[str, str]],
        user: str | None,
        details: str | None = None,
    ) -> dict[str, Any]:
        """A new ticket from a help-desk question, with the conversation so far attached."""
        ticket_id = self.insert_new(
            kb,
            "HD",
            question[:120],
            question + (f"\n\n{details}" if details else ""),
            "helpdesk",
            {"user": user, "conversation": transcript},
            conversation_id=conversation_id,
        )
        return {
            "id": ticket_id,
            "kb": kb,
            "status": "new",
            "title": question[:120],
            "conversation_id": conversation_id,
        }

    def insert_new(
        self,
        kb: str,
        prefix: str,
        title: str,
        text: str,
        source: str,
        extra: dict[str, Any],
        conversation_id: str | None = None,
        category: str | None = None,
        priority: str | None = None,
    ) -> str:
        """A new ticket (status new) opened here, not imported; returns its id (PREFIX-XXXXXXXX)."""
        ticket_id = f"{prefix}-{uuid.uuid4().hex[:8].upper()}"
        now = now_iso()
        with self.db.transaction() as c:
            c.execute(
                "INSERT INTO tickets (id, kb, title, text, category, priority, status, source, conversation_id, "
                "created_at, updated_at, extra) VALUES (?, ?, ?, ?, ?, ?, 'new', ?, ?, ?, ?, ?)",
                (
                    ticket_id,
                    kb,
                    title,
                    text,
                    category,
                    priority,
                    source,
                    conversation_id,
                    now,
                    now,
                    json.dumps(extra, ensure_ascii=False),
                ),
            )
        return ticket_id

    # -- FAQ drafts ---------------------------------------------------------------------------
    def keep_faq_draft(self, kb: str, draft_id: str, question: str, answer: str, tickets: list[str]) -> str:
        """Store a draft for review unless it is known; returns its status (the decision is kept)."""
        with self.db.transaction() as c:
            row = c.execute(
                "SELECT status FROM faq_drafts WHERE kb = ? AND id = ?", (kb, draft_id)
            ).fetchone()
            if row is None:
                c.execute(
                    "INSERT INTO faq_drafts VALUES (?, ?, ?, ?, ?, 'draft', ?, NULL)",
                    (draft_id, kb, question, answer, json.dumps(tickets), now_iso()),
                )
            return str(row["status"]) if row else "draft"

    def faq_draft(self, kb: str, draft_id: str) -> dict[str, Any] | None:
        row = self.db.conn.execute(
            "SELECT * FROM faq_drafts WHERE kb = ? AND id = ?", (kb, draft_id)
        ).fetchone()
        return dict(row) if row else None

    def approve_faq_draft(self, kb: str, draft_id: str, question: str, answer: str) -> None:
        with self.db.transaction() as c:
            c.execute(
                "UPDATE faq_drafts SET status = 'approved', question = ?, answer = ?, decided_at = ? "
                "WHERE kb = ? AND id = ?",
                (question, answer, now_iso(), kb, draft_id),
            )

    def faq_drafts(self, kb: str, status: str | None = None) -> list[dict[str, Any]]:
        """The FAQ drafts of a knowledge base (of one status), newest first, with their tickets."""
        sql, args = "SELECT * FROM faq_drafts WHERE kb = ?", [kb]
        if status:
            sql += " AND status = ?"
            args.append(status)
        rows = self.db.conn.execute(sql + " ORDER BY created_at DESC, id", args).fetchall()
        return [{**dict(r), "tickets": json.loads(r["tickets"])} for r in rows]

    def reject_faq_draft(self, kb: str, draft_id: str) -> dict[str, Any]:
        with self.db.transaction() as c:
            row = c.execute(
                "SELECT status FROM faq_drafts WHERE kb = ? AND id = ?", (kb, draft_id)
            ).fetchone()
            if row is None:
                raise NotFound(
                    f"no FAQ draft {draft_id!r} in {kb!r}; run `assistant faq suggest --kb {kb}` first"
                )
            if row["status"] != "draft":
                raise InvalidTransition(f"FAQ draft {draft_id} is already {row['status']}")
            c.execute(
                "UPDATE faq_drafts SET status = 'rejected', decided_at = ? WHERE kb = ? AND id = ?",
                (now_iso(), kb, draft_id),
            )
        return {"id": draft_id, "status": "rejected"}
