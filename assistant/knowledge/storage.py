"""Where a knowledge base's tables live: a SQLite file per knowledge base (embedded mode) or a
PostgreSQL schema per knowledge base (server mode). :class:`~assistant.knowledge.store.KnowledgeBase`
runs the same statements on both; the storage gives it a connection, transactions and its tables.

Server mode keeps a catalog table, ``kb_catalog`` (name, schema, a serial that changes when a
knowledge base is deleted and made again), so that every API process sees the same knowledge
bases. Creating and dropping a knowledge base take the writers' lock of the application database,
so two processes cannot both create one. Statements are schema-qualified (``chunks`` becomes
``"kb_<hash>".chunks``) rather than run under a ``search_path``: the connection is shared with the
application's own tables, and a ``SET`` inside a rolled-back transaction would be undone silently.
"""

from __future__ import annotations

import re
import shutil
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from assistant.providers import sqlite as kbsqlite
from assistant.providers.database import PgAppDB, _code_parts, _read_snapshot, transaction

if TYPE_CHECKING:
    from assistant.providers.lexical import LexicalIndex


class KbStorage(Protocol):
    """One knowledge base's tables."""

    @property
    def conn(self) -> Any: ...

    def transaction(self) -> Any: ...

    def create_schema(self, sqlite_schema: str, lexical: LexicalIndex) -> None: ...

    def analyze(self) -> None: ...

    def read_snapshot(self) -> Any: ...

    def close(self) -> None: ...


class Catalog(Protocol):
    """Which knowledge bases exist and where their tables are."""

    def identity(self, name: str) -> object | None: ...

    def open(self, name: str, create: bool, on_create: Callable[[], None] | None = None) -> KbStorage:
        """Open a knowledge base's storage; with *create* make its catalog entry when missing and, only
        if this call made it, run *on_create* first (under the writers' lock in server mode)."""
        ...

    def names(self) -> list[str]: ...

    def drop(self, name: str, on_drop: Callable[[], None] | None = None) -> None:
        """Remove a knowledge base's tables, then run *on_drop* (its vectors) in the same turn."""
        ...


# --- embedded: one SQLite file per knowledge base ------------------------------------------------


class SqliteFileStorage:
    """``<home>/kb/<key>/index.sqlite3``; one connection per thread (the API's worker threads and the
    web UI's script threads share it); other processes wait on SQLite's lock."""

    dialect = "sqlite"

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        self._conns: dict[threading.Thread, Any] = {}  # to close them; pruned as threads end
        self._lock = threading.Lock()

    @property
    def conn(self) -> Any:
        conn: Any | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = kbsqlite.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
            conn.row_factory = kbsqlite.Row
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA foreign_keys=ON")
            self._local.conn = conn
            with self._lock:
                # servers start a thread per request or rerun: close the connections of ended threads
                for thread in [t for t in self._conns if not t.is_alive()]:
                    self._conns.pop(thread).close()
                self._conns[threading.current_thread()] = conn
        return conn

    @contextmanager
    def transaction(self) -> Iterator[Any]:
        with transaction(self.conn) as c:
            yield c

    def create_schema(self, sqlite_schema: str, lexical: LexicalIndex) -> None:
        self.conn.executescript(sqlite_schema)
        lexical.create_schema(self.conn)

    def analyze(self) -> None:
        """Nothing: FTS5 plans by itself and the chunk table is read by key."""

    @contextmanager
    def read_snapshot(self) -> Iterator[None]:
        """Every read inside sees the file as at the first one (a deferred transaction under WAL)."""
        self.conn.execute("BEGIN")
        try:
            yield
        finally:
            self.conn.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            for conn in self._conns.values():
                conn.close()
            self._conns.clear()
        self._local = threading.local()


def _file_identity(path: Path) -> tuple[int, int] | None:
    """Which file a path is now (device, inode); None when there is none."""
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_dev, st.st_ino


