"""API keys: `assistant keys ...`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from assistant.cli.common import EXIT_USAGE, JsonOpt, app, fail, open_services, print_json, run

keys_app = typer.Typer(help="API keys for the HTTP API (stored hashed; shown once).", no_args_is_help=True)
app.add_typer(keys_app, name="keys")


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
    from assistant.access.models import ALL_KBS

    services = run(open_services)
    secret, record = run(services.keys.create, name, role, [ALL_KBS] if all_kbs else (kb or []))
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
    services = run(open_services)
    store = services.keys
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
        secret, _ = run(store.create, name, role, [kb])
        rows.append(f"{role}\t{name}\t{secret}")
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    typer.echo(path.read_text(encoding="utf-8"), nl=False)


@keys_app.command("list")
def keys_list(as_json: JsonOpt = False) -> None:
    """List API keys (without secrets)."""
    services = run(open_services)
    keys = services.keys.list()
    if as_json:
        print_json(keys)
        return
    for k in keys:
        typer.echo(
            f"{k['id']}\t{k['prefix']}…\t{k['role']}\t{k['kbs']}\t{k['name']}"
            f"{'  (revoked)' if k['revoked'] else ''}"
        )


@keys_app.command("revoke")
def keys_revoke(key_id: Annotated[str, typer.Argument(help="Key id from `assistant keys list`.")]) -> None:
    """Revoke an API key."""
    services = run(open_services)
    run(services.keys.revoke, key_id)
    typer.echo(f"revoked {key_id}")
