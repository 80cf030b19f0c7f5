"""Requirement types across corpora: train on one set of projects, test on others written by other
people in another style, never rows of the same projects.

Corpora:
- PROMISE_exp split by project: projects 1-15 (the original PROMISE NFR set) and 16-49 (the later
  expansion, other authors);
- the requirement statements of our interview development set (``evals/interviews``), English and
  Chinese, typed by the consultant who wrote them;
- OWASP ASVS 4.0.3 V1-V7 requirements, English and Chinese: every one a security (SE) and so a
  non-functional requirement; scored by the share recognised as NFR and as SE.

Methods, each with the embedding provider's model:
- ``tfidf+emb LR`` — word and character TF-IDF with the sentence embedding, class-balanced logistic
  regression (the classifier as it was);
- ``emb LR`` — the plain sentence-embedding + logistic-regression baseline;
- ``emb LR balanced`` — the same, class-balanced;
- ``ours, <model> alone`` — one TypeModel on the configured embedding model (embedding part; its
  word features serve only text in a language the embedding model does not read): standardised
  embedding, class-balanced logistic regression, its strength chosen by cross-validation that holds
  whole projects of the training data out; a Chinese text's embedding first gets the model's language
  offset (``language_offsets`` in assistant/interviews/classifier.py, estimated on two bilingual
  manuals by evals/language_offsets.py; none for a model without an entry);
- ``ours, <model> alone, without the language offset`` — the same without that step (before stop 28);
- ``ours (the mean of ...)`` — the shipped classifier, exactly as ``assistant requirements train``
  builds it (``RequirementClassifier.fit``): one such TypeModel per embedding model of
  ``settings.requirements.type_embeddings`` (the English MiniLM and multilingual-e5-small by default),
  their probabilities averaged, each text typed by the models that read its language; functional or
  not is decided by that model of the training rows alone, and for a non-functional requirement the
  kind by a second such model that also learns from the 100 shipped bilingual examples, weighted to
  keep the training rows' share of functional requirements (``TypeWithExamples``);
- ``ours (...), the kind without the shipped examples`` — the same without the second model (before
  stop 33). Test rows equal to a shipped example are left out of every test set;
- ``default model (shipped examples only)`` — what a user's extraction is typed with before anyone
  trains a model: the same ensemble trained on the 100 shipped bilingual examples alone (the training
  rows of the split are not used), with the examples' own balance (one kind in twelve functional) and
  with the neutral share of functional requirements it ships with (``NEUTRAL_F_PRIOR``).
"""

from __future__ import annotations

import csv
import json
import re
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from assistant.services import Services

_ARFF = re.compile(r"^\s*(\d+)\s*,\s*'(.*)'\s*,\s*([A-Za-z]+)\s*$")
KINDS = ["A", "F", "FT", "L", "LF", "MN", "O", "PE", "PO", "SC", "SE", "US"]


def promise_by_project(path: Path) -> list[tuple[int, str, str]]:
    rows = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        m = _ARFF.match(line)
        if m:
            rows.append((int(m.group(1)), re.sub(r"\s+", " ", m.group(2)).strip(), m.group(3).upper()))
    return rows


def interview_statements(path: Path, language: str) -> tuple[list[str], list[str]]:
    texts, labels = [], []
    for line in path.read_text(encoding="utf-8").splitlines():
        d = json.loads(line)
        if d.get("language") != language:
            continue
        for r in d["requirements"]:
            if r.get("type") in KINDS and r.get("statement"):
                texts.append(r["statement"])
                labels.append(r["type"])
    return texts, labels


