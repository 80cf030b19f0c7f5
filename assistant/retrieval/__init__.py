"""Hybrid retrieval: dense vectors and BM25 fused, filtered, over one knowledge base."""

from assistant.retrieval.hybrid import HybridRetriever, HybridSearcher

__all__ = ["HybridRetriever", "HybridSearcher"]
