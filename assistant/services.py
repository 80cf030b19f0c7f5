"""Composition root: turns Settings into working objects. The CLI, the API, the UI and the
evaluations all go through :class:`Services`; nothing else constructs providers.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from langchain_core.tools import BaseTool

from assistant.access.models import Principal
from assistant.access.store import KeyStore
from assistant.caller import Caller
from assistant.chains.agent import AgentAnswer, run_tool_agent
from assistant.chains.answer import AnswerEngine, AnswerPolicy, compose
from assistant.changes.drafting import draft_fields, draft_prose
from assistant.changes.models import Actor
from assistant.changes.service import ChangeRequests
from assistant.errors import ConfigError, InvalidInput, ProviderError
from assistant.helpdesk.service import HelpDesk
from assistant.helpdesk.store import ConversationStore
from assistant.ingest.encoding import decode_bytes
from assistant.ingest.loaders import LOADERS
from assistant.ingest.pipeline import IngestPipeline, ProgressFn
from assistant.ingest.tables import read_rows
from assistant.ingest.uploads import TABLE_SUFFIXES, check_upload, save_scratch_copy, touch_scratch_copy
from assistant.insights.benefit import benefit_docx, benefit_markdown
from assistant.interviews.classifier import (
    RequirementClassifier,
    TypeEnsemble,
    TypeModel,
    TypeWithExamples,
    shipped_examples,
)
from assistant.interviews.dialogue import interviewers, sentence_spans
from assistant.interviews.extraction import extract as extract_requirements
from assistant.interviews.models import Turn
from assistant.interviews.service import Interviews
from assistant.interviews.transcripts import read_transcript
from assistant.knowledge.store import KnowledgeBases
from assistant.learning.textclf import ModelStore
from assistant.learning.textclf import fit as fit_text_classifier
from assistant.migration.check import markdown_report
from assistant.migration.service import Migration
from assistant.migration.values import shape as value_shape
from assistant.providers.database import AppDB, copy_database, open_app_db, table_counts
from assistant.providers.embeddings import PROVIDER_LANGUAGES, NamedEmbeddings, make_embeddings
from assistant.providers.llm import make_chat_model
from assistant.providers.vectorstore import VectorStore, make_vector_store
from assistant.retrieval.answerability import FEATURES, AnswerabilityModel, features, shipped_model
from assistant.retrieval.hybrid import HybridRetriever, HybridSearcher
from assistant.schemas import DocType, FileOutcome, IngestReport, KnowledgeBaseInfo, SearchHit
from assistant.settings import (
    CALIBRATED_MIN_SIMILARITY,
    CALIBRATED_MODEL_MIN_SIMILARITY,
    EmbeddingSettings,
    RetrievalSettings,
    Settings,
    get_settings,
)
from assistant.support.attachments import Attachments
from assistant.support.models import incident_id
from assistant.support.service import SupportDesk
from assistant.support.store import TicketStore
from assistant.support.urgency import adjust as urgency_adjust
from assistant.support.urgency import urgency as urgency_cues
from assistant.support.workflow import SlaPolicy, TicketWork
from assistant.text import EN_STOPWORDS, ZH_STOPWORDS, simplified, tokenize, traditional
from assistant.tools import make_tools

#: what the door hands out, for type hints in the transports and the evaluations
Searcher = HybridSearcher
__all__ = [
    "benefit_docx",
    "benefit_markdown",
    "urgency_adjust",
    "urgency_cues",
    "TypeEnsemble",
    "TypeModel",
    "TypeWithExamples",
    "shipped_examples",
    "fit_text_classifier",
    "EN_STOPWORDS",
    "FEATURES",
    "ZH_STOPWORDS",
    "Turn",
    "extract_requirements",
    "interviewers",
    "markdown_report",
    "read_transcript",
    "sentence_spans",
    "simplified",
    "tokenize",
    "traditional",
    "value_shape",
    "AnswerPolicy",
    "AnswerabilityModel",
    "Caller",
    "Searcher",
    "Services",
    "build_services",
    "compose",
    "features",
    "shared_services",
]


log = logging.getLogger(__name__)


@dataclass
class Services:
    settings: Settings
    embeddings: NamedEmbeddings
    vector_store: VectorStore
    kbs: KnowledgeBases
    db: AppDB
    llm: Any = None
    _searchers: dict[str, HybridSearcher] = field(default_factory=dict)
    _helpdesk: HelpDesk | None = None
    _verified: dict[tuple[str, int, int], bool] = field(default_factory=dict)
    _type_embeddings: dict[str, NamedEmbeddings | None] = field(default_factory=dict)

    # -- help desk --------------------------------------------------------------------------
    @property
    def min_similarity(self) -> float:
        """The answer similarity floor: as configured, else calibrated for this embedding model."""
        configured = self.settings.answer.min_similarity
        if configured is not None:
            return configured
        model_id = self.embeddings.model_id
        rule = CALIBRATED_MIN_SIMILARITY.get(model_id, 0.0)
        if self.settings.answer.decision == "model":
            return CALIBRATED_MODEL_MIN_SIMILARITY.get(model_id, rule)
        return rule

    def engine(self, kb: str) -> AnswerEngine:
        return AnswerEngine(
            self.searcher(kb), llm=self.llm, policy=self.engine_policy(), mode=self.settings.llm.mode
        )

    def engine_policy(self) -> AnswerPolicy:
        """When answers count as found and how much they quote, from the settings."""
        a = self.settings.answer
        return AnswerPolicy(
            k=a.k,
            min_confidence=a.min_confidence,
            min_confidence_faq=a.min_confidence_faq,
            min_coverage=a.min_coverage,
            min_similarity=self.min_similarity,
            max_quotes=a.max_quotes,
            answerability=self.answerability_model(),
            min_answerable=a.min_answerable,
        )

    def answerability_model(self) -> AnswerabilityModel | None:
        """The model that decides "found", or None when the settings ask for the thresholds."""
        if self.settings.answer.decision == "thresholds":
            return None
        model = shipped_model()
        if model is None:
            raise ConfigError("the answerability model is missing from the package; reinstall it")
        return model

    @property
    def changes(self) -> ChangeRequests:
        return ChangeRequests(self.db, self.settings.change.approvals_required)

    def draft_change(
        self,
        kb: str,
        actor: Actor,
        text: str | None = None,
        ticket: str | None = None,
        session: str | None = None,
        req: str | None = None,
        spec_req: str | None = None,
        title: str | None = None,
    ) -> dict[str, Any]:
        """Draft a change request from free text, a ticket, an interview requirement or a spec requirement id."""
        from assistant.errors import InvalidInput, NotFound

        sources = [x for x in (text, ticket, session, spec_req) if x]
        if len(sources) != 1:
            raise InvalidInput(
                "draft from exactly one source: text, --ticket ID, --session ID --req R1, or --spec-req ID"
            )
        base = self.kbs.get(kb)
        searcher = self.searcher(kb)
        source: dict[str, Any] = {"kind": "text"}
        if ticket:
            t = self.support.tickets.get(kb, ticket)
            text = f"{t['title']}\n{t['text']}" if not t["text"].startswith(t["title"]) else t["text"]
            source = {"kind": "ticket", "id": ticket}
        elif session:
            if not req:
                raise InvalidInput("--session needs --req with the requirement id, e.g. R1")
            items = self.interviews.items(session)
            found = next((r for r in items["requirements"] if r["id"] == req), None)
            if found is None:
                raise NotFound(f"no requirement {req!r} in session {session}")
            text = found["statement"]
            source = {
                "kind": "interview",
                "session": session,
                "item": req,
                "quote": found["quote"],
                "turn": found["turn"],
            }
        elif spec_req:
            found_req = base.find_requirement(spec_req)
            if found_req is None:
                raise NotFound(f"requirement {spec_req!r} is not in any document of {kb!r}")
            text = f"Change {spec_req}: {found_req[1]}"
            source = {"kind": "spec", "id": spec_req}
        assert text is not None

        has = base.has_doc_type
        spec_hits = searcher.search(text[:2000], 3, doc_types=["spec"]) if has("spec") else []
        manual_hits = (
            searcher.search(text[:2000], 2, doc_types=["manual", "faq"])
            if has("manual") or has("faq")
            else []
        )
        incidents = [
            {"id": incident_id(h.chunk.source), "title": h.chunk.title, "score": round(h.score, 3)}
            for h in self.support.incident_hits(searcher, text[:2000], 3)
        ]
        fields = draft_fields(text, actor.name, title, spec_hits, manual_hits, incidents, source)
        if self.llm is not None:
            fields.update(draft_prose(self.llm, text, [*spec_hits, *manual_hits]))
        return self.changes.create(kb, actor, fields)

    # -- LLM tools ------------------------------------------------------------------------------
    def tools(self, kb: str, principal: Principal | None = None) -> list[BaseTool]:
        """The LangChain tools over this knowledge base that the caller may use (None: local operator)."""
        if principal is not None:
            principal.require(kb)
        return make_tools(kb, self.searcher(kb), self.support, principal)

    def ask_with_tools(
        self, kb: str, question: str, principal: Principal | None = None, max_steps: int = 4
    ) -> AgentAnswer:
        """LLM modes: the model answers after calling the tools it needs (``assistant agent``)."""
        from assistant.chains.answer import question_language
        from assistant.helpdesk.service import clean_question

        question = clean_question(question)
        tools = self.tools(kb, principal)
        return run_tool_agent(self.llm, tools, question, question_language(question), max_steps)

    @property
    def keys(self) -> KeyStore:
        """API keys: create, authenticate, list, revoke."""
        return KeyStore(self.db)

    @property
    def requirements(self) -> RequirementClassifier:
        """The requirement type classifier of this data directory."""
        return RequirementClassifier(
            self.settings.home,
            self.embeddings,
            tuple(
                dict.fromkeys(
                    [
                        *self.settings.embedding.languages,
                        *PROVIDER_LANGUAGES.get(self.settings.embedding.provider, ()),
                    ]
                )
            ),
            self.type_embeddings(),
            cache=self.settings.model_cache or self.settings.home / "models",
        )

    def type_embeddings(self) -> list[tuple[NamedEmbeddings, tuple[str, ...]]]:
        """The further embedding models of the requirement type classifier (settings.requirements),
        with the languages each reads; the configured provider stands for itself, and a provider that
        is not installed is left out. Built once per process; each loads its model on first use."""
        out = []
        for provider in self.settings.requirements.type_embeddings:
            if provider == self.settings.embedding.provider:
                continue
            if provider not in self._type_embeddings:
                conf = EmbeddingSettings(provider=provider, threads=self.settings.embedding.threads)
                try:
                    self._type_embeddings[provider] = make_embeddings(
                        conf, self.settings.model_cache or self.settings.home / "models"
                    )
                except ConfigError as e:
                    log.info("requirement types without the %s embedding: %s", provider, e)
                    self._type_embeddings[provider] = None
            emb = self._type_embeddings[provider]
            if emb is not None:
                out.append((emb, PROVIDER_LANGUAGES.get(provider, ("en",))))
        return out

    @property
    def migration(self) -> Migration:
        """The data-migration workbench (profile and check legacy exports)."""
        return Migration(self.settings.home, self.db, self.kbs)

    @property
    def interviews(self) -> Interviews:
        return Interviews(self.db, self.settings.home)

    def extract_session(self, session_id: str) -> dict[str, Any]:
        """Run extraction for a session with everything available: the type classifier if trained,
        the LLM in LLM modes, and the knowledge base's specs for conflicts and duplicates."""
        session = self.interviews.get(session_id)
        classifier, why = self._type_classifier()
        spec_search = None
        if session.get("kb") and self.kbs.exists(session["kb"]):
            searcher = self.searcher(session["kb"])
            spec_search = lambda text: searcher.search(text, 3, doc_types=["spec"])  # noqa: E731
        out = self.interviews.extract(session_id, classifier, spec_search, self.llm)
        _types_note(out, why)
        return out

    def extract_transcript(self, path: Path) -> dict[str, Any]:
        """Extraction of a transcript file that is not stored in a session (typed like a session's)."""
        classifier, why = self._type_classifier()
        out = self.interviews.extract_transcript(path, self.llm, classifier)
        _types_note(out, why)
        return out

    def _type_classifier(self) -> tuple[Any, list[str]]:
        """The trained requirement-type classifier as ``texts -> [(label, confidence)] | None``, and a
        list that receives why the keyword rules typed instead (no model, or the model could not run)."""
        from assistant.errors import NotFound

        why: list[str] = []
        clf = self.requirements
        try:
            model = clf.load()
        except NotFound:
            why.append("types_no_model")
            return None, why
        except (InvalidInput, ProviderError, ConfigError) as e:
            log.warning("requirement types by keyword rules: %s", e)
            why.append("types_model_failed")
            return None, why

        def classifier(texts: list[str]) -> list[tuple[str, float]] | None:
            try:
                return clf.classify(texts, model)
            except (InvalidInput, ProviderError, ConfigError) as e:  # the keyword types instead
                log.warning("requirement types by keyword rules: %s", e)
                why.append("types_model_failed")
                return None

        return classifier, why

    def benefit(self, kb: str, date_from: str | None = None, date_to: str | None = None) -> dict[str, Any]:
        """The benefit report's figures for a period (《项目效益评估报告》)."""
        from assistant.insights.benefit import benefit_report

        if not self.kbs.exists(kb):
            from assistant.errors import NotFound

            raise NotFound(f"knowledge base {kb!r} does not exist")
        return benefit_report(self.db, self.helpdesk, self.changes, self.ticket_work, kb, date_from, date_to)

    def insights(self, kb: str, date_from: str | None = None, date_to: str | None = None) -> dict[str, Any]:
        """Help-desk, ticket and change-request figures of one knowledge base for a period (for
        charts and reports)."""
        from assistant.insights.service import insights

        self.kbs.get(kb)
        return insights(self.db, self.helpdesk, self.changes, kb, date_from, date_to, self.ticket_work)

    @property
    def ticket_work(self) -> TicketWork:
        """The ticket queue: assign, reply, link, resolve, reopen, with the SLA clock."""
        support = self.settings.support
        return TicketWork(
            self.db,
            SlaPolicy.from_settings(support.sla, support.calendar),
            Attachments(
                self.db,
                self.settings.home / "attachments",
                support.max_attachment_mb,
                support.max_attachments,
            ),
        )

    @property
    def support(self) -> SupportDesk:
        return SupportDesk(
            TicketStore(self.db),
            ModelStore(self.settings.home),
            self.kbs,
            self.embeddings,
            self.settings.chunking,
            self.searcher,
        )

    @property
    def helpdesk(self) -> HelpDesk:
        if self._helpdesk is None:
            self._helpdesk = HelpDesk(ConversationStore(self.db), TicketStore(self.db), self.engine)
        return self._helpdesk

    # -- knowledge bases --------------------------------------------------------------------
    def ingest(
        self,
        kb: str,
        paths: Sequence[Path],
        doc_type: DocType | None = None,
        version: str | None = None,
        prune: bool = False,
        progress: ProgressFn | None = None,
        source_of: dict[Path, str] | None = None,
    ) -> IngestReport:
        base = self.kbs.get(kb, create=True)
        pipeline = IngestPipeline(
            base,
            self.embeddings,
            self.settings.chunking,
            int(self.settings.ingest.max_file_mb * 1024 * 1024),
            exclude=[self.settings.home],
        )
        with base.writing():  # one ingestion per knowledge base at a time in this process
            report = pipeline.run(
                paths, doc_type=doc_type, version=version, prune=prune, progress=progress, source_of=source_of
            )
        base.refresh_statistics(report.chunks_embedded)
        return report

    def ingest_upload(
        self,
        kb: str,
        filename: str | None,
        data: bytes,
        doc_type: DocType | None = None,
        version: str | None = None,
        progress: ProgressFn | None = None,
    ) -> tuple[FileOutcome, float]:
        """Store an uploaded file under the data directory and ingest it; a file that fails leaves
        neither a stored upload nor chunks behind (a replaced upload gets its old content back)."""
        from assistant.errors import DocumentParse
        from assistant.ingest.uploads import StoredUpload, check_upload
        from assistant.knowledge.store import kb_key, validate_kb_name

        validate_kb_name(kb)
        name = check_upload(filename, len(data), self.settings.ingest.max_file_mb)
        stored = StoredUpload(self.settings.home / "uploads" / kb_key(kb), name, data)
        try:
            report = self.ingest(kb, [stored.target], doc_type=doc_type, version=version, progress=progress)
        except BaseException:
            stored.roll_back()
            raise
        outcome = report.files[0] if report.files else None
        if outcome is None or outcome.status == "failed":
            stored.roll_back()
            raise DocumentParse(
                outcome.reason if outcome and outcome.reason else "the upload could not be ingested"
            )
        return outcome, report.seconds

    def remove_document(self, kb: str, source: str) -> None:
        """Take one document (its chunks and vectors) out of a knowledge base."""
        from assistant.errors import NotFound

        base = self.kbs.get(kb)
        with base.writing():
            removed = base.remove_document(source)
        if removed is None:
            raise NotFound(f"no document {source!r} in knowledge base {kb!r}")

    def reingest_document(self, kb: str, source: str, progress: ProgressFn | None = None) -> IngestReport:
        """Read one document again from where it was ingested (e.g. after a parser upgrade)."""
        from assistant.errors import NotFound

        rec = self.kbs.get(kb).document(source)
        if rec is None:
            raise NotFound(f"no document {source!r} in knowledge base {kb!r}")
        if not rec.path or not Path(rec.path).is_file():
            raise NotFound(
                f"the file of {source!r} is no longer at {rec.path or '(unknown)'}; upload it again"
            )
        path = Path(rec.path)
        return self.ingest(
            kb, [path], doc_type=DocType(rec.doc_type), progress=progress, source_of={path: rec.source}
        )

    def _indexed_file(self, kb: str, source: str) -> tuple[Path, str, tuple[str, int, int]] | None:
        """Where an indexed document's file is, its indexed SHA-256 and a version key; None when it
        is gone, failed or over the size limit."""
        rec = self.kbs.get(kb).document(source)
        if rec is None or rec.status != "ok" or not rec.path:
            return None
        path = Path(rec.path)
        try:
            st = path.stat()
        except OSError:
            return None
        if not path.is_file() or st.st_size > self.settings.ingest.max_file_mb * 1024 * 1024:
            return None
        return path, rec.content_hash, (str(path), st.st_mtime_ns, st.st_size)

    def document_file(self, kb: str, source: str) -> Path | None:
        """The original file of an indexed document, only while it is the very version that was
        indexed (same SHA-256; checked once per file version); None otherwise."""
        found = self._indexed_file(kb, source)
        if found is None:
            return None
        path, digest, version = found
        if version not in self._verified:
            self._verified[version] = hashlib.sha256(path.read_bytes()).hexdigest() == digest
        return path if self._verified[version] else None

    def passage(self, kb: str, chunk_id: str, around: int = 1) -> dict[str, Any]:
        """A cited passage in its context: the chunks around it in the same document, in order,
        the cited one marked, and whether its page can be shown as an image.

        Raises:
            NotFound: no such passage (the document was updated or removed since the answer).
        """
        from assistant.errors import InvalidInput, NotFound

        if not 0 <= around <= 5:
            raise InvalidInput("around must be between 0 and 5")
        base = self.kbs.get(kb)
        chunk = base.chunks_by_id([chunk_id]).get(chunk_id)
        if chunk is None:
            raise NotFound(
                "this passage is no longer in the knowledge base (its document was updated or removed)"
            )
        context = base.neighbours(chunk, around, around)
        path = self.document_file(kb, chunk.source)
        return {
            "chunk_id": chunk.chunk_id,
            "source": chunk.source,
            "title": chunk.title,
            "section": chunk.section,
            "page": chunk.page,
            "doc_type": chunk.doc_type.value,
            "page_image": bool(chunk.page and path is not None and path.suffix.lower() == ".pdf"),
            "context": [
                {
                    "chunk_id": c.chunk_id,
                    "section": c.section,
                    "page": c.page,
                    "text": c.text,
                    "cited": c.chunk_id == chunk.chunk_id,
                }
                for c in context
            ],
        }

    def page_image(self, kb: str, source: str, page: int, width: int = 1000) -> bytes:
        """One page of an indexed PDF rendered as a PNG, about *width* pixels wide.

        Raises:
            NotFound: the document is not a PDF whose indexed version is still at its path.
            InvalidInput: the page is not in the document, or the width is out of range.
        """
        from assistant.errors import InvalidInput, NotFound

        if not 200 <= width <= 2000:
            raise InvalidInput("width must be between 200 and 2000 pixels")
        path = self.document_file(kb, source)
        if path is None or path.suffix.lower() != ".pdf":
            raise NotFound(
                f"no PDF page to show for {source!r} (not a PDF, or its file changed since indexing)"
            )
        return _render_page(str(path), path.stat().st_mtime_ns, page, width)

    def document_bytes(self, kb: str, source: str) -> bytes | None:
        """The content of an indexed document's file, checked on the very bytes returned."""
        found = self._indexed_file(kb, source)
        if found is None:
            return None
        data = found[0].read_bytes()
        return data if hashlib.sha256(data).hexdigest() == found[1] else None

    # -- files the transports hand over ----------------------------------------------------------
    @staticmethod
    def supported_extensions() -> list[str]:
        """File endings that ingestion reads (without the dot)."""
        return sorted(e.lstrip(".") for e in LOADERS)

    @staticmethod
    def read_table(path: Path) -> tuple[list[str], list[dict[str, Any]]]:
        """Columns and rows of a CSV, XLSX, JSON or JSONL export."""
        return read_rows(path)

    def save_scratch_upload(self, name: str, data: bytes) -> Path:
        """A scratch copy of an uploaded export under the data directory (swept when unused for a day)."""
        return save_scratch_copy(self.settings.home / "ui-uploads", name, data)

    @staticmethod
    def touch_scratch_upload(path: Path) -> bool:
        """Keep a scratch copy alive; False when it has been swept."""
        return touch_scratch_copy(path)

    @staticmethod
    def check_upload(filename: str | None, size: int, max_mb: float, table: bool = False) -> str:
        """The safe name of an upload (a document, or with ``table`` an export or rules file), or the
        error that refuses it."""
        return check_upload(filename, size, max_mb, TABLE_SUFFIXES if table else None)

    @staticmethod
    def read_text(path: Path) -> str:
        """A text file's content in whatever encoding it was saved (UTF-8, GBK/GB18030, UTF-16, ...)."""
        return decode_bytes(path.read_bytes())[0]

    def searcher(self, kb: str, retrieval: RetrievalSettings | None = None) -> HybridSearcher:
        """The hybrid searcher of a knowledge base (with other retrieval settings: a new one, for benchmarks)."""
        if retrieval is not None:
            return HybridSearcher(
                self.kbs.get(kb), self.embeddings, retrieval, self.settings.embedding.languages
            )
        base = self.kbs.get(kb)
        if kb not in self._searchers or self._searchers[kb].kb is not base:
            self._searchers[kb] = HybridSearcher(
                base, self.embeddings, self.settings.retrieval, self.settings.embedding.languages
            )
        return self._searchers[kb]

    def search(
        self,
        kb: str,
        query: str,
        k: int | None = None,
        doc_types: Sequence[str] | None = None,
        languages: Sequence[str] | None = None,
    ) -> list[SearchHit]:
        return self.searcher(kb).search(query, k, doc_types, languages)

    def retriever(self, kb: str, k: int = 5, doc_types: list[str] | None = None) -> HybridRetriever:
        return HybridRetriever(searcher=self.searcher(kb), k=k, doc_types=doc_types)

    def list_kbs(self) -> list[KnowledgeBaseInfo]:
        return [self.kbs.get(name).info() for name in self.kbs.names()]

    def kb_stats(self, kb: str) -> dict[str, Any]:
        return self.kbs.get(kb).stats()

    def delete_kb(self, kb: str, archive: bool = False) -> dict[str, Any]:
        """Delete a knowledge base and everything of it: its index and vectors, tickets, FAQ drafts,
        conversations, messages and feedback, change requests with approvals and audit log,
        interview sessions of it, uploaded copies, ticket attachments and triage models. With ``archive`` the rows are
        first written to ``<home>/archives/<kb>-<time>.json`` (the file's path is returned)."""
        import json
        import shutil
        from datetime import UTC, datetime

        from assistant.knowledge.store import kb_key, validate_kb_name

        validate_kb_name(kb)
        self.kbs.get(kb)  # NotFound before anything is touched
        self.vector_store.heartbeat()  # and a store that does not answer, before the archive is written
        archived: Path | None = None
        if archive:
            records = self.db.kb_records(kb)
            folder = self.settings.home / "archives"
            folder.mkdir(parents=True, exist_ok=True)
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
            archived = folder / f"{kb_key(kb)}-{stamp}.json"
            tmp = archived.with_suffix(".tmp")
            tmp.write_text(
                json.dumps(
                    {"kb": kb, "archived_at": stamp, "records": records}, ensure_ascii=False, indent=1
                ),
                encoding="utf-8",
            )
            tmp.replace(archived)
        self._searchers.pop(kb, None)
        self.kbs.delete(kb)  # the index goes first: without it the knowledge base is gone for readers
        counts = self.db.purge_kb(kb)
        for folder in (
            self.settings.home / "uploads" / kb_key(kb),
            self.settings.home / "triage" / kb_key(kb),
            self.settings.home / "attachments" / kb_key(kb),
        ):
            shutil.rmtree(folder, ignore_errors=True)
        return {"kb": kb, "deleted": counts, "archive": str(archived) if archived else None}

    def as_caller(self, principal: Principal) -> Caller:
        """What one signed-in person may do (every permission check of the API and the web UI)."""
        return Caller(self, principal)

    def health(self) -> dict[str, Any]:
        """Each backend and whether it answers: the application database and the vector store."""
        out: dict[str, Any] = {}
        try:
            out["database"] = {"ok": True, **self.db.health()}
            if self.db.dialect == "sqlite":  # the knowledge bases are files of their own, on this SQLite
                from assistant.providers.sqlite import SQLITE_VERSION

                out["database"]["knowledge_bases"] = f"SQLite {SQLITE_VERSION} files"
        except Exception as exc:  # a health check reports, it does not raise
            out["database"] = {"ok": False, "backend": self.db.dialect, "error": _first_line(exc)}
        vs = self.settings.vector_store
        store = {
            "backend": "chroma-server" if vs.host else "chroma",
            "at": f"{vs.host}:{vs.port}" if vs.host else str(self.settings.home / "chroma"),
        }
        try:
            self.vector_store.heartbeat()
            out["vector_store"] = {"ok": True, **store}
        except Exception as exc:
            out["vector_store"] = {"ok": False, **store, "error": _first_line(exc)}
        return out

    def close(self) -> None:
        self.kbs.close()
        self.db.close()


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def database_upgrade(settings: Settings | None = None) -> dict[str, Any]:
    """Create or bring up to date every table of the application database (``assistant db upgrade``)."""
    settings = settings or get_settings()
    db = open_app_db(settings.home, settings.database.url)
    try:
        _ = db.conn
        change = db.schema_change
        return {
            **db.health(),
            "revision": db.revision,
            "upgraded_from": change[0] if change else db.revision,
            "upgraded": change is not None,
            "tables": table_counts(db),
        }
    finally:
        db.close()


