"""Request dependencies: the services and the calling key."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request

from assistant.access.models import Principal
from assistant.errors import AssistantError
from assistant.services import Caller, Services


class Unauthorized(AssistantError):
    code = "unauthorized"


class InvalidForm(AssistantError):
    """A form field is missing or has a bad value (answered 422 like FastAPI's own validation)."""

    code = "invalid_request"


def get_services(request: Request) -> Services:
    return request.app.state.services  # type: ignore[no-any-return]


async def get_principal(
    request: Request,
    authorization: Annotated[str | None, Header()] = None,
    x_api_key: Annotated[str | None, Header()] = None,
) -> Principal:
    secret = x_api_key
    if authorization and authorization.lower().startswith("bearer "):
        secret = authorization[7:]
    # on the event loop, not a worker thread: one indexed SQLite lookup (tens of microseconds) costs
    # less than the thread hand-over, and the key is refused before any route work is queued
    principal = get_services(request).keys.authenticate(secret)
    if principal is None:
        raise Unauthorized(
            "missing or invalid API key: send 'Authorization: Bearer <key>' (create one with `assistant keys create`)"
        )
    return principal


ServicesDep = Annotated[Services, Depends(get_services)]
PrincipalDep = Annotated[Principal, Depends(get_principal)]


async def get_caller(request: Request, principal: PrincipalDep) -> Caller:
    """The signed-in key's view of the services: every permission check happens there."""
    return get_services(request).as_caller(principal)


CallerDep = Annotated[Caller, Depends(get_caller)]
