"""Ingestion end to end on real Chroma, SQLite and the real embedding model."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from assistant.providers.embeddings import HashingEmbeddings
from assistant.services import Services, build_services
from assistant.settings import Settings
from tests.conftest import ROOT, make_docx, make_pdf


def consistent(services: Services, kb: str) -> tuple[int, int]:
    """(chunks in SQLite, vectors in Chroma) — equal when nothing is orphaned or missing."""
    base = services.kbs.get(kb)
    chunks = base.conn.execute("SELECT COUNT(*) FROM chunks").fetchone()[0]
    fts = base.conn.execute("SELECT COUNT(*) FROM chunks_fts").fetchone()[0]
    assert fts == chunks
    assert base.conn.execute("SELECT COUNT(*) FROM garbage").fetchone()[0] == 0
    return chunks, base.vectors.count()


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    root = tmp_path / "docs"
    (root / "faq").mkdir(parents=True)
    (root / "manual.md").write_text(
        "# Manual\n\n## 采购\n\n### 审批\n\n采购申请需经部门经理审批。\n\n## Inventory\n\nCount stock monthly.\n",
        encoding="utf-8",
    )
    (root / "faq" / "常见问题.txt").write_bytes(
        "常见问题\n\n一、如何重置密码\n在登录页点击忘记密码。\n".encode("gbk")
    )
    make_docx(root / "spec.docx")
    make_pdf(root / "guide.pdf", [("Chapter 1 Sign-in", ["Click Forgot password on the sign-in page."])])
    return root


def test_ingest_folder_metadata(services: Services, docs: Path) -> None:
    report = services.ingest("acme", [docs])
    assert report.counts() == {"added": 4}
    base = services.kbs.get("acme")
    hits = services.search("acme", "部门经理审批", k=5)
    chunk = next(h.chunk for h in hits if h.chunk.source == "manual.md")
    assert chunk.section == "Manual > 采购 > 审批"
    assert chunk.kb == "acme" and chunk.doc_type.value == "manual" and chunk.language == "zh"
    assert len(chunk.content_hash) == 64 and chunk.version
    gbk = next(
        h.chunk for h in services.search("acme", "重置密码", k=5) if h.chunk.source == "faq/常见问题.txt"
    )
    assert gbk.doc_type.value == "faq" and "忘记密码" in gbk.text
    pdf = next(
        h.chunk
        for h in services.search("acme", "forgot password sign-in", k=5)
        if h.chunk.source == "guide.pdf"
    )
    assert pdf.page == 1 and pdf.section == "Chapter 1 Sign-in"
    spec = [d for d in base.documents() if d.source == "spec.docx"][0]
    assert spec.title == "采购需求规格" and spec.status == "ok"
    assert consistent(services, "acme") == (sum(d.chunk_count for d in base.documents()),) * 2


def test_type_flag_and_version_label(services: Services, docs: Path) -> None:
    services.ingest("acme", [docs / "manual.md"], doc_type=None, version="v2.0")
    doc = services.kbs.get("acme").document("manual.md")
    assert doc is not None and doc.version == "v2.0" and doc.source == "manual.md"
    from assistant.schemas import DocType

    services.ingest("acme", [docs / "manual.md"], doc_type=DocType.spec, version="v2.0")
    assert services.kbs.get("acme").document("manual.md").doc_type == "spec"


def test_reingest_unchanged_does_no_embedding(services: Services, docs: Path) -> None:
    services.ingest("acme", [docs])
    before = services.embeddings.texts  # type: ignore[attr-defined]
    report = services.ingest("acme", [docs])
    assert report.counts() == {"unchanged": 4}
    assert services.embeddings.texts == before  # type: ignore[attr-defined]
    assert report.chunks_embedded == 0


def test_changed_file_replaced_as_a_unit(services: Services, docs: Path) -> None:
    services.ingest("acme", [docs])
    n_before, _ = consistent(services, "acme")
    (docs / "manual.md").write_text(
        "# Manual\n\n## Returns\n\nRejected goods go to the returns area.\n", encoding="utf-8"
    )
    report = services.ingest("acme", [docs])
    assert report.counts() == {"updated": 1, "unchanged": 3}
    texts = [h.chunk.text for h in services.search("acme", "部门经理审批 Count stock monthly", k=10)]
    assert not any("部门经理审批" in t or "Count stock monthly" in t for t in texts)
    assert any(h.chunk.source == "manual.md" for h in services.search("acme", "rejected goods returns area"))
    chunks, vectors = consistent(services, "acme")
    assert chunks == vectors and chunks < n_before


def test_prune_removes_documents_whose_files_are_gone(services: Services, docs: Path) -> None:
    services.ingest("acme", [docs])
    (docs / "guide.pdf").unlink()
    report = services.ingest("acme", [docs], prune=True)
    assert [f.source for f in report.files if f.status == "pruned"] == ["guide.pdf"]
    assert services.kbs.get("acme").document("guide.pdf") is None
    chunks, vectors = consistent(services, "acme")
    assert chunks == vectors
    assert all(
        h.chunk.source != "guide.pdf" for h in services.search("acme", "forgot password sign-in page", k=10)
    )


def test_bad_inputs_are_reported_and_do_not_stop_the_batch(
    tmp_path: Path, settings: Settings, real_embeddings
) -> None:  # type: ignore[no-untyped-def]
    settings.ingest.max_file_mb = 0.01
    services = build_services(settings, embeddings=real_embeddings)
    root = tmp_path / "mixed"
    root.mkdir()
    (root / "good.md").write_text("# Good\n\nA perfectly fine document about purchase orders.\n")
    (root / "empty.txt").write_bytes(b"")
    (root / "junk.txt").write_bytes(os.urandom(3000))
    (root / "corrupt.pdf").write_bytes(b"%PDF-1.4 this is not really a pdf")
    make_pdf(root / "secret.pdf", [("Secret", ["classified"])], encrypt="pw")
    (root / "drawing.dwg").write_bytes(b"AC1027 binary cad")
    (root / "big.md").write_text("# Big\n\n" + "x" * 20_000)
    (root / "undecodable.txt").write_bytes(b"\x81\x82\x83\xff\xfe\xfd" * 40 + b"\xa0" * 80)
    (root / "logo.png").write_bytes(b"\x89PNG\r\n")
    report = services.ingest("acme", [root, tmp_path / "missing-folder"])
    by = {Path(f.path).name: f for f in report.files}
    assert by["good.md"].status == "added"
    assert by["logo.png"].status == "skipped"
    expected = {
        "empty.txt": "document_parse",
        "junk.txt": "document_parse",
        "corrupt.pdf": "document_parse",
        "secret.pdf": "document_parse",
        "drawing.dwg": "unsupported_format",
        "big.md": "too_large",
        "missing-folder": "not_found",
    }
    for name, code in expected.items():
        assert by[name].status == "failed", name
        assert by[name].error == code, (name, by[name].error, by[name].reason)
        assert by[name].reason
    assert by["undecodable.txt"].status == "failed"
    assert any(h.chunk.source == "good.md" for h in services.search("acme", "purchase orders"))
    services.close()


def test_good_version_survives_a_broken_update(services: Services, tmp_path: Path) -> None:
    path = tmp_path / "guide.pdf"
    make_pdf(path, [("Goods receipt", ["Receive goods against a purchase order only."])])
    services.ingest("acme", [path])
    path.write_bytes(b"%PDF-1.4 truncated upload")
    report = services.ingest("acme", [path])
    assert report.failed and report.failed[0].source == "guide.pdf"
    hits = services.search("acme", "receive goods against purchase order")
    assert hits and hits[0].chunk.source == "guide.pdf"
    doc = services.kbs.get("acme").document("guide.pdf")
    assert doc.status == "ok" and doc.error


class CrashAfterUpsert:
    """A vector index that dies right after writing vectors, like a kill in mid-ingest."""

    def __init__(self, inner) -> None:  # type: ignore[no-untyped-def]
        self.inner = inner

    def upsert(self, ids, vectors, metadatas):  # type: ignore[no-untyped-def]
        self.inner.upsert(ids, vectors, metadatas)
        raise KeyboardInterrupt

    def __getattr__(self, name):  # type: ignore[no-untyped-def]
        return getattr(self.inner, name)


def test_interrupted_ingestion_leaves_store_consistent(services: Services, docs: Path) -> None:
    services.ingest("acme", [docs / "manual.md"])
    base = services.kbs.get("acme")
    (docs / "manual.md").write_text("# Manual\n\nA new version that never lands.\n")
    real = base.vectors
    base.vectors = CrashAfterUpsert(real)
    with pytest.raises(KeyboardInterrupt):
        services.ingest("acme", [docs])
    base.vectors = real
    # searches see the old version only, never the half-written new one
    texts = [h.chunk.text for h in services.search("acme", "new version that never lands", k=10)]
    assert not any("never lands" in t for t in texts)
    assert real.count() > base.conn.execute("SELECT COUNT(*) FROM chunks").fetchone()[0]
    services.ingest("acme", [docs])
    chunks, vectors = consistent(services, "acme")
    assert chunks == vectors
    assert any("never lands" in h.chunk.text for h in services.search("acme", "new version that never lands"))


@pytest.mark.slow
def test_killed_cli_ingestion_then_rerun_is_consistent(tmp_path: Path, model_cache: Path) -> None:
    """SIGKILL a real `assistant ingest` mid-run, run it again, check nothing is orphaned."""
    import signal
    import subprocess
    import sys
    import time

    corpus = tmp_path / "corpus"
    shutil.copytree(ROOT / "corpus", corpus)
    for i in range(40):
        (corpus / f"note-{i}.md").write_text(
            f"# Note {i}\n\n" + "Stock counts and approvals. " * 30 * (i + 1)
        )
    env = {**os.environ, "ASSISTANT_HOME": str(tmp_path / "home"), "ASSISTANT_MODEL_CACHE": str(model_cache)}
    cmd = [sys.executable, "-m", "assistant.cli", "ingest", str(corpus), "--kb", "k", "--json"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(6)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    services = build_services(Settings(home=tmp_path / "home", model_cache=model_cache))
    chunks, vectors = consistent(services, "k")
    assert chunks == vectors > 0
    again = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert '"unchanged": 46' in again.stdout
    services.close()


def test_concurrent_ingestion_and_search_in_one_process(fast_services: Services, tmp_path: Path) -> None:
    """The web UI and the API share one Services: writers take turns, readers never fail."""
    import threading

    folders = []
    for i in range(4):
        folder = tmp_path / f"batch{i}"
        folder.mkdir()
        for j in range(3):
            (folder / f"doc{i}-{j}.md").write_text(
                f"# 文档 {i}-{j}\n\n## 操作\n\n第 {i} 批第 {j} 份说明：在采购模块点击新建，填写供应商和数量。\n",
                encoding="utf-8",
            )
        folders.append(folder)
    fast_services.ingest("shared", [folders[0]])
    errors: list[BaseException] = []

    def ingest(folder: Path) -> None:
        try:
            fast_services.ingest("shared", [folder])
        except BaseException as e:  # noqa: BLE001 - collected for the assertion
            errors.append(e)

    def search() -> None:
        try:
            for _ in range(20):
                fast_services.search("shared", "采购 新建 供应商", 5)
        except BaseException as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=ingest, args=(f,)) for f in folders[1:]]
    threads += [threading.Thread(target=search) for _ in range(2)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=120)
    assert not errors, errors
    kb = fast_services.kbs.get("shared")
    assert len([d for d in kb.documents() if d.status == "ok"]) == 12
    assert kb.conn.execute("SELECT COUNT(*) FROM chunks").fetchone()[0] == sum(
        d.chunk_count for d in kb.documents()
    )
    assert kb.vectors.count() == kb.conn.execute("SELECT COUNT(*) FROM chunks").fetchone()[0]


def test_source_download_only_of_the_indexed_version(fast_services: Services, tmp_path: Path) -> None:
    doc = tmp_path / "guide.md"
    doc.write_text("# Guide\n\nPress the red button.\n", encoding="utf-8")
    fast_services.ingest("dl", [doc])
    assert fast_services.document_file("dl", "guide.md") == doc.resolve()
    doc.write_text("# Guide\n\nSomething else entirely.\n", encoding="utf-8")
    assert fast_services.document_file("dl", "guide.md") is None  # changed since it was indexed
    assert fast_services.document_file("dl", "missing.md") is None


def test_connections_of_ended_threads_are_closed(fast_services: Services, tmp_path: Path) -> None:
    """Servers start a thread per request (Streamlit: per rerun); their connections must not pile up."""
    import threading

    doc = tmp_path / "a.md"
    doc.write_text("# A\n\ntext\n", encoding="utf-8")
    fast_services.ingest("threads", [doc])
    kb = fast_services.kbs.get("threads")
    for _ in range(20):
        th = threading.Thread(target=lambda: kb.conn.execute("SELECT COUNT(*) FROM chunks").fetchone())
        th.start()
        th.join()
    kb.conn.execute("SELECT 1")  # this thread's connection exists already: nothing new is opened
    th = threading.Thread(target=lambda: kb.conn.execute("SELECT 1").fetchone())
    th.start()
    th.join()
    assert len(kb.storage._conns) <= 3  # type: ignore[attr-defined]  # the main thread's, the last ended thread's, at most one more


def _deep_folder(base: Path, over: int = 4200) -> Path:
    """A folder whose path is longer than PATH_MAX, made step by step with directory descriptors."""
    name = "d" * 200
    fd = os.open(base, os.O_RDONLY)
    depth = 0
    try:
        while len(str(base)) + depth * 201 < over:
            os.mkdir(name, dir_fd=fd)
            nxt = os.open(name, os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd, depth = nxt, depth + 1
        leaf = os.open("deep.md", os.O_WRONLY | os.O_CREAT, dir_fd=fd)
        os.write(leaf, b"# deep\n\ntext in a very deep folder")
        os.close(leaf)
    finally:
        os.close(fd)
    return base / name


def test_symlink_loops_and_paths_over_the_os_limit_are_reported(
    fast_services: Services, tmp_path: Path
) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "ok.md").write_text("# OK\n\nthe one good file", encoding="utf-8")
    (docs / "self.md").symlink_to(docs / "self.md")
    (docs / "a.md").symlink_to(docs / "b.md")
    (docs / "b.md").symlink_to(docs / "a.md")
    _deep_folder(docs)
    report = fast_services.ingest("demo", [docs, docs / "self.md"])
    by = {Path(f.path).name if len(f.path) < 300 else "deep": f for f in report.files}
    assert by["ok.md"].status == "added"
    for name in ("self.md", "a.md", "b.md"):
        assert by[name].status == "failed" and "symbolic link loop" in (by[name].reason or ""), by[name]
    assert by["deep"].status == "failed" and "longer than the operating system allows" in (
        by["deep"].reason or ""
    )
    assert [f.status for f in report.files].count("failed") == 5  # the loop given as an argument too


def test_every_chunk_title_and_section_is_capped(fast_services: Services, tmp_path: Path) -> None:
    from assistant.ingest.chunking import MAX_HEADING_CHARS, MAX_SECTION_CHARS

    path = tmp_path / "huge-heading.md"
    words = " ".join(f"word{i}" for i in range(120_000))  # about 1 MB on one heading line
    path.write_text(f"# {words}\n\n## sub\n\nbody text under the sub heading\n", encoding="utf-8")
    report = fast_services.ingest("demo", [path])
    assert report.files[0].status == "added"
    hits = fast_services.search("demo", "word119999", k=3)
    assert hits and "word119999" in " ".join(h.chunk.text for h in hits)  # still findable
    size = fast_services.settings.chunking
    for h in fast_services.search("demo", "word5 body text", k=50):
        assert len(h.chunk.text) <= 2 * max(size.chunk_size, size.max_table_chars)
        assert len(h.chunk.section) <= MAX_SECTION_CHARS and len(h.chunk.title or "") <= MAX_HEADING_CHARS


def test_markdown_drops_embedded_scripts_like_html(fast_services: Services, tmp_path: Path) -> None:
    path = tmp_path / "page.md"
    path.write_text(
        "# Page\n\nvisible text\n\n<script>var trackingSecret = 'x';</script>\n<style>.hidden{}</style>\n\n"
        "```html\n<script>documentedExample()</script>\n```\n",
        encoding="utf-8",
    )
    fast_services.ingest("demo", [path])
    text = " ".join(
        h.chunk.text for h in fast_services.search("demo", "trackingSecret documentedExample", k=10)
    )
    assert "trackingSecret" not in text and ".hidden" not in text
    assert "documentedExample" in text  # a code sample in a fence is content


def test_knowledge_bases_work_on_the_standard_librarys_sqlite_too(tmp_path: Path) -> None:
    """Without the ``sqlite`` extra (pysqlite3 has wheels for Linux x86-64 only) the knowledge-base
    files run on the interpreter's sqlite3, and a file written by one library is read by the other."""
    import subprocess
    import sys

    script = """
import sys
sys.modules["pysqlite3"] = None  # as on a platform without the wheel
from pathlib import Path
from assistant.providers import sqlite
from assistant.providers.embeddings import HashingEmbeddings
from assistant.services import build_services
from assistant.settings import Settings
import sqlite3
assert sqlite.sqlite is sqlite3, sqlite.sqlite
home = Path(sys.argv[1])
docs = home.parent / "docs"
docs.mkdir(exist_ok=True)
(docs / "a.md").write_text("# 收货\\n\\n仓库收货时先核对采购订单，再过账。\\n", encoding="utf-8")
svc = build_services(Settings(home=home), embeddings=HashingEmbeddings())
if sys.argv[2] == "write":
    svc.ingest("kb", [docs])
hits = svc.searcher("kb").search("收货 过账", 3)
print(sqlite.SQLITE_VERSION, hits[0].chunk.source.rsplit("/", 1)[-1])
"""
    home = tmp_path / "home"
    out = subprocess.run(
        [sys.executable, "-c", script, str(home), "write"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    import sqlite3

    assert out.stdout.split() == [sqlite3.sqlite_version, "a.md"]
    # the same file, read with the library this process uses (pysqlite3 where installed)
    svc = build_services(Settings(home=home), embeddings=HashingEmbeddings())
    assert svc.searcher("kb").search("收货 过账", 3)[0].chunk.source.endswith("a.md")
    svc.close()
