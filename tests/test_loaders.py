from pathlib import Path

import pytest

from assistant.errors import DocumentParse, UnsupportedFormat
from assistant.ingest.loaders import load_docx, load_html, load_markdown, load_pdf, load_text, loader_for
from tests.conftest import make_docx, make_pdf

MD = """---
title: 用户手册
---
# Purchasing

Intro paragraph. Second sentence.

## Approval

1. Open the form.
2. Click **Submit**.

| Amount | Approver |
|---|---|
| < 5000 | Manager |

```bash
echo hi
```

[//]: # (a comment)
See [the guide](http://x) ![img](a.png).
"""


def test_markdown_structure() -> None:
    doc = load_markdown(MD.encode(), "manual.md")
    assert doc.title == "用户手册"
    kinds = [b.kind for b in doc.blocks]
    assert kinds == ["heading", "para", "heading", "list", "table", "code", "para"]
    assert doc.blocks[3].text.splitlines() == ["1. Open the form.", "2. Click Submit."]
    assert doc.blocks[4].rows == [["Amount", "Approver"], ["< 5000", "Manager"]]
    assert doc.blocks[-1].text == "See the guide ."


def test_html_structure() -> None:
    html = """<html><head><title>常见问题</title><script>x()</script></head><body>
    <h1>常见问题</h1><h2>如何重置密码？</h2><p>在登录页点击“忘记密码”。</p>
    <ol><li>输入工号</li><li>获取验证码</li></ol>
    <table><tr><th>A</th><th>B</th></tr><tr><td>1</td><td>2</td></tr></table></body></html>"""
    doc = load_html(html.encode("utf-8"), "faq.html")
    assert doc.title == "常见问题"
    assert [b.kind for b in doc.blocks] == ["heading", "heading", "para", "list", "table"]
    assert doc.blocks[3].text == "1. 输入工号\n2. 获取验证码"
    assert "x()" not in " ".join(b.text for b in doc.blocks)


def test_text_numbered_headings_gbk() -> None:
    text = "上线切换计划\n\n一、切换时间\n12 月 31 日冻结旧系统。\n\n二、切换步骤\n1. 完成盘点。\n2. 导入主数据。\n"
    doc = load_text(text.encode("gbk"), "plan.txt")
    assert doc.encoding == "gb18030"
    headings = [(b.text, b.level) for b in doc.blocks if b.kind == "heading"]
    assert headings == [("一、切换时间", 2), ("二、切换步骤", 2)]
    lists = [b.text for b in doc.blocks if b.kind == "list"]
    assert lists == ["1. 完成盘点。\n2. 导入主数据。"]


def test_docx_headings_lists_tables(tmp_path: Path) -> None:
    doc = load_docx(make_docx(tmp_path / "spec.docx").read_bytes(), "spec.docx")
    assert doc.title == "采购需求规格"
    headings = [(b.text, b.level) for b in doc.blocks if b.kind == "heading"]
    assert ("1 采购申请", 1) in headings and ("1.1 审批", 2) in headings
    lists = [b.text for b in doc.blocks if b.kind == "list"]
    assert lists[0].splitlines() == [
        "1. REQ-PUR-001 系统应支持在线创建采购申请。",
        "2. REQ-PUR-002 系统应按金额匹配审批流。",
    ]
    assert lists[1] == "- Approvers act in WeCom."
    table = next(b for b in doc.blocks if b.kind == "table")
    assert table.rows[0] == ["金额", "审批人"] and len(table.rows) == 3


def test_pdf_pages_and_bookmarked_sections(tmp_path: Path) -> None:
    path = make_pdf(
        tmp_path / "m.pdf",
        [
            ("第1章 登录", ["在登录页点击忘记密码。"]),
            ("Chapter 2 Purchasing", ["Open the requisition form."]),
        ],
    )
    doc = load_pdf(path.read_bytes(), "m.pdf")
    headings = [(b.text, b.page) for b in doc.blocks if b.kind == "heading"]
    assert headings == [("第1章 登录", 1), ("Chapter 2 Purchasing", 2)]
    paras = [(b.text, b.page) for b in doc.blocks if b.kind == "para"]
    assert ("在登录页点击忘记密码。", 1) in paras and ("Open the requisition form.", 2) in paras


def test_pdf_with_empty_user_password_opens(tmp_path: Path) -> None:
    from pypdf import PdfReader, PdfWriter

    plain = make_pdf(tmp_path / "p.pdf", [("Title", ["Body text here."])])
    writer = PdfWriter(clone_from=PdfReader(plain))
    writer.encrypt(user_password="", owner_password="owner")
    out = tmp_path / "owner-only.pdf"
    with out.open("wb") as f:
        writer.write(f)
    assert "Body text here." in " ".join(b.text for b in load_pdf(out.read_bytes(), "o.pdf").blocks)


@pytest.mark.parametrize(
    "data",
    [b"%PDF-1.4\n garbage garbage", b"not a pdf at all", b"%PDF-1.7\n" + bytes(range(256)) * 10],
)
def test_corrupt_pdf_raises_parse_error(data: bytes) -> None:
    with pytest.raises(DocumentParse):
        load_pdf(data, "bad.pdf")


def test_encrypted_pdf_raises_parse_error(tmp_path: Path) -> None:
    path = make_pdf(tmp_path / "secret.pdf", [("Secret", ["classified"])], encrypt="s3cret")
    with pytest.raises(DocumentParse, match="password"):
        load_pdf(path.read_bytes(), "secret.pdf")


def test_corrupt_docx_raises_parse_error() -> None:
    with pytest.raises(DocumentParse):
        load_docx(b"PK\x03\x04 broken zip", "x.docx")


def test_unsupported_format() -> None:
    with pytest.raises(UnsupportedFormat, match="supported"):
        loader_for("drawing.dwg")
