"""The help desk: conversations, answers, feedback, tickets for unanswered questions, and the
content-gap report (unanswered and down-voted questions grouped by topic)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from typing import Any

from assistant.chains.answer import AnswerEngine, Turn, question_language
from assistant.chains.prompts import texts
from assistant.errors import InvalidInput
from assistant.helpdesk.store import ConversationStore
from assistant.knowledge.store import validate_kb_name
from assistant.schemas import Answer, Citation
from assistant.support.store import TicketStore
from assistant.text import query_terms

MAX_QUESTION_CHARS = 2000
MAX_COMMENT_CHARS = 2000
_CN_NUM = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
_STEP_REF = re.compile(r"第\s*([一二三四五六七八九十]|\d{1,2})\s*步|\bstep\s*(\d{1,2})\b", re.I)


class HelpDesk:
    def __init__(self, store: ConversationStore, tickets: TicketStore, engines: Any) -> None:
        """``engines(kb)`` returns the :class:`AnswerEngine` of a knowledge base."""
        self.store = store
        self.tickets = tickets
        self.engines = engines

    # -- asking -----------------------------------------------------------------------------
    def ask(
        self, kb: str, question: str, conversation_id: str | None = None, user: str | None = None
    ) -> Answer:
        final: Answer | None = None
        for event in self.ask_stream(kb, question, conversation_id, user):
            if isinstance(event, Answer):
                final = event
        assert final is not None
        return final

    def ask_stream(
        self, kb: str, question: str, conversation_id: str | None = None, user: str | None = None
    ) -> Iterator[str | Answer]:
        """Text deltas (LLM modes), then the stored :class:`Answer`."""
        question = clean_question(question)
        kb = validate_kb_name(kb)
        engine: AnswerEngine = self.engines(kb)
        conv = self.store.open(kb, conversation_id, user)
        history = self.history(conv)
        answer = self._step_follow_up(question, history, engine)
        if answer is None:
            for event in engine.stream(question, history):
                if isinstance(event, Answer):
                    answer = event
                else:
                    yield event
        assert answer is not None
        answer.conversation_id = conv
        answer.message_id = self.store.add_message(kb, conv, question, answer)
        yield answer

    def _step_follow_up(self, question: str, history: list[Turn], engine: AnswerEngine) -> Answer | None:
        """'那第二步呢？' / 'and step 3?': quote that step of the procedure the last answer cited."""
        m = _STEP_REF.search(question)
        if not m or not history or not history[-1].chunk_ids or len(question) > 40:
            return None
        raw = m.group(1) or m.group(2)
        n = _CN_NUM.get(raw) or int(raw)
        chunks = engine.searcher.kb.chunks_by_id(history[-1].chunk_ids)
        for cid in history[-1].chunk_ids:
            chunk = chunks.get(cid)
            if chunk is None:
                continue
            for line in chunk.text.split("\n"):
                if re.match(rf"^\s*(?:{n}[.)、]|[（(]{n}[)）]|步骤\s*{n}|Step\s+{n}\b)", line, re.I):
                    language = question_language(question)
                    cite = Citation(
                        n=1,
                        source=chunk.source,
                        page=chunk.page,
                        section=chunk.section,
                        snippet=line.strip(),
                        title=chunk.title,
                        chunk_id=chunk.chunk_id,
                    )
                    text = f"{texts(language)['found_intro']}\n\n> {line.strip()} [1]"
                    return Answer(
                        answer=text,
                        citations=[cite],
                        found=True,
                        mode=engine.mode,
                        language=language,
                        query=history[-1].query,
                        confidence=1.0,
                        flags=["step_follow_up"],
                    )
        return None

    # -- conversations ----------------------------------------------------------------------
    def history(self, conversation_id: str) -> list[Turn]:
        return [Turn(**t) for t in self.store.turns(conversation_id)]

    def conversation(self, conversation_id: str) -> dict[str, Any]:
        return self.store.conversation(conversation_id)

    def conversations(self, kb: str, limit: int = 50, user: str | None = None) -> list[dict[str, Any]]:
        """Newest first; ``user`` limits them to one user's conversations."""
        return self.store.conversations(kb, limit, user)

    def message_kb(self, message_id: str) -> str:
        return self.store.message_kb(message_id)

    def conversation_owner(self, conversation_id: str) -> tuple[str, str | None]:
        return self.store.conversation_owner(conversation_id)

    def message_owner(self, message_id: str) -> tuple[str, str | None]:
        return self.store.message_owner(message_id)

    def conversation_kb(self, conversation_id: str) -> str:
        return self.store.conversation_kb(conversation_id)

    # -- feedback and tickets ---------------------------------------------------------------
    def feedback(self, message_id: str, rating: int, comment: str | None = None) -> dict[str, Any]:
        if rating not in (1, -1):
            raise InvalidInput("rating must be 1 (thumbs up) or -1 (thumbs down)")
        if comment is not None and len(comment) > MAX_COMMENT_CHARS:
            raise InvalidInput(f"comment is longer than {MAX_COMMENT_CHARS} characters")
        kb = self.store.rate(message_id, rating, comment)
        return {"message_id": message_id, "rating": rating, "comment": comment, "kb": kb}

    def open_ticket(
        self,
        kb: str,
        question: str,
        conversation_id: str | None = None,
        user: str | None = None,
        details: str | None = None,
    ) -> dict[str, Any]:
        """A ticket for support from an unanswered question, with the conversation attached and what
        the user adds (steps, order numbers, what they see)."""
        question = clean_question(question)
        transcript = self.conversation(conversation_id)["messages"] if conversation_id else []
        return self.tickets.open_from_helpdesk(
            kb,
            question,
            conversation_id,
            [{"q": m["question"], "a": m["answer"]} for m in transcript],
            user,
            (details or "").strip()[:5000] or None,
        )

    # -- content gaps -----------------------------------------------------------------------
    def gaps(self, kb: str, since: str | None = None, until: str | None = None) -> list[dict[str, Any]]:
        """Unanswered and down-voted questions, grouped by topic (shared key words), biggest first.

        A topic is named by the question of its group that shares the most key words with the others
        (a phrase someone wrote, not a list of word fragments), cut to 40 characters."""
        rows = self.store.unanswered(kb, since, until)
        groups: list[dict[str, Any]] = []
        for r in rows:
            ordered = query_terms(r["question"])  # in question order: ties in the topic label stay stable
            terms = set(ordered)
            item = {
                "question": r["question"],
                "reason": "not_found" if not r["found"] else "down_voted",
                "comment": r["comment"],
                "at": r["created_at"],
                "message_id": r["id"],
            }
            best, best_sim = None, 0.0
            for g in groups:
                union = terms | g["terms"]
                sim = len(terms & g["terms"]) / len(union) if union else 0.0
                if sim > best_sim:
                    best, best_sim = g, sim
            if best is not None and best_sim >= 0.25:
                best["items"].append(item)
                best["counter"].update(ordered)
                best["terms"] |= terms
            else:
                groups.append({"terms": set(terms), "counter": Counter(ordered), "items": [item]})
        out = []
        for g in sorted(groups, key=lambda g: len(g["items"]), reverse=True):
            out.append({"topic": _topic_label(g), "count": len(g["items"]), "questions": g["items"]})
        return out


def _topic_label(group: dict[str, Any]) -> str:
    """The most central question of a group (ties: the shorter one), as a one-line phrase."""
    counter = group["counter"]

    def centrality(item: dict[str, Any]) -> tuple[float, int]:
        terms = set(query_terms(item["question"]))
        return (sum(counter[t] for t in terms) / (1 + len(terms)) ** 0.5, -len(item["question"]))

    best = max(group["items"], key=centrality)["question"]
    label = re.sub(r"\s+", " ", best).strip().rstrip("?？。.!！")
    return label if len(label) <= 40 else label[:39].rstrip() + "…"


def clean_question(question: str) -> str:
    q = (question or "").strip()
    if not q:
        raise InvalidInput("the question is empty")
    if len(q) > MAX_QUESTION_CHARS:
        raise InvalidInput(f"the question is longer than {MAX_QUESTION_CHARS} characters")
    return q
