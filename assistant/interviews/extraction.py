"""Requirements extraction from interview turns (offline rules + the type classifier).

Every item carries the exact quote and the turn it came from. Pain points, current-process steps,
open questions and contradictions (between speakers, or with spec items already in the knowledge
base) come out of the same pass.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError

from assistant.errors import OutputParseError
from assistant.interviews.transcripts import Turn
from assistant.text import detect_language, split_sentences, tokenize

log = logging.getLogger(__name__)

_CONSULTANT = re.compile(r"^(顾问|实施顾问|consultant|interviewer|q|问|采访者|我方)$", re.I)
_NEED_ZH = re.compile(
    r"必须|一定要|务必|需要|要求|应该|应当|得要|希望|最好|能够|能不能|要能|想要|期望|不能|不允许|禁止|不得|不超过|至少|自动|支持"
)
_NEED_EN = re.compile(
    r"\b(must|shall|should|need(?:s|ed)? to|have to|has to|require[sd]?|want(?:s)? (?:to|the system)|would like|wish|would be nice|nice to have|"
    r"cannot|can't|must not|should not|at least|no more than|within \d|automatically|only)\b",
    re.I,
)
_PAIN = re.compile(
    r"麻烦|经常|总是|出错|错误|慢|手工|手动|重复|混乱|困难|浪费|抱怨|痛点|来不及|对不上|加班|"
    r"\b(problem|issue|manual(?:ly)?|slow|error|painful|often|always|waste|mess|mistake|late|excel)\b",
    re.I,
)
_STEP = re.compile(
    r"^(首先|先|然后|接着|之后|随后|再|最后|第[一二三四五六七八九十\d]+步)|\b(first|then|after that|next|finally|afterwards)\b",
    re.I,
)
_OPEN = re.compile(
    r"待定|还不确定|不确定|要确认|需确认|再商量|回头|以后再说|TBD|not sure|to be confirmed|tbc|open question|decide later",
    re.I,
)
MOSCOW = [
    (
        "Must",
        re.compile(
            r"必须|一定要|务必|不得|不允许|禁止|需要|要求|\b(must|shall|have to|has to|cannot|must not|needs? to|require[sd]?)\b",
            re.I,
        ),
    ),
    ("Won't", re.compile(r"不需要|暂不|这期不|不用|\b(won't|will not|not needed|out of scope)\b", re.I)),
    ("Should", re.compile(r"应该|应当|最好|尽量|\b(should|ought to)\b", re.I)),
    (
        "Could",
        re.compile(
            r"可以的话|如果能|希望|期望|锦上添花|\b(could|nice to have|would be nice|would like|wish)\b", re.I
        ),
    ),
]
TYPE_RULES = [
    ("PE", re.compile(r"秒|响应|速度|性能|并发|\b(seconds?|response|fast|performance|latency)\b", re.I)),
    (
        "SE",
        re.compile(
            r"权限|密码|安全|加密|审计|登录|只能.*查看|\b(password|permission|secure|security|encrypt|audit|access)\b",
            re.I,
        ),
    ),
    ("LF", re.compile(r"界面|颜色|字体|美观|\b(colou?r|font|look|layout|screen design)\b", re.I)),
    ("US", re.compile(r"易用|好用|培训|一看就懂|方便|\b(easy|intuitive|usab|training|learn)\b", re.I)),
    ("L", re.compile(r"法规|合规|税务|监管|法律|\b(legal|law|regulat|compliance|tax authority)\b", re.I)),
    ("A", re.compile(r"可用|宕机|7x24|全天|\b(available|availability|uptime|downtime|24/7)\b", re.I)),
    ("FT", re.compile(r"备份|容错|恢复|断网|离线|\b(backup|fault|recover|offline|failover)\b", re.I)),
    ("MN", re.compile(r"维护|升级|配置|\b(maintain|upgrade|configurable)\b", re.I)),
    ("SC", re.compile(r"扩展|增长|更多工厂|\b(scale|scalab|growth|more plants)\b", re.I)),
    ("PO", re.compile(r"手机|移动端|浏览器|平台|\b(mobile|browser|platform|tablet)\b", re.I)),
    ("O", re.compile(r"运维|部署|环境|\b(operat|deploy|environment)\b", re.I)),
]
_NUMBER = re.compile(
    r"\d+(?:\.\d+)?%?|每(?:天|日|周|月|季度|年|半年)|月底|月末|季度|monthly|quarterly|weekly|daily|yearly|annual",
    re.I,
)


@dataclass
class Item:
    id: str
    kind: str  # requirement, pain_point, process_step, open_question, contradiction
    text: str
    quote: str
    turn: str
    speaker: str
    statement: str = ""
    type: str | None = None
    priority: str | None = None
    confidence: float = 0.0
    notes: list[str] = field(default_factory=list)
    refs: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def is_consultant(speaker: str) -> bool:
    return bool(_CONSULTANT.match(speaker.strip()))


def normalise_statement(sentence: str, language: str) -> str:
    s = sentence.strip().rstrip("。！？；.!?;")
    if language == "zh":
        s = re.sub(r"^(我们|我|咱们|他们)?(这边)?(就是)?(系统|ERP)?", "", s)
        modal = re.search(r"必须|一定要|务必|需要|要求|应该|应当|希望|最好|想要|期望|得要", s)
        lead = "系统应确保" if modal and modal.start() > 0 else "系统应"
        s = re.sub(r"必须|一定要|务必|需要|要求|应该|应当|希望|最好|想要|期望|得要", "", s, count=1)
        s = re.sub(r"^(能够|能|要能|可以)", "", s).strip("，, ")
        return f"{lead}{s}。" if s else ""
    s = re.sub(
        r"^(?:we|i|they|the (?:warehouse|team|users?))\s+(?:really\s+)?(?:must|need to|needs to|have to|has to|want to|would like to|should|wish to|require)\s+(?:be able to\s+)?",
        "",
        s,
        flags=re.I,
    )
    s = re.sub(r"^(?:the system|it)\s+(?:must|should|shall|needs to|has to)\s+", "", s, flags=re.I)
    m = re.match(
        r"^(.+?)\s+(?:must|should|shall|needs? to|has to|have to)\s+(?:be able to\s+)?(.+)$", s, re.I
    )
    if m:
        return f"The system shall ensure that {m.group(1)[:1].lower() + m.group(1)[1:]} {m.group(2)}."
    return f"The system shall {s[:1].lower() + s[1:]}." if s else ""


def rule_type(sentence: str) -> str:
    for label, pattern in TYPE_RULES:
        if pattern.search(sentence):
            return label
    return "F"


def priority_of(sentence: str) -> str | None:
    for label, pattern in MOSCOW:
        if pattern.search(sentence):
            return label
    return None


def extract(turns: Sequence[Turn], classifier: Any = None) -> dict[str, list[dict[str, Any]]]:
    """Requirements, pain points, process steps, open questions and contradictions between speakers.

    ``classifier(texts) -> [(label, confidence)]`` types the requirements; without one, keyword rules do.
    """
    reqs: list[Item] = []
    said: list[Item] = []  # every client sentence, for contradictions
    pains: list[Item] = []
    steps: list[Item] = []
    opens: list[Item] = []
    for turn in turns:
        consultant = is_consultant(turn.speaker)
        for raw in split_sentences(turn.text):
            sentence = raw.strip()
            if len(sentence) < 4:
                continue
            lang = "zh" if detect_language(sentence) == "zh" else "en"
            question = sentence.endswith(("?", "？"))
            if not consultant and (_OPEN.search(sentence) or question):
                opens.append(
                    Item(f"Q{len(opens) + 1}", "open_question", sentence, sentence, turn.ref, turn.speaker)
                )
                continue
            if consultant:
                continue
            said.append(Item(f"X{len(said) + 1}", "statement", sentence, sentence, turn.ref, turn.speaker))
            need = _NEED_ZH.search(sentence) if lang == "zh" else _NEED_EN.search(sentence)
            if need:
                statement = normalise_statement(sentence, lang)
                prio = priority_of(sentence)
                reqs.append(
                    Item(
                        f"R{len(reqs) + 1}",
                        "requirement",
                        sentence,
                        sentence,
                        turn.ref,
                        turn.speaker,
                        statement=statement,
                        type=rule_type(sentence),
                        priority=prio,
                        confidence=0.8 if prio in ("Must", "Should") else 0.6,
                    )
                )
            elif _PAIN.search(sentence):
                pains.append(
                    Item(f"P{len(pains) + 1}", "pain_point", sentence, sentence, turn.ref, turn.speaker)
                )
            if _STEP.search(sentence):
                steps.append(
                    Item(f"S{len(steps) + 1}", "process_step", sentence, sentence, turn.ref, turn.speaker)
                )
    if classifier is not None and reqs:
        for item, (label, conf) in zip(reqs, classifier([r.text for r in reqs]), strict=True):
            item.type = label
            item.confidence = round(min(item.confidence, 0.5 + conf / 2), 3)
    contradictions = find_contradictions(said)
    return {
        "requirements": [r.as_dict() for r in reqs],
        "pain_points": [p.as_dict() for p in pains],
        "process_steps": [s.as_dict() for s in steps],
        "open_questions": [q.as_dict() for q in opens],
        "contradictions": contradictions,
    }


def _facts(text: str) -> set[str]:
    return {m.lower() for m in _NUMBER.findall(text)}


def _topic(text: str) -> set[str]:
    return {t for t in tokenize(text) if len(t) > 1 and not t.isdigit()}


def find_contradictions(reqs: Sequence[Item]) -> list[dict[str, Any]]:
    """Two speakers saying different numbers or frequencies about the same topic."""
    out = []
    for i, a in enumerate(reqs):
        for b in reqs[i + 1 :]:
            if a.speaker == b.speaker:
                continue
            ta, tb = _topic(a.text), _topic(b.text)
            overlap = len(ta & tb) / len(ta | tb) if ta and tb else 0.0
            fa, fb = _facts(a.text), _facts(b.text)
            if overlap >= 0.2 and fa and fb and not fa & fb:
                out.append(
                    {
                        "turns": [a.turn, b.turn],
                        "speakers": [a.speaker, b.speaker],
                        "quotes": [a.quote, b.quote],
                        "reason": f"{', '.join(sorted(fa))} vs {', '.join(sorted(fb))}",
                    }
                )
    return out


def against_specs(items: list[dict[str, Any]], search: Any) -> None:
    """Flag requirements that duplicate or conflict with a spec item in the knowledge base, citing it.

    ``search(text) -> [SearchHit]`` searches spec documents only; the best-matching line of the best
    chunks is compared (a spec chunk holds several numbered requirements).
    """
    from assistant.ingest.pipeline import REQ_ID

    for item in items:
        ta = _topic(item["text"])
        if not ta:
            continue
        best: tuple[float, str, Any] | None = None
        for hit in search(item["text"])[:3]:
            for line in hit.chunk.text.split("\n"):
                tb = _topic(line)
                overlap = len(ta & tb) / len(ta) if tb else 0.0
                if best is None or overlap > best[0]:
                    best = (overlap, line, hit)
        if best is None or best[0] < 0.5:
            continue
        overlap, line, hit = best
        fa, fb = _facts(item["text"]), _facts(line)
        kind = "conflicts_with_spec" if fa and fb and not fa & fb else "duplicates_spec"
        item["notes"].append(kind)
        item["refs"].append(
            {
                "kind": kind,
                "source": hit.chunk.source,
                "page": hit.chunk.page,
                "section": hit.chunk.section,
                "req_ids": REQ_ID.findall(line),
                "snippet": line.strip()[:300],
            }
        )


# ---------------------------------------------------------------------------------------------
# LLM modes: structured output, and only quotes that really occur in the transcript

LLM_EXTRACT_PROMPT = """You extract software requirements from an interview transcript of an ERP implementation.
Return ONLY a JSON list. Each element: {{"statement": "The system shall ... / 系统应 ...", "quote": "<exact words copied
from one turn>", "turn": "T<n>", "speaker": "<speaker>", "type": "F|A|FT|L|LF|MN|O|PE|PO|SC|SE|US",
"priority": "Must|Should|Could|Won't|null", "confidence": 0.0-1.0}}. Write the statement in the language of the quote.
The quote must be copied character for character from the transcript.

