"""Figures for continuous improvement: help-desk use and coverage, feedback, ticket mix over time and
the change-request pipeline. Plain rows, ready for a chart or a JSON report."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from assistant.changes.models import OPEN_STATES
from assistant.changes.service import ChangeRequests
from assistant.helpdesk.service import HelpDesk
from assistant.providers.database import AppDB

# Monday of the ISO week of an ISO timestamp or date
_WEEK = "date(substr({col}, 1, 10), '-' || ((strftime('%w', substr({col}, 1, 10)) + 6) % 7) || ' days')"


def _rows(db: AppDB, sql: str, args: tuple[Any, ...]) -> list[dict[str, Any]]:
    return [dict(r) for r in db.conn.execute(sql, args).fetchall()]


def insights(db: AppDB, helpdesk: HelpDesk, changes: ChangeRequests, kb: str) -> dict[str, Any]:
    questions = _rows(
        db,
        "SELECT substr(created_at, 1, 10) AS day, COUNT(*) AS questions, SUM(found) AS found, "
        "COUNT(*) - SUM(found) AS not_found FROM messages WHERE kb = ? GROUP BY day ORDER BY day",
        (kb,),
    )
    totals = db.conn.execute(
        "SELECT COUNT(*), COALESCE(SUM(found), 0) FROM messages WHERE kb = ?", (kb,)
    ).fetchone()
    feedback = _rows(
        db,
        "SELECT substr(f.created_at, 1, 10) AS day, SUM(f.rating > 0) AS up, SUM(f.rating < 0) AS down "
        "FROM feedback f JOIN messages m ON m.id = f.message_id WHERE m.kb = ? GROUP BY day ORDER BY day",
        (kb,),
    )
    week = _WEEK.format(col="COALESCE(created, created_at)")
    tickets_by_category = _rows(
        db,
        f"SELECT {week} AS week, COALESCE(NULLIF(category, ''), '-') AS category, COUNT(*) AS tickets "
        "FROM tickets WHERE kb = ? GROUP BY week, category ORDER BY week",
        (kb,),
    )
    tickets_by_priority = _rows(
        db,
        f"SELECT {week} AS week, COALESCE(NULLIF(priority, ''), '-') AS priority, COUNT(*) AS tickets "
        "FROM tickets WHERE kb = ? GROUP BY week, priority ORDER BY week",
        (kb,),
    )
    now = datetime.now(UTC)
    crs = [
        {
            "id": cr["id"],
            "title": cr["title"],
            "status": cr["status"],
            "open": cr["status"] in OPEN_STATES,
            "age_days": round((now - datetime.fromisoformat(cr["created_at"])).total_seconds() / 86400, 1),
        }
        for cr in changes.find(kb)
    ]
    by_state: dict[str, int] = {}
    for cr in crs:
        by_state[cr["status"]] = by_state.get(cr["status"], 0) + 1
    gaps = helpdesk.gaps(kb)
    return {
        "kb": kb,
        "questions": int(totals[0]),
        "found_rate": round(totals[1] / totals[0], 3) if totals[0] else None,
        "questions_per_day": questions,
        "feedback_per_day": feedback,
        "top_unanswered": [{"topic": g["topic"], "count": g["count"]} for g in gaps[:10]],
        "tickets_by_category": tickets_by_category,
        "tickets_by_priority": tickets_by_priority,
        "change_requests_by_state": [{"status": k, "count": v} for k, v in sorted(by_state.items())],
        "change_requests": crs,
    }
