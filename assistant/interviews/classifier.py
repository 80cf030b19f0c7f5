"""Requirement type classification (PROMISE taxonomy: F, and the non-functional kinds A, FT, L, LF,
MN, O, PE, PO, SC, SE, US).

The sentence embedding alone, standardised, into a class-balanced logistic regression whose strength
is chosen by cross-validation holding projects out (TypeModel); word features were dropped because
they did not carry over to other corpora (evals/reports/requirements-xcorpus.md). A trained model
decides functional or not from the user's rows alone and the non-functional kind also from the shipped
bilingual examples (TypeWithExamples). Before anyone trains, the default model learns from the
shipped examples alone and assumes half of all requirements functional (NEUTRAL_F_PRIOR). Training data comes
from CSV/XLSX/JSON(L) with a text and a label column, or from PROMISE-style ARFF files.
"""

from __future__ import annotations

import json
import os
import re
import threading
from collections.abc import Sequence
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


def labelled_rows(
    texts: list[str], labels: list[str | None], groups: list[Any] | None = None
) -> tuple[list[str], list[str], list[Any] | None]:
    """The rows with both a text and a known type, and their groups (None without one per row)."""
    keep = [i for i, (t, lab) in enumerate(zip(texts, labels, strict=True)) if t and lab]
    if not keep:
        raise InvalidInput("no rows with both a text and a label")
    ys = [str(labels[i]) for i in keep]
    unknown = sorted({lab for lab in ys if lab not in TYPE_NAMES})
    if unknown:
        raise InvalidInput(
            f"unknown requirement type(s) {', '.join(unknown)[:200]}; use: {', '.join(TYPE_NAMES)}"
        )
    kept_groups = [groups[i] for i in keep] if groups is not None and len(groups) == len(texts) else None
    return [texts[i] for i in keep], ys, kept_groups


def arff_projects(path: Path) -> list[int]:
    """The project id of each data line of a PROMISE-style ARFF file, in order."""
    out = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        if _ARFF_ROW.match(line):
            out.append(int(line.split(",", 1)[0].strip()))
    return out


