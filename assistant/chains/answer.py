"""The help-desk answer pipeline (:class:`AnswerEngine`), one step after the other:

    condense follow-up  ->  hybrid retrieval + confidence  ->  decide found / not found
                        ->  extractive or LLM answer  ->  citation check

The pipeline is one LangChain runnable (:meth:`AnswerEngine.pipeline`): four ``RunnableLambda``
steps over a state dict and a ``RunnableGenerator`` that streams the answer, with the hybrid
retriever (:class:`HybridRetriever`, a LangChain ``BaseRetriever``) in the retrieval step. The
state carries the retrieval an answer was decided on, so the evaluation sees it. The LLM steps are
runnables too (``prompt | llm | StrOutputParser``: :func:`build_qa_chain`, :func:`condense_question`).
Tool calling for LLM modes is in :mod:`assistant.chains.agent`.

With ``llm=None`` (mode ``none``) the answer quotes the most relevant passages verbatim, trimmed to
what answers the question (a procedure's numbered steps, else the best sentences), each with its
citation. In LLM modes the model writes the answer from numbered passages; every ``[n]`` marker is
checked against the passages, markers that point nowhere are removed and flagged, and an answer with
no valid citation, an empty answer or a failing endpoint falls back to the extractive answer.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import Runnable, RunnableGenerator, RunnableLambda

from assistant.chains.prompts import CONDENSE_SYSTEM_PROMPT, LANGUAGE_NAMES, QA_SYSTEM_PROMPT, texts
from assistant.providers.llm import describe_llm_error
from assistant.retrieval.answerability import AnswerabilityModel, features
from assistant.retrieval.confidence import Confidence, measure
from assistant.retrieval.hybrid import HybridRetriever, HybridSearcher
from assistant.retrieval.query import Query
from assistant.schemas import Answer, Citation, SearchHit
from assistant.text import detect_language, split_sentences, tokenize

log = logging.getLogger(__name__)

_STEP = re.compile(r"^\s*(?:\d{1,2}[.)、]|[（(]\d{1,2}[)）]|[-*•]\s|步骤\s*\d|Step\s+\d)", re.I)
_PROCEDURAL = re.compile(
    r"如何|怎么|怎样|步骤|流程|操作|办法|\bhow\b|\bsteps?\b|\bprocedure\b|\bprocess\b", re.I
)
_MARKER = re.compile(r"\[(\d{1,2})\]")
MAX_QUOTE_CHARS = 600


@dataclass
class AnswerPolicy:
    """When an answer counts as found, and how much it quotes."""

    k: int = 5
    min_confidence: float = 0.55
    # a curated Q&A entry ranked first overall needs less agreement between the rankers than a
    # manual section does (measured in evals/reports/answers-*.md)
    min_confidence_faq: float = 0.40
    curated_types: tuple[str, ...] = ("faq",)
    min_coverage: float = 0.2
    # cosine similarity (question, best passage) that a passage other than a curated FAQ entry needs,
    # when the embedding model knows the question's language; model-specific (settings.py), 0 = off
    min_similarity: float = 0.0
    max_quotes: int = 3
    relative_score: float = (
        0.5  # a further passage is quoted when its score is at least this share of the best
    )
    related_score: float = 0.3  # the rest of the top k above this share are listed as "see also"
    # a second passage is quoted only within this share of the best score (and when it adds something)
    second_quote_score: float = 0.8
    #: the "answered / not covered" model (assistant/retrieval/answerability.py); None: the
    #: thresholds above decide (min_confidence, min_confidence_faq, min_coverage, min_similarity)
    answerability: AnswerabilityModel | None = None
    #: the probability the model needs (None: the threshold shipped with the model)
    min_answerable: float | None = None
    # what answers draw on: documentation, not other people's incident tickets (support sees those)
    doc_types: tuple[str, ...] = ("spec", "manual", "faq", "transcript", "other")

    def curated_top(self, hits: Sequence[SearchHit]) -> bool:
        """The best passage is a curated FAQ entry that also shares words with the question (found by
        the lexical ranker, not by the embedding alone)."""
        return (
            bool(hits) and hits[0].chunk.doc_type in self.curated_types and hits[0].lexical_rank is not None
        )

    def threshold(self, hits: Sequence[SearchHit]) -> float:
        """The confidence an answer needs: less when the best passage is a curated FAQ entry."""
        return (
            min(self.min_confidence_faq, self.min_confidence)
            if self.curated_top(hits)
            else self.min_confidence
        )

    def answerable_threshold(self) -> float:
        if self.min_answerable is not None:
            return self.min_answerable
        return self.answerability.threshold if self.answerability is not None else 0.5

    def answerable(self, conf: Confidence, hits: Sequence[SearchHit]) -> float:
        """The model's probability that these hits answer the question (0 without a model)."""
        if self.answerability is None or not hits:
            return 0.0
        return self.answerability.probability(features(hits, conf, conf.agreement, self.curated_types))

    def is_found(self, conf: Confidence, hits: Sequence[SearchHit]) -> bool:
        """Whether the knowledge base answers the question, judged from one retrieval."""
        return self.why_not_found(conf, hits) is None

    def why_not_found(self, conf: Confidence, hits: Sequence[SearchHit]) -> str | None:
        """None when the knowledge base answers the question, else the reason (an answer flag)."""
        if not hits:
            return "no_passages"
        if self.answerability is not None:
            # a question about something the documents never mention leaves its rare words
            # uncovered, however sure the rankers are of their best passage
            if conf.coverage < self.min_coverage:
                return "low_coverage"
            p = conf.answerable if conf.answerable is not None else self.answerable(conf, hits)
            if p < self.answerable_threshold():
                return "low_confidence"
            return self._far_in_meaning(conf, hits)
        if conf.fused < self.threshold(hits):
            return "low_confidence"
        if conf.coverage < self.min_coverage:
            return "low_coverage"
        # a manual section that both rankers like must also be close to the question in meaning:
        # on its topic is not enough (the embedding tells "about projects" from "the project's name")
        return self._far_in_meaning(conf, hits)

    def _far_in_meaning(self, conf: Confidence, hits: Sequence[SearchHit]) -> str | None:
        """A best passage that is not a curated FAQ entry must also be close to the question in the
        embedding (for a language the model reads): on its topic is not enough."""
        if self.min_similarity <= 0 or conf.top_similarity is None or self.curated_top(hits):
            return None
        return None if conf.top_similarity >= self.min_similarity else "far_in_meaning"  # NaN: far


