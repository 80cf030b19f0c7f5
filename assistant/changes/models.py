"""Change control, its value types: change requests, their workflow through the change-control board (CCB), and an
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

from dataclasses import dataclass
from typing import Any

from assistant.errors import InvalidInput

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
#: actions a requester (end user, support) may take only on a request they drafted themselves;
#: consultants and admins act on anyone's
OWN_ONLY = frozenset({"submit", "revise", "withdraw"})
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


def may_act_on(cr: dict[str, Any], actor: Actor, action: str) -> bool:
    """The ownership rule: only consultants and admins submit, revise, withdraw or edit a request
    someone else drafted; everyone else only their own."""
    if actor.role in ("consultant", "admin") or (action not in OWN_ONLY and action != "edit"):
        return True
    return bool(actor.name == cr["requester"])


#: fields of a change request that hold incident (support ticket) data
INCIDENT_FIELDS = ("related_incidents",)
#: fields drafted from the source ticket's text when a request is drafted from a ticket (hidden
#: whole from callers without ticket access, even after edits: they may still quote the ticket)
TICKET_TEXT_FIELDS = ("background", "requested_change", "reason", "summary", "acceptance_criteria")
HIDDEN_TICKET_TEXT = (
    "（来自支持工单，仅支持与顾问可见）(from a support ticket; visible to support and consultants)"
)


def _from_ticket(cr: dict[str, Any]) -> bool:
    return (cr.get("source") or {}).get("kind") == "ticket"


def _title_from_ticket(cr: dict[str, Any], background: str | None) -> bool:
    title = (cr.get("title") or "").strip()
    return bool(title) and bool(background) and str(background).strip().startswith(title.rstrip("…"))


def without_incidents(cr: dict[str, Any]) -> dict[str, Any]:
    """A change request as a caller without ticket access sees it: no related incidents, and for a
    request drafted from a ticket no ticket id, ticket text or title taken from the ticket."""
    out = dict(cr)
    for k in INCIDENT_FIELDS:
        if out.get(k):
            out[k] = []
    if _from_ticket(cr):
        if _title_from_ticket(cr, cr.get("background")):
            out["title"] = HIDDEN_TICKET_TEXT
        for k in TICKET_TEXT_FIELDS:
            if out.get(k):
                out[k] = _hidden(k)
        out["source"] = {"kind": "ticket"}
    return out


def audit_without_incidents(cr: dict[str, Any], audit: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The audit log as a caller without ticket access sees it (same fields hidden as in the request)."""
    ticket = _from_ticket(cr)
    hidden = set(INCIDENT_FIELDS) | ({*TICKET_TEXT_FIELDS, "title", "source"} if ticket else set())
    out = []
    for entry in audit:
        changes = dict(entry.get("changes") or {})
        for k in hidden & changes.keys():
            if k == "title" and not _title_from_ticket({"title": _text_of(changes[k])}, cr.get("background")):
                continue
            changes[k] = [] if k in INCIDENT_FIELDS else _hidden(k)
        out.append({**entry, "changes": changes})
    return out


def _hidden(field: str) -> Any:
    """The stand-in of a hidden field, of the field's shape."""
    if field == "acceptance_criteria":
        return [{"text": HIDDEN_TICKET_TEXT, "proposed": True}]
    return HIDDEN_TICKET_TEXT


def _text_of(value: Any) -> str:
    if isinstance(value, dict) and "to" in value:
        return str(value.get("to") or "")
    return str(value or "")


def available_actions(cr: dict[str, Any], actor: Actor) -> list[str]:
    """The actions this actor may take on this request now (legal in its state and allowed to the role)."""
    out = []
    for action, (sources, _, roles) in ACTIONS.items():
        if cr["status"] not in sources or actor.role not in roles:
            continue
        if not may_act_on(cr, actor, action):
            continue
        if action == "approve" and (
            actor.name == cr["requester"] or any(a["approver"] == actor.name for a in cr.get("approvals", []))
        ):
            continue
        out.append(action)
    return out
