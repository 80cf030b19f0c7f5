"""Knowledge bases: a document registry, a chunk table and a lexical index, plus a vector collection.

Embedded mode (the default): each knowledge base has a folder ``<home>/kb/<key>/`` with one SQLite
file (WAL mode) holding the registry, the chunk table (text and citation fields) and the FTS5
lexical index. Server mode (``ASSISTANT_DATABASE__URL=postgresql://...``): the same tables in one
PostgreSQL schema per knowledge base (``kb_`` and a hash of its name), the lexical index an inverted index in tables (BM25), and a
catalog table ``kb_catalog`` naming them (:mod:`assistant.knowledge.storage`). The statements are
the same for both. Either way the relational side is the source of truth: a vector hit whose chunk
id is not in the chunk table is ignored, so a search never sees half of a document that is being
replaced.

Replacing a document's chunks:

1. record the new generation in ``garbage`` (if we die, its vectors are known litter);
2. upsert the new vectors;
3. one database transaction swaps the chunk rows and lexical rows, updates the registry, moves the
   garbage mark from the new generation to the old one;
4. delete the old generation's vectors and its garbage mark.

:meth:`KnowledgeBase.collect_garbage` finishes steps 4 (or undoes step 2) after a crash.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.errors import ConfigError, InvalidInput, NotFound
from assistant.providers.lexical import Fts5Index, LexicalIndex, PgBm25Index
from assistant.providers.vectorstore import VectorIndex, VectorStore
from assistant.schemas import Chunk, DocType, DocumentInfo, KnowledgeBaseInfo

if TYPE_CHECKING:
    from assistant.knowledge.storage import Catalog, KbStorage
    from assistant.providers.database import AppDB

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents (
    doc_id TEXT PRIMARY KEY,
    source TEXT NOT NULL UNIQUE,
    path TEXT,
    doc_type TEXT NOT NULL,
    title TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    gen TEXT NOT NULL,
    version TEXT NOT NULL,
    language TEXT,
    status TEXT NOT NULL,
    error TEXT,
    chunk_count INTEGER NOT NULL DEFAULT 0,
    size INTEGER,
    encoding TEXT,
    ingested_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS chunks (
    rowid INTEGER PRIMARY KEY,
    chunk_id TEXT NOT NULL UNIQUE,
    doc_id TEXT NOT NULL,
    ordinal INTEGER NOT NULL,
    section TEXT NOT NULL,
    page INTEGER,
    language TEXT NOT NULL,
    text TEXT NOT NULL,
    req_ids TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX IF NOT EXISTS chunks_doc ON chunks(doc_id);
CREATE TABLE IF NOT EXISTS garbage (doc_id TEXT NOT NULL, gen TEXT NOT NULL, PRIMARY KEY (doc_id, gen));
"""

_BAD_NAME = re.compile(r"[\x00-\x1f\x7f/\\]")


def validate_kb_name(name: str) -> str:
    """Knowledge-base names may be any language; they may not be empty, long or hold path characters."""
    cleaned = (name or "").strip()
    if not cleaned:
        raise InvalidInput("knowledge-base name is empty; pass --kb NAME")
    if len(cleaned) > 100:
        raise InvalidInput("knowledge-base name is longer than 100 characters")
    if _BAD_NAME.search(cleaned):
        raise InvalidInput("knowledge-base name may not contain '/', '\\' or control characters")
    return cleaned


def kb_key(name: str) -> str:
    """A filesystem- and Chroma-safe key for a knowledge-base name."""
    slug = re.sub(r"[^a-zA-Z0-9_-]+", "-", name).strip("-")[:40] or "kb"
    return f"{slug}-{hashlib.sha1(name.encode('utf-8')).hexdigest()[:10]}"


def now_iso() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


@dataclass
class DocumentRecord:
    doc_id: str
    source: str
    path: str | None
    doc_type: str
    title: str
    content_hash: str
    fingerprint: str
    gen: str
    version: str
    language: str | None
    status: str
    error: str | None
    chunk_count: int
    size: int | None
    encoding: str | None
    ingested_at: str


