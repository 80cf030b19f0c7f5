"""Knowledge-base routes: list, search, upload and ingest."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from assistant.api.deps import CallerDep, InvalidForm
from assistant.api.models import IngestResponse, KbDeleted, SearchResponse
from assistant.errors import TooLarge
from assistant.schemas import DocType, KnowledgeBaseInfo
from assistant.settings import MB, mb_text

#: room for the multipart framing and the small form fields around the file
FORM_OVERHEAD = 64 * 1024

router = APIRouter(prefix="/v1", tags=["knowledge bases"])


class SearchRequest(BaseModel):
    kb: str = Field(min_length=1, max_length=100)
    query: str = Field(min_length=1, max_length=4000)
    k: int = Field(5, ge=1, le=100)
    types: list[DocType] | None = None
    languages: list[str] | None = None


@router.get("/kb", response_model=list[KnowledgeBaseInfo])
def list_kbs(caller: CallerDep) -> list[dict[str, Any]]:
    """The knowledge bases this key may read."""
    return [i.model_dump() for i in caller.knowledge_bases()]


@router.delete("/kb/{name}", response_model=KbDeleted)
def delete_kb(name: str, caller: CallerDep, archive: bool = False) -> dict[str, Any]:
    """Delete a knowledge base and every record of it (admin keys); ``archive=true`` first writes
    the records to a JSON file under the data directory."""
    return caller.delete_kb(name, archive=archive)


class PassageLine(BaseModel):
    chunk_id: str
    section: str
    page: int | None
    text: str
    cited: bool


class Passage(BaseModel):
    chunk_id: str
    source: str
    title: str
    section: str
    page: int | None
    doc_type: str
    page_image: bool = Field(description="GET /v1/kb/{kb}/page renders the cited page of this PDF")
    context: list[PassageLine]


@router.get("/kb/{kb}/passages/{chunk_id}", response_model=Passage)
def passage(kb: str, chunk_id: str, caller: CallerDep, around: int = Query(1, ge=0, le=5)) -> dict[str, Any]:
    """A cited passage in its context (the chunks around it in the same document, in order)."""
    return caller.passage(kb, chunk_id, around)


@router.get("/kb/{kb}/page", response_class=Response, responses={200: {"content": {"image/png": {}}}})
def page_image(
    kb: str,
    caller: CallerDep,
    source: str = Query(min_length=1, max_length=1000),
    page: int = Query(ge=1, le=100_000),
    width: int = Query(1000, ge=200, le=2000),
) -> Response:
    """One page of an indexed PDF as a PNG image: where a citation's page opens."""
    return Response(caller.page_image(kb, source, page, width), media_type="image/png")


@router.post("/search", response_model=SearchResponse)
def search(body: SearchRequest, caller: CallerDep) -> dict[str, Any]:
    """Hybrid search; results carry source, page, section, score and text."""
    types = [t.value for t in body.types] if body.types else None
    hits = caller.search(body.kb, body.query, body.k, types, body.languages)
    return {"query": body.query, "results": [h.public() for h in hits]}


async def _bounded_body(request: Request, limit: int) -> bytes:
    """The request body, refused (413) as soon as it passes ``limit`` bytes: nothing more is read."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise TooLarge(
            f"the upload ({mb_text(int(declared))} MB) is over the {mb_text(limit - FORM_OVERHEAD)} MB limit"
        )
    data = bytearray()
    async for chunk in request.stream():
        data.extend(chunk)
        if len(data) > limit:
            raise TooLarge(f"the upload is over the {mb_text(limit - FORM_OVERHEAD)} MB limit")
    return bytes(data)


async def _form(request: Request, body: bytes, max_files: int = 1) -> Any:
    async def replay() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    parsed = Request(request.scope, replay)
    return await parsed.form(max_files=max_files, max_fields=10)


def multipart_form(file_help: str, required: tuple[str, ...], **fields: dict[str, Any]) -> dict[str, Any]:
    """The OpenAPI request body of a multipart route: a binary ``file`` part and form fields."""
    return {
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": list(required),
                        "properties": {
                            "file": {"type": "string", "format": "binary", "description": file_help},
                            **fields,
                        },
                    }
                }
            },
        }
    }


INGEST_FORM = multipart_form(
    "PDF, DOCX, Markdown, HTML or text",
    ("kb", "file"),
    kb={"type": "string", "maxLength": 100},
    doc_type={"type": "string", "enum": [t.value for t in DocType]},
    version={"type": "string", "maxLength": 100},
)


@router.post("/ingest", response_model=IngestResponse, openapi_extra=INGEST_FORM)
async def ingest(request: Request, caller: CallerDep) -> dict[str, Any]:
    """Upload one document into a knowledge base (consultant or admin keys). The key is checked before
    the body is read, and reading stops as soon as the size limit is passed."""
    caller.require("write_documents")  # before a byte of the body is read
    max_mb = caller.services.settings.ingest.max_file_mb
    body = await _bounded_body(request, int(max_mb * MB) + FORM_OVERHEAD)
    form = await _form(request, body)
    kb, file = form.get("kb"), form.get("file")
    if not isinstance(kb, str) or not 1 <= len(kb) <= 100:
        raise InvalidForm("kb: a knowledge-base name (1 to 100 characters) is required")
    if not isinstance(file, UploadFile):
        raise InvalidForm("file: attach the document as the 'file' part of a multipart form")
    doc_type_text, version = form.get("doc_type"), form.get("version")
    try:
        doc_type = DocType(doc_type_text) if doc_type_text else None
    except ValueError:
        raise InvalidForm(f"doc_type must be one of: {', '.join(t.value for t in DocType)}") from None
    if version is not None and (not isinstance(version, str) or len(version) > 100):
        raise InvalidForm("version: at most 100 characters")
    data = await file.read()
    # the Caller checks the knowledge base's write permission, then the name, type and size;
    # ingestion is CPU work and waits its turn on the knowledge base: keep it off the event loop
    outcome, seconds = await run_in_threadpool(
        caller.ingest_upload, kb, file.filename, data, doc_type, version or None
    )
    return {
        "kb": kb,
        "source": outcome.source,
        "status": outcome.status,
        "chunks": outcome.chunks,
        "seconds": seconds,
    }
