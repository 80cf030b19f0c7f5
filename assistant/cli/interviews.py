"""Consultants: `assistant interview ...`, `assistant spec draft`, `assistant requirements ...`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from assistant.cli.common import EXIT_USAGE, JsonOpt, app, fail, open_services, print_json, run
from assistant.interviews.models import TYPE_NAMES
from assistant.messages import message

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
    services = run(open_services)
    s = run(
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
    file: Annotated[
        Path | None,
        typer.Argument(
            help="Transcript: .txt or .md (Name: text, or a speaker and time on their own line as Otter, Teams, Rev or 飞书妙记 export), .vtt, .srt, .docx or .json."
        ),
    ] = None,
    text: Annotated[
        str | None, typer.Option("--text", help="Typed notes, e.g. '客户：我们每月盘点一次'.")
    ] = None,
    speaker: Annotated[
        str | None, typer.Option("--speaker", help="Speaker of --text when it has no label.")
    ] = None,
) -> None:
    """Add a transcript file or typed notes to a session."""
    if (file is None) == (text is None):
        fail("give a transcript FILE or --text", EXIT_USAGE)
    services = run(open_services)
    if file is not None:
        added = run(services.interviews.add_turns, session, run(services.interviews.read_transcript, file))
    else:
        added = run(services.interviews.add_notes, session, text or "", speaker)
    typer.echo(f"added {len(added)} turn(s): {added[0].ref}..{added[-1].ref}")


@interview_app.command("extract")
def interview_extract(
    transcript: Annotated[Path | None, typer.Argument(help="A transcript file (or use --session).")] = None,
    session: Annotated[str | None, typer.Option("--session", help="Extract for a stored session.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Requirements (with quote and turn), pain points, process steps, open questions, contradictions."""
    if (transcript is None) == (session is None):
        fail("give a TRANSCRIPT file or --session ID", EXIT_USAGE)
    services = run(open_services)
    if session is not None:
        result = run(services.extract_session, session)
    else:
        result = run(services.extract_transcript, transcript)
    if as_json:
        print_json(result)
        return
    for r in result["requirements"]:
        quotes = r.get("quotes") or [{"quote": r["quote"], "speaker": r["speaker"], "turn": r["turn"]}]
        said = "\n".join(f"     “{q['quote']}” — {q['speaker']} {q['turn']}" for q in quotes)
        typer.echo(
            f"{r['id']} [{r.get('type')}/{r.get('priority') or '-'}] {r['statement']}\n{said}"
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
    skipped = result.get("skipped") or []
    if skipped:
        reasons = sorted({s["reason"] for s in skipped})
        typer.echo(
            f"\n{len(skipped)} turn(s) not read ({'; '.join(reasons)}): {', '.join(s['turn'] for s in skipped)}"
        )
    elif not result["requirements"]:
        typer.echo("no requirements found in the stakeholders' turns")
    reason = (result.get("summary") or {}).get("types_reason")
    if reason:
        typer.echo("\n" + message("ui", reason, "en"))


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
    services = run(open_services)
    g = run(services.interviews.guide, module, language, session)
    if as_json:
        print_json(g)
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
    services = run(open_services)
    r = run(services.interviews.edit, session, item, statement, type_, priority)
    typer.echo(f"{r['id']}: {r['statement']} [{r.get('type')}/{r.get('priority')}]")


@spec_app.command("draft")
def spec_draft(
    session: Annotated[str, typer.Option("--session", help="Interview session id.")],
    out: Annotated[Path, typer.Option("--out", help="Folder for the Markdown and DOCX files.")] = Path("."),
) -> None:
    """Assemble the requirements specification from a session and export it as Markdown and DOCX."""
    services = run(open_services)
    run(services.interviews.get, session)
    items = services.interviews.items(session)
    if not items["requirements"]:
        items = run(services.extract_session, session)
    spec = services.interviews.spec(session, items)
    md, docx_path = services.interviews.write_spec(spec, out, f"spec-{session}")
    typer.echo(f"{md}\n{docx_path}")


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
    if data.suffix.lower() != ".arff" and not label_col:
        fail("name the label column with --label-col", EXIT_USAGE)
    services = run(open_services)
    meta = run(services.requirements.train_file, data, text_col, label_col)
    if as_json:
        print_json(meta)
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
    services = run(open_services)
    results = run(services.requirements.classify_file, batch, text_col)
    for i, found in enumerate(results):
        if found is None:
            line: dict[str, Any] = {"row": i + 1, "label": None, "confidence": 0.0, "error": "empty text"}
        else:
            label, conf = found
            line = {"row": i + 1, "label": label, "confidence": round(conf, 3)}
        if as_json:
            print_json(line)
        else:
            typer.echo(
                f"{line['row']}\t{line['label']} ({TYPE_NAMES.get(line['label'] or '', '?')})\t{line['confidence']}"
            )
