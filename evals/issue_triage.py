"""Bug / feature / question on projects the model never saw.

evals/data/issue-reports/ holds eight projects' issue reports (six English, two Chinese; written
for this project, see its README). Each project is the test set in turn, the model is trained on
the other seven (leave one project out). Methods on the same rows:

- baseline: TF-IDF over jieba / word tokens into a logistic regression (the usual first model);
- triage (before): the ticket triage model as shipped before this report — word + character
  TF-IDF with the sentence embedding scaled by 0.5, class-balanced LR, C = 4;
- embedding: the sentence embedding alone, standardised, class-balanced LR, C chosen by
  cross-validation that holds whole training projects out;
- triage (now): what `assistant tickets train` fits now (assistant/learning/textclf.py): the same
  model with its confidences calibrated (a temperature fitted on out-of-fold predictions).

Reported per method: macro-F1 pooled over the held-out projects, per-class F1, and the expected
calibration error (ECE, 10 bins) of the confidence shown to agents.

.venv/bin/python -m evals.issue_triage [--embedding e5-multilingual]
"""

from __future__ import annotations

import argparse
import csv
import time
from pathlib import Path
from typing import Any

import numpy as np

from assistant.services import Services, fit_text_classifier, tokenize
from evals import eval_services, write_report

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "evals" / "data" / "issue-reports"
REPORTS = ROOT / "evals" / "reports"
C_GRID = (0.03, 0.1, 0.3, 1.0, 3.0)


