"""Plugin points: embeddings, vector store, lexical index (and, later, chat models).

Each kind has a small registry keyed by a lowercase name. Unknown names raise a ConfigError that
lists the available ones. Only this package imports vendor SDKs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

from assistant.errors import ConfigError

T = TypeVar("T")


def pick(kind: str, name: str, registry: Mapping[str, T]) -> T:
    """Look a plugin up by name, or raise a ConfigError listing the choices."""
    try:
        return registry[name.lower()]
    except KeyError:
        choices = ", ".join(sorted(registry))
        raise ConfigError(f"unknown {kind} {name!r}; available: {choices}") from None
