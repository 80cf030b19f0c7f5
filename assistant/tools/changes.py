"""Change control: change requests, their workflow through the change-control board (CCB), and an
append-only audit log.

States::

    draft -> submitted -> in_review -> approved -> implemented -> closed
                                   \\-> rejected
                                   \\-> needs_info -> draft (revise)
    draft | submitted | in_review | needs_info -> withdrawn (by the requester)

Approval needs ``approvals_required`` CCB approvals in the current review round; nobody approves
their own request. Every change is written to ``cr_audit`` in the same transaction (who, when,
from/to, comment, fields changed); the audit table refuses UPDATE and DELETE.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from assistant.appdb import AppDB, register_schema
from assistant.errors import InvalidInput, InvalidTransition, NotFound, PermissionDenied
from assistant.kbstore import now_iso

register_schema(
    """
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
CREATE TRIGGER IF NOT EXISTS cr_audit_no_update BEFORE UPDATE ON cr_audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS cr_audit_no_delete BEFORE DELETE ON cr_audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
"""
)

ROLES = ("requester", "consultant", "ccb", "admin")
OPEN_STATES = ("draft", "submitted", "in_review", "needs_info")
RISKS = ("low", "medium", "high")
EDITABLE_STATES = ("draft", "needs_info")  # a request is edited only before or after a review
#: the board's columns, in workflow order; the final states are counted below it
BOARD_STATES = ("draft", "submitted", "in_review", "needs_info", "approved", "implemented")
FINAL_STATES = ("closed", "rejected", "withdrawn")
# action -> (from states, to state, roles allowed)
ACTIONS: dict[str, tuple[tuple[str, ...], str, tuple[str, ...]]] = {
    "submit": (("draft",), "submitted", ("requester", "consultant", "admin")),
    "review": (("submitted",), "in_review", ("consultant", "ccb", "admin")),
    "approve": (("in_review",), "approved", ("ccb", "admin")),
    "reject": (("in_review",), "rejected", ("ccb", "admin")),
    "needs_info": (("in_review",), "needs_info", ("ccb", "consultant", "admin")),
    "revise": (("needs_info",), "draft", ("requester", "consultant", "admin")),
    "implement": (("approved",), "implemented", ("consultant", "admin")),
    "close": (("implemented",), "closed", ("consultant", "admin")),
    "withdraw": (OPEN_STATES, "withdrawn", ("requester", "admin")),
}
EDITABLE = (
    "title",
    "background",
    "current_behaviour",
    "requested_change",
    "reason",
    "affected_modules",
    "acceptance_criteria",
    "attachments",
    "impact",
)
MODULE_WORDS = {
    "procurement": r"采购|请购|供应商|询价|purchas|requisition|supplier|vendor",
    "inventory": r"库存|盘点|收货|发料|仓库|库位|批次|inventor|stock|warehouse|receipt|bin|count",
    "production": r"生产|工单|报工|排产|production|work order|mrp",
    "sales": r"销售|发货|客户|报价|sales|delivery|customer",
    "finance": r"财务|发票|付款|结账|成本|凭证|financ|invoice|payment|closing|cost",
    "hr": r"人事|考勤|薪资|工资|payroll|attendance|employee",
}


@dataclass
class Actor:
    name: str
    role: str

    def __post_init__(self) -> None:
        if not (self.name or "").strip():
            raise InvalidInput("say who you are (--as NAME)")
        if self.role not in ROLES:
            raise InvalidInput(f"unknown role {self.role!r}; use one of: {', '.join(ROLES)}")


#: the change-control role of an API key's role
ROLE_OF_KEY = {
    "end_user": "requester",
    "support": "requester",
    "consultant": "consultant",
    "ccb": "ccb",
    "admin": "admin",
}


def actor_for(name: str, key_role: str) -> Actor:
    """The workflow actor for a signed-in API key (the key's name is the actor's name)."""
    return Actor(name, ROLE_OF_KEY[key_role])


def available_actions(cr: dict[str, Any], actor: Actor) -> list[str]:
    """The actions this actor may take on this request now (legal in its state and allowed to the role)."""
    out = []
    for action, (sources, _, roles) in ACTIONS.items():
        if cr["status"] not in sources or actor.role not in roles:
            continue
        if action == "withdraw" and actor.role == "requester" and actor.name != cr["requester"]:
            continue
        if action == "approve" and (
            actor.name == cr["requester"] or any(a["approver"] == actor.name for a in cr.get("approvals", []))
        ):
            continue
        out.append(action)
    return out


def _days_since(iso: str) -> float:
    return (datetime.now(UTC) - datetime.fromisoformat(iso)).total_seconds() / 86400


class ChangeRequests:
    def __init__(self, db: AppDB, approvals_required: int = 2) -> None:
        self.db = db
        self.approvals_required = approvals_required

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
            if actor.role == "requester" and actor.name != row["requester"]:
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
            if action == "withdraw" and actor.role == "requester" and actor.name != row["requester"]:
                raise PermissionDenied("only the requester may withdraw the request")
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


# ---------------------------------------------------------------------------------------------
# drafting


def modules_in(text: str) -> list[str]:
    return [m for m, pattern in MODULE_WORDS.items() if re.search(pattern, text, re.I)]


def draft_fields(
    text: str,
    requester: str,
    title: str | None = None,
    spec_hits: list[Any] | None = None,
    manual_hits: list[Any] | None = None,
    incidents: list[dict[str, Any]] | None = None,
    source: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Fill a change request from the source text and retrieval; judgement fields are proposals."""
    text = (text or "").strip()
    if not text:
        raise InvalidInput("the change request text is empty")
    first = re.split(r"(?<=[。！？.!?])\s*", text)[0]
    reason = re.search(r"(因为|由于|为了|以便|because|so that|in order to)(.+?)(?:[。.!?！？]|$)", text, re.I)
    reqs = []
    for h in spec_hits or []:
        ids = h.chunk.req_ids or []
        reqs.append(
            {
                "id": ids[0] if ids else h.chunk.section,
                "ids": ids,
                "source": h.chunk.source,
                "page": h.chunk.page,
                "section": h.chunk.section,
                "snippet": h.chunk.text[:240],
            }
        )
    current = [
        {
            "source": h.chunk.source,
            "page": h.chunk.page,
            "section": h.chunk.section,
            "snippet": h.chunk.text[:300],
        }
        for h in manual_hits or []
    ]
    modules = modules_in(text + " " + " ".join(r["snippet"] for r in reqs))
    size = len(reqs) + len(modules)
    effort = 2 if size <= 1 else 5 if size <= 3 else 10
    proposal = {"proposed": True, "basis": f"{len(reqs)} affected requirement(s), {len(modules)} module(s)"}
    return {
        "title": (title or first)[:120],
        "requester": requester,
        "background": text,
        "current_behaviour": current,
        "requested_change": text,
        "reason": reason.group(2).strip() if reason else None,
        "affected_modules": modules,
        "affected_requirements": reqs,
        "related_incidents": incidents or [],
        "impact": {
            "effort_days": {"value": effort, **proposal},
            "schedule": {
                "value": "fits the current phase" if effort <= 5 else "needs re-planning",
                **proposal,
            },
            "cost": {"value": None, "proposed": True, "basis": "for the consultant to fill"},
            "risk": {"value": "medium" if reqs else "low", **proposal},
        },
        "acceptance_criteria": [
            {
                "text": f"Given the change is deployed, when users do: {first} — it works as requested.",
                "proposed": True,
            }
        ],
        "attachments": [],
        "source": source or {"kind": "text"},
        "needs_person": ["impact.cost", "impact.effort_days", "acceptance_criteria", "reason"]
        if not reason
        else ["impact.cost", "impact.effort_days", "acceptance_criteria"],
    }


