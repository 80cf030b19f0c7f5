"""Lexical indexes: BM25 over SQLite FTS5 (embedded mode) or PostgreSQL full-text search (server mode).

Text is segmented before it reaches either (jieba search mode for Chinese, lower-cased words for
the rest; see :mod:`assistant.text`). FTS5 gets it space-joined, so its ``unicode61`` tokenizer
only splits on the spaces we put there, and stems with Porter. PostgreSQL gets a ``tsvector`` built
from the same tokens (diacritics removed and Porter-stemmed here, as FTS5 does), so no text-search
configuration or server locale changes what is indexed. Either index lives in the same database as
the chunk table and is updated in the same transaction as the chunks it describes.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any, Protocol

from assistant.text import tokenize


class LexicalIndex(Protocol):
    def create_schema(self, conn: Any) -> None: ...

    def add(self, conn: Any, rows: Iterable[tuple[int, str, str, str]]) -> None: ...

    def delete(self, conn: Any, rowids: Sequence[int]) -> None: ...

    def search(
        self,
        conn: Any,
        terms: Sequence[str],
        n: int,
        filters_sql: str = "",
        params: Sequence[object] = (),
    ) -> list[tuple[int, float]]: ...

    def document_frequency(self, conn: Any, term: str) -> int: ...


class Fts5Index:
    """FTS5 with BM25 ranking; columns title, section and body weighted separately."""

    def __init__(
        self, title_weight: float = 1.5, section_weight: float = 1.5, body_weight: float = 1.0
    ) -> None:
        self.weights = (title_weight, section_weight, body_weight)

    def create_schema(self, conn: Any) -> None:
        conn.execute(
            "CREATE VIRTUAL TABLE IF NOT EXISTS chunks_fts USING fts5("
            "title, section, body, tokenize='porter unicode61 remove_diacritics 2')"
        )

    @staticmethod
    def segment(text: str) -> str:
        return " ".join(tokenize(text))

    def add(self, conn: Any, rows: Iterable[tuple[int, str, str, str]]) -> None:
        conn.executemany(
            "INSERT INTO chunks_fts(rowid, title, section, body) VALUES (?, ?, ?, ?)",
            ((rowid, self.segment(t), self.segment(s), self.segment(b)) for rowid, t, s, b in rows),
        )

    def delete(self, conn: Any, rowids: Sequence[int]) -> None:
        conn.executemany("DELETE FROM chunks_fts WHERE rowid = ?", ((r,) for r in rowids))

    def search(
        self,
        conn: Any,
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

    def document_frequency(self, conn: Any, term: str) -> int:
        """How many chunks hold this (segmented) term."""
        row = conn.execute(
            "SELECT COUNT(*) FROM chunks_fts WHERE chunks_fts MATCH ?", ('"' + term.replace('"', '""') + '"',)
        ).fetchone()
        return int(row[0])


# --- server mode --------------------------------------------------------------------------------

_ASCII_WORD = re.compile(r"[a-z]+")


@lru_cache(maxsize=1)
def _porter() -> Any:
    import snowballstemmer

    return snowballstemmer.stemmer("porter")


@lru_cache(maxsize=65536)
def lexeme(token: str) -> str:
    """A segmented token as FTS5 ``porter unicode61 remove_diacritics 2`` would index it."""
    if not token.isascii():
        decomposed = unicodedata.normalize("NFD", token)
        token = unicodedata.normalize(
            "NFC", "".join(c for c in decomposed if unicodedata.category(c) != "Mn")
        )
    if len(token) > 2 and _ASCII_WORD.fullmatch(token):
        token = _porter().stemWord(token)
    return token


def _quoted(lex: str) -> str:
    """A lexeme as a ``tsvector`` / ``tsquery`` literal element."""
    return "'" + lex.replace("\\", "\\\\").replace("'", "''") + "'"


def tsvector_literal(title: str, section: str, body: str) -> str:
    """A ``tsvector`` of the three fields' lexemes with their positions, weighted A (title),
    B (section) and D (body); positions run on across the fields, as FTS5 numbers a row's tokens."""
    positions: dict[str, list[str]] = {}
    pos = 0
    for text, weight in ((title, "A"), (section, "B"), (body, "")):
        for token in tokenize(text):
            pos += 1
            lex = lexeme(token)
            if lex and len(lex.encode("utf-8")) < 2047:  # PostgreSQL's longest lexeme
                positions.setdefault(lex, []).append(f"{min(pos, 16383)}{weight}")
    return " ".join(f"{_quoted(lex)}:{','.join(p[:256])}" for lex, p in positions.items())


