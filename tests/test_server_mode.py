"""Server mode beside the embedded default: `assistant db upgrade / copy / check`, the health of each
backend, and moving a laptop project (SQLite) to PostgreSQL and back without losing a row."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assistant.changes.models import Actor
from assistant.cli import app
from assistant.services import build_services
from assistant.settings import Settings
from tests.conftest import import_sample_tickets


def _run(*args: str) -> object:
    return CliRunner().invoke(app, list(args))


def _fill(services) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """A little of everything: tickets with work on them, a change request with approvals and its audit
    log, a conversation with feedback, an API key."""
    services.kbs.get("demo", create=True)
    import_sample_tickets(services)
    tid = services.ticket_work.open_ticket(
        "demo", "打印机", "收货单打印不出来，急！", "agent-a", priority="P1"
    )["id"]
    services.ticket_work.assign("demo", tid, "agent-b", "agent-a")
    crs = services.changes
    cid = crs.create(
        "demo", Actor("李娜", "requester"), {"title": "盘点期间允许紧急发料", "requested_change": "x"}
    )["id"]
    crs.act(cid, "submit", Actor("李娜", "requester"))
    answer = services.helpdesk.ask("demo", "忘记密码怎么办？")
    services.helpdesk.feedback(answer.message_id, 1, "有用")
    services.keys.create("前台", "end_user", ["demo"])
    return {"ticket": tid, "cr": cid, "audit": crs.audit(cid)}


@pytest.mark.server
def test_db_copy_sqlite_to_postgresql_and_back_keeps_every_row(  # type: ignore[no-untyped-def]
    tmp_path: Path, model_cache: Path, pg_admin_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from assistant.providers.embeddings import HashingEmbeddings
    from tests import pgserver

    laptop = Settings(home=tmp_path / "laptop", model_cache=model_cache)
    svc = build_services(laptop, embeddings=HashingEmbeddings())
    made = _fill(svc)
    queue = [(t["id"], t["status"], t["assignee"]) for t in svc.ticket_work.queue("demo")]
    svc.close()
    sqlite_url = f"sqlite:///{laptop.home / 'app.sqlite3'}"
    pg_url = pgserver.new_database(pg_admin_url)

    r = _run("db", "copy", "--from", sqlite_url, "--to", pg_url, "--json")
    assert r.exit_code == 0, r.output
    copied = json.loads(r.stdout)
    assert copied["to"]["backend"] == "postgresql" and copied["tables"]["tickets"]["rows"] == 97
    assert (
        copied["tables"]["cr_audit"]["rows"] == len(made["audit"])
        and copied["tables"]["api_keys"]["rows"] == 1
    )

    # the server sees the same project: queue order, audit log, keys; and it goes on from there
    server = build_services(
        Settings(home=tmp_path / "laptop", model_cache=model_cache, database={"url": pg_url}),
        embeddings=HashingEmbeddings(),
    )
    assert server.db.dialect == "postgresql"
    assert [(t["id"], t["status"], t["assignee"]) for t in server.ticket_work.queue("demo")] == queue
    assert server.changes.audit(made["cr"]) == made["audit"]
    server.changes.act(made["cr"], "review", Actor("王顾问", "consultant"))
    seqs = [a["seq"] for a in server.changes.audit(made["cr"])] if "seq" in made["audit"][0] else None
    assert seqs is None or seqs == sorted(set(seqs))  # the audit sequence goes on after the copied rows
    assert [a["action"] for a in server.changes.audit(made["cr"])][-1] == "review"
    assert server.health()["database"]["ok"] and server.health()["database"]["backend"] == "postgresql"
    # the hidden rowid column stays hidden in a `t.*` join too, as in SQLite
    assert "rowid" not in server.ticket_work.show("demo", made["ticket"])
    # PostgreSQL text cannot hold NUL, which a pasted log may carry: dropped, not a 500
    nul = server.ticket_work.open_ticket("demo", "扫码枪\x00", "日志\x00片段", "agent-a")
    assert server.support.tickets.get("demo", nul["id"])["title"] == "扫码枪"
    # a process that starts on an up-to-date database changes no table
    applied = server.db.conn.execute("SELECT COUNT(*) FROM schema_applied").fetchone()[0]
    build_services(server.settings, embeddings=HashingEmbeddings()).close()
    assert server.db.conn.execute("SELECT COUNT(*) FROM schema_applied").fetchone()[0] == applied > 0
    server.close()

    # a second copy into a database that has rows is refused, and changes nothing
    r = _run("db", "copy", "--from", sqlite_url, "--to", pg_url)
    assert r.exit_code != 0 and "not empty" in r.output

    # and back to a new SQLite file: the same counts and checksums
    back = tmp_path / "back" / "app.sqlite3"
    r = _run("db", "copy", "--from", pg_url, "--to", f"sqlite:///{back}", "--json")
    assert r.exit_code == 0, r.output
    again = json.loads(r.stdout)["tables"]
    assert (
        again["api_keys"] == copied["tables"]["api_keys"]
        and again["messages"] == copied["tables"]["messages"]
    )
    assert again["tickets"]["rows"] == 98 and again["cr_audit"]["rows"] == len(made["audit"]) + 1

    # `db upgrade` and `db check` on the server
    monkeypatch.setenv("ASSISTANT_DATABASE__URL", pg_url)
    monkeypatch.setenv("ASSISTANT_HOME", str(tmp_path / "laptop"))
    r = _run("db", "upgrade", "--json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["tables"]["tickets"] == 98
    r = _run("db", "check", "--json")
    assert r.exit_code == 0, r.output
    assert {k: v["ok"] for k, v in json.loads(r.stdout).items()} == {"database": True, "vector_store": True}


def test_db_copy_and_database_url_refuse_bad_values(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSISTANT_HOME", str(tmp_path / "home"))
    r = _run("db", "copy", "--from", "mysql://x/y", "--to", f"sqlite:///{tmp_path / 'b.sqlite3'}")
    assert r.exit_code == 2 and "sqlite:///PATH or postgresql://" in r.output
    r = _run(
        "db",
        "copy",
        "--from",
        f"sqlite:///{tmp_path / 'none.sqlite3'}",
        "--to",
        f"sqlite:///{tmp_path / 'b.sqlite3'}",
    )
    assert r.exit_code == 2 and "no database file" in r.output and not (tmp_path / "b.sqlite3").exists()
    a = tmp_path / "a.sqlite3"
    build_services(Settings(home=tmp_path / "home", database={"url": f"sqlite:///{a}"})).close()
    r = _run("db", "copy", "--from", f"sqlite:///{a}", "--to", f"sqlite:///{a}")
    assert r.exit_code == 2 and "same database" in r.output
    monkeypatch.setenv("ASSISTANT_DATABASE__URL", "oracle://db")
    r = _run("db", "upgrade")
    assert r.exit_code != 0 and "ASSISTANT_DATABASE__URL" in r.output
    # a server that does not answer: a clear error naming the setting, not a traceback
    monkeypatch.setenv("ASSISTANT_DATABASE__URL", "postgresql://nobody@127.0.0.1:9/none")
    r = _run("db", "check")
    assert r.exit_code != 0 and "cannot reach the database" in r.output


def test_several_api_processes_need_server_mode(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The embedded Chroma store has one owner: `serve --workers 2` on it is refused before it starts."""
    monkeypatch.setenv("ASSISTANT_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("ASSISTANT_DATABASE__URL", raising=False)
    r = _run("serve", "--workers", "2", "--port", "1")
    assert r.exit_code == 2 and "needs server mode" in r.output
    monkeypatch.setenv("ASSISTANT_DATABASE__URL", "postgresql://x@127.0.0.1:9/y")
    r = _run("serve", "--workers", "2", "--port", "1")  # a database but no Chroma server
    assert r.exit_code == 2 and "ASSISTANT_VECTOR_STORE__HOST" in r.output


def test_db_copy_reads_one_snapshot_while_the_source_is_written(tmp_path: Path, model_cache: Path) -> None:
    """A ticket opened on the source while the copy runs is not in the copy, and does not spoil it."""
    from assistant.providers.embeddings import HashingEmbeddings
    from assistant.services import database_copy

    svc = build_services(
        Settings(home=tmp_path / "src", model_cache=model_cache), embeddings=HashingEmbeddings()
    )
    _fill(svc)
    before = len(svc.support.tickets.all("demo"))
    written: list[str] = []

    def progress(n: int, total: int, table: str, rows: int) -> None:
        if table == "change_requests":  # half-way: before the tickets are read
            written.append(
                svc.ticket_work.open_ticket("demo", "扫码枪失灵", "仓库扫码枪无响应", "agent-a")["id"]
            )

    result = database_copy(
        f"sqlite:///{tmp_path / 'src' / 'app.sqlite3'}",
        f"sqlite:///{tmp_path / 'dst' / 'app.sqlite3'}",
        progress,
    )
    assert written and result["tables"]["tickets"]["rows"] == before
    assert len(svc.support.tickets.all("demo")) == before + 1  # the source kept its new ticket
    svc.close()
