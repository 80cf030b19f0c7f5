"""The FastAPI application factory."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
import anyio.to_thread
from fastapi import FastAPI

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

    @app.get("/v1/health", tags=["health"], response_model=HealthResponse)
    def health() -> dict[str, Any]:
        """Liveness and what the server runs with (no key needed)."""
        s = services.settings
        return {
            "status": "ok",
            "version": __version__,
            "answer_mode": s.llm.mode,
            "embedding_model": services.embeddings.model_id,
            "knowledge_bases": len(services.kbs.names()),
        }

    return app
