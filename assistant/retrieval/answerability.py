"""Whether the knowledge base answers a question: a small logistic model over evidence that
transfers between document sets.

The features describe one retrieval, never a document set: how far the two rankers agree on the
best passage (its fused score as a share of what a passage of its own type could reach, so that a
manual section ranked first by both rankers counts as much as an FAQ entry would), the reciprocal
rank each ranker gives it, how much of the question's content the passage covers, how far it
stands out from the runner-up, how long the question is, and whether the passage is a curated Q&A
entry. Left out on purpose: cosine similarity (its scale belongs to one embedding model and one
language) and how much of the question the passage's headings cover (the development sets' FAQ
answers lost their question headings when they were split, so a model learns the split, not the
documents: it weighted heading coverage *against* answering).

The coefficients are fitted by ``assistant eval answerability`` (``evals/answerability.py``) on
the development sets with leave-one-set-out cross-validation, and shipped in
``assistant/data/answerability.json``; the report beside them is
``evals/reports/answerability.md``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from assistant.errors import ConfigError
from assistant.retrieval.confidence import Confidence
from assistant.schemas import SearchHit

FEATURES = (
    "agreement",
    "lexical_rr",
    "dense_rr",
    "coverage",
    "margin",
    "curated",
    "question_terms",
)


def features(
    hits: Sequence[SearchHit], conf: Confidence, agreement: float, curated_types: Sequence[str]
) -> dict[str, float]:
    """The evidence of one retrieval, as the model's inputs (all zero without hits)."""
    if not hits:
        return dict.fromkeys(FEATURES, 0.0)
    top = hits[0]
    runner_up = hits[1].score if len(hits) > 1 else 0.0
    return {
        "agreement": agreement,
        "lexical_rr": 1.0 / top.lexical_rank if top.lexical_rank else 0.0,
        "dense_rr": 1.0 / top.dense_rank if top.dense_rank else 0.0,
        "coverage": conf.coverage,
        "margin": (top.score - runner_up) / top.score if top.score > 0 else 0.0,
        "curated": 1.0 if top.chunk.doc_type in curated_types else 0.0,
        "question_terms": math.log1p(len(conf.terms)),
    }


@dataclass(frozen=True)
class AnswerabilityModel:
    """Standardised logistic regression: p = sigmoid(b + sum w_i (x_i - mean_i) / scale_i)."""

    mean: tuple[float, ...]
    scale: tuple[float, ...]
    weights: tuple[float, ...]
    intercept: float
    #: the probability an answer needs (chosen by leave-one-set-out cross-validation)
    threshold: float
    provenance: str = ""

    def probability(self, x: dict[str, float]) -> float:
        z = self.intercept + sum(
            w * (x[name] - m) / (s or 1.0)
            for name, m, s, w in zip(FEATURES, self.mean, self.scale, self.weights, strict=True)
        )
        return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, z))))

    def to_json(self) -> dict[str, Any]:
        return {
            "features": list(FEATURES),
            "mean": list(self.mean),
            "scale": list(self.scale),
            "weights": list(self.weights),
            "intercept": self.intercept,
            "threshold": self.threshold,
            "provenance": self.provenance,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> AnswerabilityModel:
        if list(data.get("features", [])) != list(FEATURES):
            raise ConfigError("the answerability model was fitted on other features; fit it again")
        return cls(
            mean=tuple(float(v) for v in data["mean"]),
            scale=tuple(float(v) for v in data["scale"]),
            weights=tuple(float(v) for v in data["weights"]),
            intercept=float(data["intercept"]),
            threshold=float(data["threshold"]),
            provenance=str(data.get("provenance", "")),
        )


@cache
def shipped_model() -> AnswerabilityModel | None:
    """The model fitted on the development sets, or None when the package has none."""
    try:
        text = resources.files("assistant").joinpath("data/answerability.json").read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    return AnswerabilityModel.from_json(json.loads(text))
