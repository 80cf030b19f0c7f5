"""Schema migrations with Alembic: the revisions make the tables the modules declare, on SQLite and on
PostgreSQL; a database made before Alembic is adopted with its rows; two processes starting on a new
database upgrade it once; a database from a newer version is refused with a clear error."""

from __future__ import annotations

import json
import re
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from alembic.config import Config
from alembic.script import ScriptDirectory

import assistant.services  # noqa: F401  (every module declares its tables on import)
from assistant.errors import ConfigError
from assistant.providers import database, migrations
from assistant.providers.database import PgAppDB, SqliteDB, open_app_db
from assistant.settings import Settings

pytestmark = pytest.mark.backends


def _declared_sqlite(path: Path) -> None:
    """The tables as the modules declare them, made the way databases were made before Alembic."""
    conn = sqlite3.connect(path)
    for sql in database._SCHEMAS:
        conn.executescript(sql)
    conn.commit()
    conn.close()


def _declared_postgres(url: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as raw:
        for sql in database._SCHEMAS:
            raw.execute(database._PG_SCHEMAS.get(sql) or database.to_postgres_schema(sql))
        # the hash-per-schema record of the versions before Alembic
        raw.execute("CREATE TABLE schema_applied (hash TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
        raw.execute("INSERT INTO schema_applied VALUES ('abc', now()::text)")


def _norm(sql: str | None) -> str:
    return re.sub(r"\s+", " ", sql or "").strip()


def _describe_sqlite(path: Path) -> dict[str, Any]:
    conn = sqlite3.connect(path)
    try:
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT IN "
                "('alembic_version', 'sqlite_sequence') ORDER BY name"
            )
        ]
        out: dict[str, Any] = {}
        for t in tables:
            cols = [tuple(r[1:]) for r in conn.execute(f"PRAGMA table_xinfo({t})")]
            indexes = sorted(
                (bool(r[2]), tuple(c[2] for c in conn.execute(f"PRAGMA index_info('{r[1]}')")))
                for r in conn.execute(f"PRAGMA index_list({t})")
            )
            fks = sorted(tuple(r[2:5]) for r in conn.execute(f"PRAGMA foreign_key_list({t})"))
            out[t] = (cols, indexes, fks)
        out["triggers"] = sorted(
            (r[0], _norm(r[1]))
            for r in conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
        )
        out["indexes"] = sorted(
            (r[0], _norm(r[1]))
            for r in conn.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
            )
        )
        return out
    finally:
        conn.close()


def _describe_postgres(url: str) -> dict[str, Any]:
    import psycopg

    with psycopg.connect(url, autocommit=True) as raw:
        cols = raw.execute(
            "SELECT table_name, column_name, data_type, is_nullable, column_default, is_identity "
            "FROM information_schema.columns WHERE table_schema = 'public' "
            "AND table_name NOT IN ('alembic_version') ORDER BY table_name, column_name"
        ).fetchall()
        indexes = raw.execute(
            "SELECT tablename, indexdef FROM pg_indexes WHERE schemaname = 'public' "
            "AND tablename <> 'alembic_version' ORDER BY 1, 2"
        ).fetchall()
        constraints = raw.execute(
            "SELECT conrelid::regclass::text, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE connamespace = 'public'::regnamespace AND conrelid::regclass::text <> 'alembic_version' "
            "ORDER BY 1, 2"
        ).fetchall()
        triggers = raw.execute(
            "SELECT trigger_name, event_manipulation, event_object_table, action_timing, action_statement "
            "FROM information_schema.triggers ORDER BY 1, 2"
        ).fetchall()
        functions = raw.execute(
            "SELECT proname, prosrc FROM pg_proc WHERE pronamespace = 'public'::regnamespace ORDER BY 1"
        ).fetchall()
        tables = raw.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1"
        ).fetchall()
    skip = {"alembic_version", "schema_applied"}
    return {
        "tables": [t[0] for t in tables if t[0] not in skip],
        "schema_applied": any(t[0] == "schema_applied" for t in tables),
        "columns": [c for c in cols if c[0] not in skip],
        "indexes": [i for i in indexes if i[0] not in skip],
        "constraints": [c for c in constraints if c[0] not in skip],
        "triggers": triggers,
        "functions": [(n, _norm(src)) for n, src in functions],
    }


def test_head_is_the_newest_revision() -> None:
    config = Config()
    config.set_main_option("script_location", str(migrations.SCRIPT_LOCATION))
    heads = ScriptDirectory.from_config(config).get_heads()
    assert heads == [migrations.HEAD]