class RequirementClassifier:
    """The requirement type classifier of a data directory (PROMISE codes, see TYPE_NAMES)."""

    def __init__(
        self,
        home: Path,
        embeddings: NamedEmbeddings,
        languages: tuple[str, ...] = ("en",),
        extra: Sequence[tuple[NamedEmbeddings, tuple[str, ...]]] = (),
        cache: Path | None = None,
    ) -> None:
        """``extra``: further embedding models (with the languages each reads) whose type models are
        averaged with the configured one's (``TypeEnsemble``); a model already present is left out."""
        self.path = home / "requirements" / "type.joblib"
        #: where the default model (trained from the shipped examples) is kept: the model cache, which
        #: several data directories may share, else next to the trained model
        self.defaults = cache / "requirement-types" if cache is not None else self.path.parent
        self.embeddings = embeddings
        self.languages = tuple(languages)
        self.members: list[tuple[NamedEmbeddings, tuple[str, ...]]] = [(embeddings, self.languages)]
        for emb, langs in extra:
            if emb.model_id not in {e.model_id for e, _ in self.members}:
                self.members.append((emb, tuple(langs)))

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
        """Train on one labelled set as ``train_file`` does (an ARFF's projects held out in the
        cross-validation), test on another (rows of both are compared without case)."""
        groups = arff_projects(train) if train.suffix.lower() == ".arff" else None
        return evaluate(
            self,
            read_labeled(train, text_col, label_col),
            read_labeled(test, text_col, label_col),
            groups,
        )

    def fit(
        self, texts: list[str], labels: list[str], groups: list[Any] | None = None, examples: bool = True
    ) -> TypeModel | TypeEnsemble | TypeWithExamples:
        """The type model of these rows: one ``TypeModel`` per embedding model, averaged when there
        are several; with ``examples``, paired with a second such model that also learns from the
        shipped examples which non-functional kind a requirement is (``TypeWithExamples``). Nothing
        is stored."""
        base = self._fit(texts, labels, groups)
        if not examples or len(texts) < EXAMPLES_FROM_ROWS:
            return base
        ex_texts, ex_labels = shipped_examples()
        weights = [1.0] * len(texts) + example_weights(labels, ex_labels)
        # the examples are one more group of the cross-validation (as text: project ids may be numbers)
        ex_groups = None if groups is None else [*map(str, groups), *(["shipped examples"] * len(ex_texts))]
        kinds = self._fit(
            [*texts, *ex_texts],
            [*labels, *ex_labels],
            ex_groups,
            weights=weights,
            scored=[True] * len(texts) + [False] * len(ex_texts),
        )
        return TypeWithExamples(base=base, kinds=kinds, examples=len(ex_texts))

    def _fit(
        self,
        texts: list[str],
        labels: list[str],
        groups: list[Any] | None,
        weights: list[float] | None = None,
        scored: list[bool] | None = None,
    ) -> TypeModel | TypeEnsemble:
        members = [(emb.model_id, embed(emb, texts), langs) for emb, langs in self.members]
        if len(members) == 1:
            model_id, vectors, langs = members[0]
            return TypeModel.fit(
                vectors,
                labels,
                model_id,
                groups,
                texts=texts,
                languages=langs,
                weights=weights,
                scored=scored,
            )
        return TypeEnsemble.fit(members, labels, groups, texts, weights=weights, scored=scored)

    def train(
        self, texts: list[str], labels: list[str | None], groups: list[Any] | None = None
    ) -> dict[str, Any]:
        xs, ys, kept_groups = labelled_rows(texts, labels, groups)
        model = self.fit(xs, ys, kept_groups)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        joblib.dump(model, tmp)
        tmp.replace(self.path)
        return model.meta()

    def load(self) -> TriageModel | TypeModel | TypeEnsemble | TypeWithExamples:
        """The trained classifier, else the bilingual default trained once from the shipped examples."""
        if self.path.exists():
            return joblib.load(self.path)  # type: ignore[no-any-return]
        import hashlib

        key = "+".join(f"{e.model_id}:{'-'.join(langs)}" for e, langs in self.members) + "-o3"
        tag = re.sub(r"[^\w.-]+", "-", key)[:60] + "-" + hashlib.sha1(key.encode()).hexdigest()[:8]
        default = self.defaults / f"default-{tag}.joblib"  # one per set of embedding models
        if default.exists():
            return joblib.load(default)  # type: ignore[no-any-return]
        model = self.default_model()
        default.parent.mkdir(parents=True, exist_ok=True)
        tmp = default.with_suffix(f".{os.getpid()}-{threading.get_ident()}.tmp")  # processes may share it
        joblib.dump(model, tmp)
        tmp.replace(default)
        return model

    def default_model(self) -> TypeModel | TypeEnsemble:
        """The model trained from the shipped examples (not stored): every kind equally often in
        them, so it assumes the neutral share of functional requirements (``NEUTRAL_F_PRIOR``)."""
        texts, labels = shipped_examples()
        model = self.fit(texts, labels, examples=False)  # the examples are the training rows already
        assert not isinstance(model, TypeWithExamples)
        model.f_prior = NEUTRAL_F_PRIOR
        return model

    def classify(
        self,
        texts: list[str],
        model: TriageModel | TypeModel | TypeEnsemble | TypeWithExamples | None = None,
    ) -> list[tuple[str, float]]:
        model = model or self.load()
        if isinstance(model, (TypeEnsemble, TypeWithExamples)):
            needed = model.embedding_models
        elif model.embedding_model:
            needed = [model.embedding_model]
        else:  # word features only
            return model.predict(texts, None)
        # each model gets its own vectors: MiniLM and e5-small vectors have the same size
        by_id = {e.model_id: e for e, _ in self.members}
        missing = [m for m in needed if m not in by_id]
        if missing:
            raise InvalidInput(
                f"the requirement type model was trained with the embedding model(s) {', '.join(missing)}, "
                "which this configuration does not use; train it again (assistant requirements train)"
            )
        vectors = {m: embed(by_id[m], texts) for m in needed}
        if isinstance(model, (TypeEnsemble, TypeWithExamples)):
            return model.predict(texts, vectors)
        return model.predict(texts, vectors[needed[0]])


