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


@faq_app.command("review")
def faq_review(
    kb: KbOpt,
    status: Annotated[
        str, typer.Option("--status", help="draft (waiting for a decision), approved, rejected or all.")
    ] = "draft",
    as_json: JsonOpt = False,
) -> None:
    """The FAQ drafts waiting for a decision (accept or reject each)."""
    if status not in ("draft", "approved", "rejected", "all"):
        fail("--status must be draft, approved, rejected or all", EXIT_USAGE)
    services = run(open_services)
    drafts = run(services.support.tickets.faq_drafts, kb, None if status == "all" else status)
    if as_json:
        print_json(drafts)
        return
    for d in drafts:
        typer.echo(
            f"[{d['id']}] ({d['status']})\nQ: {d['question']}\nA: {d['answer']}\n   (from {', '.join(d['tickets'])})\n"
        )
    typer.echo(
        f"{len(drafts)} drafts"
        + (f"; accept: assistant faq accept ID --kb {kb}" if status == "draft" and drafts else "")
    )


@faq_app.command("accept")
def faq_accept(
    draft_id: Annotated[str, typer.Argument(help="Draft id from `assistant faq review`.")],
    kb: KbOpt,
    question: Annotated[str | None, typer.Option("--question", help="Edited question.")] = None,
    answer: Annotated[str | None, typer.Option("--answer", help="Edited answer.")] = None,
) -> None:
    """Accept an FAQ draft: it becomes an FAQ document of the knowledge base, indexed at once."""
    services = run(open_services)
    entry = run(services.support.faq_approve, kb, draft_id, question, answer)
    typer.echo(f"accepted {entry['id']} as {entry['source']} (from tickets {', '.join(entry['tickets'])})")


@faq_app.command("reject")
def faq_reject(
    draft_id: Annotated[str, typer.Argument(help="Draft id from `assistant faq review`.")],
    kb: KbOpt,
) -> None:
    """Reject an FAQ draft (it is not suggested again)."""
    services = run(open_services)
    run(services.support.tickets.reject_faq_draft, kb, draft_id)
    typer.echo(f"rejected {draft_id}")


def _actor(by: str | None) -> str:
    import getpass

    if by:
        return by.strip()[:100]
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no login name in a container: say so plainly
        return "cli"


ByOpt = Annotated[str | None, typer.Option("--by", help="Who makes the change (default: your login name).")]
VersionOpt = Annotated[
    int | None,
    typer.Option("--version", help="The ticket version you saw; refused if someone changed it since."),
]
SLA_WORDS = {
    "on_track": "on track",
    "due_soon": "due soon",
    "breached": "SLA breached",
    "met": "SLA met",
    "missed": "SLA missed",
    "none": "no SLA clock",
}


