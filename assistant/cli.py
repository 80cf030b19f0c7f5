"""The ``assistant`` command line.

Examples::

    assistant ingest corpus/ --kb demo
    assistant search "如何创建采购申请" --kb demo -k 5
    assistant search --kb demo --batch questions.jsonl -k 10 --json
    assistant kb list
    assistant eval retrieval --bench ../shared/datasets/qa/dolphinscheduler-en
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from assistant.errors import AssistantError, InvalidInput, NotFound
from assistant.schemas import DocType, FileOutcome, IngestReport

app = typer.Typer(
    help="Implementation assistant: knowledge bases, grounded search and answers, offline by default.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
kb_app = typer.Typer(help="List, inspect and delete knowledge bases.", no_args_is_help=True)
eval_app = typer.Typer(help="Evaluation harness (reports go to evals/reports/).", no_args_is_help=True)
report_app = typer.Typer(help="Reports for continuous improvement.", no_args_is_help=True)
tickets_app = typer.Typer(help="Support tickets.", no_args_is_help=True)
keys_app = typer.Typer(help="API keys for the HTTP API (stored hashed; shown once).", no_args_is_help=True)
app.add_typer(kb_app, name="kb")
app.add_typer(eval_app, name="eval")
app.add_typer(report_app, name="report")
app.add_typer(tickets_app, name="tickets")
app.add_typer(keys_app, name="keys")

EXIT_ERROR = 1
EXIT_USAGE = 2

KbOpt = Annotated[
    str, typer.Option("--kb", help="Knowledge-base name (any language), e.g. 'acme-erp' or '华东工厂'.")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON instead of text.")]


def _services():  # type: ignore[no-untyped-def]
    from assistant.services import build_services
    from assistant.settings import get_settings

    return build_services(_run(get_settings))


def fail(message: str, code: int = EXIT_ERROR) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def _run(fn, *args, **kwargs):  # type: ignore[no-untyped-def]
    """Call a service and turn the assistant's errors into a one-line message and an exit code."""
    try:
        return fn(*args, **kwargs)
    except InvalidInput as e:
        fail(str(e), EXIT_USAGE)
    except NotFound as e:
        fail(str(e))
    except AssistantError as e:
        fail(str(e))


def _print_json(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False))


def _parse_type(value: str | None) -> DocType | None:
    if value is None:
        return None
    try:
        return DocType(value.lower())
    except ValueError:
        fail(
            f"unknown document type {value!r}; use one of: {', '.join(t.value for t in DocType)}", EXIT_USAGE
        )


