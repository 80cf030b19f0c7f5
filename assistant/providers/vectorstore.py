"""Vector stores. ``chroma``: an embedded ``PersistentClient`` under the data directory, or a Chroma
server (``chroma run``) through ``HttpClient`` when a host is configured.

The index keeps vectors and the few metadata fields used for filtering; chunk text and citations
live in the knowledge base's SQLite file, which is the source of truth for what is searchable.
"""

from __future__ import annotations

import hashlib
import logging
import re
import shutil
import sqlite3
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

from assistant.errors import ConfigError, ProviderError
from assistant.providers import pick
from assistant.settings import VectorStoreSettings

log = logging.getLogger(__name__)

Where = dict[str, Any]


class VectorIndex(Protocol):
    """One knowledge base's vectors."""

    def upsert(
        self, ids: Sequence[str], vectors: Sequence[Sequence[float]], metadatas: Sequence[dict[str, Any]]
    ) -> None: ...

    def delete(self, where: Where) -> None: ...

    def query(
        self, vector: Sequence[float], n: int, where: Where | None = None
    ) -> list[tuple[str, float]]: ...

    def count(self) -> int: ...

    def existing(self, ids: Sequence[str]) -> set[str]:
        """Which of *ids* have a vector here."""
        ...


class VectorStore(Protocol):
    """A place that holds one vector index per knowledge base."""

    def index(self, kb_key: str) -> VectorIndex: ...

    def drop(self, kb_key: str) -> None: ...

    def heartbeat(self) -> None:
        """Raise when the store does not answer."""


_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def collection_name(kb_key: str) -> str:
    """Chroma wants 3-512 chars of [a-zA-Z0-9._-]: knowledge-base names may be Chinese, so hash them."""
    return "kb_" + hashlib.sha1(kb_key.encode("utf-8")).hexdigest()[:24]


class _Once:
    """A value made on first use by whichever thread gets there first; a failure is not kept, so the
    next use tries again."""

    def __init__(self, make: Callable[[], Any]) -> None:
        self._make = make
        self._value: Any = None
        self._lock = threading.Lock()

    def get(self) -> Any:
        if self._value is None:
            with self._lock:
                if self._value is None:
                    self._value = self._make()
        return self._value


class ChromaIndex:
    """One knowledge base's Chroma collection, opened on first use (``open_collection``)."""

    def __init__(self, open_collection: Callable[[], Any]) -> None:
        self._collection = _Once(open_collection)

    @property
    def _c(self) -> Any:
        return self._collection.get()

    def upsert(
        self, ids: Sequence[str], vectors: Sequence[Sequence[float]], metadatas: Sequence[dict[str, Any]]
    ) -> None:
        if not ids:
            return
        c = self._c  # opening it raises its own error
        try:
            step = 2000  # stay under Chroma's max batch size
            for i in range(0, len(ids), step):
                c.upsert(
                    ids=list(ids[i : i + step]),
                    embeddings=[list(map(float, v)) for v in vectors[i : i + step]],
                    metadatas=list(metadatas[i : i + step]),
                )
        except Exception as e:
            raise ProviderError(f"Chroma upsert failed: {e}") from e

    def delete(self, where: Where) -> None:
        c = self._c
        try:
            c.delete(where=where)
        except Exception as e:
            raise ProviderError(f"Chroma delete failed: {e}") from e

    def query(self, vector: Sequence[float], n: int, where: Where | None = None) -> list[tuple[str, float]]:
        c = self._c
        try:
            # no count() first: it cost 12 ms per question at 100,000 chunks (evals/reports/scale.md),
            # and Chroma answers fewer results, or none, when the collection holds fewer than n
            res = c.query(
                query_embeddings=[list(map(float, vector))],
                n_results=n,
                where=where or None,
                include=["distances"],
            )
        except Exception as e:
            raise ProviderError(f"Chroma query failed: {e}") from e
        ids = res.get("ids", [[]])[0]
        dists = (res.get("distances") or [[]])[0]
        return [(i, 1.0 - float(d)) for i, d in zip(ids, dists, strict=False)]

    def count(self) -> int:
        c = self._c
        try:
            return int(c.count())
        except Exception as e:
            raise ProviderError(f"Chroma count failed: {e}") from e

    def existing(self, ids: Sequence[str]) -> set[str]:
        found: set[str] = set()
        c = self._c
        try:
            step = 2000
            for i in range(0, len(ids), step):
                found.update(c.get(ids=list(ids[i : i + step]), include=[])["ids"])
        except Exception as e:
            raise ProviderError(f"Chroma get failed: {e}") from e
        return found