def load() -> list[dict[str, str]]:
    rows = []
    for path in sorted(DATA.glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as f:
            for r in csv.DictReader(f):
                text = (r["title"].strip() + "\n" + r["body"].strip()).strip()
                rows.append({"project": path.stem, "text": text, "label": r["label"].strip()})
    return rows


def ece(confidence: list[float], correct: list[bool], bins: int = 10) -> float:
    """Expected calibration error: the gap between confidence and accuracy, weighted by bin size."""
    conf = np.asarray(confidence)
    ok = np.asarray(correct, dtype=float)
    total = 0.0
    for b in range(bins):
        lo, hi = b / bins, (b + 1) / bins
        mask = (conf > lo) & (conf <= hi) if b else (conf >= lo) & (conf <= hi)
        if mask.any():
            total += mask.sum() / len(conf) * abs(ok[mask].mean() - conf[mask].mean())
    return round(float(total), 3)


def _baseline(x_tr: list[str], y_tr: list[str], x_te: list[str]) -> tuple[list[str], list[float]]:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    vec = TfidfVectorizer(tokenizer=tokenize, lowercase=False, token_pattern=None)
    clf = LogisticRegression(max_iter=3000).fit(vec.fit_transform(x_tr), y_tr)
    proba = clf.predict_proba(vec.transform(x_te))
    return [str(clf.classes_[i]) for i in proba.argmax(1)], [float(p) for p in proba.max(1)]


def _embedding_lr(
    v_tr: np.ndarray, y_tr: list[str], groups: list[str], v_te: np.ndarray
) -> tuple[list[str], list[float]]:
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import f1_score
    from sklearn.model_selection import GroupKFold
    from sklearn.preprocessing import StandardScaler

    y = np.array(y_tr)
    best_c, best = 1.0, -1.0
    folds = list(GroupKFold(n_splits=min(5, len(set(groups)))).split(v_tr, y, groups))
    for c in C_GRID:
        pred = np.empty_like(y)
        for tr, te in folds:
            sc = StandardScaler().fit(v_tr[tr])
            clf = LogisticRegression(C=c, max_iter=4000, class_weight="balanced")
            pred[te] = clf.fit(sc.transform(v_tr[tr]), y[tr]).predict(sc.transform(v_tr[te]))
        score = float(f1_score(y, pred, average="macro"))
        if score > best:
            best_c, best = c, score
    sc = StandardScaler().fit(v_tr)
    clf = LogisticRegression(C=best_c, max_iter=4000, class_weight="balanced").fit(sc.transform(v_tr), y)
    proba = clf.predict_proba(sc.transform(v_te))
    return [str(clf.classes_[i]) for i in proba.argmax(1)], [float(p) for p in proba.max(1)]


def run(services: Services) -> dict[str, Any]:
    emb = services.support.embeddings
    rows = load()
    texts = [r["text"] for r in rows]
    t0 = time.perf_counter()
    vectors = np.asarray(emb.encode([t[:1000] for t in texts]))
    embed_s = time.perf_counter() - t0
    projects = sorted({r["project"] for r in rows})
    methods = ("baseline", "triage_before", "embedding", "triage_now")
    pred: dict[str, list[str]] = {m: [""] * len(rows) for m in methods}
    conf: dict[str, list[float]] = {m: [0.0] * len(rows) for m in methods}
    per_project: list[dict[str, Any]] = []
    from sklearn.metrics import f1_score

    for held in projects:
        tr = [i for i, r in enumerate(rows) if r["project"] != held]
        te = [i for i, r in enumerate(rows) if r["project"] == held]
        x_tr, y_tr = [texts[i] for i in tr], [rows[i]["label"] for i in tr]
        x_te = [texts[i] for i in te]
        groups = [rows[i]["project"] for i in tr]
        outs: dict[str, tuple[list[str], list[float]]] = {}
        outs["baseline"] = _baseline(x_tr, y_tr, x_te)
        before = fit_text_classifier(
            x_tr, y_tr, vectors[tr], "category", emb.model_id, cross_validate=False, calibrate=False
        )
        got = before.predict(x_te, vectors[te])
        outs["triage_before"] = ([g[0] for g in got], [g[1] for g in got])
        outs["embedding"] = _embedding_lr(vectors[tr], y_tr, groups, vectors[te])
        now = services.support.fit_model(x_tr, y_tr, "category")
        got = now.predict(x_te, vectors[te])
        outs["triage_now"] = ([g[0] for g in got], [g[1] for g in got])
        entry: dict[str, Any] = {"project": held, "rows": len(te)}
        truth = [rows[i]["label"] for i in te]
        for m, (p, c) in outs.items():
            for j, i in enumerate(te):
                pred[m][i], conf[m][i] = p[j], c[j]
            entry[m] = round(float(f1_score(truth, p, average="macro")), 3)
        per_project.append(entry)
        print(entry, flush=True)
    truth = [r["label"] for r in rows]
    labels = sorted(set(truth))
    summary = {}
    for m in methods:
        per_class = f1_score(truth, pred[m], labels=labels, average=None)
        summary[m] = {
            "macro_f1": round(float(f1_score(truth, pred[m], average="macro")), 3),
            "per_class": {lab: round(float(v), 3) for lab, v in zip(labels, per_class, strict=True)},
            "ece": ece(conf[m], [a == b for a, b in zip(pred[m], truth, strict=True)]),
            "mean_project_f1": round(sum(p[m] for p in per_project) / len(per_project), 3),
        }
    return {
        "embedding": emb.model_id,
        "rows": len(rows),
        "projects": projects,
        "embed_seconds": round(embed_s, 1),
        "per_project": per_project,
        "summary": summary,
    }


NAMES = {
    "baseline": "TF-IDF + LR (baseline)",
    "triage_before": "triage model before (TF-IDF + 0.5 × embedding, C = 4)",
    "embedding": "embedding + LR (C by project CV)",
    "triage_now": "triage model now (calibrated)",
}


def markdown(r: dict[str, Any]) -> str:
    labels = sorted(next(iter(r["summary"].values()))["per_class"])
    lines = [
        "# Bug / feature / question on unseen projects",
        "",
        f"Embedding `{r['embedding']}`; {r['rows']} issue reports of {len(r['projects'])} projects "
        "(evals/data/issue-reports/, written for this project); each project held out in turn, trained on "
        f"the other seven. Rebuild: `.venv/bin/python -m evals.issue_triage`. Embedding took {r['embed_seconds']} s.",
        "",
        "| method | macro-F1 (pooled) | mean per project | "
        + " | ".join(f"F1 {x}" for x in labels)
        + " | ECE |",
        "|---|---|---|" + "---|" * len(labels) + "---|",
    ]
    for m, s in r["summary"].items():
        lines.append(
            f"| {NAMES[m]} | {s['macro_f1']} | {s['mean_project_f1']} | "
            + " | ".join(str(s["per_class"][x]) for x in labels)
            + f" | {s['ece']} |"
        )
    lines += ["", "| held-out project | rows | " + " | ".join(NAMES[m] for m in r["summary"]) + " |"]
    lines.append("|---|---|" + "---|" * len(r["summary"]))
    for p in r["per_project"]:
        lines.append(
            f"| {p['project']} | {p['rows']} | " + " | ".join(str(p[m]) for m in r["summary"]) + " |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--embedding", default=None)
    args = parser.parse_args()
    r = run(eval_services("issue-triage", args.embedding))
    write_report("issue-triage" + ("-e5" if args.embedding and "e5" in args.embedding else ""), markdown(r))


if __name__ == "__main__":
    main()
