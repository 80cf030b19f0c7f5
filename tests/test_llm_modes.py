"""LLM answer modes with LangChain's fake chat models: citation checks, fallbacks, streaming."""

from __future__ import annotations

import os

import pytest
from langchain_core.messages import AIMessage

from assistant.providers.fakes import FailingChatModel, FakeListChatModel, GenericFakeChatModel
from assistant.services import Services, build_services
from tests.conftest import ROOT


def desk_with(settings, real_embeddings, llm):  # type: ignore[no-untyped-def]
    settings.llm.mode = "openai"
    services = build_services(settings, embeddings=real_embeddings, llm=llm)
    assert not services.ingest("demo", [ROOT / "corpus"]).failed
    return services


def test_valid_citations_are_kept_and_renumbered(settings, real_embeddings) -> None:  # type: ignore[no-untyped-def]
    llm = FakeListChatModel(responses=["在登录页点击“忘记密码”[3]，输入工号和手机号获取验证码[3][1]。"])
    s = desk_with(settings, real_embeddings, llm)
    a = s.helpdesk.ask("demo", "如何重置密码？")
    assert a.found and a.mode == "openai" and not a.flags
    assert "[1]" in a.answer and "[2]" in a.answer and "[3]" not in a.answer
    assert [c.n for c in a.citations] == [1, 2]
    engine_hits = s.searcher("demo").search(a.query, 5)
    assert a.citations[0].chunk_id == engine_hits[2].chunk.chunk_id


def test_citation_to_nonexistent_source_is_removed_and_flagged(settings, real_embeddings) -> None:  # type: ignore[no-untyped-def]
    llm = FakeListChatModel(responses=["Open Forgot password on the sign-in page [1] and call 555-0100 [9]."])
    s = desk_with(settings, real_embeddings, llm)
    a = s.helpdesk.ask("demo", "How do I reset my password?")
    assert a.found and "invalid_citation_removed" in a.flags
    assert "[9]" not in a.answer and [c.n for c in a.citations] == [1]


def test_answer_without_any_valid_citation_is_not_shown(settings, real_embeddings) -> None:  # type: ignore[no-untyped-def]
    llm = FakeListChatModel(responses=["Just call the hotline, they will reset it [7]."])
    s = desk_with(settings, real_embeddings, llm)
    a = s.helpdesk.ask("demo", "How do I reset my password?")
    assert "hotline" not in a.answer
    assert {"invalid_citation_removed", "llm_uncited", "extractive_fallback"} <= set(a.flags)
    assert a.citations and a.found


def test_empty_answer_falls_back(settings, real_embeddings) -> None:  # type: ignore[no-untyped-def]
    s = desk_with(settings, real_embeddings, FakeListChatModel(responses=["   "]))
    a = s.helpdesk.ask("demo", "Can I approve on my phone?")
    assert {"llm_empty", "extractive_fallback"} <= set(a.flags) and a.citations


@pytest.mark.parametrize("error", [TimeoutError("Request timed out."), ConnectionError("Connection refused")])
def test_endpoint_failure_falls_back_to_extractive(settings, real_embeddings, error) -> None:  # type: ignore[no-untyped-def]
    s = desk_with(settings, real_embeddings, FailingChatModel(error=error))
    a = s.helpdesk.ask("demo", "Can I approve on my phone?")
    assert a.found and {"llm_unavailable", "extractive_fallback"} <= set(a.flags)
    assert "unavailable" in a.answer and "WeCom" in a.answer
    follow = s.helpdesk.ask(
        "demo", "and for suppliers?", a.conversation_id
    )  # condensing fails too: still answers
    assert "condense_failed" in follow.flags


def test_not_found_reply_from_model(settings, real_embeddings) -> None:  # type: ignore[no-untyped-def]
    s = desk_with(settings, real_embeddings, FakeListChatModel(responses=["NOT_FOUND"]))
    a = s.helpdesk.ask("demo", "Who approves a requisition of 60,000 CNY?")
    assert not a.found and "llm_not_found" in a.flags and a.nearest_topics


def test_condensing_follow_up_with_llm(settings, real_embeddings) -> None:  # type: ignore[no-untyped-def]
    llm = FakeListChatModel(
        responses=[
            "You can approve in WeCom [1].",
            "Can suppliers approve purchase orders on the phone?",
            "Only employees approve; see [2].",
        ]
    )
    s = desk_with(settings, real_embeddings, llm)
    first = s.helpdesk.ask("demo", "Can I approve on my phone?")
    follow = s.helpdesk.ask("demo", "what about for suppliers?", first.conversation_id)
    assert follow.query == "Can suppliers approve purchase orders on the phone?"


def test_streaming_yields_deltas_then_answer(settings, real_embeddings) -> None:  # type: ignore[no-untyped-def]
    llm = GenericFakeChatModel(messages=iter([AIMessage(content="Approve in WeCom on your phone [1].")]))
    s = desk_with(settings, real_embeddings, llm)
    events = list(s.helpdesk.ask_stream("demo", "Can I approve on my phone?"))
    deltas = [e for e in events if isinstance(e, str)]
    assert len(deltas) > 1 and "".join(deltas) == "Approve in WeCom on your phone [1]."
    final = events[-1]
    assert final.found and final.citations[0].n == 1 and final.message_id


@pytest.mark.integration
@pytest.mark.skipif(
    not os.environ.get("ASSISTANT_LLM__BASE_URL"), reason="set ASSISTANT_LLM__BASE_URL to run"
)
def test_real_endpoint(settings, real_embeddings) -> None:  # type: ignore[no-untyped-def]
    from assistant.providers.llm import make_chat_model
    from assistant.settings import Settings

    env = Settings()
    settings.llm = env.llm.model_copy(update={"mode": env.llm.mode if env.llm.mode != "none" else "openai"})
    s: Services = build_services(settings, embeddings=real_embeddings, llm=make_chat_model(settings.llm))
    s.ingest("demo", [ROOT / "corpus"])
    a = s.helpdesk.ask("demo", "如何重置密码？")
    assert a.found and a.citations and "extractive_fallback" not in a.flags
