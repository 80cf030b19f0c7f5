"""Answerability that transfers: fit the "answered / not covered" decision with leave-one-set-out
cross-validation over the development sets, and compare it with the threshold rule beside it.

1. Collect. For every benchmark (``qa`` layout): index ``docs/`` and a copy without any question's
   gold files (the withheld variant), and retrieve every question in both. Each retrieval is
   recorded twice: as shipped (FAQ entries typed ``faq``, boosted and trusted as curated) and as
   a knowledge base of manual sections would rank it (no type boost, nothing curated) -- the
   situation of a product whose manual has no FAQ page, where the old thresholds answered
   "not found" to a third of the questions they could answer.
2. Label. Full index with a gold passage ranked first: answerable (1). Withheld: not covered
   (0). Full index with another passage first: left out of fitting (the features describe that
   other passage), counted in every rate.
3. Leave one set out. For each benchmark: fit on the others, choose the probability threshold on
   the others (the lowest whose withheld false "found" stays under the target on every training
   condition), and measure on the held-out one. Beside it: the shipped threshold rule, and a
   one-feature baseline (ranker agreement alone, its threshold chosen the same way).
4. Fit on all sets with the same procedure and write the model shipped in
   ``assistant/data/answerability.json``.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import uuid
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from assistant.errors import InvalidInput
from assistant.services import (
    FEATURES,
    AnswerabilityModel,
    AnswerPolicy,
    Searcher,
    Services,
    compose,
    features,
)
from assistant.settings import CALIBRATED_MODEL_MIN_SIMILARITY
from evals.retrieval import load_questions

LAYOUTS = ("as shipped", "no FAQ typing")
WITHHELD_TARGET = 0.20  # the limit on false "found" with the gold withheld
CHOICE_TARGET = 0.15  # what the threshold is chosen for on the training sets (a margin under it)
MIN_COVERAGE = AnswerPolicy().min_coverage
GRID = tuple(round(0.01 * i, 2) for i in range(1, 100))


def collect(
    services: Services, bench: Path, log: Callable[[str], None] = lambda m: None
) -> list[dict[str, Any]]:
    """One record per question, index variant and layout: features, baseline decision, citations."""
    docs, qfile = bench / "docs", bench / "questions.jsonl"
    if not docs.is_dir() or not qfile.is_file():
        raise InvalidInput(f"{bench} needs docs/ and questions.jsonl")
    questions = load_questions(qfile)
    tag = uuid.uuid4().hex[:8]
    full, withheld = f"eval-able-{tag}", f"eval-able-held-{tag}"
    tmp = Path(tempfile.mkdtemp(prefix="answerability-"))
    records: list[dict[str, Any]] = []
    try:
        log(f"{bench.name}: indexing ...")
        services.ingest(full, [docs])
        gold = {g for q in questions for g in q["gold"]}
        shutil.copytree(docs, tmp / "docs")
        for g in gold:
            (tmp / "docs" / g).unlink(missing_ok=True)
        log(f"{bench.name}: indexing the withheld variant ({len(gold)} gold files removed) ...")
        services.ingest(withheld, [tmp / "docs"])
        for variant, kb in (("full", full), ("withheld", withheld)):
            for layout in LAYOUTS:
                records.extend(_retrieve_all(services, kb, questions, bench.name, variant, layout))
    finally:
        for kb in (full, withheld):
            if services.kbs.exists(kb):
                services.delete_kb(kb)
        shutil.rmtree(tmp, ignore_errors=True)
    return records


def _retrieve_all(
    services: Services, kb: str, questions: list[dict[str, Any]], bench: str, variant: str, layout: str
) -> list[dict[str, Any]]:
    engine = services.engine(kb)
    # the baseline: the threshold rule as shipped before the model
    policy = replace(services.engine_policy(), answerability=None)
    engine.policy = policy
    base = services.searcher(kb)
    if layout == "no FAQ typing":
        engine.searcher = Searcher(
            base.kb,
            base.embeddings,
            base.settings.model_copy(update={"type_boost": {}}),
            sorted(base.model_languages),
        )
        policy = replace(policy, curated_types=())
        engine.policy = policy
    out = []
    for q in questions:
        hits, conf = engine.retrieve(q["question"])
        if layout == "no FAQ typing":  # what the old rule saw: shares of the shipped FAQ-boosted maximum
            conf.fused = base.relative_confidence(q["question"], hits)
        agreement = engine.searcher.agreement(q["question"], hits)
        quoted, _ = compose(hits, policy, conf.per_hit, q["question"])
        out.append(
            {
                "bench": bench,
                "variant": variant,
                "layout": layout,
                "id": q.get("id"),
                "question": q["question"],
                "gold_in_top5": any(h.chunk.source in q["gold"] for h in hits[:5]),
                "quoted": [hits[i].chunk.source for i in quoted],
                "gold": q["gold"],
                "baseline_found": policy.why_not_found(conf, hits) is None,
                "similarity": conf.top_similarity,
                "old_confidence": conf.fused,
                "x": features(hits, conf, agreement, policy.curated_types),
            }
        )
    return out


# ---------------------------------------------------------------------------------------------
# fitting and choosing


def fit(records: Sequence[dict[str, Any]], names: Sequence[str] = FEATURES) -> AnswerabilityModel:
    """Logistic regression on the labelled records (scikit-learn, standardised features)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    rows = [r for r in records if _label(r) is not None]
    if not rows:
        raise InvalidInput("no labelled records to fit on")
    x = [[r["x"][n] if n in names else 0.0 for n in FEATURES] for r in rows]
    y = [_label(r) for r in rows]
    scaler = StandardScaler().fit(x)
    clf = LogisticRegression(C=1.0, class_weight="balanced", max_iter=1000).fit(scaler.transform(x), y)
    scale = [float(s) if n in names else 1.0 for n, s in zip(FEATURES, scaler.scale_, strict=True)]
    weights = [float(w) if n in names else 0.0 for n, w in zip(FEATURES, clf.coef_[0], strict=True)]
    return AnswerabilityModel(
        mean=tuple(float(m) for m in scaler.mean_),
        scale=tuple(scale),
        weights=tuple(weights),
        intercept=float(clf.intercept_[0]),
        threshold=0.5,
    )