class PgTsIndex:
    """PostgreSQL full-text search over pre-segmented tokens, ranked BM25-like.

    ``ts_rank`` alone has no inverse document frequency: a query's common words would count as much
    as its rare ones. Each query term's ``ts_rank`` (a term frequency that saturates, field-weighted
    like FTS5's columns) is therefore multiplied by the term's IDF, counted in the same statement
    from the GIN index, and divided by a length factor as BM25's ``b`` does."""

    def __init__(
        self,
        title_weight: float = 1.5,
        section_weight: float = 1.5,
        body_weight: float = 1.0,
        b: float = 0.75,
    ) -> None:
        # ts_rank's weights array is {D, C, B, A}, each at most 1: only their ratios count
        top = max(title_weight, section_weight, body_weight)
        self.weights = [w / top for w in (body_weight, body_weight, section_weight, title_weight)]
        self.b = b

    def create_schema(self, conn: Any) -> None:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS chunks_fts (rowid BIGINT PRIMARY KEY, tsv tsvector NOT NULL, "
            "len INTEGER NOT NULL)"
        )
        conn.execute("CREATE INDEX IF NOT EXISTS chunks_fts_tsv ON chunks_fts USING gin (tsv)")

    def add(self, conn: Any, rows: Iterable[tuple[int, str, str, str]]) -> None:
        values = []
        for rowid, t, s, b in rows:
            literal = tsvector_literal(t, s, b)
            values.append((rowid, literal, max(1, len(tokenize(b)))))
        if values:
            conn.executemany("INSERT INTO chunks_fts (rowid, tsv, len) VALUES (?, ?::tsvector, ?)", values)

    def delete(self, conn: Any, rowids: Sequence[int]) -> None:
        if rowids:
            conn.execute("DELETE FROM chunks_fts WHERE rowid = ANY(?)", (list(rowids),))

    @staticmethod
    def _query(term: str) -> str:
        """One segmented query term (a token of :func:`assistant.text.tokenize`) as a ``tsquery``."""
        lex = lexeme(term.strip().lower())
        return _quoted(lex) if lex else ""

    def search(
        self,
        conn: Any,
        terms: Sequence[str],
        n: int,
        filters_sql: str = "",
        params: Sequence[object] = (),
    ) -> list[tuple[int, float]]:
        queries = list(dict.fromkeys(q for q in (self._query(t) for t in terms) if q))
        if not queries:
            return []
        sql = (
            "WITH q AS (SELECT x::tsquery AS tq FROM unnest(?::text[]) AS x), "
            "stats AS (SELECT GREATEST(COUNT(*), 1)::float8 AS n, GREATEST(AVG(len), 1)::float8 AS avglen "
            "FROM chunks_fts), "
            "w AS (SELECT q.tq, ln(1 + (stats.n - d.df + 0.5) / (d.df + 0.5)) AS idf FROM q, stats, "
            "LATERAL (SELECT COUNT(*)::float8 AS df FROM chunks_fts WHERE tsv @@ q.tq) d) "
            "SELECT f.rowid AS rid, SUM(w.idf * ts_rank(?::float4[], f.tsv, w.tq, 0)) "
            "/ (1 - ? + ? * MAX(f.len) / MAX(stats.avglen)) AS s "
            "FROM chunks_fts f JOIN chunks ON chunks.rowid = f.rowid CROSS JOIN w CROSS JOIN stats "
            f"WHERE f.tsv @@ ?::tsquery {filters_sql} GROUP BY f.rowid ORDER BY s DESC, f.rowid LIMIT ?"
        )
        rows = conn.execute(
            sql, (queries, self.weights, self.b, self.b, " | ".join(f"({q})" for q in queries), *params, n)
        ).fetchall()
        return [(int(r[0]), float(r[1])) for r in rows if r[1] is not None and math.isfinite(float(r[1]))]

    def document_frequency(self, conn: Any, term: str) -> int:
        """How many chunks hold this (segmented) term."""
        query = self._query(term)
        if not query:
            return 0
        row = conn.execute("SELECT COUNT(*) FROM chunks_fts WHERE tsv @@ ?::tsquery", (query,)).fetchone()
        return int(row[0])