class SqliteCatalog:
    """Knowledge bases as folders under ``<home>/kb``; a knowledge base is its file's (device, inode)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _file(self, name: str) -> Path:
        from assistant.knowledge.store import kb_key

        return self.root / kb_key(name) / "index.sqlite3"

    def identity(self, name: str) -> object | None:
        return _file_identity(self._file(name))

    def open(self, name: str, create: bool, on_create: Callable[[], None] | None = None) -> SqliteFileStorage:
        path = self._file(name)
        if create and not path.exists() and on_create:
            on_create()
        path.parent.mkdir(parents=True, exist_ok=True)
        return SqliteFileStorage(path)

    def names(self) -> list[str]:
        if not self.root.exists():
            return []
        names = []
        for db in sorted(self.root.glob("*/index.sqlite3")):
            try:
                conn = kbsqlite.connect(db)
                row = conn.execute("SELECT value FROM meta WHERE key = 'name'").fetchone()
                conn.close()
            except kbsqlite.Error:
                continue
            if row:
                names.append(row[0])
        return sorted(names)

    def drop(self, name: str, on_drop: Callable[[], None] | None = None) -> None:
        path = self._file(name)
        # the SQLite file goes first: without it the knowledge base is gone for every reader
        path.unlink()
        if on_drop:
            on_drop()
        shutil.rmtree(path.parent, ignore_errors=True)


# --- server mode: one PostgreSQL schema per knowledge base ---------------------------------------

_KB_TABLES = re.compile(
    r'(?<![\w".])(meta|documents|chunks|garbage|chunks_fts|chunks_terms|lexical_stats)\b(?!")'
)


def pg_schema(sqlite_schema: str) -> str:
    """The knowledge-base tables' SQLite DDL as PostgreSQL's: 64-bit integers, and the chunk table's
    ``rowid`` an identity column (SQLite makes ``INTEGER PRIMARY KEY`` the row id by itself)."""
    ddl = sqlite_schema.replace(
        "rowid INTEGER PRIMARY KEY", "rowid BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"
    )
    return re.sub(r"\bINTEGER\b", "BIGINT", ddl)


_CATALOG = """
CREATE TABLE IF NOT EXISTS kb_catalog (
    name TEXT PRIMARY KEY,
    schema_name TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    serial BIGINT GENERATED ALWAYS AS IDENTITY
)
"""


@lru_cache(maxsize=4096)
def qualify(sql: str, schema: str) -> str:
    """The knowledge base's table names in *sql* prefixed with its schema (string literals untouched)."""
    return _code_parts(sql, lambda part: _KB_TABLES.sub(lambda m: f'"{schema}".{m.group(1)}', part))


class SchemaConnection:
    """A connection of the application database that runs a knowledge base's statements in its schema."""

    def __init__(self, conn: Any, schema: str) -> None:
        self._conn = conn
        self.schema = schema

    @property
    def raw(self) -> Any:
        return self._conn.raw

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self._conn.execute(qualify(sql, self.schema), params)

    def executemany(self, sql: str, rows: Any) -> Any:
        return self._conn.executemany(qualify(sql, self.schema), rows)

    def copy_rows(self, sql: str, rows: Any) -> None:
        """``COPY ... FROM STDIN`` of *rows* (tuples): the bulk path for the lexical postings."""
        with self._conn.raw.cursor() as cur, cur.copy(qualify(sql, self.schema)) as copy:
            for row in rows:
                copy.write_row(row)