def database_copy(
    source: str,
    target: str,
    progress: Any = None,
    embed_progress: Any = None,
    settings: Settings | None = None,
) -> dict[str, Any]:
    """``assistant db copy``: every row of one project into a new, empty database, verified by counts
    and checksums: the application tables and the knowledge bases (registry, chunks; the lexical
    index rebuilt in the target's form). URLs: sqlite:///PATH or postgresql://...

    A SQLite side's knowledge bases are the data directory's (``<home>/kb``); a PostgreSQL side's are
    its schemas. Vectors stay in the configured vector store; a knowledge base whose vectors that store
    lacks (moving from the embedded Chroma to a Chroma server) is embedded again from its chunks,
    before any row is written. The knowledge bases are written first and dropped again if the
    application tables then fail; on PostgreSQL both are one transaction."""
    from assistant.knowledge.copy import missing_vectors, read_catalog, reembed, write_all
    from assistant.knowledge.store import SCHEMA, kb_key
    from assistant.settings import DatabaseSettings

    settings = settings or get_settings()
    try:
        src_url, dst_url = DatabaseSettings(url=source).url, DatabaseSettings(url=target).url
    except ValueError:
        raise InvalidInput(
            "write each database as sqlite:///PATH or postgresql://USER:PASSWORD@HOST:PORT/NAME"
        ) from None
    if not src_url or not dst_url:
        raise InvalidInput("give both --from and --to as sqlite:///PATH or postgresql://...")
    if (
        src_url.startswith("sqlite:///")
        and not Path(src_url.removeprefix("sqlite:///")).expanduser().is_file()
    ):
        raise InvalidInput(f"no database file at {src_url.removeprefix('sqlite:///')}")
    src = open_app_db(Path("."), src_url)
    try:
        dst = open_app_db(Path("."), dst_url)
        try:
            busy = [t for t, n in table_counts(dst).items() if n]
            if busy:  # before any vector is embedded or knowledge base made
                raise InvalidInput(
                    f"the target database is not empty ({', '.join(busy)}); copy into a new database"
                )
            if src.dialect == dst.dialect == "sqlite":
                snaps = []  # one data directory: the knowledge bases are already where both look
            else:
                vector_store = make_vector_store(settings.vector_store, settings.home)
                src_kbs = KnowledgeBases(settings.home, vector_store, "", db=src)
                dst_kbs = KnowledgeBases(settings.home, vector_store, "", db=dst)
                if dst_kbs.names():
                    raise InvalidInput(
                        "the target already holds knowledge bases ("
                        + ", ".join(dst_kbs.names())
                        + "); copy into a new database and data directory"
                    )
                snaps = read_catalog(src_kbs.catalog)
                embeddings = None
                for snap in snaps:
                    missing = missing_vectors(snap, vector_store, kb_key(snap.name))
                    if missing:
                        if embeddings is None:
                            embeddings = make_embeddings(
                                settings.embedding, settings.model_cache or settings.home / "models"
                            )
                        built = dict(snap.meta).get("embedding_model")
                        if built and built != embeddings.model_id:
                            raise ConfigError(
                                f"knowledge base {snap.name!r} was built with embedding model {built!r}; "
                                f"configure it (ASSISTANT_EMBEDDING__...) to copy its vectors"
                            )
                        reembed(
                            snap,
                            vector_store,
                            kb_key(snap.name),
                            embeddings.embed_documents,
                            missing,
                            embed_progress,
                        )
            with dst.transaction() if dst.dialect == "postgresql" else _nothing():
                if snaps:
                    write_all(snaps, dst_kbs.catalog, dst_kbs.lexical, SCHEMA)
                try:
                    tables = copy_database(src, dst, progress)
                except BaseException:
                    if dst.dialect == "sqlite":  # on PostgreSQL the rollback takes them
                        for snap in snaps:
                            try:
                                dst_kbs.catalog.drop(snap.name)
                            except Exception:  # noqa: BLE001 - the copy's error is the one to report
                                pass
                    raise
            for snap in snaps:  # the new tables' statistics, before the first search plans on them
                dst_kbs.catalog.open(snap.name, create=False).analyze()
            return {
                "from": src.health(),
                "to": dst.health(),
                "tables": tables,
                "knowledge_bases": {
                    snap.name: {
                        "documents": snap.sums["documents"][0],
                        "chunks": snap.sums["chunks"][0],
                        "sha256": snap.sums["chunks"][1],
                    }
                    for snap in snaps
                },
            }
        finally:
            dst.close()
    finally:
        src.close()


