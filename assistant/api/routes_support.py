"""Support routes: ticket triage, FAQ drafts from resolved tickets."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from assistant.api.deps import CallerDep
from assistant.api.models import TriageResponse

router = APIRouter(prefix="/v1", tags=["support"])


class TriageRequest(BaseModel):
    kb: str = Field(min_length=1, max_length=100)
    text: str = Field(min_length=1, max_length=20000, examples=["收货时提示超收比例超过允许范围"])


@router.post("/triage", response_model=TriageResponse)
def triage(body: TriageRequest, caller: CallerDep) -> dict[str, Any]:
    """Predicted labels with confidence, similar incidents with resolutions, likely duplicates, articles."""
    return caller.triage(body.kb, body.text)


class FaqDecision(BaseModel):
    kb: str = Field(min_length=1, max_length=100)
    question: str | None = Field(None, max_length=2000, description="accept: the edited question")
    answer: str | None = Field(None, max_length=20000, description="accept: the edited answer")


@router.get("/faq/drafts")
def faq_drafts(
    caller: CallerDep,
    kb: str = Query(..., min_length=1, max_length=100),
    status: Literal["draft", "approved", "rejected"] = "draft",
) -> dict[str, Any]:
    """FAQ drafts with the resolved tickets they came from (support and consultants)."""
    return {"kb": kb, "drafts": caller.faq_drafts(kb, status)}


@router.post("/faq/suggest")
def faq_suggest(body: FaqDecision, caller: CallerDep) -> dict[str, Any]:
    """Draft FAQ entries from clusters of resolved tickets."""
    return {"kb": body.kb, "drafts": caller.faq_suggest(body.kb)}


@router.post("/faq/drafts/{draft_id}/{decision}")
def faq_decide(
    draft_id: str, decision: Literal["accept", "reject"], body: FaqDecision, caller: CallerDep
) -> dict[str, Any]:
    """Accept (optionally edited: published as an FAQ document, indexed at once) or reject a draft."""
    if decision == "accept":
        return caller.faq_accept(body.kb, draft_id, body.question, body.answer)
    return caller.faq_reject(body.kb, draft_id)
