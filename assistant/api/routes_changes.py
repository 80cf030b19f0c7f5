"""Change requests over HTTP, with the same workflow rules as the CLI; the key's name is the actor."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from assistant.access.models import Principal
from assistant.api.deps import PrincipalDep, ServicesDep
from assistant.api.models import ChangeRequestDetail, ChangeRequestOut
from assistant.changes.models import Actor, actor_for

router = APIRouter(prefix="/v1/change-requests", tags=["change requests"])


def actor_of(p: Principal) -> Actor:
    return actor_for(p.name, p.role.value)


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
def draft(body: DraftRequest, services: ServicesDep, principal: PrincipalDep) -> dict[str, Any]:
    """Draft a change request from text, a ticket, an interview requirement or a spec requirement id."""
    principal.require(body.kb)
    if body.ticket:
        principal.require_can("read_tickets")
    if body.session:  # interviews are the consultants'; and of a knowledge base this key may read
        principal.require_can("interviews")
        principal.require(services.interviews.get(body.session).get("kb") or body.kb)
    return services.draft_change(
        body.kb,
        actor_of(principal),
        body.text,
        body.ticket,
        body.session,
        body.req,
        body.spec_req,
        body.title,
    )


@router.get("", response_model=list[ChangeRequestOut])
def list_requests(
    kb: str, services: ServicesDep, principal: PrincipalDep, status: str | None = None
) -> list[dict[str, Any]]:
    principal.require(kb)
    return services.changes.find(kb, status)


@router.get("/{cr_id}", response_model=ChangeRequestDetail)
def get_request(cr_id: str, services: ServicesDep, principal: PrincipalDep) -> dict[str, Any]:
    cr = services.changes.get(cr_id)
    principal.require(cr["kb"])
    return {**cr, "audit": services.changes.audit(cr_id)}


@router.post("/{cr_id}/{action}", response_model=ChangeRequestOut)
def act(
    cr_id: str, action: str, body: ActionRequest, services: ServicesDep, principal: PrincipalDep
) -> dict[str, Any]:
    """Workflow action: submit, review, approve, reject, needs_info, revise, implement, close, withdraw."""
    cr = services.changes.get(cr_id)
    principal.require(cr["kb"])
    return services.changes.act(cr_id, action.replace("-", "_"), actor_of(principal), body.comment)
