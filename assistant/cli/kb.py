"""Ingestion, search and knowledge bases: `assistant ingest`, `assistant search`, `assistant kb ...`."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from assistant.cli.common import (
    EXIT_ERROR,
    EXIT_USAGE,
    JsonOpt,
    KbOpt,
    app,
    fail,
    open_services,
    parse_type,
    print_json,
    run,
)
from assistant.errors import AssistantError, InvalidInput
from assistant.schemas import FileOutcome, IngestReport

kb_app = typer.Typer(help="List, inspect and delete knowledge bases.", no_args_is_help=True)
app.add_typer(kb_app, name="kb")


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
    dtype = parse_type(doc_type)
    services = run(open_services)
    if as_json:
        report = run(services.ingest, kb, paths, doc_type=dtype, version=version, prune=prune)
        print_json(_report_json(report))
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

        return run(
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
    types = [t.value for t in (parse_type(t) for t in doc_type or []) if t]
    services = run(open_services)
    searcher = run(services.searcher, kb)
    if batch is not None:
        _batch_search(searcher, batch, k, types or None, lang or None)
        return
    hits = run(searcher.search, query, k, types or None, lang or None)
    if as_json:
        print_json({"query": query, "results": [h.public() for h in hits]})
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
        print_json(out)
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
    services = run(open_services)
    infos = run(services.list_kbs)
    if as_json:
        print_json([i.model_dump() for i in infos])
        return
    if not infos:
        typer.echo("no knowledge bases yet; create one with `assistant ingest PATH --kb NAME`")
    for i in infos:
        typer.echo(
            f"{i.name}\t{i.documents} documents\t{i.chunks} chunks\t{i.failed} failed\tcreated {i.created_at[:16].replace('T', ' ')} UTC"
        )


@kb_app.command("stats")
def kb_stats(kb: KbOpt, as_json: JsonOpt = False) -> None:
    """Documents, chunks, languages and types of one knowledge base."""
    services = run(open_services)
    stats = run(services.kb_stats, kb)
    if as_json:
        print_json(stats)
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
    kb: KbOpt,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask.")] = False,
    archive: Annotated[
        bool,
        typer.Option(
            "--archive",
            help="First write the knowledge base's tickets, conversations, change requests (with audit log) "
            "and interview sessions to <home>/archives/<kb>-<time>.json.",
        ),
    ] = False,
) -> None:
    """Delete a knowledge base and everything of it: index, vectors, tickets, FAQ drafts, conversations and
    feedback, change requests and their audit log, interview sessions, uploaded copies, triage models
    (source files elsewhere are not touched). Use --archive to keep the records in a JSON file."""
    if (
        not yes
        and sys.stdin.isatty()
        and not typer.confirm(f"Delete knowledge base {kb!r} and all its records?")
    ):
        raise typer.Exit(EXIT_ERROR)
    services = run(open_services)
    result = run(services.delete_kb, kb, archive)
    typer.echo(f"deleted knowledge base {kb!r}")
    for table, n in result["deleted"].items():
        if n:
            typer.echo(f"  {n:6} {table.replace('_', ' ')}")
    if result["archive"]:
        typer.echo(f"archive: {result['archive']}")


# ---------------------------------------------------------------------------------------------
