"""The FastAPI application factory."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from assistant import __version__
from assistant.api import routes_changes, routes_helpdesk, routes_kb, routes_support
from assistant.api.errors import install_error_handlers
from assistant.api.models import HealthResponse
from assistant.services import Services


def create_app(services: Services) -> FastAPI:
    app = FastAPI(
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
