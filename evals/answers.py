"""Answer benchmark on the ``qa`` layout, for the configured answer mode (default ``none``).

1. Index all of ``docs/``; ask every question once (no conversation). Citation recall: share of
   questions whose answer cites a gold source; citation precision: share of citations that are
   gold; "found" rate; answer latency p50/p95 (warm).
2. Withheld variant: index ``docs/`` without any question's gold files and ask again: the share
   answered "not found" is what we want high (a "found" there is a false claim of coverage).
3. Leave-one-out variant: on the full index, take out only the question's own gold files, ask, put
   them back. Stricter where the gold files are FAQ entries: the other entries stay in the index
   and can stand in for the missing one (the withheld variant has none left).
Retrieval recall@5 on the full index is reported beside it for comparison.
"""

from __future__ import annotations

import itertools
import shutil
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from assistant.errors import InvalidInput
from assistant.services import AnswerPolicy, Services, compose
from evals.retrieval import load_questions, percentile, score_questions


def _ask_all(services: Services, kb: str, questions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    engine = services.engine(kb)
    engine.answer("warm up")
    out = []
    for q in questions:
        t = time.perf_counter()
        a, hits, conf = engine.answer_with_evidence(q["question"])
        ms = (time.perf_counter() - t) * 1000
        cited = [c.source for c in a.citations if c.kind == "quote"]
        listed = [c.source for c in a.citations]
        out.append(
            {
                "id": q.get("id"),
                "question": q["question"],
                "top": f"{hits[0].chunk.source} | {hits[0].chunk.section}" if hits else "",
                "found": a.found,
                "cited": cited,
                "listed": listed,
                "gold": q["gold"],
                "ms": ms,
                "confidence": conf.fused,
                "coverage": conf.coverage,
                "gold_in_top5": any(h.chunk.source in q["gold"] for h in hits),
                "similarity": conf.top_similarity,
                "_evidence": (hits, conf),  # for the threshold sweep (not in JSON output)
            }
        )
    return out


def run_answer_eval(
    services: Services, bench: Path, log: Callable[[str], None] = lambda m: None
) -> dict[str, Any]:
    docs = bench / "docs"
    qfile = bench / "questions.jsonl"
    if not docs.is_dir() or not qfile.is_file():
        raise InvalidInput(f"{bench} needs docs/ and questions.jsonl")
    questions = load_questions(qfile)
    tag = uuid.uuid4().hex[:8]
    full, withheld = f"eval-answers-{tag}", f"eval-withheld-{tag}"
    tmp = Path(tempfile.mkdtemp(prefix="withheld-"))
    try:
        log(f"indexing {docs} ...")
        services.ingest(full, [docs])
        retrieval = score_questions(services.searcher(full), questions, 5)
        answers = _ask_all(services, full, questions)
        log("leave-one-out: each question without its own gold files ...")
        loo = _leave_one_out(services, full, docs, questions)
        gold = {g for q in questions for g in q["gold"]}
        shutil.copytree(docs, tmp / "docs", ignore=None)
        for g in gold:
            (tmp / "docs" / g).unlink(missing_ok=True)
        log(f"indexing the withheld variant ({len(gold)} gold files removed) ...")
        services.ingest(withheld, [tmp / "docs"])
        held = _ask_all(services, withheld, questions)
    finally:
        for kb in (full, withheld):
            if services.kbs.exists(kb):
                services.delete_kb(kb)
        shutil.rmtree(tmp, ignore_errors=True)
    n = len(questions) or 1
    cited_any = sum(1 for a in answers if set(a["cited"]) & set(a["gold"]))
    listed_any = sum(1 for a in answers if set(a["listed"]) & set(a["gold"]))
    n_cites = sum(len(a["cited"]) for a in answers)
    gold_cites = sum(sum(1 for c in a["cited"] if c in a["gold"]) for a in answers)
    composition = _composition(answers, services.engine_policy(), n)
    baseline = next(c for c in composition if "baseline" in c["rule"])
    latencies = [a["ms"] for a in answers]
    return {
        "bench": bench.name,
        "questions": len(questions),
        "mode": services.settings.llm.mode,
        "retrieval_recall@5": retrieval["recall@5"],
        "citation_recall": round(cited_any / n, 3),
        "citation_precision": round(gold_cites / n_cites, 3) if n_cites else 0.0,
        "citation_recall_with_related": round(listed_any / n, 3),
        "baseline_citation_recall": baseline["citation_recall"],
        "baseline_citation_precision": baseline["citation_precision"],
        "found_rate": round(sum(a["found"] for a in answers) / n, 3),
        "withheld_false_found": round(sum(a["found"] for a in held) / n, 3),
        "withheld_not_found": round(sum(not a["found"] for a in held) / n, 3),
        "leave_one_out_false_found": round(sum(a["found"] for a in loo) / n, 3),
        "answer_p50_ms": round(statistics.median(latencies), 1),
        "answer_p95_ms": round(percentile(latencies, 95), 1),
        "decision": (
            f"answerability model, p ≥ {services.engine_policy().answerable_threshold()}"
            if services.engine_policy().answerability is not None
            else "threshold rule"
        ),
        "min_confidence": services.settings.answer.min_confidence,
        "min_coverage": services.settings.answer.min_coverage,
        "min_confidence_faq": services.settings.answer.min_confidence_faq,
        "min_similarity": services.min_similarity,
        "embedding_model": services.embeddings.model_id,
        "calibration": _sweep(answers, held, loo, services.engine_policy()),
        "reachable": _reachable(answers, held, loo, services.engine_policy()),
        "composition": composition,
        "details": {"full": answers, "withheld": held, "leave_one_out": loo},
    }


def _composition(answers: list[dict[str, Any]], policy: AnswerPolicy, n: int) -> list[dict[str, Any]]:
    """Citation recall and precision of other ways to pick the quoted passages, on the very
    retrieval of each found answer: the trade-off curve, not one point."""

    def rule_top(k: int) -> Callable[[Any, Any, str], list[int]]:
        return lambda hits, conf, q: list(range(min(k, len(hits))))

    rules: dict[str, Callable[[Any, Any, str], list[int]]] = {
        "best-ranked passage only": rule_top(1),
        "chosen: best-ranked + one that adds (this build)": lambda h, c, q: compose(h, policy, c.per_hit, q)[
            0
        ],
        "top 2": rule_top(2),
        "old rule: within half the best score, up to 3 (baseline)": lambda h, c, q: compose(h, policy)[0],
        "top 5": rule_top(5),
    }
    rows = []
    for name, rule in rules.items():
        got = quoted = gold = 0
        for a in answers:
            if not a["found"]:
                continue
            hits, conf = a["_evidence"]
            sources = [hits[i].chunk.source for i in rule(hits, conf, a["question"])]
            got += bool(set(sources) & set(a["gold"]))
            quoted += len(sources)
            gold += sum(1 for s in sources if s in a["gold"])
        rows.append(
            {
                "rule": name,
                "citation_recall": round(got / n, 3),
                "citation_precision": round(gold / quoted, 3) if quoted else 0.0,
                "quotes_per_answer": round(quoted / max(1, sum(a["found"] for a in answers)), 2),
            }
        )
    return rows


def _leave_one_out(
    services: Services, kb: str, docs: Path, questions: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Ask each question with only its own gold files taken out of the index (put back after)."""
    engine = services.engine(kb)
    out = []
    for q in questions:
        present = [g for g in q["gold"] if services.kbs.get(kb).document(g) is not None]
        for g in present:
            services.remove_document(kb, g)
        try:
            answer, hits, conf = engine.answer_with_evidence(q["question"])
            found = answer.found
        finally:
            if present:
                services.ingest(kb, [docs / g for g in present], source_of={docs / g: g for g in present})
        out.append(
            {
                "id": q.get("id"),
                "question": q["question"],
                "top": f"{hits[0].chunk.source} | {hits[0].chunk.section}" if hits else "",
                "found": found,
                "similarity": conf.top_similarity,
                "_evidence": (hits, conf),
            }
        )
    return out


def _sweep(
    full: list[dict[str, Any]], held: list[dict[str, Any]], loo: list[dict[str, Any]], policy: AnswerPolicy
) -> list[dict[str, Any]]:
    """What other settings would give: found rate, gold-in-top-5-and-found, false found, each decided
    by ``AnswerPolicy.is_found`` on the very retrieval the answer was decided on. With the
    answerability model: its probability threshold (the configured one included). With the
    threshold rule: first the similarity floor for passages other than FAQ entries, then the
    threshold for FAQ-topped results, then one confidence threshold for all."""
    if policy.answerability is not None:
        configured = policy.answerable_threshold()
        values = sorted({0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.8, configured})
        return [
            _rates(replace(policy, min_answerable=p), full, held, loo, {"min_answerable": p}) for p in values
        ]
    faq, conf, floor = policy.min_confidence_faq, policy.min_confidence, policy.min_similarity
    grid = (
        [(faq, conf, m) for m in (0.0, 0.4, 0.45, 0.5, 0.55, 0.6, 0.7, 0.8, 0.84, 0.86, 0.88, 0.9)]
        + [(f, conf, floor) for f in (0.3, 0.35, 0.4, 0.45, 0.5)]
        + [(th, th, floor) for th in (0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7)]
    )
    return [
        _rates(
            replace(policy, min_confidence_faq=faq_th, min_confidence=th, min_similarity=sim),
            full,
            held,
            loo,
            {"min_similarity": sim, "min_confidence_faq": faq_th, "min_confidence": th},
        )
        for faq_th, th, sim in grid
    ]


def _rates(
    variant: AnswerPolicy,
    full: list[dict[str, Any]],
    held: list[dict[str, Any]],
    loo: list[dict[str, Any]],
    setting: dict[str, float],
) -> dict[str, Any]:
    return {
        **setting,
        "found": _share(variant, full),
        "found_and_gold_in_top5": _share(variant, full, gold=True),
        "withheld_false_found": _share(variant, held),
        "leave_one_out_false_found": _share(variant, loo),
    }


def _share(variant: AnswerPolicy, rows: list[dict[str, Any]], gold: bool = False) -> float:
    """The share of answer records that ``variant`` answers as found, on the retrieval each answer was
    decided on (with ``gold``: found and with a gold passage in the top 5)."""
    found = [
        a
        for a in rows
        if variant.is_found(a["_evidence"][1], a["_evidence"][0]) and (not gold or a["gold_in_top5"])
    ]
    return round(len(found) / (len(rows) or 1), 3)


THRESHOLDS = ("min_confidence_faq", "min_confidence", "min_similarity", "min_coverage")
WITHHELD_TARGET = 0.2  # the limit on false "found" in the withheld variant


def _reachable(
    full: list[dict[str, Any]],
    held: list[dict[str, Any]],
    loo: list[dict[str, Any]],
    policy: AnswerPolicy,
    limit: float = WITHHELD_TARGET,
) -> dict[str, Any]:
    """The best the "found" decision can do on these runs (``none`` mode, where the answer is found
    exactly when ``AnswerPolicy.is_found`` says so).

    Searches a grid of all four thresholds (FAQ confidence, other confidence, similarity floor,
    coverage; the configured values and their neighbours included) for the highest share of questions
    answered as found with a gold passage in the top 5, an upper bound on citation recall, among the
    settings whose withheld false "found" stays under ``limit`` (ties: the lowest leave-one-out rate).

    Args:
        full, held, loo: answer records with ``_evidence`` (hits, confidence) from the three variants.
        policy: the configured policy; the grid varies its four thresholds.
        limit: the withheld false-"found" rate a setting must stay under.

    Returns:
        ``settings_tried``, ``withheld_limit``, ``best`` (the rates and the setting, or None when no
        setting stays under the limit) and ``left_over``: the questions with a gold passage in the
        top 5 that the best setting leaves unanswered, with the gold passage's rank and the reason.
    """

    def axis(values: tuple[float, ...], configured: float) -> list[float]:
        """The fixed values, the configured one and its neighbours (cosines differ by model)."""
        near = (configured + d for d in (-0.1, -0.05, -0.02, 0.02, 0.05))
        return sorted({*values, configured, *(round(v, 3) for v in near if 0 <= v <= 1)})

    grid = itertools.product(
        axis((0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5), policy.min_confidence_faq),
        axis((0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6), policy.min_confidence),
        axis((0.0, 0.4, 0.45, 0.5, 0.55, 0.6, 0.7), policy.min_similarity),
        axis((0.0, 0.1, 0.15, 0.2, 0.25, 0.3), policy.min_coverage),
    )
    tried = 0
    candidates: list[dict[str, Any]] = []
    for values in grid:
        tried += 1
        setting: dict[str, Any] = dict(zip(THRESHOLDS, values, strict=True))
        variant = replace(policy, answerability=None, **setting)
        false_found = _share(variant, held)
        if false_found < limit:
            candidates.append(
                {
                    "found_and_gold_in_top5": _share(variant, full, gold=True),
                    "withheld_false_found": false_found,
                    "leave_one_out_false_found": _share(variant, loo),
                    **setting,
                }
            )
    best = max(
        candidates,
        key=lambda r: (
            r["found_and_gold_in_top5"],
            -r["leave_one_out_false_found"],
            -r["withheld_false_found"],
        ),
        default=None,
    )
    left: list[dict[str, Any]] = []
    if best:
        chosen: dict[str, Any] = {k: best[k] for k in THRESHOLDS}
        variant = replace(policy, answerability=None, **chosen)
        for a in full:
            hits, conf = a["_evidence"]
            if a["gold_in_top5"] and not variant.is_found(conf, hits):
                rank = next(i for i, h in enumerate(hits, 1) if h.chunk.source in a["gold"])
                left.append({"id": a["id"], "gold_rank": rank, "reason": variant.why_not_found(conf, hits)})
    return {"settings_tried": tried, "withheld_limit": limit, "best": best, "left_over": left}


def format_report(r: dict[str, Any]) -> str:
    return "\n".join(
        [
            f"# Answers: {r['bench']} (mode {r['mode']})",
            "",
            "| metric | value |",
            "|---|---|",
            f"| questions | {r['questions']} |",
            f"| retrieval recall@5 (same index) | {r['retrieval_recall@5']} |",
            f"| citation recall (a quoted passage is from a gold source) | {r['citation_recall']} |",
            f"| citation precision (quoted passages from a gold source; related links not counted) | {r['citation_precision']} |",
            f"| baseline (old rule: every passage within half the best score, up to 3): recall / precision | "
            f"{r['baseline_citation_recall']} / {r['baseline_citation_precision']} |",
            f"| citation recall counting the related links too | {r['citation_recall_with_related']} |",
            f"| answered as found | {r['found_rate']} |",
            f'| withheld gold: false "found" | {r["withheld_false_found"]} |',
            f'| withheld gold: correctly "not found" | {r["withheld_not_found"]} |',
            f'| leave-one-out (only its own gold withheld): false "found" | {r.get("leave_one_out_false_found", "-")} |',
            f"| answer latency p50 / p95 (warm) | {r['answer_p50_ms']} ms / {r['answer_p95_ms']} ms |",
            f"| decision | {r.get('decision', 'thresholds')} |",
            f"| thresholds of the rule | confidence {r['min_confidence']} ({r.get('min_confidence_faq', '-')} when an FAQ "
            f"entry ranks first), coverage {r['min_coverage']}, similarity {r.get('min_similarity', '-')} "
            "for passages other than FAQ entries |",
            f"| embedding | {r.get('embedding_model', '-')} |",
            "",
            *_calibration_lines(r),
            "## Which passages to quote: the trade-off",
            "",
            "| rule | citation recall | citation precision | quotes per answer |",
            "|---|---|---|---|",
            *[
                f"| {c['rule']} | {c['citation_recall']} | {c['citation_precision']} | {c['quotes_per_answer']} |"
                for c in r.get("composition", [])
            ],
            "",
            *_reachable_lines(r),
            "## Withheld variant: questions still answered",
            "",
            "Counted as false 'found' above. The remaining documents do cover some of these topics, so",
            "read them before tightening thresholds further (the best passage and its cosine similarity):",
            "",
            *_answered_table(r.get("details", {}).get("withheld", [])),
            "",
            "## Leave-one-out: questions answered without their own gold files",
            "",
            "The other FAQ entries stay in the index here. Some of these are answered correctly by a",
            "neighbouring entry (the FAQ repeats itself), many are not: no signal we have tells the missing",
            "entry's neighbour from the entry itself (see the closing notes of the help-desk issue).",
            "",
            *_answered_table(r.get("details", {}).get("leave_one_out", [])),
            "",
        ]
    )


def _calibration_lines(r: dict[str, Any]) -> list[str]:
    rows = r.get("calibration", [])
    if rows and "min_answerable" in rows[0]:
        return [
            "## Calibration: other probability thresholds of the answerability model on the same runs",
            "",
            "| p ≥ | answered as found | found and gold in top 5 | withheld: false found | leave-one-out: false found |",
            "|---|---|---|---|---|",
            *[
                f"| {c['min_answerable']} | {c['found']} | {c['found_and_gold_in_top5']} | "
                f"{c['withheld_false_found']} | {c['leave_one_out_false_found']} |"
                for c in rows
            ],
            "",
            "The model decides from ranker agreement, coverage and the type of the best passage",
            "(assistant/retrieval/answerability.py); its threshold was chosen by leave-one-set-out",
            "cross-validation (evals/reports/answerability.md), not on this set alone.",
            "",
        ]
    return [
        "## Calibration: other thresholds on the same runs",
        "",
        "| min_similarity (not FAQ) | min_confidence (FAQ first) | min_confidence (other) | answered as found "
        "| found and gold in top 5 | withheld: false found | leave-one-out: false found |",
        "|---|---|---|---|---|---|---|",
        *[
            f"| {c.get('min_similarity', '-')} | {c['min_confidence_faq']} | {c['min_confidence']} | "
            f"{c['found']} | {c['found_and_gold_in_top5']} | {c['withheld_false_found']} | "
            f"{c.get('leave_one_out_false_found', '-')} |"
            for c in rows
        ],
        "",
        "0.556 is the score of a passage that both rankers put first without a type boost: thresholds",
        "above it answer only from boosted (FAQ) entries, which would leave a knowledge base of manuals",
        "unanswered -- the reason the answerability model replaced this rule.",
        "",
    ]


def _reachable_lines(r: dict[str, Any]) -> list[str]:
    reach = r.get("reachable") or {}
    best = reach.get("best")
    if not reach:
        return []
    head = ["## What the threshold rule can reach", ""]
    if best is None:
        return [
            *head,
            f"None of {reach['settings_tried']} threshold settings keeps withheld false 'found' under "
            f"{reach['withheld_limit']}.",
            "",
        ]
    left = reach.get("left_over", [])
    below = [x for x in left if x["gold_rank"] > 1]
    listed = ", ".join(f"{x['id']} (gold at {x['gold_rank']}, {x['reason']})" for x in left)
    many, stay = ("questions", "stay") if len(left) != 1 else ("question", "stays")
    if not left:
        verdict = "The best setting answers every question whose gold passage is in the top 5."
    else:
        verdict = (
            f"{len(left)} {many} with a gold passage in the top 5 {stay} unanswered under the best "
            f"setting: {listed}. In {len(below)} of them a passage that is not gold ranks above the gold "
            "one; ranking the gold passage first (a reranker) is what could move those."
        )
    return [
        *head,
        f"Searched {reach['settings_tried']} settings of the four thresholds (FAQ confidence, confidence, "
        f"similarity, coverage) on the runs above for the most questions answered with a gold passage "
        f"in the top 5, keeping withheld false 'found' under {reach['withheld_limit']}:",
        "",
        "| found and gold in top 5 (upper bound on citation recall) | withheld: false found "
        "| leave-one-out: false found | setting |",
        "|---|---|---|---|",
        f"| {best['found_and_gold_in_top5']} | {best['withheld_false_found']} | "
        f"{best['leave_one_out_false_found']} | FAQ confidence {best['min_confidence_faq']}, confidence "
        f"{best['min_confidence']}, similarity {best['min_similarity']}, coverage {best['min_coverage']} |",
        "",
        f"Retrieval recall@5 is {r['retrieval_recall@5']}: none of the settings searched lifts citation "
        f"recall above {best['found_and_gold_in_top5']} here. {verdict} The best setting is fitted to "
        "these questions, so it is a bound, not a recommendation.",
        "",
    ]


def _answered_table(rows: list[dict[str, Any]]) -> list[str]:
    """Markdown rows of the questions answered as found: id, question, best passage, its cosine."""
    return [
        "| id | question | best passage | similarity |",
        "|---|---|---|---|",
        *[
            f"| {a['id']} | {_cell(a.get('question', ''))} | {_cell(a.get('top', ''))} | "
            f"{'-' if a.get('similarity') is None else round(a['similarity'], 3)} |"
            for a in rows
            if a["found"]
        ],
    ]


def _cell(text: str, limit: int = 110) -> str:
    text = " ".join(text.split()).replace("|", "/")
    return text if len(text) <= limit else text[: limit - 1] + "…"