CR_PROSE_PROMPT = """You help an ERP implementation consultant write a change request. Using ONLY the numbered
passages, write 2-4 sentences in the language of the request: what the system does today and what the
requested change affects. Cite passages as [1], [2] after each sentence. Do not invent facts.

Request: {request}

Passages:
{context}"""


def draft_prose(llm: Any, request: str, hits: list[Any]) -> dict[str, Any]:
    """LLM-written impact summary with citations checked like help-desk answers; nothing on failure."""
    from langchain_core.output_parsers import StrOutputParser
    from langchain_core.prompts import ChatPromptTemplate

    from assistant.chains.answer import format_context, validate_citations
    from assistant.providers.llm import describe_llm_error

    if not hits:
        return {"llm_flags": ["no_passages"]}
    chain = ChatPromptTemplate.from_messages([("human", CR_PROSE_PROMPT)]) | llm | StrOutputParser()
    try:
        raw = chain.invoke({"request": request, "context": format_context(hits)})
    except Exception as e:
        return {"llm_flags": ["llm_unavailable"], "llm_error": describe_llm_error(e)}
    cleaned, citations, flags = validate_citations(raw.strip(), hits)
    if not citations:
        return {"llm_flags": [*flags, "llm_uncited"]}
    return {"summary": cleaned, "summary_citations": [c.model_dump() for c in citations], "llm_flags": flags}


