import os

import pytest

from assistant.errors import DocumentParse
from assistant.ingest.encoding import decode_bytes
from assistant.text import detect_language, query_terms, split_sentences, tokenize

ZH = "第一章 采购管理\n采购申请需经部门经理审批。ERP 系统支持多级审批，金额超过五万元需财务总监审批。"


@pytest.mark.parametrize(
    "encoding, expected",
    [
        ("utf-8", "utf-8"),
        ("utf-8-sig", "utf-8-sig"),
        ("utf-16", "utf-16"),
        ("utf-16-le", "utf-16-le"),
        ("utf-16-be", "utf-16-be"),
        ("gbk", "gb18030"),
        ("gb18030", "gb18030"),
    ],
)
def test_decode_detects_encoding(encoding: str, expected: str) -> None:
    text, found = decode_bytes(ZH.encode(encoding))
    assert text == ZH
    assert found == expected


def test_gb18030_only_characters_survive() -> None:
    text = "生僻字：㐀㐁 与 €符号"
    assert decode_bytes(text.encode("gb18030"))[0] == text


@pytest.mark.parametrize("junk", [os.urandom(4000), bytes(range(256)) * 20, b"\x00\x01\x02\x03" * 500])
def test_binary_junk_is_refused(junk: bytes) -> None:
    with pytest.raises(DocumentParse):
        decode_bytes(junk)


def test_tokenize_mixes_jieba_and_words() -> None:
    tokens = tokenize("如何在ERP系统中重置密码？Reset the Password")
    assert {"重置", "密码", "erp", "系统", "reset", "password"} <= set(tokens)


def test_full_width_is_folded_for_matching() -> None:
    assert tokenize("ＥＲＰ") == tokenize("ERP") == ["erp"]


def test_query_terms_drop_stop_words() -> None:
    terms = query_terms("如何在系统中重置密码？How do I reset the password")
    assert "如何" not in terms and "the" not in terms and "重置" in terms and "reset" in terms


def test_detect_language() -> None:
    assert detect_language("采购申请需要审批 ERP") == "zh"
    assert detect_language("Purchase requisitions need approval 采购") == "en"
    assert detect_language("12345 --- !!!") == "other"


def test_split_sentences_both_languages() -> None:
    parts = split_sentences("第一句。第二句！Third one. v1.2 stays. 最后；end")
    assert parts[0] == "第一句。" and parts[1] == "第二句！"
    assert "".join(parts) == "第一句。第二句！Third one. v1.2 stays. 最后；end"
    assert any(p.strip() == "v1.2 stays." for p in parts)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("系統應支援ＡＰＰ掃碼，　還要記錄後台操作。", "系统应支援APP扫码， 还要记录后台操作。"),
        ("乾隆皇帝的頭髮", "乾隆皇帝的头发"),  # a phrase the tables keep traditional keeps its length too
        ("plain English, 10 秒", "plain English, 10 秒"),
    ],
)
def test_same_length_simplified_keeps_every_position(text: str, expected: str) -> None:
    from assistant.text import same_length_simplified

    out = same_length_simplified(text)
    assert out == expected and len(out) == len(text)
    # Chinese punctuation stays, so the clause rules read it as before
    assert "，" in same_length_simplified("需要，")
