"""Knowledge-base routes: list, search, upload and ingest."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, UploadFile
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from assistant.api.deps import PrincipalDep, ServicesDep
from assistant.api.models import IngestResponse, SearchResponse
from assistant.errors import TooLarge
from assistant.schemas import DocType, KnowledgeBaseInfo

router = APIRouter(prefix="/v1", tags=["knowledge bases"])


class SearchRequest(BaseModel):
    kb: str = Field(min_length=1, max_length=100)
    query: str = Field(min_length=1, max_length=4000)
    k: int = Field(5, ge=1, le=100)
    types: list[DocType] | None = None
    languages: list[str] | None = None


@router.get("/kb", response_model=list[KnowledgeBaseInfo])
def list_kbs(services: ServicesDep, principal: PrincipalDep) -> list[dict[str, Any]]:
    """The knowledge bases this key may read."""
    return [i.model_dump() for i in services.list_kbs() if principal.may_read(i.name)]


@router.post("/search", response_model=SearchResponse)
def search(body: SearchRequest, services: ServicesDep, principal: PrincipalDep) -> dict[str, Any]:
    """Hybrid search; results carry source, page, section, score and text."""
    principal.require(body.kb)
    types = [t.value for t in body.types] if body.types else None
    if not principal.can("read_tickets"):  # incident tickets are for support and consultants
        if types and DocType.incident.value in types:
            principal.require_can("read_tickets")
        types = types or [t.value for t in DocType if t is not DocType.incident]
    hits = services.search(body.kb, body.query, body.k, types, body.languages)
    return {"query": body.query, "results": [h.public() for h in hits]}


@router.post("/ingest", response_model=IngestResponse)
async def ingest(
    services: ServicesDep,
    principal: PrincipalDep,
    kb: Annotated[str, Form(min_length=1, max_length=100)],
    file: Annotated[UploadFile, File(description="PDF, DOCX, Markdown, HTML or text")],
    doc_type: Annotated[DocType | None, Form()] = None,
    version: Annotated[str | None, Form(max_length=100)] = None,
) -> dict[str, Any]:
    """Upload one document into a knowledge base (consultant or admin keys)."""
    principal.require(kb, write=True)
    limit = int(services.settings.ingest.max_file_mb * 1024 * 1024)
    services.check_upload(file.filename, 0, services.settings.ingest.max_file_mb)
    data = bytearray()
    while chunk := await file.read(1 << 20):
        data.extend(chunk)
        if len(data) > limit:
            raise TooLarge(f"the upload is over the {services.settings.ingest.max_file_mb:g} MB limit")
    # ingestion is CPU work and waits its turn on the knowledge base: keep it off the event loop
    outcome, seconds = await run_in_threadpool(
        services.ingest_upload, kb, file.filename, bytes(data), doc_type, version
    )
    return {
        "kb": kb,
        "source": outcome.source,
        "status": outcome.status,
        "chunks": outcome.chunks,
        "seconds": seconds,
    }
