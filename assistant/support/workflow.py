"""The support queue's work on a ticket: assignee, replies, links to a master ticket, the audit
trail of every change (who, when, what, comment) and the SLA clock.

Every change names the version of the ticket the agent saw; a change made on an older version is
refused (two agents on one ticket: the second one is told, nothing is overwritten). The SLA
targets are per priority (response and resolution), configurable; a ticket's SLA state says
whether it is on track, due soon (less than a fifth of the target left), breached, met or missed.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from assistant.errors import InvalidInput, InvalidTransition, NotFound
from assistant.knowledge.store import now_iso
from assistant.providers.database import AppDB, register_kb_records, register_schema
from assistant.support.attachments import Attachments
from assistant.support.models import TRANSITIONS, priority_rank, priority_rank_sql

register_schema(
    """
CREATE TABLE IF NOT EXISTS ticket_work (
    kb TEXT NOT NULL,
    id TEXT NOT NULL,
    assignee TEXT,
    version INTEGER NOT NULL DEFAULT 0,
    first_response_at TEXT,
    resolved_at TEXT,
    master TEXT,
    PRIMARY KEY (kb, id)
);
CREATE TABLE IF NOT EXISTS ticket_events (
    kb TEXT NOT NULL,
    id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '{}',
    PRIMARY KEY (kb, id, seq)
);
"""
)
register_kb_records(("ticket_events", "kb = ?"), ("ticket_work", "kb = ?"))

SOURCES = ("helpdesk", "import", "api")
DEFAULT_SLA = {"P1": ("30m", "4h"), "P2": ("2h", "1d"), "P3": ("1d", "3d")}
DUE_SOON_SHARE = 0.2


class Duration(timedelta):
    """A duration that remembers how much of it was written in days: under a working-hours
    calendar '1d' is one working day, while '24h' stays 24 working hours."""

    day_part: float = 0.0


def parse_duration(text: str) -> Duration:
    """'30m', '4h', '1d', '1h30m', '90' (minutes) as a duration.

    Raises:
        InvalidInput: anything else.
    """
    t = str(text).strip().lower()
    if re.fullmatch(r"\d+", t):
        return Duration(minutes=int(t))
    parts = re.findall(r"(\d+(?:\.\d+)?)\s*(d|h|m|min|天|小时|分钟)", t)
    if not parts or re.sub(r"(\d+(?:\.\d+)?)\s*(d|h|m|min|天|小时|分钟)", "", t).strip():
        raise InvalidInput(f"{text!r} is not a duration; write e.g. 30m, 4h, 1d or 1h30m")
    unit = {
        "d": "days",
        "天": "days",
        "h": "hours",
        "小时": "hours",
        "m": "minutes",
        "min": "minutes",
        "分钟": "minutes",
    }
    total = timedelta()
    days = 0.0
    for amount, u in parts:
        total += timedelta(**{unit[u]: float(amount)})
        days += float(amount) if unit[u] == "days" else 0.0
    if total <= timedelta():
        raise InvalidInput(f"{text!r} is not a positive duration")
    out = Duration(seconds=total.total_seconds())
    out.day_part = days
    return out


_DAY_NAMES = {
    "mon": 0,
    "tue": 1,
    "wed": 2,
    "thu": 3,
    "fri": 4,
    "sat": 5,
    "sun": 6,
    "周一": 0,
    "周二": 1,
    "周三": 2,
    "周四": 3,
    "周五": 4,
    "周六": 5,
    "周日": 6,
}
#: the working time a calendar may be asked to add before it gives up (a calendar with no working day)
_MAX_CALENDAR_DAYS = 3660


@dataclass(frozen=True)
class WorkCalendar:
    """Working hours for the SLA clock: weekdays, a daily window, public holidays and the weekend days
    worked in their place (调休), in one time zone. Time outside them does not count."""

    zone: Any
    days: frozenset[int]
    start: time
    end: time
    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()
    levels: frozenset[str] = frozenset(DEFAULT_SLA)

    @classmethod
    def from_settings(cls, spec: dict[str, Any]) -> WorkCalendar:
        """``{"timezone": "Asia/Shanghai", "days": "mon-fri", "hours": "09:00-18:00",
        "holidays": ["2027-02-11", ...], "workdays": ["2027-02-07"], "levels": ["P2", "P3"]}``.

        Raises:
            InvalidInput: an unknown key, time zone, day name, window or date.
        """
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        unknown = set(spec) - {"timezone", "days", "hours", "holidays", "workdays", "levels"}
        if unknown:
            raise InvalidInput(
                f"unknown SLA calendar setting {sorted(unknown)[0]!r}; use timezone, days, hours, holidays, "
                "workdays, levels"
            )
        try:
            zone = ZoneInfo(str(spec.get("timezone", "Asia/Shanghai")))
        except (ZoneInfoNotFoundError, ValueError):
            raise InvalidInput(
                f"unknown time zone {spec.get('timezone')!r}; write e.g. Asia/Shanghai"
            ) from None
        window = re.fullmatch(
            r"\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*", str(spec.get("hours", "09:00-18:00"))
        )
        if not window:
            raise InvalidInput(f"working hours {spec.get('hours')!r}: write e.g. 09:00-18:00")
        h1, m1, h2, m2 = (int(g) for g in window.groups())
        if not (h1 < 24 and h2 <= 24 and m1 < 60 and m2 < 60) or (h1, m1) >= (h2, m2):
            raise InvalidInput(f"working hours {spec.get('hours')!r}: the start must come before the end")
        end = time(23, 59, 59, 999999) if h2 == 24 else time(h2, m2)
        days = _parse_days(spec.get("days", "mon-fri"))

        def dates(key: str) -> frozenset[date]:
            out = set()
            for value in spec.get(key) or []:
                try:
                    out.add(date.fromisoformat(str(value)))
                except ValueError:
                    raise InvalidInput(
                        f"SLA calendar {key}: {value!r} is not a date like 2027-02-11"
                    ) from None
            return frozenset(out)

        levels = frozenset(spec.get("levels") or DEFAULT_SLA)
        if levels - set(DEFAULT_SLA):
            raise InvalidInput(
                f"SLA calendar levels: use P1, P2 or P3, not {sorted(levels - set(DEFAULT_SLA))[0]!r}"
            )
        calendar = cls(zone, days, time(h1, m1), end, dates("holidays"), dates("workdays"), levels)
        if not days and not calendar.workdays:
            raise InvalidInput("the SLA calendar has no working day")
        return calendar

    def is_workday(self, day: date) -> bool:
        if day in self.workdays:
            return True
        return day.weekday() in self.days and day not in self.holidays

    def _windows(self, moment: datetime) -> Any:
        """The working windows from the day of *moment* on, as aware (start, end) pairs."""
        day = moment.astimezone(self.zone).date()
        for _ in range(_MAX_CALENDAR_DAYS):
            if self.is_workday(day):
                yield (
                    datetime.combine(day, self.start, self.zone),
                    datetime.combine(day, self.end, self.zone),
                )
            day += timedelta(days=1)

    def working(self, amount: timedelta) -> timedelta:
        """A target in working time: what was written in days counts working days (1d = 09:00-18:00,
        9 h), what was written in hours or minutes counts as such (24h = 24 working hours)."""
        window = datetime.combine(date.min, self.end) - datetime.combine(date.min, self.start)
        days = getattr(amount, "day_part", 0.0)
        return window * days + (amount - timedelta(days=days))

    def add(self, moment: datetime, amount: timedelta) -> datetime:
        """The moment *amount* of working time after *moment* (days as working days)."""
        left = self.working(amount)
        for start, end in self._windows(moment):
            begin = max(start, moment)
            if begin >= end:
                continue
            if begin + left <= end:
                return (begin + left).astimezone(UTC)
            left -= end - begin
        raise InvalidInput("the SLA calendar has no working time in the next ten years")

    def between(self, a: datetime, b: datetime) -> timedelta:
        """The working time from *a* to *b* (zero when b is not after a)."""
        total = timedelta()
        if b <= a:
            return total
        for start, end in self._windows(a):
            if start >= b:
                break
            lo, hi = max(start, a), min(end, b)
            if hi > lo:
                total += hi - lo
        return total


def _parse_days(value: Any) -> frozenset[int]:
    """'mon-fri', 'mon,wed,fri', '周一-周六' or a list of names / numbers 1 (Monday) .. 7."""
    items = value if isinstance(value, list) else re.split(r"[,，、\s]+", str(value).strip())
    out: set[int] = set()
    for item in items:
        item = str(item).strip().lower()
        if not item:
            continue
        ends = re.split(r"\s*[-~至到]\s*", item) if not item.isdigit() else [item]
        try:
            numbers = [int(e) - 1 if e.isdigit() else _DAY_NAMES[e[:3] if e.isascii() else e] for e in ends]
        except KeyError:
            raise InvalidInput(f"SLA calendar days: {item!r} is not a weekday (mon-fri, 周一-周五)") from None
        if any(not 0 <= n <= 6 for n in numbers) or len(numbers) > 2:
            raise InvalidInput(f"SLA calendar days: {item!r} is not a weekday (mon-fri, 周一-周五)")
        first, last = numbers[0], numbers[-1]
        out.update(range(first, last + 1) if first <= last else [*range(first, 7), *range(0, last + 1)])
    return frozenset(out)


@dataclass(frozen=True)
class SlaPolicy:
    """Response and resolution targets per SLA level, counted in working time when a calendar is set
    (for the levels it names; the others run 7×24)."""

    targets: dict[str, tuple[timedelta, timedelta]]
    calendar: WorkCalendar | None = None

    def due(self, level: str, opened: datetime, target: timedelta) -> datetime:
        if self.calendar is not None and level in self.calendar.levels:
            return self.calendar.add(opened, target)
        return opened + target

    def length(self, level: str, target: timedelta) -> timedelta:
        """A target as the clock counts it (working time under the calendar)."""
        if self.calendar is not None and level in self.calendar.levels:
            return self.calendar.working(target)
        return target

    def left(self, level: str, now: datetime, due: datetime) -> timedelta:
        if self.calendar is not None and level in self.calendar.levels:
            return self.calendar.between(now, due)
        return due - now

    @classmethod
    def from_settings(
        cls, spec: dict[str, Any] | None = None, calendar: dict[str, Any] | None = None
    ) -> SlaPolicy:
        """``{"P1": {"response": "30m", "resolution": "4h"}, ...}`` over the defaults; *calendar* as
        :meth:`WorkCalendar.from_settings` (none: the clock runs 7×24)."""
        targets: dict[str, tuple[timedelta, timedelta]] = {
            k: (parse_duration(a), parse_duration(b)) for k, (a, b) in DEFAULT_SLA.items()
        }
        for level, value in (spec or {}).items():
            if level not in DEFAULT_SLA:
                raise InvalidInput(f"unknown SLA level {level!r}; use P1, P2 or P3")
            if not isinstance(value, dict) or set(value) - {"response", "resolution"}:
                raise InvalidInput(
                    f"SLA {level}: give response and/or resolution, e.g. {{'response': '30m'}}"
                )
            response, resolution = targets[level]
            targets[level] = (
                parse_duration(value["response"]) if "response" in value else response,
                parse_duration(value["resolution"]) if "resolution" in value else resolution,
            )
        return cls(targets, WorkCalendar.from_settings(calendar) if calendar else None)


@functools.lru_cache(maxsize=1024)
def sla_level(priority: str | None) -> str:
    """The SLA level of a priority label, from its urgency rank (the one the charts and the urgency
    cues use): rank 0 (P1, blocker, 紧急) is P1, rank 1 (high, 高) P2, the rest and unknown labels P3."""
    rank = priority_rank(priority)
    return "P1" if rank == 0 else "P2" if rank == 1 else "P3"


def parse_time(value: str | None, zone: Any = UTC) -> datetime | None:
    """An ISO timestamp as an aware datetime (in *zone* when it names none: UTC, or the SLA
    calendar's zone for the local times of an imported export); None when it is not one."""
    if not value:
        return None
    try:
        t = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return t if t.tzinfo else t.replace(tzinfo=zone)


def sla_state(
    ticket: dict[str, Any], policy: SlaPolicy, now: datetime | None = None, times: bool = True
) -> dict[str, Any]:
    """The SLA state of a ticket: on_track, due_soon, breached (open), met, missed (resolved), or none
    (imported history without its opening time); with the due times of both clocks (``times``)."""
    imported = ticket.get("source") == "import"
    closed = ticket.get("status") in ("resolved", "reviewed")
    resolved = parse_time(ticket.get("resolved_at"))
    level = sla_level(ticket.get("priority"))
    if closed and resolved is None and imported:
        # history solved before it came here: when is not known (the import time is not it)
        return {"state": "none", "level": level}
    local = policy.calendar.zone if policy.calendar is not None else UTC  # exports hold local times
    opened = parse_time(ticket.get("created"), local) if imported else parse_time(ticket.get("created_at"))
    if opened is None:
        return {"state": "none", "level": level}
    now = now or datetime.now(UTC)
    response_target, resolution_target = policy.targets[level]
    respond_by = policy.due(level, opened, response_target)
    resolve_by = policy.due(level, opened, resolution_target)
    responded = parse_time(ticket.get("first_response_at"))
    if closed and resolved is None:
        resolved = parse_time(ticket.get("updated_at"))
    if resolved is not None:
        state = "met" if resolved <= resolve_by else "missed"
    else:
        clocks = [(resolve_by, resolution_target)]
        if responded is None:
            clocks.append((respond_by, response_target))
        if any(now > due for due, _ in clocks):
            state = "breached"
        elif any(
            policy.left(level, now, due) <= policy.length(level, target) * DUE_SOON_SHARE
            for due, target in clocks
        ):
            state = "due_soon"
        else:
            state = "on_track"
    if not times:
        return {"state": state, "level": level}
    return {
        "state": state,
        "level": level,
        "respond_by": respond_by.isoformat(),
        "resolve_by": resolve_by.isoformat(),
        "responded": responded is not None,
    }


def _origin(ticket: dict[str, Any]) -> dict[str, Any]:
    """``source`` as helpdesk, api or import (the file an imported ticket came from in ``source_file``)."""
    if ticket.get("source") not in ("helpdesk", "api"):
        ticket["source_file"] = ticket.get("source")
        ticket["source"] = "import"
    return ticket


class TicketWork:
    """Assign, reply, link, resolve and reopen tickets, each change versioned and audited."""

    def __init__(
        self, db: AppDB, policy: SlaPolicy | None = None, attachments: Attachments | None = None
    ) -> None:
        self.db = db
        self.policy = policy or SlaPolicy.from_settings()
        self.attachments = attachments

    def attach(
        self, kb: str, ticket_id: str, name: str, data: bytes, actor: str, version: int | None = None
    ) -> dict[str, Any]:
        """Add a file to a ticket (checked first; the row and the file land together or not at all)."""
        if self.attachments is None:
            raise InvalidInput("attachments are not enabled")
        clean = self.attachments.check(name, data)
        detail: dict[str, Any] = {}
        kept: list[str] = []

        def apply(c: Any, t: dict[str, Any]) -> None:
            stored = self.attachments.store(c, kb, ticket_id, clean, data, actor)  # type: ignore[union-attr]
            kept.append(stored["name"])
            detail["file"] = stored["name"]

        try:
            return self._change(kb, ticket_id, actor, "attach", version, detail, apply)
        except BaseException:
            # under the write lock: no other attach can take the name between the check and the removal
            with self.db.transaction() as c:
                for n in kept:
                    row = c.execute(
                        "SELECT 1 FROM ticket_attachments WHERE kb = ? AND id = ? AND name = ?",
                        (kb, ticket_id, n),
                    ).fetchone()
                    if row is None:
                        self.attachments.discard(kb, ticket_id, n)
            raise

    # -- reading --------------------------------------------------------------------------------
    def _row(self, c: Any, kb: str, ticket_id: str) -> dict[str, Any]:
        row = c.execute(
            "SELECT t.*, w.assignee, coalesce(w.version, 0) AS version, w.first_response_at, w.resolved_at, w.master "
            "FROM tickets t LEFT JOIN ticket_work w ON w.kb = t.kb AND w.id = t.id WHERE t.kb = ? AND t.id = ?",
            (kb, ticket_id),
        ).fetchone()
        if row is None:
            raise NotFound(f"ticket {ticket_id!r} does not exist in knowledge base {kb!r}")
        return dict(row)

    def queue(
        self,
        kb: str,
        status: str | None = None,
        source: str | None = None,
        assignee: str | None = None,
        sla: str | None = None,
        limit: int | None = None,
        opened_by: str | None = None,
        times: bool = True,
        sort: str = "newest",
        category: str | None = None,
        priority: str | None = None,
    ) -> list[dict[str, Any]]:
        """The tickets of a knowledge base, newest first, with their SLA state (with *opened_by*, only
        the tickets that person opened from the help desk; ``times=False``: the SLA state without the
        due times, for lists of many thousand tickets)."""
        if source is not None and source not in SOURCES:
            raise InvalidInput(f"unknown source {source!r}; use one of: {', '.join(SOURCES)}")
        orders = {
            "newest": "coalesce(t.created, t.created_at) DESC, t.rowid DESC",
            "oldest": "coalesce(t.created, t.created_at), t.rowid",
            "priority": f"{priority_rank_sql('t.priority')}, coalesce(t.created, t.created_at), t.rowid",
        }
        if sort not in orders:
            raise InvalidInput(f"unknown sort {sort!r}; use one of: {', '.join(orders)}")
        where, args = ["t.kb = ?"], [kb]
        if status:
            where.append("t.status = ?")
            args.append(status)
        if source == "import":  # imported history keeps its file name as the source
            where.append("t.source NOT IN ('helpdesk', 'api')")
        elif source:
            where.append("t.source = ?")
            args.append(source)
        if assignee:
            where.append("w.assignee = ?")
            args.append(assignee)
        for column, value in (("category", category), ("priority", priority)):
            if value:
                where.append(f"t.{column} = ?")
                args.append(value)
        if opened_by is not None:
            where.append("json_extract(t.extra, '$.user') = ?")
            args.append(opened_by)
        rows = self.db.conn.execute(
            "SELECT t.id, t.kb, t.title, t.category, t.priority, t.status, t.source, t.created_at, t.created, "
            "t.updated_at, w.assignee, coalesce(w.version, 0) AS version, w.first_response_at, w.resolved_at, "
            "w.master FROM tickets t LEFT JOIN ticket_work w ON w.kb = t.kb AND w.id = t.id "
            f"WHERE {' AND '.join(where)} ORDER BY {orders[sort]}"
            + (" LIMIT ?" if limit and not sla else ""),
            [*args, limit] if limit and not sla else args,
        ).fetchall()
        now = datetime.now(UTC)
        out = []
        for r in rows:
            item = _origin(dict(r))
            item["sla"] = sla_state(item, self.policy, now, times)
            item["sla_state"] = item["sla"]["state"]
            if sla and item["sla_state"] != sla:
                continue
            out.append(item)
            if limit and len(out) >= limit:
                break
        return out

    def summary(self, kb: str) -> dict[str, Any]:
        """The queue at a glance: tickets in all, by state, open ones due soon or breached, and the
        people tickets are assigned to — the SLA clock run over open tickets only (fast at 50,000)."""
        # one pass over the tickets for the states, categories and priorities
        by_status: dict[str, int] = {}
        categories: set[str] = set()
        priorities: set[str] = set()
        for status, category, priority, n in self.db.conn.execute(
            "SELECT status, category, priority, count(*) FROM tickets WHERE kb = ? "
            "GROUP BY status, category, priority",
            (kb,),
        ):
            by_status[status] = by_status.get(status, 0) + n
            if category:
                categories.add(category)
            if priority:
                priorities.add(priority)
        now = datetime.now(UTC)
        clocks: dict[str, int] = {}
        for r in self.db.conn.execute(
            "SELECT t.priority, t.status, t.source, t.created_at, t.created, t.updated_at, w.first_response_at, "
            "w.resolved_at FROM tickets t LEFT JOIN ticket_work w ON w.kb = t.kb AND w.id = t.id "
            "WHERE t.kb = ? AND t.status IN ('new', 'analysing')",
            (kb,),
        ):
            state = sla_state(_origin(dict(r)), self.policy, now, times=False)["state"]
            clocks[state] = clocks.get(state, 0) + 1
        assignees = [
            r[0]
            for r in self.db.conn.execute(
                "SELECT DISTINCT assignee FROM ticket_work WHERE kb = ? AND assignee IS NOT NULL ORDER BY assignee",
                (kb,),
            )
        ]

        return {
            "categories": sorted(categories),
            "priorities": sorted(
                priorities, key=lambda p: (priority_rank(p) is None, priority_rank(p) or 0, p)
            ),
            "total": sum(by_status.values()),
            "by_status": by_status,
            "new": by_status.get("new", 0),
            "breached": clocks.get("breached", 0),
            "due_soon": clocks.get("due_soon", 0),
            "assignees": assignees,
        }

    def count(self, kb: str, status: str = "new") -> int:
        """How many tickets of a knowledge base are in a state (the badge of new tickets)."""
        return int(
            self.db.conn.execute(
                "SELECT count(*) FROM tickets WHERE kb = ? AND status = ?", (kb, status)
            ).fetchone()[0]
        )

    def show(self, kb: str, ticket_id: str) -> dict[str, Any]:
        """A ticket with its conversation, replies and audit trail."""
        t = _origin(self._row(self.db.conn, kb, ticket_id))
        extra = json.loads(t.pop("extra") or "{}")
        t["conversation"] = extra.get("conversation", [])
        t["opened_by"] = extra.get("user")
        t["events"] = [
            {**dict(e), "detail": json.loads(e["detail"])}
            for e in self.db.conn.execute(
                "SELECT seq, at, actor, action, detail FROM ticket_events WHERE kb = ? AND id = ? ORDER BY seq",
                (kb, ticket_id),
            )
        ]
        t["replies"] = [e for e in t["events"] if e["action"] == "reply"]
        t["attachments"] = self.attachments.list(kb, ticket_id) if self.attachments else []
        t["sla"] = sla_state(t, self.policy)
        t["sla_state"] = t["sla"]["state"]
        return t

    # -- changing -------------------------------------------------------------------------------
    def _change(
        self,
        kb: str,
        ticket_id: str,
        actor: str,
        action: str,
        expected_version: int | None,
        detail: dict[str, Any],
        apply: Any,
    ) -> dict[str, Any]:
        with self.db.transaction() as c:
            t = self._row(c, kb, ticket_id)
            if expected_version is not None and expected_version != t["version"]:
                raise InvalidTransition(
                    f"ticket {ticket_id} changed since you opened it (version {t['version']}, you saw "
                    f"{expected_version}); reload it and try again"
                )
            c.execute("INSERT OR IGNORE INTO ticket_work (kb, id) VALUES (?, ?)", (kb, ticket_id))
            apply(c, t)
            c.execute("UPDATE ticket_work SET version = version + 1 WHERE kb = ? AND id = ?", (kb, ticket_id))
            seq = c.execute(
                "SELECT coalesce(max(seq), 0) + 1 FROM ticket_events WHERE kb = ? AND id = ?", (kb, ticket_id)
            ).fetchone()[0]
            c.execute(
                "INSERT INTO ticket_events (kb, id, seq, at, actor, action, detail) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (kb, ticket_id, seq, now_iso(), actor, action, json.dumps(detail, ensure_ascii=False)),
            )
            c.execute("UPDATE tickets SET updated_at = ? WHERE kb = ? AND id = ?", (now_iso(), kb, ticket_id))
        return self.show(kb, ticket_id)

    def _move(self, c: Any, t: dict[str, Any], status: str, resolution: str | None = None) -> None:
        legal = TRANSITIONS[t["status"]]
        if status not in legal:
            allowed = ", ".join(sorted(legal)) or "none (final state)"
            raise InvalidTransition(f"ticket {t['id']} is {t['status']}; it can move to: {allowed}")
        c.execute(
            "UPDATE tickets SET status = ?, resolution = coalesce(?, resolution) WHERE kb = ? AND id = ?",
            (status, resolution, t["kb"], t["id"]),
        )
        if status == "resolved":  # a review keeps the time it was resolved; a step back clears it
            c.execute(
                "UPDATE ticket_work SET resolved_at = ? WHERE kb = ? AND id = ?",
                (now_iso(), t["kb"], t["id"]),
            )
        elif status in ("new", "analysing"):
            c.execute("UPDATE ticket_work SET resolved_at = NULL WHERE kb = ? AND id = ?", (t["kb"], t["id"]))

    def assign(
        self, kb: str, ticket_id: str, assignee: str, actor: str, version: int | None = None
    ) -> dict[str, Any]:
        name = assignee.strip()
        if not name or len(name) > 100:
            raise InvalidInput("name the person to assign (at most 100 characters)")

        def apply(c: Any, t: dict[str, Any]) -> None:
            c.execute("UPDATE ticket_work SET assignee = ? WHERE kb = ? AND id = ?", (name, kb, ticket_id))
            if t["status"] == "new":
                self._move(c, t, "analysing")

        return self._change(kb, ticket_id, actor, "assign", version, {"assignee": name}, apply)

    def classify(
        self,
        kb: str,
        ticket_id: str,
        actor: str,
        category: str | None = None,
        priority: str | None = None,
        version: int | None = None,
    ) -> dict[str, Any]:
        """Set the category and/or priority (e.g. the triage suggestion applied), old values audited."""
        fields = {
            k: v.strip() for k, v in (("category", category), ("priority", priority)) if v and v.strip()
        }
        if not fields:
            raise InvalidInput("give a category and/or a priority to set")
        if any(len(v) > 100 for v in fields.values()):
            raise InvalidInput("a category or priority is at most 100 characters")
        before: dict[str, Any] = {}

        def apply(c: Any, t: dict[str, Any]) -> None:
            for name, value in fields.items():
                before[name] = t[name]
                c.execute(f"UPDATE tickets SET {name} = ? WHERE kb = ? AND id = ?", (value, kb, ticket_id))

        detail = {**fields, "before": before}
        return self._change(kb, ticket_id, actor, "classify", version, detail, apply)

    def reply(
        self, kb: str, ticket_id: str, text: str, actor: str, version: int | None = None
    ) -> dict[str, Any]:
        """A reply to the person who opened the ticket (it starts the response clock's end)."""
        body = text.strip()
        if not body:
            raise InvalidInput("a reply needs text")
        if len(body) > 20_000:
            raise InvalidInput("a reply is at most 20,000 characters")

        def apply(c: Any, t: dict[str, Any]) -> None:
            c.execute(
                "UPDATE ticket_work SET first_response_at = coalesce(first_response_at, ?) WHERE kb = ? AND id = ?",
                (now_iso(), kb, ticket_id),
            )

        return self._change(kb, ticket_id, actor, "reply", version, {"text": body}, apply)

    def resolve(
        self, kb: str, ticket_id: str, note: str, actor: str, version: int | None = None
    ) -> dict[str, Any]:
        text = note.strip()
        if not text:
            raise InvalidInput("resolving needs a resolution note (what was done)")

        def apply(c: Any, t: dict[str, Any]) -> None:
            self._move(c, t, "resolved", text)

        return self._change(kb, ticket_id, actor, "resolve", version, {"note": text}, apply)

    def review(
        self, kb: str, ticket_id: str, actor: str, comment: str = "", version: int | None = None
    ) -> dict[str, Any]:
        def apply(c: Any, t: dict[str, Any]) -> None:
            self._move(c, t, "reviewed")

        return self._change(kb, ticket_id, actor, "review", version, {"comment": comment.strip()}, apply)

    def reopen(
        self, kb: str, ticket_id: str, actor: str, comment: str = "", version: int | None = None
    ) -> dict[str, Any]:
        def apply(c: Any, t: dict[str, Any]) -> None:
            if t["status"] not in ("resolved", "reviewed"):
                raise InvalidTransition(
                    f"ticket {ticket_id} is {t['status']}; only a resolved ticket can be reopened"
                )
            c.execute("UPDATE tickets SET status = 'analysing' WHERE kb = ? AND id = ?", (kb, ticket_id))
            c.execute(
                "UPDATE ticket_work SET resolved_at = NULL, master = NULL WHERE kb = ? AND id = ?",
                (kb, ticket_id),
            )

        return self._change(kb, ticket_id, actor, "reopen", version, {"comment": comment.strip()}, apply)

    def link(
        self, kb: str, ticket_id: str, master: str, actor: str, version: int | None = None
    ) -> dict[str, Any]:
        """Close a ticket as a duplicate of *master* (same knowledge base), with a pointer to it."""
        if master == ticket_id:
            raise InvalidInput("a ticket cannot duplicate itself")

        def apply(c: Any, t: dict[str, Any]) -> None:
            m = self._row(c, kb, master)  # NotFound for a master in another knowledge base
            if m.get("master"):
                raise InvalidInput(f"{master} is itself a duplicate of {m['master']}; link to that one")
            self._move(c, t, "resolved", f"duplicate of {master}")
            c.execute("UPDATE ticket_work SET master = ? WHERE kb = ? AND id = ?", (master, kb, ticket_id))

        return self._change(kb, ticket_id, actor, "link", version, {"master": master}, apply)

    def open_ticket(
        self,
        kb: str,
        title: str,
        text: str,
        actor: str,
        priority: str | None = None,
        category: str | None = None,
    ) -> dict[str, Any]:
        """A ticket created by support or through the API."""
        body = text.strip()
        if not body:
            raise InvalidInput("a ticket needs text")
        from assistant.support.store import TicketStore

        ticket_id = TicketStore(self.db).insert_new(
            kb,
            "T",
            (title.strip() or body)[:120],
            body,
            "api",
            {"user": actor},
            category=category,
            priority=priority,
        )
        return self.show(kb, ticket_id)
