"""Copy knowledge bases between catalogs (embedded SQLite files and PostgreSQL schemas), for
``assistant db copy``.

What is copied: the registry, the chunk table (row ids kept), the garbage marks and the meta rows;
the lexical index is rebuilt from the chunks in the target's own form (FTS5 or PostgreSQL postings), since
the two are not the same structure. Verified by row counts and a SHA-256 of the documents and
chunks on both sides.

Vectors are keyed by the knowledge base's name and the chunk id, so a target that uses the same
vector store (the same Chroma server, or the same data directory's embedded Chroma) already has them.
The chunks whose vector the target's store lacks (a laptop's embedded Chroma moving to a Chroma
server) are embedded again from their stored text, exactly as ingestion embedded them, before any
row is written: vectors first, rows second, as in ingestion. No vector is ever deleted here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

from assistant.ingest.chunking import embed_text
from assistant.knowledge.storage import Catalog, KbStorage
from assistant.knowledge.store import DocumentRecord
from assistant.providers.database import _checksum
from assistant.providers.lexical import LexicalIndex
from assistant.providers.vectorstore import VectorStore

DOCUMENT_COLUMNS = ", ".join(f.name for f in fields(DocumentRecord))
CHUNK_COLUMNS = "rowid AS rid, chunk_id, doc_id, ordinal, section, page, language, text, req_ids"
EMBED_BATCH = 256


@dataclass
class KbSnapshot:
    """One knowledge base's rows, read from its source."""

    name: str
    meta: list[tuple[Any, ...]]
    documents: tuple[list[str], list[tuple[Any, ...]]]
    chunks: tuple[list[str], list[tuple[Any, ...]]]
    garbage: list[tuple[Any, ...]]
    sums: dict[str, tuple[int, str]] = field(default_factory=dict)