@dataclass
class Turn:
    question: str
    answer: str = ""
    query: str = ""
    chunk_ids: list[str] = field(default_factory=list)


def question_language(question: str) -> str:
    lang = detect_language(question)
    return "zh" if lang == "zh" else "en"


# ---------------------------------------------------------------------------------------------
# extractive answers


def _sentence_score(sentence: str, idf: dict[str, float]) -> float:
    present = set(tokenize(sentence))
    return sum(w for t, w in idf.items() if t in present)


_NUMBER = re.compile(r"(\d{1,3}(?:[,，]\d{3})+|\d+)(?:\.(\d+))?\s*(万|千|k\b|K\b)?")
_UNIT = {"万": 10_000, "千": 1_000, "k": 1_000, "K": 1_000}
_UPPER = re.compile(r"(≤|<=|<|不超过|不高于|以下|以内|up to|below|under|less than|at most)", re.I)
_LOWER = re.compile(r"(≥|>=|>|超过|高于|以上|above|over|more than|at least|from)", re.I)


def _values(text: str) -> list[float]:
    out = []
    for m in _NUMBER.finditer(text):
        whole = m.group(1).replace(",", "").replace("，", "")
        value = float(f"{whole}.{m.group(2)}" if m.group(2) else whole)
        out.append(value * _UNIT.get(m.group(3) or "", 1))
    return out