class KnowledgeBase:
    """One knowledge base: its tables (a SQLite file or a PostgreSQL schema), lexical index and vectors."""

    def __init__(self, name: str, storage: KbStorage, vectors: VectorIndex, lexical: LexicalIndex) -> None:
        self.name = name
        self.storage = storage
        self.vectors = vectors
        self.lexical = lexical
        self._write_lock = threading.RLock()

    # -- connection -------------------------------------------------------------------------
    @property
    def conn(self) -> Any:
        """This thread's connection (``execute``, ``executemany``; rows by name or position)."""
        return self.storage.conn

    def close(self) -> None:
        with self._write_lock:
            self.storage.close()

    @contextmanager
    def transaction(self) -> Iterator[Any]:
        with self._write_lock, self.storage.transaction() as c:
            yield c

    @contextmanager
    def writing(self) -> Iterator[None]:
        """Hold this knowledge base's write turn across several transactions (one ingestion)."""
        with self._write_lock:
            yield

    def refresh_statistics(self, changed_chunks: int) -> None:
        """After an ingestion that changed a tenth of the chunks or more, let the database re-plan
        (PostgreSQL: VACUUM ANALYZE; a freshly loaded postings table is otherwise scanned whole, 200 ms
        a query at 3,000 chunks, until autovacuum gets to it)."""
        if changed_chunks and changed_chunks * 10 >= self.chunk_count():
            self.storage.analyze()

    def init_schema(self, embedding_model: str) -> None:
        self.storage.create_schema(SCHEMA, self.lexical)
        with self.transaction() as c:
            c.execute("INSERT OR IGNORE INTO meta VALUES ('name', ?)", (self.name,))
            c.execute("INSERT OR IGNORE INTO meta VALUES ('created_at', ?)", (now_iso(),))
            c.execute("INSERT OR IGNORE INTO meta VALUES ('embedding_model', ?)", (embedding_model,))

    def meta(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def check_model(self, embedding_model: str) -> None:
        built = self.meta("embedding_model")
        if built and built != embedding_model:
            raise ConfigError(
                f"knowledge base {self.name!r} was built with embedding model {built!r}, but {embedding_model!r} "
                f"is configured; use the same model or delete and re-ingest the knowledge base"
            )

    # -- registry ---------------------------------------------------------------------------
    def document(self, source: str) -> DocumentRecord | None:
        row = self.conn.execute("SELECT * FROM documents WHERE source = ?", (source,)).fetchone()
        return DocumentRecord(**dict(row)) if row else None

    def documents(self) -> list[DocumentRecord]:
        rows = self.conn.execute("SELECT * FROM documents ORDER BY source").fetchall()
        return [DocumentRecord(**dict(r)) for r in rows]

    def record_failure(
        self, source: str, path: str | None, error: str, doc_type: str, size: int | None
    ) -> None:
        """Note a failed ingestion; a document that was indexed before keeps its chunks."""
        with self.transaction() as c:
            existing = c.execute("SELECT doc_id FROM documents WHERE source = ?", (source,)).fetchone()
            if existing:
                c.execute("UPDATE documents SET error = ?, path = ? WHERE source = ?", (error, path, source))
            else:
                c.execute(
                    "INSERT INTO documents (doc_id, source, path, doc_type, title, content_hash, fingerprint, gen, "
                    "version, language, status, error, chunk_count, size, encoding, ingested_at) "
                    "VALUES (?, ?, ?, ?, ?, '', '', '', '', NULL, 'failed', ?, 0, ?, NULL, ?)",
                    (
                        doc_id_for(self.name, source),
                        source,
                        path,
                        doc_type,
                        Path(source).name,
                        error,
                        size,
                        now_iso(),
                    ),
                )

    def touch(self, source: str, path: str, version: str) -> None:
        """An unchanged file: refresh where it lives and its version label, clear a stale error."""
        with self.transaction() as c:
            c.execute(
                "UPDATE documents SET path = ?, version = ?, error = NULL WHERE source = ?",
                (path, version, source),
            )

    # -- writing chunks ---------------------------------------------------------------------
    def mark_pending(self, doc_id: str, gen: str) -> None:
        with self.transaction() as c:
            c.execute("INSERT OR IGNORE INTO garbage VALUES (?, ?)", (doc_id, gen))

    def replace_document(self, record: DocumentRecord, chunks: Sequence[Chunk]) -> str | None:
        """Swap a document's chunks in one transaction; return the old generation to delete."""
        with self.transaction() as c:
            old = c.execute("SELECT gen FROM documents WHERE doc_id = ?", (record.doc_id,)).fetchone()
            old_gen = old[0] if old and old[0] else None
            rowids = [r[0] for r in c.execute("SELECT rowid FROM chunks WHERE doc_id = ?", (record.doc_id,))]
            self.lexical.delete(c, rowids)
            c.execute("DELETE FROM chunks WHERE doc_id = ?", (record.doc_id,))
            c.execute("DELETE FROM documents WHERE doc_id = ? OR source = ?", (record.doc_id, record.source))
            fields = list(record.__dict__)
            c.execute(
                f"INSERT INTO documents ({', '.join(fields)}) VALUES ({', '.join('?' * len(fields))})",
                [record.__dict__[f] for f in fields],
            )
            fts_rows = []
            for ch in chunks:
                (rowid,) = c.execute(
                    "INSERT INTO chunks (chunk_id, doc_id, ordinal, section, page, language, text, req_ids) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING rowid",
                    (
                        ch.chunk_id,
                        ch.doc_id,
                        ch.ordinal,
                        ch.section,
                        ch.page,
                        ch.language,
                        ch.text,
                        json.dumps(ch.req_ids),
                    ),
                ).fetchall()[0]
                fts_rows.append((int(rowid), ch.title, ch.section, ch.text))
            self.lexical.add(c, fts_rows)
            c.execute("DELETE FROM garbage WHERE doc_id = ? AND gen = ?", (record.doc_id, record.gen))
            if old_gen and old_gen != record.gen:
                c.execute("INSERT OR IGNORE INTO garbage VALUES (?, ?)", (record.doc_id, old_gen))
                return old_gen
        return None

    def remove_document(self, source: str) -> DocumentRecord | None:
        """Delete a document's chunks and registry entry; its vectors are deleted right after."""
        with self.transaction() as c:
            row = c.execute("SELECT * FROM documents WHERE source = ?", (source,)).fetchone()
            if not row:
                return None
            rec = DocumentRecord(**dict(row))
            rowids = [r[0] for r in c.execute("SELECT rowid FROM chunks WHERE doc_id = ?", (rec.doc_id,))]
            self.lexical.delete(c, rowids)
            c.execute("DELETE FROM chunks WHERE doc_id = ?", (rec.doc_id,))
            c.execute("DELETE FROM documents WHERE doc_id = ?", (rec.doc_id,))
            if rec.gen:
                c.execute("INSERT OR IGNORE INTO garbage VALUES (?, ?)", (rec.doc_id, rec.gen))
        self.collect_garbage()
        return rec

    def drop_generation(self, doc_id: str, gen: str) -> None:
        self.vectors.delete({"$and": [{"doc_id": doc_id}, {"gen": gen}]})
        with self.transaction() as c:
            c.execute("DELETE FROM garbage WHERE doc_id = ? AND gen = ?", (doc_id, gen))

    def collect_garbage(self) -> int:
        """Delete vectors of generations that are not live (left by a replace or an interrupted run)."""
        rows = self.conn.execute("SELECT doc_id, gen FROM garbage").fetchall()
        for doc_id, gen in rows:
            live = self.conn.execute(
                "SELECT 1 FROM documents WHERE doc_id = ? AND gen = ?", (doc_id, gen)
            ).fetchone()
            if live:  # the swap committed: the mark is stale
                with self.transaction() as c:
                    c.execute("DELETE FROM garbage WHERE doc_id = ? AND gen = ?", (doc_id, gen))
                continue
            self.drop_generation(doc_id, gen)
        return len(rows)

    # -- reading ----------------------------------------------------------------------------
    def chunks_by_rowid(self, rowids: Sequence[int]) -> dict[int, Chunk]:
        return self._chunks("chunks.rowid", rowids)

    def chunks_by_id(self, chunk_ids: Sequence[str]) -> dict[str, Chunk]:
        return self._chunks("chunks.chunk_id", chunk_ids)

    def _chunks(self, column: str, keys: Sequence[Any]) -> dict[Any, Chunk]:
        if not keys:
            return {}
        marks = ",".join("?" * len(keys))
        rows = self.conn.execute(
            f"SELECT chunks.rowid AS rid, chunks.*, documents.source, documents.doc_type, documents.title, "
            f"documents.content_hash, documents.version FROM chunks JOIN documents USING (doc_id) "
            f"WHERE {column} IN ({marks})",
            list(keys),
        ).fetchall()
        out: dict[Any, Chunk] = {}
        key_name = "rid" if column.endswith("rowid") else "chunk_id"
        for r in rows:
            out[r[key_name]] = Chunk(
                chunk_id=r["chunk_id"],
                kb=self.name,
                doc_id=r["doc_id"],
                source=r["source"],
                doc_type=DocType(r["doc_type"]),
                title=r["title"],
                section=r["section"],
                page=r["page"],
                language=r["language"],
                text=r["text"],
                content_hash=r["content_hash"],
                version=r["version"],
                ordinal=r["ordinal"],
                req_ids=json.loads(r["req_ids"] or "[]"),
            )
        return out

    def neighbours(self, chunk: Chunk, before: int = 1, after: int = 1) -> list[Chunk]:
        """The chunks around one chunk of the same document, in order (for answer context)."""
        rows = self.conn.execute(
            "SELECT chunk_id FROM chunks WHERE doc_id = ? AND ordinal BETWEEN ? AND ? ORDER BY ordinal",
            (chunk.doc_id, chunk.ordinal - before, chunk.ordinal + after),
        ).fetchall()
        found = self.chunks_by_id([r[0] for r in rows])
        return [found[r[0]] for r in rows if r[0] in found]

    def doc_types(self) -> set[str]:
        """The document types this knowledge base holds."""
        return {r[0] for r in self.conn.execute("SELECT DISTINCT doc_type FROM documents")}

    def has_doc_type(self, doc_type: str) -> bool:
        row = self.conn.execute("SELECT 1 FROM documents WHERE doc_type = ? LIMIT 1", (doc_type,)).fetchone()
        return row is not None

    def find_requirement(self, req_id: str) -> tuple[Chunk, str] | None:
        """The first chunk (in document order) that states a requirement id (``V2.1.1``, ``REQ-PO-012``)
        and the line of it that does; None when no document states it."""
        rows = self.conn.execute(  # req_ids is a JSON list: its quoted elements are substrings
            "SELECT chunk_id, req_ids FROM chunks WHERE instr(req_ids, ?) > 0 ORDER BY rowid",
            (json.dumps(req_id),),
        ).fetchall()
        for r in rows:
            chunk = self.chunks_by_id([r["chunk_id"]]).get(r["chunk_id"])
            if chunk is not None and req_id in json.loads(r["req_ids"]):
                line = next((ln for ln in chunk.text.split("\n") if req_id in ln), chunk.text[:300])
                return chunk, line.strip()
        return None

    def table_chunks(self) -> list[Chunk]:
        """The chunks that hold a table (rendered ``| a | b |`` under a rule row), in document order."""
        ids = [
            r[0]
            for r in self.conn.execute(
                "SELECT chunk_id FROM chunks WHERE instr(text, '|---|') > 0 ORDER BY doc_id, ordinal"
            )
        ]
        found = self.chunks_by_id(ids)
        return [found[i] for i in ids if i in found]

    def requirement_ids(self) -> set[str]:
        """Every requirement id stated in any chunk."""
        found: set[str] = set()
        for (ids,) in self.conn.execute("SELECT req_ids FROM chunks"):
            found.update(json.loads(ids or "[]"))
        return found

    def chunk_count(self) -> int:
        return int(self.conn.execute("SELECT COUNT(*) FROM chunks").fetchone()[0])

    def document_frequencies(self, terms: Sequence[str]) -> dict[str, int]:
        """Per (segmented) term, how many chunks hold it: term statistics for confidence and IDF."""
        return {t: self.lexical.document_frequency(self.conn, t) for t in terms}

    def lexical_search(
        self,
        terms: Sequence[str],
        n: int,
        doc_types: Sequence[str] | None = None,
        languages: Sequence[str] | None = None,
        common_share: float = 0.0,
        common_from: int = 0,
    ) -> list[tuple[Chunk, float]]:
        """BM25 ranking of chunks for segmented terms, best first, with their scores (the common-term
        rule: :meth:`assistant.providers.lexical.Fts5Index.search`)."""
        sql, params = self._filters_sql(doc_types, languages)
        ranked = self.lexical.search(self.conn, terms, n, sql, params, common_share, common_from)
        chunks = self.chunks_by_rowid([r for r, _ in ranked])
        return [(chunks[r], score) for r, score in ranked if r in chunks]

    def _filters_sql(
        self, doc_types: Sequence[str] | None, languages: Sequence[str] | None
    ) -> tuple[str, list[object]]:
        sql = ""
        params: list[object] = []
        if doc_types:
            sql += f" AND chunks.doc_id IN (SELECT doc_id FROM documents WHERE doc_type IN ({','.join('?' * len(doc_types))}))"
            params += list(doc_types)
        if languages:
            sql += f" AND chunks.language IN ({','.join('?' * len(languages))})"
            params += list(languages)
        return sql, params

    def info(self) -> KnowledgeBaseInfo:
        c = self.conn
        docs = c.execute("SELECT COUNT(*) FROM documents WHERE status = 'ok'").fetchone()[0]
        failed = c.execute(
            "SELECT COUNT(*) FROM documents WHERE status = 'failed' OR error IS NOT NULL"
        ).fetchone()[0]
        chunks = self.chunk_count()
        return KnowledgeBaseInfo(
            name=self.name,
            created_at=self.meta("created_at") or "",
            embedding_model=self.meta("embedding_model") or "",
            documents=docs,
            chunks=chunks,
            failed=failed,
        )

    def stats(self) -> dict[str, Any]:
        c = self.conn
        info = self.info().model_dump()
        by_type = dict(
            c.execute(
                "SELECT doc_type, COUNT(*) FROM documents WHERE status='ok' GROUP BY doc_type"
            ).fetchall()
        )
        by_lang = dict(c.execute("SELECT language, COUNT(*) FROM chunks GROUP BY language").fetchall())
        chars = c.execute(
            "SELECT COALESCE(SUM(LENGTH(text)), 0), COALESCE(AVG(LENGTH(text)), 0) FROM chunks"
        ).fetchone()
        info.update(
            documents_by_type=by_type,
            chunks_by_language=by_lang,
            total_chars=int(chars[0]),
            avg_chunk_chars=round(float(chars[1]), 1),
            vectors=self.vectors.count(),
            pending_cleanup=c.execute("SELECT COUNT(*) FROM garbage").fetchone()[0],
            documents_detail=[d.model_dump() for d in self.document_infos()],
        )
        return info

    def document_infos(self) -> list[DocumentInfo]:
        return [
            DocumentInfo(
                source=d.source,
                doc_type=DocType(d.doc_type),
                title=d.title,
                version=d.version,
                status=d.status if not (d.status == "ok" and d.error) else "ok (last update failed)",
                chunks=d.chunk_count,
                language=d.language,
                error=d.error,
                ingested_at=d.ingested_at,
            )
            for d in self.documents()
        ]


def doc_id_for(kb: str, source: str) -> str:
    return hashlib.sha1(f"{kb}\0{source}".encode()).hexdigest()[:16]


class KnowledgeBases:
    """All knowledge bases: folders under ``<home>/kb`` (embedded) or schemas on the PostgreSQL server
    given as *db* (server mode), with their vector collections."""

    def __init__(
        self,
        home: Path,
        vector_store: VectorStore,
        embedding_model: str,
        lexical: LexicalIndex | None = None,
        db: AppDB | None = None,
    ):
        from assistant.knowledge.storage import PgCatalog, SqliteCatalog

        self.vector_store = vector_store
        self.embedding_model = embedding_model
        server = db is not None and db.dialect == "postgresql"
        self.server, self.home = server, home
        self.catalog: Catalog = PgCatalog(db) if server else SqliteCatalog(home / "kb")  # type: ignore[arg-type]
        self.lexical = lexical or (PgBm25Index() if server else Fts5Index())
        self._open: dict[str, KnowledgeBase] = {}
        self._identity: dict[str, object] = {}
        self._open_lock = threading.RLock()

    def exists(self, name: str) -> bool:
        return self.catalog.identity(validate_kb_name(name)) is not None

    def get(self, name: str, create: bool = False) -> KnowledgeBase:
        """Open a knowledge base; with ``create`` make it when missing.

        Raises:
            NotFound: it does not exist and ``create`` is false.
            ConfigError: it was built with another embedding model.
        """
        name = validate_kb_name(name)
        with self._open_lock:  # two threads opening a new knowledge base must not both create it
            identity = self.catalog.identity(name)
            if name in self._open:
                cached = self._open[name]
                if identity is not None and self._identity.get(name) == identity:
                    return cached
                # deleted (or deleted and made again) by another process: forget the stale handles
                self._open.pop(name)
                cached.close()
            if identity is None and not create:
                known = ", ".join(self.names()) or "none yet"
                raise NotFound(
                    f"knowledge base {name!r} does not exist (known: {known}); create it with `assistant ingest PATH --kb {name}`"
                )
            if identity is None:
                self.vector_store.heartbeat()  # a new knowledge base needs a store that answers
            storage = self.catalog.open(
                name, create=identity is None, on_create=lambda: self._clear_litter(name)
            )
            kb = KnowledgeBase(name, storage, self.vector_store.index(kb_key(name)), self.lexical)
            kb.init_schema(self.embedding_model)
            kb.check_model(self.embedding_model)
            self._open[name] = kb
            self._identity[name] = self.catalog.identity(name)
            return kb

    def _clear_litter(self, name: str) -> None:
        """Vectors left under a new knowledge base's key by an earlier one of that name. Not when an
        embedded knowledge base of the name still uses them (server mode sharing the data
        directory's Chroma, e.g. after `db copy`)."""
        if self.server and (self.home / "kb" / kb_key(name) / "index.sqlite3").exists():
            return
        self.vector_store.drop(kb_key(name))

    def names(self) -> list[str]:
        return self.catalog.names()

    def delete(self, name: str) -> None:
        name = validate_kb_name(name)
        if self.catalog.identity(name) is None:
            raise NotFound(f"knowledge base {name!r} does not exist")
        self.vector_store.heartbeat()  # a store that does not answer fails before anything is removed
        kb = self._open.pop(name, None)
        if kb:
            kb.close()
        # the tables go first: without them the knowledge base is gone for every reader
        self.catalog.drop(name, on_drop=lambda: self._clear_litter(name))

    def close(self) -> None:
        for kb in self._open.values():
            kb.close()
        self._open.clear()


def wait_seconds(start: float) -> float:
    return round(time.perf_counter() - start, 3)