def _label(r: dict[str, Any]) -> int | None:
    """1: the best passage is from a gold file; 0: every gold file withheld; None (not fitted on):
    the documents answer but another passage ranks first -- its features describe that passage,
    which looks like a withheld case."""
    if r["variant"] == "withheld":
        return 0
    return 1 if r["quoted"] and r["quoted"][0] in r["gold"] else None


def choose_threshold(model: AnswerabilityModel, records: Sequence[dict[str, Any]], floor: float) -> float:
    """The lowest probability threshold whose withheld false "found" stays under CHOICE_TARGET in
    every (benchmark, layout) condition of *records* (the highest in the grid when none does)."""
    conditions = {(r["bench"], r["layout"]) for r in records}
    for th in GRID:
        worst = max(
            _rate(
                [r for r in records if (r["bench"], r["layout"]) == c and r["variant"] == "withheld"],
                above(model, th, floor),
            )
            for c in conditions
        )
        if worst <= CHOICE_TARGET:
            return th
    return GRID[-1]


def above(model: AnswerabilityModel, threshold: float, floor: float) -> Callable[[dict[str, Any]], bool]:
    """The decision "found" of *model* at *threshold*, for a record, as the engine takes it: the
    coverage guard (``AnswerPolicy.min_coverage``), the probability, and the similarity floor for a
    best passage that is not a curated entry (``CALIBRATED_MODEL_MIN_SIMILARITY``)."""

    def decide(r: dict[str, Any]) -> bool:
        x = r["x"]
        if x["coverage"] < MIN_COVERAGE or model.probability(x) < threshold:
            return False
        curated = x["curated"] == 1.0 and x["lexical_rr"] > 0
        return curated or r["similarity"] is None or r["similarity"] >= floor

    return decide


def _baseline(r: dict[str, Any]) -> bool:
    return bool(r["baseline_found"])


