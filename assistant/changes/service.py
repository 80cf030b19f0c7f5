"""Change requests and their workflow through the change-control board (CCB), stored with an
append-only audit log (the states and rules are in :mod:`assistant.changes.models`)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from assistant.changes.export import export_bytes, export_docx, export_markdown
from assistant.changes.models import (
    ACTIONS,
    EDITABLE,
    EDITABLE_STATES,
    OPEN_STATES,
    RISKS,
    Actor,
    may_act_on,
)
from assistant.errors import InvalidInput, InvalidTransition, NotFound, PermissionDenied
from assistant.knowledge.store import now_iso
from assistant.providers.database import AppDB, register_kb_records, register_schema, to_postgres_schema

_TABLES = """
CREATE TABLE IF NOT EXISTS change_requests (
    id TEXT PRIMARY KEY, kb TEXT NOT NULL, title TEXT NOT NULL, requester TEXT NOT NULL, status TEXT NOT NULL,
    data TEXT NOT NULL, review_round INTEGER NOT NULL DEFAULT 0, created_at TEXT NOT NULL, updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS cr_approvals (
    cr_id TEXT NOT NULL, review_round INTEGER NOT NULL, approver TEXT NOT NULL, at TEXT NOT NULL, comment TEXT,
    PRIMARY KEY (cr_id, review_round, approver)
);
CREATE TABLE IF NOT EXISTS cr_audit (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, cr_id TEXT NOT NULL, at TEXT NOT NULL, actor TEXT NOT NULL, role TEXT NOT NULL,
    action TEXT NOT NULL, from_state TEXT, to_state TEXT, comment TEXT, changes TEXT NOT NULL
);
"""
_AUDIT_TRIGGERS = """
CREATE TRIGGER IF NOT EXISTS cr_audit_no_update BEFORE UPDATE ON cr_audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
DROP TRIGGER IF EXISTS cr_audit_no_delete;
CREATE TRIGGER cr_audit_no_delete BEFORE DELETE ON cr_audit
WHEN NOT EXISTS (
    SELECT 1 FROM kb_purges p JOIN change_requests r ON r.kb = p.kb WHERE r.id = OLD.cr_id
)
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
"""
_AUDIT_TRIGGERS_PG = """
CREATE OR REPLACE FUNCTION cr_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND EXISTS (
        SELECT 1 FROM kb_purges p JOIN change_requests r ON r.kb = p.kb WHERE r.id = OLD.cr_id
    ) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'the audit log is append-only';
END $$;
CREATE OR REPLACE TRIGGER cr_audit_append_only BEFORE UPDATE OR DELETE ON cr_audit
FOR EACH ROW EXECUTE FUNCTION cr_audit_append_only();
"""
register_schema(_TABLES + _AUDIT_TRIGGERS, postgresql=to_postgres_schema(_TABLES) + _AUDIT_TRIGGERS_PG)
# deleting a knowledge base takes its requests and their audit log (the only delete the log allows)
register_kb_records(
    ("cr_approvals", "cr_id IN (SELECT id FROM change_requests WHERE kb = ?)"),
    ("cr_audit", "cr_id IN (SELECT id FROM change_requests WHERE kb = ?)"),
    ("change_requests", "kb = ?"),
)


def _days_since(iso: str) -> float:
    return (datetime.now(UTC) - datetime.fromisoformat(iso)).total_seconds() / 86400


class ChangeRequests:
    def __init__(self, db: AppDB, approvals_required: int = 2) -> None:
        self.db = db
        self.approvals_required = approvals_required

    # -- exports ------------------------------------------------------------------------------
    def export(self, cr_id: str, fmt: str, language: str = "en") -> bytes:
        """One request with its audit log as a Markdown ("md") or DOCX ("docx") file's bytes."""
        return export_bytes(self.get(cr_id), self.audit(cr_id), fmt, language)

    def export_markdown(self, cr_id: str, language: str = "en") -> str:
        return export_markdown(self.get(cr_id), self.audit(cr_id), language)

    def export_docx(self, cr_id: str, path: Path, language: str = "en") -> Path:
        return export_docx(self.get(cr_id), self.audit(cr_id), path, language)

    # -- create and read --------------------------------------------------------------------
    def create(self, kb: str, actor: Actor, fields: dict[str, Any]) -> dict[str, Any]:
        title = (fields.get("title") or "").strip()
        if not title:
            raise InvalidInput("a change request needs a title")
        cr_id = "CR-" + uuid.uuid4().hex[:6].upper()
        now = now_iso()
        data = {k: v for k, v in fields.items() if k != "title"}
        with self.db.transaction() as c:
            c.execute(
                "INSERT INTO change_requests VALUES (?, ?, ?, ?, 'draft', ?, 0, ?, ?)",
                (cr_id, kb, title, actor.name, json.dumps(data, ensure_ascii=False), now, now),
            )
            self._audit(c, cr_id, actor, "create", None, "draft", None, {"title": title, **data})
        return self.get(cr_id)

    def get(self, cr_id: str) -> dict[str, Any]:
        row = self.db.conn.execute("SELECT * FROM change_requests WHERE id = ?", (cr_id,)).fetchone()
        if row is None:
            raise NotFound(f"change request {cr_id!r} does not exist")
        return self._public(row)

    def _public(self, row: Any) -> dict[str, Any]:
        d = dict(row)
        d.update(json.loads(d.pop("data")))
        d["approvals"] = [
            dict(a)
            for a in self.db.conn.execute(
                "SELECT approver, at, comment FROM cr_approvals WHERE cr_id = ? AND review_round = ? ORDER BY at",
                (d["id"], d["review_round"]),
            )
        ]
        d["legal_actions"] = sorted(a for a, (frm, _, _) in ACTIONS.items() if d["status"] in frm)
        return d

    def find(self, kb: str | None = None, status: str | None = None) -> list[dict[str, Any]]:
        sql, args = "SELECT * FROM change_requests WHERE 1=1", []
        if kb:
            sql += " AND kb = ?"
            args.append(kb)
        if status:
            sql += " AND status = ?"
            args.append(status)
        return [self._public(r) for r in self.db.conn.execute(sql + " ORDER BY created_at", args)]

    def audit(self, cr_id: str) -> list[dict[str, Any]]:
        self.get(cr_id)
        rows = self.db.conn.execute("SELECT * FROM cr_audit WHERE cr_id = ? ORDER BY seq", (cr_id,))
        return [{**dict(r), "changes": json.loads(r["changes"])} for r in rows]

    # -- changes ----------------------------------------------------------------------------
    def edit(
        self,
        cr_id: str,
        actor: Actor,
        fields: dict[str, Any] | Callable[[dict[str, Any]], dict[str, Any]],
        comment: str | None = None,
    ) -> dict[str, Any]:
        """Change editable fields; ``fields`` may be a function of the current fields, applied inside
        the same transaction (no lost update when two people edit at once)."""
        if not callable(fields):
            self._check_editable(fields)
        with self.db.transaction() as c:
            row = c.execute("SELECT * FROM change_requests WHERE id = ?", (cr_id,)).fetchone()
            if row is None:
                raise NotFound(f"change request {cr_id!r} does not exist")
            if row["status"] not in EDITABLE_STATES:
                raise InvalidTransition(
                    f"{cr_id} is {row['status']}; only drafts (or requests that need information) "
                    "can be edited"
                )
            if not may_act_on(dict(row), actor, "edit"):
                raise PermissionDenied("only the requester, a consultant or an admin may edit this request")
            data = json.loads(row["data"])
            title = row["title"]
            if callable(fields):
                fields = fields({**data, "title": title})
                self._check_editable(fields)
            changed = {}
            for k, v in fields.items():
                old = title if k == "title" else data.get(k)
                if old != v:
                    changed[k] = {"from": old, "to": v}
                    if k == "title":
                        title = v
                    else:
                        data[k] = v
            c.execute(
                "UPDATE change_requests SET title = ?, data = ?, updated_at = ? WHERE id = ?",
                (title, json.dumps(data, ensure_ascii=False), now_iso(), cr_id),
            )
            self._audit(c, cr_id, actor, "edit", row["status"], row["status"], comment, changed)
        return self.get(cr_id)

    @staticmethod
    def _check_editable(fields: dict[str, Any]) -> None:
        unknown = [k for k in fields if k not in EDITABLE]
        if unknown:
            raise InvalidInput(
                f"field(s) {', '.join(unknown)} cannot be edited; editable: {', '.join(EDITABLE)}"
            )

    @staticmethod
    def may_confirm_impact(cr: dict[str, Any], actor: Actor) -> bool:
        return actor.role in ("consultant", "admin") and cr["status"] in EDITABLE_STATES

    def confirm_impact(
        self,
        cr_id: str,
        actor: Actor,
        effort_days: float | None = None,
        schedule: str | None = None,
        cost: float | None = None,
        risk: str | None = None,
        comment: str | None = None,
    ) -> dict[str, Any]:
        """A consultant fills or confirms the impact estimates; each given value stops being a proposal."""
        if actor.role not in ("consultant", "admin"):
            raise PermissionDenied("impact estimates are set by a consultant or an admin")
        if effort_days is not None and not 0 <= effort_days <= 10000:
            raise InvalidInput("effort must be between 0 and 10000 person-days")
        if cost is not None and cost < 0:
            raise InvalidInput("cost cannot be negative")
        if risk is not None and risk not in RISKS:
            raise InvalidInput(f"risk must be one of: {', '.join(RISKS)}")
        given = {
            "effort_days": effort_days,
            "schedule": (schedule or "").strip() or None,
            "cost": cost,
            "risk": risk,
        }
        if all(v is None for v in given.values()):
            raise InvalidInput("give at least one estimate (effort, schedule, cost or risk)")

        def confirmed(current: dict[str, Any]) -> dict[str, Any]:
            impact = dict(current.get("impact") or {})
            for key, value in given.items():
                if value is not None:
                    impact[key] = {"value": value, "proposed": False, "basis": f"confirmed by {actor.name}"}
            return {"impact": impact}

        return self.edit(cr_id, actor, confirmed, comment)

    def act(self, cr_id: str, action: str, actor: Actor, comment: str | None = None) -> dict[str, Any]:
        """Apply a workflow action; illegal ones are refused with the list of legal ones."""
        if action not in ACTIONS:
            raise InvalidInput(f"unknown action {action!r}; actions: {', '.join(ACTIONS)}")
        sources, target, roles = ACTIONS[action]
        with self.db.transaction() as c:
            row = c.execute("SELECT * FROM change_requests WHERE id = ?", (cr_id,)).fetchone()
            if row is None:
                raise NotFound(f"change request {cr_id!r} does not exist")
            state = row["status"]
            if state not in sources:
                legal = sorted(a for a, (frm, _, _) in ACTIONS.items() if state in frm)
                raise InvalidTransition(
                    f"{cr_id} is {state}: '{action}' is not possible; legal now: "
                    f"{', '.join(legal) or 'none (final state)'}"
                )
            if actor.role not in roles:
                raise PermissionDenied(
                    f"'{action}' needs one of the roles {', '.join(roles)}; you are {actor.role}"
                )
            if not may_act_on(dict(row), actor, action):
                raise PermissionDenied(f"only the requester may {action.replace('_', ' ')} {cr_id}")
            new_state, new_round = target, row["review_round"]
            if action == "review":
                new_round += 1
            if action == "approve":
                if actor.name == row["requester"]:
                    raise PermissionDenied("nobody approves their own change request")
                try:
                    c.execute(
                        "INSERT INTO cr_approvals VALUES (?, ?, ?, ?, ?)",
                        (cr_id, row["review_round"], actor.name, now_iso(), comment),
                    )
                except Exception as e:
                    raise InvalidTransition(
                        f"{actor.name} has already approved {cr_id} in this review"
                    ) from e
                count = c.execute(
                    "SELECT COUNT(*) FROM cr_approvals WHERE cr_id = ? AND review_round = ?",
                    (cr_id, row["review_round"]),
                ).fetchone()[0]
                if count < self.approvals_required:
                    new_state = state  # an approval recorded, the decision still open
                    self._audit(
                        c,
                        cr_id,
                        actor,
                        "approve",
                        state,
                        state,
                        comment,
                        {"approvals": {"from": count - 1, "to": count}},
                    )
                    c.execute("UPDATE change_requests SET updated_at = ? WHERE id = ?", (now_iso(), cr_id))
                    return_state = None
                else:
                    return_state = new_state
            else:
                return_state = new_state
            if return_state is not None:
                c.execute(
                    "UPDATE change_requests SET status = ?, review_round = ?, updated_at = ? WHERE id = ?",
                    (new_state, new_round, now_iso(), cr_id),
                )
                self._audit(
                    c,
                    cr_id,
                    actor,
                    action,
                    state,
                    new_state,
                    comment,
                    {"status": {"from": state, "to": new_state}},
                )
        return self.get(cr_id)

    @staticmethod
    def _audit(
        c: Any,
        cr_id: str,
        actor: Actor,
        action: str,
        frm: str | None,
        to: str | None,
        comment: str | None,
        changes: dict[str, Any],
    ) -> None:
        c.execute(
            "INSERT INTO cr_audit (cr_id, at, actor, role, action, from_state, to_state, comment, changes) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                cr_id,
                now_iso(),
                actor.name,
                actor.role,
                action,
                frm,
                to,
                comment,
                json.dumps(changes, ensure_ascii=False, default=str),
            ),
        )

    # -- reporting --------------------------------------------------------------------------
    def report(self, kb: str) -> dict[str, Any]:
        crs = self.find(kb)
        open_by_state: dict[str, list[dict[str, Any]]] = {}
        for cr in crs:
            if cr["status"] in OPEN_STATES:
                open_by_state.setdefault(cr["status"], []).append(
                    {
                        "id": cr["id"],
                        "title": cr["title"],
                        "age_days": round(_days_since(cr["created_at"]), 1),
                    }
                )
        approved = [cr for cr in crs if cr["status"] in ("approved", "implemented", "closed")]
        per_module: dict[str, int] = {}
        effort = 0.0
        baseline = []
        for cr in approved:
            for m in cr.get("affected_modules") or ["unassigned"]:
                per_module[m] = per_module.get(m, 0) + 1
            effort += float((cr.get("impact") or {}).get("effort_days", {}).get("value") or 0)
            baseline.append(
                {"id": cr["id"], "requirements": [r["id"] for r in cr.get("affected_requirements") or []]}
            )
        return {
            "kb": kb,
            "open_by_state": open_by_state,
            "approved_per_module": per_module,
            "effort_added_days": effort,
            "baseline_changes": baseline,
            "total": len(crs),
        }
