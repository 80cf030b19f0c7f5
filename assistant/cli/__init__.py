"""The ``assistant`` command line: one module per command group, all on one Typer app.

Examples::

    assistant ingest corpus/ --kb demo
    assistant search "如何创建采购申请" --kb demo -k 5
    assistant search --kb demo --batch questions.jsonl -k 10 --json
    assistant kb list
    assistant eval retrieval --bench ../shared/datasets/qa/dolphinscheduler-en
"""

from __future__ import annotations

import logging
import sys

import typer

from assistant.cli import changes, database, evals, helpdesk, interviews, kb, keys, migration, server, support  # noqa: F401  (they register)
from assistant.cli.common import app

__all__ = ["app", "main"]


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        app()
    except KeyboardInterrupt:
        typer.echo(
            "interrupted; the knowledge base stays consistent, run the command again to finish", err=True
        )
        sys.exit(130)