def question_values(question: str) -> list[float]:
    """Amounts and quantities a question names ("60,000 CNY", "6万元", "120 pieces"); years,
    step numbers and ids are not values."""
    cleaned = re.sub(r"第\s*\d+\s*步|step\s+\d+|[A-Z]{2,}-\d+|\b(19|20)\d{2}\b", " ", question, flags=re.I)
    return [v for v in _values(cleaned) if v >= 10]


def _row_holds(row: str, value: float) -> bool:
    """Whether a table row's first cell with numbers states a range that holds the value:
    "50,000 – 500,000", "≤ 50,000", "5万以上", "over 500,000"."""
    for cell in [c.strip() for c in row.strip().strip("|").split("|")]:
        nums = _values(cell)
        if not nums:
            continue
        if len(nums) >= 2 and re.search(r"[–—\-~～至到]|\bto\b", cell):
            lo, hi = min(nums[:2]), max(nums[:2])
            return lo <= value <= hi
        if _UPPER.search(cell):
            return value <= nums[0]
        if _LOWER.search(cell):
            return value >= nums[0]
        return False  # the first numeric cell is not a range
    return False


def select_passage(text: str, question: str, terms: Sequence[str]) -> str:
    """The part of a chunk that answers the question, quoted verbatim (pieces joined with ' … ')."""
    lines = text.split("\n")
    step_idx = [i for i, line in enumerate(lines) if _STEP.match(line)]
    weights = {t: 1.0 for t in terms}
    if step_idx and (
        _PROCEDURAL.search(question) or any(_sentence_score(lines[i], weights) for i in step_idx)
    ):
        first = step_idx[0]
        block = [i for i in step_idx if i >= first]
        lead = lines[first - 1] if first > 0 and not _STEP.match(lines[first - 1]) else ""
        lead = split_sentences(lead)[-1].strip() if lead else ""
        body = "\n".join(lines[i] for i in range(first, block[-1] + 1))
        piece = f"{lead}\n{body}" if lead else body
        return (
            piece
            if len(piece) <= MAX_QUOTE_CHARS * 1.5
            else body[: int(MAX_QUOTE_CHARS * 1.5)].rsplit("\n", 1)[0]
        )
    table = [i for i, line in enumerate(lines) if line.startswith("|")]
    if table:
        # a question that names a value (an amount, a quantity): the row whose range holds it
        values = question_values(question)
        if values:
            hit_rows = [i for i in table[2:] if any(_row_holds(lines[i], v) for v in values)]
            if hit_rows:
                return "\n".join([lines[table[0]], lines[table[1]], *[lines[i] for i in hit_rows[:2]]])
        scored = sorted(table[2:], key=lambda i: _sentence_score(lines[i], weights), reverse=True)
        if scored and _sentence_score(lines[scored[0]], weights) > 0:
            rows = sorted(scored[:3])
            return "\n".join([lines[table[0]], lines[table[1]], *[lines[i] for i in rows]])
    sentences = [s for line in lines for s in split_sentences(line) if s.strip()]
    if len(text) <= MAX_QUOTE_CHARS or len(sentences) <= 2:
        return text.strip()
    ranked = sorted(range(len(sentences)), key=lambda i: _sentence_score(sentences[i], weights), reverse=True)
    keep = set(ranked[:2])
    if _sentence_score(sentences[ranked[0]], weights) == 0:
        keep = {0, 1}
    # a short best sentence usually needs the one after it ("Yes." / "可以。")
    for i in list(keep):
        if len(sentences[i].strip()) < 40 and i + 1 < len(sentences):
            keep.add(i + 1)
    pieces: list[str] = []
    last = -2
    for i in sorted(keep)[:4]:
        piece = sentences[i].strip()
        if pieces and i == last + 1:
            pieces[-1] = pieces[-1] + (" " if piece[:1].isascii() else "") + piece
        else:
            pieces.append(piece)
        last = i
    return " … ".join(pieces)


