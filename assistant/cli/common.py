"""What every command group shares: the root Typer app, options, the services and error handling."""

from __future__ import annotations

import json
from typing import Annotated, Any, NoReturn

import typer

from assistant.errors import AssistantError, InvalidInput, NotFound
from assistant.schemas import DocType

app = typer.Typer(
    help="Implementation assistant: knowledge bases, grounded search and answers, offline by default.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

EXIT_ERROR = 1
EXIT_USAGE = 2

KbOpt = Annotated[
    str, typer.Option("--kb", help="Knowledge-base name (any language), e.g. 'acme-erp' or '华东工厂'.")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON instead of text.")]


def open_services():  # type: ignore[no-untyped-def]
    """The services for this command, from the environment's settings."""
    from assistant.services import build_services
    from assistant.settings import get_settings

    return build_services(run(get_settings))


def fail(message: str, code: int = EXIT_ERROR) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def run(fn, *args, **kwargs):  # type: ignore[no-untyped-def]
    """Call a service and turn the assistant's errors into a one-line message and an exit code."""
    try:
        return fn(*args, **kwargs)
    except InvalidInput as e:
        fail(str(e), EXIT_USAGE)
    except NotFound as e:
        fail(str(e))
    except AssistantError as e:
        fail(str(e))


def print_json(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False))


def parse_type(value: str | None) -> DocType | None:
    if value is None:
        return None
    try:
        return DocType(value.lower())
    except ValueError:
        fail(
            f"unknown document type {value!r}; use one of: {', '.join(t.value for t in DocType)}", EXIT_USAGE
        )
