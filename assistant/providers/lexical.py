"""Lexical indexes: BM25 over SQLite FTS5 (embedded mode) or over an inverted index in PostgreSQL
tables (server mode).

Text is segmented before it reaches either (jieba search mode for Chinese, lower-cased words for
the rest; see :mod:`assistant.text`). FTS5 gets it space-joined, so its ``unicode61`` tokenizer
only splits on the spaces we put there, and stems with Porter. PostgreSQL gets the same tokens as
lexemes (diacritics removed and Porter-stemmed here, as FTS5 does), so no text-search configuration
or server locale changes what is indexed, and the same BM25 formula ranks them. Either index lives
in the same database as the chunk table and is updated in the same transaction as the chunks it
describes.
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
        common_share: float = 0.0,
        common_from: int = 0,
    ) -> list[tuple[int, float]]:
        """The best *n* chunk row ids for *terms* with their BM25 scores, best first. *common_share*
        and *common_from*: see :meth:`Fts5Index.search`."""
        ...

    def document_frequency(self, conn: Any, term: str) -> int: ...


def _fts5_match(terms: Sequence[str]) -> str:
    """An FTS5 query that matches any of the terms, each as a quoted phrase."""
    return " OR ".join('"' + t.replace('"', '""') + '"' for t in terms)


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
        common_share: float = 0.0,
        common_from: int = 0,
    ) -> list[tuple[int, float]]:
        """BM25 over every chunk that holds a query term; FTS5 scores each such row, which makes the
        cost grow with the rows the query's most frequent terms match.

        So, when *common_share* > 0 (off by default), in an index of at least *common_from* chunks
        the terms held by at least *common_share* of them are common terms (Elasticsearch's
        cutoff-frequency rule): they still add their BM25 share, but only to chunks that hold one of
        the query's rarer terms. The scores are the exact BM25 scores of the whole query; only chunks
        that hold nothing but common terms are left out. A query made only of common terms is scored
        as it is. Measured (evals/reports/common-terms.md), share 0.05: at 107,664 chunks the top 5
        is the exact ranking's for 98.8% of the questions and the lexical query's p95 falls from 85
        to 46 ms; forced on the four retrieval benchmarks, hybrid recall@5 moves from -8.5 to +4.2
        points per set (-1.1 on average). A chunk that answers with the question's common words
        alone, when the question also holds one incidental rare word ("几种"), is lost: that is why
        it is off by default."""
        if not terms:
            return []
        match = _fts5_match(terms)
        w = self.weights
        # the join to the chunk table only when a filter needs it: at 100,000 chunks it cost 40% of the
        # query (p50 77 -> 46 ms), the ranking is the same
        join = "JOIN chunks ON chunks.rowid = chunks_fts.rowid" if filters_sql else ""
        rare = self._rare_terms(conn, terms, common_share, common_from)
        # the unary + keeps the row-id filter out of FTS5's index: FTS5 would answer each id with a
        # query of its own; as a filter, only the chunks that pass it are scored
        only = (
            " AND +chunks_fts.rowid IN (SELECT rowid FROM chunks_fts WHERE chunks_fts MATCH ?)"
            if rare
            else ""
        )
        sql = (
            f"SELECT chunks_fts.rowid, bm25(chunks_fts, {w[0]}, {w[1]}, {w[2]}) AS s FROM chunks_fts "
            f"{join} WHERE chunks_fts MATCH ?{only} {filters_sql} ORDER BY s LIMIT ?"
        )
        args = (match, *((_fts5_match(rare),) if rare else ()), *params, n)
        rows = conn.execute(sql, args).fetchall()
        # FTS5's bm25() is negative: smaller is better
        return [(int(r[0]), -float(r[1])) for r in rows]

    @staticmethod
    def _rare_terms(conn: Any, terms: Sequence[str], share: float, at_least: int) -> list[str] | None:
        """The query terms below the common-term share, when the rule applies (None: it does not)."""
        if share <= 0 or len(terms) < 2:
            return None
        # the row count FTS5 keeps (one row per chunk): cheaper than counting the chunk table
        chunks = int(conn.execute("SELECT COUNT(*) FROM chunks_fts_docsize").fetchone()[0])
        if chunks < max(at_least, 1):
            return None
        conn.execute(
            "CREATE VIRTUAL TABLE IF NOT EXISTS temp.chunks_fts_vocab USING fts5vocab(main, chunks_fts, 'row')"
        )
        stems = {t: lexeme(t) for t in terms}
        wanted = sorted(set(stems.values()))
        found = dict(
            conn.execute(
                f"SELECT term, doc FROM temp.chunks_fts_vocab WHERE term IN ({','.join('?' * len(wanted))})",
                wanted,
            ).fetchall()
        )
        # a term whose stem the vocabulary does not show (our Porter and SQLite's can differ) counts
        # as rare: the filter then keeps more chunks, never fewer. But the rule needs one rare term
        # the vocabulary does show: a query whose other words are in no chunk (a typo) would
        # otherwise keep no chunk at all
        rare = [t for t in terms if found.get(stems[t], 0) < share * chunks]
        if not any(found.get(stems[t], 0) > 0 for t in rare) or len(rare) == len(terms):
            return None
        return rare

    def document_frequency(self, conn: Any, term: str) -> int:
        """How many chunks hold this (segmented) term."""
        row = conn.execute(
            "SELECT COUNT(*) FROM chunks_fts WHERE chunks_fts MATCH ?", (_fts5_match([term]),)
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


def term_frequencies(
    title: str, section: str, body: str, weights: Sequence[float]
) -> tuple[dict[str, float], int]:
    """Each lexeme's column-weighted frequency in a chunk (FTS5 sums a term's hits per column times the
    column's weight) and the chunk's token count (all columns, as FTS5 counts a row's length)."""
    freq: dict[str, float] = {}
    n = 0
    for text, weight in zip((title, section, body), weights, strict=True):
        for token in tokenize(text):
            n += 1
            lex = lexeme(token)
            if lex:
                freq[lex] = freq.get(lex, 0.0) + weight
    return freq, n


class PgBm25Index:
    """BM25 in plain PostgreSQL over pre-segmented tokens: an inverted index (one row per lexeme and
    chunk, with the lexeme's column-weighted frequency and the chunk's length) scored with FTS5's
    ``bm25()``: per term ``idf * f * (k1 + 1) / (f + k1 * (1 - b + b * len / avglen))``,
    ``idf = ln((N - df + 0.5) / (df + 0.5))`` (at least 1e-6). N and the total length are kept in
    ``lexical_stats``, updated in the same transaction as the postings.

    Why not a ``tsvector`` (measured, ``evals/reports/lexical-backends.md`` and ``scale-server.md``):
    ranked with ``ts_rank`` (even times an IDF) it fell 0.11 recall@5 below FTS5 (hybrid, mean of four
    benchmarks); ranked with BM25 from frequencies stored beside it, it matched FTS5 but took 0.9 s
    (p50) to 4.2 s (p95) per search at 100,000 chunks, since every matching row's ``tsvector`` and
    frequencies are decompressed. The postings are read by index, a term at a time: the key
    (lexeme, chunk) carries the frequency and length (``INCLUDE``), so once the table is vacuumed a
    search reads the index only (at 107,664 chunks: p50 104 -> 24 ms, p95 366 -> 77 ms)."""

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
        conn.execute("CREATE TABLE IF NOT EXISTS chunks_fts (rowid BIGINT PRIMARY KEY, len INTEGER NOT NULL)")
        conn.execute(
            "CREATE TABLE IF NOT EXISTS chunks_terms (lex TEXT NOT NULL, rowid BIGINT NOT NULL, "
            "f REAL NOT NULL, len INTEGER NOT NULL, PRIMARY KEY (lex, rowid) INCLUDE (f, len))"
        )
        conn.execute("CREATE INDEX IF NOT EXISTS chunks_terms_row ON chunks_terms (rowid)")
        conn.execute(
            "CREATE TABLE IF NOT EXISTS lexical_stats (one INTEGER PRIMARY KEY CHECK (one = 1), "
            "n BIGINT NOT NULL, total BIGINT NOT NULL)"
        )
        conn.execute("INSERT INTO lexical_stats VALUES (1, 0, 0) ON CONFLICT DO NOTHING")

    def add(self, conn: Any, rows: Iterable[tuple[int, str, str, str]]) -> None:
        lengths: list[tuple[int, int]] = []
        postings: list[tuple[str, int, float, int]] = []
        for rowid, t, s, b in rows:
            freq, n = term_frequencies(t, s, b, self.weights)
            n = max(n, 1)
            lengths.append((rowid, n))
            postings.extend((lex, rowid, f, n) for lex, f in freq.items())
        if not lengths:
            return
        conn.copy_rows("COPY chunks_fts (rowid, len) FROM STDIN", lengths)
        conn.copy_rows("COPY chunks_terms (lex, rowid, f, len) FROM STDIN", postings)
        conn.execute(
            "UPDATE lexical_stats SET n = n + ?, total = total + ?",
            (len(lengths), sum(n for _, n in lengths)),
        )

    def delete(self, conn: Any, rowids: Sequence[int]) -> None:
        if not rowids:
            return
        ids = list(rowids)
        conn.execute("DELETE FROM chunks_terms WHERE rowid = ANY(?)", (ids,))
        gone = conn.execute("DELETE FROM chunks_fts WHERE rowid = ANY(?) RETURNING len", (ids,)).fetchall()
        if gone:
            conn.execute(
                "UPDATE lexical_stats SET n = n - ?, total = total - ?",
                (len(gone), sum(int(r[0]) for r in gone)),
            )

    @staticmethod
    def _lexeme(term: str) -> str:
        return lexeme(term.strip().lower())

    def search(
        self,
        conn: Any,
        terms: Sequence[str],
        n: int,
        filters_sql: str = "",
        params: Sequence[object] = (),
        common_share: float = 0.0,
        common_from: int = 0,
    ) -> list[tuple[int, float]]:
        # the common-term rule of Fts5Index is not applied: these postings are read from the index
        # alone and meet the latency goal at 100,000 chunks without it (evals/reports/scale-server.md)
        del common_share, common_from
        lexemes = list(dict.fromkeys(lex for lex in (self._lexeme(t) for t in terms) if lex))
        if not lexemes:
            return []
        join = "JOIN chunks ON chunks.rowid = s.rid" if filters_sql else ""
        # N and the average length as scalars: joined as a table they were estimated at 1,700 rows,
        # which multiplied every estimate until PostgreSQL JIT-compiled the query (160 ms of 164)
        n_sql = "(SELECT GREATEST(n, 1)::float8 FROM lexical_stats)"
        avg_sql = "(SELECT GREATEST(total::float8 / GREATEST(n, 1), 1) FROM lexical_stats)"
        sql = (
            f"WITH w AS (SELECT q.lex, GREATEST(ln(({n_sql} - d.df + 0.5) / (d.df + 0.5)), 1e-6) AS idf "
            "FROM unnest(?::text[]) AS q(lex) "
            "CROSS JOIN LATERAL (SELECT COUNT(*)::float8 AS df FROM chunks_terms t WHERE t.lex = q.lex) d), "
            f"s AS (SELECT p.rowid AS rid, SUM(w.idf * p.f * (? + 1) / (p.f + ? * (1 - ? + ? * p.len / {avg_sql}))) AS s "
            "FROM chunks_terms p JOIN w ON p.lex = w.lex GROUP BY p.rowid) "
            f"SELECT s.rid, s.s FROM s {join} WHERE TRUE {filters_sql} ORDER BY s.s DESC, s.rid LIMIT ?"
        )
        k1, b = self.k1, self.b
        rows = conn.execute(sql, (lexemes, k1, k1, b, b, *params, n)).fetchall()
        return [(int(r[0]), float(r[1])) for r in rows if r[1] is not None and math.isfinite(float(r[1]))]

    def document_frequency(self, conn: Any, term: str) -> int:
        """How many chunks hold this (segmented) term."""
        lex = self._lexeme(term)
        if not lex:
            return 0
        return int(conn.execute("SELECT COUNT(*) FROM chunks_terms WHERE lex = ?", (lex,)).fetchone()[0])
