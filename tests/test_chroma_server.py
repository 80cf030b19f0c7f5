"""The same knowledge base over a Chroma server (`chroma run` + HttpClient) instead of embedded Chroma."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.services import build_services
from assistant.settings import Settings
from tests.conftest import ROOT, free_ports, wait_port

CHROMA = Path(sys.executable).parent / "chroma"


@pytest.mark.slow
@pytest.mark.skipif(not CHROMA.exists() and shutil.which("chroma") is None, reason="chroma CLI not installed")
def test_ingest_and_search_through_a_chroma_server(
    tmp_path: Path, model_cache: Path, real_embeddings
) -> None:  # type: ignore[no-untyped-def]
    (port,) = free_ports(1)
    server = subprocess.Popen(
        [
            str(CHROMA if CHROMA.exists() else "chroma"),
            "run",
            "--path",
            str(tmp_path / "srv"),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_port(port, 30)
        settings = Settings(home=tmp_path / "home", model_cache=model_cache)
        settings.vector_store.host = "127.0.0.1"
        settings.vector_store.port = port
        services = build_services(settings, embeddings=real_embeddings)
        report = services.ingest("remote", [ROOT / "corpus" / "faq"])
        assert report.counts() == {"added": 2}
        hits = services.search("remote", "Can I approve on my phone?", k=3)
        assert hits[0].chunk.source == "faq-en.md" and hits[0].dense_rank == 1
        assert not (tmp_path / "home" / "chroma").exists()  # nothing went to the embedded store
        services.delete_kb("remote")
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_chroma_is_opened_only_when_vectors_are_needed(tmp_path: Path) -> None:
    """Commands that never touch vectors (tickets, change requests, keys, kb list) do not pay for
    opening Chroma; the first one that does opens it."""
    from assistant.providers.embeddings import HashingEmbeddings

    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.md").write_text(
        "# Approval\n\nManagers approve requisitions.\n", encoding="utf-8"
    )
    services = build_services(Settings(home=tmp_path / "home"), embeddings=HashingEmbeddings())
    assert services.list_kbs() == []
    assert not (tmp_path / "home" / "chroma").exists()
    assert services.ingest("docs", [tmp_path / "docs"]).counts() == {"added": 1}
    assert (tmp_path / "home" / "chroma").is_dir()
    assert services.search("docs", "who approves", k=1)[0].chunk.source == "a.md"


def test_an_unreachable_chroma_server_fails_cleanly_on_first_use(tmp_path: Path) -> None:
    from assistant.errors import ProviderError
    from assistant.providers.embeddings import HashingEmbeddings

    (port,) = free_ports(1)  # nothing listens there
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.md").write_text("# A\n\nSome text.\n", encoding="utf-8")
    embedded = build_services(Settings(home=tmp_path / "home"), embeddings=HashingEmbeddings())
    assert embedded.ingest("kb1", [tmp_path / "docs"]).counts() == {"added": 1}
    embedded.close()
    settings = Settings(home=tmp_path / "home")
    settings.vector_store.host, settings.vector_store.port = "127.0.0.1", port
    services = build_services(settings, embeddings=HashingEmbeddings())  # building connects to nothing
    with pytest.raises(ProviderError, match=f"could not open the Chroma store at 127.0.0.1:{port}"):
        services.ingest("kb2", [tmp_path / "docs"])  # a new knowledge base is not even started
    (tmp_path / "docs" / "a.md").write_text("# A\n\nChanged text.\n", encoding="utf-8")
    report = services.ingest("kb1", [tmp_path / "docs"])
    assert report.counts() == {"failed": 1} and "could not open the Chroma store" in str(
        report.files[0].reason
    )
    with pytest.raises(ProviderError, match="could not open the Chroma store"):
        services.search("kb1", "text", k=1)
    with pytest.raises(ProviderError, match="could not open the Chroma store"):
        services.delete_kb("kb1", archive=True)  # refused before anything is removed or archived
    assert not (tmp_path / "home" / "archives").exists()
    assert [k.name for k in services.list_kbs()] == ["kb1"]
    assert services.health()["vector_store"]["ok"] is False
    services.close()
    again = build_services(Settings(home=tmp_path / "home"), embeddings=HashingEmbeddings())
    hit = again.search("kb1", "text", k=1)[0]  # the embedded knowledge base is as it was
    assert hit.chunk.source == "a.md" and "Some text" in hit.chunk.text
