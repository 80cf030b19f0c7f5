"""``assistant migrate``: profile and check legacy exports before a test load (数据迁移与清理)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from assistant.cli.common import EXIT_ERROR, EXIT_USAGE, JsonOpt, app, open_services, print_json, run
from assistant.services import markdown_report

migrate_app = typer.Typer(help="Data migration: profile and check legacy exports.", no_args_is_help=True)
app.add_typer(migrate_app, name="migrate")

SheetOpt = Annotated[
    str | None, typer.Option("--sheet", help="The sheet of an Excel file (default: the first).")
]


def _progress(event: str, data: dict[str, Any]) -> None:
    typer.echo(f"  read {data.get('rows', 0):,} rows ...", err=True)


@migrate_app.command("profile")
def migrate_profile(
    file: Annotated[Path, typer.Argument(help="CSV (UTF-8, GBK/GB18030, UTF-16) or XLSX export.")],
    sheet: SheetOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Per column: type, missing share and tokens, distinct and top values, shapes, lengths, spacing,
    width forms, encoding damage, decorated numbers, date formats; candidate keys and dependencies."""
    services = run(open_services)
    p = run(services.migration.profile, file, sheet, _progress)
    if as_json:
        print_json(p)
        return
    typer.echo(f"{p['source']}: {p['rows']:,} rows, {len(p['columns'])} columns, encoding {p['encoding']}")
    for c in p["columns"]:
        issues = [f"{k} {c[k]}" for k in ("fullwidth_alnum", "mojibake", "decorated_numbers") if c[k]] + [
            f"{k} {v}" for k, v in c["spacing"].items()
        ]
        if len(c["date_formats"]) > 1:
            issues.append("date formats " + ", ".join(f"{k} {v}" for k, v in c["date_formats"].items()))
        shapes = ", ".join(f"{s['shape']} ×{s['count']}" for s in c["shapes"][:3])
        typer.echo(
            f"- {c['name']}: {c['type']}, missing {c['missing_share']:.1%}"
            + (f" ({', '.join(f'{k} ×{v}' for k, v in c['missing_tokens'].items())})" if c["missing"] else "")
            + f", {c['distinct']:,} distinct, length {c['length'][0]}–{c['length'][1]}"
            + (f", shapes {shapes}" if shapes else "")
            + (f"; {'; '.join(issues)}" if issues else "")
        )
    if p["candidate_keys"]:
        typer.echo("candidate keys: " + ", ".join(p["candidate_keys"]))
    for d in p["dependencies"]:
        typer.echo(
            f"dependency: {'+'.join(d['determinant'])} → {d['dependent']} ({d['violations']} rows disagree)"
        )
    for f in p["structural"]:
        typer.echo(f"structure: row {f['row']} {f['rule']}: {f['suggestion']}")