class PgSchemaStorage:
    """A knowledge base's tables in their own schema (:meth:`PgCatalog.schema_for`) on the application
    database's server."""

    dialect = "postgresql"

    def __init__(self, db: PgAppDB, schema: str) -> None:
        self.db = db
        self.schema = schema

    @property
    def conn(self) -> SchemaConnection:
        return SchemaConnection(self.db.conn, self.schema)

    @contextmanager
    def transaction(self) -> Iterator[SchemaConnection]:
        with self.db.transaction() as c:
            yield SchemaConnection(c, self.schema)

    def create_schema(self, sqlite_schema: str, lexical: LexicalIndex) -> None:
        exists = self.db.conn.execute(
            "SELECT to_regclass(?) IS NOT NULL", (f'"{self.schema}".chunks',)
        ).fetchone()[0]
        if exists:
            return
        with self.transaction() as c:
            listed = c.execute("SELECT 1 FROM kb_catalog WHERE schema_name = ?", (self.schema,)).fetchone()
            if not listed:  # deleted by another process meanwhile: do not leave an orphan schema
                from assistant.errors import NotFound

                raise NotFound("the knowledge base was deleted meanwhile")
            c.raw.execute(f'CREATE SCHEMA IF NOT EXISTS "{self.schema}"')
            for statement in pg_schema(sqlite_schema).split(";"):
                if statement.strip():
                    c.raw.execute(qualify(statement, self.schema))
            lexical.create_schema(c)

    def read_snapshot(self) -> AbstractContextManager[None]:
        """Every read inside sees the database as at the first one (as ``db copy`` reads the tables)."""
        return _read_snapshot(self.db)

    def analyze(self) -> None:
        # VACUUM marks the new postings all-visible, so that searches read the index only
        self.db.conn.raw.execute(
            qualify("VACUUM (ANALYZE) chunks, chunks_fts, chunks_terms, lexical_stats", self.schema)
        )

    def close(self) -> None:
        """Nothing to close: the connections are the application database's."""


class PgCatalog:
    """Knowledge bases as schemas on the PostgreSQL server, listed in ``kb_catalog``."""

    def __init__(self, db: PgAppDB) -> None:
        self.db = db
        self._ready = False

    def _ensure(self) -> None:
        if self._ready:
            return
        known = self.db.conn.execute("SELECT to_regclass('kb_catalog') IS NOT NULL").fetchone()[0]
        if not known:
            with self.db.transaction() as c:
                c.raw.execute(_CATALOG)
        self._ready = True

    def identity(self, name: str) -> object | None:
        self._ensure()
        row = self.db.conn.execute("SELECT serial FROM kb_catalog WHERE name = ?", (name,)).fetchone()
        return int(row[0]) if row else None

    @staticmethod
    def schema_for(name: str) -> str:
        """``kb_`` and 24 hex digits of the name's SHA-1: an identifier any SQL text carries safely."""
        import hashlib

        return "kb_" + hashlib.sha1(name.encode("utf-8")).hexdigest()[:24]

    def open(self, name: str, create: bool, on_create: Callable[[], None] | None = None) -> PgSchemaStorage:
        self._ensure()
        schema = self.schema_for(name)
        if create:
            from assistant.knowledge.store import now_iso

            with self.db.transaction() as c:
                made = c.execute(
                    "INSERT INTO kb_catalog (name, schema_name, created_at) VALUES (?, ?, ?) "
                    "ON CONFLICT (name) DO NOTHING RETURNING serial",
                    (name, schema, now_iso()),
                ).fetchall()
                if made and on_create:  # only the process that made it; nobody sees it before commit
                    on_create()
        return PgSchemaStorage(self.db, schema)

    def names(self) -> list[str]:
        self._ensure()
        return [r[0] for r in self.db.conn.execute("SELECT name FROM kb_catalog ORDER BY name")]

    def drop(self, name: str, on_drop: Callable[[], None] | None = None) -> None:
        self._ensure()
        with self.db.transaction() as c:
            c.raw.execute(f'DROP SCHEMA IF EXISTS "{self.schema_for(name)}" CASCADE')
            c.execute("DELETE FROM kb_catalog WHERE name = ?", (name,))
            if on_drop:  # in the same turn: a process making it again waits, then starts clean
                on_drop()