Transcript:
{transcript}"""


class LLMRequirement(BaseModel):
    statement: str
    quote: str
    turn: str | None = None
    speaker: str | None = None
    type: str = "F"
    priority: str | None = None
    confidence: float = 0.5


def llm_extract(llm: Any, turns: Sequence[Turn]) -> tuple[list[dict[str, Any]], int]:
    """Requirements from an LLM; items whose quote is not verbatim in the transcript are dropped (and counted).

    Raises:
        OutputParseError: the reply is not a JSON list of requirement objects.
    """
    from langchain_core.output_parsers import StrOutputParser
    from langchain_core.prompts import ChatPromptTemplate

    transcript = "\n".join(f"{t.ref} {t.speaker}: {t.text}" for t in turns)
    chain = ChatPromptTemplate.from_messages([("human", LLM_EXTRACT_PROMPT)]) | llm | StrOutputParser()
    try:
        raw = chain.invoke({"transcript": transcript})
    except Exception as e:
        from assistant.providers.llm import wrap_llm_error

        raise wrap_llm_error(e) from e
    text = re.sub(r"^```(?:json)?|```$", "", raw.strip(), flags=re.M).strip()
    try:
        data = json.loads(text)
        parsed = [LLMRequirement.model_validate(x) for x in data]
    except (json.JSONDecodeError, ValidationError, TypeError) as e:
        raise OutputParseError(f"the model's extraction is not a JSON list of requirements: {e}") from e
    by_ref = {t.ref: t for t in turns}
    kept: list[dict[str, Any]] = []
    dropped = 0
    for r in parsed:
        quote = r.quote.strip()
        turn = by_ref.get(r.turn or "")
        if not quote or turn is None or quote not in turn.text:
            turn = next((t for t in turns if quote and quote in t.text), None)
        if turn is None:
            dropped += 1
            continue
        kept.append(
            Item(
                f"R{len(kept) + 1}",
                "requirement",
                quote,
                quote,
                turn.ref,
                turn.speaker,
                statement=r.statement.strip(),
                type=r.type if r.type in {label for label, _ in TYPE_RULES} | {"F"} else "F",
                priority=r.priority if r.priority in ("Must", "Should", "Could", "Won't") else None,
                confidence=max(0.0, min(1.0, r.confidence)),
            ).as_dict()
        )
    for item in kept:
        item["notes"].append("llm")
    if dropped:
        log.warning("dropped %d LLM requirement(s) whose quote is not in the transcript", dropped)
    return kept, dropped
