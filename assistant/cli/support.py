"""The support desk: `assistant tickets ...`, `assistant triage`, `assistant faq ...`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from assistant.cli.common import (
    EXIT_ERROR,
    EXIT_USAGE,
    JsonOpt,
    KbOpt,
    app,
    fail,
    open_services,
    print_json,
    run,
)

tickets_app = typer.Typer(help="Support tickets.", no_args_is_help=True)
app.add_typer(tickets_app, name="tickets")
faq_app = typer.Typer(help="FAQ entries drafted from resolved tickets.", no_args_is_help=True)
app.add_typer(faq_app, name="faq")


@tickets_app.command("open")
def tickets_open(
    question: Annotated[str, typer.Argument(help="What the user asked.")],
    kb: KbOpt,
    conversation: Annotated[
        str | None, typer.Option("--conversation", help="Attach this conversation.")
    ] = None,
) -> None:
    """Open a support ticket for a question the documentation does not answer."""
    services = run(open_services)
    run(services.kbs.get, kb)
    ticket = run(services.helpdesk.open_ticket, kb, question, conversation)
    typer.echo(f"opened ticket {ticket['id']}")


@tickets_app.command("import")
def tickets_import(
    file: Annotated[Path, typer.Argument(help="CSV (UTF-8/GBK), XLSX, JSON or JSONL export.")],
    kb: KbOpt,
    mapping: Annotated[
        str | None,
        typer.Option("--map", help="e.g. 'id=Issue id,text=Summary+Description,priority=Priority'."),
    ] = None,
    preset: Annotated[str | None, typer.Option("--preset", help="jira, zendesk or servicenow.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Import incident history with a validation report (row numbers); re-importing changes nothing."""
    services = run(open_services)
    report = run(services.support.import_file, kb, file, mapping, preset)
    data = report.as_dict()
    if as_json:
        print_json(data)
    else:
        for f in report.findings:
            typer.echo(f"{f.severity:7} {f.kind:16} {f.message}")
        typer.echo(
            f"{data['rows']} rows: {data['added']} added, {data['updated']} updated, {data['unchanged']} unchanged, "
            f"{data['skipped']} skipped; {data['indexed']} indexed for search"
        )
    if report.skipped:
        raise typer.Exit(EXIT_ERROR)


@tickets_app.command("status")
def tickets_status(
    ticket_id: Annotated[str, typer.Argument(help="Ticket id.")],
    status: Annotated[str, typer.Argument(help="new, analysing, resolved or reviewed.")],
    kb: KbOpt,
    resolution: Annotated[
        str | None, typer.Option("--resolution", help="How it was solved (needed to resolve).")
    ] = None,
) -> None:
    """Move a ticket through new -> analysing -> resolved -> reviewed."""
    services = run(open_services)
    t = run(services.support.tickets.set_status, kb, ticket_id, status, resolution)
    typer.echo(f"{t['id']}: {t['status']}")


@app.command()
def triage(
    kb: KbOpt,
    args: Annotated[list[str] | None, typer.Argument(help="'train', or the ticket text.")] = None,
    target: Annotated[
        list[str] | None, typer.Option("--target", help="Field to train: category, priority, status.")
    ] = None,
    batch: Annotated[
        Path | None, typer.Option("--batch", help="CSV/XLSX/JSON(L) of tickets to triage.")
    ] = None,
    text: Annotated[
        str | None, typer.Option("--text", help="Batch columns holding the text, e.g. 'title+body'.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Predict category/priority, find similar incidents, duplicates and manual sections.

    assistant triage train --kb demo --target category --target priority
    assistant triage "收货时系统提示超收" --kb demo --json
    assistant triage --kb demo --batch new.csv --text "title+body" --json
    """
    args = args or []
    if not args and batch is None:
        fail("give the ticket text, 'train', or --batch FILE", EXIT_USAGE)
    services = run(open_services)
    if args == ["train"]:
        metas = run(services.support.train, kb, target or [], lambda m: typer.echo(m, err=True))
        if as_json:
            print_json(metas)
            return
        for m in metas:
            typer.echo(
                f"{m['target']}: {m['rows']} tickets, labels {', '.join(m['labels'])}; "
                f"cross-validated macro-F1 {m['cv_macro_f1']}"
            )
            for label, f1 in m["cv_per_class_f1"].items():
                typer.echo(f"    {label}: F1 {f1}")
        return
    if batch is not None:
        if args:
            fail("give either ticket text or --batch FILE", EXIT_USAGE)
        if not text:
            fail(
                "--batch needs --text with the column(s) holding the ticket text, e.g. 'title+body'",
                EXIT_USAGE,
            )
        for line in run(lambda: list(services.support.triage_batch(kb, batch, text))):
            print_json(line)
        return
    result = run(services.support.triage, kb, " ".join(args))
    if as_json:
        print_json(result)
        return
    for target_name, p in result["predictions"].items():
        typer.echo(f"{target_name}: {p['label']} ({p['confidence']:.0%})")
    if not result["predictions"]:
        typer.echo("(no triage model yet: assistant triage train --kb NAME --target category)")
    if result["duplicates"]:
        typer.echo("likely duplicates: " + ", ".join(d["id"] for d in result["duplicates"]))
    typer.echo("similar incidents:")
    for s_ in result["similar"]:
        typer.echo(
            f"  {s_['id']} [{s_['status']}] {s_['title'][:80]}"
            + (f"\n      -> {s_['resolution'][:160]}" if s_["resolution"] else "")
        )
    typer.echo("suggested articles:")
    for a in result["articles"]:
        typer.echo(f"  {a['source']}{', p. ' + str(a['page']) if a['page'] else ''} — {a['section']}")


@faq_app.command("suggest")
def faq_suggest(kb: KbOpt, as_json: JsonOpt = False) -> None:
    """Cluster resolved tickets and draft FAQ entries (question, answer, source tickets) for review."""
    services = run(open_services)
    run(services.kbs.get, kb)
    drafts = run(services.support.faq_suggest, kb)
    if as_json:
        print_json(drafts)
        return
    if not drafts:
        typer.echo("no cluster of resolved tickets yet")
    for d in drafts:
        typer.echo(
            f"[{d['id']}] ({d['status']})\nQ: {d['question']}\nA: {d['answer']}\n   (from {', '.join(d['tickets'])})\n"
        )
    if drafts:
        typer.echo(
            f"approve one into the knowledge base: assistant faq approve ID --kb {kb} [--question ...] [--answer ...]"
        )


@faq_app.command("approve")
def faq_approve(
    draft_id: Annotated[str, typer.Argument(help="Draft id from `assistant faq suggest`.")],
    kb: KbOpt,
    question: Annotated[str | None, typer.Option("--question", help="Edited question.")] = None,
    answer: Annotated[str | None, typer.Option("--answer", help="Edited answer.")] = None,
) -> None:
    """Approve an FAQ draft into the knowledge base (answers can then cite it)."""
    services = run(open_services)
    entry = run(services.support.faq_approve, kb, draft_id, question, answer)
    typer.echo(f"approved {entry['id']} as {entry['source']}")