def _has_steps(text: str) -> bool:
    return sum(1 for line in text.split("\n") if _STEP.match(line)) >= 2


def compose(
    hits: Sequence[SearchHit],
    policy: AnswerPolicy,
    evidence: Sequence[tuple[float, list[str]]] | None = None,
    question: str = "",
) -> tuple[list[int], list[int]]:
    """Which hits to quote (decisive first) and which to list as related, by index.

    Without evidence (the old rule, kept as the evaluation's baseline): every hit within
    ``relative_score`` of the best, up to ``max_quotes``. With evidence (per hit: the IDF-weighted
    share of the question's content words it contains, and those words): the best-ranked passage
    is decisive -- measured on four development sets, the fused ranking picks it better than
    word coverage does (the trade-off table in evals/reports/answers-*.md). One more passage is quoted only
    when it comes from another document, contains at least half of the question's content words,
    and adds something: question words the first lacks (scoring at least ``second_quote_score``
    of the best), or the numbered steps a "how do I" question asks for and the first lacks
    (within ``relative_score``). The rest above
    ``related_score`` are listed, not quoted."""
    if not hits:
        return [], []
    top = hits[0].score
    if evidence is None or len(evidence) < len(hits):
        quoted = [i for i, h in enumerate(hits) if h.score >= policy.relative_score * top][
            : policy.max_quotes
        ]
    else:
        quoted = [0]
        covered = set(evidence[0][1])
        wants_steps = bool(_PROCEDURAL.search(question)) and not _has_steps(hits[0].chunk.text)
        for i in range(1, len(hits)):
            if len(quoted) >= min(2, policy.max_quotes) or hits[i].score < policy.relative_score * top:
                break
            share, words = evidence[i]
            if hits[i].chunk.source == hits[0].chunk.source or share < 0.5:
                continue
            steps = wants_steps and _has_steps(hits[i].chunk.text)  # the asked steps: within relative_score
            close = hits[i].score >= policy.second_quote_score * top
            if steps or (close and set(words) - covered):
                quoted.append(i)
                covered |= set(words)
    related = [i for i, h in enumerate(hits) if i not in quoted and h.score >= policy.related_score * top]
    return quoted, related


def extractive_answer(
    question: str | Query,
    hits: Sequence[SearchHit],
    policy: AnswerPolicy,
    language: str,
    evidence: Sequence[tuple[float, list[str]]] | None = None,
) -> tuple[str, list[Citation]]:
    t = texts(language)
    q = Query.of(question)
    terms, question = list(q.terms), q.text
    quoted, related = compose(hits, policy, evidence, question)
    citations: list[Citation] = []
    parts = [t["found_intro"], ""]
    for n, i in enumerate(quoted, 1):
        hit = hits[i]
        quote = select_passage(hit.chunk.text, question, terms)
        matched = list(evidence[i][1]) if evidence and i < len(evidence) else []
        citations.append(_citation(n, hit, quote, "quote", matched))
        parts.append("\n".join(f"> {line}" for line in quote.split("\n")) + f" [{n}]")
        parts.append("")
    # further passages worth opening: listed by their headings, not quoted
    if related:
        parts.append(t["see_also"])
        for i in related:
            h = hits[i]
            n = len(citations) + 1
            matched = list(evidence[i][1]) if evidence and i < len(evidence) else []
            citations.append(_citation(n, h, _snippet(h.chunk.text), "related", matched))
            parts.append(f"- {h.chunk.section or h.chunk.title} ({h.chunk.source}) [{n}]")
    return "\n".join(parts).strip(), citations


def _citation(
    n: int, hit: SearchHit, snippet: str, kind: str = "quote", matched: list[str] | None = None
) -> Citation:
    c = hit.chunk
    return Citation(
        n=n,
        source=c.source,
        page=c.page,
        section=c.section,
        snippet=snippet,
        title=c.title,
        chunk_id=c.chunk_id,
        kind=kind,  # type: ignore[arg-type]
        matched=matched or [],
    )


