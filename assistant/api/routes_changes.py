"""Change requests over HTTP, with the same workflow rules as the CLI; the key's name is the actor."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from assistant.api.deps import CallerDep
from assistant.api.models import ChangeRequestDetail, ChangeRequestOut

router = APIRouter(prefix="/v1/change-requests", tags=["change requests"])


class DraftRequest(BaseModel):
    kb: str = Field(min_length=1, max_length=100)
    text: str | None = Field(None, max_length=20000)
    ticket: str | None = None
    session: str | None = None
    req: str | None = None
    spec_req: str | None = None
    title: str | None = Field(None, max_length=200)


class ActionRequest(BaseModel):
    comment: str | None = Field(None, max_length=2000)


@router.post("", status_code=201, response_model=ChangeRequestOut)
def draft(body: DraftRequest, caller: CallerDep) -> dict[str, Any]:
    """Draft a change request from text, a ticket, an interview requirement or a spec requirement id."""
    return caller.draft_change(
        body.kb, body.text, body.ticket, body.session, body.req, body.spec_req, body.title
    )


@router.get("", response_model=list[ChangeRequestOut])
def list_requests(kb: str, caller: CallerDep, status: str | None = None) -> list[dict[str, Any]]:
    return caller.change_requests(kb, status)


@router.get("/{cr_id}", response_model=ChangeRequestDetail)
def get_request(cr_id: str, caller: CallerDep) -> dict[str, Any]:
    return caller.change_request(cr_id)


@router.get("/{cr_id}/export", response_class=Response, responses={200: {"content": {"text/markdown": {}}}})
def export_request(cr_id: str, caller: CallerDep, format: str = "md", lang: str = "en") -> Response:
    """The request and its audit log as Markdown (``format=md``) or Word (``format=docx``)."""
    from assistant.errors import InvalidInput

    if format not in ("md", "docx") or lang not in ("en", "zh"):
        raise InvalidInput("format must be md or docx, lang en or zh")
    data = caller.export_change(cr_id, format, lang)
    media = (
        "text/markdown; charset=utf-8"
        if format == "md"
        else "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    )
    return Response(
        data, media_type=media, headers={"Content-Disposition": f'attachment; filename="{cr_id}.{format}"'}
    )


@router.post("/{cr_id}/{action}", response_model=ChangeRequestOut)
def act(cr_id: str, action: str, body: ActionRequest, caller: CallerDep) -> dict[str, Any]:
    """Workflow action: submit, review, approve, reject, needs_info, revise, implement, close, withdraw."""
    return caller.act(cr_id, action, body.comment)