def shipped_examples() -> tuple[list[str], list[str]]:
    """The 100 bilingual requirement examples that ship with the assistant (every kind in English
    and Chinese): the default model's training rows, and what ``TypeWithExamples`` adds for the kind."""
    from importlib import resources

    path = resources.files("assistant").joinpath("data/requirement_examples.csv")
    texts, labels, _ = labelled_rows(*read_labeled(Path(str(path)), "text", "label"))
    return texts, labels


def _key(text: str) -> str:
    """Compare requirement texts ignoring case, spacing and punctuation (an expanded set re-types some)."""
    return re.sub(r"[\W_]+", "", text.lower())[:200]


def evaluate(
    classifier: RequirementClassifier,
    train: tuple[list[str], list[str | None]],
    test: tuple[list[str], list[str | None]],
    groups: list[Any] | None = None,
) -> dict[str, Any]:
    """Macro-F1 over all kinds and for functional vs non-functional, test rows not in the training
    set, of the model ``classifier`` would train on ``train`` (``groups``: each training row's project)."""
    from sklearn.metrics import f1_score

    xs, ys, kept_groups = labelled_rows(*train, groups)
    seen = {_key(t) for t in [*xs, *shipped_examples()[0]]}  # the examples train the kind
    te = [(t, lab) for t, lab in zip(*test, strict=True) if t and lab and _key(t) not in seen]
    if not te:
        raise InvalidInput("no test rows left (all are also in the training data)")
    model = classifier.fit(xs, ys, kept_groups)
    xt = [t for t, _ in te]
    pred = [lab for lab, _ in classifier.classify(xt, model)]
    truth = [lab for _, lab in te]
    labels = sorted(set(truth) | set(pred))

    def binary(ys: list[str]) -> list[str]:
        return ["F" if y == "F" else "NFR" for y in ys]

    per = f1_score(truth, pred, average=None, labels=labels)
    return {
        "train_rows": len(xs),
        "test_rows": len(te),
        "embedding_models": [e.model_id for e, _ in classifier.members],
        "dropped_overlap": len([1 for t, lab in zip(*test, strict=True) if t and lab]) - len(te),
        "macro_f1_all_kinds": round(float(f1_score(truth, pred, average="macro")), 3),
        "macro_f1_f_vs_nfr": round(float(f1_score(binary(truth), binary(pred), average="macro")), 3),
        "per_class_f1": {lab: round(float(v), 3) for lab, v in zip(labels, per, strict=True)},
        "support": {lab: truth.count(lab) for lab in labels},
    }


#: training rows from which the shipped examples also teach the kind (``TypeWithExamples``): measured
#: with 347-970 rows; with 18 rows the 100 examples outvoted the user's own (a sentence the rows call
#: PE came out US), since in 384 dimensions a few rows are fitted whatever their weight
EXAMPLES_FROM_ROWS = 200

#: regularisation strengths the model chooses from by cross-validation on its training data
C_GRID = (0.03, 0.1, 0.3, 1.0)

#: the share of functional requirements the default model assumes. Its training rows, the shipped
#: examples, hold every kind about equally (12 F of 100) and the regression is class-balanced, so left
#: alone it takes one requirement in twelve for functional; real lists are about half functional
#: (PROMISE_exp 46%, our interviews 67%). 0.5 is the neutral value, not a figure fitted on a test set:
#: it raised the default's F vs NFR macro-F1 on PROMISE 1-15 0.661 -> 0.719, on PROMISE 16-49
#: 0.617 -> 0.78, and on extracted interview requirements (stop 42 note). A model trained on a user's
#: rows keeps their balance: on the PROMISE splits the same shift helped one direction and hurt the other.
NEUTRAL_F_PRIOR = 0.5


