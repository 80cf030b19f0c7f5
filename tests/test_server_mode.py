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
    again = build_services(server.settings, embeddings=HashingEmbeddings())
    assert again.db.schema_change is None
    again.close()
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


CHROMA = Path(__import__("sys").executable).parent / "chroma"


@pytest.mark.server
def test_db_copy_moves_knowledge_bases_to_the_server_and_embeds_for_its_vector_store(  # type: ignore[no-untyped-def]
    tmp_path: Path, model_cache: Path, pg_admin_url: str, real_embeddings
) -> None:
    """A laptop project with two knowledge bases (embedded Chroma) moves to PostgreSQL and a Chroma
    server: the registry and chunks are copied, the lexical index is rebuilt as a tsvector, the
    vectors the server lacks are embedded again, and a search on the server finds what the laptop found."""
    import subprocess

    from assistant.services import database_copy
    from tests import pgserver
    from tests.conftest import ROOT, free_ports, wait_port

    laptop = Settings(home=tmp_path / "laptop", model_cache=model_cache)
    svc = build_services(laptop, embeddings=real_embeddings)
    svc.ingest("手册", [ROOT / "corpus" / "faq", ROOT / "corpus" / "manuals"])
    (tmp_path / "notes.md").write_text(
        "# 备注\n\n月结前请先关闭采购订单。O'Brien 的 C:\\temp 路径。\n", encoding="utf-8"
    )
    svc.ingest("notes - 2026", [tmp_path / "notes.md"])  # " - ": once a SQL comment in a schema name
    questions = ["Can I approve on my phone?", "忘记密码怎么办？", "月结前要做什么"]
    laptop_hits = {q: [h.chunk.chunk_id for h in svc.search("手册", q, k=3)] for q in questions[:2]}
    laptop_stats = svc.kb_stats("手册")
    svc.close()

    (port,) = free_ports(1)
    chroma = subprocess.Popen(
        [str(CHROMA), "run", "--path", str(tmp_path / "chroma"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_port(port, 30)
        pg_url = pgserver.new_database(pg_admin_url)
        copying = Settings(
            home=laptop.home, model_cache=model_cache, vector_store={"host": "127.0.0.1", "port": port}
        )
        embedded: list[tuple[str, int, int]] = []
        result = database_copy(
            f"sqlite:///{laptop.home / 'app.sqlite3'}",
            pg_url,
            embed_progress=lambda kb, done, total: embedded.append((kb, done, total)),
            settings=copying,
        )
        assert set(result["knowledge_bases"]) == {"手册", "notes - 2026"}
        assert result["knowledge_bases"]["手册"]["chunks"] == laptop_stats["chunks"]
        assert embedded and embedded[-1][1] == embedded[-1][2]  # progress reached the end

        server = build_services(
            Settings(
                home=tmp_path / "server",
                model_cache=model_cache,
                database={"url": pg_url},
                vector_store={"host": "127.0.0.1", "port": port},
            ),
            embeddings=real_embeddings,
        )
        assert server.kbs.names() == ["notes - 2026", "手册"]
        stats = server.kb_stats("手册")
        assert (stats["documents"], stats["chunks"], stats["vectors"]) == (
            laptop_stats["documents"],
            laptop_stats["chunks"],
            laptop_stats["chunks"],
        )
        for q, ids in laptop_hits.items():
            assert [h.chunk.chunk_id for h in server.search("手册", q, k=3)][0] == ids[0], q
        # the rebuilt lexical index reads Chinese and a quote or backslash in a word
        hit = server.search("notes - 2026", questions[2], k=1)[0]
        assert hit.lexical_rank == 1 and "采购订单" in hit.chunk.text
        assert server.search("notes - 2026", "O'Brien temp", k=1)[0].lexical_rank == 1
        # the server goes on: a new document gets the next row ids, and re-ingesting it changes nothing
        (tmp_path / "more.md").write_text("# 新增\n\n盘点差异需要财务审批。\n", encoding="utf-8")
        assert server.ingest("notes - 2026", [tmp_path / "more.md"]).counts() == {"added": 1}
        assert server.search("notes - 2026", "盘点差异", k=1)[0].chunk.source == "more.md"
        # a second copy into a server that holds knowledge bases is refused
        with pytest.raises(Exception, match="not empty|already holds"):
            database_copy(f"sqlite:///{laptop.home / 'app.sqlite3'}", pg_url, settings=copying)
        server.delete_kb("notes - 2026")
        assert server.kbs.names() == ["手册"]
        schemas = server.db.conn.execute(
            "SELECT schema_name FROM information_schema.schemata WHERE schema_name LIKE 'kb\\_%'"
        ).fetchall()
        assert [r[0] for r in schemas] == [server.kbs.catalog.schema_for("手册")]  # type: ignore[attr-defined]
        # the laptop's own knowledge bases still have their vectors: the copy deleted none
        again = build_services(laptop, embeddings=real_embeddings)
        assert again.kb_stats("手册")["vectors"] == laptop_stats["chunks"]
        again.close()
        server.close()
    finally:
        chroma.terminate()
        chroma.wait(timeout=10)


@pytest.mark.server
def test_postgresql_lexical_index_ranks_as_fts5_does(  # type: ignore[no-untyped-def]
    tmp_path: Path, model_cache: Path, pg_admin_url: str
) -> None:
    """The same documents in embedded mode (FTS5) and server mode (PostgreSQL postings): the same
    lexical ranking and BM25 scores, in Chinese and English, also after a document changes and one
    is removed (the document frequencies and lengths follow)."""
    import math

    from assistant.providers.embeddings import HashingEmbeddings
    from tests import pgserver
    from tests.conftest import ROOT

    docs = tmp_path / "docs"
    docs.mkdir()
    for folder in ("faq", "manuals", "specs"):
        for f in (ROOT / "corpus" / folder).iterdir():
            (docs / f.name).write_bytes(f.read_bytes())
    embedded = build_services(
        Settings(home=tmp_path / "e", model_cache=model_cache), embeddings=HashingEmbeddings()
    )
    server = build_services(
        Settings(
            home=tmp_path / "s",
            model_cache=model_cache,
            database={"url": pgserver.new_database(pg_admin_url)},
        ),
        embeddings=HashingEmbeddings(),
    )
    questions = [
        "忘记密码怎么办",
        "采购订单审批流程",
        "How do I approve a purchase order?",
        "月结 库存 盘点",
        "password reset",
    ]

    def ranking(svc, q):  # type: ignore[no-untyped-def]
        from assistant.text import query_terms

        hits = svc.kbs.get("k").lexical_search(query_terms(q), 10)
        return [(c.chunk_id, score) for c, score in hits]

    def same() -> None:
        for q in questions:
            a, b = ranking(embedded, q), ranking(server, q)
            assert a, q
            assert [i for i, _ in a] == [i for i, _ in b], q
            assert all(math.isclose(x, y, rel_tol=1e-4) for (_, x), (_, y) in zip(a, b, strict=True)), q

    for svc in (embedded, server):
        svc.ingest("k", [docs])
    same()
    changed = docs / "faq-en.md"
    changed.write_text(
        changed.read_text(encoding="utf-8") + "\n\n## 新增\n\n忘记密码时请联系管理员重置。\n",
        encoding="utf-8",
    )
    (docs / "常见问题.html").unlink()
    for svc in (embedded, server):
        assert svc.ingest("k", [docs], prune=True).counts().get("updated") == 1
    same()
    n, total = server.kbs.get("k").conn.execute("SELECT n, total FROM lexical_stats").fetchone()
    assert n == server.kb_stats("k")["chunks"] and total > n
    embedded.close()
    server.close()
