"""The application database: conversations, feedback, tickets, change requests and their audit log,
interviews, migration rounds and API keys. One SQLite file (``<home>/app.sqlite3``) by default, or a
PostgreSQL server in server mode (``ASSISTANT_DATABASE__URL``). Each module declares its tables;
:func:`open_app_db` brings them to the newest
schema revision (Alembic, assistant.providers.migrations); :func:`copy_database` moves a project between the two."""

from __future__ import annotations

import re
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

_SCHEMAS: list[str] = []
#: (table, condition on one ``?`` = knowledge-base name), children before parents: what each module
#: owns of one knowledge base, so that deleting a knowledge base takes everything of it
_KB_RECORDS: list[tuple[str, str]] = []


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """BEGIN IMMEDIATE ... COMMIT on an autocommit connection; ROLLBACK on any exception (even Ctrl-C)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    else:
        conn.execute("COMMIT")


def register_schema(sql: str, postgresql: str | None = None) -> None:
    """Modules call this at import time with ``CREATE TABLE IF NOT EXISTS`` statements: what their
    tables should be. The tables are made by the migrations (assistant.providers.migrations), which a test
    checks against these declarations. *postgresql* is the server-mode text where the translation
    of the SQLite text does not do (triggers)."""
    if sql not in _SCHEMAS:
        _SCHEMAS.append(sql)
    if postgresql:
        _PG_SCHEMAS[sql] = postgresql


def register_kb_records(*specs: tuple[str, str]) -> None:
    """Modules call this at import time with the rows they keep per knowledge base, e.g.
    ``("messages", "kb = ?")``; list child tables before the tables they refer to."""
    for spec in specs:
        if spec not in _KB_RECORDS:
            _KB_RECORDS.append(spec)


_PURGE_SCHEMA = """
CREATE TABLE IF NOT EXISTS kb_purges (kb TEXT PRIMARY KEY);
"""
_SCHEMAS.append(_PURGE_SCHEMA)


class AppDB(Protocol):
    """What the stores use of the application database: :class:`SqliteDB` (embedded, the default) or
    :class:`PgAppDB` (server mode). Both take the stores' SQL as written for SQLite."""

    dialect: str
    #: the schema revision (assistant.providers.migrations.HEAD once open)
    revision: str
    #: (revision before, after) when opening it upgraded the schema, else None
    schema_change: tuple[str | None, str] | None

    @property
    def conn(self) -> Any: ...

    def transaction(self) -> AbstractContextManager[Any]: ...

    def kb_records(self, kb: str) -> dict[str, list[dict[str, Any]]]: ...

    def purge_kb(self, kb: str) -> dict[str, int]: ...

    def health(self) -> dict[str, Any]: ...

    def close(self) -> None: ...

    @staticmethod
    def week_start_sql(col: str) -> str: ...


