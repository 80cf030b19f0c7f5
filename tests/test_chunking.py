from assistant.ingest.chunking import chunk_document
from assistant.schemas import Block, LoadedDocument


def doc(*blocks: Block) -> LoadedDocument:
    return LoadedDocument(title="Manual", blocks=list(blocks))


def test_section_paths_follow_heading_levels() -> None:
    d = doc(
        Block(kind="heading", text="Manual", level=1),
        Block(kind="heading", text="采购", level=2),
        Block(kind="heading", text="审批", level=3),
        Block(kind="para", text="审批规则。"),
        Block(kind="heading", text="库存", level=2),
        Block(kind="para", text="盘点规则。"),
    )
    chunks = chunk_document(d)
    assert [(c.section, c.text) for c in chunks] == [
        ("Manual > 采购 > 审批", "审批规则。"),
        ("Manual > 库存", "盘点规则。"),
    ]


def test_chunks_end_at_sentence_boundaries_chinese_and_english() -> None:
    zh = "".join(f"这是第{i}句话，用来测试中文分句是否正确。" for i in range(40))
    en = " ".join(f"This is sentence number {i} for the splitter test." for i in range(40))
    chunks = chunk_document(
        doc(Block(kind="para", text=zh), Block(kind="para", text=en)), chunk_size=300, min_chunk=50
    )
    assert len(chunks) > 4
    for c in chunks:
        assert len(c.text) <= 300 * 1.5
        assert c.text.endswith(("。", ".")), c.text[-20:]
    assert "".join(c.text for c in chunks if "这是" in c.text).replace("\n", "") == zh


def test_table_stays_whole_with_header() -> None:
    rows = [["Amount", "Approver"]] + [[str(i * 1000), f"Manager {i}"] for i in range(5)]
    chunks = chunk_document(
        doc(Block(kind="para", text="Intro." * 10), Block(kind="table", rows=rows)), chunk_size=200
    )
    table_chunks = [c for c in chunks if "| Amount | Approver |" in c.text]
    assert len(table_chunks) == 1
    assert all(f"Manager {i}" in table_chunks[0].text for i in range(5))


def test_large_table_split_by_rows_repeating_header() -> None:
    rows = [["编号", "说明"]] + [[f"R{i:03d}", "很长的说明文字" * 5] for i in range(60)]
    chunks = chunk_document(doc(Block(kind="table", rows=rows)), chunk_size=500, max_table_chars=600)
    assert len(chunks) > 3
    for c in chunks:
        assert c.text.startswith("| 编号 | 说明 |\n|---|---|")
    seen = [line for c in chunks for line in c.text.splitlines()[2:]]
    assert [line.split(" | ")[0] for line in seen] == [f"| R{i:03d}" for i in range(60)]


def test_list_items_are_kept_on_their_own_lines() -> None:
    chunks = chunk_document(
        doc(Block(kind="para", text="步骤如下。"), Block(kind="list", text="1. 打开。\n2. 提交。"))
    )
    assert chunks[0].text == "步骤如下。\n1. 打开。\n2. 提交。"


def test_small_tail_is_merged() -> None:
    text = "A" * 290 + ". " + "B" * 20 + "."
    chunks = chunk_document(doc(Block(kind="para", text=text)), chunk_size=300, min_chunk=50)
    assert len(chunks) == 1


def test_page_of_first_unit_is_kept() -> None:
    chunks = chunk_document(
        doc(Block(kind="para", text="Page three.", page=3), Block(kind="para", text="Still.", page=4))
    )
    assert chunks[0].page == 3
