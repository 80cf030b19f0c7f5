"""Request dependencies: the services and the calling key."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request

from assistant.access.models import Principal
from assistant.errors import AssistantError
from assistant.services import Services


class Unauthorized(AssistantError):
    code = "unauthorized"


def get_services(request: Request) -> Services:
    return request.app.state.services  # type: ignore[no-any-return]


def get_principal(
    request: Request,
    authorization: Annotated[str | None, Header()] = None,
    x_api_key: Annotated[str | None, Header()] = None,
) -> Principal:
    secret = x_api_key
    if authorization and authorization.lower().startswith("bearer "):
        secret = authorization[7:]
    principal = get_services(request).keys.authenticate(secret)
    if principal is None:
        raise Unauthorized(
            "missing or invalid API key: send 'Authorization: Bearer <key>' (create one with `assistant keys create`)"
        )
    return principal


ServicesDep = Annotated[Services, Depends(get_services)]
PrincipalDep = Annotated[Principal, Depends(get_principal)]
