"""Evaluation harness: benchmarks of retrieval, answers, triage and classification."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

REPORTS = Path(__file__).resolve().parent / "reports"


def eval_services(prefix: str, embedding: str | None = None) -> Any:
    """Services over ``$ASSISTANT_HOME`` (or a new temporary data directory), with another embedding
    provider when one is named (e5-multilingual, fake)."""
    from assistant.services import build_services
    from assistant.settings import Settings

    home = Path(os.environ.get("ASSISTANT_HOME") or tempfile.mkdtemp(prefix=f"{prefix}-"))
    settings = Settings(home=home)
    if embedding:
        settings = settings.model_copy(
            update={"embedding": settings.embedding.model_copy(update={"provider": embedding})}
        )
    return build_services(settings)


def write_report(name: str, text: str) -> Path:
    """Write ``evals/reports/<name>.md`` and print it."""
    REPORTS.mkdir(parents=True, exist_ok=True)
    out = REPORTS / f"{name}.md"
    out.write_text(text, encoding="utf-8")
    print(text)
    return out
