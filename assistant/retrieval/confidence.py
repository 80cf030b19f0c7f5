"""How sure retrieval is that the knowledge base answers a question.

The decision uses the *fused* share (see ``HybridSearcher.relative_confidence``): measured on FAQ
benchmarks with the gold answers withheld, it is the signal that separates "the knowledge base
answers this" from "only related passages exist" (AUC 0.89 en / 0.83 zh), while the absolute
signals below barely do (0.5-0.6). Coverage still guards against questions about things the
documents never mention, where min-max normalised scores would look confident.

Absolute signals:

- *coverage*: the IDF-weighted share of the question's content words that occur in one retrieved
  chunk (text, section and title). A question about something the documents never mention leaves
  its rare words uncovered.
- *similarity*: the cosine similarity of the best dense hit, for languages the embedding model knows.
- *top similarity*: the cosine similarity of the best hit itself. A manual section that both rankers
  put first is still only on the question's topic when the embedding finds it far from the question
  (on the withheld benchmark: "What's the name of this project?" -> "Create Project", cosine 0.37);
  the answer engine asks passages that are not curated FAQ entries for a model-specific minimum.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from assistant.knowledge.store import KnowledgeBase
from assistant.retrieval.query import Query
from assistant.schemas import SearchHit
from assistant.text import tokenize


@dataclass
class Confidence:
    coverage: float
    similarity: float | None
    terms: list[str]
    uncovered: list[str]
    fused: float = 0.0  # the best hit's fused score as a share of the highest possible
    # cosine similarity of the best hit to the question, when the embedding model knows the
    # question's language (None otherwise, or when the dense side did not find that hit)
    top_similarity: float | None = None
    #: per retrieved hit, in rank order: (IDF-weighted share of the question's content words it
    #: contains, those words) -- the evidence that a passage is about what was asked
    per_hit: list[tuple[float, list[str]]] = field(default_factory=list)
    #: the best hit's fused score as a share of what a chunk of its own type can reach (1.0: both
    #: rankers put it first), see ``HybridSearcher.agreement``
    agreement: float = 0.0
    #: the answerability model's probability that the knowledge base answers the question (None
    #: when no model is in use)
    answerable: float | None = None


def term_idf(kb: KnowledgeBase, terms: Sequence[str]) -> dict[str, float]:
    total = kb.chunk_count() or 1
    return {
        t: math.log(1 + (total - df + 0.5) / (df + 0.5)) for t, df in kb.document_frequencies(terms).items()
    }


def measure(kb: KnowledgeBase, question: str | Query, hits: Sequence[SearchHit], top: int = 3) -> Confidence:
    terms = list(Query.of(question).terms)
    idf = term_idf(kb, terms)
    weight = sum(idf.values()) or 1.0
    best, best_uncovered = 0.0, list(terms)
    per_hit: list[tuple[float, list[str]]] = []
    for i, hit in enumerate(hits):
        c = hit.chunk
        present = set(tokenize(f"{c.title} {c.section} {c.text}"))
        covered = [t for t in terms if t in present or _stem_match(t, present)]
        share = sum(idf[t] for t in covered) / weight
        per_hit.append((share if terms else 0.0, covered))
        if i < top and share > best:
            best, best_uncovered = share, [t for t in terms if t not in covered]
    sims = [h.dense_score for h in hits[:top] if h.dense_score is not None]
    return Confidence(
        coverage=best if terms else 0.0,
        similarity=max(sims) if sims else None,
        terms=terms,
        uncovered=best_uncovered,
        per_hit=per_hit,
    )


def _stem_match(term: str, present: set[str]) -> bool:
    """'approvals' ~ 'approval', 'counted' ~ 'count': a cheap suffix match for English words."""
    if not term.isascii() or len(term) < 5:
        return False
    stem = term.rstrip("s")
    for suffix in ("ing", "ed", "es", "ion"):
        if stem.endswith(suffix) and len(stem) - len(suffix) >= 4:
            stem = stem[: -len(suffix)]
            break
    return any(p.startswith(stem) for p in present if len(p) >= len(stem))
