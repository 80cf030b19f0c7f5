"""LangChain tools (``@tool``) over the domain services, for chains that let an LLM call them.

:func:`make_tools` binds them to one knowledge base and one caller: a tool the caller's role may not
use is not handed out at all, so the model cannot call it. Each tool returns JSON-ready values with
the ids a person or the model can cite (source, page, section; ticket ids; requirement ids).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from langchain_core.tools import BaseTool, tool

from assistant.access.models import Principal
from assistant.errors import AssistantError
from assistant.retrieval.hybrid import HybridRetriever, HybridSearcher
from assistant.schemas import DocType
from assistant.support.models import INCIDENT_PREFIX

__all__ = ["make_tools"]

MAX_SNIPPET = 600


def _where(chunk: Any) -> dict[str, Any]:
    return {"source": chunk.source, "page": chunk.page, "section": chunk.section, "title": chunk.title}


def make_tools(
    kb: str,
    searcher: HybridSearcher,
    principal: Principal | None = None,
    triage: Callable[[str], dict[str, Any]] | None = None,
) -> list[BaseTool]:
    """The tools for one knowledge base, as the caller may use them.

    Args:
        kb: the knowledge base the tools work on.
        searcher: its hybrid searcher.
        principal: the caller; None means a local operator with every capability (the CLI).
        triage: the support desk's triage of one ticket text (offered to roles with ticket access).
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
        chunk = searcher.kb.find_requirement(requirement_id.strip())
        if chunk is None:
            return {"id": requirement_id, "found": False}
        line = next((ln for ln in chunk.text.split("\n") if requirement_id in ln), chunk.text[:300])
        return {"id": requirement_id, "found": True, "statement": line.strip(), **_where(chunk)}

    tools: list[BaseTool] = [search_knowledge_base, lookup_requirement]
    if not tickets_allowed:
        return tools

    @tool
    def find_similar_incidents(description: str, k: int = 5) -> list[dict[str, Any]]:
        """Find earlier support tickets similar to a problem description, with their ids."""
        if not searcher.kb.has_doc_type(DocType.incident.value):
            return []
        hits = searcher.search(description[:3000], max(1, min(k, 10)), doc_types=[DocType.incident.value])
        return [
            {"id": h.chunk.source[len(INCIDENT_PREFIX) :], "title": h.chunk.title, "score": round(h.score, 4)}
            for h in hits
        ]

    tools.append(find_similar_incidents)
    if triage is not None:
        run_triage = triage

        @tool
        def triage_ticket(text: str) -> dict[str, Any]:
            """Suggest category and priority for a new ticket, with similar incidents and duplicates."""
            try:
                return run_triage(text)
            except AssistantError as e:
                return {"error": str(e)}

        tools.append(triage_ticket)
    return tools
