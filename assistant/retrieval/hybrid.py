"""Hybrid search: a dense ranking from the vector index and a BM25 ranking from FTS5, fused by
a weighted sum of min-max normalised scores (or reciprocal rank fusion), with
optional score multipliers per document type and at most one chunk per document chapter before repeats.

The dense side's weight depends on the query language: the default embedding model knows English
only, so for a Chinese query its ranking is close to noise and counts for little
(``dense_weight_other``). A model that knows more languages is declared with
``ASSISTANT_EMBEDDING__LANGUAGES``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever

from assistant.errors import ConfigError, InvalidInput
from assistant.knowledge.store import KnowledgeBase
from assistant.providers.embeddings import NamedEmbeddings
from assistant.retrieval.query import Query
from assistant.schemas import Chunk, DocType, SearchHit
from assistant.settings import RetrievalSettings
from assistant.text import normalize

MAX_QUERY_CHARS = 4000


class HybridSearcher:
    def __init__(
        self,
        kb: KnowledgeBase,
        embeddings: NamedEmbeddings,
        settings: RetrievalSettings,
        model_languages: Sequence[str],
    ) -> None:
        self.kb = kb
        self.embeddings = embeddings
        self.settings = settings
        self.model_languages = set(model_languages)

    def search(
        self,
        query: str | Query,
        k: int | None = None,
        doc_types: Sequence[str] | None = None,
        languages: Sequence[str] | None = None,
    ) -> list[SearchHit]:
        """Top-k chunks for *query*, best first.

        Raises:
            InvalidInput: empty or over-long query, bad k, unknown document type.
        """
        analysed = query if isinstance(query, Query) else None
        query = (analysed.text if analysed is not None else str(query or "")).strip()
        if not query:
            raise InvalidInput("the query is empty")
        if len(query) > MAX_QUERY_CHARS:
            raise InvalidInput(f"the query is longer than {MAX_QUERY_CHARS} characters")
        k = self.settings.k if k is None else k
        if not 1 <= k <= 100:
            raise InvalidInput("k must be between 1 and 100")
        if doc_types:
            bad = [t for t in doc_types if t not in DocType.__members__]
            if bad:
                raise InvalidInput(
                    f"unknown document type {bad[0]!r}; use one of: {', '.join(DocType.__members__)}"
                )
            if set(self.kb.doc_types()) <= set(doc_types):
                doc_types = None  # the filter keeps everything: a filtered vector search costs 40% more
        s = self.settings
        n = max(s.candidates, k)
        q = analysed if analysed is not None and analysed.text == query else Query.of(query)
        terms = list(q.terms)
        lex_ranked = self.kb.lexical_search(
            terms, n, doc_types, languages, s.common_term_share, s.common_terms_from
        )

        dense_weight = _dense_weight_for(self, q)
        dense_ranked: list[tuple[Chunk, float]] = []
        if dense_weight > 0:
            dense = self.kb.vectors.query(self.embeddings.embed_query(query), n, _where(doc_types, languages))
            known = {c.chunk_id: c for c, _ in lex_ranked}
            dense_chunks = self.kb.chunks_by_id([cid for cid, _ in dense if cid not in known])
            for cid, sim in dense:
                chunk = known.get(cid) or dense_chunks.get(cid)
                if chunk is not None:  # a vector of a generation that is not live stays invisible
                    dense_ranked.append((chunk, sim))

        fused: dict[str, dict[str, Any]] = {}
        for name, ranked, weight in (
            ("lexical", lex_ranked, s.lexical_weight),
            ("dense", dense_ranked, dense_weight),
        ):
            contributions = _contributions(ranked, s.fusion, s.rrf_k)
            for rank, ((chunk, value), (_, raw)) in enumerate(zip(contributions, ranked, strict=True), 1):
                entry = fused.setdefault(chunk.chunk_id, {"chunk": chunk, "score": 0.0})
                entry[f"{name}_rank"] = rank
                entry[f"{name}_score"] = raw
                entry["score"] += weight * value
        for entry in fused.values():
            entry["score"] *= s.type_boost.get(entry["chunk"].doc_type.value, 1.0)
        _verbatim_first(query, fused)

        ranked_all = sorted(fused.values(), key=lambda e: e["score"], reverse=True)
        chosen = _diversify(ranked_all, k, s.max_per_source)
        return [
            SearchHit(
                chunk=e["chunk"],
                score=e["score"],
                dense_rank=e.get("dense_rank"),
                lexical_rank=e.get("lexical_rank"),
                dense_score=e.get("dense_score"),
                lexical_score=e.get("lexical_score"),
            )
            for e in chosen
        ]

    def knows_language(self, query: str | Query) -> bool:
        """Whether the embedding model reads this query's language, so that its cosine similarities
        mean something (a language detected only as 'other' does not count)."""
        return Query.of(query).language in self.model_languages

    def agreement(self, query: str | Query, hits: Sequence[SearchHit]) -> float:
        """How far the rankers agree on the best hit: its fused score as a share of the highest score
        a chunk of *its own* document type can reach for this query (1.0: ranked first by both
        rankers, whatever its type boost). Unlike ``relative_confidence`` it does not rate a manual
        section below an FAQ entry, so it transfers to knowledge bases without FAQ entries."""
        if not hits:
            return 0.0
        s = self.settings
        boost = s.type_boost.get(hits[0].chunk.doc_type.value, 1.0)
        top = (s.lexical_weight + _dense_weight_for(self, query)) * boost
        return min(1.0, hits[0].score / top) if top > 0 else 0.0

    def relative_confidence(self, query: str | Query, hits: Sequence[SearchHit]) -> float:
        """The best hit's fused score as a share of the highest possible score for this query:
        1.0 for a top-boosted type ranked first by both rankers, 0.556 for an unboosted chunk that both
        rankers put first (with the default weights and FAQ boost)."""
        if not hits:
            return 0.0
        s = self.settings
        top = (s.lexical_weight + _dense_weight_for(self, query)) * max([1.0, *s.type_boost.values()])
        return min(1.0, hits[0].score / top) if top > 0 else 0.0


#: a question this long (letters and digits, after folding) that occurs word for word in a passage
#: ranks that passage first: someone copied it from the document
VERBATIM_MIN_CHARS = {"zh": 6, "other": 16}
VERBATIM_CHECKED = 30  # the best candidates checked for it
_NOT_WORD = re.compile(r"[\W_]+")


def _folded(text: str) -> str:
    return _NOT_WORD.sub("", normalize(text).lower())


def _verbatim_first(query: str, fused: dict[str, dict[str, Any]]) -> None:
    """Put candidates that contain the whole question word for word above every other candidate,
    keeping their order among themselves. Without it a curated FAQ entry on a neighbouring topic
    (boosted) outranked the very sentence a user had copied from a just-uploaded document."""
    needle = _folded(query)
    cjk = any("\u4e00" <= ch <= "\u9fff" for ch in needle)
    if len(needle) < VERBATIM_MIN_CHARS["zh" if cjk else "other"] or not fused:
        return
    best = sorted(fused.values(), key=lambda e: e["score"], reverse=True)[:VERBATIM_CHECKED]
    top = best[0]["score"]
    for e in best:
        c = e["chunk"]
        if needle in _folded(f"{c.section} {c.text}"):
            e["score"] = top + e["score"]  # above every candidate without it, in their own order
            e["verbatim"] = True


def _dense_weight_for(self: HybridSearcher, query: str | Query) -> float:
    """The dense ranking's weight for this query's language."""
    s = self.settings
    q_lang = Query.of(query).language
    return s.dense_weight if (q_lang in self.model_languages or q_lang == "other") else s.dense_weight_other


def _contributions(ranked: list[tuple[Chunk, float]], fusion: str, rrf_k: int) -> list[tuple[Chunk, float]]:
    """Per-ranking scores on a common scale: min-max normalised scores, or reciprocal ranks."""
    if not ranked:
        return []
    if fusion == "rrf":
        return [(c, 1.0 / (rrf_k + r)) for r, (c, _) in enumerate(ranked, 1)]
    if fusion != "score":
        raise ConfigError(f"unknown fusion {fusion!r}; available: rrf, score")
    values = [v for _, v in ranked]
    hi, lo = max(values), min(values)
    span = hi - lo
    return [(c, (v - lo) / span if span > 0 else 1.0) for c, v in ranked]


def _diversity_key(chunk: Chunk) -> tuple[str, str]:
    """A document's chapter: the first heading of the section path below the document title.

    A long manual counts once per chapter, so that a 200-page PDF is not reduced to one result.
    """
    parts = chunk.section.split(" > ") if chunk.section else []
    if parts and parts[0] == chunk.title:
        parts = parts[1:]
    return chunk.source, parts[0] if parts else ""


DIVERSIFY_BELOW_TITLE = False


def _diversify(ranked: list[dict[str, Any]], k: int, per_source: int) -> list[dict[str, Any]]:
    """Best first, at most ``per_source`` chunks per file chapter, then fill up from the rest."""
    if per_source <= 0:
        return ranked[:k]
    chosen, rest, counts = [], [], {}  # type: ignore[var-annotated]
    for e in ranked:
        src = _diversity_key(e["chunk"])
        if counts.get(src, 0) < per_source:
            counts[src] = counts.get(src, 0) + 1
            chosen.append(e)
            if len(chosen) == k:
                return chosen
        else:
            rest.append(e)
    chosen.extend(rest[: k - len(chosen)])
    return sorted(chosen, key=lambda e: e["score"], reverse=True)


def _where(doc_types: Sequence[str] | None, languages: Sequence[str] | None) -> dict[str, Any] | None:
    clauses: list[dict[str, Any]] = []
    if doc_types:
        clauses.append({"doc_type": {"$in": list(doc_types)}})
    if languages:
        clauses.append({"language": {"$in": list(languages)}})
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


class HybridRetriever(BaseRetriever):
    """The hybrid searcher as a LangChain retriever, for chains."""

    searcher: Any
    k: int = 5
    doc_types: list[str] | None = None
    languages: list[str] | None = None

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        hits = self.searcher.search(query, self.k, self.doc_types, self.languages)
        return [
            Document(
                page_content=h.chunk.text,
                # "hit": the scored chunk itself, for the answer pipeline's confidence step
                metadata={**h.public(), "text": None, "kb": h.chunk.kb, "hit": h},
                id=h.chunk.chunk_id,
            )
            for h in hits
        ]
