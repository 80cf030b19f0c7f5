"""Render the sample corpus (written for this project) into real PDF, DOCX, HTML and GBK text files.

    .venv/bin/python scripts/build_corpus.py      # needs the dev extra (reportlab)

The outputs are committed under corpus/; run this again only after editing the texts.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

from manual_content import MANUAL  # noqa: E402

CORPUS = ROOT / "corpus"

SPEC = {
    "title": "华东精密 ERP 项目需求规格说明书（采购与库存）",
    "meta": "项目：凤凰项目（华东精密机械有限公司 ERP 实施） 版本：V1.3 日期：2026-09-15 编制：实施顾问组",
    "sections": [
        (
            "1 项目范围",
            [
                "本说明书描述华东精密机械有限公司 ERP 一期的采购与库存需求，覆盖苏州总部工厂和无锡分厂两个库存组织。生产、销售和人力资源模块在二期实施，不在本说明书范围内。",
                (
                    "list",
                    [
                        "上线日期：2027 年 1 月 4 日。",
                        "关键用户：采购部 6 人，仓储部 14 人，财务部 4 人。",
                        "历史数据迁移：物料主数据、供应商主数据、未清采购订单和期初库存。",
                    ],
                ),
            ],
        ),
        (
            "2 术语",
            [
                (
                    "table",
                    [
                        ["术语", "说明"],
                        ["PR", "采购申请（Purchase Requisition）"],
                        ["PO", "采购订单（Purchase Order）"],
                        ["GR", "收货（Goods Receipt）"],
                        ["MRP", "物料需求计划"],
                    ],
                ),
            ],
        ),
        ("3 功能需求", []),
        (
            "3.1 采购申请",
            [
                (
                    "req",
                    "REQ-PUR-001",
                    "系统应支持需求部门在线创建采购申请，申请行包含物料编码、数量、需求日期、成本中心和项目号。",
                    "必须",
                ),
                (
                    "req",
                    "REQ-PUR-002",
                    "系统应按含税金额自动匹配四级审批流（5 千、5 万、50 万元为分界），审批人可在企业微信中审批。",
                    "必须",
                ),
                (
                    "req",
                    "REQ-PUR-003",
                    "紧急采购申请必须填写紧急原因，系统每月统计紧急采购占比，超过 15% 时提示采购经理。",
                    "应该",
                ),
                (
                    "req",
                    "REQ-PUR-004",
                    "审批人可设置审批代理人，代理期限不超过 30 天，代理审批记录保留在审批日志中。",
                    "应该",
                ),
            ],
        ),
        (
            "3.2 采购订单",
            [
                (
                    "req",
                    "REQ-PUR-010",
                    "系统应支持将已审批的采购申请合并转为采购订单，同一供应商、同一币种的申请行可合并。",
                    "必须",
                ),
                (
                    "req",
                    "REQ-PUR-011",
                    "采购订单价格默认取自有效的采购信息记录；手工修改价格超过 3% 时需采购经理审批。",
                    "必须",
                ),
                ("req", "REQ-PUR-012", "系统应通过邮件向供应商发送采购订单 PDF，并记录发送时间。", "可以"),
            ],
        ),
        (
            "3.3 收货与质检",
            [
                ("req", "REQ-INV-001", "仓库只能按采购订单收货；超收比例超过 5% 时系统阻止过账。", "必须"),
                (
                    "req",
                    "REQ-INV-002",
                    "需检验物料收货后自动进入质检库位，质检使用决策后转入非限制库存。",
                    "必须",
                ),
                (
                    "req",
                    "REQ-INV-003",
                    "收货时必须录入批次号，批次号规则为供应商代码 + 年月日 + 流水号。",
                    "必须",
                ),
            ],
        ),
        (
            "3.4 库存盘点",
            [
                (
                    "req",
                    "REQ-INV-010",
                    "系统应支持按 ABC 分类的循环盘点：A 类每月、B 类每季度、C 类每半年。",
                    "必须",
                ),
                ("req", "REQ-INV-011", "盘点期间冻结库位的出入库；差异率超过 2% 的物料必须复盘。", "必须"),
                ("req", "REQ-INV-012", "盘点差异金额超过 1 万元时，差异过账需财务经理审批。", "必须"),
                (
                    "req",
                    "REQ-INV-013",
                    "无锡分厂沿用月末全盘的做法，与苏州总部的循环盘点并行运行至 2027 年 6 月。",
                    "应该",
                ),
            ],
        ),
        (
            "4 非功能需求",
            [
                (
                    "table",
                    [
                        ["编号", "类别", "需求", "优先级"],
                        [
                            "REQ-NFR-001",
                            "性能",
                            "采购申请保存和提交的响应时间在 95% 的情况下不超过 2 秒。",
                            "必须",
                        ],
                        ["REQ-NFR-002", "安全", "密码至少 10 位，连续输错 5 次锁定 30 分钟。", "必须"],
                        ["REQ-NFR-003", "可用性", "系统在工作日 7:00–22:00 的可用率不低于 99.5%。", "必须"],
                        [
                            "REQ-NFR-004",
                            "审计",
                            "所有主数据变更保留修改人、修改时间和修改前后值，保存 5 年。",
                            "必须",
                        ],
                    ],
                ),
            ],
        ),
        (
            "5 数据迁移",
            [
                (
                    "list",
                    [
                        "物料主数据：约 12,000 条，清洗重复物料后导入，物料描述统一为“名称 规格 材质”格式。",
                        "供应商主数据：约 800 家，停用两年无交易的供应商不迁移。",
                        "期初库存：以 2026 年 12 月 31 日全面盘点结果为准。",
                    ],
                ),
            ],
        ),
        (
            "6 变更控制",
            [
                "需求基线经双方签字后冻结。任何变更须提交书面变更申请，由变更控制委员会（CCB）评审影响（工作量、进度、成本、风险）并批准后方可实施。",
            ],
        ),
    ],
}

FAQ_ZH = [
    (
        "如何重置 ERP 密码？",
        "在登录页点击“忘记密码”，输入工号和绑定手机号获取验证码后设置新密码。连续输错 5 次会锁定 30 分钟，锁定后请稍后再试或联系 IT 服务台。",
    ),
    (
        "采购申请提交后在哪里查看审批进度？",
        "进入“采购管理 > 采购申请 > 我的申请”，在“审批状态”列点击即可查看当前审批人和审批记录。",
    ),
    (
        "收货时提示“超收比例超过允许范围”怎么办？",
        "实收数量超过订单数量 5% 时系统阻止过账。请联系采购员修改采购订单数量，或按订单数量收货并将多余部分退回供应商。",
    ),
    (
        "盘点期间能否发料？",
        "不能。盘点单创建后相关库位冻结出入库，盘点差异过账后自动解冻。紧急发料请联系仓库主管从其他库位调拨。",
    ),
    (
        "月末结账后发现漏录的发票怎么办？",
        "期间关闭后不能直接过账，请联系财务经理临时开放期间，并在开放申请中注明原因。",
    ),
    (
        "手机上可以审批吗？",
        "可以。绑定企业微信后，待审批的采购申请和采购订单会推送到企业微信，点击即可审批。",
    ),
]

FAQ_EN = [
    (
        "How do I reset my ERP password?",
        "On the sign-in page click Forgot password, enter your employee number and registered mobile number, and set a new password with the SMS code. Five wrong passwords lock the account for 30 minutes.",
    ),
    (
        "Where can I see the approval status of my purchase requisition?",
        "Go to Procurement > Purchase Requisitions > My requisitions and click the Approval status column to see the current approver and the approval history.",
    ),
    (
        "Goods receipt says the over-delivery tolerance is exceeded. What now?",
        "Posting is blocked when the received quantity exceeds the ordered quantity by more than 5%. Ask the buyer to change the purchase order, or receive the ordered quantity and return the rest to the supplier.",
    ),
    (
        "Can I issue material during a stock count?",
        "No. Bins in an open count document are blocked; they are released when the differences are posted. For urgent issues ask the warehouse supervisor to transfer stock from another bin.",
    ),
    (
        "Can I approve on my phone?",
        "Yes. Once WeCom is linked, requisitions and purchase orders waiting for you are pushed to WeCom, where you can approve them.",
    ),
]

CUTOVER_GBK = """上线切换计划（凤凰项目）