@tickets_app.command("list")
def tickets_list(
    kb: KbOpt,
    status: Annotated[
        str | None, typer.Option("--status", help="new, analysing, resolved or reviewed.")
    ] = None,
    source: Annotated[str | None, typer.Option("--source", help="helpdesk, import or api.")] = None,
    assignee: Annotated[str | None, typer.Option("--assignee")] = None,
    sla: Annotated[
        str | None, typer.Option("--sla", help="on_track, due_soon, breached, met, missed or none.")
    ] = None,
    limit: Annotated[int | None, typer.Option("--limit", min=1)] = None,
    sort: Annotated[
        str, typer.Option("--sort", help="newest, oldest or priority (most urgent first).")
    ] = "newest",
    category: Annotated[str | None, typer.Option("--category")] = None,
    priority: Annotated[str | None, typer.Option("--priority")] = None,
    as_json: JsonOpt = False,
) -> None:
    """The ticket queue, newest first; with --json one line per ticket (id, status, priority,
    sla_state, source, ...)."""
    from assistant.support.models import STATES

    if status is not None and status not in STATES:
        fail(f"unknown status {status!r}; use one of: {', '.join(STATES)}", EXIT_USAGE)
    if sla is not None and sla not in SLA_WORDS:
        fail(f"unknown SLA state {sla!r}; use one of: {', '.join(SLA_WORDS)}", EXIT_USAGE)
    services = run(open_services)
    if not services.kbs.exists(kb):
        fail(f"knowledge base {kb!r} does not exist")
    rows = run(
        services.ticket_work.queue,
        kb,
        status,
        source,
        assignee,
        sla,
        limit,
        sort=sort,
        category=category,
        priority=priority,
    )
    if as_json:
        import json

        for r in rows:
            typer.echo(
                json.dumps(
                    {
                        "id": r["id"],
                        "status": r["status"],
                        "priority": r["priority"],
                        "sla_state": r["sla_state"],
                        "sla_level": r["sla"]["level"],
                        "source": r["source"],
                        "title": r["title"],
                        "category": r["category"],
                        "assignee": r["assignee"],
                        "created": r["created"] or r["created_at"],
                        "version": r["version"],
                        "master": r["master"],
                    },
                    ensure_ascii=False,
                )
            )
        return
    for r in rows:
        who = f" → {r['assignee']}" if r["assignee"] else ""
        typer.echo(
            f"{r['id']:14} {r['status']:9} {r['priority'] or '-':8} {SLA_WORDS[r['sla_state']]:13} "
            f"{r['source']:8} {r['title'][:60]}{who}"
        )
    typer.echo(f"{len(rows)} tickets")


@tickets_app.command("show")
def tickets_show(
    ticket_id: Annotated[str, typer.Argument(help="Ticket id.")],
    kb: KbOpt,
    as_json: JsonOpt = False,
) -> None:
    """A ticket with its conversation, replies and audit trail."""
    services = run(open_services)
    t = run(services.ticket_work.show, kb, ticket_id)
    if as_json:
        print_json(t)
        return
    typer.echo(
        f"{t['id']} · {t['status']} · {t['priority'] or 'no priority'} · {SLA_WORDS[t['sla_state']]} · version {t['version']}"
    )
    typer.echo(t["title"])
    typer.echo(t["text"])
    if t["assignee"]:
        typer.echo(f"assigned to {t['assignee']}")
    if t["master"]:
        typer.echo(f"duplicate of {t['master']}")
    if t["resolution"]:
        typer.echo(f"resolution: {t['resolution']}")
    for turn in t["conversation"]:
        if "q" in turn:
            typer.echo(f"  [user] {str(turn['q'])[:200]}\n  [assistant] {str(turn.get('a', ''))[:200]}")
        else:
            typer.echo(f"  [{turn.get('role', '?')}] {str(turn.get('text', ''))[:200]}")
    for e in t["events"]:
        what = "; ".join(f"{k}: {v}" for k, v in e["detail"].items() if v)
        typer.echo(f"  {e['at'][:16].replace('T', ' ')} UTC {e['actor']}: {e['action']} {what}")


@tickets_app.command("assign")
def tickets_assign(
    ticket_id: Annotated[str, typer.Argument()],
    to: Annotated[str, typer.Option("--to", help="The person who takes the ticket.")],
    kb: KbOpt,
    by: ByOpt = None,
    version: VersionOpt = None,
) -> None:
    """Assign a ticket (a new one moves to analysing)."""
    services = run(open_services)
    t = run(services.ticket_work.assign, kb, ticket_id, to, _actor(by), version)
    typer.echo(f"{t['id']}: assigned to {t['assignee']} ({t['status']}, version {t['version']})")


@tickets_app.command("reply")
def tickets_reply(
    ticket_id: Annotated[str, typer.Argument()],
    text: Annotated[str, typer.Option("--text", help="The reply the user sees.")],
    kb: KbOpt,
    by: ByOpt = None,
    version: VersionOpt = None,
) -> None:
    """Reply to the person who opened the ticket (shown in their help-desk view)."""
    services = run(open_services)
    t = run(services.ticket_work.reply, kb, ticket_id, text, _actor(by), version)
    typer.echo(f"{t['id']}: reply {len(t['replies'])} sent (version {t['version']})")


