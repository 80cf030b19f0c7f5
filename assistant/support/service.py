"""The support desk: import incident history, train triage, triage tickets, suggest FAQ entries."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from assistant.errors import InvalidInput, InvalidTransition, NotFound
from assistant.ingest.pipeline import IngestPipeline, TextRecord
from assistant.ingest.tables import read_rows
from assistant.knowledge.store import KnowledgeBases, now_iso
from assistant.learning.textclf import (
    ModelStore,
    confidence_label,
    embed,
    entropy_threshold,
    fit,
    jaccard,
    ticket_text,
)
from assistant.providers.embeddings import NamedEmbeddings
from assistant.retrieval.hybrid import HybridSearcher
from assistant.schemas import DocType, SearchHit
from assistant.settings import CALIBRATED_DUPLICATE_SIMILARITY, ChunkingSettings
from assistant.support.imports import validate_rows
from assistant.support.models import ImportReport, Mapping, incident_id, incident_source
from assistant.support.store import TicketStore
from assistant.support.urgency import adjust, urgency
from assistant.text import tokenize

FAQ_PREFIX = "faq/approved/"
OPEN_STATES = ("new", "analysing")
MAX_TICKET_CHARS = 20000
SEARCH_CHARS = 3000
INDEX_CHARS = 3000  # the start of a long ticket says what it is about; the rest is logs


class SupportDesk:
    """Use cases of support staff over the tickets of a knowledge base."""

    def __init__(
        self,
        tickets: TicketStore,
        models: ModelStore,
        kbs: KnowledgeBases,
        embeddings: NamedEmbeddings,
        chunking: ChunkingSettings,
        searchers: Callable[[str], HybridSearcher],
    ) -> None:
        """``searchers(kb)`` returns the hybrid searcher of a knowledge base."""
        self.tickets = tickets
        self.models = models
        self.kbs = kbs
        self.embeddings = embeddings
        self.chunking = chunking
        self.searchers = searchers

    def _pipeline(self, base: Any) -> IngestPipeline:
        return IngestPipeline(base, self.embeddings, self.chunking, 1 << 40)

    # -- import -----------------------------------------------------------------------------
    def import_file(
        self,
        kb: str,
        path: Path,
        spec: str | Mapping | None = None,
        preset: str | None = None,
        progress: Callable[[str, dict[str, Any]], None] | None = None,
    ) -> ImportReport:
        rows, records, findings = _parse_export(path, spec, preset)
        report = ImportReport(kb=kb, rows=len(rows), findings=findings)
        report.skipped = sum(1 for f in findings if f.severity == "error")
        base = self.kbs.get(kb, create=True)
        with base.writing():
            self._store(kb, base, records, path, report, progress)
        return report

    def _store(
        self,
        kb: str,
        base: Any,
        records: list[dict[str, Any]],
        path: Path,
        report: ImportReport,
        progress: Callable[[str, dict[str, Any]], None] | None,
    ) -> None:
        changed = self.tickets.upsert(kb, records, path.name, report)
        if changed:
            pipeline = self._pipeline(base)
            texts = [
                TextRecord(
                    source=incident_source(r["id"]),
                    title=r["title"],
                    text=ticket_text(r["title"], r["text"])[:INDEX_CHARS],
                    doc_type=DocType.incident,
                    version=r["created"] or now_iso(),
                )
                for r in changed
            ]
            out = pipeline.index_records(texts, progress=progress)
            report.indexed = sum(1 for f in out.files if f.status in ("added", "updated"))

    def read_records(
        self, path: Path, spec: str | None = None, preset: str | None = None
    ) -> list[dict[str, Any]]:
        """The ticket records of an export under a mapping (rows with errors left out), without storing them."""
        return _parse_export(path, spec, preset)[1]

    ticket_text = staticmethod(ticket_text)

    def fit_model(self, texts: list[str], labels: list[str], target: str) -> Any:
        """A triage model on these texts (no cross-validation, nothing stored): for benchmarks."""
        return fit(
            texts,
            labels,
            embed(self.embeddings, texts),
            target,
            self.embeddings.model_id,
            cross_validate=False,
        )

    def predict(self, model: Any, texts: list[str]) -> list[str]:
        """The label a model predicts for each text."""
        return [label for label, _ in model.predict(texts, embed(self.embeddings, texts))]

    def probabilities(self, model: Any, texts: list[str]) -> list[dict[str, float]]:
        """Each label's probability under a model, per text (for benchmarks)."""
        return model.probabilities(texts, embed(self.embeddings, texts) if model.embedding_model else None)

    # -- training ---------------------------------------------------------------------------
    def train(
        self, kb: str, targets: list[str], progress: Callable[[str], None] = lambda m: None
    ) -> list[dict[str, Any]]:
        if not targets:
            raise InvalidInput("name at least one --target (category, priority, ...)")
        allowed = {"category", "priority", "status"}
        bad = [t for t in targets if t not in allowed]
        if bad:
            raise InvalidInput(f"unknown target {bad[0]!r}; use one of: {', '.join(sorted(allowed))}")
        self.kbs.get(kb)
        rows = self.tickets.all(kb)
        if not rows:
            raise InvalidInput(
                f"knowledge base {kb!r} has no tickets; import them first with `assistant tickets import`"
            )
        texts_all = [ticket_text(r["title"], r["text"]) for r in rows]
        progress(f"embedding {len(rows)} tickets ...")
        vectors_all = embed(self.embeddings, texts_all)
        out = []
        for target in targets:
            column = "raw_status" if target == "status" else target
            idx = [i for i, r in enumerate(rows) if (r[column] or "").strip()]
            progress(f"training '{target}' on {len(idx)} tickets (5-fold cross-validation) ...")
            model = fit(
                [texts_all[i] for i in idx],
                [rows[i][column].strip() for i in idx],
                vectors_all[idx] if vectors_all is not None else None,
                target,
                self.embeddings.model_id,
            )
            self.models.save(kb, model)
            out.append(model.meta())
        return out

    # -- triage -----------------------------------------------------------------------------
    def triage(self, kb: str, text: str) -> dict[str, Any]:
        return self.triage_many(kb, [text])[0]

    def triage_ticket(self, kb: str, ticket_id: str) -> dict[str, Any]:
        """Triage of a stored ticket; the ticket itself and tickets already linked to it left out."""
        t = self.tickets.get(kb, ticket_id)
        out = self.triage(kb, ticket_text(t["title"], t["text"]))
        out["similar"] = [s for s in out["similar"] if s["id"] != ticket_id]
        out["duplicates"] = [d for d in out["duplicates"] if d["id"] != ticket_id]
        return out

    def triage_many(self, kb: str, texts: list[str]) -> list[dict[str, Any]]:
        cleaned = []
        for t in texts:
            t = (t or "").strip()
            if not t:
                raise InvalidInput("the ticket text is empty")
            cleaned.append(t[:MAX_TICKET_CHARS])
        searcher: HybridSearcher = self.searchers(kb)
        models = self.models.load_all(kb)
        vectors = (
            embed(self.embeddings, cleaned) if models and any(m.embedding_model for m in models) else None
        )
        predictions: list[dict[str, Any]] = [{} for _ in cleaned]
        cues = [urgency(text) for text in cleaned]
        for m in models:
            vecs = vectors if m.embedding_model else None
            for i, probs in enumerate(m.probabilities(cleaned, vecs)):
                label = max(probs, key=probs.__getitem__)
                entry = confidence_label(label, probs[label], entropy_threshold(len(m.labels)))
                if m.target == "priority":
                    raised, changed = adjust(label, probs, cues[i])
                    if changed:  # the cues overrule the history: a stopped line is urgent anywhere
                        entry = {
                            "label": raised,
                            "predicted": raised,
                            "confidence": round(probs.get(raised, 0.0), 3),
                            "model": label,
                            "raised_by": cues[i].cues,
                        }
                predictions[i][m.target] = entry
        out = []
        for i, text in enumerate(cleaned):
            item = self._around(kb, searcher, text, predictions[i])
            item["urgency"] = cues[i].as_dict()
            out.append(item)
        return out

    def _around(
        self, kb: str, searcher: HybridSearcher, text: str, predictions: dict[str, Any]
    ) -> dict[str, Any]:
        query = text[:SEARCH_CHARS]
        incidents = self.incident_hits(searcher, query, 5)
        similar, duplicates = [], []
        dup_cosine = CALIBRATED_DUPLICATE_SIMILARITY.get(searcher.embeddings.model_id)
        for h in incidents:
            tid = incident_id(h.chunk.source)
            try:
                t = self.tickets.get(kb, tid)
            except Exception:
                continue
            entry = {
                "id": tid,
                "score": round(h.score, 4),
                "title": t["title"],
                "status": t["status"],
                "resolution": t["resolution"],
                "category": t["category"],
                "priority": t["priority"],
            }
            similar.append(entry)
            overlap = jaccard(query, ticket_text(t["title"], t["text"])[:SEARCH_CHARS])
            close = dup_cosine is not None and (h.dense_score or 0) >= dup_cosine
            if t["status"] in OPEN_STATES and (close or overlap >= 0.5):
                duplicates.append(
                    {**entry, "overlap": round(overlap, 3), "similarity": round(h.dense_score or 0, 3)}
                )
        doc_types = [t.value for t in DocType if t is not DocType.incident]
        articles = [
            {
                "source": h.chunk.source,
                "page": h.chunk.page,
                "section": h.chunk.section,
                "score": round(h.score, 4),
                "snippet": h.chunk.text[:300],
            }
            for h in searcher.search(query, 3, doc_types=doc_types)
        ]
        return {
            "predictions": predictions,
            "similar": similar,
            "duplicates": duplicates,
            "articles": articles,
        }

    @staticmethod
    def incident_hits(searcher: HybridSearcher, text: str, k: int) -> list[SearchHit]:
        """Indexed tickets closest to a text, best first (none when the knowledge base holds none)."""
        if not searcher.kb.has_doc_type(DocType.incident.value):
            return []
        return searcher.search(text, k, doc_types=[DocType.incident.value])

    def triage_batch(self, kb: str, path: Path, text_spec: str, batch: int = 64) -> Iterator[dict[str, Any]]:
        """One result per row, in order: {"row", "predictions", "similar": [{"id", "score"}]} (or "error")."""
        columns, rows = read_rows(path)
        cols = [c.strip() for c in text_spec.split("+") if c.strip()]
        missing = [c for c in cols if c not in columns]
        if not cols or missing:
            raise InvalidInput(
                f"column(s) {', '.join(missing) or text_spec!r} not in the file; it has: {', '.join(columns)}"
            )
        for start in range(0, len(rows), batch):
            part = rows[start : start + batch]
            texts = ["\n".join(str(r.get(c, "") or "").strip() for c in cols).strip() for r in part]
            ok = [i for i, t in enumerate(texts) if t]
            results = self.triage_many(kb, [texts[i] for i in ok]) if ok else []
            by_row = dict(zip(ok, results, strict=True))
            for i in range(len(part)):
                n = start + i + 1
                if i not in by_row:
                    yield {"row": n, "error": "empty text", "predictions": {}, "similar": []}
                    continue
                r = by_row[i]
                yield {
                    "row": n,
                    "predictions": {
                        k: {"label": v["label"], "confidence": v["confidence"]}
                        for k, v in r["predictions"].items()
                    },
                    "similar": [{"id": s["id"], "score": s["score"]} for s in r["similar"]],
                }

    # -- closed loop ------------------------------------------------------------------------
    def faq_suggest(self, kb: str, min_cluster: int = 2, threshold: float = 0.35) -> list[dict[str, Any]]:
        """Cluster resolved tickets by their text and draft FAQ entries from the resolutions."""
        from sklearn.feature_extraction.text import TfidfVectorizer

        rows = [
            r
            for r in self.tickets.all(kb)
            if r["status"] in ("resolved", "reviewed")
            and (r["resolution"] or "").strip()
            and not re.fullmatch(
                r"(?i)fixed|done|duplicate|won't fix|invalid|cannot reproduce|not a problem",
                r["resolution"].strip(),
            )
        ]
        if len(rows) < min_cluster:
            return []
        texts = [ticket_text(r["title"], r["text"]) for r in rows]
        x = TfidfVectorizer(
            tokenizer=tokenize, lowercase=False, token_pattern=None, sublinear_tf=True
        ).fit_transform(texts)
        sim = (x @ x.T).toarray()
        unassigned = set(range(len(rows)))
        drafts = []
        for i in sorted(range(len(rows)), key=lambda i: -(sim[i] >= threshold).sum()):
            if i not in unassigned:
                continue
            members = [j for j in unassigned if sim[i, j] >= threshold]
            if len(members) < min_cluster:
                continue
            unassigned -= set(members)
            centre = max(members, key=lambda j: sim[j, members].sum())
            resolutions = []
            for j in sorted(members, key=lambda j: -sim[centre, j]):
                res = rows[j]["resolution"].strip()
                if res not in resolutions:
                    resolutions.append(res)
            drafts.append(
                {
                    "question": rows[centre]["title"],
                    "answer": resolutions[0],
                    "other_resolutions": resolutions[1:3],
                    "tickets": sorted(rows[j]["id"] for j in members),
                    "size": len(members),
                }
            )
        drafts = sorted(drafts, key=lambda d: -d["size"])
        return [self._keep_draft(kb, d) for d in drafts]

    def _keep_draft(self, kb: str, draft: dict[str, Any]) -> dict[str, Any]:
        """Store a draft for review; the same cluster of tickets keeps its id and its decision."""
        draft_id = "FAQ-" + hashlib.sha1("|".join(draft["tickets"]).encode()).hexdigest()[:8].upper()
        status = self.tickets.keep_faq_draft(
            kb, draft_id, draft["question"], draft["answer"], draft["tickets"]
        )
        return {"id": draft_id, "status": status, **draft}

    def faq_approve(
        self, kb: str, draft_id: str, question: str | None = None, answer: str | None = None
    ) -> dict[str, Any]:
        """Approve a draft (optionally edited) into the knowledge base as an FAQ entry, cited like any document."""
        row = self.tickets.faq_draft(kb, draft_id)
        if row is None:
            raise NotFound(
                f"no FAQ draft {draft_id!r} in {kb!r}; run `assistant faq suggest --kb {kb}` first"
            )
        if row["status"] == "approved":
            raise InvalidTransition(f"FAQ draft {draft_id} is already approved")
        q = (question or row["question"]).strip()
        a = (answer or row["answer"]).strip()
        if not q or not a:
            raise InvalidInput("an FAQ entry needs a question and an answer")
        base = self.kbs.get(kb)
        pipeline = self._pipeline(base)
        record = TextRecord(
            source=f"{FAQ_PREFIX}{draft_id}", title=q, text=a, doc_type=DocType.faq, version=now_iso()
        )
        with base.writing():
            report = pipeline.index_records([record])
        if report.failed:
            raise InvalidInput(report.failed[0].reason or "the entry could not be indexed")
        self.tickets.approve_faq_draft(kb, draft_id, q, a)
        return {
            "id": draft_id,
            "status": "approved",
            "source": f"{FAQ_PREFIX}{draft_id}",
            "question": q,
            "answer": a,
            "tickets": json.loads(row["tickets"]),  # the resolved tickets it came from
        }


def _parse_export(
    path: Path, spec: str | Mapping | None, preset: str | None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[Any]]:
    """The rows of an export, the ticket records under a mapping and the per-row findings."""
    mapping = spec if isinstance(spec, Mapping) else Mapping.parse(spec, preset)
    columns, rows = read_rows(path)
    records, findings = validate_rows(rows, mapping.resolve(columns))
    return rows, records, findings
