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
