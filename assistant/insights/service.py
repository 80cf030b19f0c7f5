"""Figures for continuous improvement: help-desk use and coverage, feedback, ticket mix over time and
the change-request pipeline. Plain rows, ready for a chart or a JSON report."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from assistant.changes.models import OPEN_STATES
from assistant.changes.service import ChangeRequests
from assistant.errors import InvalidInput
from assistant.helpdesk.service import HelpDesk
from assistant.providers.database import AppDB
from assistant.support.models import priority_rank


def _rows(db: AppDB, sql: str, args: tuple[Any, ...]) -> list[dict[str, Any]]:
    return [dict(r) for r in db.conn.execute(sql, args).fetchall()]


def insights(
    db: AppDB,
    helpdesk: HelpDesk,
    changes: ChangeRequests,
    kb: str,
    date_from: str | None = None,
    date_to: str | None = None,
    work: Any = None,
) -> dict[str, Any]:
    """The figures of a period (both ends included, ISO days; default: everything)."""
    from assistant.insights.benefit import parse_day

    start, end = parse_day(date_from, "from"), parse_day(date_to, "to")
    if start and end and start > end:
        raise InvalidInput(f"the period starts ({start}) after it ends ({end})")
    lo = start.isoformat() if start else ""
    hi = end.isoformat() + "T99" if end else "9999"
    questions = _rows(
        db,
        "SELECT substr(created_at, 1, 10) AS day, COUNT(*) AS questions, SUM(found) AS found, "
        "COUNT(*) - SUM(found) AS not_found FROM messages WHERE kb = ? AND created_at BETWEEN ? AND ? "
        "GROUP BY day ORDER BY day",
        (kb, lo, hi),
    )
    totals = db.conn.execute(
        "SELECT COUNT(*), COALESCE(SUM(found), 0) FROM messages WHERE kb = ? AND created_at BETWEEN ? AND ?",
        (kb, lo, hi),
    ).fetchone()
    feedback = _rows(
        db,
        "SELECT substr(f.created_at, 1, 10) AS day, SUM(CASE WHEN f.rating > 0 THEN 1 ELSE 0 END) AS up, SUM(CASE WHEN f.rating < 0 THEN 1 ELSE 0 END) AS down "
        "FROM feedback f JOIN messages m ON m.id = f.message_id WHERE m.kb = ? "
        "AND f.created_at BETWEEN ? AND ? GROUP BY day ORDER BY day",
        (kb, lo, hi),
    )
    opened = "replace(COALESCE(created, created_at), ' ', 'T')"
    week = db.week_start_sql(opened)
    tickets_by_category = _rows(
        db,
        f"SELECT {week} AS week, COALESCE(NULLIF(category, ''), '-') AS category, COUNT(*) AS tickets "
        f"FROM tickets WHERE kb = ? AND {opened} BETWEEN ? AND ? GROUP BY week, category ORDER BY week",
        (kb, lo, hi),
    )
    tickets_by_priority = _rows(
        db,
        f"SELECT {week} AS week, COALESCE(NULLIF(priority, ''), '-') AS priority, COUNT(*) AS tickets "
        f"FROM tickets WHERE kb = ? AND {opened} BETWEEN ? AND ? GROUP BY week, priority ORDER BY week",
        (kb, lo, hi),
    )
    for row in tickets_by_priority:
        row["rank"] = priority_rank(row["priority"])
    sla: dict[str, int] = {}
    if work is not None:
        for t in work.queue(kb, times=False):
            when = str(t["created"] or t["created_at"] or "")[:19].replace(" ", "T")
            if lo <= when <= hi:
                sla[t["sla_state"]] = sla.get(t["sla_state"], 0) + 1
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
        if lo <= cr["created_at"] <= hi
    ]
    by_state: dict[str, int] = {}
    for cr in crs:
        by_state[cr["status"]] = by_state.get(cr["status"], 0) + 1
    span = db.conn.execute(
        "SELECT min(d), max(d) FROM (SELECT substr(created_at, 1, 10) AS d FROM messages WHERE kb = ? "
        f"UNION ALL SELECT substr({opened}, 1, 10) FROM tickets WHERE kb = ? "
        "UNION ALL SELECT substr(created_at, 1, 10) FROM change_requests WHERE kb = ?) AS days",
        (kb, kb, kb),
    ).fetchone()
    gaps = helpdesk.gaps(kb, lo or None, end.isoformat() if end else None)
    return {
        "kb": kb,
        "from": lo or None,
        "to": end.isoformat() if end else None,
        "first_day": span[0],
        "last_day": span[1],
        "questions": int(totals[0]),
        "found_rate": round(totals[1] / totals[0], 3) if totals[0] else None,
        "questions_per_day": questions,
        "feedback_per_day": feedback,
        "top_unanswered": [{"topic": g["topic"], "count": g["count"]} for g in gaps[:10]],
        "tickets_by_category": tickets_by_category,
        "tickets_by_priority": tickets_by_priority,
        "tickets_by_sla": [{"state": k, "tickets": v} for k, v in sorted(sla.items())],
        "change_requests_by_state": [{"status": k, "count": v} for k, v in sorted(by_state.items())],
        "change_requests": crs,
    }
