"""Knowledge-base routes: list, search, upload and ingest."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, UploadFile
from pydantic import BaseModel, Field

from assistant.api.deps import PrincipalDep, ServicesDep
from assistant.errors import InvalidInput, TooLarge, UnsupportedFormat
from assistant.ingest.loaders import LOADERS
from assistant.kbstore import kb_key
from assistant.schemas import DocType

router = APIRouter(prefix="/v1", tags=["knowledge bases"])


class SearchRequest(BaseModel):
    kb: str = Field(min_length=1, max_length=100)
    query: str = Field(min_length=1, max_length=4000)
    k: int = Field(5, ge=1, le=100)
    types: list[DocType] | None = None
    languages: list[str] | None = None


@router.get("/kb")
def list_kbs(services: ServicesDep, principal: PrincipalDep) -> list[dict[str, Any]]:
    """The knowledge bases this key may read."""
    return [i.model_dump() for i in services.list_kbs() if principal.may_read(i.name)]


@router.post("/search")
def search(body: SearchRequest, services: ServicesDep, principal: PrincipalDep) -> dict[str, Any]:
    """Hybrid search; results carry source, page, section, score and text."""
    principal.require(body.kb)
    types = [t.value for t in body.types] if body.types else None
    hits = services.search(body.kb, body.query, body.k, types, body.languages)
    return {"query": body.query, "results": [h.public() for h in hits]}


_UNSAFE = re.compile(r"[\x00-\x1f\x7f<>:\"|?*]")


def sanitize_filename(name: str | None) -> str:
    """Keep only the last path component, drop control and reserved characters; never '..'."""
    base = unicodedata.normalize("NFC", (name or "").replace("\\", "/").split("/")[-1])
    base = _UNSAFE.sub("_", base).strip().lstrip(".")
    if not base or base in {".", ".."}:
        raise InvalidInput("the uploaded file has no usable name")
    stem, dot, ext = base.rpartition(".")
    if dot and len(base) > 150:
        base = stem[: 150 - len(ext) - 1] + "." + ext
    return base[:150]


@router.post("/ingest")
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
    name = sanitize_filename(file.filename)
    ext = Path(name).suffix.lower()
    if ext not in LOADERS:
        raise UnsupportedFormat(
            f"unsupported file type {ext or '(none)'!r}; supported: {', '.join(sorted(LOADERS))}"
        )
    limit = int(services.settings.ingest.max_file_mb * 1024 * 1024)
    data = bytearray()
    while chunk := await file.read(1 << 20):
        data.extend(chunk)
        if len(data) > limit:
            raise TooLarge(f"the upload is over the {services.settings.ingest.max_file_mb:g} MB limit")
    folder = services.settings.home / "uploads" / kb_key(kb)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / name
    previous = target.read_bytes() if target.exists() else None
    tmp = folder / f".{name}.part"
    tmp.write_bytes(bytes(data))
    tmp.replace(target)
    report = services.ingest(kb, [target], doc_type=doc_type, version=version)
    outcome = report.files[0] if report.files else None
    if outcome is None or outcome.status == "failed":
        # nothing half-written: the stored upload goes back to what it was
        if previous is None:
            target.unlink(missing_ok=True)
        else:
            target.write_bytes(previous)
        from assistant.errors import DocumentParse

        raise DocumentParse(outcome.reason if outcome else "the upload could not be ingested")
    return {
        "kb": kb,
        "source": outcome.source,
        "status": outcome.status,
        "chunks": outcome.chunks,
        "seconds": report.seconds,
    }
