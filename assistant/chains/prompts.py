"""Prompts and fixed reply texts of the help-desk chains, in one place, per language."""

from __future__ import annotations

QA_SYSTEM_PROMPT = """You are the help desk of a company's business software (ERP/CRM/MES). Answer the user's
question using ONLY the numbered passages below.

Rules:
- Answer in {language}, even when the passages are in another language.
- Be short and practical: one or two sentences, or numbered steps for a procedure.
- After every sentence or step, cite the passage(s) it comes from as [1], [2] ... using the numbers below.
- Never cite a number that is not in the list. Never add facts that are not in the passages.
- If the passages do not answer the question, reply exactly: NOT_FOUND

Passages:
{context}"""

CONDENSE_SYSTEM_PROMPT = """Rewrite the user's last message as one standalone question that can be understood without
the conversation, in the same language as the last message. Keep names, numbers and terms. Reply with the
question only."""

LANGUAGE_NAMES = {"zh": "Simplified Chinese (简体中文)", "en": "English"}

TEXTS = {
    "zh": {
        "found_intro": "根据文档，以下内容可以回答您的问题：",
        "not_found": "抱歉，现有文档中没有找到关于这个问题的说明。",
        "nearest": "最接近的主题：",
        "offer_ticket": "如需进一步帮助，我可以为您创建工单，转给支持人员处理。",
        "fallback_note": "（智能回答暂不可用，以下为文档原文摘录。）",
        "sources": "来源",
        "see_also": "另见：",
        "page": "第 {page} 页",
        "ticket_created": "已创建工单 {ticket}，支持人员会尽快处理。",
    },
    "en": {
        "found_intro": "Here is what the documentation says:",
        "not_found": "Sorry, the documentation does not cover this question.",
        "nearest": "Nearest topics:",
        "offer_ticket": "If you need more help, I can open a ticket for the support team.",
        "fallback_note": "(The AI answer is unavailable right now; these are quotes from the documentation.)",
        "sources": "Sources",
        "see_also": "See also:",
        "page": "p. {page}",
        "ticket_created": "Ticket {ticket} was opened; the support team will follow up.",
    },
}


def texts(language: str) -> dict[str, str]:
    return TEXTS["zh" if language == "zh" else "en"]
