"""Hybrid retrieval: lexical for Chinese, dense for English paraphrase, fusion, filters, isolation."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.errors import InvalidInput, NotFound
from assistant.services import Services
from tests.conftest import ROOT


@pytest.fixture
def demo(services: Services) -> Services:
    report = services.ingest("demo", [ROOT / "corpus"])
    assert not report.failed
    return services


def test_chinese_question_finds_chinese_procedure(demo: Services) -> None:
    hits = demo.search("demo", "忘记密码怎么办？", k=3)
    assert hits[0].chunk.language == "zh"
    assert any("忘记密码" in h.chunk.text for h in hits[:2])
    assert hits[0].lexical_rank is not None


def test_english_paraphrase_found_by_dense_side(demo: Services) -> None:
    # shares almost no word with the answer ("Can I issue material during a stock count? No. Bins ... blocked")
    hits = demo.search("demo", "can I move stuff out of a location while it is being counted", k=3)
    assert "Bins in an open count document are blocked" in hits[0].chunk.text
    assert hits[0].dense_rank == 1


def test_fusion_uses_both_rankings(demo: Services) -> None:
    hits = demo.search("demo", "over-delivery tolerance goods receipt 5%", k=5)
    assert any(h.dense_rank and h.lexical_rank for h in hits)
    assert hits == sorted(hits, key=lambda h: h.score, reverse=True)


def test_filters_by_type_and_language(demo: Services) -> None:
    hits = demo.search("demo", "采购申请 审批", k=10, doc_types=["spec"])
    assert hits and {h.chunk.doc_type.value for h in hits} == {"spec"}
    hits = demo.search("demo", "purchase requisition approval 采购申请", k=10, languages=["en"])
    assert hits and {h.chunk.language for h in hits} == {"en"}


def test_one_chunk_per_chapter_before_repeats(demo: Services) -> None:
    hits = demo.search("demo", "purchase requisition", k=4)

    def chapter(c):  # type: ignore[no-untyped-def]
        parts = c.section.split(" > ")
        return c.source, (parts[1:] if parts[0] == c.title else parts)[:1]

    chapters = [str(chapter(h.chunk)) for h in hits]
    assert len(set(chapters)) == len(chapters)


def test_knowledge_bases_are_isolated(services: Services, tmp_path: Path) -> None:
    a = tmp_path / "a.md"
    a.write_text("# A\n\nThe warehouse in Suzhou counts stock every Friday.\n")
    b = tmp_path / "b.md"
    b.write_text("# B\n\n无锡分厂每月最后一天全面盘点。\n")
    services.ingest("客户甲", [a])
    services.ingest("client-b", [b])
    assert all(h.chunk.kb == "客户甲" for h in services.search("客户甲", "无锡 盘点 warehouse stock", k=10))
    assert all(
        h.chunk.source == "b.md" for h in services.search("client-b", "warehouse Suzhou Friday stock", k=10)
    )
    assert {i.name for i in services.list_kbs()} == {"客户甲", "client-b"}
    services.delete_kb("client-b")
    with pytest.raises(NotFound):
        services.search("client-b", "anything")
    assert services.search("客户甲", "warehouse Suzhou")


@pytest.mark.parametrize("query, k", [("", 5), ("   ", 5), ("x" * 5000, 5), ("ok", 0), ("ok", 101)])
def test_bad_queries_raise(demo: Services, query: str, k: int) -> None:
    with pytest.raises(InvalidInput):
        demo.search("demo", query, k=k)


def test_unknown_type_filter_raises(demo: Services) -> None:
    with pytest.raises(InvalidInput, match="document type"):
        demo.search("demo", "审批", doc_types=["brochure"])


def test_langchain_retriever(demo: Services) -> None:
    docs = demo.retriever("demo", k=3).invoke("盘点期间能否发料")
    assert len(docs) == 3 and docs[0].metadata["source"] and docs[0].page_content
