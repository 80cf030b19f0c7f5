"""LangChain tools (``@tool``) over the domain services, for chains that let an LLM call them.

:func:`make_tools` binds them to one knowledge base and one caller: a tool the caller's role may not
use is not handed out at all, so the model cannot call it. Each tool returns JSON-ready values with
the ids a person or the model can cite (source, page, section; ticket ids; requirement ids).
"""

from __future__ import annotations

from typing import Any

from langchain_core.tools import BaseTool, tool

from assistant.access.models import Principal
from assistant.errors import AssistantError
from assistant.retrieval.hybrid import HybridRetriever, HybridSearcher
from assistant.schemas import DocType
from assistant.support.models import incident_id
from assistant.support.service import SupportDesk

__all__ = ["make_tools"]

MAX_SNIPPET = 600


def _where(chunk: Any) -> dict[str, Any]:
    return {"source": chunk.source, "page": chunk.page, "section": chunk.section, "title": chunk.title}


def make_tools(
    kb: str, searcher: HybridSearcher, support: SupportDesk, principal: Principal | None = None
) -> list[BaseTool]:
    """The tools for one knowledge base, as the caller may use them.

    Args:
        kb: the knowledge base the tools work on.
        searcher: its hybrid searcher.
        support: the support desk (similar incidents and triage, for roles with ticket access).
        principal: the caller; None means a local operator with every capability (the CLI).
    """
    tickets_allowed = principal is None or principal.can("read_tickets")
    doc_types = [t.value for t in DocType if tickets_allowed or t is not DocType.incident]

    @tool
    def search_knowledge_base(query: str, k: int = 5) -> list[dict[str, Any]]:
        """Search the project's manuals, specifications and FAQ for passages about the query.

        Returns the best passages with source file, page and section to cite."""
        retriever = HybridRetriever(searcher=searcher, k=max(1, min(k, 10)), doc_types=doc_types)
        try:
            docs = retriever.invoke(query)
        except AssistantError as e:
            return [{"error": str(e)}]
        keep = ("source", "page", "section", "title", "score")
        return [{**{f: d.metadata.get(f) for f in keep}, "text": d.page_content[:MAX_SNIPPET]} for d in docs]

    @tool
    def lookup_requirement(requirement_id: str) -> dict[str, Any]:
        """Look up a requirement of the specification by its id (e.g. REQ-PO-012 or V2.1.1)."""
        found = searcher.kb.find_requirement(requirement_id.strip())
        if found is None:
            return {"id": requirement_id, "found": False}
        chunk, line = found
        return {"id": requirement_id, "found": True, "statement": line, **_where(chunk)}

    tools: list[BaseTool] = [search_knowledge_base, lookup_requirement]
    if not tickets_allowed:
        return tools

    @tool
    def find_similar_incidents(description: str, k: int = 5) -> list[dict[str, Any]]:
        """Find earlier support tickets similar to a problem description, with their ids."""
        try:
            hits = support.incident_hits(searcher, description[:3000], max(1, min(k, 10)))
        except AssistantError as e:
            return [{"error": str(e)}]
        return [
            {"id": incident_id(h.chunk.source), "title": h.chunk.title, "score": round(h.score, 4)}
            for h in hits
        ]

    @tool
    def triage_ticket(text: str) -> dict[str, Any]:
        """Suggest category and priority for a new ticket, with similar incidents and duplicates."""
        try:
            return support.triage(kb, text)
        except AssistantError as e:
            return {"error": str(e)}

    return [*tools, find_similar_incidents, triage_ticket]
