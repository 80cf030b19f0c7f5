"""LangChain runnables: grounded answers, follow-up condensing (and later extraction and drafting)."""
