"""Who may do what: roles, the capabilities of each role, and the signed-in caller (Principal)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from assistant.errors import PermissionDenied


class Role(StrEnum):
    end_user = "end_user"
    support = "support"
    consultant = "consultant"
    ccb = "ccb"
    admin = "admin"


#: roles that may add documents to a knowledge base in their scope
WRITERS = {Role.consultant, Role.admin}
ALL_KBS = "*"

#: what a role may do within its knowledge bases, beyond asking questions and raising change
#: requests (which every role may); one table for the HTTP API and the web UI; admins may do all
CAPABILITIES: dict[str, frozenset[Role]] = {
    "read_tickets": frozenset(
        {Role.support, Role.consultant}
    ),  # triage, incident history, drafts from tickets
    "import_tickets": frozenset({Role.support, Role.consultant}),  # import history, train triage
    "interviews": frozenset({Role.consultant}),
    "migration": frozenset({Role.consultant}),  # profile, check and deduplicate legacy exports
    "documents": frozenset({Role.support, Role.consultant}),  # the document list and the search tester
    "write_documents": frozenset(WRITERS),
    "insights": frozenset({Role.support, Role.consultant, Role.ccb}),
    # submit, revise, withdraw and edit change requests drafted by someone else (everyone may on
    # their own; the workflow in assistant.changes enforces it, a test keeps the two in step)
    "others_change_requests": frozenset({Role.consultant}),
}


@dataclass
class Principal:
    key_id: str
    name: str
    role: Role
    kbs: list[str]

    def may_read(self, kb: str) -> bool:
        return ALL_KBS in self.kbs or kb in self.kbs

    def may_write(self, kb: str) -> bool:
        return self.role in WRITERS and self.may_read(kb)

    def require(self, kb: str, write: bool = False) -> None:
        """Raise the same PermissionDenied whether or not the knowledge base exists."""
        if not (self.may_write(kb) if write else self.may_read(kb)):
            action = "write to" if write else "read"
            raise PermissionDenied(f"this API key may not {action} knowledge base {kb!r}")

    def can(self, capability: str) -> bool:
        return self.role is Role.admin or self.role in CAPABILITIES[capability]

    def require_can(self, capability: str) -> None:
        if not self.can(capability):
            allowed = ", ".join(sorted(r.value for r in CAPABILITIES[capability] | {Role.admin}))
            raise PermissionDenied(f"this needs one of the roles: {allowed}")

    def require_role(self, *roles: Role) -> None:
        if self.role not in roles and self.role != Role.admin:
            raise PermissionDenied(f"this needs one of the roles: {', '.join(r.value for r in roles)}")