def decide(proba: Any, classes: Sequence[str], f_prior: float | None) -> list[tuple[str, float]]:
    """(type, probability) per row: the likeliest kind; with a prior of functional requirements, first
    functional or not (functional when its probability is at least that of all the other kinds
    together), then which non-functional kind."""
    import numpy as np

    classes = [str(c) for c in classes]
    if f_prior is None or "F" not in classes or len(classes) < 2:
        return [(classes[int(np.argmax(r))], float(np.max(r))) for r in proba]
    f = classes.index("F")
    out = []
    for r in proba:
        if r[f] >= 0.5:
            out.append(("F", float(r[f])))
        else:
            rest = [j for j in range(len(classes)) if j != f]
            j = max(rest, key=lambda k: r[k])
            out.append((classes[j], float(r[j])))
    return out


def with_f_prior(proba: Any, classes: Sequence[str], f_prior: float | None) -> Any:
    """Class-balanced probabilities re-weighted so that functional has prior ``f_prior`` and the other
    kinds share the rest equally (Saerens et al. 2002: posteriors under a new prior); unchanged
    without one."""
    import numpy as np

    if f_prior is None or "F" not in classes or len(classes) < 2:
        return proba
    k = len(classes)
    w = np.full(k, (1.0 - f_prior) / (k - 1))
    w[list(classes).index("F")] = f_prior
    out = np.asarray(proba, dtype=np.float64) * w
    return out / np.maximum(out.sum(axis=1, keepdims=True), 1e-12)


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


def _logistic(c: float) -> Any:
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=c, max_iter=4000, class_weight="balanced")


def _folds(y: Any, groups: list[Any] | None) -> list[tuple[Any, Any]]:
    """Cross-validation folds: five holding whole groups (projects) out when there are at least five,
    else stratified (none when a kind has a single row or there are fewer than 20 rows)."""
    import numpy as np
    from sklearn.model_selection import GroupKFold, StratifiedKFold

    counts = {lab: int((y == lab).sum()) for lab in set(y.tolist())}
    if groups is not None and len(set(groups)) >= 5:
        return list(GroupKFold(n_splits=5).split(np.zeros((len(y), 1)), y, groups))
    if min(counts.values()) >= 2 and len(y) >= 20:
        splitter = StratifiedKFold(n_splits=min(5, min(counts.values())), shuffle=True, random_state=7)
        return list(splitter.split(np.zeros((len(y), 1)), y))
    return []


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
    #: the share of functional requirements assumed (``NEUTRAL_F_PRIOR`` for the default model); None:
    #: the balance the model was trained with
    f_prior: float | None = None

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
        weights: Any = None,
        scored: Any = None,
    ) -> TypeModel:
        """``weights``: one per row (1 for every row without); ``scored``: the rows the
        cross-validation scores (every row without), e.g. the user's rows but not added examples."""
        import numpy as np
        from sklearn.metrics import f1_score
        from sklearn.preprocessing import StandardScaler

        from assistant.knowledge.store import now_iso

        offsets = language_offsets(model_id) if language_offset else {}
        x = _shift(texts, np.asarray(vectors, dtype=np.float64), offsets)
        y = np.array(labels)
        counts = {lab: int((y == lab).sum()) for lab in set(labels)}
        if len(counts) < 2:
            raise InvalidInput("training needs at least two requirement types")

        def model(c: float) -> Any:
            return _logistic(c)

        w = np.ones(len(y)) if weights is None else np.asarray(weights, dtype=np.float64)
        keep = np.ones(len(y), dtype=bool) if scored is None else np.asarray(scored, dtype=bool)
        folds = _folds(y, groups)
        best_c, best, best_bin = 1.0, None, None
        for c in C_GRID if folds else (1.0,):
            pred = np.empty_like(y)
            for tr, te in folds:
                scaler = StandardScaler().fit(x[tr])
                fitted = model(c).fit(scaler.transform(x[tr]), y[tr], sample_weight=w[tr])
                pred[te] = fitted.predict(scaler.transform(x[te]))
            if not folds:
                break
            score = float(f1_score(y[keep], pred[keep], average="macro", zero_division=0))
            if best is None or score > best:
                binary = np.where(y[keep] == "F", "F", "N"), np.where(pred[keep] == "F", "F", "N")
                best_c, best = c, score
                best_bin = float(f1_score(*binary, average="macro", zero_division=0))
        scaler = StandardScaler().fit(x)
        clf = model(best_c).fit(scaler.transform(x), y, sample_weight=w)
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

    def probabilities(self, texts: list[str], vectors: Any) -> Any:
        """Each kind's probability from the embedding (rows: texts; columns: ``classifier.classes_``)."""
        import numpy as np

        if vectors is None:
            raise InvalidInput("the requirement type model needs the embedding model it was trained with")
        x = _shift(texts, np.asarray(vectors, dtype=np.float64), self.offsets)
        proba = self.classifier.predict_proba(self.scaler.transform(x))
        return with_f_prior(proba, [str(c) for c in self.classifier.classes_], self.f_prior)

    def predict(self, texts: list[str], vectors: Any) -> list[tuple[str, float]]:

        proba = self.probabilities(texts, vectors)
        out = decide(proba, list(self.classifier.classes_), self.f_prior)
        if self.lexical is None:
            return out
        return self.by_words(
            out, texts, vectors, [i for i, t in enumerate(texts) if _language(t) not in self.languages]
        )

    def by_words(
        self, out: list[tuple[str, float]], texts: list[str], vectors: Any, unread: list[int]
    ) -> list[tuple[str, float]]:
        """``out`` with the texts at ``unread`` (a language the embedding model does not read) typed
        by the word features instead, when the model has them."""
        import numpy as np

        if self.lexical is not None and unread:
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
            "f_prior": self.f_prior,
        }


