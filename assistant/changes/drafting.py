"""Drafting a change request: the fields found in the knowledge base (affected requirements,
current behaviour, related incidents, modules) and, in LLM modes, a cited impact summary."""

from __future__ import annotations

import re
from typing import Any

from assistant.changes.models import MODULE_WORDS
from assistant.errors import InvalidInput
from assistant.text import detect_language


def modules_in(text: str) -> list[str]:
    return [m for m, pattern in MODULE_WORDS.items() if re.search(pattern, text, re.I)]


def draft_fields(
    text: str,
    requester: str,
    title: str | None = None,
    spec_hits: list[Any] | None = None,
    manual_hits: list[Any] | None = None,
    incidents: list[dict[str, Any]] | None = None,
    source: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Fill a change request from the source text and retrieval; judgement fields are proposals."""
    text = (text or "").strip()
    if not text:
        raise InvalidInput("the change request text is empty")
    first = re.split(r"(?<=[。！？.!?])\s*", text)[0]
    reason = re.search(r"(因为|由于|为了|以便|because|so that|in order to)(.+?)(?:[。.!?！？]|$)", text, re.I)
    reqs = []
    for h in spec_hits or []:
        ids = h.chunk.req_ids or []
        reqs.append(
            {
                "id": ids[0] if ids else h.chunk.section,
                "ids": ids,
                "source": h.chunk.source,
                "page": h.chunk.page,
                "section": h.chunk.section,
                "snippet": h.chunk.text[:240],
            }
        )
    current = [
        {
            "source": h.chunk.source,
            "page": h.chunk.page,
            "section": h.chunk.section,
            "snippet": h.chunk.text[:300],
        }
        for h in manual_hits or []
    ]
    modules = modules_in(text + " " + " ".join(r["snippet"] for r in reqs))
    size = len(reqs) + len(modules)
    effort = 2 if size <= 1 else 5 if size <= 3 else 10
    proposal = {"proposed": True, "basis": f"{len(reqs)} affected requirement(s), {len(modules)} module(s)"}
    return {
        "title": (title or first)[:120],
        "requester": requester,
        "background": text,
        "current_behaviour": current,
        "requested_change": text,
        "reason": reason.group(2).strip() if reason else None,
        "affected_modules": modules,
        "affected_requirements": reqs,
        "related_incidents": incidents or [],
        "impact": {
            "effort_days": {"value": effort, **proposal},
            "schedule": {
                "value": "fits the current phase" if effort <= 5 else "needs re-planning",
                **proposal,
            },
            "cost": {"value": None, "proposed": True, "basis": "for the consultant to fill"},
            "risk": {"value": "medium" if reqs else "low", **proposal},
        },
        "acceptance_criteria": [
            {
                "text": (
                    f"变更上线后，用户执行“{first}”时，系统按申请的方式工作。"
                    if detect_language(text) == "zh"
                    else f"Given the change is deployed, when users do: {first} — it works as requested."
                ),
                "proposed": True,
            }
        ],
        "attachments": [],
        "source": source or {"kind": "text"},
        "needs_person": ["impact.cost", "impact.effort_days", "acceptance_criteria", "reason"]
        if not reason
        else ["impact.cost", "impact.effort_days", "acceptance_criteria"],
    }


def draft_prose(llm: Any, request: str, hits: list[Any]) -> dict[str, Any]:
    """LLM-written impact summary with citations checked like help-desk answers; nothing on failure."""
    from langchain_core.output_parsers import StrOutputParser
    from langchain_core.prompts import ChatPromptTemplate

    from assistant.chains.answer import format_context, validate_citations
    from assistant.chains.prompts import CR_PROSE_PROMPT
    from assistant.providers.llm import describe_llm_error

    if not hits:
        return {"llm_flags": ["no_passages"]}
    chain = ChatPromptTemplate.from_messages([("human", CR_PROSE_PROMPT)]) | llm | StrOutputParser()
    try:
        raw = chain.invoke({"request": request, "context": format_context(hits)})
    except Exception as e:
        return {"llm_flags": ["llm_unavailable"], "llm_error": describe_llm_error(e)}
    cleaned, citations, flags = validate_citations(raw.strip(), hits)
    if not citations:
        return {"llm_flags": [*flags, "llm_uncited"]}
    return {"summary": cleaned, "summary_citations": [c.model_dump() for c in citations], "llm_flags": flags}
