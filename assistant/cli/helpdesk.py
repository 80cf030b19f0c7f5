"""The help desk: `assistant ask`, `assistant feedback`, `assistant report ...`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from assistant.cli.common import EXIT_USAGE, JsonOpt, KbOpt, app, fail, open_services, print_json, run

report_app = typer.Typer(help="Reports for continuous improvement.", no_args_is_help=True)
app.add_typer(report_app, name="report")


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="The question, in Chinese or English.")],
    kb: KbOpt,
    conversation: Annotated[
        str | None,
        typer.Option("--conversation", help="Continue a conversation (id from an earlier answer)."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Answer a question from the knowledge base with numbered citations, or say it is not covered.

    Example: assistant ask "如何重置密码？" --kb demo, then assistant ask "那第二步呢？" --kb demo --conversation ID
    """
    services = run(open_services)
    answer = run(services.helpdesk.ask, kb, question, conversation)
    if as_json:
        print_json(answer.public())
        return
    typer.echo(answer.answer)
    if answer.citations:
        typer.echo("")
        for c in answer.citations:
            where = c.source + (f", p. {c.page}" if c.page else "") + (f" — {c.section}" if c.section else "")
            typer.echo(f"[{c.n}] {where}")
    if answer.flags:
        typer.echo(f"\n(flags: {', '.join(answer.flags)})", err=True)
    hint = f"assistant tickets open {json.dumps(question, ensure_ascii=False)} --kb {kb} --conversation {answer.conversation_id}"
    typer.echo(f"\nconversation: {answer.conversation_id}   message: {answer.message_id}", err=True)
    if not answer.found:
        typer.echo(f"open a ticket: {hint}", err=True)


#: what each tool did, in words, for the trace printed before an answer
TOOL_WORDS = {
    "search_knowledge_base": "searched the knowledge base for",
    "lookup_requirement": "looked up requirement",
    "find_similar_incidents": "looked for similar incidents to",
    "triage_ticket": "triaged",
}


@app.command()
def agent(
    question: Annotated[str, typer.Argument(help="A question in Chinese or English.")],
    kb: KbOpt,
    max_steps: Annotated[int, typer.Option("--max-steps", min=1, max=10, help="Model calls at most.")] = 4,
    as_json: JsonOpt = False,
) -> None:
    """LLM modes: let the model search the knowledge base, look up requirements and incidents, then answer.

    Example: ASSISTANT_LLM__MODE=openai ASSISTANT_LLM__BASE_URL=http://127.0.0.1:11434/v1 \
    assistant agent "REQ-PO-003 要求什么？" --kb demo
    """
    services = run(open_services)
    run(services.kbs.get, kb)
    result = run(services.ask_with_tools, kb, question, None, max_steps)
    if as_json:
        print_json(
            {
                "answer": result.answer,
                "complete": result.complete,
                "steps": result.steps,
                "tool_calls": [
                    {"name": c.name, "args": c.args, "result": c.result} for c in result.tool_calls
                ],
            }
        )
        return
    for c in result.tool_calls:
        what = ", ".join(str(v) for v in c.args.values())
        typer.echo(f"· {TOOL_WORDS.get(c.name, c.name)}: {what}", err=True)
    if not result.complete:
        fail(f"no answer within {max_steps} model calls; raise --max-steps")
    typer.echo(result.answer)


@app.command()
def feedback(
    message_id: Annotated[str, typer.Argument(help="The message id printed after an answer.")],
    rating: Annotated[str, typer.Argument(help="up or down")],
    comment: Annotated[str | None, typer.Option("--comment", help="What was wrong or missing.")] = None,
) -> None:
    """Record thumbs up/down for an answer."""
    if rating not in ("up", "down"):
        fail("rating must be 'up' or 'down'", EXIT_USAGE)
    services = run(open_services)
    run(services.helpdesk.feedback, message_id, 1 if rating == "up" else -1, comment)
    typer.echo("thanks, feedback recorded")


@report_app.command("benefit")
def report_benefit(
    kb: KbOpt,
    date_from: Annotated[str | None, typer.Option("--from", help="First day, e.g. 2026-11-01.")] = None,
    date_to: Annotated[str | None, typer.Option("--to", help="Last day (default: today).")] = None,
    language: Annotated[str, typer.Option("--language", help="zh or en.")] = "zh",
    out: Annotated[
        Path | None, typer.Option("--out", help="Folder for the Markdown and DOCX report.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """The project's benefit report: deflection, tickets per week, SLA, recurring problems and the FAQ
    entries added for them, change requests; Markdown and DOCX (with charts) with --out."""
    from assistant.services import benefit_docx, benefit_markdown

    if language not in ("zh", "en"):
        fail("--language must be zh or en", EXIT_USAGE)
    services = run(open_services)
    r = run(services.benefit, kb, date_from, date_to)
    if out is not None:
        if out.exists() and not out.is_dir():
            fail(f"{out} is a file; give a folder for the report", EXIT_USAGE)
        stem = f"benefit-{r['from']}-{r['to']}"
        out.mkdir(parents=True, exist_ok=True)
        (out / f"{stem}.md").write_text(benefit_markdown(r, language), encoding="utf-8")
        benefit_docx(r, out / f"{stem}.docx", language)
        typer.echo(f"wrote {out / (stem + '.md')} and {out / (stem + '.docx')}", err=True)
    if as_json:
        print_json(r)
    elif out is None:
        typer.echo(benefit_markdown(r, language))


@report_app.command("insights")
def report_insights(
    kb: KbOpt,
    date_from: Annotated[str | None, typer.Option("--from", help="First day, e.g. 2026-11-01.")] = None,
    date_to: Annotated[str | None, typer.Option("--to", help="Last day.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Questions per day and found rate, feedback, top unanswered topics, tickets (by category, priority
    and SLA state) and change requests, for a period."""
    services = run(open_services)
    data = run(services.insights, kb, date_from, date_to)
    if as_json:
        print_json(data)
        return
    rate = "-" if data["found_rate"] is None else f"{data['found_rate']:.0%}"
    typer.echo(f"questions: {data['questions']}  answered from the docs: {rate}")
    for d in data["questions_per_day"]:
        typer.echo(f"  {d['day']}  {d['questions']:4d} asked  {d['not_found']:4d} not found")
    typer.echo("top unanswered topics:")
    for g in data["top_unanswered"]:
        typer.echo(f"  {g['count']:3d}  {g['topic']}")
    typer.echo(
        "change requests: "
        + (", ".join(f"{c['status']} {c['count']}" for c in data["change_requests_by_state"]) or "none")
    )
    typer.echo(f"tickets: {sum(r['tickets'] for r in data['tickets_by_category'])}")


@report_app.command("gaps")
def report_gaps(
    kb: KbOpt,
    since: Annotated[str | None, typer.Option(help="ISO date, e.g. 2026-11-01.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Unanswered and down-voted questions grouped by topic: the content backlog."""
    services = run(open_services)
    run(services.kbs.get, kb)
    groups = run(services.helpdesk.gaps, kb, since)
    if as_json:
        print_json(groups)
        return
    if not groups:
        typer.echo("no unanswered or down-voted questions")
    for g in groups:
        typer.echo(f"## {g['topic']}  ({g['count']})")
        for q in g["questions"]:
            extra = f" — {q['comment']}" if q.get("comment") else ""
            typer.echo(f"- [{q['reason']}] {q['question']}{extra}")