def asvs(path: Path) -> tuple[list[str], list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        texts = [
            re.sub(r"\s*\(\[C\d+\]\([^)]*\)\)", "", r["req_description"]).strip() for r in csv.DictReader(f)
        ]
    texts = [t for t in texts if t]
    return texts, ["SE"] * len(texts)


def _macro(truth: list[str], pred: list[str]) -> dict[str, Any]:
    from sklearn.metrics import f1_score

    def binary(ys: list[str]) -> list[str]:
        return ["F" if y == "F" else "NFR" for y in ys]

    labels = sorted(set(truth))
    per = f1_score(truth, pred, labels=labels, average=None, zero_division=0)
    return {
        "f_vs_nfr": round(float(f1_score(binary(truth), binary(pred), average="macro", zero_division=0)), 3),
        "all_kinds": round(float(f1_score(truth, pred, labels=labels, average="macro", zero_division=0)), 3),
        "per_kind": {k: round(float(v), 3) for k, v in zip(labels, per, strict=True)},
        "nfr_share": round(sum(1 for p in pred if p != "F") / len(pred), 3),
        "se_share": round(sum(1 for p in pred if p == "SE") / len(pred), 3),
        "predicted": dict(Counter(pred).most_common()),
    }


class _Methods:
    """Each method: fit on (texts, labels, vectors), predict labels for (texts, vectors)."""

    @staticmethod
    def tfidf_emb(xs: list[str], ys: list[str], vx: np.ndarray, model_id: str) -> Any:
        from assistant.services import fit_text_classifier

        model = fit_text_classifier(xs, ys, vx, "type", model_id, cross_validate=False)
        return lambda ts, vt: [lab for lab, _ in model.predict(ts, vt)]

    @staticmethod
    def emb_lr(xs: list[str], ys: list[str], vx: np.ndarray, model_id: str, balanced: bool = False) -> Any:
        from sklearn.linear_model import LogisticRegression

        clf = LogisticRegression(max_iter=3000, class_weight="balanced" if balanced else None)
        clf.fit(vx, ys)
        return lambda ts, vt: list(clf.predict(vt))

    @staticmethod
    def ours(
        xs: list[str],
        ys: list[str],
        vx: np.ndarray,
        model_id: str,
        groups: list[int] | None,
        language_offset: bool = True,
    ) -> Any:
        from assistant.services import TypeModel

        model = TypeModel.fit(vx, ys, model_id, groups, texts=xs, language_offset=language_offset)
        return lambda ts, vt: [lab for lab, _ in model.predict(ts, vt)]


METHODS = {
    "tfidf+emb LR (as it was)": _Methods.tfidf_emb,
    "emb LR (baseline)": _Methods.emb_lr,
    "emb LR balanced": lambda xs, ys, vx, model_id: _Methods.emb_lr(xs, ys, vx, model_id, True),
}


class _Cached:
    """An embedding model that embeds each distinct text once per run."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.model_id = inner.model_id
        self.cache: dict[str, np.ndarray] = {}

    def encode(self, texts: list[str]) -> np.ndarray:
        missing = [t for t in dict.fromkeys(texts) if t not in self.cache]
        if missing:
            for t, v in zip(missing, self.inner.encode(missing), strict=True):
                self.cache[t] = np.asarray(v, dtype=np.float32)
        return np.vstack([self.cache[t] for t in texts])


def run_xcorpus(services: Services, datasets: Path, interviews: Path) -> dict[str, Any]:
    clf = services.requirements  # the shipped classifier: the configured model and settings.requirements
    clf.members = [(_Cached(e), langs) for e, langs in clf.members]  # type: ignore[misc]
    emb = clf.members[0][0]
    promise = promise_by_project(datasets / "requirements" / "promise-exp" / "PROMISE_exp.arff")
    old = ([t for p, t, _ in promise if p <= 15], [lab for p, _, lab in promise if p <= 15])
    new = ([t for p, t, _ in promise if p > 15], [lab for p, _, lab in promise if p > 15])
    every = ([t for _, t, _ in promise], [lab for _, _, lab in promise])
    asvs_dir = datasets / "documents" / "owasp-asvs-4.0.3"
    tests = {
        "interviews en": interview_statements(interviews / "annotations.jsonl", "en"),
        "interviews zh": interview_statements(interviews / "annotations.jsonl", "zh"),
        "ASVS en (all SE)": asvs(asvs_dir / "requirements-V1-V7-en.csv"),
        "ASVS zh (all SE)": asvs(asvs_dir / "requirements-V1-V7-zh-cn.csv"),
    }

    from assistant.services import shipped_examples

    shipped = {re.sub(r"[\W_]+", "", t.lower()) for t in shipped_examples()[0]}

    def unseen(rows: tuple[list[str], list[str]]) -> tuple[list[str], list[str]]:
        keep = [i for i, t in enumerate(rows[0]) if re.sub(r"[\W_]+", "", t.lower()) not in shipped]
        return [rows[0][i] for i in keep], [rows[1][i] for i in keep]

    tests = {name: unseen(rows) for name, rows in tests.items()}

    def vectors(texts: list[str]) -> np.ndarray:
        return emb.encode(texts)  # type: ignore[no-any-return]

    projects = {
        "old": [p for p, _, _ in promise if p <= 15],
        "new": [p for p, _, _ in promise if p > 15],
        "every": [p for p, _, _ in promise],
    }
    splits = [
        ("PROMISE 1-15 -> 16-49", old, {"PROMISE 16-49": unseen(new)}, projects["old"]),
        ("PROMISE 16-49 -> 1-15", new, {"PROMISE 1-15": unseen(old)}, projects["new"]),
        ("PROMISE_exp -> other corpora", every, tests, projects["every"]),
    ]
    alone = f"ours, {emb.model_id} alone"
    shipped_default = clf.default_model()
    balanced_default = replace(shipped_default, f_prior=None)

    def typed_by(model: Any) -> Any:
        return lambda *_: lambda texts, _vectors: [lab for lab, _ in clf.classify(texts, model)]

    defaults = {"balanced": typed_by(balanced_default), "neutral": typed_by(shipped_default)}
    out: dict[str, Any] = {
        "model": emb.model_id,
        "models": [e.model_id for e, _ in clf.members],
        "splits": [],
    }
    for name, (xs, ys), targets, groups in splits:
        vx = vectors(xs)
        split: dict[str, Any] = {"split": name, "train_rows": len(xs), "results": {}}

        def ours_one(a: list[str], b: list[str], c: np.ndarray, d: str, g: list[int] = groups) -> Any:
            return _Methods.ours(a, b, c, d, g)

        def ours_raw(a: list[str], b: list[str], c: np.ndarray, d: str, g: list[int] = groups) -> Any:
            return _Methods.ours(a, b, c, d, g, language_offset=False)

        def ours(a: list[str], b: list[str], c: np.ndarray, d: str, g: list[int] = groups) -> Any:
            model = clf.fit(a, b, g)
            return lambda texts, _vectors: [lab for lab, _ in clf.classify(texts, model)]

        def ours_plain(a: list[str], b: list[str], c: np.ndarray, d: str, g: list[int] = groups) -> Any:
            model = clf.fit(a, b, g, examples=False)
            return lambda texts, _vectors: [lab for lab, _ in clf.classify(texts, model)]

        builders: dict[str, Any] = {
            **METHODS,
            f"{alone}, without the language offset": ours_raw,
            alone: ours_one,
        }
        mean = "the mean of " + " and ".join(e.model_id for e, _ in clf.members)
        builders[f"ours ({mean}), the kind without the shipped examples (before stop 33)"] = ours_plain
        builders[f"ours ({mean}; the kind also from the shipped examples)"] = ours
        # what a user gets before training a model: the default, from the shipped examples alone
        builders["default model (shipped examples only), the examples' balance"] = defaults["balanced"]
        builders["default model (shipped examples only), neutral share of F (as shipped)"] = defaults[
            "neutral"
        ]
        for method, build in builders.items():
            predict = build(xs, ys, vx, emb.model_id)
            for target, (ts, truth) in targets.items():
                pred = predict(ts, vectors(ts))
                split["results"].setdefault(target, {"rows": len(ts)})[method] = _macro(truth, pred)
        out["splits"].append(split)
    return out


def format_xcorpus(r: dict[str, Any]) -> str:
    lines = [
        "# Requirement types across corpora",
        "",
        f"Produced by `assistant eval requirements-xcorpus` (evals/requirements_xcorpus.py), embedding model "
        f"`{r['model']}`; the shipped classifier averages the type models of "
        f"{', '.join('`' + m + '`' for m in r.get('models', [r['model']]))}. Macro-F1 over the kinds "
        "present in the test set; for ASVS (every requirement a security one) the share recognised as "
        "non-functional and as SE.",
        "",
    ]
    for split in r["splits"]:
        lines += [f"## {split['split']} ({split['train_rows']} training rows)", ""]
        for target, res in split["results"].items():
            methods = [m for m in res if m != "rows"]
            if target.startswith("ASVS"):
                lines += [
                    f"**{target}**, {res['rows']} rows",
                    "",
                    "| method | recognised as NFR | as SE | predicted |",
                    "|---|---|---|---|",
                ]
                for m in methods:
                    x = res[m]
                    top = ", ".join(f"{k} {v}" for k, v in list(x["predicted"].items())[:5])
                    lines.append(f"| {m} | {x['nfr_share']} | {x['se_share']} | {top} |")
            else:
                lines += [
                    f"**{target}**, {res['rows']} rows",
                    "",
                    "| method | F vs NFR | all kinds | " + " | ".join(KINDS) + " |",
                    "|---|---|---|" + "---|" * len(KINDS),
                ]
                for m in methods:
                    x = res[m]
                    per = [str(x["per_kind"].get(k, "-")) for k in KINDS]
                    lines.append(
                        f"| {m} | **{x['f_vs_nfr']}** | **{x['all_kinds']}** | " + " | ".join(per) + " |"
                    )
            lines.append("")
    return "\n".join(lines) + "\n"
