"""One place that maps the assistant's errors (and FastAPI's own) to HTTP statuses with a JSON body:
``{"error": {"code": "...", "message": "..."}}``."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from assistant import errors as e
from assistant.api.deps import InvalidForm, Unauthorized

STATUS: list[tuple[type[e.AssistantError], int]] = [
    (Unauthorized, 401),
    (InvalidForm, 422),
    (e.PermissionDenied, 403),
    (e.NotFound, 404),
    (e.InvalidTransition, 409),
    (e.TooLarge, 413),
    (e.UnsupportedFormat, 415),
    (e.InvalidInput, 400),
    (e.IngestError, 422),
    (e.OutputParseError, 502),
    (e.ProviderError, 502),
    (e.ConfigError, 500),
]


def error_body(code: str, message: str, status: int) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(e.AssistantError)
    async def _assistant(request: Request, exc: e.AssistantError) -> JSONResponse:
        status = next((s for cls, s in STATUS if isinstance(exc, cls)), 500)
        return error_body(exc.code, str(exc), status)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        parts = []
        for err in exc.errors():
            where = ".".join(str(x) for x in err.get("loc", ()) if x != "body")
            parts.append(f"{where}: {err.get('msg')}" if where else str(err.get("msg")))
        return error_body("invalid_request", "; ".join(parts) or "invalid request", 422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return error_body("http_error", str(exc.detail), exc.status_code)
