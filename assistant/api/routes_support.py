"""Support routes: ticket triage."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
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