class SqliteDB:
    """The application database in one SQLite file (WAL; one writer at a time)."""

    dialect = "sqlite"

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._lock = threading.Lock()
        self._write_lock = threading.RLock()  # re-entrant: a store may call another inside its transaction
        #: (revision before, after) when this process upgraded the schema; None when it was current
        self.schema_change: tuple[str | None, str] | None = None
        self.revision = ""
        self._migrate()

    @property
    def conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA foreign_keys=ON")
            self._local.conn = conn
        return conn

    def _migrate(self) -> None:
        """Bring the file to the newest schema revision (Alembic, assistant.providers.migrations)."""
        from assistant.providers import migrations

        with self._lock:
            before = migrations.sqlite_revision(self.path)
            if before != migrations.HEAD:
                change = migrations.upgrade(self.path)
                self.schema_change = change if change[0] != change[1] else None
            self.revision = migrations.HEAD

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction. Threads of this process queue on a lock first: SQLite's own busy
        handler sleeps in growing steps (up to 100 ms) while another connection writes, which made
        the slowest 5% of answers under 20 concurrent clients wait 0.5 s for a 1 ms insert."""
        with self._write_lock, transaction(self.conn) as conn:
            yield conn

    def kb_records(self, kb: str) -> dict[str, list[dict[str, Any]]]:
        """Every row any module keeps for one knowledge base, by table (for an archive)."""
        out: dict[str, list[dict[str, Any]]] = {}
        for table, where in _KB_RECORDS:
            rows = self.conn.execute(f"SELECT * FROM {table} WHERE {where}", (kb,)).fetchall()
            out.setdefault(table, []).extend(dict(r) for r in rows)
        return out

    def purge_kb(self, kb: str) -> dict[str, int]:
        """Delete every row of one knowledge base in one transaction; rows deleted per table. While it
        runs, ``kb_purges`` names the knowledge base (append-only tables allow the delete then)."""
        counts: dict[str, int] = {}
        with self.transaction() as c:
            c.execute("INSERT OR IGNORE INTO kb_purges VALUES (?)", (kb,))
            for table, where in _KB_RECORDS:
                n = c.execute(f"DELETE FROM {table} WHERE {where}", (kb,)).rowcount
                counts[table] = counts.get(table, 0) + n
            c.execute("DELETE FROM kb_purges WHERE kb = ?", (kb,))
        return counts

    @staticmethod
    def week_start_sql(col: str) -> str:
        """SQL for the Monday (ISO day) of the week of an ISO timestamp or date column."""
        day = f"substr({col}, 1, 10)"
        return f"date({day}, '-' || ((strftime('%w', {day}) + 6) % 7) || ' days')"

    def health(self) -> dict[str, Any]:
        return {"backend": "sqlite", "version": sqlite3.sqlite_version, "path": str(self.path)}

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None


# --- server mode: PostgreSQL -------------------------------------------------------------------
# The stores write one SQL dialect (SQLite's); :func:`to_postgres` translates each statement once
# (cached). What it knows: ``?`` parameters, ``INSERT OR IGNORE``, ``json_extract(col, '$.key')``, ``instr``,
# the reserved word ``user`` as a column name, ``rowid`` (a hidden identity column on every table,
# left out of ``SELECT *`` as in SQLite) and the column types of the schemas. A schema that needs
# more (the audit log's triggers) registers its PostgreSQL text beside the SQLite one.

_PG_SCHEMAS: dict[str, str] = {}
_WRITE_LOCK_KEY = 0x617373697374  # pg_advisory_xact_lock: one writer at a time, as SQLite has
_LITERAL = re.compile(r"""('(?:[^']|'')*')|(--[^\n]*)|("(?:[^"]|"")*")""")
_JSON_EXTRACT = re.compile(r"json_extract\(\s*([\w.]+)\s*,\s*'\$\.(\w+)'\s*\)")
_INSERT_IGNORE = re.compile(r"^\s*INSERT\s+OR\s+IGNORE\s+INTO\b", re.IGNORECASE)
_CREATE_TABLE = re.compile(r"CREATE\s+TABLE\s+IF\s+NOT\s+EXISTS\s+(\w+)\s*\(", re.IGNORECASE)
_PG_TYPES = [
    (
        re.compile(r"\bINTEGER\s+PRIMARY\s+KEY\s+AUTOINCREMENT\b", re.I),
        "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
    ),
    (re.compile(r"\bINTEGER\b", re.I), "BIGINT"),
    (re.compile(r"\bREAL\b", re.I), "DOUBLE PRECISION"),
    (re.compile(r"\bBLOB\b", re.I), "BYTEA"),
]


def _code_parts(sql: str, code: Any, literal: Any = lambda s: s) -> str:
    """Apply *code* to the text outside string literals and quoted identifiers (comments dropped),
    *literal* to string literals."""
    out, pos = [], 0
    for m in _LITERAL.finditer(sql):
        out.append(code(sql[pos : m.start()]))
        if m.group(1):
            out.append(literal(m.group(1)))
        elif m.group(3):  # a quoted identifier goes through as written
            out.append(m.group(3))
        pos = m.end()
    out.append(code(sql[pos:]))
    return "".join(out)


@lru_cache(maxsize=2048)
def to_postgres(sql: str) -> str:
    """One statement of the stores' SQLite dialect as PostgreSQL (psycopg ``%s`` parameters)."""
    sql = _JSON_EXTRACT.sub(r"((\1)::jsonb ->> '\2')", sql)
    ignore = bool(_INSERT_IGNORE.match(sql))
    if ignore:
        sql = _INSERT_IGNORE.sub("INSERT INTO", sql, count=1)

    def code(part: str) -> str:
        part = part.replace("%", "%%").replace("?", "%s")
        part = re.sub(r"\binstr\(", "strpos(", part)  # instr(haystack, needle): same arguments
        return re.sub(r'(?<![\w"])user\b(?!")', '"user"', part)

    sql = _code_parts(sql, code, lambda lit: lit.replace("%", "%%"))
    if ignore:
        sql = sql.rstrip().rstrip(";") + " ON CONFLICT DO NOTHING"
    return sql


