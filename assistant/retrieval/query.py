"""A query analysed once: its text, its search terms (segmented, stop words removed) and its
language. Retrieval, confidence and the extractive answer all take this value instead of splitting
and detecting again."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from assistant.text import detect_language, query_terms


@dataclass(frozen=True)
class Query:
    text: str
    terms: tuple[str, ...]
    language: str  # zh, en or other (see assistant.text.detect_language)

    @classmethod
    def of(cls, text: str | Query) -> Query:
        """Analyse a text (a Query passes through unchanged)."""
        if isinstance(text, Query):
            return text
        return _analyse(text)


@lru_cache(maxsize=2048)
def _analyse(text: str) -> Query:
    """Segmentation and language detection of a text, once: a query that crosses a LangChain
    retriever (which takes a string) is not analysed again."""
    return Query(text, tuple(query_terms(text)), detect_language(text))