@contextmanager
def _nothing() -> Any:
    yield


_SHARED: dict[str, Services] = {}
_SHARED_LOCK = threading.Lock()


def shared_services(settings: Settings | None = None) -> Services:
    """One Services per data directory per process, for servers that host the API and the web UI
    together: an embedded Chroma store must have a single owner (PersistentClient is not process-safe)."""
    settings = settings or get_settings()
    key = str(settings.home.resolve())
    with _SHARED_LOCK:
        if key not in _SHARED:
            _SHARED[key] = build_services(settings)
        return _SHARED[key]


def build_services(settings: Settings | None = None, **overrides: Any) -> Services:
    """Build every service from settings; pass ``embeddings=``, ``vector_store=`` or ``llm=`` to swap a backend."""
    settings = settings or get_settings()
    home = settings.home
    home.mkdir(parents=True, exist_ok=True)
    embeddings = overrides.get("embeddings") or make_embeddings(
        settings.embedding, settings.model_cache or home / "models"
    )
    vector_store = overrides.get("vector_store") or make_vector_store(settings.vector_store, home)
    db = open_app_db(home, settings.database.url)
    # server mode keeps the knowledge bases' tables on the same PostgreSQL server
    kbs = KnowledgeBases(home, vector_store, embeddings.model_id, db=db)
    llm = overrides["llm"] if "llm" in overrides else make_chat_model(settings.llm)
    return Services(
        settings=settings,
        embeddings=embeddings,
        vector_store=vector_store,
        kbs=kbs,
        db=db,
        llm=llm,
    )


@lru_cache(maxsize=32)
def _render_page(path: str, mtime_ns: int, page: int, width: int) -> bytes:
    """A PDF page as PNG bytes (cached per file version, page and width)."""
    import io

    import pypdfium2 as pdfium

    from assistant.errors import DocumentParse, InvalidInput

    try:
        pdf = pdfium.PdfDocument(path)
    except pdfium.PdfiumError as e:
        raise DocumentParse(f"the PDF cannot be opened: {e}") from e
    try:
        if not 1 <= page <= len(pdf):
            raise InvalidInput(f"page {page} is not in the document (it has {len(pdf)} pages)")
        sheet = pdf[page - 1]
        scale = width / max(1.0, sheet.get_width())
        image = sheet.render(scale=scale).to_pil()
        out = io.BytesIO()
        image.save(out, format="PNG", optimize=True)
        return out.getvalue()
    finally:
        pdf.close()


def _types_note(result: dict[str, Any], why: list[str]) -> None:
    """Say in the summary why the keyword rules typed the requirements (``types_reason``)."""
    summary = result.setdefault("summary", {})
    if summary.get("types") == "keywords" and result.get("requirements"):
        summary["types_reason"] = why[-1] if why else "types_no_model"