def _rate(rows: Sequence[dict[str, Any]], pred: Callable[[dict[str, Any]], bool]) -> float:
    return sum(1 for r in rows if pred(r)) / len(rows) if rows else 0.0


def measure(rows: Sequence[dict[str, Any]], decide: Callable[[dict[str, Any]], bool]) -> dict[str, float]:
    """Citation recall, citation precision, found rate (full index) and withheld false found."""
    full = [r for r in rows if r["variant"] == "full"]
    held = [r for r in rows if r["variant"] == "withheld"]
    answered = [r for r in full if decide(r)]
    quoted = sum(len(r["quoted"]) for r in answered)
    gold_quoted = sum(sum(1 for s in r["quoted"] if s in r["gold"]) for r in answered)
    return {
        "citation_recall": round(
            _rate(full, lambda r: decide(r) and bool(set(r["quoted"]) & set(r["gold"]))), 3
        ),
        "citation_precision": round(gold_quoted / quoted, 3) if quoted else 0.0,
        "found": round(_rate(full, decide), 3),
        "gold_in_top5": round(_rate(full, lambda r: r["gold_in_top5"]), 3),
        "withheld_false_found": round(_rate(held, decide), 3),
    }


def leave_one_set_out(records: Sequence[dict[str, Any]], floor: float) -> dict[str, Any]:
    benches = sorted({r["bench"] for r in records})
    rows: list[dict[str, Any]] = []
    curves: dict[str, list[dict[str, Any]]] = {}
    for held_out in benches:
        train = [r for r in records if r["bench"] != held_out]
        test = [r for r in records if r["bench"] == held_out]
        model = fit(train)
        th = choose_threshold(model, train, floor)
        one = fit(train, names=("agreement",))
        th_one = choose_threshold(one, train, floor)
        for layout in LAYOUTS:
            part = [r for r in test if r["layout"] == layout]
            rules = {
                "threshold rule (shipped before)": _baseline,
                f"ranker agreement alone (p ≥ {th_one})": above(one, th_one, floor),
                f"answerability model (p ≥ {th})": above(model, th, floor),
            }
            for name, decide in rules.items():
                rows.append({"held_out": held_out, "layout": layout, "rule": name, **measure(part, decide)})
            curves[f"{held_out} / {layout}"] = [
                {"threshold": t, **measure(part, above(model, t, floor))} for t in GRID
            ]
    return {"rows": rows, "curves": curves}


def run_answerability_eval(
    services: Services,
    benches: Sequence[Path],
    records_file: Path | None = None,
    log: Callable[[str], None] = lambda m: None,
) -> dict[str, Any]:
    """Collect (or reuse *records_file* when it exists), cross-validate, fit the final model."""
    floor = CALIBRATED_MODEL_MIN_SIMILARITY.get(services.embeddings.model_id, 0.0)
    if records_file is not None and records_file.is_file():
        records = json.loads(records_file.read_text(encoding="utf-8"))
        log(f"reusing {len(records)} records from {records_file}")
    else:
        if len(benches) < 2:
            raise InvalidInput("leave-one-set-out needs at least two benchmarks (--bench, repeated)")
        records = [r for b in benches for r in collect(services, b, log)]
        if records_file is not None:
            records_file.parent.mkdir(parents=True, exist_ok=True)
            records_file.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    cv = leave_one_set_out(records, floor)
    model = fit(records)
    model = replace(
        model,
        threshold=choose_threshold(model, records, floor),
        provenance=(
            f"fitted by evals/answerability.py on {', '.join(sorted({r['bench'] for r in records}))} "
            f"({services.embeddings.model_id}); report: evals/reports/answerability.md"
        ),
    )
    pooled = {
        layout: {
            name: measure([r for r in records if r["layout"] == layout], decide)
            for name, decide in (
                ("threshold rule (shipped before)", _baseline),
                ("answerability model, fitted on all (in-sample)", above(model, model.threshold, floor)),
            )
        }
        for layout in LAYOUTS
    }
    return {
        "cv": cv,
        "model": model,
        "pooled": pooled,
        "records": len(records),
        "embedding": services.embeddings.model_id,
    }


