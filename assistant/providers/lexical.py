"""Lexical index: BM25 over SQLite FTS5, in the knowledge base's own SQLite file.

Text is segmented before it reaches FTS5 (jieba search mode for Chinese, lower-cased words for
the rest; see :mod:`assistant.text`) and stored space-joined, so FTS5's ``unicode61`` tokenizer
only splits on the spaces we put there. Living in the same file as the chunk table, the index is
updated in the same transaction as the chunks it describes.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from typing import Protocol

from assistant.text import tokenize


class LexicalIndex(Protocol):
    def create_schema(self, conn: sqlite3.Connection) -> None: ...

    def add(self, conn: sqlite3.Connection, rows: Iterable[tuple[int, str, str, str]]) -> None: ...

    def delete(self, conn: sqlite3.Connection, rowids: Sequence[int]) -> None: ...

    def search(
        self,
        conn: sqlite3.Connection,
        terms: Sequence[str],
        n: int,
        filters_sql: str = "",
        params: Sequence[object] = (),
    ) -> list[tuple[int, float]]: ...

    def document_frequency(self, conn: sqlite3.Connection, term: str) -> int: ...


class Fts5Index:
    """FTS5 with BM25 ranking; columns title, section and body weighted separately."""

    def __init__(
        self, title_weight: float = 1.5, section_weight: float = 1.5, body_weight: float = 1.0
    ) -> None:
        self.weights = (title_weight, section_weight, body_weight)

    def create_schema(self, conn: sqlite3.Connection) -> None:
        conn.execute(
            "CREATE VIRTUAL TABLE IF NOT EXISTS chunks_fts USING fts5("
            "title, section, body, tokenize='porter unicode61 remove_diacritics 2')"
        )

    @staticmethod
    def segment(text: str) -> str:
        return " ".join(tokenize(text))

    def add(self, conn: sqlite3.Connection, rows: Iterable[tuple[int, str, str, str]]) -> None:
        conn.executemany(
            "INSERT INTO chunks_fts(rowid, title, section, body) VALUES (?, ?, ?, ?)",
            ((rowid, self.segment(t), self.segment(s), self.segment(b)) for rowid, t, s, b in rows),
        )

    def delete(self, conn: sqlite3.Connection, rowids: Sequence[int]) -> None:
        conn.executemany("DELETE FROM chunks_fts WHERE rowid = ?", ((r,) for r in rowids))

    def search(
        self,
        conn: sqlite3.Connection,
        terms: Sequence[str],
        n: int,
        filters_sql: str = "",
        params: Sequence[object] = (),
    ) -> list[tuple[int, float]]:
        if not terms:
            return []
        match = " OR ".join('"' + t.replace('"', '""') + '"' for t in terms)
        w = self.weights
        sql = (
            f"SELECT chunks_fts.rowid, bm25(chunks_fts, {w[0]}, {w[1]}, {w[2]}) AS s FROM chunks_fts "
            f"JOIN chunks ON chunks.rowid = chunks_fts.rowid WHERE chunks_fts MATCH ? {filters_sql} "
            "ORDER BY s LIMIT ?"
        )
        rows = conn.execute(sql, (match, *params, n)).fetchall()
        # FTS5's bm25() is negative: smaller is better
        return [(int(r[0]), -float(r[1])) for r in rows]

    def document_frequency(self, conn: sqlite3.Connection, term: str) -> int:
        """How many chunks hold this (segmented) term."""
        row = conn.execute(
            "SELECT COUNT(*) FROM chunks_fts WHERE chunks_fts MATCH ?", ('"' + term.replace('"', '""') + '"',)
        ).fetchone()
        return int(row[0])