@migrate_app.command("check")
def migrate_check(
    file: Annotated[Path, typer.Argument(help="CSV or XLSX export.")],
    rules: Annotated[Path | None, typer.Option("--rules", help="Rules file (YAML; JSON accepted).")] = None,
    infer: Annotated[bool, typer.Option("--infer", help="Add the rules the profile suggests.")] = False,
    sheet: SheetOpt = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Write the report here: .xlsx (cells highlighted) or .md (Markdown)."),
    ] = None,
    language: Annotated[str, typer.Option("--language", help="zh or en: the report's language.")] = "zh",
    kb: Annotated[
        str | None, typer.Option("--kb", help="Knowledge base whose specification values_from_spec reads.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Cell-level findings; exit 1 when any error was found. With --json: one line per finding, then
    a summary line."""
    if rules is None and not infer:
        typer.echo("no --rules and no --infer: only the file's structure is checked", err=True)
    services = run(open_services)
    if language not in ("zh", "en"):
        typer.echo("error: --language must be zh or en", err=True)
        raise typer.Exit(EXIT_USAGE)
    xlsx = out if out is not None and out.suffix.lower() == ".xlsx" else None
    report = run(services.migration.check, file, rules, infer, sheet, _progress, kb, xlsx, language)
    summary = report.summary()
    if as_json:
        for f in report.findings:
            typer.echo(json.dumps(f, ensure_ascii=False))
        typer.echo(json.dumps({"summary": summary}, ensure_ascii=False))
    else:
        for f in report.findings[:200]:
            fix = f" → {f['suggestion']}" if f["suggestion"] not in (None, "") else ""
            typer.echo(f"row {f['row']} {f['column']}: {f['rule']} ({f['severity']}) {f['value']!r}{fix}")
        if len(report.findings) > 200:
            typer.echo(f"... {len(report.findings) - 200} more (use --json or --out)")
        typer.echo(
            f"{summary['rows']:,} rows: {summary['errors']} errors, {summary['warnings']} warnings "
            f"in {summary['rows_with_findings']} rows"
        )
    if out is not None and xlsx is None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(markdown_report(file.name, report.findings, summary), encoding="utf-8")
    if summary["errors"]:
        raise typer.Exit(EXIT_ERROR)


rules_app = typer.Typer(help="Rules files for migrate check.", no_args_is_help=True)
migrate_app.add_typer(rules_app, name="rules")


@rules_app.command("draft")
def rules_draft(
    file: Annotated[Path, typer.Argument(help="CSV or XLSX export.")],
    kb: Annotated[
        str | None, typer.Option("--kb", help="Knowledge base whose specification holds the data dictionary.")
    ] = None,
    sheet: SheetOpt = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write the rules file here (default: print).")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Propose a rules file from the export's profile and the specification's data dictionary."""
    services = run(open_services)
    text, rules = run(services.migration.draft_rules, file, kb, sheet, _progress)
    if out is not None:
        if out.exists():
            typer.echo(f"error: {out} exists; a drafted rules file never overwrites an edited one", err=True)
            raise typer.Exit(EXIT_ERROR)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
        typer.echo(
            f"wrote {out}: rules for {len(rules['columns'])} columns, {len(rules['dependencies'])} dependencies",
            err=True,
        )
    if as_json:
        print_json(rules)
    elif out is None:
        typer.echo(text, nl=False)


@migrate_app.command("dedupe")
def migrate_dedupe(
    file: Annotated[Path, typer.Argument(help="CSV or XLSX export.")],
    fields: Annotated[str, typer.Option("--fields", help="Columns to compare, comma-separated.")],
    id_col: Annotated[str | None, typer.Option("--id-col", help="The legacy id column, if any.")] = None,
    threshold: Annotated[
        float, typer.Option("--threshold", help="Match probability a pair needs (0-1).")
    ] = 0.9,
    merge_dir: Annotated[
        Path | None,
        typer.Option("--merge", help="Write golden.csv (one record per cluster) and id_mapping.csv here."),
    ] = None,
    survivor: Annotated[
        str, typer.Option("--survivor", help="most_complete (default) or most_recent.")
    ] = "most_complete",
    recent_col: Annotated[
        str | None, typer.Option("--recent-col", help="Date column that says which record is newer.")
    ] = None,
    sheet: SheetOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Duplicate records without a shared id (probabilistic record linkage). With --json: one line
    per cluster {"cluster", "rows", "ids", "probability", "agree"}."""
    services = run(open_services)
    names = [f.strip() for f in fields.split(",") if f.strip()]
    r = run(
        services.migration.dedupe,
        file,
        names,
        id_col,
        threshold,
        sheet,
        _progress,
        merge_dir,
        survivor,
        recent_col,
    )
    if as_json:
        for c in r["clusters"]:
            typer.echo(json.dumps(c, ensure_ascii=False))
        return
    kinds = ", ".join(f"{f} ({k})" for f, k in r["fields"].items())
    typer.echo(f"{r['rows']:,} rows compared on {kinds}: {len(r['clusters'])} duplicate clusters")
    for c in r["clusters"][:100]:
        who = ", ".join(c["ids"]) if c["ids"] else ", ".join(str(x) for x in c["rows"])
        agree = ", ".join(c["agree"]) or "none exactly"
        typer.echo(
            f"  {c['cluster']}: rows {c['rows']} ({who}) probability {c['probability']:.3f}; agree: {agree}"
        )
    if len(r["clusters"]) > 100:
        typer.echo(f"  ... {len(r['clusters']) - 100} more (use --json)")
    if "merge" in r:
        m = r["merge"]
        typer.echo(
            f"merged {m['merged']:,} duplicates: {m['rows_in']:,} rows in, {m['rows_out']:,} golden records "
            f"({m['survivor'].replace('_', ' ')}) in {m['golden_file']}; old id → survivor in {m['mapping_file']}"
        )


@migrate_app.command("transform")
def migrate_transform(
    file: Annotated[Path, typer.Argument(help="CSV or XLSX export.")],
    mapping: Annotated[Path, typer.Option("--mapping", help="Mapping file (YAML; JSON accepted).")],
    out: Annotated[Path, typer.Option("--out", help="Folder for load.csv and rejects.csv.")],
    sheet: SheetOpt = None,
    encoding: Annotated[
        str, typer.Option("--encoding", help="Of the written files: utf-8, utf-8-sig, gbk or gb18030.")
    ] = "utf-8",
    fail_on_rejects: Annotated[
        bool, typer.Option("--fail-on-rejects", help="Exit 1 when any row was rejected.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Map an export onto the load template: load.csv plus rejects.csv with a reason per row
    (rows in = rows out + rejects)."""
    services = run(open_services)
    result = run(services.migration.transform, file, mapping, out, sheet, encoding, _progress)
    summary = result.summary()
    if as_json:
        print_json(summary)
    else:
        typer.echo(
            f"{summary['rows_in']:,} rows in: {summary['rows_out']:,} to load, {summary['rejected']:,} rejected"
        )
        typer.echo(f"load file: {summary['load_file']}")
        typer.echo(f"rejects:   {summary['rejects_file']}")
        for reason, count in summary["reasons"].items():
            typer.echo(f"  {reason}: {count:,}")
        if summary["changed_cells"]:
            typer.echo(
                "cells changed by normalisation or mapping: "
                + ", ".join(f"{c} {n:,}" for c, n in summary["changed_cells"].items())
            )
        if summary["unfilled_columns"]:
            typer.echo("template columns left empty: " + ", ".join(summary["unfilled_columns"]))
    if fail_on_rejects and summary["rejected"]:
        raise typer.Exit(EXIT_ERROR)


@migrate_app.command("reconcile")
def migrate_reconcile(
    source: Annotated[Path, typer.Argument(help="The legacy export that was loaded.")],
    target: Annotated[Path, typer.Argument(help="The new system's export after the load.")],
    key: Annotated[str, typer.Option("--key", help="Key column(s), comma-separated.")],
    sum_cols: Annotated[
        list[str] | None, typer.Option("--sum", help="A column to total on both sides (repeat).")
    ] = None,
    round_name: Annotated[str | None, typer.Option("--round", help="Name of this test-load round.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Counts, keys missing or extra, field differences and sums; each run is a recorded round.
    Exit 1 while the load does not reconcile."""
    services = run(open_services)
    keys = [k.strip() for k in key.split(",") if k.strip()]
    r = run(services.migration.reconcile, source, target, keys, sum_cols or [], round_name)
    if as_json:
        print_json(r)
    else:
        typer.echo(
            f"{r['pair']} · {r['round']}: source {r['counts']['source']:,} rows, target {r['counts']['target']:,}"
        )
        typer.echo(
            f"missing in target: {r['missing_in_target']['count']} {r['missing_in_target']['sample'][:10]}"
        )
        typer.echo(f"extra in target: {r['extra_in_target']['count']} {r['extra_in_target']['sample'][:10]}")
        for c, d in r["differences"].items():
            first = d["sample"][0]
            typer.echo(
                f"{c}: {d['count']} differences (e.g. {first['key']}: {first['source']!r} → {first['target']!r})"
            )
        for c, s in r["sums"].items():
            typer.echo(
                f"sum {c}: source {s['source']:,} target {s['target']:,} difference {s['difference']:,}"
            )
        typer.echo("rounds (missing / extra / differences):")
        for x in r["rounds"]:
            typer.echo(
                f"  {x['round']} ({x['at'][:16].replace('T', ' ')} UTC): {x['missing']} / {x['extra']} / {x['differences']}"
            )
        typer.echo("reconciled" if r["reconciled"] else "not reconciled yet")
    if not r["reconciled"]:
        raise typer.Exit(EXIT_ERROR)
