"""HTTP API (FastAPI): the same services as the CLI, behind API keys with roles and scopes."""

from assistant.api.app import create_app

__all__ = ["create_app"]
