"""Lexical indexes: BM25 over SQLite FTS5 (embedded mode) or PostgreSQL full-text search (server mode).

Text is segmented before it reaches either (jieba search mode for Chinese, lower-cased words for
the rest; see :mod:`assistant.text`). FTS5 gets it space-joined, so its ``unicode61`` tokenizer
only splits on the spaces we put there, and stems with Porter. PostgreSQL gets a ``tsvector`` built
from the same tokens (diacritics removed and Porter-stemmed here, as FTS5 does), so no text-search
configuration or server locale changes what is indexed. Either index lives in the same database as
the chunk table and is updated in the same transaction as the chunks it describes.
"""

from __future__ import annotations

import json
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


def index_fields(title: str, section: str, body: str, weights: Sequence[float]) -> tuple[str, str, int]:
    """(``tsvector`` literal, JSON of each lexeme's column-weighted frequency, token count) of a chunk.

    The ``tsvector`` holds every lexeme with its positions (running on across the fields, as FTS5
    numbers a row's tokens), weighted A (title), B (section) and D (body); it is what the GIN index
    finds rows by. The frequencies are what BM25 scores with: FTS5 sums a term's hits per column times
    the column's weight, and so do we."""
    positions: dict[str, list[str]] = {}
    freq: dict[str, float] = {}
    pos = 0
    for text, label, weight in zip((title, section, body), ("A", "B", ""), weights, strict=True):
        for token in tokenize(text):
            pos += 1
            lex = lexeme(token)
            if lex and len(lex.encode("utf-8")) < 2047:  # PostgreSQL's longest lexeme
                positions.setdefault(lex, []).append(f"{min(pos, 16383)}{label}")
                freq[lex] = freq.get(lex, 0.0) + weight
    literal = " ".join(f"{_quoted(lex)}:{','.join(p[:256])}" for lex, p in positions.items())
    return literal, json.dumps(freq, ensure_ascii=False), pos


class PgTsIndex:
    """PostgreSQL full-text search over pre-segmented tokens, ranked with BM25 as FTS5 computes it.

    ``ts_rank`` has no inverse document frequency (a query's common words count as much as its rare
    ones) and measured 0.03-0.15 recall@5 below FTS5 on the retrieval benchmarks, even with an IDF
    factor put on top. So the ``tsvector`` only finds the candidate rows (GIN index, ``@@``) and gives
    each term's document frequency; the score is FTS5's ``bm25()``: per term
    ``idf * f * (k1 + 1) / (f + k1 * (1 - b + b * len / avglen))`` with ``f`` the column-weighted
    frequency kept beside the ``tsvector``, ``idf = ln((N - df + 0.5) / (df + 0.5))`` (at least 1e-6),
    ``len`` the row's tokens."""

    def __init__(
        self,
        title_weight: float = 1.5,
        section_weight: float = 1.5,
        body_weight: float = 1.0,
        k1: float = 1.2,
        b: float = 0.75,
    ) -> None:
        self.weights = (title_weight, section_weight, body_weight)
        self.k1, self.b = k1, b

    def create_schema(self, conn: Any) -> None:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS chunks_fts (rowid BIGINT PRIMARY KEY, tsv tsvector NOT NULL, "
            "tf jsonb NOT NULL, len INTEGER NOT NULL)"
        )
        conn.execute("CREATE INDEX IF NOT EXISTS chunks_fts_tsv ON chunks_fts USING gin (tsv)")

    def add(self, conn: Any, rows: Iterable[tuple[int, str, str, str]]) -> None:
        values = [(rowid, *index_fields(t, s, b, self.weights)) for rowid, t, s, b in rows]
        if values:
            conn.executemany(
                "INSERT INTO chunks_fts (rowid, tsv, tf, len) VALUES (?, ?::tsvector, ?::jsonb, ?)", values
            )

    def delete(self, conn: Any, rowids: Sequence[int]) -> None:
        if rowids:
            conn.execute("DELETE FROM chunks_fts WHERE rowid = ANY(?)", (list(rowids),))

    @staticmethod
    def _lexeme(term: str) -> str:
        return lexeme(term.strip().lower())

    @classmethod
    def _query(cls, term: str) -> str:
        """One segmented query term (a token of :func:`assistant.text.tokenize`) as a ``tsquery``."""
        lex = cls._lexeme(term)
        return _quoted(lex) if lex else ""

    def search(
        self,
        conn: Any,
        terms: Sequence[str],
        n: int,
        filters_sql: str = "",
        params: Sequence[object] = (),
    ) -> list[tuple[int, float]]:
        lexemes = list(dict.fromkeys(lex for lex in (self._lexeme(t) for t in terms) if lex))
        if not lexemes:
            return []
        queries = [_quoted(lex) for lex in lexemes]
        sql = (
            "WITH q AS (SELECT l.lex, l.tq::tsquery AS tq FROM unnest(?::text[], ?::text[]) AS l(lex, tq)), "
            "stats AS (SELECT GREATEST(COUNT(*), 1)::float8 AS n, GREATEST(AVG(len), 1)::float8 AS avglen "
            "FROM chunks_fts), "
            "w AS (SELECT q.lex, GREATEST(ln((stats.n - d.df + 0.5) / (d.df + 0.5)), 1e-6) AS idf FROM q, stats, "
            "LATERAL (SELECT COUNT(*)::float8 AS df FROM chunks_fts WHERE tsv @@ q.tq) d), "
            "cand AS (SELECT f.rowid AS rid, f.tf, f.len FROM chunks_fts f JOIN chunks ON chunks.rowid = f.rowid "
            f"WHERE f.tsv @@ ?::tsquery {filters_sql}) "
            "SELECT cand.rid, SUM(w.idf * t.f * (? + 1) / (t.f + ? * (1 - ? + ? * cand.len / stats.avglen))) AS s "
            "FROM cand CROSS JOIN stats CROSS JOIN w "
            "CROSS JOIN LATERAL (SELECT COALESCE((cand.tf ->> w.lex)::float8, 0) AS f) t "
            "GROUP BY cand.rid ORDER BY s DESC, cand.rid LIMIT ?"
        )
        k1, b = self.k1, self.b
        rows = conn.execute(sql, (lexemes, queries, " | ".join(queries), *params, k1, k1, b, b, n)).fetchall()
        return [(int(r[0]), float(r[1])) for r in rows if r[1] is not None and math.isfinite(float(r[1]))]

    def document_frequency(self, conn: Any, term: str) -> int:
        """How many chunks hold this (segmented) term."""
        query = self._query(term)
        if not query:
            return 0
        row = conn.execute("SELECT COUNT(*) FROM chunks_fts WHERE tsv @@ ?::tsquery", (query,)).fetchone()
        return int(row[0])
