"""The lexical side in embedded mode (SQLite FTS5, BM25) against server mode (PostgreSQL full-text
search over the same jieba tokens), on the retrieval benchmarks.

    ASSISTANT_DATABASE__URL=postgresql://USER@HOST/DB \\
        .venv/bin/python -m evals.lexical_backends ../shared/datasets/qa/dolphinscheduler-en ...

Each benchmark is ingested once per backend into a fresh data directory (same embedding model, the
same embedded Chroma for vectors, so only the relational and lexical side differ) and scored with
the default hybrid retrieval and with lexical retrieval alone (dense weight 0). FTS5 is the baseline:
it is what embedded mode ships and what the retrieval figures of the README were measured on.
Writes ``evals/reports/lexical-backends.md``.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from assistant.services import build_services
from assistant.settings import Settings
from evals.retrieval import load_questions, score_questions

REPORT = Path(__file__).parent / "reports" / "lexical-backends.md"
LEXICAL_ONLY = {"dense_weight": 0.0, "dense_weight_other": 0.0}


def measure(bench: Path, database_url: str | None, cache: Path) -> dict[str, Any]:
    """Ingest *bench* into a new data directory (PostgreSQL when *database_url*) and score it."""
    settings = Settings(home=Path(tempfile.mkdtemp(prefix="lexical-")), model_cache=cache)
    if database_url:
        settings.database.url = database_url
    svc = build_services(settings)
    svc.embeddings.embed_query("warm")
    kb = f"lex-{bench.name}-{os.getpid()}"
    questions = load_questions(bench / "questions.jsonl")
    try:
        t = time.perf_counter()
        svc.ingest(kb, [bench / "docs"])
        ingest = time.perf_counter() - t
        hybrid = score_questions(svc.searcher(kb), questions, 5)
        lexical_settings = svc.settings.retrieval.model_copy(update=LEXICAL_ONLY)
        lexical = score_questions(svc.searcher(kb, retrieval=lexical_settings), questions, 5)
        return {
            "chunks": svc.kb_stats(kb)["chunks"],
            "ingest_s": ingest,
            "hybrid": hybrid,
            "lexical": lexical,
            # lexical only does not embed the question: its search time is the lexical query's
            "lexical_p50_ms": lexical["search_p50_ms"],
            "lexical_p95_ms": lexical["search_p95_ms"],
        }
    finally:
        svc.delete_kb(kb)
        svc.close()


def main(benches: list[Path]) -> None:
    url = os.environ.get("ASSISTANT_DATABASE__URL")
    if not url or not url.startswith(("postgresql://", "postgres://")):
        sys.exit("set ASSISTANT_DATABASE__URL to a PostgreSQL server (postgresql://...) to compare against")
    os.environ.pop("ASSISTANT_DATABASE__URL")  # the embedded run must not pick it up from the environment
    cache = Path(tempfile.mkdtemp(prefix="lexical-models-"))
    rows: list[tuple[str, dict[str, Any], dict[str, Any]]] = []
    for bench in benches:
        emb = measure(bench, None, cache)
        srv = measure(bench, url, cache)
        rows.append((bench.name, emb, srv))
        print(bench.name, emb["hybrid"]["recall@5"], srv["hybrid"]["recall@5"], flush=True)

    def pair(r: dict[str, Any], key: str) -> str:
        return f"{r[key]['recall@5']:.3f} / {r[key]['mrr@10']:.3f}"

    lines = [
        "# Lexical index: SQLite FTS5 (embedded) vs PostgreSQL full-text search (server mode)",
        "",
        f"Measured {time.strftime('%Y-%m-%d')} on a 2-core machine (PostgreSQL on loopback, same machine).",
        "recall@5 / MRR@10; FTS5 BM25 is the baseline. Same tokens (jieba search mode, lower-cased words),",
        "same embedding model and vector store in both columns.",
        "",
        "PostgreSQL keeps an inverted index in tables (lexeme, chunk, column-weighted frequency, chunk",
        "length) and ranks with FTS5's BM25 formula. Two earlier versions, measured the same day on these",
        "sets: a `tsvector` ranked with `ts_rank` times each term's IDF gave 0.646 / 0.516 hybrid and",
        "0.471 / 0.357 lexical only (mean), far below FTS5 (`ts_rank` saturates term frequency almost at",
        "once and has no BM25-like length normalisation); a `tsvector` with BM25 from frequencies stored",
        "beside it matched FTS5 here but took 0.9 s (p50) to 4.2 s (p95) per search at 100,000 chunks.",
        "",
        "| benchmark | chunks | hybrid, FTS5 (baseline) | hybrid, PostgreSQL | lexical only, FTS5 | lexical only, PostgreSQL |",
        "|---|---|---|---|---|---|",
    ]
    for name, emb, srv in rows:
        lines.append(
            f"| {name} | {emb['chunks']} | {pair(emb, 'hybrid')} | {pair(srv, 'hybrid')} | "
            f"{pair(emb, 'lexical')} | {pair(srv, 'lexical')} |"
        )

    def mean(key: str, side: int, metric: str) -> float:
        return statistics.mean(r[side][key][metric] for r in rows)

    lines.append(
        f"| **mean** | | {mean('hybrid', 1, 'recall@5'):.3f} / {mean('hybrid', 1, 'mrr@10'):.3f} | "
        f"{mean('hybrid', 2, 'recall@5'):.3f} / {mean('hybrid', 2, 'mrr@10'):.3f} | "
        f"{mean('lexical', 1, 'recall@5'):.3f} / {mean('lexical', 1, 'mrr@10'):.3f} | "
        f"{mean('lexical', 2, 'recall@5'):.3f} / {mean('lexical', 2, 'mrr@10'):.3f} |"
    )
    lines += [
        "",
        "## Speed",
        "",
        "| benchmark | ingest, embedded | ingest, server | search p50 / p95, lexical only, FTS5 | same, PostgreSQL |",
        "|---|---|---|---|---|",
    ]
    for name, emb, srv in rows:
        lines.append(
            f"| {name} | {emb['ingest_s']:.1f} s | {srv['ingest_s']:.1f} s | "
            f"{emb['lexical_p50_ms']:.1f} / {emb['lexical_p95_ms']:.1f} ms | "
            f"{srv['lexical_p50_ms']:.1f} / {srv['lexical_p95_ms']:.1f} ms |"
        )
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(REPORT.read_text())


if __name__ == "__main__":
    main([Path(p) for p in sys.argv[1:]])
