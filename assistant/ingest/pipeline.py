"""The incremental ingestion pipeline.

``IngestPipeline.run`` walks the given paths, skips files whose content and settings are
unchanged (no embedding work), parses and chunks the rest, embeds chunks in batches across files,
and swaps each document's chunks in as one unit (see :mod:`assistant.knowledge.store`). A bad file becomes
a ``failed`` line in the report and never stops the batch; a document that was good before keeps
its chunks when its new version fails.
"""

from __future__ import annotations

import errno
import hashlib
import logging
import os
import re
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from assistant.errors import AssistantError, DocumentParse, IngestError, TooLarge, UnsupportedFormat
from assistant.ingest.chunking import (
    MAX_TITLE_CHARS,
    SECTION_SEP,
    RawChunk,
    cap_text,
    chunk_document,
    embed_text,
)
from assistant.ingest.loaders import LOADERS, loader_for
from assistant.knowledge.store import DocumentRecord, KnowledgeBase, doc_id_for, now_iso
from assistant.providers.embeddings import NamedEmbeddings
from assistant.schemas import Block, Chunk, DocType, FileOutcome, IngestReport, LoadedDocument
from assistant.settings import ChunkingSettings, mb_text
from assistant.text import detect_language

log = logging.getLogger(__name__)

#: bump when loaders or chunking change so that unchanged files are re-indexed once
PARSER_VERSION = "6"

# files that are plainly not documents: skipped in folder walks, without failing the run
_ASSET_EXT = {
    ".png",
    ".jpg",
    ".jpeg",
    ".gif",
    ".svg",
    ".bmp",
    ".ico",
    ".webp",
    ".css",
    ".js",
    ".map",
    ".woff",
    ".woff2",
    ".ttf",
    ".eot",
    ".zip",
    ".gz",
    ".tar",
    ".7z",
    ".rar",
    ".mp4",
    ".mp3",
    ".wav",
    ".json",
    ".yml",
    ".yaml",
}
# data exports are imported with `assistant tickets import`, not read as documents
_DATA_EXT = {".csv", ".tsv", ".xlsx", ".xls", ".jsonl", ".ndjson"}
_TYPE_HINTS: list[tuple[DocType, re.Pattern[str]]] = [
    (DocType.faq, re.compile(r"faq|常见问题|问答|q&a", re.I)),
    (DocType.incident, re.compile(r"incident|ticket|工单|故障|事件", re.I)),
    (DocType.transcript, re.compile(r"transcript|interview|访谈|纪要|会议记录", re.I)),
    (DocType.spec, re.compile(r"spec|requirement|srs|需求|规格|说明书|asvs", re.I)),
    (DocType.manual, re.compile(r"manual|guide|handbook|user|docs?\b|操作|手册|指南|指引|帮助", re.I)),
]
REQ_ID = re.compile(
    r"(?<![\w.-])(?:V\d{1,2}(?:\.\d{1,3}){1,3}|(?:[A-Z]{2,6}-)+\d{1,5}(?:\.\d{1,3})*)(?![\w])"
)
# numbered requirement ids that open a line or a table row: "1.1.1 Verify ...", "| **V2.1.9** | ..."
LINE_REQ_ID = re.compile(
    r"^\s*(?:\|\s*)?\**((?:[A-Z]{1,6}-?)?\d{1,2}\.\d{1,2}\.\d{1,3})\**(?=[\s|:：.)]|$)", re.M
)


def requirement_ids(text: str) -> list[str]:
    """Requirement ids a chunk holds: REQ-PUR-001 style anywhere, numbered ids where a line or row starts."""
    found = dict.fromkeys(REQ_ID.findall(text))
    found.update(dict.fromkeys(LINE_REQ_ID.findall(text)))
    return list(found)[:200]


ProgressFn = Callable[[str, dict[str, object]], None]


def infer_doc_type(source: str) -> DocType:
    """Guess a document type from its path; ``other`` when nothing fits."""
    for doc_type, pattern in _TYPE_HINTS:
        if pattern.search(source):
            return doc_type
    return DocType.other


@dataclass
class TextRecord:
    """A document that is not a file: an incident, an approved FAQ entry."""

    source: str  # e.g. "incidents/HADOOP-123"
    title: str
    text: str
    doc_type: DocType
    version: str


@dataclass
class _Candidate:
    path: Path
    source: str
    explicit: bool  # named on the command line rather than found in a folder


@dataclass
class _Parsed:
    cand: _Candidate
    record: DocumentRecord
    chunks: list[Chunk]
    embed_texts: list[str]
    existed: bool
    vectors: list[list[float]] = field(default_factory=list)


