"""The knowledge-base store: registry, chunks, lexical index and vectors of each knowledge base, and its query API."""
