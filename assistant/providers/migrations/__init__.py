"""Schema migrations of the application database, with Alembic (``assistant db upgrade``).

The revisions live in ``versions/``; each is frozen DDL for both backends. The modules' declared
tables (``register_schema``) say what the tables should be; a test builds a database from the
revisions and one from the declarations and compares them, so a table changed without a revision
fails the tests. To change a table: change its declaration, then add a revision after ``HEAD``
(``0002_...py`` with ``down_revision = HEAD``) that makes the same change, and move ``HEAD``.

A process that opens a database already at ``HEAD`` reads one row and imports nothing of Alembic.
An upgrade runs in one transaction that holds the writers' lock (``BEGIN IMMEDIATE`` on SQLite, the
advisory locks on PostgreSQL), so two processes starting at once upgrade once and no request writes
while the tables change.

The knowledge bases' own tables (a SQLite file or a PostgreSQL schema per knowledge base) are not
here: they are made when a knowledge base is created (assistant.knowledge.storage). A change to
their layout needs its own upgrade step or a re-ingestion.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

#: the newest revision; a test checks it is the head of ``versions/``
HEAD = "0001_baseline"
SCRIPT_LOCATION = Path(__file__).resolve().parent


def sqlite_statements(script: str) -> list[str]:
    """A SQLite script as its statements (a trigger's body keeps its inner semicolons)."""
    out: list[str] = []
    current = ""
    for line in script.splitlines(keepends=True):
        current += line
        if sqlite3.complete_statement(current):
            if current.strip():
                out.append(current.strip())
            current = ""
    if current.strip() and not all(
        part.strip().startswith("--") or not part.strip() for part in current.splitlines()
    ):
        raise ValueError(f"an unfinished SQL statement: {current.strip()[:80]}")
    return out


def run_ddl(bind: Any, sqlite: Sequence[str], postgresql: Sequence[str]) -> None:
    """Run a revision's DDL for the connection's backend (as the driver's SQL: no parameters)."""
    if bind.dialect.name == "postgresql":
        for script in postgresql:  # no parameters: psycopg sends the script as it is ("%" too)
            bind.exec_driver_sql(script, execution_options={"no_parameters": True})
        return
    for script in sqlite:
        for statement in sqlite_statements(script):
            bind.exec_driver_sql(statement)


def sqlite_revision(path: Path) -> str | None:
    """The revision a SQLite file is at (None: none yet, or no file)."""
    if not path.exists():
        return None
    conn = sqlite3.connect(path, timeout=30)
    try:
        known = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
        ).fetchone()
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone() if known else None
        return str(row[0]) if row else None
    finally:
        conn.close()


def postgres_revision(raw: Any) -> str | None:
    """The revision a PostgreSQL database is at, on a psycopg connection."""
    if not raw.execute("SELECT to_regclass('alembic_version') IS NOT NULL").fetchone()[0]:
        return None
    row = raw.execute("SELECT version_num FROM alembic_version").fetchone()
    return str(row[0]) if row else None


def upgrade(target: Path | str, lock_keys: Sequence[int] = ()) -> tuple[str | None, str]:
    """Bring the database to ``HEAD`` in one transaction: *target* is a SQLite file's path or a
    ``postgresql://`` URL. Returns (revision before, revision after)."""
    import sqlalchemy as sa
    from alembic import command
    from alembic.config import Config
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory
    from alembic.util.exc import CommandError
    from sqlalchemy.pool import NullPool

    if isinstance(target, Path):
        # the URL is built, not written as text: a path with "?" or "%" stays the same path
        url = sa.URL.create("sqlite", database=str(target))
        engine = sa.create_engine(url, poolclass=NullPool, connect_args={"timeout": 30})

        # the driver's own transaction handling is off, so that DDL joins the transaction and the
        # transaction takes the write lock at once (SQLAlchemy's recipe for pysqlite)
        @sa.event.listens_for(engine, "connect")
        def _autocommit(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None

        @sa.event.listens_for(engine, "begin")
        def _begin(conn: Any) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE")

    else:
        engine = sa.create_engine(
            "postgresql+psycopg://" + target.split("://", 1)[1],
            poolclass=NullPool,
            connect_args={"connect_timeout": 10},
            # each statement sees the last commit, whatever the server's default isolation: a
            # process that waited for the lock then sees the revision the other one recorded
            isolation_level="READ COMMITTED",
        )
    config = Config()
    config.set_main_option("script_location", str(SCRIPT_LOCATION))
    try:
        with engine.begin() as conn:
            for key in lock_keys:
                conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({int(key)})")
            before = MigrationContext.configure(conn).get_current_revision()
            if before != HEAD:
                if before is not None:
                    try:
                        ScriptDirectory.from_config(config).get_revision(before)
                    except CommandError as exc:
                        from assistant.errors import ConfigError

                        raise ConfigError(
                            f"the database is at schema revision {before!r}, which this version of "
                            "the assistant does not know (a newer version upgraded it): install that version"
                        ) from exc
                config.attributes["connection"] = conn
                command.upgrade(config, "head")
            after = MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()
    return before, str(after)