def to_postgres_schema(sql: str) -> str:
    """A registered SQLite schema as PostgreSQL DDL (no parameters: ``%`` stays as written)."""
    if re.search(r"\bTRIGGER\b", sql, re.I):
        raise ValueError(
            "a schema with triggers needs its PostgreSQL text: register_schema(sql, postgresql=...)"
        )

    def code(part: str) -> str:
        for pattern, repl in _PG_TYPES:
            part = pattern.sub(repl, part)
        return re.sub(r'(?<![\w"])user\b(?!")', '"user"', part)

    # the hidden rowid goes last, so that INSERT ... VALUES without a column list still lines up
    tables = _CREATE_TABLE.findall(_code_parts(sql, lambda part: part, lambda lit: "''"))
    rowids = "".join(
        f"\nALTER TABLE {t} ADD COLUMN IF NOT EXISTS rowid BIGINT GENERATED BY DEFAULT AS IDENTITY;"
        for t in tables
    )
    return _code_parts(sql, code).rstrip().rstrip(";") + ";" + rowids


class Row:
    """A result row read by position or by column name, like :class:`sqlite3.Row`. The hidden
    ``rowid`` columns that ``SELECT *`` and ``SELECT t.*`` bring are left out, as SQLite does."""

    __slots__ = ("_index", "_keys", "_pos", "_values")

    def __init__(self, index: dict[str, int], keys: list[str], pos: list[int], values: Sequence[Any]) -> None:
        self._index, self._keys, self._pos, self._values = index, keys, pos, values

    def __getitem__(self, key: int | str) -> Any:
        if isinstance(key, str):
            return self._values[self._index[key]]
        return self._values[self._pos[key]]

    def keys(self) -> list[str]:
        return self._keys

    def __iter__(self) -> Iterator[Any]:
        return iter([self._values[p] for p in self._pos])

    def __len__(self) -> int:
        return len(self._pos)

    def __repr__(self) -> str:
        return f"Row({dict(zip(self._keys, self, strict=True))!r})"


def _row_factory(cursor: Any) -> Any:
    desc = cursor.description
    if not desc:
        return tuple
    names = [d.name for d in desc]
    pos = [i for i, n in enumerate(names) if n != "rowid"] or list(range(len(names)))
    keys = [names[i] for i in pos]
    index: dict[str, int] = {}
    for i in pos:
        index.setdefault(names[i], i)  # a name twice (a join): the first, as sqlite3.Row
    if "rowid" in names:
        index.setdefault("rowid", names.index("rowid"))
    return lambda values: Row(index, keys, pos, values)


@lru_cache(maxsize=1)
def _number_loader() -> Any:
    from psycopg.types.numeric import NumericLoader

    class NumberLoader(NumericLoader):
        def load(self, data: Any) -> Any:
            value = super().load(data)
            return int(value) if value == value.to_integral_value() else float(value)

    return NumberLoader


class _PgCursor:
    def __init__(self, cur: Any) -> None:
        self._cur = cur

    @property
    def rowcount(self) -> int:
        return int(self._cur.rowcount)

    def fetchone(self) -> Any:
        return self._cur.fetchone() if self._cur.description else None

    def fetchall(self) -> list[Any]:
        return self._cur.fetchall() if self._cur.description else []

    def __iter__(self) -> Iterator[Any]:
        return iter(self.fetchall())


def _no_nul(params: Sequence[Any]) -> tuple[Any, ...]:
    """PostgreSQL text cannot hold NUL (U+0000), which SQLite stores: it is dropped, never meaningful."""
    return tuple(v.replace("\x00", "") if isinstance(v, str) and "\x00" in v else v for v in params)


class PgConnection:
    """What the stores call on ``db.conn`` (``execute``, ``executemany``), on one psycopg connection."""

    def __init__(self, raw: Any) -> None:
        self.raw = raw

    def execute(self, sql: str, params: Sequence[Any] = ()) -> _PgCursor:
        cur = self.raw.cursor()
        cur.execute(to_postgres(sql), _no_nul(params))
        return _PgCursor(cur)

    def executemany(self, sql: str, rows: Any) -> _PgCursor:
        cur = self.raw.cursor()
        cur.executemany(to_postgres(sql), [_no_nul(r) for r in rows])
        return _PgCursor(cur)

    def close(self) -> None:
        self.raw.close()


