"""Retrieval benchmark on the ``qa`` layout: ``docs/`` plus ``questions.jsonl`` with gold sources.

Ingests the docs into a throwaway knowledge base (fresh each run), times a cold ingest and an
unchanged re-ingest, then runs every question and scores recall@k and MRR@10 by gold source file,
and measures in-process search latency.
"""

from __future__ import annotations

import json
import statistics
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from assistant.errors import InvalidInput
from assistant.services import Searcher, Services


def load_questions(path: Path) -> list[dict[str, Any]]:
    out = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        q = json.loads(line)
        if "question" not in q or "gold" not in q:
            raise InvalidInput(f"{path}:{n}: each line needs 'question' and 'gold'")
        out.append(q)
    return out


def percentile(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    s = sorted(values)
    idx = min(len(s) - 1, max(0, round(p / 100 * (len(s) - 1))))
    return s[idx]


def score_questions(searcher: Searcher, questions: list[dict[str, Any]], k: int) -> dict[str, Any]:
    """recall@k and MRR@10 by gold source file, and search latency, for one searcher."""
    searcher.search("warm up", 1)
    hits_at_k, rr, latencies = 0, 0.0, []
    per_question = []
    for q in questions:
        t = time.perf_counter()
        hits = searcher.search(q["question"], max(k, 10))
        latencies.append((time.perf_counter() - t) * 1000)
        sources = [h.chunk.source for h in hits]
        gold = set(q["gold"])
        first = next((i for i, s in enumerate(sources[:10], 1) if s in gold), None)
        hits_at_k += first is not None and first <= k
        rr += 1.0 / first if first else 0.0
        per_question.append({"id": q.get("id"), "rank": first})
    n = len(questions) or 1
    return {
        f"recall@{k}": round(hits_at_k / n, 3),
        "mrr@10": round(rr / n, 3),
        "search_p50_ms": round(statistics.median(latencies), 1) if latencies else 0.0,
        "search_p95_ms": round(percentile(latencies, 95), 1),
        "per_question": per_question,
    }


def run_retrieval_eval(
    services: Services,
    bench: Path,
    k: int = 5,
    log: Callable[[str], None] = lambda m: None,
    keep: bool = False,
) -> dict[str, Any]:
    docs = bench / "docs"
    qfile = bench / "questions.jsonl"
    if not docs.is_dir() or not qfile.is_file():
        raise InvalidInput(f"{bench} needs docs/ and questions.jsonl")
    questions = load_questions(qfile)
    kb = f"eval-{bench.name}-{uuid.uuid4().hex[:8]}"
    # warm the model so that ingestion time is the pipeline's, not the one-off model load/export
    t = time.perf_counter()
    services.embeddings.embed_query("warm up")
    model_load = time.perf_counter() - t
    try:
        log(f"ingesting {docs} into {kb} ...")
        t = time.perf_counter()
        report = services.ingest(kb, [docs])
        ingest_s = time.perf_counter() - t
        t = time.perf_counter()
        again = services.ingest(kb, [docs])
        reingest_s = time.perf_counter() - t
        searcher = services.searcher(kb)
        scores = score_questions(searcher, questions, k)
        stats = services.kb_stats(kb)
        return {
            "bench": bench.name,
            "questions": len(questions),
            "k": k,
            **scores,
            "ingest_seconds": round(ingest_s, 2),
            "model_load_seconds": round(model_load, 2),
            "reingest_seconds": round(reingest_s, 2),
            "files": len(report.files),
            "failed": len(report.failed),
            "unchanged_on_reingest": again.counts().get("unchanged", 0),
            "chunks": stats["chunks"],
            "chunks_per_second": round(stats["chunks"] / ingest_s, 1) if ingest_s else None,
            "embedding_model": services.embeddings.model_id,
            "embedding_backend": services.settings.embedding.backend
            if services.settings.embedding.provider == "sentence-transformers"
            else services.settings.embedding.provider,
            "chunk_size": services.settings.chunking.chunk_size,
        }
    finally:
        if not keep:
            services.delete_kb(kb)


def format_report(r: dict[str, Any]) -> str:
    k = r["k"]
    misses = [q["id"] for q in r["per_question"] if not q["rank"] or q["rank"] > k]
    return "\n".join(
        [
            f"# Retrieval: {r['bench']}",
            "",
            "| metric | value |",
            "|---|---|",
            f"| questions | {r['questions']} |",
            f"| recall@{k} | {r[f'recall@{k}']} |",
            f"| MRR@10 | {r['mrr@10']} |",
            f"| ingest (cold, model warm) | {r['ingest_seconds']} s for {r['files']} files, {r['chunks']} chunks |",
            f"| chunks/s | {r['chunks_per_second']} |",
            f"| re-ingest unchanged | {r['reingest_seconds']} s ({r['unchanged_on_reingest']} unchanged) |",
            f"| model load | {r['model_load_seconds']} s |",
            f"| search p50 / p95 | {r['search_p50_ms']} ms / {r['search_p95_ms']} ms |",
            f"| embedding | {r['embedding_model']} ({r['embedding_backend']}) |",
            f"| chunk size | {r['chunk_size']} |",
            "",
            f"Missed at {k}: {', '.join(str(m) for m in misses) or 'none'}",
            "",
        ]
    )