@tickets_app.command("link")
def tickets_link(
    ticket_id: Annotated[str, typer.Argument(help="The duplicate.")],
    to: Annotated[str, typer.Option("--to", help="The master ticket it duplicates.")],
    kb: KbOpt,
    by: ByOpt = None,
    version: VersionOpt = None,
) -> None:
    """Close a ticket as a duplicate of another, with a pointer to it."""
    services = run(open_services)
    t = run(services.ticket_work.link, kb, ticket_id, to, _actor(by), version)
    typer.echo(f"{t['id']}: resolved as a duplicate of {t['master']}")


@tickets_app.command("resolve")
def tickets_resolve(
    ticket_id: Annotated[str, typer.Argument()],
    note: Annotated[str, typer.Option("--note", help="What was done (required).")],
    kb: KbOpt,
    by: ByOpt = None,
    version: VersionOpt = None,
) -> None:
    """Resolve a ticket with a resolution note."""
    services = run(open_services)
    t = run(services.ticket_work.resolve, kb, ticket_id, note, _actor(by), version)
    typer.echo(f"{t['id']}: resolved ({SLA_WORDS[t['sla_state']]})")


@tickets_app.command("review")
def tickets_review(
    ticket_id: Annotated[str, typer.Argument()],
    kb: KbOpt,
    comment: Annotated[str, typer.Option("--comment")] = "",
    by: ByOpt = None,
    version: VersionOpt = None,
) -> None:
    """Confirm a resolved ticket after review (the end of the loop)."""
    services = run(open_services)
    t = run(services.ticket_work.review, kb, ticket_id, _actor(by), comment, version)
    typer.echo(f"{t['id']}: reviewed")


@tickets_app.command("reopen")
def tickets_reopen(
    ticket_id: Annotated[str, typer.Argument()],
    kb: KbOpt,
    comment: Annotated[str, typer.Option("--comment", help="Why it is not solved.")] = "",
    by: ByOpt = None,
    version: VersionOpt = None,
) -> None:
    """Reopen a resolved ticket (back to analysing)."""
    services = run(open_services)
    t = run(services.ticket_work.reopen, kb, ticket_id, _actor(by), comment, version)
    typer.echo(f"{t['id']}: reopened ({t['status']})")


@tickets_app.command("classify")
def tickets_classify(
    ticket_id: Annotated[str, typer.Argument()],
    kb: KbOpt,
    category: Annotated[str | None, typer.Option("--category", help="The category to set.")] = None,
    priority: Annotated[str | None, typer.Option("--priority", help="The priority to set.")] = None,
    by: ByOpt = None,
    version: VersionOpt = None,
) -> None:
    """Set a ticket's category and/or priority (e.g. the triage suggestion); the old values are audited."""
    services = run(open_services)
    t = run(services.ticket_work.classify, kb, ticket_id, _actor(by), category, priority, version)
    typer.echo(
        f"{t['id']}: category {t['category'] or '-'}, priority {t['priority'] or '-'} (version {t['version']})"
    )


@tickets_app.command("attach")
def tickets_attach(
    ticket_id: Annotated[str, typer.Argument()],
    file: Annotated[Path, typer.Argument(help="A screenshot, PDF, Office file, log or text file.")],
    kb: KbOpt,
    by: ByOpt = None,
) -> None:
    """Attach a file to a ticket (checked by type, content and size; shown with the ticket)."""
    if not file.is_file():
        fail(f"{file} is not a file", EXIT_USAGE)
    services = run(open_services)
    t = run(services.ticket_work.attach, kb, ticket_id, file.name, file.read_bytes(), _actor(by))
    typer.echo(f"{t['id']}: attached {t['events'][-1]['detail']['file']} ({len(t['attachments'])} file(s))")
