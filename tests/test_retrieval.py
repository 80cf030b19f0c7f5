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


def test_common_terms_score_only_chunks_with_a_rarer_term(fast_services: Services, tmp_path: Path) -> None:
    """The common-term rule of the embedded lexical index: a term in at least the given share of the
    chunks adds its BM25 share only to chunks that hold a rarer query term; those keep their exact
    scores. A query of common terms alone, and a knowledge base below the size limit, are exact."""
    docs = tmp_path / "docs"
    docs.mkdir()
    filler = ["shipping labels", "invoice numbers", "stock counts", "returns desk", "scanner setup"]
    for i in range(30):
        (docs / f"w{i:02d}.md").write_text(
            f"# Note {i}\n\nThe warehouse handles {filler[i % 5]} every morning.\n", encoding="utf-8"
        )
    (docs / "only-common.md").write_text(
        "# Warehouse\n\nWarehouse warehouse warehouse: the warehouse.\n", encoding="utf-8"
    )
    (docs / "both.md").write_text(
        "# Pallets\n\nEach pallet leaves the warehouse with a label.\n", encoding="utf-8"
    )
    (docs / "rare.md").write_text("# Pallet wrap\n\nWrap every pallet twice.\n", encoding="utf-8")
    for i in range(7):
        (docs / f"o{i}.md").write_text(
            f"# Other {i}\n\nPrinter queue {i} is reset at noon.\n", encoding="utf-8"
        )
    fast_services.ingest("wh", [docs])
    kb = fast_services.kbs.get("wh")
    terms = ["warehouse", "pallet"]

    def sources(ranked: list) -> dict[str, float]:  # type: ignore[type-arg]
        return {c.source.rsplit("/", 1)[-1]: score for c, score in ranked}

    exact = sources(kb.lexical_search(terms, 100))
    ruled = sources(kb.lexical_search(terms, 100, common_share=0.5, common_from=0))
    assert "only-common.md" in exact and len(exact) == 33
    assert set(ruled) == {"both.md", "rare.md"}
    assert ruled == pytest.approx({s: exact[s] for s in ruled}, rel=1e-9)
    # the rarer term alone would rank them with less: the common term's share is kept
    assert ruled["both.md"] > sources(kb.lexical_search(["pallet"], 100))["both.md"]
    # common terms alone, or a knowledge base below the size limit: exact
    assert sources(kb.lexical_search(["warehouse"], 100, common_share=0.5, common_from=0)) == sources(
        kb.lexical_search(["warehouse"], 100)
    )
    assert sources(kb.lexical_search(terms, 100, common_share=0.5, common_from=41)) == exact
    assert set(sources(kb.lexical_search(terms, 100, common_share=0.5, common_from=40))) == set(ruled)
    # a word in no chunk (a typo) beside a common one: nothing to filter by, so exact, not empty
    typo = ["warehouse", "palett"]
    assert sources(kb.lexical_search(typo, 100, common_share=0.5, common_from=0)) == sources(
        kb.lexical_search(typo, 100)
    )
    assert len(sources(kb.lexical_search(typo, 100))) == 32
    # with a filter on the chunk table too (the join and the row-id filter together)
    filtered = sources(kb.lexical_search(terms, 100, languages=["en"], common_share=0.5, common_from=0))
    assert filtered == pytest.approx(ruled, rel=1e-9)
    # the searcher applies the settings: a large share keeps every chunk
    lexical_only = fast_services.settings.retrieval.model_copy(
        update={
            "dense_weight": 0.0,
            "dense_weight_other": 0.0,
            "common_terms_from": 0,
            "common_term_share": 0.5,
        }
    )
    hits = fast_services.searcher("wh", retrieval=lexical_only).search("warehouse pallet", 10)
    assert {h.chunk.source.rsplit("/", 1)[-1] for h in hits} == {"both.md", "rare.md"}
