"""Which retrieval choices matter, measured: chunk size, fusion, dense weight, FAQ boost, diversity.

    .venv/bin/python -m evals.ablation ../shared/datasets/qa/dolphinscheduler-en ../shared/datasets/qa/dolphinscheduler-zh

Writes ``evals/reports/retrieval-ablation.md``. Each chunk size is ingested once (fresh data
directory); retrieval variants reuse the default-size index with changed settings.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from assistant.services import build_services
from assistant.settings import Settings
from evals.retrieval import load_questions, score_questions

REPORT = Path(__file__).parent / "reports" / "retrieval-ablation.md"

VARIANTS: list[tuple[str, dict[str, object]]] = [
    ("default (score fusion, dense 1.0 / 0.3 other-language, FAQ x1.8, 1 per chapter)", {}),
    ("no FAQ boost", {"type_boost": {}}),
    ("no diversity (any number per chapter)", {"max_per_source": 0}),
    ("no FAQ boost, no diversity", {"type_boost": {}, "max_per_source": 0}),
    ("RRF fusion (k=10) instead of score fusion", {"fusion": "rrf"}),
    (
        "RRF fusion (k=60), no boost, no diversity",
        {"fusion": "rrf", "rrf_k": 60, "type_boost": {}, "max_per_source": 0},
    ),
    ("lexical only", {"dense_weight": 0.0, "dense_weight_other": 0.0}),
    ("dense only", {"lexical_weight": 0.0, "dense_weight_other": 1.0}),
    ("dense weight for other languages 1.0", {"dense_weight_other": 1.0}),
]


def main(benches: list[Path]) -> None:
    cache = Path(tempfile.mkdtemp(prefix="ablation-models-"))
    lines = [
        "# Retrieval ablation",
        "",
        f"Measured {time.strftime('%Y-%m-%d')} on a 2-core machine; recall@5 / MRR@10.",
        "",
    ]
    header = "| variant | " + " | ".join(b.name for b in benches) + " |"
    lines += [
        "## Chunk size (default retrieval settings; ingest seconds in brackets)",
        "",
        header,
        "|---|" + "---|" * len(benches),
    ]
    for size in (600, 1000, 1500):
        row = [f"chunk_size {size}"]
        for bench in benches:
            home = Path(tempfile.mkdtemp(prefix="ablation-"))
            settings = Settings(home=home, model_cache=cache)
            settings.chunking.chunk_size = size
            svc = build_services(settings)
            svc.embeddings.embed_query("warm")
            t = time.perf_counter()
            svc.ingest("b", [bench / "docs"])
            secs = time.perf_counter() - t
            s = score_questions(svc.searcher("b"), load_questions(bench / "questions.jsonl"), 5)
            row.append(f"{s['recall@5']:.3f} / {s['mrr@10']:.3f} ({secs:.0f} s)")
            print(size, bench.name, row[-1], flush=True)
            if size == 1000:
                for name, overrides in VARIANTS:
                    rs = svc.settings.retrieval.model_copy(update=overrides)
                    searcher = svc.searcher("b", retrieval=rs)
                    v = score_questions(searcher, load_questions(bench / "questions.jsonl"), 5)
                    RESULTS.setdefault(name, []).append(f"{v['recall@5']:.3f} / {v['mrr@10']:.3f}")
                    print(name, bench.name, RESULTS[name][-1], flush=True)
            svc.close()
        lines.append("| " + " | ".join(row) + " |")
    lines += ["", "## Retrieval settings (chunk size 1000)", "", header, "|---|" + "---|" * len(benches)]
    for name, _ in VARIANTS:
        lines.append(f"| {name} | " + " | ".join(RESULTS.get(name, [])) + " |")
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(REPORT.read_text())


RESULTS: dict[str, list[str]] = {}

if __name__ == "__main__":
    main([Path(p) for p in sys.argv[1:]])