class ChromaStore:
    """Chroma, connected on first use: importing chromadb and opening the store take about 2 s, which
    commands that never touch vectors (tickets, change requests, interviews, keys) need not pay."""

    def __init__(self, connect: Callable[[], Any], path: Path | None = None) -> None:
        self._connection = _Once(connect)
        self._path = path  # the embedded store's folder; None for a Chroma server

    @property
    def _client(self) -> Any:
        return self._connection.get()

    def heartbeat(self) -> None:
        client = self._client
        try:
            client.heartbeat()
        except Exception as e:
            raise ProviderError(f"the Chroma store does not answer: {e}") from e

    def index(self, kb_key: str) -> ChromaIndex:
        def open_collection() -> Any:
            client = self._client
            try:
                return client.get_or_create_collection(
                    name=collection_name(kb_key), metadata={"hnsw:space": "cosine", "kb": kb_key[:200]}
                )
            except Exception as e:
                raise ProviderError(f"Chroma collection for {kb_key!r} could not be opened: {e}") from e

        return ChromaIndex(open_collection)

    def drop(self, kb_key: str) -> None:
        client = self._client  # a store that cannot be reached is an error, not "already gone"
        try:
            client.delete_collection(collection_name(kb_key))
        except Exception as e:  # already gone is fine
            log.debug("drop collection: %s", e)
        if self._path is not None:
            self._sweep_segment_folders()

    def _sweep_segment_folders(self) -> None:
        """Embedded Chroma leaves a dropped collection's vector-segment folder on disk: remove every
        segment folder that its catalogue no longer lists."""
        assert self._path is not None
        try:
            conn = sqlite3.connect(f"file:{self._path / 'chroma.sqlite3'}?mode=ro", uri=True)
            try:
                known = {row[0] for row in conn.execute("SELECT id FROM segments")}
            finally:
                conn.close()
        except sqlite3.Error as e:
            log.debug("segment sweep skipped: %s", e)
            return
        for folder in self._path.iterdir():
            if folder.is_dir() and _UUID.fullmatch(folder.name) and folder.name not in known:
                shutil.rmtree(folder, ignore_errors=True)


def make_chroma(settings: VectorStoreSettings, home: Path) -> ChromaStore:
    """The configured Chroma (a server with ``host``, else embedded under ``home``), connected when
    first used; an error then names where it looked."""

    def connect() -> Any:
        try:
            import chromadb
            from chromadb.config import Settings as ChromaSettings
        except ImportError as e:
            raise ConfigError("the chroma vector store needs: pip install chromadb") from e
        chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
        try:
            if settings.host:
                return chromadb.HttpClient(
                    host=settings.host, port=settings.port, ssl=settings.ssl, settings=chroma_settings
                )
            path = home / "chroma"
            path.mkdir(parents=True, exist_ok=True)
            return chromadb.PersistentClient(path=str(path), settings=chroma_settings)
        except Exception as e:
            where = f"{settings.host}:{settings.port}" if settings.host else str(home / "chroma")
            raise ProviderError(f"could not open the Chroma store at {where}: {e}") from e

    return ChromaStore(connect, None if settings.host else home / "chroma")


VECTOR_STORES: dict[str, Callable[[VectorStoreSettings, Path], VectorStore]] = {"chroma": make_chroma}


def make_vector_store(settings: VectorStoreSettings, home: Path) -> VectorStore:
    return pick("vector store", settings.provider, VECTOR_STORES)(settings, home)
