"""Load benchmark: the HTTP API in its own process on loopback, N concurrent clients, each sending
a bounded number of requests; p50/p95/p99 latency, throughput and errors for /v1/search and /v1/ask.

The server is ``assistant serve`` on a throwaway data directory holding a benchmark's documents
(the sample corpus by default, or a ``qa`` benchmark's ``docs/``). Nothing leaves the machine.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from assistant.services import Services, build_services
from assistant.settings import Settings
from evals.retrieval import load_questions, percentile

ROOT = Path(__file__).resolve().parent.parent
#: questions end users ask of the sample corpus (Chinese, English and mixed)
SAMPLE_QUESTIONS = [
    "如何重置密码？",
    "盘点期间能不能发料？",
    "Who approves a purchase requisition of 60,000 CNY?",
    "收货时提示超收比例超过允许范围怎么办",
    "上线切换的回退方案是什么",
    "How do I post a goods receipt?",
    "月结时外币评估报错",
    "采购申请需要谁审批？",
    "怎么申请年假？",
    "ERP 登录提示账号锁定",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _server_settings(server_env: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if provider := server_env.get("ASSISTANT_EMBEDDING__PROVIDER"):
        out["embedding"] = {"provider": provider}
    if url := server_env.get("ASSISTANT_DATABASE__URL"):
        out["database"] = {"url": url}
    if host := server_env.get("ASSISTANT_VECTOR_STORE__HOST"):
        out["vector_store"] = {
            "host": host,
            "port": int(server_env.get("ASSISTANT_VECTOR_STORE__PORT", "8000")),
        }
    return out


def prepare(
    home: Path, docs: list[Path], model_cache: Path | None, server_env: dict[str, str] | None = None
) -> str:
    """Ingest the documents into knowledge base 'load' and return an end-user key for it."""
    extra = _server_settings(server_env or {})
    services: Services = build_services(Settings(home=home, model_cache=model_cache, **extra))
    try:
        services.ingest("load", docs)
        secret, _ = services.keys.create("load-client", "end_user", ["load"])
        return secret
    finally:
        services.close()


def start_server(
    home: Path, port: int, model_cache: Path | None, server_env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    env = {**os.environ, "ASSISTANT_HOME": str(home), **(server_env or {})}
    if model_cache:
        env["ASSISTANT_MODEL_CACHE"] = str(model_cache)
    cmd = [sys.executable, "-m", "assistant.cli", "serve", "--host", "127.0.0.1", "--port", str(port)]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    import httpx

    deadline = time.time() + 120
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(
                f"the server stopped: {proc.stderr.read().decode()[-2000:] if proc.stderr else ''}"
            )
        try:
            if httpx.get(f"http://127.0.0.1:{port}/v1/health", timeout=2).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    proc.kill()
    raise RuntimeError("the server did not answer /v1/health within 120 s")


def run_level(
    base: str | list[str], secret: str, route: str, clients: int, per_client: int, questions: list[str]
) -> dict[str, Any]:
    """``clients`` threads, each with its own connection, ``per_client`` requests one after another;
    with several servers, client n talks to server n mod their number (a round-robin balancer)."""
    bases = [base] if isinstance(base, str) else base
    import httpx

    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    start_gate = threading.Barrier(clients)

    def client(n: int) -> None:
        with httpx.Client(
            base_url=bases[n % len(bases)], headers={"Authorization": f"Bearer {secret}"}, timeout=60
        ) as http:
            start_gate.wait()
            for i in range(per_client):
                q = questions[(n * per_client + i) % len(questions)]
                body = {"kb": "load", "query": q} if route == "search" else {"kb": "load", "question": q}
                t = time.perf_counter()
                try:
                    r = http.post(f"/v1/{route}", json=body)
                    ok = r.status_code == 200
                    why = f"HTTP {r.status_code}"
                except httpx.HTTPError as e:
                    ok, why = False, type(e).__name__
                dt = time.perf_counter() - t
                with lock:
                    latencies.append(dt)
                    if not ok:
                        errors.append(why)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    wall = time.perf_counter()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    wall = time.perf_counter() - wall
    ms = [x * 1000 for x in latencies]
    return {
        "route": route,
        "clients": clients,
        "requests": len(ms),
        "errors": len(errors),
        "error_kinds": sorted(set(errors)),
        "p50_ms": round(percentile(ms, 50), 1),
        "p95_ms": round(percentile(ms, 95), 1),
        "p99_ms": round(percentile(ms, 99), 1),
        "requests_per_s": round(len(ms) / wall, 1) if wall else 0.0,
    }


def run_load_eval(
    bench: Path | None = None,
    levels: tuple[int, ...] = (1, 5, 20),
    requests_per_level: int = 200,
    model_cache: Path | None = None,
    log: Callable[[str], None] = lambda m: None,
    server_env: dict[str, str] | None = None,
    processes: int = 1,
    docs: list[Path] | None = None,
    questions: list[str] | None = None,
    label: str | None = None,
) -> dict[str, Any]:
    """Every level sends the same number of requests (bounded), split over its clients. *server_env*
    (ASSISTANT_DATABASE__URL, ASSISTANT_VECTOR_STORE__HOST/PORT) runs it in server mode, where
    *processes* API processes share the load."""
    if docs is not None and questions is not None:
        pass  # given: a generated corpus and its questions (evals/load_scale.py)
    elif bench is not None:
        docs = [bench / "docs"]
        questions = [q["question"] for q in load_questions(bench / "questions.jsonl")]
    else:
        docs = [ROOT / "corpus"]
        questions = SAMPLE_QUESTIONS
    with tempfile.TemporaryDirectory(prefix="assistant-load-") as tmp:
        home = Path(tmp) / "home"
        log(f"ingesting {', '.join(map(str, docs))} ...")
        secret = prepare(home, docs, model_cache, server_env)
        ports = [_free_port() for _ in range(processes)]
        servers = [start_server(home, port, model_cache, server_env) for port in ports]
        base = [f"http://127.0.0.1:{port}" for port in ports]
        results = []
        try:
            for route in ("search", "ask"):
                run_level(base, secret, route, 2, 5, questions)  # warm-up: models loaded, caches filled
                for clients in levels:
                    per_client = max(1, requests_per_level // clients)
                    log(f"{route}: {clients} client(s) x {per_client} requests ...")
                    results.append(run_level(base, secret, route, clients, per_client, questions))
        finally:
            for server in servers:
                server.terminate()
            for server in servers:
                try:
                    server.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    server.kill()
    return {
        "bench": label or (bench.name if bench else "sample corpus"),
        "mode": "server (PostgreSQL + Chroma server)" if server_env else "embedded (SQLite + Chroma)",
        "processes": processes,
        "questions": len(questions),
        "cpu_cores": os.cpu_count(),
        "results": results,
    }


def format_report(result: dict[str, Any]) -> str:
    lines = [
        f"# Load: {result['bench']} ({result['questions']} questions, {result['cpu_cores']} cores, loopback)",
        "",
        f"Mode: {result.get('mode', 'embedded (SQLite + Chroma)')}, {result.get('processes', 1)} API process(es).",
        "",
        "| route | clients | requests | errors | p50 ms | p95 ms | p99 ms | requests/s |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in result["results"]:
        lines.append(
            f"| {r['route']} | {r['clients']} | {r['requests']} | {r['errors']} | {r['p50_ms']} | "
            f"{r['p95_ms']} | {r['p99_ms']} | {r['requests_per_s']} |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":  # pragma: no cover - manual run
    print(json.dumps(run_load_eval(log=print), ensure_ascii=False, indent=1))
