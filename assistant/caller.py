"""What one signed-in person may do: every permission check of the HTTP API and the web UI, in one
place. ``services.as_caller(principal)`` hands out a :class:`Caller`; the routers and pages only
translate its answers (the CLI is the local operator and uses :class:`Services` directly).

The rules (the capability table is :data:`assistant.access.models.CAPABILITIES`):

- a key reads only the knowledge bases in its scope; writing needs a writer role as well;
- conversations and their feedback belong to the key that started them (and to admins);
- incident (ticket) data reaches only roles with ``read_tickets``: in search, answers, triage,
  change-request drafts, reads, lists, audit logs and exports;
- a record in a knowledge base out of scope, or another person's conversation, answers exactly as
  an unknown id does (404), so ids cannot be probed.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from assistant.access.models import Principal, Role
from assistant.changes.export import export_bytes
from assistant.changes.models import (
    Actor,
    actor_for,
    audit_without_incidents,
    available_actions,
    without_incidents,
)
from assistant.errors import InvalidInput, NotFound
from assistant.migration.check import markdown_report
from assistant.schemas import Answer, DocType, FileOutcome, KnowledgeBaseInfo, SearchHit

if TYPE_CHECKING:
    from assistant.ingest.pipeline import ProgressFn
    from assistant.services import Services

INCIDENT = DocType.incident.value


class Caller:
    """The use cases of :class:`Services` as one principal may run them."""

    def __init__(self, services: Services, principal: Principal) -> None:
        self.services = services
        self.principal = principal

    # -- who ------------------------------------------------------------------------------------
    @property
    def actor(self) -> Actor:
        """The change-control actor of this key (its name, the workflow role of its role)."""
        return actor_for(self.principal.name, self.principal.role.value)

    @property
    def is_admin(self) -> bool:
        return self.principal.role is Role.admin

    def can(self, capability: str) -> bool:
        return self.principal.can(capability)

    def may_write(self, kb: str) -> bool:
        return self.principal.may_write(kb)

    def _read(self, kb: str) -> None:
        self.principal.require(kb)

    def _in_scope(self, kb: str, what: str) -> None:
        """A record of a knowledge base out of scope answers like an unknown one."""
        if not self.principal.may_read(kb):
            raise NotFound(f"{what} does not exist")

    def _own(self, kb: str, user: str | None, what: str) -> None:
        self._in_scope(kb, what)
        if not self.is_admin and user != self.principal.key_id:
            raise NotFound(f"{what} does not exist")

    # -- knowledge bases ----------------------------------------------------------------------
    def knowledge_bases(self) -> list[KnowledgeBaseInfo]:
        return [i for i in self.services.list_kbs() if self.principal.may_read(i.name)]

    def kb_names(self) -> list[str]:
        return [n for n in self.services.kbs.names() if self.principal.may_read(n)]

    def search(
        self,
        kb: str,
        query: str,
        k: int | None = None,
        doc_types: Sequence[str] | None = None,
        languages: Sequence[str] | None = None,
    ) -> list[SearchHit]:
        self._read(kb)
        types = list(doc_types) if doc_types else None
        if not self.can("read_tickets"):  # incident tickets are for support and consultants
            if types and INCIDENT in types:
                self.principal.require_can("read_tickets")
            types = types or [t.value for t in DocType if t is not DocType.incident]
        return self.services.search(kb, query, k, types, languages)

    def kb_stats(self, kb: str) -> dict[str, Any]:
        self._read(kb)
        self.principal.require_can("documents")
        return self.services.kb_stats(kb)

    def ingest_upload(
        self,
        kb: str,
        filename: str | None,
        data: bytes,
        doc_type: DocType | None = None,
        version: str | None = None,
        progress: ProgressFn | None = None,
    ) -> tuple[FileOutcome, float]:
        self.principal.require(kb, write=True)
        return self.services.ingest_upload(kb, filename, data, doc_type, version, progress)

    def remove_document(self, kb: str, source: str) -> None:
        self.principal.require(kb, write=True)
        self.services.remove_document(kb, source)

    def reingest_document(self, kb: str, source: str, progress: ProgressFn | None = None) -> Any:
        self.principal.require(kb, write=True)
        return self.services.reingest_document(kb, source, progress)

    def delete_kb(self, kb: str, archive: bool = False) -> dict[str, Any]:
        """Delete a knowledge base and everything of it (admins only)."""
        self.principal.require_role(Role.admin)
        self._read(kb)
        return self.services.delete_kb(kb, archive=archive)

    def document_file(self, kb: str, source: str) -> Any:
        self._read(kb)
        if not self.can("read_tickets") and self._is_incident(kb, source):
            return None
        return self.services.document_file(kb, source)

    def document_bytes(self, kb: str, source: str) -> bytes | None:
        self._read(kb)
        if not self.can("read_tickets") and self._is_incident(kb, source):
            return None
        return self.services.document_bytes(kb, source)

    def passage(self, kb: str, chunk_id: str, around: int = 1) -> dict[str, Any]:
        """A cited passage in context; incident passages only for roles that read tickets."""
        self._read(kb)
        found = self.services.passage(kb, chunk_id, around)
        if found["doc_type"] == INCIDENT and not self.can("read_tickets"):
            raise NotFound(
                "this passage is no longer in the knowledge base (its document was updated or removed)"
            )
        return found

    def page_image(self, kb: str, source: str, page: int, width: int = 1000) -> bytes:
        self._read(kb)
        if not self.can("read_tickets") and self._is_incident(kb, source):
            raise NotFound(f"no PDF page to show for {source!r}")
        return self.services.page_image(kb, source, page, width)

    def _is_incident(self, kb: str, source: str) -> bool:
        rec = self.services.kbs.get(kb).document(source)
        return rec is not None and rec.doc_type == INCIDENT

    # -- data migration -----------------------------------------------------------------------
    def migration_profile(self, path: Any, sheet: str | None = None) -> dict[str, Any]:
        self.principal.require_can("migration")
        return self.services.migration.profile(path, sheet)

    def migration_check(
        self,
        path: Any,
        rules: Any = None,
        infer: bool = False,
        sheet: str | None = None,
        kb: str | None = None,
        xlsx: Any = None,
        language: str = "zh",
    ) -> Any:
        self.principal.require_can("migration")
        if kb:
            self._read(kb)  # values_from_spec reads that knowledge base's specification
        return self.services.migration.check(path, rules, infer, sheet, None, kb, xlsx, language)

    def migration_merge(
        self,
        path: Any,
        clusters: list[dict[str, Any]],
        id_col: str | None = None,
        survivor: str = "most_complete",
        recent_col: str | None = None,
        sheet: str | None = None,
    ) -> dict[str, Any]:
        self.principal.require_can("migration")
        return self.services.migration.merge_files(path, clusters, id_col, survivor, recent_col, sheet)

    def migration_reconcile(
        self,
        source: Any,
        target: Any,
        keys: list[str],
        sums: list[str] | None = None,
        round_name: str | None = None,
    ) -> dict[str, Any]:
        self.principal.require_can("migration")
        return self.services.migration.reconcile(source, target, keys, sums or [], round_name)

    def migration_rounds(self) -> list[dict[str, Any]]:
        self.principal.require_can("migration")
        return self.services.migration.rounds()

    def migration_transform(
        self, path: Any, mapping: Any, out_dir: Any, sheet: str | None = None, encoding: str = "utf-8"
    ) -> Any:
        self.principal.require_can("migration")
        return self.services.migration.transform(path, mapping, out_dir, sheet, encoding)

    def migration_dedupe(
        self,
        path: Any,
        fields: list[str],
        id_col: str | None = None,
        threshold: float = 0.9,
        sheet: str | None = None,
    ) -> dict[str, Any]:
        self.principal.require_can("migration")
        return self.services.migration.dedupe(path, fields, id_col, threshold, sheet)

    def migration_markdown(self, name: str, report: Any) -> str:
        self.principal.require_can("migration")
        return markdown_report(name, report.findings, report.summary())

    # -- help desk ------------------------------------------------------------------------------
    def _conversation(self, conversation_id: str | None) -> None:
        if conversation_id:
            ckb, user = self.services.helpdesk.conversation_owner(conversation_id)
            self._own(ckb, user, f"conversation {conversation_id!r}")

    def ask(self, kb: str, question: str, conversation_id: str | None = None) -> Answer:
        self._read(kb)
        self._conversation(conversation_id)
        return self.services.helpdesk.ask(kb, question, conversation_id, user=self.principal.key_id)

    def ask_stream(
        self, kb: str, question: str, conversation_id: str | None = None
    ) -> Iterator[str | Answer]:
        """Checks run now, before the first event (a stream must not start on a refusal)."""
        self._read(kb)
        self._conversation(conversation_id)
        self.services.kbs.get(kb)
        return self.services.helpdesk.ask_stream(kb, question, conversation_id, user=self.principal.key_id)

    def feedback(self, message_id: str, rating: int, comment: str | None = None) -> dict[str, Any]:
        kb, user = self.services.helpdesk.message_owner(message_id)
        self._own(kb, user, f"message {message_id!r}")
        return self.services.helpdesk.feedback(message_id, rating, comment)

    def conversation(self, conversation_id: str) -> dict[str, Any]:
        self._conversation(conversation_id)
        return self.services.helpdesk.conversation(conversation_id)

    def conversations(self, kb: str, limit: int = 50) -> list[dict[str, Any]]:
        """This person's conversations in a knowledge base, newest first."""
        self._read(kb)
        return self.services.helpdesk.conversations(kb, limit, user=self.principal.key_id)

    def open_ticket(
        self, kb: str, question: str, conversation_id: str | None = None, details: str | None = None
    ) -> dict[str, Any]:
        self._read(kb)
        self._conversation(conversation_id)
        return self.services.helpdesk.open_ticket(
            kb, question, conversation_id, user=self.principal.name, details=details
        )

    # -- ticket queue -------------------------------------------------------------------------
    def ticket_queue(self, kb: str, **filters: Any) -> list[dict[str, Any]]:
        """Support sees every ticket of the knowledge base; anyone else the tickets they opened."""
        self._read(kb)
        if not self.can("read_tickets"):
            filters["opened_by"] = self.principal.name
            filters["assignee"] = None
        return self.services.ticket_work.queue(kb, **filters)

    def _ticket_visible(self, kb: str, ticket_id: str) -> dict[str, Any]:
        """The ticket, when this person may see it (support: any; others: the ones they opened)."""
        self._read(kb)
        t = self.services.ticket_work.show(kb, ticket_id)
        if self.can("read_tickets"):
            return t
        if t.get("source") != "helpdesk" or t.get("opened_by") != self.principal.name:
            raise NotFound(f"ticket {ticket_id!r} does not exist in knowledge base {kb!r}")
        return t

    def attach(self, kb: str, ticket_id: str, name: str, data: bytes) -> dict[str, Any]:
        """Add a file to a ticket: support to any, the person who opened it to their own."""
        self._ticket_visible(kb, ticket_id)
        self.services.ticket_work.attach(kb, ticket_id, name, data, self.principal.name)
        return self.ticket(kb, ticket_id)

    def attachment(self, kb: str, ticket_id: str, name: str) -> tuple[bytes, str]:
        """The bytes and media type of a ticket's file, for whoever may see the ticket."""
        self._ticket_visible(kb, ticket_id)
        return self.services.ticket_work.attachments.read(kb, ticket_id, name)  # type: ignore[union-attr]

    def ticket_summary(self, kb: str) -> dict[str, Any]:
        """Counts of the whole queue (support only)."""
        self.principal.require_can("read_tickets")
        self._read(kb)
        return self.services.ticket_work.summary(kb)

    def ticket(self, kb: str, ticket_id: str) -> dict[str, Any]:
        """A ticket in full for support; for the person who opened it, its status and the replies."""
        t = self._ticket_visible(kb, ticket_id)
        if self.can("read_tickets"):
            return t
        return {
            "id": t["id"],
            "kb": kb,
            "title": t["title"],
            "text": t["text"],
            "status": t["status"],
            "created_at": t["created_at"],
            "updated_at": t["updated_at"],
            "resolution": t["resolution"],
            "replies": [{"at": e["at"], "text": e["detail"].get("text", "")} for e in t["replies"]],
            "attachments": [
                {k: a[k] for k in ("name", "size", "mime", "added_at")} for a in t["attachments"]
            ],
        }

    def ticket_action(
        self, kb: str, ticket_id: str, action: str, version: int | None, **fields: Any
    ) -> dict[str, Any]:
        """assign (to), reply (text), link (to), resolve (note), review (comment), reopen (comment),
        classify (category, priority)."""
        self.principal.require_can("read_tickets")
        self._read(kb)
        work = self.services.ticket_work
        actor = self.principal.name
        if action == "assign":
            return work.assign(kb, ticket_id, str(fields.get("to") or ""), actor, version)
        if action == "reply":
            return work.reply(kb, ticket_id, str(fields.get("text") or ""), actor, version)
        if action == "link":
            return work.link(kb, ticket_id, str(fields.get("to") or ""), actor, version)
        if action == "resolve":
            return work.resolve(kb, ticket_id, str(fields.get("note") or ""), actor, version)
        if action == "review":
            return work.review(kb, ticket_id, actor, str(fields.get("comment") or ""), version)
        if action == "reopen":
            return work.reopen(kb, ticket_id, actor, str(fields.get("comment") or ""), version)
        if action == "classify":
            return work.classify(
                kb, ticket_id, actor, fields.get("category"), fields.get("priority"), version
            )
        raise InvalidInput(
            f"unknown ticket action {action!r}; use assign, reply, link, resolve, review, reopen or classify"
        )

    def ticket_triage(self, kb: str, ticket_id: str) -> dict[str, Any]:
        """Triage of a queued ticket: suggestions, similar incidents and open duplicates (not itself)."""
        self.principal.require_can("read_tickets")
        self._read(kb)
        return self.services.support.triage_ticket(kb, ticket_id)

    # -- support --------------------------------------------------------------------------------
    def triage(self, kb: str, text: str) -> dict[str, Any]:
        self.principal.require_can("read_tickets")
        self._read(kb)
        return self.services.support.triage(kb, text)

    # -- FAQ from resolved tickets (support and consultants curate the knowledge base) ------------
    def _faq(self, kb: str) -> None:
        self.principal.require_can("import_tickets")
        self._read(kb)

    def faq_drafts(self, kb: str, status: str | None = "draft") -> list[dict[str, Any]]:
        self._faq(kb)
        if status not in (None, "draft", "approved", "rejected"):
            raise InvalidInput("status must be draft, approved or rejected")
        return self.services.support.tickets.faq_drafts(kb, status)

    def faq_suggest(self, kb: str) -> list[dict[str, Any]]:
        """Draft FAQ entries from clusters of resolved tickets (decided drafts keep their decision)."""
        self._faq(kb)
        return self.services.support.faq_suggest(kb)

    def faq_accept(
        self, kb: str, draft_id: str, question: str | None = None, answer: str | None = None
    ) -> dict[str, Any]:
        """Publish a draft (as edited) as an FAQ document of the knowledge base, indexed at once."""
        self._faq(kb)
        return self.services.support.faq_approve(kb, draft_id, question, answer)

    def faq_reject(self, kb: str, draft_id: str) -> dict[str, Any]:
        self._faq(kb)
        return self.services.support.tickets.reject_faq_draft(kb, draft_id)

    def support_desk(self, kb: str, imports: bool = False) -> Any:
        """The support desk of a knowledge base for the ticket pages (ticket access; importing
        history and training need ``import_tickets``)."""
        self.principal.require_can("import_tickets" if imports else "read_tickets")
        self._read(kb)
        return self.services.support

    def insights(self, kb: str, date_from: str | None = None, date_to: str | None = None) -> dict[str, Any]:
        self.principal.require_can("insights")
        self._read(kb)
        return self.services.insights(kb, date_from, date_to)

    def benefit(self, kb: str, date_from: str | None = None, date_to: str | None = None) -> dict[str, Any]:
        """The benefit report's figures (the same right as insights)."""
        self.principal.require_can("insights")
        self._read(kb)
        return self.services.benefit(kb, date_from, date_to)

    # -- interviews -----------------------------------------------------------------------------
    def interviews(self) -> Any:
        """The interview workspace (consultants and admins)."""
        self.principal.require_can("interviews")
        return self.services.interviews

    def session(self, session_id: str) -> dict[str, Any]:
        session = self.interviews().get(session_id)
        if session.get("kb"):
            self._in_scope(session["kb"], f"interview session {session_id!r}")
        return session

    def extract_session(self, session_id: str) -> dict[str, Any]:
        self.session(session_id)
        return self.services.extract_session(session_id)

    # -- change requests ------------------------------------------------------------------------
    def _view(self, cr: dict[str, Any]) -> dict[str, Any]:
        cr = cr if self.can("read_tickets") else without_incidents(cr)
        return {**cr, "available_actions": available_actions(cr, self.actor)}

    def _cr(self, cr_id: str) -> dict[str, Any]:
        try:
            cr = self.services.changes.get(cr_id)
        except NotFound:
            raise NotFound(f"change request {cr_id!r} does not exist") from None
        self._in_scope(cr["kb"], f"change request {cr_id!r}")
        return cr

    def draft_change(
        self,
        kb: str,
        text: str | None = None,
        ticket: str | None = None,
        session: str | None = None,
        req: str | None = None,
        spec_req: str | None = None,
        title: str | None = None,
    ) -> dict[str, Any]:
        self._read(kb)
        if ticket:
            self.principal.require_can("read_tickets")
        if session:  # interviews are the consultants'; and of a knowledge base this key may read
            self.session(session)
        cr = self.services.draft_change(kb, self.actor, text, ticket, session, req, spec_req, title)
        return self._view(cr)

    def change_requests(self, kb: str, status: str | None = None) -> list[dict[str, Any]]:
        self._read(kb)
        return [self._view(cr) for cr in self.services.changes.find(kb, status)]

    def change_request(self, cr_id: str) -> dict[str, Any]:
        """One request with its audit log."""
        cr = self._cr(cr_id)
        return {**self._view(cr), "audit": self.audit(cr_id, cr)}

    def audit(self, cr_id: str, cr: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        cr = cr or self._cr(cr_id)
        log = self.services.changes.audit(cr_id)
        return log if self.can("read_tickets") else audit_without_incidents(cr, log)

    def act(self, cr_id: str, action: str, comment: str | None = None) -> dict[str, Any]:
        self._cr(cr_id)
        return self._view(self.services.changes.act(cr_id, action.replace("-", "_"), self.actor, comment))

    def edit_change(self, cr_id: str, fields: dict[str, Any], comment: str | None = None) -> dict[str, Any]:
        self._cr(cr_id)
        return self._view(self.services.changes.edit(cr_id, self.actor, fields, comment))

    def may_confirm_impact(self, cr: dict[str, Any]) -> bool:
        return self.services.changes.may_confirm_impact(cr, self.actor)

    def confirm_impact(self, cr_id: str, **estimates: Any) -> dict[str, Any]:
        self._cr(cr_id)
        return self._view(self.services.changes.confirm_impact(cr_id, self.actor, **estimates))

    def export_change(self, cr_id: str, fmt: str, language: str = "en") -> bytes:
        """A Markdown ("md") or DOCX ("docx") file of one request and its audit log, as this caller sees it."""
        cr = self._cr(cr_id)
        view = cr if self.can("read_tickets") else without_incidents(cr)
        return export_bytes(view, self.audit(cr_id, cr), fmt, language)

    def require(self, capability: str) -> None:
        """Refuse now when this caller lacks a capability (pages check before they draw)."""
        self.principal.require_can(capability)