def _readers(texts: list[str], members: Sequence[TypeModel]) -> list[list[int]]:
    """For each text, the members whose embedding model reads its language (a member without a
    language list reads every language)."""
    langs = [_language(t) for t in texts]
    return [[j for j, m in enumerate(members) if not m.languages or lang in m.languages] for lang in langs]


def _average(probas: Sequence[Any], readers: list[list[int]]) -> Any:
    """Per text, the mean of its readers' probabilities (of every member's where none reads it)."""
    import numpy as np

    stack = np.stack(probas)  # members x texts x kinds
    out = np.empty(stack.shape[1:])
    for i, who in enumerate(readers):
        out[i] = stack[who or list(range(len(probas))), i].mean(axis=0)
    return out


@dataclass
class TypeEnsemble:
    """Several ``TypeModel`` of the same rows, one per embedding model, whose probabilities are
    averaged: a text is typed by the members whose model reads its language (Chinese by the
    multilingual model alone, English by all).

    Two small sentence models disagree in different places: the mean of the English MiniLM's and
    multilingual-e5-small's probabilities typed the English test corpora better than either model
    alone, but for one F vs NFR figure 0.008 below MiniLM (evals/reports/requirements-xcorpus*.md). The members are weighted equally: a weight would
    be one more number to pick on the test corpora."""

    members: list[TypeModel]
    trained_at: str
    rows: int
    cv_macro_f1: float | None
    cv_f_vs_nfr: float | None
    target: str = "type"
    #: as ``TypeModel.f_prior``, applied to the members' mean
    f_prior: float | None = None

    @property
    def embedding_model(self) -> str | None:
        return self.members[0].embedding_model

    @property
    def embedding_models(self) -> list[str]:
        return [str(m.embedding_model) for m in self.members]

    @property
    def labels(self) -> list[str]:
        return self.members[0].labels

    @classmethod
    def fit(
        cls,
        members: Sequence[tuple[str | None, Any, tuple[str, ...]]],
        labels: list[str],
        groups: list[Any] | None,
        texts: list[str],
        language_offset: bool = True,
        weights: Any = None,
        scored: Any = None,
    ) -> TypeEnsemble:
        """``members``: (embedding model id, the rows' vectors, languages it reads) per model. Each
        member picks its own strength; the ensemble's cross-validated scores are those of the average
        on the same held-out folds."""
        import numpy as np
        from sklearn.metrics import f1_score
        from sklearn.preprocessing import StandardScaler

        from assistant.knowledge.store import now_iso

        fitted = [
            TypeModel.fit(
                v,
                labels,
                mid,
                groups,
                texts=texts,
                languages=langs,
                language_offset=language_offset,
                weights=weights,
                scored=scored,
            )
            for mid, v, langs in members
        ]
        y = np.array(labels)
        w = np.ones(len(y)) if weights is None else np.asarray(weights, dtype=np.float64)
        keep = np.ones(len(y), dtype=bool) if scored is None else np.asarray(scored, dtype=bool)
        readers = _readers(texts, fitted)
        cv, cv_bin = None, None
        folds = _folds(y, groups)
        if folds:
            pred = np.empty_like(y)
            for tr, te in folds:
                probas = []
                for m, (_, v, _) in zip(fitted, members, strict=True):
                    x = _shift(texts, np.asarray(v, dtype=np.float64), m.offsets)
                    scaler = StandardScaler().fit(x[tr])
                    clf = _logistic(m.c).fit(scaler.transform(x[tr]), y[tr], sample_weight=w[tr])
                    full = np.zeros((len(te), len(m.labels)))  # a fold may lack a kind
                    cols = [m.labels.index(str(c)) for c in clf.classes_]
                    full[:, cols] = clf.predict_proba(scaler.transform(x[te]))
                    probas.append(full)
                mean = _average(probas, [readers[i] for i in te])
                pred[te] = np.array(fitted[0].labels)[mean.argmax(axis=1)]
            cv = round(float(f1_score(y[keep], pred[keep], average="macro", zero_division=0)), 3)
            binary = np.where(y[keep] == "F", "F", "N"), np.where(pred[keep] == "F", "F", "N")
            cv_bin = round(float(f1_score(*binary, average="macro", zero_division=0)), 3)
        return cls(members=fitted, trained_at=now_iso(), rows=len(y), cv_macro_f1=cv, cv_f_vs_nfr=cv_bin)

    def predict(self, texts: list[str], vectors: dict[str, Any]) -> list[tuple[str, float]]:
        """``vectors``: the texts' embedding under each member's model id."""

        missing = [m for m in self.embedding_models if m not in vectors]
        if missing:
            raise InvalidInput(
                f"the requirement type model needs the embedding model(s) {', '.join(missing)}"
            )
        readers = _readers(texts, self.members)
        mean, classes = self.probabilities(texts, vectors)
        out = decide(mean, classes, self.f_prior)
        first = self.members[0]  # no member reads a text: the word features decide
        unread = [i for i, who in enumerate(readers) if not who]
        return first.by_words(out, texts, vectors[str(first.embedding_model)], unread)

    def probabilities(self, texts: list[str], vectors: dict[str, Any]) -> tuple[Any, list[str]]:
        """Per text the mean of its readers' probabilities, and the kinds of the columns."""
        readers = _readers(texts, self.members)
        probas = [m.probabilities(texts, vectors[str(m.embedding_model)]) for m in self.members]
        classes = [str(c) for c in self.members[0].classifier.classes_]
        return with_f_prior(_average(probas, readers), classes, self.f_prior), classes

    def meta(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "labels": self.labels,
            "trained_at": self.trained_at,
            "rows": self.rows,
            "cv_macro_f1": self.cv_macro_f1,
            "cv_f_vs_nfr_macro_f1": self.cv_f_vs_nfr,
            "embedding_model": self.embedding_model,
            "embedding_models": self.embedding_models,
            "members": [m.meta() for m in self.members],
            "language_offsets": sorted({lang for m in self.members for lang in (m.offsets or {})}),
            "f_prior": self.f_prior,
        }


