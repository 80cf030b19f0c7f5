"""Change control: `assistant cr ...`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from assistant.cli.common import JsonOpt, KbOpt, app, open_services, print_json, run

cr_app = typer.Typer(help="Change requests and the change-control-board workflow.", no_args_is_help=True)
app.add_typer(cr_app, name="cr")
AsOpt = Annotated[str, typer.Option("--as", help="Your name (recorded in the audit log).")]
RoleOpt = Annotated[str, typer.Option("--role", help="requester, consultant, ccb or admin.")]
CommentOpt = Annotated[str | None, typer.Option("--comment", help="Why (recorded in the audit log).")]


def _actor(name: str, role: str):  # type: ignore[no-untyped-def]
    from assistant.changes.models import Actor

    return run(Actor, name, role)


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
    services = run(open_services)
    cr = run(services.draft_change, kb, _actor(who, role), text, ticket, session, req, spec_req, title)
    if as_json:
        print_json(cr)
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
    services = run(open_services)
    cr = run(services.changes.get, cr_id)
    audit = services.changes.audit(cr_id)
    if as_json:
        print_json({**cr, "audit": audit})
    else:
        typer.echo(services.changes.export_markdown(cr_id))


@cr_app.command("list")
def cr_list(
    kb: Annotated[str | None, typer.Option("--kb")] = None,
    status: Annotated[str | None, typer.Option("--status")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Change requests, oldest first."""
    services = run(open_services)
    crs = services.changes.find(kb, status)
    if as_json:
        print_json(crs)
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
        services = run(open_services)
        cr = run(services.changes.act, cr_id, action, _actor(who, role), comment)
        if as_json:
            print_json(cr)
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
    services = run(open_services)
    cr = run(services.changes.confirm_impact, cr_id, _actor(who, role), effort, schedule, cost, risk, comment)
    typer.echo(", ".join(f"{k}: {v.get('value')}" for k, v in cr["impact"].items()))


@cr_app.command("report")
def cr_report(kb: KbOpt, as_json: JsonOpt = False) -> None:
    """Open changes by state and age, approved changes per module, effort added to the baseline."""
    services = run(open_services)
    r = services.changes.report(kb)
    if as_json:
        print_json(r)
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
    services = run(open_services)
    md = run(services.changes.export_markdown, cr_id)
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{cr_id}.md").write_text(md, encoding="utf-8")
    typer.echo(f"{out / (cr_id + '.md')}\n{services.changes.export_docx(cr_id, out / (cr_id + '.docx'))}")
