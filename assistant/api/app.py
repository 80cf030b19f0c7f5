"""The FastAPI application factory."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
import anyio.to_thread
from fastapi import FastAPI, Response

from assistant import __version__
from assistant.api import routes_changes, routes_helpdesk, routes_kb, routes_migration, routes_support
from assistant.api.errors import install_error_handlers
from assistant.api.models import HealthResponse
from assistant.services import Services


def create_app(services: Services) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # sync routes run on AnyIO's worker threads (40 by default): on a small machine 20 requests
        # at once then share the interpreter and all finish late; a few at a time finish in order
        threads = services.settings.server.threads or 2 * (os.cpu_count() or 1)
        anyio.to_thread.current_default_thread_limiter().total_tokens = threads
        yield

    app = FastAPI(
        lifespan=lifespan,
        title="Implementation Assistant API",
        version=__version__,
        description="Grounded answers with citations, hybrid search and document ingestion for implementation "
        "projects. Authenticate with `Authorization: Bearer <key>` (create keys with `assistant keys create`).",
    )
    app.state.services = services
    install_error_handlers(app)
    app.include_router(routes_kb.router)
    app.include_router(routes_helpdesk.router)
    app.include_router(routes_support.router)
    app.include_router(routes_changes.router)
    app.include_router(routes_migration.router)

    @app.get(
        "/v1/health",
        tags=["health"],
        response_model=HealthResponse,
        responses={503: {"description": "a backend does not answer"}},
    )
    def health(response: Response) -> dict[str, Any]:
        """Liveness, each backend (application database, vector store) and what the server runs with
        (no key needed). 503 when a backend does not answer."""
        s = services.settings
        backends = services.health()
        ok = all(b["ok"] for b in backends.values())
        if not ok:
            response.status_code = 503
        return {
            "status": "ok" if ok else "degraded",
            # no paths, hosts or error texts for a caller without a key
            "backends": {
                name: {k: v for k, v in b.items() if k in ("ok", "backend")} for name, b in backends.items()
            },
            "version": __version__,
            "answer_mode": s.llm.mode,
            "embedding_model": services.embeddings.model_id,
            "knowledge_bases": len(services.kbs.names()),
        }

    return app


def app_from_settings() -> FastAPI:
    """For ``uvicorn --factory`` (``assistant serve --workers N``): each worker process builds its own
    services from the environment."""
    from assistant.services import build_services

    return create_app(build_services())
