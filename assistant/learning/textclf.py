"""Ticket triage: per-field classifiers trained on the incident history, similar past incidents with
their resolutions, likely duplicates among open tickets, and knowledge-base sections that may answer.

Features (chosen by measurement on Hadoop priorities, evals/reports/triage-*.md): TF-IDF over jieba /
word tokens (1-2 grams) + TF-IDF over character 2-4 grams (robust for Chinese and typos) + the
sentence embedding scaled by 0.5, into a class-balanced logistic regression.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from assistant.errors import InvalidInput, NotFound
from assistant.knowledge.store import kb_key
from assistant.providers.embeddings import NamedEmbeddings
from assistant.text import tokenize

EMBED_WEIGHT = 0.5
EMBED_CHARS = 1000
MIN_ROWS = 10
MIN_PER_LABEL = 2
#: from this many rows on, confidences are calibrated on one held-out fifth instead of five folds
CALIBRATION_SPLIT_ROWS = 500
#: below this many out-of-fold predictions the confidences are left as the model gives them
CALIBRATION_MIN_ROWS = 100


def ticket_text(title: str | None, text: str | None) -> str:
    title = (title or "").strip()
    text = (text or "").strip()
    return text if not title or text.startswith(title) else f"{title}\n{text}"


def _features():  # type: ignore[no-untyped-def]
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import make_union

    return make_union(
        TfidfVectorizer(
            tokenizer=tokenize,
            lowercase=False,
            token_pattern=None,
            ngram_range=(1, 2),
            min_df=2,
            sublinear_tf=True,
            max_features=50000,
        ),
        TfidfVectorizer(
            analyzer="char_wb", ngram_range=(2, 4), min_df=2, sublinear_tf=True, max_features=80000
        ),
    )


def soften(proba: np.ndarray, temperature: float) -> np.ndarray:
    """Probabilities with their log-odds divided by *temperature* (>1: less sure, <1: surer)."""
    if temperature == 1.0:
        return proba
    logits = np.log(np.clip(proba, 1e-12, 1.0)) / temperature
    logits -= logits.max(axis=1, keepdims=True)
    out = np.exp(logits)
    return out / out.sum(axis=1, keepdims=True)


def temperature(proba: np.ndarray, truth: list[str], classes: list[str]) -> float:
    """The temperature that makes out-of-fold probabilities most likely (lowest log loss): the
    model's confidence then says how often it is right. A weight-decayed LR over many TF-IDF
    features is far from calibrated on its own (expected calibration error 0.21 across projects,
    evals/reports/issue-triage.md)."""
    index = {c: i for i, c in enumerate(classes)}
    rows = np.arange(len(truth))
    cols = np.array([index[t] for t in truth])
    best_t, best = 1.0, float("inf")
    for t in np.exp(np.linspace(np.log(0.2), np.log(5.0), 41)):
        loss = -float(np.log(np.clip(soften(proba, float(t))[rows, cols], 1e-12, 1.0)).mean())
        if loss < best:
            best_t, best = float(t), loss
    return round(best_t, 3)


@dataclass
class TriageModel:
    target: str
    labels: list[str]
    features: Any
    classifier: Any
    embedding_model: str | None
    trained_at: str
    rows: int
    cv_macro_f1: float | None
    cv_per_class: dict[str, float]
    #: confidence calibration fitted on out-of-fold predictions (1.0: none)
    temperature: float = 1.0

    def matrix(self, texts: list[str], vectors: np.ndarray | None):  # type: ignore[no-untyped-def]
        from scipy.sparse import csr_matrix, hstack

        x = self.features.transform(texts)
        if vectors is not None:
            x = hstack([x, csr_matrix(vectors * EMBED_WEIGHT)]).tocsr()
        return x

    def predict(self, texts: list[str], vectors: np.ndarray | None) -> list[tuple[str, float]]:
        out = []
        for row in self.probabilities(texts, vectors):
            label = max(row, key=row.__getitem__)
            out.append((label, row[label]))
        return out

    def probabilities(self, texts: list[str], vectors: np.ndarray | None) -> list[dict[str, float]]:
        """Each label's probability, per text, calibrated (see :func:`temperature`)."""
        proba = soften(
            self.classifier.predict_proba(self.matrix(texts, vectors)), getattr(self, "temperature", 1.0)
        )
        classes = [str(c) for c in self.classifier.classes_]
        return [dict(zip(classes, (float(v) for v in row), strict=True)) for row in proba]

    def meta(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "labels": self.labels,
            "trained_at": self.trained_at,
            "rows": self.rows,
            "cv_macro_f1": self.cv_macro_f1,
            "cv_per_class_f1": self.cv_per_class,
            "embedding_model": self.embedding_model,
            "temperature": getattr(self, "temperature", 1.0),
        }