EXPORT_LABELS: dict[str, dict[str, str]] = {
    "en": {
        "status": "Status",
        "requester": "requester",
        "created": "created",
        "requested_change": "Requested change",
        "reason": "Reason",
        "current": "Current behaviour",
        "modules": "Affected modules",
        "requirements": "Affected requirements",
        "incidents": "Related incidents",
        "impact": "Impact",
        "item": "item",
        "value": "value",
        "proposal": "proposal",
        "acceptance": "Acceptance criteria",
        "approvals": "Approvals",
        "audit": "Audit log",
        "when": "when",
        "who": "who",
        "action": "action",
        "from": "from",
        "to": "to",
        "comment": "comment",
        "to_fill": "_to be filled in_",
        "none": "_none_",
        "none_found": "_none found_",
        "none_yet": "_none yet_",
        "proposed": "proposed — confirm",
        "confirmed": "confirmed",
        "proposed_short": " (proposed)",
        "at": "at",
        "page": "p.",
        "effort_days": "effort_days",
        "schedule": "schedule",
        "cost": "cost",
        "risk": "risk",
    },
    "zh": {
        "status": "状态",
        "requester": "申请人",
        "created": "创建于",
        "requested_change": "变更内容",
        "reason": "变更原因",
        "current": "现状",
        "modules": "涉及模块",
        "requirements": "涉及需求",
        "incidents": "相关工单",
        "impact": "影响评估",
        "item": "项目",
        "value": "评估",
        "proposal": "状态",
        "acceptance": "验收标准",
        "approvals": "审批",
        "audit": "审计日志",
        "when": "时间",
        "who": "操作人",
        "action": "操作",
        "from": "原状态",
        "to": "新状态",
        "comment": "意见",
        "to_fill": "_待填写_",
        "none": "_无_",
        "none_found": "_未找到_",
        "none_yet": "_暂无_",
        "proposed": "系统建议，待确认",
        "confirmed": "已确认",
        "proposed_short": "（建议）",
        "at": "于",
        "page": "页",
        "effort_days": "工作量（人天）",
        "schedule": "进度",
        "cost": "成本",
        "risk": "风险",
    },
}