一、切换时间安排
2026 年 12 月 31 日 18:00 起冻结旧系统的采购和库存业务，2027 年 1 月 4 日 8:00 新系统正式上线。

二、切换步骤
1. 12 月 31 日：完成全面盘点，导出期初库存。
2. 1 月 1 日：导入物料主数据、供应商主数据和未清采购订单，由关键用户抽样核对。
3. 1 月 2 日：导入期初库存，财务核对库存金额与总账一致，差异不超过 0.1%。
4. 1 月 3 日：关键用户完成上线前业务验证，项目经理签署上线确认单。

三、回退方案
如果 1 月 3 日 20:00 前业务验证未通过，由项目指导委员会决定是否回退到旧系统。回退时恢复 12 月 31 日的旧系统备份，期间手工单据在旧系统补录。

四、上线支持
上线后前两周，实施顾问在仓库和财务部现场支持，IT 服务台延长服务时间至 22:00。问题通过服务台工单系统记录，紧急问题拨打热线 8888。
"""


def build_manual_pdf(lang: str, path: Path) -> None:
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    font = "STSong-Light" if lang == "zh" else "Helvetica"
    bold = "STSong-Light" if lang == "zh" else "Helvetica-Bold"
    base = getSampleStyleSheet()
    wrap = "CJK" if lang == "zh" else None
    body = ParagraphStyle(
        "body", parent=base["Normal"], fontName=font, fontSize=10.5, leading=16, wordWrap=wrap
    )
    h1 = ParagraphStyle("h1", parent=base["Heading1"], fontName=bold, fontSize=18, leading=24)
    h2 = ParagraphStyle("h2", parent=base["Heading2"], fontName=bold, fontSize=13, leading=18)
    title_style = ParagraphStyle("t", parent=base["Title"], fontName=bold, fontSize=22, leading=30)
    manual = MANUAL[lang]

    class Doc(SimpleDocTemplate):
        def afterFlowable(self, flowable):  # type: ignore[no-untyped-def]
            if isinstance(flowable, Paragraph) and flowable.style.name in ("h1", "h2"):
                text = flowable.getPlainText()
                key = f"k{id(flowable)}"
                self.canv.bookmarkPage(key)
                self.canv.addOutlineEntry(text, key, level=0 if flowable.style.name == "h1" else 1)

    def footer(canvas, doc):  # type: ignore[no-untyped-def]
        canvas.setFont(font, 8)
        canvas.drawString(20 * mm, 10 * mm, f"{manual['title']}  ·  {doc.page}")

    story: list = [Paragraph(manual["title"], title_style), Paragraph(manual["subtitle"], body), PageBreak()]
    for chapter, sections in manual["chapters"]:
        story.append(Paragraph(chapter, h1))
        for section, blocks in sections:
            story.append(Paragraph(section, h2))
            for block in blocks:
                if isinstance(block, str):
                    story.append(Paragraph(block, body))
                elif block[0] == "steps":
                    for n, step in enumerate(block[1], 1):
                        story.append(Paragraph(f"{n}. {step}", body))
                elif block[0] == "table":
                    rows = [[Paragraph(c, body) for c in row] for row in block[1]]
                    t = Table(rows, colWidths=[45 * mm, 80 * mm, 35 * mm])
                    t.setStyle(
                        TableStyle(
                            [
                                ("GRID", (0, 0), (-1, -1), 0.5, "#888888"),
                                ("BACKGROUND", (0, 0), (-1, 0), "#dddddd"),
                            ]
                        )
                    )
                    story.append(t)
                story.append(Spacer(1, 4))
        story.append(PageBreak())
    doc = Doc(str(path), pagesize=A4, title=manual["title"], author="Phoenix project team")
    doc.build(story, onFirstPage=footer, onLaterPages=footer)


def build_spec_docx(path: Path) -> None:
    import docx
    from docx.shared import Pt

    d = docx.Document()
    d.core_properties.title = SPEC["title"]
    d.add_heading(SPEC["title"], level=0)
    d.add_paragraph(SPEC["meta"])
    for heading, blocks in SPEC["sections"]:
        d.add_heading(heading, level=1 if heading.count(".") == 0 else 2)
        for block in blocks:
            if isinstance(block, str):
                d.add_paragraph(block)
            elif block[0] == "list":
                for item in block[1]:
                    d.add_paragraph(item, style="List Bullet")
            elif block[0] == "table":
                rows = block[1]
                t = d.add_table(rows=len(rows), cols=len(rows[0]))
                t.style = "Table Grid"
                for r, row in enumerate(rows):
                    for c, value in enumerate(row):
                        t.cell(r, c).text = value
            elif block[0] == "req":
                _, rid, text, prio = block
                p = d.add_paragraph(style="List Number")
                run = p.add_run(f"{rid} ")
                run.bold = True
                p.add_run(f"{text}（优先级：{prio}）")
    for p in d.paragraphs:
        for r in p.runs:
            r.font.size = r.font.size or Pt(10.5)
    d.save(str(path))


def build_faq_html(path: Path) -> None:
    items = "\n".join(f"  <h2>{q}</h2>\n  <p>{a}</p>" for q, a in FAQ_ZH)
    path.write_text(
        '<!doctype html>\n<html lang="zh-CN">\n<head><meta charset="utf-8"><title>ERP 常见问题</title>'
        "<style>body{font-family:sans-serif}</style></head>\n<body>\n  <h1>ERP 常见问题</h1>\n"
        f"{items}\n</body>\n</html>\n",
        encoding="utf-8",
    )


def build_faq_md(path: Path) -> None:
    parts = ["# ERP FAQ", ""]
    for q, a in FAQ_EN:
        parts += [f"## {q}", "", a, ""]
    path.write_text("\n".join(parts), encoding="utf-8")


def main() -> None:
    build_manual_pdf("zh", CORPUS / "manuals" / "用户操作手册.pdf")
    build_manual_pdf("en", CORPUS / "manuals" / "user-manual-en.pdf")
    build_spec_docx(CORPUS / "specs" / "需求规格说明书-采购与库存.docx")
    build_faq_html(CORPUS / "faq" / "常见问题.html")
    build_faq_md(CORPUS / "faq" / "faq-en.md")
    (CORPUS / "notes" / "上线切换计划.txt").write_bytes(CUTOVER_GBK.encode("gbk"))
    print("corpus written to", CORPUS)


if __name__ == "__main__":
    main()
