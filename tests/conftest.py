"""Shared fixtures: settings in a temp data directory, real services (the packaged MiniLM on
ONNX int8, embedded Chroma, SQLite), and helpers that write real PDF and DOCX files."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from assistant.providers.embeddings import HashingEmbeddings, NamedEmbeddings, make_embeddings  # noqa: E402
from assistant.services import Services, build_services  # noqa: E402
from assistant.settings import Settings  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "datasets"


def free_ports(n: int = 2) -> list[int]:
    """Distinct free ports (all bound at once, so none is handed out twice)."""
    socks = [socket.socket() for _ in range(n)]
    try:
        for s in socks:
            s.bind(("127.0.0.1", 0))
        return [int(s.getsockname()[1]) for s in socks]
    finally:
        for s in socks:
            s.close()


def wait_port(port: int, seconds: float = 60) -> None:
    """Until something listens on a loopback port (a server the test started)."""
    import time

    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"nothing listens on port {port} after {seconds:.0f} s")


SAMPLE_TICKETS = ROOT / "corpus" / "incidents" / "工单历史.csv"
SAMPLE_TICKETS_MAP = "id=工单号,title=标题,text=标题+描述,category=分类,priority=优先级,status=状态,resolution=处理结果,created=创建时间"


def import_sample_tickets(services: Services, kb: str = "demo") -> None:
    """The sample Chinese incident history (96 tickets) imported into a knowledge base."""
    services.support.import_file(kb, SAMPLE_TICKETS, SAMPLE_TICKETS_MAP)


@pytest.fixture(scope="session")
def model_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("models")


@pytest.fixture(scope="session")
def real_embeddings(model_cache: Path) -> NamedEmbeddings:
    """The default model, converted once per test session and shared."""
    emb = make_embeddings(Settings().embedding, model_cache)
    emb.embed_query("warm up")
    return emb


class CountingEmbeddings(NamedEmbeddings):
    """Wraps a real model and counts the texts it embeds (to prove skipped work)."""

    def __init__(self, inner: NamedEmbeddings) -> None:
        self.inner = inner
        self.model_id = inner.model_id
        self.calls = 0
        self.texts = 0

    def encode(self, texts):  # type: ignore[no-untyped-def]
        self.calls += 1
        self.texts += len(texts)
        return self.inner.encode(texts)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Tests marked ``backends`` run once per application database: SQLite (embedded) and PostgreSQL
    (server mode, also marked ``server``: ``make test-server`` runs those alone)."""
    if metafunc.definition.get_closest_marker("backends") and "settings" in metafunc.fixturenames:
        metafunc.parametrize(
            "db_backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.server)], indirect=True
        )


@pytest.fixture(scope="session")
def pg_admin_url() -> str:
    """A PostgreSQL server for the session: ASSISTANT_TEST_DATABASE_URL, or one started here."""
    from tests import pgserver

    if url := os.environ.get("ASSISTANT_TEST_DATABASE_URL"):
        yield url
        return
    if not pgserver.available():
        if os.environ.get("ASSISTANT_TEST_SERVER"):
            pytest.fail("PostgreSQL is not installed: run `make postgres`")
        pytest.skip("PostgreSQL is not installed (make test installs it)")
    cluster = pgserver.Cluster(free_ports(1)[0])
    yield cluster.url
    cluster.stop()


@pytest.fixture
def db_backend(request: pytest.FixtureRequest) -> str:
    return getattr(request, "param", "sqlite")


@pytest.fixture
def database_url(request: pytest.FixtureRequest, db_backend: str) -> str | None:
    """None (SQLite in the data directory) or a new empty PostgreSQL database."""
    if db_backend != "postgresql":
        return None
    from tests import pgserver

    return pgserver.new_database(request.getfixturevalue("pg_admin_url"))


@pytest.fixture
def settings(
    tmp_path: Path, model_cache: Path, database_url: str | None, monkeypatch: pytest.MonkeyPatch
) -> Settings:
    if database_url:  # CLI runs and servers started by the test read it from the environment
        monkeypatch.setenv("ASSISTANT_DATABASE__URL", database_url)
    return Settings(home=tmp_path / "home", model_cache=model_cache, database={"url": database_url})


@pytest.fixture
def services(settings: Settings, real_embeddings: NamedEmbeddings) -> Services:
    svc = build_services(settings, embeddings=CountingEmbeddings(real_embeddings))
    yield svc
    svc.close()


@pytest.fixture
def fast_services(settings: Settings) -> Services:
    """Hashing embeddings: for tests about something other than embedding quality."""
    svc = build_services(settings, embeddings=HashingEmbeddings())
    yield svc
    svc.close()


def make_pdf(path: Path, pages: list[tuple[str, list[str]]], encrypt: str | None = None) -> Path:
    """A real PDF: one (heading, paragraphs) per page, headings bookmarked; CJK via a CID font."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    c = canvas.Canvas(str(path), pagesize=A4, encrypt=encrypt)
    for n, (heading, paras) in enumerate(pages):
        c.setFont("STSong-Light", 16)
        c.drawString(60, 780, heading)
        c.bookmarkPage(f"p{n}")
        c.addOutlineEntry(heading, f"p{n}", level=0)
        c.setFont("STSong-Light", 11)
        y = 750
        for para in paras:
            c.drawString(60, y, para)
            y -= 20
        c.showPage()
    c.save()
    return path


def make_docx(path: Path) -> Path:
    import docx

    d = docx.Document()
    d.core_properties.title = "采购需求规格"
    d.add_heading("采购需求规格", level=0)
    d.add_heading("1 采购申请", level=1)
    d.add_paragraph("采购申请由需求部门填写。审批后转为采购订单。")
    d.add_paragraph("REQ-PUR-001 系统应支持在线创建采购申请。", style="List Number")
    d.add_paragraph("REQ-PUR-002 系统应按金额匹配审批流。", style="List Number")
    d.add_heading("1.1 审批", level=2)
    d.add_paragraph("Approvers act in WeCom.", style="List Bullet")
    t = d.add_table(rows=3, cols=2)
    for r, row in enumerate([["金额", "审批人"], ["5000 以下", "部门经理"], ["5000 以上", "采购经理"]]):
        for col, value in enumerate(row):
            t.cell(r, col).text = value
    d.save(str(path))
    return path
