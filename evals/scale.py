"""One knowledge base of 100,000 chunks: ingest time without the model, search and ask latency.

How the chunks are made: the four manuals of ../shared/datasets/qa (DolphinScheduler and SeaTunnel,
English and Chinese; about 4,000 chunks) are split into sections and written again as variants —
each variant a "product" of its own (the product name, version and a section number replaced), with
its sections in another order — until the knowledge base holds the number of chunks asked for.

The embedding is the hashing stand-in (`fake`, 256 dimensions): embedding 100,000 chunks with the
real model takes about 29 minutes on this machine (58 chunks/s, README "Measured"), which is the
ingest figure that matters and is measured there; this benchmark measures what grows with the
index: chunking and storing, the vector index (HNSW) and the lexical index (FTS5 over jieba
tokens), search and extractive answers. The query embedding of the real model adds about 5 ms.

.venv/bin/python -m evals.scale [--chunks 100000]

Server mode: set ``ASSISTANT_DATABASE__URL=postgresql://...`` and ``ASSISTANT_VECTOR_STORE__HOST`` /
``__PORT`` (a ``chroma run`` server); the report goes to ``scale-server.md`` instead.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from assistant.services import build_services
from assistant.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
QA = ROOT.parent / "shared" / "datasets" / "qa"
REPORTS = ROOT / "evals" / "reports"
SETS = ("dolphinscheduler-en", "dolphinscheduler-zh", "seatunnel-en", "seatunnel-zh")


def sections() -> list[str]:
    out = []
    for name in SETS:
        for path in sorted((QA / name / "docs").rglob("*.md")):
            text = path.read_text(encoding="utf-8", errors="replace")
            for part in re.split(r"\n(?=#{1,3} )", text):
                if len(part.strip()) > 200:
                    out.append(part.strip()[:1500])
    return out


def write_corpus(folder: Path, target_chunks: int) -> int:
    """Variant documents of about ten sections each; returns the number of files."""
    base = sections()
    rng = random.Random(11)
    files = 0
    made = 0
    variant = 0
    while made < target_chunks:
        variant += 1
        order = list(range(len(base)))
        rng.shuffle(order)
        for start in range(0, len(order), 10):
            parts = [base[i] for i in order[start : start + 10]]
            product = f"Product{variant:03d}"
            body = "\n\n".join(
                p.replace("DolphinScheduler", product)
                .replace("SeaTunnel", product)
                .replace("3.", f"{variant}.")
                for p in parts
            )
            (folder / f"v{variant:03d}-{start // 10:04d}.md").write_text(
                f"# {product} guide part {start // 10}\n\n{body}\n", encoding="utf-8"
            )
            files += 1
            made += len(parts)
            if made >= target_chunks:
                break
    return files


def percentiles(samples: list[float]) -> dict[str, float]:
    s = sorted(samples)
    return {
        "p50_ms": round(statistics.median(s), 1),
        "p95_ms": round(s[min(len(s) - 1, int(0.95 * len(s)))], 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--chunks", type=int, default=100_000)
    parser.add_argument(
        "--real-model",
        action="store_true",
        help="embed with the configured model instead of the hashing stand-in (about 30 minutes more); "
        "the report goes to scale-model.md",
    )
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="scale-"))
    docs = work / "docs"
    docs.mkdir()
    files = write_corpus(docs, args.chunks)
    home = Path(os.environ.get("ASSISTANT_HOME") or work / "home")
    settings = Settings(home=home)
    if not args.real_model:
        settings = settings.model_copy(
            update={"embedding": settings.embedding.model_copy(update={"provider": "fake"})}
        )
    services = build_services(settings)
    server = services.db.dialect == "postgresql"
    mode = "server mode: PostgreSQL + Chroma server" if server else "embedded mode"
    lexical = "PostgreSQL BM25 postings" if server else "FTS5"
    t0 = time.perf_counter()
    done = {"n": 0}

    def progress(event: str, data: dict[str, Any]) -> None:
        if event != "file":
            return
        done["n"] += 1
        if done["n"] % 500 == 0:
            print(f"  {done['n']} / {files} files, {time.perf_counter() - t0:.0f} s", flush=True)

    report = services.ingest("scale", [docs], progress=progress)
    ingest_s = time.perf_counter() - t0
    chunks = sum(f.chunks for f in report.files)
    questions = [
        json.loads(line)["question"]
        for name in SETS
        for line in (QA / name / "questions.jsonl").read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    searcher = services.searcher("scale")
    searcher.search(questions[0], 5)
    search_ms = []
    for q in questions:
        t1 = time.perf_counter()
        searcher.search(q, 5)
        search_ms.append((time.perf_counter() - t1) * 1000)
    ask_ms = []
    for q in questions[:60]:
        t1 = time.perf_counter()
        services.helpdesk.ask("scale", q)
        ask_ms.append((time.perf_counter() - t1) * 1000)
    if args.real_model:
        embedding = f"embedded with the configured model ({services.embeddings.model_id})."
        rebuild = "Rebuild: `.venv/bin/python -m evals.scale --real-model`."
        ingest_what = "ingest with the model"
    else:
        embedding = (
            "hashing stand-in embedding (256 dimensions) so that the index, not the model, is measured."
        )
        rebuild = "Rebuild: `.venv/bin/python -m evals.scale`."
        ingest_what = "ingest without the model"
    lines = [
        f"# One knowledge base at scale ({mode})",
        "",
        f"{chunks:,} chunks in {files:,} files, generated from the four manuals of ../shared/datasets/qa",
        f"(see evals/scale.py for how); {embedding} {rebuild}",
        "",
        f"Knowledge bases: {services.health()['database'].get('knowledge_bases', 'PostgreSQL schemas')}.",
        "",
        "| what | figure |",
        "|---|---|",
        f"| {ingest_what} (chunking, {lexical}, Chroma) | {ingest_s:.0f} s, {chunks / ingest_s:.0f} chunks/s |",
        *(
            []
            if args.real_model
            else [
                f"| ingest with the default model (extrapolated at 58 chunks/s) | {chunks / 58 / 60:.0f} min |"
            ]
        ),
        f"| search, {len(search_ms)} FAQ questions, top 5 | p50 {percentiles(search_ms)['p50_ms']} ms, p95 {percentiles(search_ms)['p95_ms']} ms |",
        f"| ask (extractive answer), {len(ask_ms)} questions | p50 {percentiles(ask_ms)['p50_ms']} ms, p95 {percentiles(ask_ms)['p95_ms']} ms |",
        "",
    ]
    REPORTS.mkdir(parents=True, exist_ok=True)
    name = "scale-server" if server else "scale"
    (REPORTS / f"{name}{'-model' if args.real_model else ''}.md").write_text(
        "\n".join(lines), encoding="utf-8"
    )
    print("\n".join(lines))


if __name__ == "__main__":
    main()
