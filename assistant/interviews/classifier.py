"""Requirement type classification (PROMISE taxonomy: F, and the non-functional kinds A, FT, L, LF,
MN, O, PE, PO, SC, SE, US).

The sentence embedding alone, standardised, into a class-balanced logistic regression whose strength
is chosen by cross-validation holding projects out (TypeModel); word features were dropped because
they did not carry over to other corpora (evals/reports/requirements-xcorpus.md). Training data comes
from CSV/XLSX/JSON(L) with a text and a label column, or from PROMISE-style ARFF files.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import joblib

from assistant.errors import InvalidInput, NotFound
from assistant.ingest.tables import read_rows
from assistant.interviews.models import TYPE_NAMES
from assistant.learning.textclf import TriageModel, embed
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


def _language(text: str) -> str:
    from assistant.text import detect_language

    return "zh" if detect_language(text) == "zh" else "en"


def arff_projects(path: Path) -> list[int]:
    """The project id of each data line of a PROMISE-style ARFF file, in order."""
    out = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        if _ARFF_ROW.match(line):
            out.append(int(line.split(",", 1)[0].strip()))
    return out


class RequirementClassifier:
    """The requirement type classifier of a data directory (PROMISE codes, see TYPE_NAMES)."""

    def __init__(self, home: Path, embeddings: NamedEmbeddings, languages: tuple[str, ...] = ("en",)) -> None:
        self.path = home / "requirements" / "type.joblib"
        self.embeddings = embeddings
        self.languages = tuple(languages)

    read_labeled = staticmethod(read_labeled)

    def train_file(self, path: Path, text_col: str | None, label_col: str | None) -> dict[str, Any]:
        """Train on a labelled table or ARFF file (an ARFF's project ids make the cross-validation
        hold whole projects out)."""
        texts, labels = read_labeled(path, text_col, label_col)
        return self.train(texts, labels, arff_projects(path) if path.suffix.lower() == ".arff" else None)

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

    def train(
        self, texts: list[str], labels: list[str | None], groups: list[Any] | None = None
    ) -> dict[str, Any]:
        keep = [i for i, (t, lab) in enumerate(zip(texts, labels, strict=True)) if t and lab]
        pairs = [(texts[i], str(labels[i])) for i in keep]
        kept_groups = [groups[i] for i in keep] if groups is not None and len(groups) == len(texts) else None
        if not pairs:
            raise InvalidInput("no rows with both a text and a label")
        unknown = sorted({lab for _, lab in pairs if lab not in TYPE_NAMES})
        if unknown:
            raise InvalidInput(
                f"unknown requirement type(s) {', '.join(unknown)[:200]}; use: {', '.join(TYPE_NAMES)}"
            )
        xs = [t for t, _ in pairs]
        ys = [lab for _, lab in pairs]
        model = TypeModel.fit(
            embed(self.embeddings, xs),
            [str(y) for y in ys],
            self.embeddings.model_id,
            kept_groups,
            texts=xs,
            languages=self.languages,
        )
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        joblib.dump(model, tmp)
        tmp.replace(self.path)
        return model.meta()

    def load(self) -> TriageModel | TypeModel:
        """The trained classifier, else the bilingual default trained once from the shipped examples."""
        if self.path.exists():
            return joblib.load(self.path)  # type: ignore[no-any-return]
        tag = re.sub(r"[^\w.-]+", "-", f"{self.embeddings.model_id}-{'-'.join(self.languages)}-o1")[:80]
        default = self.path.with_name(f"default-{tag}.joblib")  # one per embedding model
        if default.exists():
            return joblib.load(default)  # type: ignore[no-any-return]
        from importlib import resources

        examples = resources.files("assistant").joinpath("data/requirement_examples.csv")
        texts, labels = read_labeled(Path(str(examples)), "text", "label")
        model = TypeModel.fit(
            embed(self.embeddings, texts),
            [str(lab) for lab in labels],
            self.embeddings.model_id,
            texts=texts,
            languages=self.languages,
        )
        default.parent.mkdir(parents=True, exist_ok=True)
        tmp = default.with_suffix(".tmp")
        joblib.dump(model, tmp)
        tmp.replace(default)
        return model

    def classify(
        self, texts: list[str], model: TriageModel | TypeModel | None = None
    ) -> list[tuple[str, float]]:
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
    model = TypeModel.fit(embed(embeddings, xs), [str(lab) for _, lab in tr], embeddings.model_id)
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


#: regularisation strengths the model chooses from by cross-validation on its training data
C_GRID = (0.03, 0.1, 0.3, 1.0)


def language_offsets(model_id: str | None) -> dict[str, Any]:
    """What to add to the embedding of a text in each language other than English so that it sits
    where its English translation would, for one embedding model: the mean English embedding minus the
    mean embedding in that language, over two real manuals written in both languages
    (``assistant/data/language_offsets.json``, made by ``python -m evals.language_offsets``). Empty for
    a model with no entry, whose vectors are then used as they are.

    A multilingual model puts a Chinese sentence and its English translation close but not together:
    every Chinese vector carries a shared language component, which a classifier trained on English
    rows reads as a type (Libovicky et al. 2020, "On the language neutrality of pre-trained
    multilingual representations")."""
    from importlib import resources

    import numpy as np

    if not model_id:
        return {}
    path = resources.files("assistant").joinpath("data/language_offsets.json")
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    entry = entries.get(model_id) or {}
    return {lang: np.asarray(v, dtype=np.float64) for lang, v in (entry.get("offsets") or {}).items()}


def _shift(texts: list[str] | None, x: Any, offsets: dict[str, Any] | None) -> Any:
    """The vectors with each non-English text's language offset added (a copy; unchanged without)."""
    import numpy as np

    if not offsets or texts is None:
        return x
    out = np.array(x, dtype=np.float64, copy=True)
    for i, text in enumerate(texts):
        offset = offsets.get(_language(text))
        if offset is not None and offset.shape[0] == out.shape[1]:
            out[i] += offset
    return out


@dataclass
class TypeModel:
    """Requirement type from the sentence embedding alone: standardised embedding dimensions into a
    class-balanced logistic regression (so that the commonest kinds of one corpus do not swallow the
    rare ones), its strength chosen by cross-validation that holds whole projects out when the
    training data names them.

    No word features: the words of one corpus ('The product shall ...') are what does not carry over
    to another; with the multilingual embedding, English training rows type Chinese requirements
    (evals/reports/requirements-xcorpus.md)."""

    labels: list[str]
    scaler: Any
    classifier: Any
    embedding_model: str | None
    trained_at: str
    rows: int
    c: float
    cv_macro_f1: float | None
    cv_f_vs_nfr: float | None
    target: str = "type"
    #: the languages the embedding model reads; text in another one goes to ``lexical``
    languages: tuple[str, ...] = ()
    #: word and character TF-IDF with the embedding (the triage model family), trained on every row,
    #: for text in a language the embedding model does not read (Chinese with the English default)
    lexical: Any = None
    #: per language, what is added to a text's embedding before classifying it (``language_offsets``);
    #: None in models trained before there were offsets
    offsets: dict[str, Any] | None = None

    @classmethod
    def fit(
        cls,
        vectors: Any,
        labels: list[str],
        model_id: str | None,
        groups: list[Any] | None = None,
        texts: list[str] | None = None,
        languages: tuple[str, ...] = (),
        language_offset: bool = True,
    ) -> TypeModel:
        import numpy as np
        from sklearn.linear_model import LogisticRegression
        from sklearn.metrics import f1_score
        from sklearn.model_selection import GroupKFold, StratifiedKFold
        from sklearn.preprocessing import StandardScaler

        from assistant.knowledge.store import now_iso

        offsets = language_offsets(model_id) if language_offset else {}
        x = _shift(texts, np.asarray(vectors, dtype=np.float64), offsets)
        y = np.array(labels)
        counts = {lab: int((y == lab).sum()) for lab in set(labels)}
        if len(counts) < 2:
            raise InvalidInput("training needs at least two requirement types")

        def model(c: float) -> Any:
            return LogisticRegression(C=c, max_iter=4000, class_weight="balanced")

        folds: list[tuple[Any, Any]] = []
        if groups is not None and len(set(groups)) >= 5:
            folds = list(GroupKFold(n_splits=5).split(x, y, groups))
        elif min(counts.values()) >= 2 and len(y) >= 20:
            folds = list(
                StratifiedKFold(n_splits=min(5, min(counts.values())), shuffle=True, random_state=7).split(
                    x, y
                )
            )
        best_c, best, best_bin = 1.0, None, None
        for c in C_GRID if folds else (1.0,):
            pred = np.empty_like(y)
            for tr, te in folds:
                scaler = StandardScaler().fit(x[tr])
                pred[te] = model(c).fit(scaler.transform(x[tr]), y[tr]).predict(scaler.transform(x[te]))
            if not folds:
                break
            score = float(f1_score(y, pred, average="macro", zero_division=0))
            if best is None or score > best:
                binary = np.where(y == "F", "F", "N"), np.where(pred == "F", "F", "N")
                best_c, best = c, score
                best_bin = float(f1_score(*binary, average="macro", zero_division=0))
        scaler = StandardScaler().fit(x)
        clf = model(best_c).fit(scaler.transform(x), y)
        lexical = None
        if texts is not None and languages:
            unread = [i for i, t in enumerate(texts) if _language(t) not in languages]
            if unread and len({labels[i] for i in unread}) >= 2:
                # words and characters help where the embedding reads nothing; trained on every row
                from assistant.learning.textclf import fit as fit_lexical

                try:
                    lexical = fit_lexical(texts, labels, x, "type", model_id, cross_validate=False)
                except InvalidInput:
                    lexical = None
        return cls(
            labels=sorted(counts),
            scaler=scaler,
            classifier=clf,
            embedding_model=model_id,
            trained_at=now_iso(),
            rows=len(y),
            c=best_c,
            cv_macro_f1=round(best, 3) if best is not None else None,
            cv_f_vs_nfr=round(best_bin, 3) if best_bin is not None else None,
            languages=tuple(languages),
            lexical=lexical,
            offsets=offsets or None,
        )

    def predict(self, texts: list[str], vectors: Any) -> list[tuple[str, float]]:
        import numpy as np

        if vectors is None:
            raise InvalidInput("the requirement type model needs the embedding model it was trained with")
        x = _shift(texts, np.asarray(vectors, dtype=np.float64), self.offsets)
        proba = self.classifier.predict_proba(self.scaler.transform(x))
        classes = list(self.classifier.classes_)
        out = [(str(classes[int(np.argmax(r))]), float(np.max(r))) for r in proba]
        if self.lexical is not None:
            unread = [i for i, t in enumerate(texts) if _language(t) not in self.languages]
            if unread:
                found = self.lexical.predict([texts[i] for i in unread], np.asarray(vectors)[unread])
                for i, hit in zip(unread, found, strict=True):
                    out[i] = hit
        return out

    def meta(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "labels": self.labels,
            "trained_at": self.trained_at,
            "rows": self.rows,
            "regularisation_c": self.c,
            "cv_macro_f1": self.cv_macro_f1,
            "cv_f_vs_nfr_macro_f1": self.cv_f_vs_nfr,
            "embedding_model": self.embedding_model,
            "language_offsets": sorted(self.offsets or {}),
        }