def format_report(r: dict[str, Any]) -> str:
    model: AnswerabilityModel = r["model"]
    lines = [
        "# Answerability across document sets (leave one set out)",
        "",
        f"Embedding {r['embedding']}, `none` mode, {r['records']} retrievals. Produced by "
        "`assistant eval answerability` (evals/answerability.py; the method is in its docstring).",
        "",
        "Each row: fitted and thresholded on the *other* benchmarks, measured on the held-out one. "
        "'no FAQ typing' ranks the same documents as a knowledge base of manual sections would "
        "(no FAQ boost, nothing trusted as curated). Citation recall: answered and a gold passage "
        "quoted; precision: quoted passages from a gold file; withheld: share still answered "
        f"with every gold file removed (target ≤ {WITHHELD_TARGET}). The model's decision is the engine's: "
        f"coverage ≥ {MIN_COVERAGE}, p ≥ the threshold, and for a best passage that is not a curated FAQ "
        f"entry a cosine of at least {r.get('floor', '-')} to the question when the embedding model reads its language.",
        "",
        "| held out | layout | rule | citation recall | citation precision | found | gold in top 5 | withheld: false found |",
        "|---|---|---|---|---|---|---|---|",
        *[
            f"| {x['held_out']} | {x['layout']} | {x['rule']} | {x['citation_recall']} | {x['citation_precision']} "
            f"| {x['found']} | {x['gold_in_top5']} | {x['withheld_false_found']} |"
            for x in r["cv"]["rows"]
        ],
        "",
        "## Mean over held-out sets",
        "",
        "| layout | rule | citation recall | citation precision | withheld: false found (mean / worst) |",
        "|---|---|---|---|---|",
        *_means(r["cv"]["rows"]),
        "",
        "## Trade-off on each held-out set (the model of that fold, other thresholds)",
        "",
    ]
    for name, curve in r["cv"]["curves"].items():
        lines += [
            f"### {name}",
            "",
            "| p ≥ | citation recall | citation precision | found | withheld: false found |",
            "|---|---|---|---|---|",
            *[
                f"| {c['threshold']} | {c['citation_recall']} | {c['citation_precision']} | {c['found']} "
                f"| {c['withheld_false_found']} |"
                for c in curve
                if 0.1 <= c["threshold"] <= 0.9
            ],
            "",
        ]
    lines += [
        "## The shipped model (fitted on all sets)",
        "",
        f"Threshold p ≥ {model.threshold} (the lowest keeping withheld false found ≤ {CHOICE_TARGET} on every "
        "set and layout). Standardised coefficients:",
        "",
        "| feature | weight |",
        "|---|---|",
        *[f"| {n} | {round(w, 3)} |" for n, w in zip(FEATURES, model.weights, strict=True)],
        f"| (intercept) | {round(model.intercept, 3)} |",
        "",
        "In-sample, pooled over all sets (for reference only; the cross-validated rows above are the result):",
        "",
        "| layout | rule | citation recall | citation precision | withheld: false found |",
        "|---|---|---|---|---|",
        *[
            f"| {layout} | {name} | {m['citation_recall']} | {m['citation_precision']} | {m['withheld_false_found']} |"
            for layout, rules in r["pooled"].items()
            for name, m in rules.items()
        ],
        "",
    ]
    return "\n".join(lines)


def _means(rows: Sequence[dict[str, Any]]) -> list[str]:
    out = []
    keys = []
    for x in rows:
        key = (x["layout"], x["rule"].split(" (p")[0])
        if key not in keys:
            keys.append(key)
    for layout, rule in keys:
        part = [x for x in rows if x["layout"] == layout and x["rule"].split(" (p")[0] == rule]

        def mean(k: str, part: list[dict[str, Any]] = part) -> float:
            return round(sum(x[k] for x in part) / len(part), 3)

        worst = max(x["withheld_false_found"] for x in part)
        out.append(
            f"| {layout} | {rule} | {mean('citation_recall')} | {mean('citation_precision')} "
            f"| {mean('withheld_false_found')} / {worst} |"
        )
    return out