def iter_files(
    paths: Sequence[Path], exclude: Sequence[Path] = (), source_of: dict[Path, str] | None = None
) -> Iterator[_Candidate | FileOutcome]:
    """Files to ingest with their sources: relative to a folder argument, the file name for a file
    (or the source ``source_of`` names for it, to read one document of a folder again).

    Folders in ``exclude`` (the assistant's own data directory) are never walked into.
    """
    skip = {_where(p) for p in exclude}
    for raw in paths:
        path = Path(raw).expanduser()
        problem = _unreadable(path)
        if problem:
            yield FileOutcome(path=str(path), status="failed", reason=problem, error="unreadable")
        elif path.is_file():
            yield _Candidate(path, (source_of or {}).get(raw, path.name), explicit=True)
        elif path.is_dir():
            errors: list[OSError] = []
            for root, dirs, files in os.walk(path, onerror=errors.append):
                yield from _walk_failures(errors)
                dirs[:] = sorted(
                    d for d in dirs if not d.startswith((".", "__")) and _where(Path(root) / d) not in skip
                )
                for name in sorted(files):
                    if name.startswith((".", "~$")):
                        continue
                    full = Path(root) / name
                    yield _Candidate(full, full.relative_to(path).as_posix(), explicit=False)
            yield from _walk_failures(errors)
        else:
            yield FileOutcome(
                path=str(path), status="failed", reason="no such file or folder", error="not_found"
            )


def _where(path: Path) -> str:
    """The absolute path of a file, also for a symlink loop or a path over the OS limit."""
    try:
        return str(path.resolve())
    except (OSError, RuntimeError):  # RuntimeError: a symlink loop (Python < 3.13)
        return os.path.abspath(path)


def _unreadable(path: Path) -> str | None:
    """Why a path cannot even be looked at (symlink loop, name or path over the OS limit), or None."""
    try:
        os.stat(path)
    except FileNotFoundError:
        return None if not os.path.islink(path) else "a broken symbolic link (its target does not exist)"
    except OSError as e:
        if e.errno == errno.ELOOP:
            return "a symbolic link loop (the link points back to itself)"
        if e.errno == errno.ENAMETOOLONG:
            return "the path is longer than the operating system allows"
        return f"cannot be read: {e.strerror or e}"
    return None


def _walk_failures(errors: list[OSError]) -> Iterator[FileOutcome]:
    """Folders a walk could not enter, reported instead of silently missing."""
    while errors:
        e = errors.pop(0)
        reason = (
            "the path is longer than the operating system allows"
            if e.errno == errno.ENAMETOOLONG
            else f"folder cannot be read: {e.strerror or e}"
        )
        yield FileOutcome(path=str(e.filename or "?"), status="failed", reason=reason, error="unreadable")


