"""Hybrid search: a dense ranking from the vector index and a BM25 ranking from FTS5, fused by
weighted reciprocal rank fusion.

The dense side's weight depends on the query language: the default embedding model knows English
only, so for a Chinese query its ranking is close to noise and counts for little
(``dense_weight_other``). A model that knows more languages is declared with
``ASSISTANT_EMBEDDING__LANGUAGES``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever

from assistant.errors import InvalidInput
from assistant.kbstore import KnowledgeBase
from assistant.providers.embeddings import NamedEmbeddings
from assistant.schemas import DocType, SearchHit
from assistant.settings import RetrievalSettings
from assistant.text import detect_language, query_terms

MAX_QUERY_CHARS = 4000


class HybridSearcher:
    def __init__(
        self, kb: KnowledgeBase, embeddings: NamedEmbeddings, settings: RetrievalSettings, model_languages: Sequence[str]
    ) -> None:
        self.kb = kb
        self.embeddings = embeddings
        self.settings = settings
        self.model_languages = set(model_languages)

    def search(
        self,
        query: str,
        k: int | None = None,
        doc_types: Sequence[str] | None = None,
        languages: Sequence[str] | None = None,
    ) -> list[SearchHit]:
        """Top-k chunks for *query*, best first.

        Raises:
            InvalidInput: empty or over-long query, bad k, unknown document type.
        """
        query = (query or "").strip()
        if not query:
            raise InvalidInput("the query is empty")
        if len(query) > MAX_QUERY_CHARS:
            raise InvalidInput(f"the query is longer than {MAX_QUERY_CHARS} characters")
        k = k or self.settings.k
        if not 1 <= k <= 100:
            raise InvalidInput("k must be between 1 and 100")
        if doc_types:
            bad = [t for t in doc_types if t not in DocType.__members__]
            if bad:
                raise InvalidInput(f"unknown document type {bad[0]!r}; use one of: {', '.join(DocType.__members__)}")
        s = self.settings
        n = max(s.candidates, k)
        fused: dict[str, dict[str, Any]] = {}

        terms = query_terms(query)
        sql, params = self.kb.filters_sql(doc_types, languages)
        lexical = self.kb.lexical.search(self.kb.conn, terms, n, sql, params)
        lex_chunks = self.kb.chunks_by_rowid([r for r, _ in lexical])
        for rank, (rowid, _score) in enumerate(lexical, 1):
            chunk = lex_chunks.get(rowid)
            if chunk is None:
                continue
            entry = fused.setdefault(chunk.chunk_id, {"chunk": chunk, "score": 0.0})
            entry["lexical_rank"] = rank
            entry["score"] += s.lexical_weight / (s.rrf_k + rank)

        q_lang = detect_language(query)
        dense_weight = s.dense_weight if (q_lang in self.model_languages or q_lang == "other") else s.dense_weight_other
        if dense_weight > 0:
            where = _where(doc_types, languages)
            dense = self.kb.vectors.query(self.embeddings.embed_query(query), n, where)
            missing = [cid for cid, _ in dense if cid not in fused]
            dense_chunks = self.kb.chunks_by_id(missing)
            rank = 0
            for cid, _sim in dense:
                chunk = fused[cid]["chunk"] if cid in fused else dense_chunks.get(cid)
                if chunk is None:  # a vector of a generation that is not live: invisible
                    continue
                rank += 1
                entry = fused.setdefault(cid, {"chunk": chunk, "score": 0.0})
                entry["dense_rank"] = rank
                entry["score"] += dense_weight / (s.rrf_k + rank)

        ranked = sorted(fused.values(), key=lambda e: e["score"], reverse=True)[:k]
        return [
            SearchHit(chunk=e["chunk"], score=e["score"], dense_rank=e.get("dense_rank"), lexical_rank=e.get("lexical_rank"))
            for e in ranked
        ]


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

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        hits = self.searcher.search(query, self.k, self.doc_types, self.languages)
        return [
            Document(page_content=h.chunk.text, metadata={**h.public(), "text": None, "kb": h.chunk.kb}, id=h.chunk.chunk_id)
            for h in hits
        ]
