"""The SQLite library of the knowledge-base files (chunks and their FTS5 index).

``pysqlite3-binary`` (the ``sqlite`` extra, which ``make venv`` installs) brings a current SQLite
(3.51) with the same DB-API as the standard library's ``sqlite3``, which links the system's SQLite
(3.40 on Debian 12). The newer FTS5 ranks the same chunks with the same scores in less time: search
p95 at 107,664 chunks 122 ms on 3.40 and 92 ms on 3.51 (evals/reports/scale.md, before and after).
The package has wheels for glibc Linux x86-64 only; without it the standard library's module is
used, with whatever SQLite the interpreter has.
"""

from __future__ import annotations

from typing import Any

try:  # pragma: no cover - which branch runs depends on the platform
    from pysqlite3 import dbapi2 as _sqlite
except ImportError:  # pragma: no cover
    import sqlite3 as _sqlite

sqlite: Any = _sqlite
#: the SQLite library version the knowledge bases run on, e.g. "3.51.1"
SQLITE_VERSION: str = _sqlite.sqlite_version
Error = _sqlite.Error
Row = _sqlite.Row


def connect(path: Any, **kwargs: Any) -> Any:
    """A connection to a knowledge-base file (``sqlite3.connect``'s arguments)."""
    return _sqlite.connect(str(path), **kwargs)
