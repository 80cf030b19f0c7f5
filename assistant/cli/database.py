"""The application database: `assistant db ...` (upgrade, copy, check)."""

from __future__ import annotations

from typing import Annotated

import typer

from assistant.cli.common import EXIT_ERROR, JsonOpt, app, fail, print_json, run

db_app = typer.Typer(
    help="The application database: SQLite in the data directory, or PostgreSQL (ASSISTANT_DATABASE__URL).",
    no_args_is_help=True,
)
app.add_typer(db_app, name="db")


@db_app.command("upgrade")
def db_upgrade(as_json: JsonOpt = False) -> None:
    """Create the tables or bring them up to date (safe to run again; run it after an upgrade)."""
    from assistant import services as svc

    result = run(svc.database_upgrade)
    if as_json:
        print_json(result)
        return
    if result["upgraded"]:
        before = (
            result["upgraded_from"] or "no recorded revision (a new database, or one made before revisions)"
        )
        state = f"upgraded from {before} to schema revision {result['revision']}"
    else:
        state = f"already at schema revision {result['revision']}, nothing to do"
    typer.echo(f"{result['backend']} {result['version']}: {state}; {len(result['tables'])} tables")
    for table, rows in result["tables"].items():
        typer.echo(f"  {table:<22} {rows:>8} rows")


@db_app.command("copy")
def db_copy(
    source: Annotated[str, typer.Option("--from", help="sqlite:///PATH/app.sqlite3 or postgresql://...")],
    target: Annotated[
        str, typer.Option("--to", help="A new, empty database: postgresql://... or sqlite:///PATH")
    ],
    as_json: JsonOpt = False,
) -> None:
    """Move a project to another database (a laptop's SQLite to a team's PostgreSQL, or back): the
    application tables and the knowledge bases, verified by row counts and checksums. The target must
    be empty. Run it with the target's vector-store settings: vectors that store lacks are embedded
    again from the chunks."""
    from assistant import services as svc

    def progress(n: int, total: int, table: str, rows: int) -> None:
        if not as_json:
            typer.echo(f"[{n}/{total}] {table}: {rows} rows", err=True)

    def embed_progress(kb: str, done: int, total: int) -> None:
        if not as_json:
            typer.echo(f"embedding knowledge base {kb} for the vector store: {done}/{total} chunks", err=True)

    result = run(svc.database_copy, source, target, progress, embed_progress)
    if as_json:
        print_json(result)
        return
    rows = sum(t["rows"] for t in result["tables"].values())
    typer.echo(
        f"copied {rows} rows in {len(result['tables'])} tables from {result['from']['backend']} to "
        f"{result['to']['backend']}; counts and checksums match"
    )
    kbs = result["knowledge_bases"]
    if kbs:
        chunks = sum(k["chunks"] for k in kbs.values())
        typer.echo(
            f"copied {len(kbs)} knowledge base(s) ({', '.join(kbs)}), {chunks} chunks; lexical index "
            "rebuilt, counts and checksums match"
        )
    else:
        typer.echo("knowledge bases: none to copy (both sides use this data directory's)")


@db_app.command("check")
def db_check(as_json: JsonOpt = False) -> None:
    """Whether each backend answers: the application database and the vector store (exit 1 if not)."""
    from assistant.cli.common import open_services

    health = run(open_services).health()
    if as_json:
        print_json(health)
    else:
        for name, b in health.items():
            label = {"database": "database", "vector_store": "vector store"}[name]
            state = "ok" if b["ok"] else f"NOT ANSWERING: {b.get('error', '')}"
            typer.echo(f"{label:<13} {b['backend']} {b.get('version') or b.get('at') or ''}  {state}")
    if not all(b["ok"] for b in health.values()):
        fail("a backend does not answer", EXIT_ERROR)
