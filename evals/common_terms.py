"""The common-term rule of the embedded lexical index (FTS5, off by default): what it costs in
ranking, what it saves in time.

With ``retrieval.common_term_share`` set (0.05 here), in a knowledge base of at least ``retrieval.common_terms_from`` chunks, query terms held by at least
``retrieval.common_term_share`` of the chunks score only chunks that also hold a rarer query term
(assistant.providers.lexical.Fts5Index.search). The baseline is the exact ranking: every chunk that
holds any query term scored (``common_term_share = 0``).

1. At scale: the 100,000-chunk knowledge base of evals/scale.py (built here unless ``--home`` holds
   one), the 167 FAQ questions of the four benchmarks. How often the top 5 and the 100 candidates are
   the exact ranking's, and the latency of the lexical query alone and of the hybrid search.
2. On the four retrieval benchmarks (1,000–3,500 chunks, where the rule does not apply by default),
   with the rule forced on (``common_terms_from = 0``) against the exact ranking: recall@5 and
   MRR@10, hybrid and lexical only, with the default model. This says what the rule does to answers
   where it can be measured against gold sources.

    .venv/bin/python -m evals.common_terms [--home DIR] [--skip-benchmarks]

Writes ``evals/reports/common-terms.md``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from assistant.services import build_services
from assistant.settings import Settings
from evals.retrieval import load_questions, score_questions
from evals.scale import QA, SETS, write_corpus

REPORT = Path(__file__).parent / "reports" / "common-terms.md"
EXACT = {"common_term_share": 0.0}
RULE = {"common_term_share": 0.05}
LEXICAL_ONLY = {"dense_weight": 0.0, "dense_weight_other": 0.0}


def _pct(samples: list[float]) -> tuple[float, float]:
    s = sorted(samples)
    return round(statistics.median(s), 1), round(s[min(len(s) - 1, int(0.95 * len(s)))], 1)


def at_scale(home: Path | None) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix="common-terms-"))
    settings = Settings(home=home or work / "home")
    settings = settings.model_copy(
        update={"embedding": settings.embedding.model_copy(update={"provider": "fake"})}
    )
    svc = build_services(settings)
    if "scale" not in [kb.name for kb in svc.list_kbs()]:
        docs = work / "docs"
        docs.mkdir()
        write_corpus(docs, 100_000)
        print("ingesting the 100,000-chunk knowledge base (about 5 minutes) ...", flush=True)
        svc.ingest("scale", [docs])
    chunks = svc.kb_stats("scale")["chunks"]
    questions = [
        json.loads(line)["question"]
        for name in SETS
        for line in (QA / name / "questions.jsonl").read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    base = svc.settings.retrieval
    searchers = {
        ("exact", "lexical"): svc.searcher(
            "scale", retrieval=base.model_copy(update={**EXACT, **LEXICAL_ONLY})
        ),
        ("rule", "lexical"): svc.searcher(
            "scale", retrieval=base.model_copy(update={**RULE, **LEXICAL_ONLY})
        ),
        ("exact", "hybrid"): svc.searcher("scale", retrieval=base.model_copy(update=EXACT)),
        ("rule", "hybrid"): svc.searcher("scale", retrieval=base.model_copy(update=RULE)),
    }
    for s in searchers.values():
        s.search(questions[0], 5)
        s.search("项目的名称是？", 5)
    out: dict[str, Any] = {"chunks": chunks, "questions": len(questions)}
    for side in ("lexical", "hybrid"):
        times: dict[str, list[float]] = {"exact": [], "rule": []}
        same5 = same100 = 0
        overlap100 = []
        for q in questions:
            ranked = {}
            for mode in ("exact", "rule"):
                t = time.perf_counter()
                hits = searchers[(mode, side)].search(q, 100 if side == "lexical" else 5)
                times[mode].append((time.perf_counter() - t) * 1000)
                ranked[mode] = [h.chunk.chunk_id for h in hits]
            same5 += ranked["exact"][:5] == ranked["rule"][:5]
            same100 += ranked["exact"] == ranked["rule"]
            if ranked["exact"]:
                overlap100.append(len(set(ranked["exact"]) & set(ranked["rule"])) / len(ranked["exact"]))
        out[side] = {
            "same_top5": round(same5 / len(questions), 3),
            "same_list": round(same100 / len(questions), 3),
            "overlap": round(statistics.mean(overlap100), 3),
            "exact_ms": _pct(times["exact"]),
            "rule_ms": _pct(times["rule"]),
        }
    svc.close()
    return out


def on_benchmarks(cache: Path) -> list[dict[str, Any]]:
    rows = []
    for name in SETS:
        bench = QA / name
        settings = Settings(home=Path(tempfile.mkdtemp(prefix="common-terms-bench-")), model_cache=cache)
        svc = build_services(settings)
        svc.embeddings.embed_query("warm")
        svc.ingest("bench", [bench / "docs"])
        questions = load_questions(bench / "questions.jsonl")
        base = svc.settings.retrieval
        forced = {**RULE, "common_terms_from": 0}
        row: dict[str, Any] = {"bench": name, "chunks": svc.kb_stats("bench")["chunks"]}
        for label, update in (
            ("hybrid exact", EXACT),
            ("hybrid rule", forced),
            ("lexical exact", {**EXACT, **LEXICAL_ONLY}),
            ("lexical rule", {**forced, **LEXICAL_ONLY}),
        ):
            r = score_questions(svc.searcher("bench", retrieval=base.model_copy(update=update)), questions, 5)
            row[label] = (r["recall@5"], r["mrr@10"])
        svc.close()
        rows.append(row)
        print(row, flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--home", type=Path, help="a data directory that holds the 'scale' knowledge base")
    parser.add_argument("--skip-benchmarks", action="store_true")
    parser.add_argument("--model-cache", type=Path)
    args = parser.parse_args()
    scale = at_scale(args.home)
    print(scale, flush=True)
    lines = [
        "# The common-term rule of the embedded lexical index (off by default)",
        "",
        "With `retrieval.common_term_share = 0.05`, query terms held by at least 5% of the chunks score",
        "only chunks that also hold a rarer query term, in knowledge bases of 20,000 chunks or more",
        "(Elasticsearch's cutoff-frequency rule; see `Fts5Index.search`). Baseline: the exact ranking,",
        "every chunk that holds any query term scored (the default).",
        "Rebuild: `.venv/bin/python -m evals.common_terms`.",
        "",
        f"## At {scale['chunks']:,} chunks ({scale['questions']} FAQ questions of the four benchmarks)",
        "",
        "The knowledge base of `evals/scale.py` (hashing stand-in embedding).",
        "",
        "| | top 5 as exact | whole list as exact | overlap with exact | p50 / p95 exact | p50 / p95 with the rule |",
        "|---|---|---|---|---|---|",
    ]
    for side, what in (("lexical", "lexical query, 100 candidates"), ("hybrid", "hybrid search, top 5")):
        r = scale[side]
        lines.append(
            f"| {what} | {r['same_top5']:.1%} | {r['same_list']:.1%} | {r['overlap']:.1%} | "
            f"{r['exact_ms'][0]} / {r['exact_ms'][1]} ms | {r['rule_ms'][0]} / {r['rule_ms'][1]} ms |"
        )
    if not args.skip_benchmarks:
        rows = on_benchmarks(args.model_cache or Path(tempfile.mkdtemp(prefix="common-terms-models-")))
        lines += [
            "",
            "## On the retrieval benchmarks, the rule forced on (`common_terms_from = 0`)",
            "",
            "Default model. recall@5 / MRR@10; exact is the baseline.",
            "",
            "| set | chunks | hybrid exact | hybrid with the rule | lexical only, exact | lexical only, with the rule |",
            "|---|---|---|---|---|---|",
        ]
        for r in rows:
            cells = " | ".join(
                f"{r[k][0]:.3f} / {r[k][1]:.3f}"
                for k in ("hybrid exact", "hybrid rule", "lexical exact", "lexical rule")
            )
            lines.append(f"| {r['bench']} | {r['chunks']:,} | {cells} |")
        mean = {
            k: (
                statistics.mean(r[k][0] for r in rows),
                statistics.mean(r[k][1] for r in rows),
            )
            for k in ("hybrid exact", "hybrid rule", "lexical exact", "lexical rule")
        }
        lines.append("| mean | | " + " | ".join(f"{v[0]:.3f} / {v[1]:.3f}" for v in mean.values()) + " |")
    lines.append("")
    REPORT.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