def check_training_data(labels: list[str], target: str) -> None:
    counts: dict[str, int] = {}
    for lab in labels:
        counts[lab] = counts.get(lab, 0) + 1
    if len(labels) < MIN_ROWS:
        raise InvalidInput(
            f"only {len(labels)} tickets have a '{target}'; at least {MIN_ROWS} are needed to train"
        )
    usable = [k for k, v in counts.items() if v >= MIN_PER_LABEL]
    if len(usable) < 2:
        raise InvalidInput(
            f"'{target}' has {len(counts)} distinct value(s) ({', '.join(sorted(counts))[:200]}); a classifier needs at "
            f"least two values with {MIN_PER_LABEL}+ tickets each"
        )


def fit(
    texts: list[str],
    labels: list[str],
    vectors: np.ndarray | None,
    target: str,
    embedding_model: str | None,
    cross_validate: bool = True,
    calibrate: bool = True,
) -> TriageModel:
    """Train one target's classifier; cross-validated macro-F1 when there is enough data, and the
    confidences calibrated on the same out-of-fold predictions."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import f1_score
    from sklearn.model_selection import StratifiedKFold

    check_training_data(labels, target)
    counts: dict[str, int] = {}
    for lab in labels:
        counts[lab] = counts.get(lab, 0) + 1
    keep = [i for i, lab in enumerate(labels) if counts[lab] >= MIN_PER_LABEL]
    texts = [texts[i] for i in keep]
    labels = [labels[i] for i in keep]
    vecs = vectors[keep] if vectors is not None else None

    def train(idx: list[int]) -> TriageModel:
        feats = _features().fit([texts[i] for i in idx])
        model = TriageModel(target, sorted(set(labels)), feats, None, embedding_model, "", len(idx), None, {})
        clf = LogisticRegression(C=4.0, class_weight="balanced", max_iter=3000)
        clf.fit(
            model.matrix([texts[i] for i in idx], vecs[idx] if vecs is not None else None),
            [labels[i] for i in idx],
        )
        model.classifier = clf
        return model

    cv_f1: float | None = None
    per_class: dict[str, float] = {}
    smallest = min(counts[lab] for lab in set(labels))
    folds = min(5, smallest)
    heat = 1.0
    if (cross_validate or calibrate) and folds >= 2:
        truth: list[str] = []
        pred: list[str] = []
        classes = sorted(set(labels))
        oof: list[np.ndarray] = []
        fifth_too_small = len(set(labels)) > 0.2 * len(texts)  # a held-out fifth needs every label
        if cross_validate or len(texts) < CALIBRATION_SPLIT_ROWS or fifth_too_small:
            splits = list(StratifiedKFold(n_splits=folds, shuffle=True, random_state=0).split(texts, labels))
        else:  # calibration alone, on a large history: one held-out fifth is enough and five times cheaper
            from sklearn.model_selection import StratifiedShuffleSplit

            splits = list(
                StratifiedShuffleSplit(n_splits=1, test_size=0.2, random_state=0).split(texts, labels)
            )
        for tr, te in splits:
            m = train(list(tr))
            raw = m.classifier.predict_proba(
                m.matrix([texts[i] for i in te], vecs[te] if vecs is not None else None)
            )
            full = np.zeros((len(te), len(classes)))
            for j, c in enumerate(m.classifier.classes_):
                full[:, classes.index(str(c))] = raw[:, j]
            oof.append(full)
            truth += [labels[i] for i in te]
            pred += [classes[int(k)] for k in full.argmax(1)]
        if calibrate and len(truth) >= CALIBRATION_MIN_ROWS:  # fewer: a temperature fitted on noise
            heat = temperature(np.vstack(oof), truth, classes)
        if cross_validate:
            cv_f1 = float(f1_score(truth, pred, average="macro"))
            per_class = {
                c: round(float(v), 3)
                for c, v in zip(classes, f1_score(truth, pred, average=None, labels=classes), strict=True)
            }
    model = train(list(range(len(texts))))
    model.trained_at = datetime.now(UTC).replace(microsecond=0).isoformat()
    model.cv_macro_f1 = round(cv_f1, 3) if cv_f1 is not None else None
    model.cv_per_class = per_class
    model.temperature = heat
    return model


def embed(embeddings: NamedEmbeddings | None, texts: list[str]) -> np.ndarray | None:
    if embeddings is None:
        return None
    return embeddings.encode([t[:EMBED_CHARS] for t in texts])


_LOADED: dict[tuple[str, int], TriageModel] = {}


class ModelStore:
    """Triage models per knowledge base and target, under ``<home>/triage/``."""

    def __init__(self, home: Path) -> None:
        self.root = home / "triage"

    def _path(self, kb: str, target: str) -> Path:
        safe = re.sub(r"[^a-zA-Z0-9_-]", "_", target)[:40]
        return self.root / kb_key(kb) / f"{safe}.joblib"

    def save(self, kb: str, model: TriageModel) -> Path:
        import joblib

        path = self._path(kb, model.target)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        joblib.dump(model, tmp)
        tmp.replace(path)
        path.with_suffix(".json").write_text(
            json.dumps(model.meta(), ensure_ascii=False, indent=2), encoding="utf-8"
        )
        return path

    def load_all(self, kb: str) -> list[TriageModel]:
        """The trained models; each file is loaded once per version per process (servers triage often)."""
        import joblib

        folder = self.root / kb_key(kb)
        out = []
        for p in sorted(folder.glob("*.joblib")) if folder.exists() else []:
            key = (str(p), p.stat().st_mtime_ns)
            if key not in _LOADED:
                _LOADED[key] = joblib.load(p)
            out.append(_LOADED[key])
        return out

    def metas(self, kb: str) -> list[dict[str, Any]]:
        """What was trained, when and how well (the JSON written beside each model; no model load)."""
        folder = self.root / kb_key(kb)
        files = sorted(folder.glob("*.json")) if folder.exists() else []
        return [json.loads(p.read_text(encoding="utf-8")) for p in files]

    def require(self, kb: str) -> list[TriageModel]:
        models = self.load_all(kb)
        if not models:
            raise NotFound(
                f"no triage model for knowledge base {kb!r}; train one with "
                f"`assistant triage train --kb {kb} --target category`"
            )
        return models


def jaccard(a: str, b: str) -> float:
    x, y = set(tokenize(a)), set(tokenize(b))
    return len(x & y) / len(x | y) if x and y else 0.0


def confidence_label(label: str, confidence: float, threshold: float) -> dict[str, Any]:
    return {
        "label": label if confidence >= threshold else "uncertain",
        "predicted": label,
        "confidence": round(confidence, 3),
    }


def entropy_threshold(n_labels: int) -> float:
    """'uncertain' below this: a little above chance for the number of labels."""
    return min(0.9, max(0.35, 1.5 / max(n_labels, 2)))


def safe_round(v: float | None) -> float | None:
    return None if v is None or math.isnan(v) else round(v, 3)