def test_revisions_make_the_declared_tables_and_adopt_an_older_database(
    settings: Settings, database_url: str | None, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """A table whose declaration changed without a revision (or a revision without its declaration)
    fails here, on each backend."""
    if database_url is None:
        migrated = SqliteDB(tmp_path / "migrated.sqlite3")
        assert migrated.schema_change == (None, migrations.HEAD)
        older = tmp_path / "older.sqlite3"
        _declared_sqlite(older)
        expected = _describe_sqlite(older)
        assert _describe_sqlite(tmp_path / "migrated.sqlite3") == expected
        conn = sqlite3.connect(older)
        conn.execute("INSERT INTO kb_purges VALUES ('人事系统')")
        conn.commit()
        conn.close()
        adopted = SqliteDB(older)
        assert migrations.sqlite_revision(older) == migrations.HEAD
        assert adopted.schema_change == (None, migrations.HEAD)
        assert _describe_sqlite(older) == expected
        assert [r[0] for r in adopted.conn.execute("SELECT kb FROM kb_purges")] == ["人事系统"]
        # a process that starts on a current database changes nothing
        assert SqliteDB(older).schema_change is None
        return

    from tests import pgserver

    migrated_pg = PgAppDB(database_url)
    assert migrated_pg.schema_change == (None, migrations.HEAD)
    migrated_pg.close()
    older_url = pgserver.new_database(request.getfixturevalue("pg_admin_url"))
    _declared_postgres(older_url)
    expected = _describe_postgres(older_url)
    assert expected.pop("schema_applied")
    got = _describe_postgres(database_url)
    assert not got.pop("schema_applied")
    assert got == expected
    adopted_pg = PgAppDB(older_url)
    assert adopted_pg.schema_change == (None, migrations.HEAD)
    after = _describe_postgres(older_url)
    assert not after.pop("schema_applied")  # the record before Alembic is gone, nothing else changed
    assert after == expected
    assert PgAppDB(older_url).schema_change is None
    adopted_pg.close()


def test_two_processes_starting_on_a_new_database_upgrade_it_once(
    settings: Settings, database_url: str | None, tmp_path: Path
) -> None:
    """Three openers start while the writers' lock is held elsewhere, so all three find no revision
    and wait for the lock: the first to get it upgrades, the others then find the head."""
    changes: list[Any] = []
    errors: list[BaseException] = []
    if database_url is None:
        holder: Any = sqlite3.connect(tmp_path / "app.sqlite3", isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
    else:
        import psycopg

        holder = psycopg.connect(database_url, autocommit=True)
        holder.execute("SELECT pg_advisory_lock(%s)", (database._WRITE_LOCK_KEY + 1,))

    def start() -> None:
        try:
            db = open_app_db(tmp_path, database_url)
            changes.append(db.schema_change)
            db.close()
        except BaseException as exc:  # noqa: BLE001 (reported below)
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(3)]
    for t in threads:
        t.start()
    time.sleep(2)
    assert all(t.is_alive() for t in threads) and not changes  # all three wait for the lock
    if database_url is None:
        holder.execute("COMMIT")
    else:
        holder.execute("SELECT pg_advisory_unlock(%s)", (database._WRITE_LOCK_KEY + 1,))
    holder.close()
    for t in threads:
        t.join()
    assert not errors, errors
    assert sorted(changes, key=str) == sorted([(None, migrations.HEAD), None, None], key=str)
    db = open_app_db(tmp_path, database_url)
    assert [tuple(r) for r in db.conn.execute("SELECT version_num FROM alembic_version").fetchall()] == [
        (migrations.HEAD,)
    ]
    db.close()


def test_a_database_from_a_newer_version_is_refused_clearly(
    settings: Settings, database_url: str | None, tmp_path: Path
) -> None:
    db = open_app_db(tmp_path, database_url)
    with db.transaction() as conn:
        conn.execute("UPDATE alembic_version SET version_num = '0042_from_the_future'")
    db.close()
    with pytest.raises(ConfigError, match="0042_from_the_future.*does not know"):
        open_app_db(tmp_path, database_url)
    # refused, not altered: the revision and the tables stay as they were
    if database_url is None:
        conn = sqlite3.connect(tmp_path / "app.sqlite3")
        assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [
            ("0042_from_the_future",)
        ]
        assert conn.execute("SELECT COUNT(*) FROM kb_purges").fetchone() == (0,)
        conn.close()
    else:
        import psycopg

        with psycopg.connect(database_url) as raw:
            assert raw.execute("SELECT version_num FROM alembic_version").fetchall() == [
                ("0042_from_the_future",)
            ]


def test_db_upgrade_says_what_it_did(
    settings: Settings, database_url: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from assistant.cli import app

    monkeypatch.setenv("ASSISTANT_HOME", str(settings.home))
    first = CliRunner().invoke(app, ["db", "upgrade"])
    assert first.exit_code == 0, first.output
    assert (
        f"upgraded from no recorded revision (a new database, or one made before revisions) to schema revision {migrations.HEAD}"
        in " ".join(first.output.split())
    )
    again = CliRunner().invoke(app, ["db", "upgrade", "--json"])
    assert again.exit_code == 0, again.output
    result = json.loads(again.stdout)
    assert result["revision"] == migrations.HEAD and result["upgraded"] is False
    assert result["tables"]["kb_purges"] == 0
    text = CliRunner().invoke(app, ["db", "upgrade"])
    assert f"already at schema revision {migrations.HEAD}, nothing to do" in text.output