def _shown_confidence(conf: Confidence) -> float:
    """The confidence an answer reports: the model's probability where a model decides."""
    return round(conf.answerable if conf.answerable is not None else conf.fused, 3)


def not_found_answer(hits: Sequence[SearchHit], language: str) -> tuple[str, list[str]]:
    t = texts(language)
    topics: list[str] = []
    for h in hits[:3]:
        label = h.chunk.section or h.chunk.title
        label = f"{label} ({h.chunk.source})"
        if label not in topics:
            topics.append(label)
    lines = [t["not_found"]]
    if topics:
        lines += ["", t["nearest"], *[f"- {x}" for x in topics]]
    lines += ["", t["offer_ticket"]]
    return "\n".join(lines), topics


# ---------------------------------------------------------------------------------------------
# LLM answers


def format_context(hits: Sequence[SearchHit]) -> str:
    blocks = []
    for n, h in enumerate(hits, 1):
        c = h.chunk
        where = c.source + (f", p. {c.page}" if c.page else "") + (f", {c.section}" if c.section else "")
        blocks.append(f"[{n}] ({where})\n{c.text}")
    return "\n\n".join(blocks)


def validate_citations(text: str, hits: Sequence[SearchHit]) -> tuple[str, list[Citation], list[str]]:
    """Keep markers that point at a passage, renumber them 1..n, drop the rest (and flag it)."""
    flags: list[str] = []
    mapping: dict[int, int] = {}
    citations: list[Citation] = []

    def replace(m: re.Match[str]) -> str:
        n = int(m.group(1))
        if not 1 <= n <= len(hits):
            if "invalid_citation_removed" not in flags:
                flags.append("invalid_citation_removed")
            return ""
        if n not in mapping:
            mapping[n] = len(mapping) + 1
            hit = hits[n - 1]
            citations.append(_citation(mapping[n], hit, _snippet(hit.chunk.text)))
        return f"[{mapping[n]}]"

    cleaned = _MARKER.sub(replace, text)
    cleaned = re.sub(r"[ \t]+([。.,，;；])", r"\1", cleaned).strip()
    return cleaned, citations, flags


def _snippet(text: str, limit: int = 300) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[:limit].rstrip() + "…"


def build_qa_chain(llm: Any) -> Runnable[Any, str]:
    prompt = ChatPromptTemplate.from_messages([("system", QA_SYSTEM_PROMPT), ("human", "{question}")])
    return prompt | llm | StrOutputParser()


def condense_question(llm: Any, question: str, history: Sequence[Turn]) -> str:
    messages: list[BaseMessage] = [SystemMessage(CONDENSE_SYSTEM_PROMPT)]
    for turn in history[-3:]:
        messages += [HumanMessage(turn.question), AIMessage(turn.answer[:800])]
    messages.append(HumanMessage(question))
    out = (llm | StrOutputParser()).invoke(messages)
    out = out.strip().strip('"“”')
    return out if 0 < len(out) <= 500 else question


# ---------------------------------------------------------------------------------------------
# follow-ups without an LLM

_FOLLOW_UP = re.compile(
    r"^(那|那么|还有|另外|这个|那个|它|其|如果是|要是|然后|接着)|呢[？?]?$|第[一二三四五六七八九十\d]+步|下一步|"
    r"^(what about|and |how about|what if|and for|for |then )|\b(it|those|them|step \d+)\b|"
    r"\b(first|second|third|fourth|fifth|next|last|final) step\b|^(and )?then\b|\.\.\.$|…$",
    re.I,
)


def is_follow_up(question: str) -> bool:
    """Whether a question refers back to the conversation, read from the question itself (a
    pronoun, "第二步"/"the third step", "and then", a trailing ellipsis). A short question is not
    a follow-up by its length: "采购申请需要谁审批？" after a password question is a new topic."""
    return bool(_FOLLOW_UP.search(question.strip()))