# ---------------------------------------------------------------------------------------------
@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders to ingest.")],
    kb: KbOpt,
    doc_type: Annotated[
        str | None,
        typer.Option(
            "--type", help="Document type for all files: spec, manual, faq, incident, transcript, other."
        ),
    ] = None,
    version: Annotated[
        str | None, typer.Option("--version", help="Version label (default: file modification time).")
    ] = None,
    prune: Annotated[bool, typer.Option("--prune", help="Remove documents whose files are gone.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Ingest files and folders (PDF, DOCX, Markdown, HTML, text) into a knowledge base.

    Unchanged files are skipped, changed ones replaced whole. Exits 1 if any file failed.
    """
    dtype = _parse_type(doc_type)
    services = _run(_services)
    if as_json:
        report = _run(services.ingest, kb, paths, doc_type=dtype, version=version, prune=prune)
        _print_json(_report_json(report))
    else:
        report = _ingest_with_progress(services, kb, paths, dtype, version, prune)
        _print_report(report)
    if report.failed:
        raise typer.Exit(EXIT_ERROR)


def _report_json(report: IngestReport) -> dict[str, Any]:
    return {
        "kb": report.kb,
        "counts": report.counts(),
        "chunks_embedded": report.chunks_embedded,
        "seconds": report.seconds,
        "files": [f.model_dump() for f in report.files],
        "ok": not report.failed,
    }


def _ingest_with_progress(services, kb, paths, dtype, version, prune) -> IngestReport:  # type: ignore[no-untyped-def]
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)
    with Progress(
        TextColumn("[bold]ingest[/bold] {task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task(kb, total=None)

        def on_event(event: str, data: dict[str, Any]) -> None:
            if event == "start":
                bar.update(task, total=data["files"])
            elif event == "embed":
                bar.update(task, description=f"{kb}: embedding {data['chunks']} chunks")
            elif event == "file":
                outcome: FileOutcome = data["outcome"]  # type: ignore[assignment]
                if outcome.status != "pruned":
                    bar.advance(task)
                bar.update(task, description=f"{kb}: {outcome.source or outcome.path}")

        return _run(
            services.ingest, kb, paths, doc_type=dtype, version=version, prune=prune, progress=on_event
        )


def _print_report(report: IngestReport) -> None:
    for f in report.files:
        if f.status in ("failed", "skipped", "pruned"):
            typer.echo(f"{f.status:9} {f.source or f.path}: {f.reason}")
        elif f.status != "unchanged":
            typer.echo(f"{f.status:9} {f.source} ({f.chunks} chunks)")
    counts = ", ".join(f"{n} {k}" for k, n in sorted(report.counts().items()))
    typer.echo(
        f"knowledge base {report.kb!r}: {counts or 'nothing to do'}; {report.chunks_embedded} chunks embedded "
        f"in {report.seconds:.1f} s"
    )


# ---------------------------------------------------------------------------------------------
@app.command()
def search(
    kb: KbOpt,
    query: Annotated[str | None, typer.Argument(help="The question or keywords.")] = None,
    k: Annotated[int, typer.Option("-k", "--k", help="Number of results.", min=1, max=100)] = 5,
    doc_type: Annotated[
        list[str] | None, typer.Option("--type", help="Only these document types (repeatable).")
    ] = None,
    lang: Annotated[
        list[str] | None, typer.Option("--lang", help="Only chunks in these languages: zh, en (repeatable).")
    ] = None,
    batch: Annotated[
        Path | None, typer.Option("--batch", help='JSONL file of {"id", "question"} objects.')
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Hybrid search (dense + BM25 with Chinese segmentation) over a knowledge base."""
    if (query is None) == (batch is None):
        fail("give either a QUERY or --batch FILE", EXIT_USAGE)
    types = [t.value for t in (_parse_type(t) for t in doc_type or []) if t]
    services = _run(_services)
    searcher = _run(services.searcher, kb)
    if batch is not None:
        _batch_search(searcher, batch, k, types or None, lang or None)
        return
    hits = _run(searcher.search, query, k, types or None, lang or None)
    if as_json:
        _print_json({"query": query, "results": [h.public() for h in hits]})
        return
    if not hits:
        typer.echo("no results")
    for i, h in enumerate(hits, 1):
        c = h.chunk
        where = c.source + (f", p. {c.page}" if c.page else "")
        typer.echo(f"[{i}] {where} — {c.section or c.title}  (score {h.score:.4f})")
        snippet = " ".join(c.text.split())
        typer.echo(f"    {snippet[:300]}{'…' if len(snippet) > 300 else ''}")


def _batch_search(searcher, batch: Path, k: int, types, langs) -> None:  # type: ignore[no-untyped-def]
    try:
        lines = batch.read_text(encoding="utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError) as e:
        fail(f"cannot read {batch}: {e}")
    errors = 0
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            if not isinstance(item, dict) or "id" not in item or not isinstance(item.get("question"), str):
                raise InvalidInput('each line needs "id" and a string "question"')
            hits = searcher.search(item["question"], k, types, langs)
            out = {"id": item["id"], "results": [_batch_hit(h) for h in hits]}
        except (json.JSONDecodeError, AssistantError) as e:
            errors += 1
            out = {
                "id": item.get("id") if isinstance(locals().get("item"), dict) else None,
                "line": number,
                "error": str(e),
                "results": [],
            }
            typer.echo(f"error: line {number}: {e}", err=True)
        _print_json(out)
        item = None
    if errors:
        raise typer.Exit(EXIT_ERROR)


def _batch_hit(hit) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    p = hit.public()
    return {key: p[key] for key in ("source", "page", "section", "score", "text")}


# ---------------------------------------------------------------------------------------------
@kb_app.command("list")
def kb_list(as_json: JsonOpt = False) -> None:
    """List knowledge bases with their document and chunk counts."""
    services = _run(_services)
    infos = _run(services.list_kbs)
    if as_json:
        _print_json([i.model_dump() for i in infos])
        return
    if not infos:
        typer.echo("no knowledge bases yet; create one with `assistant ingest PATH --kb NAME`")
    for i in infos:
        typer.echo(
            f"{i.name}\t{i.documents} documents\t{i.chunks} chunks\t{i.failed} failed\tcreated {i.created_at}"
        )


@kb_app.command("stats")
def kb_stats(kb: KbOpt, as_json: JsonOpt = False) -> None:
    """Documents, chunks, languages and types of one knowledge base."""
    services = _run(_services)
    stats = _run(services.kb_stats, kb)
    if as_json:
        _print_json(stats)
        return
    for key in (
        "name",
        "created_at",
        "embedding_model",
        "documents",
        "chunks",
        "vectors",
        "failed",
        "total_chars",
        "avg_chunk_chars",
        "documents_by_type",
        "chunks_by_language",
        "pending_cleanup",
    ):
        typer.echo(f"{key}: {stats[key]}")
    for d in stats["documents_detail"]:
        err = f"  ({d['error']})" if d["error"] else ""
        typer.echo(f"  {d['status']:6} {d['doc_type']:10} {d['chunks']:4} chunks  {d['source']}{err}")


@kb_app.command("delete")
def kb_delete(
    kb: KbOpt, yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask.")] = False
) -> None:
    """Delete a knowledge base and everything indexed in it (source files are not touched)."""
    if not yes and sys.stdin.isatty() and not typer.confirm(f"Delete knowledge base {kb!r}?"):
        raise typer.Exit(EXIT_ERROR)
    services = _run(_services)
    _run(services.delete_kb, kb)
    typer.echo(f"deleted knowledge base {kb!r}")


# ---------------------------------------------------------------------------------------------
@eval_app.command("retrieval")
def eval_retrieval(
    bench: Annotated[Path, typer.Option("--bench", help="Benchmark folder with docs/ and questions.jsonl.")],
    k: Annotated[int, typer.Option("--k", help="Cut-off for recall.", min=1, max=100)] = 5,
    out: Annotated[Path | None, typer.Option("--out", help="Write the report (Markdown) here too.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Ingest a benchmark into a throwaway knowledge base and report recall@k, MRR@10 and speed."""
    from evals.retrieval import run_retrieval_eval

    services = _run(_services)
    result = _run(run_retrieval_eval, services, bench, k=k, log=lambda m: typer.echo(m, err=True))
    if as_json:
        _print_json(result)
    else:
        from evals.retrieval import format_report

        typer.echo(format_report(result))
    if out:
        from evals.retrieval import format_report

        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(format_report(result), encoding="utf-8")


# ---------------------------------------------------------------------------------------------
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
    services = _run(_services)
    answer = _run(services.helpdesk.ask, kb, question, conversation)
    if as_json:
        _print_json(answer.public())
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


@app.command()
def feedback(
    message_id: Annotated[str, typer.Argument(help="The message id printed after an answer.")],
    rating: Annotated[str, typer.Argument(help="up or down")],
    comment: Annotated[str | None, typer.Option("--comment", help="What was wrong or missing.")] = None,
) -> None:
    """Record thumbs up/down for an answer."""
    if rating not in ("up", "down"):
        fail("rating must be 'up' or 'down'", EXIT_USAGE)
    services = _run(_services)
    _run(services.helpdesk.feedback, message_id, 1 if rating == "up" else -1, comment)
    typer.echo("thanks, feedback recorded")


@report_app.command("insights")
def report_insights(kb: KbOpt, as_json: JsonOpt = False) -> None:
    """Questions per day and found rate, feedback, top unanswered topics, tickets and change requests."""
    services = _run(_services)
    data = _run(services.insights, kb)
    if as_json:
        _print_json(data)
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
    services = _run(_services)
    _run(services.kbs.get, kb)
    groups = _run(services.helpdesk.gaps, kb, since)
    if as_json:
        _print_json(groups)
        return
    if not groups:
        typer.echo("no unanswered or down-voted questions")
    for g in groups:
        typer.echo(f"## {g['topic']}  ({g['count']})")
        for q in g["questions"]:
            extra = f" — {q['comment']}" if q.get("comment") else ""
            typer.echo(f"- [{q['reason']}] {q['question']}{extra}")


@tickets_app.command("open")
def tickets_open(
    question: Annotated[str, typer.Argument(help="What the user asked.")],
    kb: KbOpt,
    conversation: Annotated[
        str | None, typer.Option("--conversation", help="Attach this conversation.")
    ] = None,
) -> None:
    """Open a support ticket for a question the documentation does not answer."""
    services = _run(_services)
    _run(services.kbs.get, kb)
    ticket = _run(services.helpdesk.open_ticket, kb, question, conversation)
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
    services = _run(_services)
    report = _run(services.support.import_file, kb, file, mapping, preset)
    data = report.as_dict()
    if as_json:
        _print_json(data)
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
    services = _run(_services)
    t = _run(services.support.tickets.set_status, kb, ticket_id, status, resolution)
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
    services = _run(_services)
    if args == ["train"]:
        metas = _run(services.support.train, kb, target or [], lambda m: typer.echo(m, err=True))
        if as_json:
            _print_json(metas)
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
        for line in _run(lambda: list(services.support.triage_batch(kb, batch, text))):
            _print_json(line)
        return
    result = _run(services.support.triage, kb, " ".join(args))
    if as_json:
        _print_json(result)
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


faq_app = typer.Typer(help="FAQ entries drafted from resolved tickets.", no_args_is_help=True)
app.add_typer(faq_app, name="faq")


@faq_app.command("suggest")
def faq_suggest(kb: KbOpt, as_json: JsonOpt = False) -> None:
    """Cluster resolved tickets and draft FAQ entries (question, answer, source tickets) for review."""
    services = _run(_services)
    _run(services.kbs.get, kb)
    drafts = _run(services.support.faq_suggest, kb)
    if as_json:
        _print_json(drafts)
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
    services = _run(_services)
    entry = _run(services.support.faq_approve, kb, draft_id, question, answer)
    typer.echo(f"approved {entry['id']} as {entry['source']}")


interview_app = typer.Typer(help="Interview capture and requirements extraction.", no_args_is_help=True)
spec_app = typer.Typer(help="Requirements specification (需求规格说明书).", no_args_is_help=True)
app.add_typer(interview_app, name="interview")
app.add_typer(spec_app, name="spec")


def _interviewee(value: str) -> dict[str, str]:
    parts = [p.strip() for p in value.split("|")]
    return {
        "name": parts[0],
        "role": parts[1] if len(parts) > 1 else "",
        "department": parts[2] if len(parts) > 2 else "",
    }


@interview_app.command("new")
def interview_new(
    project: Annotated[str, typer.Option("--project", help="Project name.")],
    module: Annotated[
        str, typer.Option("--module", help="procurement, inventory, production, sales, finance or hr.")
    ],
    interviewee: Annotated[
        list[str], typer.Option("--interviewee", help="'Name|Role|Department' (repeatable).")
    ],
    kb: Annotated[
        str | None, typer.Option("--kb", help="Knowledge base whose specs are checked for conflicts.")
    ] = None,
    consultant: Annotated[str | None, typer.Option("--consultant")] = None,
    date: Annotated[str | None, typer.Option("--date", help="YYYY-MM-DD")] = None,
    language: Annotated[
        str, typer.Option("--language", help="zh or en: the specification's language.")
    ] = "zh",
) -> None:
    """Start an interview session; prints its id."""
    services = _run(_services)
    s = _run(
        services.interviews.create,
        project,
        module,
        [_interviewee(v) for v in interviewee],
        kb,
        consultant,
        date,
        language,
    )
    typer.echo(s["id"])


@interview_app.command("add")
def interview_add(
    session: Annotated[str, typer.Argument(help="Session id.")],
    file: Annotated[Path | None, typer.Argument(help="Transcript: .txt, .vtt, .srt, .docx or .json.")] = None,
    text: Annotated[
        str | None, typer.Option("--text", help="Typed notes, e.g. '客户：我们每月盘点一次'.")
    ] = None,
    speaker: Annotated[
        str | None, typer.Option("--speaker", help="Speaker of --text when it has no label.")
    ] = None,
) -> None:
    """Add a transcript file or typed notes to a session."""
    from assistant.tools.transcripts import Turn, parse_transcript, read_transcript

    if (file is None) == (text is None):
        fail("give a transcript FILE or --text", EXIT_USAGE)
    services = _run(_services)
    if file is not None:
        turns = _run(read_transcript, file)
    else:
        notes = text or ""
        turns = (
            [Turn("", speaker, notes.strip())]
            if speaker
            else _run(parse_transcript, notes.encode("utf-8"), "notes.txt")
        )
    added = _run(services.interviews.add_turns, session, turns)
    typer.echo(f"added {len(added)} turn(s): {added[0].ref}..{added[-1].ref}")


@interview_app.command("extract")
def interview_extract(
    transcript: Annotated[Path | None, typer.Argument(help="A transcript file (or use --session).")] = None,
    session: Annotated[str | None, typer.Option("--session", help="Extract for a stored session.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Requirements (with quote and turn), pain points, process steps, open questions, contradictions."""
    from assistant.tools.extraction import extract, llm_extract
    from assistant.tools.transcripts import read_transcript

    if (transcript is None) == (session is None):
        fail("give a TRANSCRIPT file or --session ID", EXIT_USAGE)
    services = _run(_services)
    if session is not None:
        result = _run(services.extract_session, session)
    else:
        turns = _run(read_transcript, transcript)
        result = extract(turns)
        if services.llm is not None:
            result["requirements"], dropped = _run(llm_extract, services.llm, turns)
            result["dropped_quotes"] = dropped
        result["turns"] = [t.__dict__ for t in turns]
    if as_json:
        _print_json(result)
        return
    for r in result["requirements"]:
        typer.echo(
            f"{r['id']} [{r.get('type')}/{r.get('priority') or '-'}] {r['statement']}\n     “{r['quote']}” — {r['speaker']} {r['turn']}"
            + (f"  ⚠ {', '.join(r['notes'])}" if r.get("notes") else "")
        )
    for label, key in (
        ("pain points", "pain_points"),
        ("current process", "process_steps"),
        ("open questions", "open_questions"),
    ):
        if result[key]:
            typer.echo(f"\n{label}:")
            for x in result[key]:
                typer.echo(f"  - {x['quote']} ({x['speaker']} {x['turn']})")
    for c in result["contradictions"]:
        typer.echo(
            f"\ncontradiction: {c['speakers'][0]} {c['turns'][0]} vs {c['speakers'][1]} {c['turns'][1]}: {c['reason']}"
        )


@interview_app.command("guide")
def interview_guide(
    module: Annotated[str, typer.Option("--module")],
    language: Annotated[str, typer.Option("--language")] = "zh",
    session: Annotated[
        str | None, typer.Option("--session", help="Mark the topics this session covered.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """The module's question guide, with the topics not yet covered in a session."""
    services = _run(_services)
    g = _run(services.interviews.guide, module, language, session)
    if as_json:
        _print_json(g)
        return
    typer.echo(f"# {g['title']}")
    for t in g["topics"]:
        typer.echo(f"[{'x' if t['covered'] else ' '}] {t['topic']}")
        for q in t["questions"]:
            typer.echo(f"      - {q}")


@interview_app.command("edit")
def interview_edit(
    session: Annotated[str, typer.Argument()],
    item: Annotated[str, typer.Argument(help="Requirement id, e.g. R3.")],
    statement: Annotated[str | None, typer.Option("--statement")] = None,
    type_: Annotated[str | None, typer.Option("--type")] = None,
    priority: Annotated[str | None, typer.Option("--priority", help="Must, Should, Could, Won't.")] = None,
) -> None:
    """Edit an extracted requirement; edits survive re-extraction."""
    services = _run(_services)
    r = _run(services.interviews.edit, session, item, statement, type_, priority)
    typer.echo(f"{r['id']}: {r['statement']} [{r.get('type')}/{r.get('priority')}]")


@spec_app.command("draft")
def spec_draft(
    session: Annotated[str, typer.Option("--session", help="Interview session id.")],
    out: Annotated[Path, typer.Option("--out", help="Folder for the Markdown and DOCX files.")] = Path("."),
) -> None:
    """Assemble the requirements specification from a session and export it as Markdown and DOCX."""
    from assistant.tools.interviews import build_spec, spec_docx, spec_markdown

    services = _run(_services)
    s = _run(services.interviews.get, session)
    items = services.interviews.items(session)
    if not items["requirements"]:
        items = _run(services.extract_session, session)
    spec = build_spec(s, items, services.settings.home)
    out.mkdir(parents=True, exist_ok=True)
    md = out / f"spec-{session}.md"
    md.write_text(spec_markdown(spec), encoding="utf-8")
    docx_path = spec_docx(spec, out / f"spec-{session}.docx")
    typer.echo(f"{md}\n{docx_path}")


cr_app = typer.Typer(help="Change requests and the change-control-board workflow.", no_args_is_help=True)
app.add_typer(cr_app, name="cr")
AsOpt = Annotated[str, typer.Option("--as", help="Your name (recorded in the audit log).")]
RoleOpt = Annotated[str, typer.Option("--role", help="requester, consultant, ccb or admin.")]
CommentOpt = Annotated[str | None, typer.Option("--comment", help="Why (recorded in the audit log).")]


def _actor(name: str, role: str):  # type: ignore[no-untyped-def]
    from assistant.tools.changes import Actor

    return _run(Actor, name, role)


@cr_app.command("draft")
def cr_draft(
    kb: KbOpt,
    who: AsOpt,
    text: Annotated[
        str | None, typer.Argument(help="The request in the user's words (or use a source option).")
    ] = None,
    role: RoleOpt = "requester",
    ticket: Annotated[str | None, typer.Option("--ticket", help="Draft from a ticket id.")] = None,
    session: Annotated[
        str | None, typer.Option("--session", help="Draft from an interview session ...")
    ] = None,
    req: Annotated[str | None, typer.Option("--req", help="... and its requirement id, e.g. R2.")] = None,
    spec_req: Annotated[
        str | None, typer.Option("--spec-req", help="Draft from a spec requirement id, e.g. REQ-INV-011.")
    ] = None,
    title: Annotated[str | None, typer.Option("--title")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Draft a change request; impact estimates are marked as proposals for a person to confirm."""
    services = _run(_services)
    cr = _run(services.draft_change, kb, _actor(who, role), text, ticket, session, req, spec_req, title)
    if as_json:
        _print_json(cr)
    else:
        typer.echo(f"{cr['id']} ({cr['status']}): {cr['title']}")
        typer.echo(
            f"  modules: {', '.join(cr['affected_modules']) or '-'}; requirements: "
            f"{', '.join(r['id'] for r in cr['affected_requirements']) or '-'}; effort (proposed): "
            f"{cr['impact']['effort_days']['value']} days"
        )


@cr_app.command("show")
def cr_show(cr_id: Annotated[str, typer.Argument()], as_json: JsonOpt = False) -> None:
    """A change request with its approvals and audit log."""
    from assistant.tools.changes import export_markdown

    services = _run(_services)
    cr = _run(services.changes.get, cr_id)
    audit = services.changes.audit(cr_id)
    if as_json:
        _print_json({**cr, "audit": audit})
    else:
        typer.echo(export_markdown(cr, audit))


@cr_app.command("list")
def cr_list(
    kb: Annotated[str | None, typer.Option("--kb")] = None,
    status: Annotated[str | None, typer.Option("--status")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Change requests, oldest first."""
    services = _run(_services)
    crs = services.changes.find(kb, status)
    if as_json:
        _print_json(crs)
        return
    for cr in crs:
        typer.echo(f"{cr['id']}\t{cr['status']}\t{cr['requester']}\t{cr['title']}")


def _cr_action(action: str):  # type: ignore[no-untyped-def]
    def command(
        cr_id: Annotated[str, typer.Argument()],
        who: AsOpt,
        role: RoleOpt,
        comment: CommentOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        services = _run(_services)
        cr = _run(services.changes.act, cr_id, action, _actor(who, role), comment)
        if as_json:
            _print_json(cr)
        else:
            approvals = (
                f" ({len(cr['approvals'])}/{services.settings.change.approvals_required} approvals)"
                if action == "approve"
                else ""
            )
            typer.echo(f"{cr['id']}: {cr['status']}{approvals}")

    command.__doc__ = f"Workflow action '{action}' (refused with the legal actions when not allowed)."
    return command


for _action in (
    "submit",
    "review",
    "approve",
    "reject",
    "needs_info",
    "revise",
    "implement",
    "close",
    "withdraw",
):
    cr_app.command(_action.replace("_", "-"))(_cr_action(_action))


@cr_app.command("impact")
def cr_impact(
    cr_id: Annotated[str, typer.Argument()],
    who: AsOpt,
    role: RoleOpt = "consultant",
    effort: Annotated[float | None, typer.Option("--effort", help="Person-days.")] = None,
    schedule: Annotated[str | None, typer.Option("--schedule")] = None,
    cost: Annotated[float | None, typer.Option("--cost")] = None,
    risk: Annotated[str | None, typer.Option("--risk", help="low, medium or high.")] = None,
    comment: CommentOpt = None,
) -> None:
    """Fill or confirm impact estimates (consultant); they stop being proposals. Drafts only."""
    services = _run(_services)
    cr = _run(
        services.changes.confirm_impact, cr_id, _actor(who, role), effort, schedule, cost, risk, comment
    )
    typer.echo(", ".join(f"{k}: {v.get('value')}" for k, v in cr["impact"].items()))


@cr_app.command("report")
def cr_report(kb: KbOpt, as_json: JsonOpt = False) -> None:
    """Open changes by state and age, approved changes per module, effort added to the baseline."""
    services = _run(_services)
    r = services.changes.report(kb)
    if as_json:
        _print_json(r)
        return
    for state, items in r["open_by_state"].items():
        typer.echo(f"{state}: " + ", ".join(f"{i['id']} ({i['age_days']} d)" for i in items))
    typer.echo(
        f"approved per module: {r['approved_per_module']}; effort added: {r['effort_added_days']} days"
    )


@cr_app.command("export")
def cr_export(
    cr_id: Annotated[str, typer.Argument()],
    out: Annotated[Path, typer.Option("--out", help="Folder for Markdown and DOCX.")] = Path("."),
) -> None:
    """Export one change request as Markdown and DOCX."""
    from assistant.tools.changes import export_docx, export_markdown

    services = _run(_services)
    cr = _run(services.changes.get, cr_id)
    audit = services.changes.audit(cr_id)
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{cr_id}.md").write_text(export_markdown(cr, audit), encoding="utf-8")
    typer.echo(f"{out / (cr_id + '.md')}\n{export_docx(cr, audit, out / (cr_id + '.docx'))}")


requirements_app = typer.Typer(
    help="Requirement type classification (PROMISE taxonomy).", no_args_is_help=True
)
app.add_typer(requirements_app, name="requirements")


@requirements_app.command("train")
def requirements_train(
    data: Annotated[Path, typer.Option("--data", help="CSV/XLSX/JSON(L) or PROMISE .arff file.")],
    text_col: Annotated[
        str | None, typer.Option("--text-col", help="Column with the requirement text.")
    ] = None,
    label_col: Annotated[
        str | None, typer.Option("--label-col", help="Column with the type (F, PE, SE, ...).")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Train the requirement type classifier (stored in the data directory)."""
    from assistant.tools.requirements import RequirementClassifier, read_labeled

    if data.suffix.lower() != ".arff" and not label_col:
        fail("name the label column with --label-col", EXIT_USAGE)
    services = _run(_services)
    texts, labels = _run(read_labeled, data, text_col, label_col)
    meta = _run(RequirementClassifier(services.settings.home, services.embeddings).train, texts, labels)
    if as_json:
        _print_json(meta)
    else:
        typer.echo(
            f"trained on {meta['rows']} requirements, labels {', '.join(meta['labels'])}; "
            f"cross-validated macro-F1 {meta['cv_macro_f1']}"
        )


@requirements_app.command("classify")
def requirements_classify(
    batch: Annotated[Path, typer.Option("--batch", help="CSV/XLSX/JSON(L) of requirements.")],
    text_col: Annotated[str, typer.Option("--text-col", help="Column with the requirement text.")],
    as_json: JsonOpt = False,
) -> None:
    """Classify requirements: one {"row", "label", "confidence"} per row, in order."""
    from assistant.tools.requirements import TYPES, RequirementClassifier, read_labeled

    services = _run(_services)
    texts, _ = _run(read_labeled, batch, text_col, None)
    clf = RequirementClassifier(services.settings.home, services.embeddings)
    model = _run(clf.load)
    idx = [i for i, t in enumerate(texts) if t]
    results = dict(zip(idx, _run(clf.classify, [texts[i] for i in idx], model), strict=True))
    for i in range(len(texts)):
        if i not in results:
            line: dict[str, Any] = {"row": i + 1, "label": None, "confidence": 0.0, "error": "empty text"}
        else:
            label, conf = results[i]
            line = {"row": i + 1, "label": label, "confidence": round(conf, 3)}
        if as_json:
            _print_json(line)
        else:
            typer.echo(
                f"{line['row']}\t{line['label']} ({TYPES.get(line['label'] or '', '?')})\t{line['confidence']}"
            )


@keys_app.command("create")
def keys_create(
    name: Annotated[str, typer.Option("--name", help="Who or what uses the key.")],
    role: Annotated[str, typer.Option("--role", help="end_user, support, consultant or admin.")],
    kb: Annotated[
        list[str] | None, typer.Option("--kb", help="A knowledge base the key may use (repeatable).")
    ] = None,
    all_kbs: Annotated[bool, typer.Option("--all-kbs", help="Every knowledge base.")] = False,
) -> None:
    """Create an API key; the key is printed once."""
    from assistant.tools.auth import ALL_KBS, KeyStore

    services = _run(_services)
    secret, record = _run(KeyStore(services.db).create, name, role, [ALL_KBS] if all_kbs else (kb or []))
    typer.echo(secret)
    typer.echo(
        f"created key {record['id']} ({record['role']}, knowledge bases: {', '.join(record['kbs'])}); "
        "store it now, it is not shown again",
        err=True,
    )


@keys_app.command("demo")
def keys_demo(
    kb: Annotated[str, typer.Option("--kb", help="Knowledge base the demo keys may use.")] = "demo",
    out: Annotated[Path | None, typer.Option("--out", help="Where to keep them (default: data dir).")] = None,
) -> None:
    """Keys for every role, for trying the web UI (kept in a file readable only by you; reused if valid)."""
    from assistant.tools.auth import KeyStore

    services = _run(_services)
    store = KeyStore(services.db)
    path = out or services.settings.home / "demo-keys.txt"
    if path.exists():
        lines = [
            ln.split("\t")
            for ln in path.read_text(encoding="utf-8").splitlines()
            if ln and not ln.startswith("#")
        ]
        if lines and all(len(x) == 3 and store.authenticate(x[2]) for x in lines):
            typer.echo(path.read_text(encoding="utf-8"), nl=False)
            return
    try:  # a file we cannot write is refused before any key is made
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.chmod(0o600)
    except OSError as e:
        fail(f"cannot write {path}: {e.strerror or e}", EXIT_USAGE)
    people = [
        ("admin", "管理员 Admin"),
        ("end_user", "王小明"),
        ("support", "李娜 (support)"),
        ("consultant", "张顾问"),
        ("ccb", "陈总 (CCB)"),
        ("ccb", "刘经理 (CCB)"),
    ]
    rows = ["# role\tname\tkey  (demo keys; revoke with `assistant keys revoke ID`)"]
    for role, name in people:
        secret, _ = _run(store.create, name, role, [kb])
        rows.append(f"{role}\t{name}\t{secret}")
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    typer.echo(path.read_text(encoding="utf-8"), nl=False)


@keys_app.command("list")
def keys_list(as_json: JsonOpt = False) -> None:
    """List API keys (without secrets)."""
    from assistant.tools.auth import KeyStore

    services = _run(_services)
    keys = KeyStore(services.db).list()
    if as_json:
        _print_json(keys)
        return
    for k in keys:
        typer.echo(
            f"{k['id']}\t{k['prefix']}…\t{k['role']}\t{k['kbs']}\t{k['name']}"
            f"{'  (revoked)' if k['revoked'] else ''}"
        )


@keys_app.command("revoke")
def keys_revoke(key_id: Annotated[str, typer.Argument(help="Key id from `assistant keys list`.")]) -> None:
    """Revoke an API key."""
    from assistant.tools.auth import KeyStore

    services = _run(_services)
    _run(KeyStore(services.db).revoke, key_id)
    typer.echo(f"revoked {key_id}")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.", min=1, max=65535)] = 8000,
) -> None:
    """Start the HTTP API (OpenAPI docs at /docs)."""
    import uvicorn

    from assistant.api import create_app

    services = _run(_services)
    typer.echo(f"API on http://{host}:{port}  (docs: http://{host}:{port}/docs)", err=True)
    uvicorn.run(create_app(services), host=host, port=port, log_level="warning")


@app.command()
def ui(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Web UI port.", min=1, max=65535)] = 8501,
    api_port: Annotated[
        int, typer.Option("--api-port", help="HTTP API port (0: no API).", min=0, max=65535)
    ] = 8000,
) -> None:
    """Start the web UI and the HTTP API in one process (they share one embedded store)."""
    import socket
    import threading
    from pathlib import Path as _Path

    import uvicorn
    from streamlit.web import bootstrap

    import ui as ui_package
    from assistant.api import create_app
    from assistant.services import shared_services

    if api_port == port:
        fail("the web UI and the API need different ports", EXIT_USAGE)
    for p in (port, api_port) if api_port else (port,):
        with socket.socket() as probe:  # a busy port is an error now, not a silent API-less UI later
            try:
                probe.bind((host, p))
            except OSError as e:
                fail(f"cannot listen on {host}:{p} ({e.strerror or e}); choose another port", EXIT_USAGE)
    services = _run(shared_services)
    if api_port:
        server = uvicorn.Server(
            uvicorn.Config(create_app(services), host=host, port=api_port, log_level="warning")
        )
        threading.Thread(target=server.run, name="api", daemon=True).start()
        typer.echo(f"API: http://{host}:{api_port}/docs", err=True)
    keys = services.settings.home / "demo-keys.txt"
    typer.echo(f"UI:  http://{host}:{port}", err=True)
    if keys.exists():
        typer.echo(f"sign in with a key from {keys}", err=True)
    options = {
        "server_address": host,
        "server_port": port,
        "server_headless": True,
        "browser_gatherUsageStats": False,
        "server_fileWatcherType": "none",
        "client_toolbarMode": "viewer",
        "server_maxUploadSize": max(1, int(services.settings.ingest.max_file_mb)),
    }
    script = str(_Path(ui_package.__file__).parent / "app.py")
    bootstrap.load_config_options(flag_options=options)
    bootstrap.run(script, False, [], options)


@eval_app.command("answers")
def eval_answers(
    bench: Annotated[Path, typer.Option("--bench", help="Benchmark folder with docs/ and questions.jsonl.")],
    out: Annotated[Path | None, typer.Option("--out", help="Write the report (Markdown) here too.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Citation precision/recall, 'not found' on withheld gold documents, and answer latency."""
    from evals.answers import format_report, run_answer_eval

    services = _run(_services)
    result = _run(run_answer_eval, services, bench, log=lambda m: typer.echo(m, err=True))
    report = format_report(result)
    details = result.pop("details", {})
    if as_json:
        result.pop("calibration", None)
        result["withheld_found_ids"] = [a["id"] for a in details.get("withheld", []) if a["found"]]
        result["leave_one_out_found_ids"] = [a["id"] for a in details.get("leave_one_out", []) if a["found"]]
        _print_json(result)
    else:
        typer.echo(report)
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(report, encoding="utf-8")


@eval_app.command("triage")
def eval_triage(
    train: Annotated[Path, typer.Option("--train", help="Training export.")],
    test: Annotated[Path, typer.Option("--test", help="Test export.")],
    target: Annotated[str, typer.Option("--target", help="Field to predict (mapped name, e.g. priority).")],
    mapping: Annotated[
        str | None, typer.Option("--map", help="Column mapping, as for tickets import.")
    ] = None,
    preset: Annotated[str | None, typer.Option("--preset")] = None,
    out: Annotated[Path | None, typer.Option("--out")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Train on one export, test on another: macro-F1 and per-class F1."""
    from evals.triage import format_triage, run_triage_eval

    services = _run(_services)
    r = _run(run_triage_eval, services, train, test, target, mapping, preset)
    _emit(r, format_triage(r), as_json, out)


@eval_app.command("duplicates")
def eval_duplicates(
    history: Annotated[Path, typer.Option("--history", help="Incident history export.")],
    pairs: Annotated[
        Path, typer.Option("--pairs", help="CSV of known duplicates: issue id, duplicate id(s).")
    ],
    mapping: Annotated[str | None, typer.Option("--map", help="Column mapping for the history.")] = None,
    preset: Annotated[str | None, typer.Option("--preset")] = None,
    k: Annotated[int, typer.Option("--k", min=1, max=50)] = 5,
    out: Annotated[Path | None, typer.Option("--out")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Duplicate recall@k: for each known pair, is the duplicate among the k most similar incidents?"""
    from evals.triage import format_duplicates, run_duplicates_eval

    services = _run(_services)
    r = _run(run_duplicates_eval, services, history, pairs, mapping, preset, k)
    _emit(r, format_duplicates(r), as_json, out)


@eval_app.command("requirements")
def eval_requirements(
    train: Annotated[Path, typer.Option("--train", help="Training set (table or .arff).")],
    test: Annotated[Path, typer.Option("--test", help="Test set (table or .arff).")],
    text_col: Annotated[str | None, typer.Option("--text-col")] = None,
    label_col: Annotated[str | None, typer.Option("--label-col")] = None,
    out: Annotated[Path | None, typer.Option("--out")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Macro-F1 over all requirement kinds and for functional vs non-functional."""
    from assistant.tools.requirements import evaluate, read_labeled

    services = _run(_services)
    r = _run(
        evaluate,
        services.embeddings,
        _run(read_labeled, train, text_col, label_col),
        _run(read_labeled, test, text_col, label_col),
    )
    r = {"train": train.name, "test": test.name, **r}
    lines = [
        f"# Requirement classification: {train.name} -> {test.name}",
        "",
        f"macro-F1 over all kinds **{r['macro_f1_all_kinds']}**, functional vs non-functional "
        f"**{r['macro_f1_f_vs_nfr']}**; {r['train_rows']} training rows, {r['test_rows']} test rows "
        f"({r['dropped_overlap']} test rows also in the training set were dropped).",
        "",
        "| type | F1 | test rows |",
        "|---|---|---|",
        *[f"| {k} | {v} | {r['support'][k]} |" for k, v in r["per_class_f1"].items()],
        "",
    ]
    _emit(r, "\n".join(lines), as_json, out)


def _emit(result: dict[str, Any], text: str, as_json: bool, out: Path | None) -> None:
    _print_json(result) if as_json else typer.echo(text)
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        app()
    except KeyboardInterrupt:
        typer.echo(
            "interrupted; the knowledge base stays consistent, run the command again to finish", err=True
        )
        sys.exit(130)


if __name__ == "__main__":
    main()