def _read(storage: KbStorage, sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    rows = storage.conn.execute(sql).fetchall()
    cols = list(rows[0].keys()) if rows else []
    return cols, [tuple(r) for r in rows]


def snapshot(name: str, storage: KbStorage) -> KbSnapshot:
    """One knowledge base's rows as of one moment (an ingestion committing meanwhile is not half in it)."""
    with storage.read_snapshot():
        return _snapshot(name, storage)


def _snapshot(name: str, storage: KbStorage) -> KbSnapshot:
    docs = _read(storage, f"SELECT {DOCUMENT_COLUMNS} FROM documents ORDER BY doc_id")
    chunks = _read(storage, f"SELECT {CHUNK_COLUMNS} FROM chunks ORDER BY rowid")
    snap = KbSnapshot(
        name=name,
        meta=_read(storage, "SELECT key, value FROM meta ORDER BY key")[1],
        documents=docs,
        chunks=chunks,
        garbage=_read(storage, "SELECT doc_id, gen FROM garbage ORDER BY doc_id, gen")[1],
    )
    snap.sums = {"documents": _checksum(*docs), "chunks": _checksum(*chunks)}
    return snap


def missing_vectors(snap: KbSnapshot, vectors: VectorStore, key: str) -> list[str]:
    """The chunk ids of *snap* that the target's collection holds no vector for."""
    ids = [r[snap.chunks[0].index("chunk_id")] for r in snap.chunks[1]]
    have = vectors.index(key).existing(ids) if ids else set()
    return [i for i in ids if i not in have]


def reembed(
    snap: KbSnapshot,
    vectors: VectorStore,
    key: str,
    embed: Callable[[list[str]], Sequence[Sequence[float]]],
    missing: Sequence[str],
    progress: Callable[[str, int, int], None] | None = None,
) -> int:
    """Embed the chunks *missing* from the target's collection *key* from their stored text, as
    ingestion embedded them. Vectors already there are left alone (the source may share this store),
    and nothing is deleted."""
    index = vectors.index(key)
    wanted = set(missing)
    docs = {r[0]: dict(zip(snap.documents[0], r, strict=True)) for r in snap.documents[1]}
    ccols = snap.chunks[0]
    rows = [dict(zip(ccols, r, strict=True)) for r in snap.chunks[1]]
    rows = [c for c in rows if c["chunk_id"] in wanted]
    for start in range(0, len(rows), EMBED_BATCH):
        batch = rows[start : start + EMBED_BATCH]
        texts = [embed_text(docs[c["doc_id"]]["title"], c["section"], c["text"]) for c in batch]
        metas = [
            {
                "doc_id": c["doc_id"],
                "gen": docs[c["doc_id"]]["gen"],
                "doc_type": docs[c["doc_id"]]["doc_type"],
                "language": c["language"],
            }
            for c in batch
        ]
        index.upsert([c["chunk_id"] for c in batch], list(embed(texts)), metas)
        if progress:
            progress(snap.name, start + len(batch), len(rows))
    return len(rows)


def write(snap: KbSnapshot, storage: KbStorage, lexical: LexicalIndex, schema: str) -> None:
    """Write *snap* into an empty knowledge base (tables created here), lexical index rebuilt, and
    check it against the source. Runs in the target's transaction (joined by the caller's)."""
    from assistant.errors import AssistantError

    storage.create_schema(schema, lexical)
    with storage.transaction() as c:
        c.executemany("INSERT INTO meta (key, value) VALUES (?, ?)", snap.meta)
        dcols, drows = snap.documents
        if drows:
            c.executemany(
                f"INSERT INTO documents ({DOCUMENT_COLUMNS}) VALUES ({', '.join('?' * len(dcols))})", drows
            )
        ccols, crows = snap.chunks
        if crows:
            names = ", ".join("rowid" if col == "rid" else col for col in ccols)
            c.executemany(f"INSERT INTO chunks ({names}) VALUES ({', '.join('?' * len(ccols))})", crows)
            titles = {r[0]: r[dcols.index("title")] for r in drows}
            i_row, i_doc, i_sec, i_text = (ccols.index(k) for k in ("rid", "doc_id", "section", "text"))
            lexical.add(c, [(r[i_row], titles.get(r[i_doc], ""), r[i_sec], r[i_text]) for r in crows])
            if getattr(storage, "dialect", "") == "postgresql":
                c.execute(
                    "SELECT setval(pg_get_serial_sequence(?, 'rowid'), COALESCE((SELECT MAX(rowid) FROM chunks), 0) + 1, false)",
                    (f'"{storage.schema}".chunks',),  # type: ignore[attr-defined]
                )
        c.executemany("INSERT INTO garbage (doc_id, gen) VALUES (?, ?)", snap.garbage)
        copied = {
            "documents": _checksum(
                *_read(storage, f"SELECT {DOCUMENT_COLUMNS} FROM documents ORDER BY doc_id")
            ),
            "chunks": _checksum(*_read(storage, f"SELECT {CHUNK_COLUMNS} FROM chunks ORDER BY rowid")),
        }
        lexical_rows = int(c.execute("SELECT COUNT(*) FROM chunks_fts").fetchone()[0])
        if copied != snap.sums or lexical_rows != len(crows):
            raise AssistantError(
                f"the copy of knowledge base {snap.name!r} differs from its source; nothing was copied"
            )


def read_catalog(src: Catalog) -> list[KbSnapshot]:
    """Every knowledge base of *src*, read."""
    return [snapshot(name, src.open(name, create=False)) for name in src.names()]


def write_all(snaps: list[KbSnapshot], dst: Catalog, lexical: LexicalIndex, schema: str) -> None:
    """Create and fill each knowledge base in *dst*; on a failure, drop the ones made here."""
    made: list[str] = []
    try:
        for snap in snaps:
            storage = dst.open(snap.name, create=True)
            made.append(snap.name)
            write(snap, storage, lexical, schema)
    except BaseException:
        for name in made:
            try:
                dst.drop(name)
            except Exception:  # noqa: BLE001 - the first error is the one to report
                pass
        raise
