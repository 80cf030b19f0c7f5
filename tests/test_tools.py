"""The LangChain tools over the services, called by a fake chat model through the tool-calling chain."""

from __future__ import annotations

import json

import pytest
from langchain_core.messages import AIMessage, ToolMessage

from assistant.access.models import Principal, Role
from assistant.errors import ConfigError, InvalidInput, PermissionDenied
from assistant.providers.fakes import ToolCallingFakeChatModel
from assistant.services import build_services
from tests.conftest import ROOT, import_sample_tickets


def _scripted(*messages: AIMessage) -> ToolCallingFakeChatModel:
    return ToolCallingFakeChatModel(messages=iter(messages))


def _call(name: str, args: dict[str, object], n: int) -> AIMessage:
    return AIMessage(
        content="", tool_calls=[{"name": name, "args": args, "id": f"call-{n}", "type": "tool_call"}]
    )


@pytest.fixture
def demo(settings, real_embeddings):  # type: ignore[no-untyped-def]
    settings.llm.mode = "openai"
    llm = _scripted(
        _call("lookup_requirement", {"requirement_id": "REQ-INV-011"}, 1),
        _call("search_knowledge_base", {"query": "盘点期间能不能发料", "k": 3}, 2),
        AIMessage(content="盘点期间库位冻结，不能发料（需求规格说明书-采购与库存.docx, REQ-INV-011）。"),
    )
    s = build_services(settings, embeddings=real_embeddings, llm=llm)
    assert not s.ingest("demo", [ROOT / "corpus"]).failed
    import_sample_tickets(s)
    return s


def test_the_model_calls_tools_and_their_results_reach_it(demo) -> None:  # type: ignore[no-untyped-def]
    result = demo.ask_with_tools("demo", "盘点期间能不能发料？")
    assert result.complete and result.steps == 3
    assert [c.name for c in result.tool_calls] == ["lookup_requirement", "search_knowledge_base"]
    req = result.tool_calls[0].result
    assert (
        req["found"]
        and req["source"].endswith("需求规格说明书-采购与库存.docx")
        and "REQ-INV-011" in req["statement"]
    )
    passages = result.tool_calls[1].result
    assert len(passages) == 3 and all({"source", "page", "section", "text"} <= set(p) for p in passages)
    # what the tools returned is what the model was sent, as tool messages answering its calls
    sent = [m for m in demo.llm.received[-1] if isinstance(m, ToolMessage)]
    assert [m.tool_call_id for m in sent] == ["call-1", "call-2"]
    assert json.loads(sent[0].content)["statement"] == req["statement"]
    assert "REQ-INV-011" in result.answer


def test_tools_follow_the_callers_role(demo) -> None:  # type: ignore[no-untyped-def]
    end_user = Principal("k1", "Li Lei", Role.end_user, ["demo"])
    support = Principal("k2", "Wang Fang", Role.support, ["demo"])
    assert [t.name for t in demo.tools("demo", end_user)] == ["search_knowledge_base", "lookup_requirement"]
    names = [t.name for t in demo.tools("demo", support)]
    assert names == ["search_knowledge_base", "lookup_requirement", "find_similar_incidents", "triage_ticket"]
    # an end user's search never returns incident tickets, even when asked with ticket words
    search = demo.tools("demo", end_user)[0]
    hits = search.invoke({"query": "仓库收货时系统提示数量超过订单，不能过账", "k": 10})
    assert hits and not any(h["source"].startswith("incidents/") for h in hits)
    similar = demo.tools("demo", support)[2].invoke(
        {"description": "仓库收货时系统提示数量超过订单，不能过账"}
    )
    assert similar and all(s["id"] for s in similar)
    with pytest.raises(PermissionDenied):
        demo.tools("other-kb", end_user)


def test_an_unknown_tool_and_a_missing_requirement_are_answered_not_raised(settings, real_embeddings) -> None:  # type: ignore[no-untyped-def]
    llm = _scripted(
        _call("drop_tables", {}, 1),
        _call("lookup_requirement", {"requirement_id": "REQ-NOPE-999"}, 2),
        _call("search_knowledge_base", {"k": 3}, 3),  # the required query is missing
        AIMessage(content="The specification has no such requirement."),
    )
    s = build_services(settings, embeddings=real_embeddings, llm=llm)
    assert not s.ingest("demo", [ROOT / "corpus" / "specs"]).failed
    result = s.ask_with_tools("demo", "What does REQ-NOPE-999 require?")
    assert (
        "error" in result.tool_calls[0].result
        and "lookup_requirement" in result.tool_calls[0].result["error"]
    )
    assert result.tool_calls[1].result == {"id": "REQ-NOPE-999", "found": False}
    assert "search_knowledge_base could not run" in result.tool_calls[2].result["error"]
    assert result.complete and result.steps == 4


def test_the_step_limit_ends_a_model_that_never_answers(settings, real_embeddings) -> None:  # type: ignore[no-untyped-def]
    llm = _scripted(*[_call("search_knowledge_base", {"query": "password"}, n) for n in range(5)])
    s = build_services(settings, embeddings=real_embeddings, llm=llm)
    assert not s.ingest("demo", [ROOT / "corpus" / "faq"]).failed
    result = s.ask_with_tools("demo", "How do I reset my password?", max_steps=2)
    assert not result.complete and result.steps == 2 and len(result.tool_calls) == 2
    for bad in (0, 11):
        with pytest.raises(InvalidInput, match="max_steps"):
            s.ask_with_tools("demo", "How do I reset my password?", max_steps=bad)


def test_without_an_llm_the_tool_chain_says_what_to_configure(services) -> None:  # type: ignore[no-untyped-def]
    assert not services.ingest("demo", [ROOT / "corpus" / "faq"]).failed
    with pytest.raises(ConfigError, match="LLM mode"):
        services.ask_with_tools("demo", "How do I reset my password?")
