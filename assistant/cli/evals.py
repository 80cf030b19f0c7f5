"""The evaluation harness: `assistant eval ...` (reports go to evals/reports/)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

import typer

from assistant.cli.common import EXIT_USAGE, JsonOpt, app, fail, open_services, print_json, run

eval_app = typer.Typer(help="Evaluation harness (reports go to evals/reports/).", no_args_is_help=True)
app.add_typer(eval_app, name="eval")


@eval_app.command("retrieval")
def eval_retrieval(
    bench: Annotated[Path, typer.Option("--bench", help="Benchmark folder with docs/ and questions.jsonl.")],
    k: Annotated[int, typer.Option("--k", help="Cut-off for recall.", min=1, max=100)] = 5,
    out: Annotated[Path | None, typer.Option("--out", help="Write the report (Markdown) here too.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Ingest a benchmark into a throwaway knowledge base and report recall@k, MRR@10 and speed."""
    from evals.retrieval import run_retrieval_eval

    services = run(open_services)
    result = run(run_retrieval_eval, services, bench, k=k, log=lambda m: typer.echo(m, err=True))
    from evals.retrieval import format_report

    _emit(result, format_report(result), as_json, out)


# ---------------------------------------------------------------------------------------------


@eval_app.command("answers")
def eval_answers(
    bench: Annotated[Path, typer.Option("--bench", help="Benchmark folder with docs/ and questions.jsonl.")],
    out: Annotated[Path | None, typer.Option("--out", help="Write the report (Markdown) here too.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Citation precision/recall, 'not found' on withheld gold documents, and answer latency."""
    from evals.answers import format_report, run_answer_eval

    services = run(open_services)
    result = run(run_answer_eval, services, bench, log=lambda m: typer.echo(m, err=True))
    report = format_report(result)
    details = result.pop("details", {})
    if as_json:
        result.pop("calibration", None)
        result["withheld_found_ids"] = [a["id"] for a in details.get("withheld", []) if a["found"]]
        result["leave_one_out_found_ids"] = [a["id"] for a in details.get("leave_one_out", []) if a["found"]]
        print_json(result)
    else:
        typer.echo(report)
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(report, encoding="utf-8")


@eval_app.command("answerability")
def eval_answerability(
    bench: Annotated[
        list[Path] | None, typer.Option("--bench", help="Benchmark folder (qa layout); repeat, two at least.")
    ] = None,
    records: Annotated[
        Path | None,
        typer.Option("--records", help="Keep the collected retrievals here; reused when present."),
    ] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Write the report (Markdown) here too.")] = None,
    model_out: Annotated[
        Path | None, typer.Option("--model-out", help="Write the model fitted on all sets here (JSON).")
    ] = None,
) -> None:
    """Leave-one-set-out calibration of the 'answered / not covered' decision, with its baselines."""
    import json

    from evals.answerability import format_report, run_answerability_eval

    services = run(open_services)
    result = run(
        run_answerability_eval, services, bench or [], records, log=lambda m: typer.echo(m, err=True)
    )
    report = format_report(result)
    typer.echo(report)
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(report, encoding="utf-8")
    if model_out:
        model_out.write_text(json.dumps(result["model"].to_json(), indent=2) + "\n", encoding="utf-8")


@eval_app.command("interviews")
def eval_interviews(
    bench: Annotated[
        Path,
        typer.Option("--bench", help="Folder of transcripts with annotations.jsonl (evals/interviews/)."),
    ],
    out: Annotated[Path | None, typer.Option("--out", help="Write the report (Markdown) here too.")] = None,
    keyword_types: Annotated[
        bool,
        typer.Option(
            "--keyword-types", help="Type items by the keyword rules only (no embedding model is loaded)."
        ),
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Requirements extraction against the annotated requirements, with the need-word baseline; items
    typed by the default requirement-type classifier, as the product types them."""
    from evals.interviews import format_report, run_interview_eval

    classify = None
    if not keyword_types:
        clf = run(open_services).requirements
        model = run(clf.default_model)
        classify = lambda texts: clf.classify(texts, model)  # noqa: E731
    result = run(run_interview_eval, bench, log=lambda m: typer.echo(m, err=True), classify=classify)
    _emit(result, format_report(result), as_json, out)


@eval_app.command("migration")
def eval_migration(
    rows: Annotated[
        int, typer.Option("--rows", min=100, max=1_000_000, help="Rows per generated table.")
    ] = 2000,
    seed: Annotated[int, typer.Option("--seed")] = 7,
    out: Annotated[Path | None, typer.Option("--out", help="Write the report (Markdown) here too.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Cell-level precision/recall/F1 of `migrate check` on generated dirty/clean masters, with a baseline."""
    from evals.migration import format_report, run_migration_eval

    services = run(open_services)
    result = run(run_migration_eval, services, rows, seed, log=lambda m: typer.echo(m, err=True))
    _emit(result, format_report(result), as_json, out)


@eval_app.command("requirements-xcorpus")
def eval_requirements_xcorpus(
    datasets: Annotated[Path, typer.Option("--datasets", help="The shared datasets folder.")] = Path(
        "../shared/datasets"
    ),
    interviews: Annotated[
        Path, typer.Option("--interviews", help="Interview development set with annotations.jsonl.")
    ] = Path("evals/interviews"),
    out: Annotated[Path | None, typer.Option("--out", help="Write the report (Markdown) here too.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Requirement types trained on one corpus and tested on others, five methods side by side."""
    from evals.requirements_xcorpus import format_xcorpus, run_xcorpus

    for path in (datasets / "requirements", interviews / "annotations.jsonl"):
        if not path.exists():
            typer.echo(f"error: {path} not found", err=True)
            raise typer.Exit(EXIT_USAGE)
    services = run(open_services)
    result = run(run_xcorpus, services, datasets, interviews)
    _emit(result, format_xcorpus(result), as_json, out)


@eval_app.command("urgency")
def eval_urgency(
    out: Annotated[Path | None, typer.Option("--out", help="Write the report (Markdown) here too.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Priority trained on one company's tickets and tested on another's, with and without urgency cues
    (evals/data/support-tickets/)."""
    from evals.urgency import markdown
    from evals.urgency import run as run_urgency

    services = run(open_services)
    result = run(run_urgency, services)
    _emit(result, markdown(result), as_json, out)


@eval_app.command("issue-triage")
def eval_issue_triage(
    out: Annotated[Path | None, typer.Option("--out", help="Write the report (Markdown) here too.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Bug / feature / question with each project held out in turn (evals/data/issue-reports/),
    the baseline and the triage model side by side, with per-class F1 and calibration error."""
    from evals.issue_triage import markdown
    from evals.issue_triage import run as run_issue_triage

    services = run(open_services)
    result = run(run_issue_triage, services)
    _emit(result, markdown(result), as_json, out)


@eval_app.command("migration-scale")
def eval_migration_scale(
    rows: Annotated[int, typer.Option("--rows", min=1000, help="Rows of the wide CSV.")] = 1_000_000,
    records: Annotated[
        int, typer.Option("--records", min=1000, help="Person records to deduplicate.")
    ] = 100_000,
    out: Annotated[Path | None, typer.Option("--out", help="Write the report (Markdown) here too.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Time and peak memory of profile, check --infer and dedupe at scale."""
    from evals.migration_scale import format_scale, run_scale

    services = run(open_services)
    result = run(run_scale, services, rows, records)
    _emit(result, format_scale(result), as_json, out)


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

    services = run(open_services)
    r = run(run_triage_eval, services, train, test, target, mapping, preset)
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

    services = run(open_services)
    r = run(run_duplicates_eval, services, history, pairs, mapping, preset, k)
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
    services = run(open_services)
    r = run(services.requirements.evaluate_files, train, test, text_col, label_col)
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
    print_json(result) if as_json else typer.echo(text)
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")


# ---------------------------------------------------------------------------------------------


@eval_app.command("load")
def eval_load(
    bench: Annotated[
        Path | None,
        typer.Option("--bench", help="A qa benchmark folder (docs/ + questions.jsonl); default: corpus/."),
    ] = None,
    levels: Annotated[
        str, typer.Option("--levels", help="Concurrent clients per level, comma-separated.")
    ] = "1,5,20",
    requests: Annotated[
        int, typer.Option("--requests", help="Requests per level and route (bounded).", min=10, max=5000)
    ] = 200,
    out: Annotated[Path | None, typer.Option("--out", help="Write the report (Markdown) here too.")] = None,
    processes: Annotated[
        int,
        typer.Option(
            "--processes",
            help="API processes sharing the clients (above 1: server mode, from ASSISTANT_DATABASE__URL "
            "and ASSISTANT_VECTOR_STORE__HOST/PORT).",
            min=1,
            max=8,
        ),
    ] = 1,
    as_json: JsonOpt = False,
) -> None:
    """The API under concurrent clients on loopback: p50/p95/p99 and errors for search and ask."""
    from evals.load import format_report, run_load_eval

    try:
        parsed = tuple(int(x) for x in levels.split(",") if x.strip())
    except ValueError:
        parsed = ()
    if not parsed or any(not 1 <= n <= 64 for n in parsed):
        fail("--levels takes client counts from 1 to 64, e.g. 1,5,20", EXIT_USAGE)
    services = run(open_services)
    cache = services.settings.model_cache or services.settings.home / "models"
    server_env = {
        k: v
        for k in ("ASSISTANT_DATABASE__URL", "ASSISTANT_VECTOR_STORE__HOST", "ASSISTANT_VECTOR_STORE__PORT")
        if (v := os.environ.get(k))
    }
    services.close()
    if processes > 1 and not (
        server_env.get("ASSISTANT_DATABASE__URL", "").startswith("postgres")
        and server_env.get("ASSISTANT_VECTOR_STORE__HOST")
    ):
        fail(
            "--processes above 1 needs server mode: ASSISTANT_DATABASE__URL and ASSISTANT_VECTOR_STORE__HOST",
            EXIT_USAGE,
        )
    result = run(
        run_load_eval,
        bench,
        parsed,
        requests,
        cache,
        lambda m: typer.echo(m, err=True),
        server_env or None,
        processes,
    )
    if as_json:
        print_json(result)
    else:
        typer.echo(format_report(result))
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(format_report(result), encoding="utf-8")