def example_weights(user_labels: Sequence[str], example_labels: Sequence[str]) -> list[float]:
    """Weights for the shipped examples added to a user's rows that keep the user's share of
    functional requirements (the examples are mostly non-functional: unweighted, they pulled the
    Chinese rows, which in English training data are all examples, towards NFR; stop 32 note)."""
    share = sum(1 for lab in user_labels if lab == "F") / max(1, len(user_labels))
    n_f = sum(1 for lab in example_labels if lab == "F")
    n_nfr = len(example_labels) - n_f
    n = len(example_labels)
    return [
        (share * n / n_f if lab == "F" else (1 - share) * n / n_nfr) if (n_f and n_nfr) else 1.0
        for lab in example_labels
    ]


@dataclass
class TypeWithExamples:
    """Two type models of a user's rows: ``base`` (the rows alone) decides functional or not, and
    for a non-functional requirement ``kinds`` (the rows plus the shipped bilingual examples, weighted
    by ``example_weights``) picks which kind.

    The examples teach the rare kinds (L, MN, PO, SC) that a project's own rows hardly have, but as
    training rows for the whole decision they moved English F vs NFR down by 0.05 across corpora;
    kept to the kind they raised the twelve-kind score on every cross-corpus test set with F vs NFR
    unchanged (evals/reports/requirements-xcorpus*.md, stop 33 note)."""

    base: TypeModel | TypeEnsemble
    kinds: TypeModel | TypeEnsemble
    examples: int
    target: str = "type"

    @property
    def embedding_model(self) -> str | None:
        return self.base.embedding_model

    @property
    def embedding_models(self) -> list[str]:
        if isinstance(self.base, TypeEnsemble):
            return self.base.embedding_models
        return [str(self.base.embedding_model)]

    @property
    def labels(self) -> list[str]:
        return sorted(set(self.base.labels) | set(self.kinds.labels))

    @property
    def trained_at(self) -> str:
        return self.base.trained_at

    @staticmethod
    def _probabilities(
        model: TypeModel | TypeEnsemble, texts: list[str], vectors: dict[str, Any]
    ) -> tuple[Any, list[str]]:
        if isinstance(model, TypeEnsemble):
            return model.probabilities(texts, vectors)
        return model.probabilities(texts, vectors[str(model.embedding_model)]), [
            str(c) for c in model.classifier.classes_
        ]

    def _read(self, texts: list[str]) -> list[bool]:
        members = self.base.members if isinstance(self.base, TypeEnsemble) else [self.base]
        return [bool(who) for who in _readers(texts, members)]

    def predict(self, texts: list[str], vectors: dict[str, Any]) -> list[tuple[str, float]]:
        """``vectors``: the texts' embedding under each model id of ``embedding_models``."""
        import numpy as np

        missing = [m for m in self.embedding_models if m not in vectors]
        if missing:
            raise InvalidInput(
                f"the requirement type model needs the embedding model(s) {', '.join(missing)}"
            )
        if isinstance(self.base, TypeEnsemble):
            out = self.base.predict(texts, vectors)
        else:
            out = self.base.predict(texts, vectors[str(self.base.embedding_model)])
        base_p, base_classes = self._probabilities(self.base, texts, vectors)
        kind_p, kind_classes = self._probabilities(self.kinds, texts, vectors)
        f_col = base_classes.index("F") if "F" in base_classes else None
        nfr = [j for j, c in enumerate(kind_classes) if c != "F"]
        for i, read in enumerate(self._read(texts)):
            if not read or out[i][0] == "F" or not nfr:
                continue  # typed by the word features, or functional: the base model's answer stands
            share = kind_p[i, nfr] / max(float(kind_p[i, nfr].sum()), 1e-12)
            j = int(np.argmax(share))
            p_nfr = 1.0 - (float(base_p[i, f_col]) if f_col is not None else 0.0)
            out[i] = (kind_classes[nfr[j]], p_nfr * float(share[j]))
        return out

    def meta(self) -> dict[str, Any]:
        meta = self.base.meta()
        meta["labels_of_the_rows"] = meta["labels"]
        meta["labels"] = self.labels  # what it can predict: the examples add the kinds the rows lack
        meta["kinds_with_examples"] = {
            "examples": self.examples,
            "cv_macro_f1": self.kinds.cv_macro_f1,
        }
        return meta
