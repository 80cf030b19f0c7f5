"""Domain models shared by ingestion, retrieval, the chains, the API and the CLI."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, Field


class DocType(StrEnum):
    spec = "spec"
    manual = "manual"
    faq = "faq"
    incident = "incident"
    transcript = "transcript"
    other = "other"


class Block(BaseModel):
    """One structural piece of a loaded document, in reading order."""

    kind: Literal["heading", "para", "list", "table", "code"]
    text: str = ""
    level: int = 0  # heading level, 1 = top
    page: int | None = None  # 1-based page, for paginated formats
    rows: list[list[str]] | None = None  # table rows, first row is the header


class LoadedDocument(BaseModel):
    """What a loader returns: the title and the blocks of one file."""

    title: str
    blocks: list[Block]
    encoding: str | None = None


class Chunk(BaseModel):
    """A retrievable piece of a document, with everything needed to cite it."""

    chunk_id: str
    kb: str
    doc_id: str
    source: str
    doc_type: DocType
    title: str
    section: str = ""  # "Manual > 采购 > 审批"
    page: int | None = None
    language: str = "en"
    text: str
    content_hash: str  # of the source file
    version: str
    ordinal: int = 0
    req_ids: list[str] = Field(default_factory=list)


class SearchHit(BaseModel):
    """A chunk found by a search, with its fused score and the ranks that produced it."""

    chunk: Chunk
    score: float
    dense_rank: int | None = None
    lexical_rank: int | None = None
    dense_score: float | None = None  # cosine similarity
    lexical_score: float | None = None  # BM25

    def public(self) -> dict[str, object]:
        c = self.chunk
        return {
            "source": c.source,
            "page": c.page,
            "section": c.section,
            "score": round(self.score, 6),
            "text": c.text,
            "title": c.title,
            "doc_type": c.doc_type.value,
            "language": c.language,
            "chunk_id": c.chunk_id,
        }


class FileOutcome(BaseModel):
    """One line of an ingestion report."""

    path: str
    source: str | None = None
    status: Literal["added", "updated", "unchanged", "failed", "pruned", "skipped"]
    chunks: int = 0
    reason: str | None = None
    error: str | None = None  # error code for failed files


class IngestReport(BaseModel):
    kb: str
    files: list[FileOutcome] = Field(default_factory=list)
    seconds: float = 0.0
    chunks_embedded: int = 0

    @property
    def failed(self) -> list[FileOutcome]:
        return [f for f in self.files if f.status == "failed"]

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for f in self.files:
            out[f.status] = out.get(f.status, 0) + 1
        return out


class KnowledgeBaseInfo(BaseModel):
    name: str
    created_at: str
    embedding_model: str
    documents: int = 0
    chunks: int = 0
    failed: int = 0


class DocumentInfo(BaseModel):
    source: str
    doc_type: DocType
    title: str
    version: str
    status: str
    chunks: int
    language: str | None = None
    error: str | None = None
    ingested_at: str | None = None


class Citation(BaseModel):
    """A numbered source of an answer: where the quoted snippet comes from."""

    n: int
    source: str
    page: int | None = None
    section: str = ""
    snippet: str
    title: str = ""
    chunk_id: str = ""
    #: "quote": quoted in the answer; "related": listed as further reading, not quoted
    kind: Literal["quote", "related"] = "quote"
    #: the question's content words this passage contains (the evidence it answers the question)
    matched: list[str] = Field(default_factory=list)


class Answer(BaseModel):
    answer: str
    citations: list[Citation] = Field(default_factory=list)
    found: bool
    conversation_id: str | None = None
    message_id: str | None = None
    mode: str = "none"
    language: str = "en"
    query: str = ""  # the standalone question that was searched
    flags: list[str] = Field(default_factory=list)  # e.g. llm_unavailable, invalid_citation_removed
    nearest_topics: list[str] = Field(default_factory=list)
    confidence: float = 0.0
    ticket_id: str | None = None

    def public(self) -> dict[str, object]:
        return {
            "answer": self.answer,
            "citations": [
                {
                    "n": c.n,
                    "source": c.source,
                    "page": c.page,
                    "section": c.section,
                    "snippet": c.snippet,
                    "kind": c.kind,
                    "matched": c.matched,
                    "chunk_id": c.chunk_id,
                }
                for c in self.citations
            ],
            "found": self.found,
            "conversation_id": self.conversation_id,
            "message_id": self.message_id,
            "mode": self.mode,
            "flags": self.flags,
            "nearest_topics": self.nearest_topics,
            "confidence": round(self.confidence, 3),
        }
