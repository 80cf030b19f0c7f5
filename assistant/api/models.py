"""Response models of the HTTP API: what each route returns, as shown in ``/docs``.

Records whose fields depend on what a person filled in (change requests, triage suggestions) keep
their documented fields typed and carry any others through (``extra="allow"``), so a new field in
the service reaches clients without a schema change here."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class HealthResponse(BaseModel):
    status: str = Field(description="ok, or degraded when a backend does not answer (HTTP 503)")
    backends: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="database and vector_store: which backend, and whether it answers"
    )
    version: str
    answer_mode: str
    embedding_model: str
    knowledge_bases: int


class SearchResult(BaseModel):
    source: str
    page: int | None
    section: str
    score: float
    text: str
    title: str
    doc_type: str
    language: str
    chunk_id: str


class SearchResponse(BaseModel):
    query: str
    results: list[SearchResult]


class IngestResponse(BaseModel):
    kb: str
    source: str | None
    status: str
    chunks: int
    seconds: float


class CitationOut(BaseModel):
    n: int = Field(description="The number the answer cites as [n].")
    source: str
    page: int | None
    section: str
    snippet: str
    kind: str = Field(
        "quote", description="quote: quoted in the answer; related: further reading, not quoted"
    )
    matched: list[str] = Field(default_factory=list, description="the question's words the passage contains")
    chunk_id: str = Field(
        "", description="the passage: GET /v1/kb/{kb}/passages/{chunk_id} shows it in context"
    )


class AskResponse(BaseModel):
    answer: str
    citations: list[CitationOut]
    found: bool
    conversation_id: str | None
    message_id: str | None
    mode: str
    flags: list[str]
    nearest_topics: list[str]
    confidence: float


class FeedbackResponse(BaseModel):
    message_id: str
    rating: int
    comment: str | None
    kb: str


class FeedbackOut(BaseModel):
    rating: int
    comment: str | None


class MessageOut(BaseModel):
    message_id: str
    question: str
    answer: str
    found: bool
    citations: list[dict[str, Any]]
    flags: list[str]
    created_at: str
    feedback: FeedbackOut | None


class ConversationOut(BaseModel):
    id: str
    kb: str
    created_at: str
    messages: list[MessageOut]


class TicketOpened(BaseModel):
    id: str
    kb: str
    status: str
    title: str
    conversation_id: str | None


class Prediction(Open):
    label: str | None = None
    confidence: float | None = None
    model: str | None = Field(None, description="priority: the model's label when urgency cues raised it")
    raised_by: list[str] | None = Field(None, description="priority: the urgency cues that raised it")


class SimilarIncident(Open):
    id: str
    score: float
    title: str
    status: str
    resolution: str | None = None
    category: str | None = None
    priority: str | None = None


class DuplicateIncident(SimilarIncident):
    overlap: float
    similarity: float


class ArticleOut(BaseModel):
    source: str
    page: int | None
    section: str
    score: float
    snippet: str


class UrgencyOut(BaseModel):
    level: Literal["urgent", "pressing", "calm", "none"] = Field(
        description="urgent: work or money stopped, people waiting, everyone affected; pressing: pressure "
        "words only; calm: the writer says it can wait"
    )
    cues: list[str] = Field(description="The words of the text that say so.")


class TriageResponse(BaseModel):
    predictions: dict[str, Prediction]
    similar: list[SimilarIncident]
    duplicates: list[DuplicateIncident]
    articles: list[ArticleOut]
    urgency: UrgencyOut


class AuditEntry(Open):
    seq: int
    cr_id: str
    at: str
    actor: str
    role: str
    action: str
    from_state: str | None
    to_state: str | None
    comment: str | None


class ChangeRequestOut(Open):
    """A change request; the drafted fields (background, requested_change, impact, ...) ride along."""

    id: str
    kb: str
    title: str
    requester: str
    status: str
    created_at: str
    updated_at: str


class ChangeRequestDetail(ChangeRequestOut):
    audit: list[AuditEntry]


class KbDeleted(BaseModel):
    """What deleting a knowledge base removed (rows per table) and where the archive is, if asked."""

    kb: str
    deleted: dict[str, int]
    archive: str | None = None