def export_markdown(cr: dict[str, Any], audit: list[dict[str, Any]], language: str = "en") -> str:
    L = EXPORT_LABELS["zh" if language == "zh" else "en"]
    imp = cr.get("impact") or {}
    lines = [
        f"# {cr['id']}: {cr['title']}",
        "",
        f"{L['status']}: **{cr['status']}** · {L['requester']}: {cr['requester']} · {L['created']} {cr['created_at']}",
        "",
        f"## {L['requested_change']}",
        "",
        cr.get("requested_change") or "",
        "",
        f"## {L['reason']}",
        "",
        cr.get("reason") or L["to_fill"],
        "",
        f"## {L['current']}",
        "",
    ]
    lines += [
        f"- {c['section']} ({c['source']}{', ' + L['page'] + ' ' + str(c['page']) if c.get('page') else ''}): {c['snippet'][:160]}"
        for c in cr.get("current_behaviour") or []
    ] or [L["none_found"]]
    lines += ["", f"## {L['modules']}", "", ", ".join(cr.get("affected_modules") or []) or L["none"], ""]
    lines += [f"## {L['requirements']}", ""]
    lines += [
        f"- {r['id']} — {r['source']}: {r['snippet'][:160]}" for r in cr.get("affected_requirements") or []
    ] or [L["none"]]
    lines += ["", f"## {L['incidents']}", ""]
    lines += [f"- {i['id']}: {i.get('title', '')}" for i in cr.get("related_incidents") or []] or [L["none"]]
    lines += [
        "",
        f"## {L['impact']}",
        "",
        f"| {L['item']} | {L['value']} | {L['proposal']} |",
        "|---|---|---|",
    ]
    for k in ("effort_days", "schedule", "cost", "risk"):
        v = imp.get(k) or {}
        lines.append(
            f"| {L[k]} | {v.get('value') if v.get('value') is not None else L['to_fill']} | "
            f"{L['proposed'] if v.get('proposed') else L['confirmed']} |"
        )
    lines += ["", f"## {L['acceptance']}", ""]
    lines += [
        f"- {a['text']}{L['proposed_short'] if a.get('proposed') else ''}"
        for a in cr.get("acceptance_criteria") or []
    ]
    lines += ["", f"## {L['approvals']}", ""]
    lines += [f"- {a['approver']} {L['at']} {a['at']}" for a in cr.get("approvals") or []] or [L["none_yet"]]
    lines += [
        "",
        f"## {L['audit']}",
        "",
        f"| {L['when']} | {L['who']} | {L['action']} | {L['from']} | {L['to']} | {L['comment']} |",
        "|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {a['at']} | {a['actor']} ({a['role']}) | {a['action']} | {a['from_state'] or ''} | {a['to_state'] or ''} | "
        f"{a['comment'] or ''} |"
        for a in audit
    ]
    return "\n".join(lines) + "\n"


def export_bytes(cr: dict[str, Any], audit: list[dict[str, Any]], fmt: str, language: str = "en") -> bytes:
    """One change request as a Markdown or DOCX file's bytes (for downloads)."""
    if fmt == "md":
        return export_markdown(cr, audit, language).encode("utf-8")
    if fmt != "docx":
        raise InvalidInput(f"unknown format {fmt!r}; use md or docx")
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        return export_docx(cr, audit, Path(tmp) / "cr.docx", language).read_bytes()


def export_docx(cr: dict[str, Any], audit: list[dict[str, Any]], path: Path, language: str = "en") -> Path:
    import docx

    L = EXPORT_LABELS["zh" if language == "zh" else "en"]
    d = docx.Document()
    d.core_properties.title = f"{cr['id']}: {cr['title']}"
    d.add_heading(f"{cr['id']}: {cr['title']}", level=0)
    d.add_paragraph(
        f"{L['status']}: {cr['status']}   {L['requester']}: {cr['requester']}   {L['created']}: {cr['created_at']}"
    )
    for heading, body in (
        (L["requested_change"], cr.get("requested_change") or ""),
        (L["reason"], cr.get("reason") or L["to_fill"].strip("_")),
    ):
        d.add_heading(heading, level=1)
        d.add_paragraph(body)
    d.add_heading(L["requirements"], level=1)
    for r in cr.get("affected_requirements") or []:
        d.add_paragraph(f"{r['id']} — {r['source']}", style="List Bullet")
    d.add_heading(L["impact"], level=1)
    t = d.add_table(rows=1, cols=3)
    t.style = "Table Grid"
    for i, h in enumerate((L["item"], L["value"], L["proposal"])):
        t.cell(0, i).text = h.capitalize()
    for k in ("effort_days", "schedule", "cost", "risk"):
        v = (cr.get("impact") or {}).get(k) or {}
        cells = t.add_row().cells
        cells[0].text, cells[1].text = L[k], "" if v.get("value") is None else str(v.get("value"))
        cells[2].text = L["proposed"] if v.get("proposed") else L["confirmed"]
    d.add_heading(L["audit"], level=1)
    a_t = d.add_table(rows=1, cols=5)
    a_t.style = "Table Grid"
    for i, h in enumerate((L["when"], L["who"], L["action"], f"{L['from']} → {L['to']}", L["comment"])):
        a_t.cell(0, i).text = h.capitalize()
    for a in audit:
        cells = a_t.add_row().cells
        cells[0].text, cells[1].text, cells[2].text = a["at"], f"{a['actor']} ({a['role']})", a["action"]
        cells[3].text, cells[4].text = f"{a['from_state'] or ''} → {a['to_state'] or ''}", a["comment"] or ""
    path.parent.mkdir(parents=True, exist_ok=True)
    d.save(str(path))
    return path
