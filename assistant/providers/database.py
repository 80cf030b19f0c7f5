"""The application database: one SQLite file (``<home>/app.sqlite3``) for conversations, feedback,
tickets and API keys. Each module declares its tables; :func:`open_app_db` creates them."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

_SCHEMAS: list[str] = []


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


def register_schema(sql: str) -> None:
    """Modules call this at import time with ``CREATE TABLE IF NOT EXISTS`` statements."""
    if sql not in _SCHEMAS:
        _SCHEMAS.append(sql)


class AppDB:
    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._lock = threading.Lock()
        self._applied = 0
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
        if self._applied < len(_SCHEMAS):
            self._migrate()
        return conn

    def _migrate(self) -> None:
        with self._lock:
            conn = sqlite3.connect(self.path, timeout=30)
            try:
                for sql in _SCHEMAS[self._applied :]:
                    conn.executescript(sql)
                conn.commit()
                self._applied = len(_SCHEMAS)
            finally:
                conn.close()

    def transaction(self) -> Any:
        return transaction(self.conn)

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None


def open_app_db(home: Path) -> AppDB:
    return AppDB(home / "app.sqlite3")