class IngestPipeline:
    def __init__(
        self,
        kb: KnowledgeBase,
        embeddings: NamedEmbeddings,
        chunking: ChunkingSettings,
        max_file_bytes: int,
        embed_batch_chunks: int = 256,
        exclude: Sequence[Path] = (),
    ) -> None:
        self.exclude = list(exclude)
        self.kb = kb
        self.embeddings = embeddings
        self.chunking = chunking
        self.max_file_bytes = max_file_bytes
        self.embed_batch_chunks = embed_batch_chunks

    def run(
        self,
        paths: Sequence[Path],
        doc_type: DocType | None = None,
        version: str | None = None,
        prune: bool = False,
        progress: ProgressFn | None = None,
        source_of: dict[Path, str] | None = None,
    ) -> IngestReport:
        start = time.perf_counter()
        notify = progress or (lambda event, data: None)
        report = IngestReport(kb=self.kb.name)
        self.kb.collect_garbage()
        items = list(iter_files(paths, self.exclude, source_of))
        notify("start", {"files": len(items)})
        pending: list[_Parsed] = []
        pending_chunks = 0
        for item in items:
            if isinstance(item, FileOutcome):
                report.files.append(item)
                notify("file", {"outcome": item})
                continue
            outcome, parsed = self._prepare(item, doc_type, version)
            if parsed is None:
                if outcome is not None:
                    report.files.append(outcome)
                    notify("file", {"outcome": outcome})
                continue
            pending.append(parsed)
            pending_chunks += len(parsed.chunks)
            if pending_chunks >= self.embed_batch_chunks:
                self._flush(pending, report, notify)
                pending, pending_chunks = [], 0
        self._flush(pending, report, notify)
        if prune:
            self._prune(report, notify)
        report.seconds = round(time.perf_counter() - start, 3)
        notify("done", {"report": report})
        return report

    def index_records(
        self, records: Sequence[TextRecord], progress: ProgressFn | None = None
    ) -> IngestReport:
        """Index text records that are not files (incidents, approved FAQ entries) with the same
        machinery: unchanged records cost nothing, changed ones are swapped in whole."""
        start = time.perf_counter()
        notify = progress or (lambda event, data: None)
        report = IngestReport(kb=self.kb.name)
        self.kb.collect_garbage()
        notify("start", {"files": len(records)})
        pending: list[_Parsed] = []
        count = 0
        for rec in records:
            content_hash = hashlib.sha256(f"{rec.title}\n{rec.text}".encode()).hexdigest()
            fingerprint = hashlib.sha256(
                f"{content_hash}|{rec.doc_type.value}|{PARSER_VERSION}|{self.chunking.model_dump_json()}".encode()
            ).hexdigest()
            existing = self.kb.document(rec.source)
            if existing and existing.status == "ok" and existing.fingerprint == fingerprint:
                out = FileOutcome(
                    path=rec.source, source=rec.source, status="unchanged", chunks=existing.chunk_count
                )
                report.files.append(out)
                notify("file", {"outcome": out})
                continue
            loaded = LoadedDocument(title=rec.title, blocks=[Block(kind="para", text=rec.text)])
            cand = _Candidate(Path(rec.source), rec.source, explicit=True)
            pending.append(
                self._build(
                    cand, loaded, rec.doc_type, content_hash, fingerprint, rec.version, None, existing
                )
            )
            count += len(pending[-1].chunks)
            if count >= self.embed_batch_chunks:
                self._flush(pending, report, notify)
                pending, count = [], 0
        self._flush(pending, report, notify)
        report.seconds = round(time.perf_counter() - start, 3)
        notify("done", {"report": report})
        return report

    # -- steps ------------------------------------------------------------------------------
    def _prepare(
        self, cand: _Candidate, doc_type: DocType | None, version: str | None
    ) -> tuple[FileOutcome | None, _Parsed | None]:
        ext = cand.path.suffix.lower()
        if ext not in LOADERS and not cand.explicit and ext in _ASSET_EXT | _DATA_EXT:
            reason = (
                "a data export: import it with `assistant tickets import`"
                if ext in _DATA_EXT
                else "not a document"
            )
            return FileOutcome(
                path=str(cand.path), source=cand.source, status="skipped", reason=f"{reason} ({ext})"
            ), None
        dtype = doc_type or infer_doc_type(cand.source)
        size: int | None = None
        try:
            size = cand.path.stat().st_size
            loader_for(cand.path.name)  # raises UnsupportedFormat early
            if size > self.max_file_bytes:
                raise TooLarge(
                    f"file is {mb_text(size)} MB, over the {mb_text(self.max_file_bytes)} MB limit "
                    "(raise ASSISTANT_INGEST__MAX_FILE_MB to allow it)"
                )
            if size == 0:
                raise DocumentParse("empty file")
            data = cand.path.read_bytes()
        except IngestError as e:
            return self._fail(cand, e, dtype, size), None
        except OSError as e:
            return self._fail(
                cand,
                DocumentParse(_unreadable(cand.path) or f"cannot read file: {e.strerror or e}"),
                dtype,
                size,
            ), None
        content_hash = hashlib.sha256(data).hexdigest()
        fingerprint = hashlib.sha256(
            f"{content_hash}|{dtype.value}|{PARSER_VERSION}|{self.chunking.model_dump_json()}".encode()
        ).hexdigest()
        label = (
            version
            or datetime.fromtimestamp(cand.path.stat().st_mtime, UTC).replace(microsecond=0).isoformat()
        )
        existing = self.kb.document(cand.source)
        if existing and existing.status == "ok" and existing.fingerprint == fingerprint:
            self.kb.touch(cand.source, _where(cand.path), label if version else existing.version)
            return FileOutcome(
                path=str(cand.path), source=cand.source, status="unchanged", chunks=existing.chunk_count
            ), None
        try:
            loaded = loader_for(cand.path.name)(data, cand.path.name)
            raw_chunks = chunk_document(
                loaded, self.chunking.chunk_size, self.chunking.min_chunk, self.chunking.max_table_chars
            )
            if not raw_chunks:
                raise DocumentParse("no text to index after parsing")
        except IngestError as e:
            return self._fail(cand, e, dtype, size), None
        except Exception as e:  # a loader bug must not stop the batch either
            log.exception("unexpected error parsing %s", cand.path)
            return self._fail(
                cand, DocumentParse(f"could not parse: {type(e).__name__}: {e}"), dtype, size
            ), None
        return None, self._build(
            cand, loaded, dtype, content_hash, fingerprint, label, size, existing, raw_chunks
        )

    def _build(
        self,
        cand: _Candidate,
        loaded: LoadedDocument,
        dtype: DocType,
        content_hash: str,
        fingerprint: str,
        label: str,
        size: int | None,
        existing: DocumentRecord | None,
        raw_chunks: list[RawChunk] | None = None,
    ) -> _Parsed:
        if raw_chunks is None:
            raw_chunks = chunk_document(
                loaded, self.chunking.chunk_size, self.chunking.min_chunk, self.chunking.max_table_chars
            )
        loaded.title = cap_text(loaded.title or "", MAX_TITLE_CHARS)
        doc_id = doc_id_for(self.kb.name, cand.source)
        gen = fingerprint[:12]
        chunks: list[Chunk] = []
        embed_texts: list[str] = []
        langs: dict[str, int] = {}
        for i, rc in enumerate(raw_chunks):
            lang = detect_language(rc.text)
            langs[lang] = langs.get(lang, 0) + len(rc.text)
            chunks.append(
                Chunk(
                    chunk_id=f"{doc_id}-{gen}-{i}",
                    kb=self.kb.name,
                    doc_id=doc_id,
                    source=cand.source,
                    doc_type=dtype,
                    title=loaded.title,
                    section=rc.section,
                    page=rc.page,
                    language=lang,
                    text=rc.text,
                    content_hash=content_hash,
                    version=label,
                    ordinal=i,
                    req_ids=requirement_ids(rc.text + "\n" + rc.section.split(SECTION_SEP)[-1]),
                )
            )
            embed_texts.append(embed_text(loaded.title, rc.section, rc.text))
        record = DocumentRecord(
            doc_id=doc_id,
            source=cand.source,
            path=_where(cand.path) if size is not None else None,
            doc_type=dtype.value,
            title=loaded.title,
            content_hash=content_hash,
            fingerprint=fingerprint,
            gen=gen,
            version=label,
            language=max(langs, key=langs.__getitem__) if langs else None,
            status="ok",
            error=None,
            chunk_count=len(chunks),
            size=size,
            encoding=loaded.encoding,
            ingested_at=now_iso(),
        )
        return _Parsed(
            cand, record, chunks, embed_texts, existed=existing is not None and existing.status == "ok"
        )

    def _fail(self, cand: _Candidate, error: IngestError, dtype: DocType, size: int | None) -> FileOutcome:
        self.kb.record_failure(cand.source, _where(cand.path), str(error), dtype.value, size)
        if isinstance(error, UnsupportedFormat):
            log.info("unsupported: %s", cand.path)
        return FileOutcome(
            path=str(cand.path), source=cand.source, status="failed", reason=str(error), error=error.code
        )

    def _flush(self, batch: list[_Parsed], report: IngestReport, notify: ProgressFn) -> None:
        if not batch:
            return
        texts = [t for p in batch for t in p.embed_texts]
        notify("embed", {"chunks": len(texts)})
        try:
            vectors = self.embeddings.embed_documents(texts)
        except AssistantError as e:
            for p in batch:
                out = self._fail(
                    p.cand, DocumentParse(f"embedding failed: {e}"), DocType(p.record.doc_type), p.record.size
                )
                report.files.append(out)
                notify("file", {"outcome": out})
            return
        offset = 0
        for p in batch:
            p.vectors = vectors[offset : offset + len(p.chunks)]
            offset += len(p.chunks)
            out = self._commit(p)
            report.chunks_embedded += len(p.chunks) if out.status != "failed" else 0
            report.files.append(out)
            notify("file", {"outcome": out})

    def _commit(self, p: _Parsed) -> FileOutcome:
        rec = p.record
        metas = [
            {"doc_id": rec.doc_id, "gen": rec.gen, "doc_type": rec.doc_type, "language": c.language}
            for c in p.chunks
        ]
        try:
            self.kb.mark_pending(rec.doc_id, rec.gen)
            self.kb.vectors.upsert([c.chunk_id for c in p.chunks], p.vectors, metas)
            old_gen = self.kb.replace_document(rec, p.chunks)
            if old_gen:
                self.kb.drop_generation(rec.doc_id, old_gen)
        except AssistantError as e:
            return self._fail(p.cand, DocumentParse(f"could not store: {e}"), DocType(rec.doc_type), rec.size)
        return FileOutcome(
            path=str(p.cand.path),
            source=rec.source,
            status="updated" if p.existed else "added",
            chunks=len(p.chunks),
        )

    def _prune(self, report: IngestReport, notify: ProgressFn) -> None:
        for doc in self.kb.documents():
            if doc.path and not Path(doc.path).exists():
                self.kb.remove_document(doc.source)
                out = FileOutcome(
                    path=doc.path,
                    source=doc.source,
                    status="pruned",
                    chunks=doc.chunk_count,
                    reason="file no longer exists",
                )
                report.files.append(out)
                notify("file", {"outcome": out})