class PgAppDB:
    """The application database on a PostgreSQL server: the same calls as :class:`SqliteDB`, any number of
    processes. Writes take one advisory lock per transaction, so a store's read-check-write (a
    version check, a CCB quorum) sees what the writer before it committed, as under SQLite."""

    dialect = "postgresql"

    def __init__(self, url: str) -> None:
        import psycopg  # server mode only

        self._psycopg = psycopg
        self.url = "postgresql://" + url.split("://", 1)[1]  # postgres:// is accepted too
        self._local = threading.local()
        self._lock = threading.Lock()
        self._write_lock = threading.RLock()
        self._depth = threading.local()
        #: (revision before, after) when this process upgraded the schema; None when it was current
        self.schema_change: tuple[str | None, str] | None = None
        self.revision = ""
        self._migrate()

    def _connect(self) -> Any:
        try:
            raw = self._psycopg.connect(
                self.url, autocommit=True, row_factory=_row_factory, connect_timeout=10
            )
            # jit off: the stores' statements are short, and JIT compiling one took 160 ms when the
            # planner overestimated a join (see PgBm25Index.search). A SET, not a startup option,
            # which connection poolers such as PgBouncer refuse
            raw.execute("SET jit = off")
            # the stores' read-check-write needs each statement to see the last commit, whatever the
            # server's default_transaction_isolation says
            raw.isolation_level = self._psycopg.IsolationLevel.READ_COMMITTED
            # SUM() of integers is numeric in PostgreSQL: read it back as int (or float), as SQLite gives
            raw.adapters.register_loader("numeric", _number_loader())
            return raw
        except self._psycopg.OperationalError as exc:
            from assistant.errors import ConfigError

            raise ConfigError(f"cannot reach the database at ASSISTANT_DATABASE__URL: {exc}".strip()) from exc

    @property
    def conn(self) -> PgConnection:
        conn = getattr(self._local, "conn", None)
        if conn is None or conn.raw.closed:
            conn = PgConnection(self._connect())
            self._local.conn = conn
        return conn

    def _migrate(self) -> None:
        """Bring the database to the newest schema revision (Alembic, assistant.providers.migrations). A start
        on an up-to-date database reads one row and takes no lock: DDL on a busy server would lock
        every table and could deadlock with a request that is writing."""
        from assistant.providers import migrations

        with self._lock:
            with self._connect() as raw:
                before = migrations.postgres_revision(raw)
            if before != migrations.HEAD:
                # the writers' locks too: no request writes while the tables change
                change = migrations.upgrade(self.url, (_WRITE_LOCK_KEY + 1, _WRITE_LOCK_KEY))
                self.schema_change = change if change[0] != change[1] else None
            self.revision = migrations.HEAD

    @contextmanager
    def transaction(self) -> Iterator[PgConnection]:
        """One write transaction; nested calls join the outer one (as the SQLite store's re-entrant lock)."""
        conn = self.conn
        depth = getattr(self._depth, "n", 0)
        if depth:
            self._depth.n = depth + 1
            try:
                yield conn
            finally:
                self._depth.n = depth
            return
        with self._write_lock:
            self._depth.n = 1
            try:
                with conn.raw.transaction():
                    conn.raw.execute("SELECT pg_advisory_xact_lock(%s)", (_WRITE_LOCK_KEY,))
                    yield conn
            finally:
                self._depth.n = 0

    def kb_records(self, kb: str) -> dict[str, list[dict[str, Any]]]:
        return SqliteDB.kb_records(self, kb)  # type: ignore[arg-type]

    def purge_kb(self, kb: str) -> dict[str, int]:
        return SqliteDB.purge_kb(self, kb)  # type: ignore[arg-type]

    @staticmethod
    def week_start_sql(col: str) -> str:
        return f"to_char(date_trunc('week', CAST(substr({col}, 1, 10) AS date)), 'YYYY-MM-DD')"

    def health(self) -> dict[str, Any]:
        row = self.conn.execute("SELECT version()").fetchone()
        return {"backend": "postgresql", "version": str(row[0]).split(" on ")[0]}

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None


def open_app_db(home: Path, url: str | None = None) -> AppDB:
    """The application database: ``url`` from ``ASSISTANT_DATABASE__URL``, else ``<home>/app.sqlite3``."""
    if url and url.startswith(("postgresql://", "postgres://")):
        return PgAppDB(url)
    if url and url.startswith("sqlite:///"):
        return SqliteDB(Path(url.removeprefix("sqlite:///")).expanduser())
    return SqliteDB(home / "app.sqlite3")