def history_query(question: str, history: Sequence[Turn]) -> str:
    """History-aware retrieval for the ``none`` mode: a follow-up is searched together with the
    question it follows."""
    if not history or not is_follow_up(question):
        return question
    previous = history[-1].query or history[-1].question
    return f"{previous} {question}"


# ---------------------------------------------------------------------------------------------


class AnswerEngine:
    """Retrieval, confidence and answer generation for one knowledge base."""

    def __init__(
        self,
        searcher: HybridSearcher,
        llm: Any = None,
        policy: AnswerPolicy | None = None,
        mode: str = "none",
    ):
        self.searcher = searcher
        self.llm = llm
        self.policy = policy or AnswerPolicy()
        self.mode = mode if llm is not None else "none"
        self._pipeline: Runnable[dict[str, Any], str | Answer] | None = None

    # -- steps ------------------------------------------------------------------------------
    def standalone(self, question: str, history: Sequence[Turn], flags: list[str]) -> str:
        if not history:
            return question
        if self.llm is not None and is_follow_up(question):
            try:
                return condense_question(self.llm, question, history)
            except Exception as e:  # the endpoint is down: fall back to history-aware retrieval
                flags.append("condense_failed")
                log.warning("condense failed: %s", describe_llm_error(e))
        return history_query(question, history)

    def retrieve(self, query: str | Query) -> tuple[list[SearchHit], Confidence]:
        """The passages for a query and how sure they make us; the query is analysed once for all steps."""
        query = Query.of(query)
        present = self.searcher.kb.doc_types()
        # filter only when the knowledge base holds something answers must not quote (a filter costs time)
        types = list(self.policy.doc_types) if present - set(self.policy.doc_types) else None
        retriever = HybridRetriever(searcher=self.searcher, k=self.policy.k, doc_types=types)
        hits = [d.metadata["hit"] for d in retriever.invoke(query.text)]
        conf = measure(self.searcher.kb, query, hits)
        conf.fused = self.searcher.relative_confidence(query, hits)
        conf.agreement = self.searcher.agreement(query, hits)
        if hits and self.searcher.knows_language(query):
            conf.top_similarity = hits[0].dense_score
        if self.policy.answerability is not None:
            conf.answerable = self.policy.answerable(conf, hits)
        return hits, conf

    # -- whole answers ----------------------------------------------------------------------
    def answer(self, question: str, history: Sequence[Turn] = ()) -> Answer:
        return self.answer_with_evidence(question, history)[0]

    def answer_with_evidence(
        self, question: str, history: Sequence[Turn] = ()
    ) -> tuple[Answer, list[SearchHit], Confidence]:
        """Answer a question and return the retrieval the answer was decided on.

        Args:
            question: the user's question.
            history: earlier turns of the conversation, oldest first.

        Returns:
            The answer, the passages retrieved for it and their confidence (in ``none`` mode the
            answer is found exactly when ``self.policy.is_found`` holds for them).
        """
        evidence: dict[str, Any] = {}
        final = list(
            self.pipeline().stream({"question": question, "history": list(history), "evidence": evidence})
        )[-1]
        assert isinstance(final, Answer)
        return final, evidence["hits"], evidence["confidence"]

    def stream(self, question: str, history: Sequence[Turn] = ()) -> Iterator[str | Answer]:
        """Yield text deltas (LLM modes) and finally the validated :class:`Answer`."""
        return self.pipeline().stream({"question": question, "history": list(history)})

    # -- the pipeline as one runnable -----------------------------------------------------------
    def pipeline(self) -> Runnable[dict[str, Any], str | Answer]:
        """condense -> retrieve -> decide -> answer (extractive, or LLM + citation check), streamed.

        Input: ``{"question": str, "history": list[Turn]}``, optionally ``"evidence": {}``, which the
        retrieval step fills with the "hits" and "confidence" the answer was decided on."""
        if self._pipeline is None:
            self._pipeline = (
                RunnableLambda(self._condense_step, name="condense")
                | RunnableLambda(self._retrieve_step, name="retrieve")
                | RunnableLambda(self._decide_step, name="decide")
                | RunnableGenerator(self._answer_step, name="answer")
            )
        return self._pipeline

    def _condense_step(self, state: dict[str, Any]) -> dict[str, Any]:
        question = state["question"]
        asked = Query.of(question)
        flags: list[str] = []
        standalone = self.standalone(question, state["history"], flags)
        state.update(
            asked=asked,
            query=asked if standalone == question else Query.of(standalone),
            flags=flags,
            language="zh" if asked.language == "zh" else "en",
        )
        return state

    def _retrieve_step(self, state: dict[str, Any]) -> dict[str, Any]:
        state["hits"], state["confidence"] = self.retrieve(state["query"])
        if "evidence" in state:
            state["evidence"].update(hits=state["hits"], confidence=state["confidence"])
        return state

    def _decide_step(self, state: dict[str, Any]) -> dict[str, Any]:
        state["reason"] = self.policy.why_not_found(state["confidence"], state["hits"])
        return state

    def _answer_step(self, states: Iterator[dict[str, Any]]) -> Iterator[str | Answer]:
        for state in states:
            yield from self._answer(state)

    def _answer(self, state: dict[str, Any]) -> Iterator[str | Answer]:
        question, query, hits = state["question"], state["query"], state["hits"]
        language, flags = state["language"], state["flags"]
        base = {
            "mode": self.mode,
            "language": language,
            "query": query.text,
            "confidence": _shown_confidence(state["confidence"]),
        }
        reason = state["reason"]
        if reason is not None:
            text, topics = not_found_answer(hits, language)
            flags.append(f"not_found:{reason}")
            yield Answer(answer=text, found=False, nearest_topics=topics, flags=flags, **base)  # type: ignore[arg-type]
            return
        if self.llm is None:
            text, citations = extractive_answer(
                query, hits, self.policy, language, state["confidence"].per_hit
            )
            yield Answer(answer=text, citations=citations, found=True, flags=flags, **base)  # type: ignore[arg-type]
            return
        chain = build_qa_chain(self.llm)
        inputs = {"question": question, "context": format_context(hits), "language": LANGUAGE_NAMES[language]}
        pieces: list[str] = []
        try:
            for delta in chain.stream(inputs):
                pieces.append(delta)
                yield delta
        except Exception as e:
            flags.append("llm_unavailable")
            yield self._fallback(question, hits, language, flags, base, describe_llm_error(e))
            return
        raw = "".join(pieces).strip()
        if raw.upper().startswith("NOT_FOUND"):
            text, topics = not_found_answer(hits, language)
            yield Answer(
                answer=text, found=False, nearest_topics=topics, flags=[*flags, "llm_not_found"], **base
            )  # type: ignore[arg-type]
            return
        if not raw:
            flags.append("llm_empty")
            yield self._fallback(question, hits, language, flags, base, None)
            return
        cleaned, citations, citation_flags = validate_citations(raw, hits)
        flags += citation_flags
        if not citations:
            flags.append("llm_uncited")
            yield self._fallback(question, hits, language, flags, base, None)
            return
        yield Answer(answer=cleaned, citations=citations, found=True, flags=flags, **base)  # type: ignore[arg-type]

    def _fallback(
        self,
        question: str,
        hits: Sequence[SearchHit],
        language: str,
        flags: list[str],
        base: dict[str, Any],
        reason: str | None,
    ) -> Answer:
        text, citations = extractive_answer(question, hits, self.policy, language)
        note = texts(language)["fallback_note"]
        if reason:
            log.warning("falling back to the extractive answer: %s", reason)
        return Answer(
            answer=f"{note}\n\n{text}",
            citations=citations,
            found=True,
            flags=[*flags, "extractive_fallback"],
            **base,
        )
