"""Requirement type classification (PROMISE taxonomy: F, and the non-functional kinds A, FT, L, LF,
MN, O, PE, PO, SC, SE, US).

Same model family as ticket triage (word + character TF-IDF + the sentence embedding into a
class-balanced logistic regression); measured in evals/reports/requirements.md. Training data comes
from CSV/XLSX/JSON(L) with a text and a label column, or from PROMISE-style ARFF files.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import joblib

from assistant.errors import InvalidInput, NotFound
from assistant.ingest.tables import read_rows
from assistant.interviews.models import TYPE_NAMES
from assistant.learning.textclf import TriageModel, embed, fit
from assistant.providers.embeddings import NamedEmbeddings

_ARFF_ROW = re.compile(r"^\s*\d+\s*,\s*'(.*)'\s*,\s*([A-Za-z]+)\s*$")


def read_labeled(
    path: Path, text_col: str | None, label_col: str | None
) -> tuple[list[str], list[str | None]]:
    """Texts and labels (None where a row has no label) from a table or an ARFF file."""
    if path.suffix.lower() == ".arff":
        if not path.is_file():
            raise NotFound(f"no such file: {path}")
        texts: list[str] = []
        labels: list[str | None] = []
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            m = _ARFF_ROW.match(line)
            if m:
                texts.append(re.sub(r"\s+", " ", m.group(1)).strip())
                labels.append(m.group(2).upper())
        if not texts:
            raise InvalidInput(f"{path.name} has no data lines of the form id,'text',LABEL")
        return texts, labels
    if not text_col:
        raise InvalidInput("name the text column with --text-col")
    columns, rows = read_rows(path)
    for col in [c for c in (text_col, label_col) if c]:
        if col not in columns:
            raise InvalidInput(f"column {col!r} not in {path.name}; it has: {', '.join(columns)}")
    texts = [str(r.get(text_col) or "").strip() for r in rows]
    labels = [(str(r.get(label_col) or "").strip().upper() or None) if label_col else None for r in rows]
    return texts, labels


class RequirementClassifier:
    """The requirement type classifier of a data directory (PROMISE codes, see TYPE_NAMES)."""

    def __init__(self, home: Path, embeddings: NamedEmbeddings) -> None:
        self.path = home / "requirements" / "type.joblib"
        self.embeddings = embeddings

    read_labeled = staticmethod(read_labeled)

    def train_file(self, path: Path, text_col: str | None, label_col: str | None) -> dict[str, Any]:
        """Train on a labelled table or ARFF file."""
        return self.train(*read_labeled(path, text_col, label_col))

    def classify_file(self, path: Path, text_col: str) -> list[tuple[str, float] | None]:
        """One (label, confidence) per row of a table, in order; None for a row without text."""
        texts, _ = read_labeled(path, text_col, None)
        model = self.load()
        idx = [i for i, t in enumerate(texts) if t]
        found = dict(zip(idx, self.classify([texts[i] for i in idx], model), strict=True))
        return [found.get(i) for i in range(len(texts))]

    def evaluate_files(
        self, train: Path, test: Path, text_col: str | None, label_col: str | None
    ) -> dict[str, Any]:
        """Train on one labelled set, test on another (rows of both are compared without case)."""
        return evaluate(
            self.embeddings, read_labeled(train, text_col, label_col), read_labeled(test, text_col, label_col)
        )

    def train(self, texts: list[str], labels: list[str | None]) -> dict[str, Any]:
        pairs = [(t, lab) for t, lab in zip(texts, labels, strict=True) if t and lab]
        if not pairs:
            raise InvalidInput("no rows with both a text and a label")
        unknown = sorted({lab for _, lab in pairs if lab not in TYPE_NAMES})
        if unknown:
            raise InvalidInput(
                f"unknown requirement type(s) {', '.join(unknown)[:200]}; use: {', '.join(TYPE_NAMES)}"
            )
        xs = [t for t, _ in pairs]
        ys = [lab for _, lab in pairs]
        model = fit(xs, ys, embed(self.embeddings, xs), "type", self.embeddings.model_id)  # type: ignore[arg-type]
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        joblib.dump(model, tmp)
        tmp.replace(self.path)
        return model.meta()

    def load(self) -> TriageModel:
        """The trained classifier, else the bilingual default trained once from the shipped examples."""
        if self.path.exists():
            return joblib.load(self.path)  # type: ignore[no-any-return]
        default = self.path.with_name("default.joblib")
        if default.exists():
            return joblib.load(default)  # type: ignore[no-any-return]
        from importlib import resources

        examples = resources.files("assistant").joinpath("data/requirement_examples.csv")
        texts, labels = read_labeled(Path(str(examples)), "text", "label")
        model = fit(
            texts,
            [str(lab) for lab in labels],
            embed(self.embeddings, texts),
            "type",
            self.embeddings.model_id,
            cross_validate=False,
        )
        default.parent.mkdir(parents=True, exist_ok=True)
        tmp = default.with_suffix(".tmp")
        joblib.dump(model, tmp)
        tmp.replace(default)
        return model

    def classify(self, texts: list[str], model: TriageModel | None = None) -> list[tuple[str, float]]:
        model = model or self.load()
        vectors = embed(self.embeddings, texts) if model.embedding_model else None
        return model.predict(texts, vectors)


def _key(text: str) -> str:
    """Compare requirement texts ignoring case, spacing and punctuation (an expanded set re-types some)."""
    return re.sub(r"[\W_]+", "", text.lower())[:200]


def evaluate(
    embeddings: NamedEmbeddings,
    train: tuple[list[str], list[str | None]],
    test: tuple[list[str], list[str | None]],
) -> dict[str, Any]:
    """Macro-F1 over all kinds and for functional vs non-functional, test rows not in the training set."""
    from sklearn.metrics import f1_score

    tr = [(t, lab) for t, lab in zip(*train, strict=True) if t and lab]
    seen = {_key(t) for t, _ in tr}
    te = [(t, lab) for t, lab in zip(*test, strict=True) if t and lab and _key(t) not in seen]
    if not te:
        raise InvalidInput("no test rows left (all are also in the training data)")
    xs = [t for t, _ in tr]
    model = fit(
        xs, [lab for _, lab in tr], embed(embeddings, xs), "type", embeddings.model_id, cross_validate=False
    )
    xt = [t for t, _ in te]
    pred = [lab for lab, _ in model.predict(xt, embed(embeddings, xt))]
    truth = [lab for _, lab in te]
    labels = sorted(set(truth) | set(pred))

    def binary(ys: list[str]) -> list[str]:
        return ["F" if y == "F" else "NFR" for y in ys]

    per = f1_score(truth, pred, average=None, labels=labels)
    return {
        "train_rows": len(tr),
        "test_rows": len(te),
        "dropped_overlap": len([1 for t, lab in zip(*test, strict=True) if t and lab]) - len(te),
        "macro_f1_all_kinds": round(float(f1_score(truth, pred, average="macro")), 3),
        "macro_f1_f_vs_nfr": round(float(f1_score(binary(truth), binary(pred), average="macro")), 3),
        "per_class_f1": {lab: round(float(v), 3) for lab, v in zip(labels, per, strict=True)},
        "support": {lab: truth.count(lab) for lab in labels},
    }
