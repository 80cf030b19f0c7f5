"""Server mode with two API processes over one PostgreSQL database and one Chroma server: a document
ingested through one is searched and answered through the other, and CCB approvals sent through both
at once are all counted, once each."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from assistant.services import build_services
from assistant.settings import Settings
from tests import pgserver
from tests.conftest import ROOT, free_ports, wait_port

CHROMA = Path(sys.executable).parent / "chroma"


def _call(port: int, method: str, path: str, key: str | None = None, body: object = None) -> tuple[int, dict]:
    headers = {"Content-Type": "application/json"}
    if key:
        headers["Authorization"] = f"Bearer {key}"
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method=method, data=data, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


def _upload(port: int, key: str, kb: str, path: Path) -> tuple[int, dict]:
    boundary = "----assistant-test"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="kb"\r\n\r\n{kb}\r\n'.encode(),
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{path.name}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + path.read_bytes()
        + b"\r\n",
        f"--{boundary}--\r\n".encode(),
    ]
    req = urllib.request.Request(
        f"http://127.0.0.1:{port}/v1/ingest",
        method="POST",
        data=b"".join(parts),
        headers={
            "Authorization": f"Bearer {key}",
            "Content-Type": f"multipart/form-data; boundary={boundary}",
        },
    )
    try:
        with urllib.request.urlopen(req, timeout=120) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


@pytest.mark.server
@pytest.mark.slow
@pytest.mark.skipif(not CHROMA.exists() and shutil.which("chroma") is None, reason="chroma CLI not installed")
def test_two_api_processes_share_one_project(  # type: ignore[no-untyped-def]
    tmp_path: Path, model_cache: Path, real_embeddings, pg_admin_url: str
) -> None:
    chroma_port, port_a, port_b = free_ports(3)
    url = pgserver.new_database(pg_admin_url)
    env = {
        **os.environ,
        "ASSISTANT_HOME": str(tmp_path / "home"),
        "ASSISTANT_MODEL_CACHE": str(model_cache),
        "ASSISTANT_DATABASE__URL": url,
        "ASSISTANT_VECTOR_STORE__HOST": "127.0.0.1",
        "ASSISTANT_VECTOR_STORE__PORT": str(chroma_port),
    }
    procs = [
        subprocess.Popen(
            [str(CHROMA if CHROMA.exists() else "chroma"), "run", "--path", str(tmp_path / "chroma")]
            + ["--host", "127.0.0.1", "--port", str(chroma_port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    ]
    try:
        wait_port(chroma_port)
        settings = Settings(
            home=tmp_path / "home",
            model_cache=model_cache,
            database={"url": url},
            vector_store={"host": "127.0.0.1", "port": chroma_port},
        )
        admin = build_services(settings, embeddings=real_embeddings)
        keys = {role: admin.keys.create(role, role, ["shop"])[0] for role in ("end_user", "consultant")} | {
            "admin": admin.keys.create("admin", "admin", ["*"])[0]
        }
        board = [admin.keys.create(f"board-{n}", "ccb", ["shop"])[0] for n in range(4)]
        admin.close()
        for port in (port_a, port_b):
            procs.append(
                subprocess.Popen(
                    [sys.executable, "-m", "assistant.cli", "serve", "--port", str(port)],
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
        for port in (port_a, port_b):
            wait_port(port)
            status, health = _call(port, "GET", "/v1/health")
            assert status == 200 and health["backends"]["database"]["backend"] == "postgresql", health
            assert health["backends"]["vector_store"] == {"ok": True, "backend": "chroma-server"}

        # ingest through A; search and ask through B
        status, body = _upload(port_a, keys["consultant"], "shop", ROOT / "corpus" / "faq" / "faq-en.md")
        assert status == 200 and body["status"] == "added" and body["chunks"] > 0, body
        status, found = _call(
            port_b,
            "POST",
            "/v1/search",
            keys["end_user"],
            {"kb": "shop", "query": "Can I approve on my phone?"},
        )
        assert status == 200 and found["results"][0]["source"] == "faq-en.md", found
        status, answer = _call(
            port_b,
            "POST",
            "/v1/ask",
            keys["end_user"],
            {"kb": "shop", "question": "Can I approve on my phone?"},
        )
        assert status == 200 and answer["found"] and answer["citations"][0]["source"] == "faq-en.md", answer

        # a change request moved along on both; four board members approve at once, two through each
        status, cr = _call(
            port_a,
            "POST",
            "/v1/change-requests",
            keys["end_user"],
            {"kb": "shop", "text": "Approve purchase orders on the phone."},
        )
        assert status == 201, cr
        assert _call(port_b, "POST", f"/v1/change-requests/{cr['id']}/submit", keys["end_user"], {})[0] == 200
        assert (
            _call(port_a, "POST", f"/v1/change-requests/{cr['id']}/review", keys["consultant"], {})[0] == 200
        )
        with ThreadPoolExecutor(4) as pool:
            results = list(
                pool.map(
                    lambda n: _call(
                        (port_a, port_b)[n % 2],
                        "POST",
                        f"/v1/change-requests/{cr['id']}/approve",
                        board[n],
                        {},
                    ),
                    range(4),
                )
            )
        # the quorum is two: two approvals land, the other two find the request already approved
        assert sorted(s for s, _ in results) == [200, 200, 409, 409], results
        status, full = _call(port_b, "GET", f"/v1/change-requests/{cr['id']}", keys["end_user"])
        assert full["status"] == "approved"
        assert [a["action"] for a in full["audit"]] == ["create", "submit", "review", "approve", "approve"]
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(timeout=20)
