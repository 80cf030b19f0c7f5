"""Help-desk routes: ask (JSON or server-sent events), feedback, conversations, tickets."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from assistant.api.deps import CallerDep, InvalidForm
from assistant.api.models import AskResponse, ConversationOut, FeedbackResponse, TicketOpened
from assistant.api.routes_kb import FORM_OVERHEAD, _bounded_body, _form, multipart_form
from assistant.errors import AssistantError, NotFound
from assistant.schemas import Answer
from assistant.settings import MB

router = APIRouter(prefix="/v1", tags=["help desk"])


class AskRequest(BaseModel):
    kb: str = Field(min_length=1, max_length=100, examples=["demo"])
    question: str = Field(min_length=1, max_length=2000, examples=["如何重置密码？"])
    conversation_id: str | None = Field(None, max_length=64)
    stream: bool = Field(
        False, description="Answer as server-sent events: 'delta' events, then one 'answer' event."
    )


class FeedbackRequest(BaseModel):
    message_id: str = Field(min_length=1, max_length=64)
    rating: Literal["up", "down", 1, -1]
    comment: str | None = Field(None, max_length=2000)


class TicketRequest(BaseModel):
    kb: str = Field(min_length=1, max_length=100)
    question: str = Field(min_length=1, max_length=2000)
    conversation_id: str | None = Field(None, max_length=64)
    details: str | None = Field(
        None, max_length=5000, description="what the user adds: steps, order numbers, screens"
    )


def _sse(event: str, data: dict[str, Any]) -> str:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


@router.post("/ask", response_model=AskResponse, responses={200: {"content": {"text/event-stream": {}}}})
def ask(body: AskRequest, caller: CallerDep) -> Any:
    """Answer a question from a knowledge base, with numbered citations (or say it is not covered)."""
    if not body.stream:
        return caller.ask(body.kb, body.question, body.conversation_id).public()
    events = caller.ask_stream(body.kb, body.question, body.conversation_id)  # refusals before the stream

    def generate() -> Iterator[str]:
        try:
            for event in events:
                if isinstance(event, Answer):
                    yield _sse("answer", event.public())
                else:
                    yield _sse("delta", {"text": event})
        except AssistantError as e:
            yield _sse("error", {"code": e.code, "message": str(e)})

    return StreamingResponse(
        generate(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"}
    )


@router.post("/feedback", response_model=FeedbackResponse)
def feedback(body: FeedbackRequest, caller: CallerDep) -> dict[str, Any]:
    """Thumbs up or down, with an optional comment, for one of your answers."""
    rating = 1 if body.rating in ("up", 1) else -1
    return caller.feedback(body.message_id, rating, body.comment)


@router.get("/conversations/{conversation_id}", response_model=ConversationOut)
def conversation(conversation_id: str, caller: CallerDep) -> dict[str, Any]:
    """One of your conversations: questions, answers, citations and feedback."""
    return caller.conversation(conversation_id)


@router.post("/tickets", status_code=201, response_model=TicketOpened)
def open_ticket(body: TicketRequest, caller: CallerDep) -> dict[str, Any]:
    """Open a support ticket for a question the documentation does not answer."""
    return caller.open_ticket(body.kb, body.question, body.conversation_id, body.details)


class TicketAction(BaseModel):
    """A change to a ticket: ``version`` is the one you saw (a stale one answers 409)."""

    model_config = ConfigDict(extra="forbid")

    kb: str = Field(min_length=1, max_length=200)
    version: int | None = Field(None, ge=0)
    to: str | None = Field(None, max_length=100, description="assign: the person; link: the master ticket")
    text: str | None = Field(None, max_length=20_000, description="reply")
    note: str | None = Field(None, max_length=20_000, description="resolve: what was done")
    comment: str | None = Field(None, max_length=2_000, description="review, reopen")
    category: str | None = Field(None, max_length=100, description="classify")
    priority: str | None = Field(None, max_length=100, description="classify")


TICKET_ACTIONS = ("assign", "reply", "link", "resolve", "review", "reopen", "classify")


@router.get("/tickets")
def ticket_queue(
    caller: CallerDep,
    kb: str = Query(..., min_length=1, max_length=200),
    status: Literal["new", "analysing", "resolved", "reviewed"] | None = None,
    source: Literal["helpdesk", "import", "api"] | None = None,
    assignee: str | None = Query(None, max_length=100),
    sla: Literal["on_track", "due_soon", "breached", "met", "missed", "none"] | None = None,
    limit: int = Query(200, ge=1, le=5000),
    sort: Literal["newest", "oldest", "priority"] = "newest",
    category: str | None = Query(None, max_length=100),
    priority: str | None = Query(None, max_length=100),
) -> dict[str, Any]:
    """The ticket queue with SLA states, newest first by default (support: every ticket; others:
    their own)."""
    rows = caller.ticket_queue(
        kb,
        status=status,
        source=source,
        assignee=assignee,
        sla=sla,
        limit=limit,
        sort=sort,
        category=category,
        priority=priority,
    )
    return {"kb": kb, "count": len(rows), "tickets": rows}


@router.get("/tickets/{ticket_id}")
def ticket_detail(
    ticket_id: str, caller: CallerDep, kb: str = Query(..., min_length=1, max_length=200)
) -> dict[str, Any]:
    """One ticket: text, conversation, replies, audit trail, SLA (the opener sees status and replies)."""
    return caller.ticket(kb, ticket_id)


ATTACH_FORM = multipart_form(
    "a screenshot, PDF, Office file, log or text (10 MB by default)",
    ("kb", "file"),
    kb={"type": "string", "maxLength": 200},
)


@router.post("/tickets/{ticket_id}/attachments", openapi_extra=ATTACH_FORM)
async def ticket_attach(ticket_id: str, request: Request, caller: CallerDep) -> dict[str, Any]:
    """Attach a file to a ticket (support to any ticket, the person who opened it to their own);
    the body is refused past the size limit before it is read in full."""
    limit = int(caller.services.settings.support.max_attachment_mb * MB)
    body = await _bounded_body(request, limit + FORM_OVERHEAD)
    form = await _form(request, body)
    kb, file = form.get("kb"), form.get("file")
    if not isinstance(kb, str) or not 1 <= len(kb) <= 200:
        raise InvalidForm("kb: a knowledge-base name is required")
    if not isinstance(file, UploadFile):
        raise InvalidForm("file: attach the file as the 'file' part of a multipart form")
    data = await file.read()
    return await run_in_threadpool(caller.attach, kb, ticket_id, file.filename or "", data)


@router.get(
    "/tickets/{ticket_id}/attachments/{name}",
    response_class=Response,
    responses={200: {"content": {"application/octet-stream": {}}}},
)
def ticket_attachment(
    ticket_id: str, name: str, caller: CallerDep, kb: str = Query(..., min_length=1, max_length=200)
) -> Response:
    """One attached file, for whoever may see the ticket."""
    data, mime = caller.attachment(kb, ticket_id, name)
    return Response(
        data, media_type=mime, headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"}
    )


@router.post("/tickets/{ticket_id}/{action}")
def ticket_action(ticket_id: str, action: str, body: TicketAction, caller: CallerDep) -> dict[str, Any]:
    """assign, reply, link (as a duplicate), resolve (with a note), review, reopen or classify
    (set category / priority) a ticket."""
    if action not in TICKET_ACTIONS:
        raise NotFound(f"no ticket action {action!r}; use one of: {', '.join(TICKET_ACTIONS)}")
    return caller.ticket_action(
        body.kb,
        ticket_id,
        action,
        body.version,
        to=body.to,
        text=body.text,
        note=body.note,
        comment=body.comment,
        category=body.category,
        priority=body.priority,
    )


@router.get("/tickets/{ticket_id}/triage")
def ticket_triage(
    ticket_id: str, caller: CallerDep, kb: str = Query(..., min_length=1, max_length=200)
) -> dict[str, Any]:
    """Suggested labels with confidence, similar incidents with resolutions and likely open duplicates."""
    return caller.ticket_triage(kb, ticket_id)