def app_tables() -> list[str]:
    """Every table of the registered schemas, parents before children (the order they were created)."""
    tables: list[str] = []
    for sql in _SCHEMAS:
        for t in _CREATE_TABLE.findall(_code_parts(sql, lambda part: part, lambda lit: "''")):
            if t not in tables:
                tables.append(t)
    return tables


def _rows_in_order(db: AppDB, table: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    cur = db.conn.execute(f"SELECT * FROM {table} ORDER BY rowid")
    rows = cur.fetchall()
    if rows:
        return list(rows[0].keys()), [tuple(r) for r in rows]
    return [], []


def _checksum(cols: list[str], rows: list[tuple[Any, ...]]) -> tuple[int, str]:
    """(rows, sha256 of the rows in a canonical form): the same data gives the same sum on SQLite
    and on PostgreSQL, whatever order the rows come in."""
    import hashlib
    import json

    digest = hashlib.sha256()
    for line in sorted(
        json.dumps(dict(zip(cols, r, strict=True)), sort_keys=True, default=str) for r in rows
    ):
        digest.update(line.encode("utf-8") + b"\n")
    return len(rows), digest.hexdigest()


def table_checksums(db: AppDB) -> dict[str, tuple[int, str]]:
    """:func:`_checksum` of every table."""
    return {table: _checksum(*_rows_in_order(db, table)) for table in app_tables()}


def table_counts(db: AppDB) -> dict[str, int]:
    """Rows per table."""
    return {t: int(db.conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]) for t in app_tables()}


def _where(db: AppDB) -> str:
    return str(Path(db.path).resolve()) if isinstance(db, SqliteDB) else str(getattr(db, "url", id(db)))


@contextmanager
def _read_snapshot(db: AppDB) -> Iterator[None]:
    """Every read inside sees the database as it was at the first one (writers go on meanwhile)."""
    if isinstance(db, PgAppDB):
        begin, run = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", db.conn.raw.execute
    else:
        begin, run = "BEGIN", db.conn.execute  # a deferred read transaction: WAL gives it a snapshot
    run(begin)
    try:
        yield
    finally:
        run("COMMIT")


def copy_database(src: AppDB, dst: AppDB, progress: Any = None) -> dict[str, dict[str, Any]]:
    """Copy every row of *src* into an empty *dst* in one transaction, in the order rows were written,
    then compare counts and checksums table by table. The source is read in one snapshot, so rows
    written to it during the copy are not in it (and do not spoil it). Nothing is written when *dst*
    holds any row, and a failure part-way leaves *dst* as it was.

    Raises:
        InvalidInput: *dst* is not empty, or the two are the same database.
        AssistantError: the copy does not match its source (rolled back).
    """
    from assistant.errors import AssistantError, InvalidInput

    if _where(src) == _where(dst):
        raise InvalidInput("--from and --to are the same database")
    tables = app_tables()
    busy = [t for t, n in table_counts(dst).items() if n]
    if busy:
        raise InvalidInput(f"the target database is not empty ({', '.join(busy)}); copy into a new database")
    before: dict[str, tuple[int, str]] = {}
    with _read_snapshot(src), dst.transaction() as c:
        for n, table in enumerate(tables, 1):
            cols, rows = _rows_in_order(src, table)  # each source table is read once
            before[table] = _checksum(cols, rows)
            if rows:
                names = ", ".join(f'"{col}"' for col in cols)
                marks = ", ".join("?" for _ in cols)
                c.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)
            if progress:
                progress(n, len(tables), table, len(rows))
        if isinstance(dst, PgAppDB):
            # identity columns go on after the copied values (the audit log's seq)
            for table, column in dst.conn.execute(
                "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = "
                "current_schema() AND is_identity = 'YES' AND column_name <> 'rowid'"
            ).fetchall():
                c.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'), "
                    f"COALESCE((SELECT MAX({column}) FROM {table}), 0) + 1, false)"
                )
        after = table_checksums(dst)
        wrong = [t for t in tables if before[t] != after[t]]
        if wrong:
            raise AssistantError(
                f"the copy differs from its source in {', '.join(wrong)}; nothing was copied"
            )
    return {t: {"rows": before[t][0], "sha256": before[t][1]} for t in tables}
