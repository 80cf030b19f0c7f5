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
from assistant.interviews.dialogue import (
    _PARKED,
    _VERB_HINT,
    _contentless,
    backchannel,
    clauses,
    content_key,
    describes_the_system,
    enumerates,
    goes_on,
    interviewers,
    kind_of,
    known_word,
    language_of,
    proposes,
    split_list,
    statement_en,
    statement_zh,
    system_acts,
    wishes,
)
from assistant.interviews.transcripts import Turn
from assistant.text import detect_language, same_length_simplified, tokenize, traditional

log = logging.getLogger(__name__)

#: in Chinese speech-to-text (spaces, or nothing, for the pauses), a need's quote goes on over the
#: pauses up to about this many characters, then each further clause is a quote of its own
_PIECE_ZH = 16

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
    #: every place the need was said: {"turn", "speaker", "quote"} (the first is ``quote``/``turn``)
    quotes: list[dict[str, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


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


def extract(turns: Sequence[Turn], classifier: Any = None) -> dict[str, Any]:
    """Requirements, pain points, process steps, open questions and contradictions between speakers,
    read as a dialogue (see ``assistant.interviews.dialogue``).

    ``classifier(texts) -> [(label, confidence)]`` types the requirements; without one, keyword rules do.
    The result also says which turns were not read (``skipped``: a language the extractor does not
    read) and who was taken for the interviewer (``summary``).

    Traditional characters (a client in Taiwan or Hong Kong; speech-to-text models such as Whisper
    often write Mandarin so) and full-width letters are read as simplified and ASCII ones; every
    quote is still the transcript's own text, and the statements are written in traditional
    characters when the transcript is.
    """
    plain = [Turn(t.ref, same_length_simplified(t.speaker), same_length_simplified(t.text)) for t in turns]
    if all(p.text == t.text and p.speaker == t.speaker for p, t in zip(plain, turns, strict=True)):
        return _extract(turns, classifier)
    return _in_own_script(_extract(plain, classifier), turns, plain)


def _in_own_script(result: dict[str, Any], turns: Sequence[Turn], plain: Sequence[Turn]) -> dict[str, Any]:
    """The result of reading ``plain`` (the turns in simplified characters) with every quote and
    speaker as the transcript has them, and the statements in traditional characters when most
    of the transcript's Chinese characters are."""
    original = {p.ref: (p.text, t.text) for p, t in zip(plain, turns, strict=True)}
    speakers = {p.speaker: t.speaker for p, t in zip(plain, turns, strict=True)}
    changed = sum(
        a != b and "\u4e00" <= a <= "\u9fff"
        for p, t in zip(plain, turns, strict=True)
        for a, b in zip(p.text, t.text, strict=True)
    )
    chinese = sum(1 for t in turns for c in t.text if "\u4e00" <= c <= "\u9fff")
    in_traditional = chinese > 0 and changed / chinese >= 0.05

    def verbatim(ref: str, quote: str) -> str:
        for read, said in [original.get(ref, ("", "")), *original.values()]:
            at = read.find(quote) if quote else -1
            if at >= 0:
                return said[at : at + len(quote)]
        return quote

    for key in ("requirements", "pain_points", "process_steps", "open_questions"):
        for item in result[key]:
            item["quote"] = verbatim(item["turn"], item["quote"])
            item["text"] = verbatim(item["turn"], item["text"])
            item["speaker"] = speakers.get(item["speaker"], item["speaker"])
            for q in item.get("quotes") or []:
                q["quote"] = verbatim(q["turn"], q["quote"])
                q["speaker"] = speakers.get(q["speaker"], q["speaker"])
            if in_traditional and item.get("statement"):
                item["statement"] = traditional(item["statement"])
    for c in result["contradictions"]:
        c["quotes"] = [verbatim(ref, q) for ref, q in zip(c["turns"], c["quotes"], strict=True)]
        c["speakers"] = [speakers.get(s, s) for s in c["speakers"]]
    for s in result["skipped"]:
        s["speaker"] = speakers.get(s["speaker"], s["speaker"])
    result["summary"]["interviewers"] = sorted(speakers.get(s, s) for s in result["summary"]["interviewers"])
    return result


def _extract(turns: Sequence[Turn], classifier: Any = None) -> dict[str, Any]:
    """``extract`` on turns in simplified characters."""
    leads = interviewers(turns)
    reqs: list[Item] = []
    said: list[Item] = []  # every stakeholder clause, for contradictions
    pains: list[Item] = []
    steps: list[Item] = []
    opens: list[Item] = []
    skipped: list[dict[str, str]] = []
    asked: Turn | None = None  # the interviewer's last turn: what the stakeholder answers
    before: Turn | None = None  # the stakeholder turn before it: what "do you want it?" points back to
    last_said: Turn | None = None
    fresh = False  # this is the first stakeholder turn after it (a "yes" answers its proposal)
    for turn in turns:
        if turn.speaker in leads:
            if asked is None or not backchannel(turn.text):
                asked, fresh, before = turn, True, last_said
            continue
        last_said = turn
        language = language_of(turn.text)
        if language not in ("zh", "en"):
            skipped.append(
                {"turn": turn.ref, "speaker": turn.speaker, "reason": f"language not read: {language}"}
            )
            continue
        question = asked.text if asked is not None else ""
        # the sentence after a wish often says how the wished-for system works ("i want it gone, on a
        # tablet. the customer sees the contract on the tablet"): part of the need
        wished = -2  # the sentence of the last wish in this turn
        confirmed: tuple[Item, int] | None = None
        said_here: tuple[Item, int] | None = None  # the last requirement voiced in this turn, where it starts
        lead_in: tuple[int, int] | None = (
            None  # plain clauses just before, in this sentence: (sentence, start)
        )
        parts = clauses(turn)
        i = 0
        while i < len(parts):
            clause = parts[i]
            i += 1
            text = clause.text
            lang = "zh" if detect_language(text) == "zh" else "en"
            kind = kind_of(text, question, lang, first_answer=fresh)
            # a Chinese sentence chains its clauses with commas, the need's setting first; an English
            # one cut from run-on speech would drag unrelated words in
            in_sentence = lead_in is not None and lead_in[0] == clause.sentence
            led = lead_in[1] if lead_in is not None and in_sentence and lang == "zh" else clause.start
            if kind != "other":
                lead_in = None
            elif not in_sentence:
                lead_in = (clause.sentence, clause.start)
            if kind == "chitchat":
                if wishes(text, lang):
                    wished = clause.sentence  # "我最想要的就是，收衣服的时候能拍照": the need follows
                continue
            if (
                kind in ("other", "pain_point")
                and said_here is not None
                and clause.sentence in (wished, wished + 1)
                and enumerates(text, lang)
            ):
                # "I'd want the lad to see everything. The address, the customer's number, what the
                # problem is": the list says what the need just voiced holds, quoted on to its end
                item = said_here[0]
                if (
                    item.quotes[-1]["turn"] == turn.ref
                    and item.quotes[-1]["quote"] in turn.text[: clause.start]
                ):
                    # a quote of its own beside the need's: each one the clause that says it
                    item.quotes.append({"turn": turn.ref, "speaker": turn.speaker, "quote": text})
                else:
                    _quote_on(item, turn, said_here[1], clause.end)
                item.statement = _with_list(item.statement, text, lang)
                wished = clause.sentence
                continue
            if kind in ("requirement", "answer", "confirmation"):
                wished = clause.sentence
            elif kind in ("process_step", "pain_point", "open_question", "rejected"):
                wished, said_here = -2, None
            elif (
                kind == "other"
                and clause.sentence in (wished, wished + 1)
                and describes_the_system(text, lang)
                and goes_on(text, lang)
            ):
                if said_here is not None:
                    # it says how the need just voiced works ("i want it gone. the customer signs on the
                    # tablet"): the same requirement, quoted on to here; it states a need said vaguely
                    item, start = said_here
                    _quote_on(item, turn, start, clause.end)
                    if item.statement.startswith(_FALLBACK) and not _EXCEPT.match(text):
                        item.statement = statement_of(text, lang) or item.statement
                    wished = clause.sentence
                    continue
                kind = "requirement"
            if kind == "requirement":
                # the rest of the sentence says more about the same need ("调货要在系统里走，一店调出，
                # 三店确认收货"): one quote, one statement, up to an open question or the sentence end
                end = clause.end
                pieces = [[clause.start, clause.end]]  # the quotes: one, or one per clause of run-on speech
                while i < len(parts) and parts[i].sentence == clause.sentence:
                    nxt = parts[i]
                    then = kind_of(nxt.text, question, lang, first_answer=False)
                    if (
                        then in ("open_question", "chitchat", "process_step", "rejected")
                        or (then == "pain_point" and not system_acts(nxt.text))
                        or (then == "other" and not goes_on(nxt.text, lang))
                    ):
                        break
                    if (lang == "en" and "," not in turn.text[end : nxt.start]) or (
                        lang == "zh"
                        and not turn.text[end : nxt.start].strip()
                        and nxt.end - pieces[-1][0] > _PIECE_ZH
                    ):
                        # speech without commas, cut where a new clause starts: the same need, each
                        # clause quoted on its own, so that no quote runs on for a whole turn
                        pieces.append([nxt.start, nxt.end])
                    else:
                        pieces[-1][1] = nxt.end
                    end = nxt.end
                    i += 1
                # and, in Chinese, what led up to it in the sentence ("我能看到所有的，我老婆能看她那家，店员只能看自己店的")
                start = led
                pieces[0][0] = start
                text = turn.text[start:end]
                # "能不能直接开电子发票……嗯，这个回头问一下会计": the need parked by the next clause
                if (
                    i < len(parts)
                    and _PARKS_IT.match(parts[i].text)
                    and (kind_of(parts[i].text, question, lang, first_answer=False) == "open_question")
                ):
                    kind, parked = "open_question", parts[i].sentence
                    while i < len(parts) and parts[i].sentence == parked:  # to the end of its sentence
                        end = parts[i].end
                        i += 1
                    text = turn.text[start:end]
            said.append(Item(f"X{len(said) + 1}", "statement", text, text, turn.ref, turn.speaker))
            if kind == "open_question":
                opens.append(Item(f"Q{len(opens) + 1}", "open_question", text, text, turn.ref, turn.speaker))
            elif kind == "pain_point":
                pains.append(Item(f"P{len(pains) + 1}", "pain_point", text, text, turn.ref, turn.speaker))
            elif kind == "process_step":
                steps.append(Item(f"S{len(steps) + 1}", "process_step", text, text, turn.ref, turn.speaker))
            elif kind == "requirement":
                prio = priority_of(text)
                reqs.append(
                    _requirement(
                        reqs,
                        text,
                        turn,
                        statement_of(text, lang),
                        prio,
                        0.8 if prio in ("Must", "Should") else 0.65,
                    )
                )
                if len(pieces) > 1:
                    reqs[-1].quotes = [
                        {"turn": turn.ref, "speaker": turn.speaker, "quote": turn.text[a:b]}
                        for a, b in pieces
                    ]
                said_here = (reqs[-1], pieces[-1][0])
            elif kind == "answer":
                named = [p for p in split_list(text, lang) if not _FILLER_PART.fullmatch(p.strip(" .,!"))]
                if named and said_here is not None and all(_BREAKDOWN.match(p) for p in named):
                    # "Per beer, per month, per customer.": how the feature just named is broken down
                    item = said_here[0]
                    item.quotes.append({"turn": turn.ref, "speaker": turn.speaker, "quote": text})
                    item.statement = _with_list(
                        item.statement, ("、" if lang == "zh" else ", ").join(named), lang
                    )
                    continue
                for part in named:
                    short = len(named) > 1 or (len(part) <= 8 if lang == "zh" else len(part.split()) <= 6)
                    statement = statement_of(part, lang, noun_phrase=short)
                    reqs.append(_requirement(reqs, part, turn, statement, None, 0.55))
                    at = turn.text.find(part, clause.start)
                    said_here = (reqs[-1], at if at >= 0 else clause.start)
            elif kind == "confirmation" and confirmed is not None:
                # "那太好了，这个我最想要": one yes to the proposal, quoted from its first word to its last
                item, start = confirmed
                _quote_on(item, turn, start, clause.end)
            elif kind == "confirmation" and asked is not None and fresh and _POINTS_BACK.search(asked.text):
                # "maybe the reviews, like after the rental it sends an email" / "do you want it?" /
                # "yes why not": the yes confirms what the stakeholder said just before
                said_before = _antecedent(before)
                if said_before is not None:
                    item = _requirement(
                        reqs,
                        said_before.text,
                        said_before.turn,
                        statement_of(said_before.text, said_before.lang),
                        "Should",
                        0.7,
                    )
                    item.quotes.append({"turn": turn.ref, "speaker": turn.speaker, "quote": text})
                    reqs.append(item)
                    confirmed = said_here = (item, clause.start)
            elif kind == "confirmation" and asked is not None and fresh:
                proposal = _proposal_clause(asked)
                if proposal and not _PARKED.search(proposal):  # "van stock we put for phase two"
                    item = _requirement(reqs, proposal, asked, proposal_statement(proposal), "Should", 0.7)
                    item.quotes.append({"turn": turn.ref, "speaker": turn.speaker, "quote": text})
                    reqs.append(item)
                    confirmed = said_here = (item, clause.start)
        fresh = False
    # a statement the rules left empty or without content ("要。", "还能") is no requirement
    reqs = [
        r
        for r in reqs
        if r.statement and not _contentless(re.sub(r"^(?:The system shall|系统应)", "", r.statement))
    ]
    reqs = merge_requirements(reqs)
    # typed by the statement: the need without the speech around it (on the extracted interview
    # requirements the default model's F vs NFR macro-F1 was 0.612 by quote, 0.684 by statement)
    typed = classifier([r.statement or r.text for r in reqs]) if classifier is not None and reqs else None
    if typed is not None:  # None: the classifier could not run, the keyword types stay
        for item, (label, conf) in zip(reqs, typed, strict=True):
            item.type = label
            item.confidence = round(min(item.confidence, 0.5 + conf / 2), 3)
    contradictions = find_contradictions(said)
    return {
        "requirements": [r.as_dict() for r in reqs],
        "pain_points": [p.as_dict() for p in pains],
        "process_steps": [s.as_dict() for s in steps],
        "open_questions": [q.as_dict() for q in opens],
        "contradictions": contradictions,
        "skipped": skipped,
        "summary": {
            "turns": len(turns),
            "interviewers": sorted(leads),
            "stakeholder_turns": sum(1 for t in turns if t.speaker not in leads),
            "skipped_turns": len(skipped),
            # who typed the requirements: the trained classifier, or the keyword rules when it could not run
            "types": "model" if typed is not None else "keywords",
        },
    }


def _quote_on(item: Item, turn: Turn, start: int, end: int) -> None:
    """Extend the item's quote from this turn so that it runs from ``start`` to ``end``."""
    span = turn.text[start:end]
    item.quotes[-1]["quote"] = span
    if item.turn == turn.ref and len(item.quotes) == 1:
        item.quote = item.text = span


def _with_list(statement: str, listed: str, lang: str) -> str:
    """The statement with the list that says what the need holds ("...sees everything: the address,
    the phone number and the notes."); a statement the rules could not rephrase stays as it is."""
    listed = listed.strip().rstrip("。.!！；;")
    if (
        not statement
        or statement.startswith(_FALLBACK)
        or not listed
        or ":" in statement
        or "：" in statement
    ):
        return statement
    if lang == "zh":
        return statement.rstrip("。") + "：" + listed + "。"
    if not re.match(r"[A-Z]{2}|I\b", listed):
        listed = listed[:1].lower() + listed[1:]
    return statement.rstrip(".") + ": " + listed + "."


#: an open question that points back at what was just said ("这个回头问一下会计", "that I'd have to check")
_PARKS_IT = re.compile(
    r"^\W*(?:(?:but|and|so|well|um|uh)[,\s]+)*(?:这个|那个|这|那|this|that|it)(?:\b|(?=[\u4e00-\u9fff]))",
    re.I,
)

#: a part of a list answer that names nothing ("What sells, honestly.")
_FILLER_PART = re.compile(
    r"(?:honestly|really|basically|actually|obviously|mostly|probably|maybe|yeah|yes|okay|ok|like|i guess|"
    r"i think|you know|i mean|anyway|说实话|其实|基本上|反正|大概)",
    re.I,
)
#: parts that break a feature down ("per beer", "by month", "按门店")
_BREAKDOWN = re.compile(r"\s*(?:(?:per|by|for each|each)\b|按|每个?)", re.I)

#: a clause that narrows what was said before ("Except the fax"): no statement of its own
_EXCEPT = re.compile(
    r"^\W*(?:(?:except|but|unless|apart from|besides|without|other than|not|no|only if)\b|除了|但是|不过|除非)",
    re.I,
)

#: the statement of a need the rules could not rephrase
_FALLBACK = ('The system shall meet this need: "', "系统应满足：")


def statement_of(text: str, lang: str, noun_phrase: bool = False) -> str:
    if lang == "zh":
        return statement_zh(text, noun_phrase)
    return statement_en(text)


def _requirement(
    reqs: Sequence[Item], quote: str, turn: Turn, statement: str, priority: str | None, confidence: float
) -> Item:
    return Item(
        f"R{len(reqs) + 1}",
        "requirement",
        quote,
        quote,
        turn.ref,
        turn.speaker,
        statement=statement,
        type=rule_type(quote),
        priority=priority,
        confidence=confidence,
        quotes=[{"turn": turn.ref, "speaker": turn.speaker, "quote": quote}],
    )


#: an interviewer's question about what the stakeholder just said, naming nothing itself
_POINTS_BACK = re.compile(
    r"(?:^|[.?!]\s*|\b(?:so|and|okay|ok)\s+)(?:do|would|did) you (?:want|need|like) (?:it|that|this|them|those)"
    r"(?:\s+(?:too|as well|also|then|in the system|in the new system))?[?.!\s]*$",
    re.I,
)


@dataclass
class _Said:
    turn: Turn
    text: str
    lang: str


def _antecedent(turn: Turn | None) -> _Said | None:
    """The clause of a stakeholder turn that a "do you want it?" points back to: the last one that
    says how the new system would work."""
    if turn is None or language_of(turn.text) not in ("en", "zh"):
        return None
    for c in reversed(clauses(turn)):
        lang = "zh" if detect_language(c.text) == "zh" else "en"
        if describes_the_system(c.text, lang) and (system_acts(c.text) or wishes(c.text, lang)):
            return _Said(turn, c.text, lang)
    return None


def _proposal_clause(turn: Turn) -> str:
    """The clause of an interviewer turn that proposes a feature (the last one that does); in Chinese
    the whole sentence, whose clauses are chained with commas ("那断网的时候也得能收衣，等网络好了再传上去。")."""
    parts = clauses(turn)
    found = [c for c in parts if proposes(c.text)]
    if not found:
        return ""
    last = found[-1]
    if detect_language(last.text) != "zh":
        return last.text
    same = [c for c in parts if c.sentence == last.sentence]
    return turn.text[same[0].start : same[-1].end]


def proposal_statement(proposal: str) -> str:
    """The statement of a feature the interviewer proposed and the stakeholder confirmed."""
    if detect_language(proposal) == "zh":
        rest = re.sub(
            r"^.*?(?:要不要|需不需要|是否需要|有没有必要|用不用|要不)(?:再)?(?:加个|加一个|加|做个|做一个|做|搞个|弄个|用)?",
            "",
            proposal,
        )
        rest = re.sub(r"^.*?(?:可以加|加个|加一个|做个|做一个)", "", rest)
        rest = re.sub(r"^(?:那|那么)?如果(?:系统|软件|我们|新系统)?", "", rest)
        rest = re.sub(r"^(?:那么|那(?![个些种边样])|嗯+[，,]?)", "", rest)
        rest = re.sub(r"^(?:以后|将来|到时候)(?:的话)?[，,]?", "", rest).rstrip("…")
        # "那晨检记录也在系统里，保健医生在平板上录": what the system keeps, then how
        rest = re.sub(r"[，,]?(?:对吧|是吧|好吧|是不是|对不对)$", "", rest.rstrip("。？?"))
        if re.fullmatch(r"(?:这些|那些|这个|那个)?(?:都)?也?(?:在|进)系统(?:里|上|中)", rest):
            return ""  # "以后也在系统里？": names nothing
        kept = re.match(
            r"^((?!这些|那些|这个|那个|也)[\u4e00-\u9fffA-Za-z]{2,10}?)(?:都)?也?(?:在|进)系统(?:里|上|中)[，,]?(.*?)[。？?]*$",
            rest,
        )
        if kept:
            how = kept.group(2).strip("，, ")
            return f"系统应支持{kept.group(1)}" + (f"：{how}" if how else "") + "。"
        rest = re.sub(r"(吗|呢|吧|么)?[？?。]*$", "", rest).strip("，, ")
        if not rest and re.search(r"要不要|需不需要|是否需要|有没有必要|用不用|要不", proposal):
            return ""  # "要不要再加？": the proposal names nothing
        return statement_zh(rest or proposal, noun_phrase=bool(rest) and len(rest) <= 12)
    m = re.search(
        r"(?:would you (?:like|want|need)|do you (?:want|need)|what about|how about|we could (?:also )?(?:add)?|"
        r"i could (?:add|set up)?|we can (?:add|also add)|do you see a need for|would it help to have|is it useful to have|"
        r"shall (?:we|i) (?:add)?|could (?:we|i) (?:add)?)\s+(.+)$",
        proposal,
        re.I,
    )
    rest = (m.group(1) if m else proposal).strip().rstrip("?.! ")
    seen = re.match(
        r"^.*?\b(?:another thing|something|one thing)\b.*?\b(?:see|recommend|suggest)\s+(?:is|are)\s+(.+?)[?.! ]*$",
        proposal,
        re.I,
    )
    if seen:  # "Another thing we often see is traceability."
        return _wanted(seen.group(1))
    okay_if = re.match(
        r"^.*?\bwould it be (?:okay|ok|fine|alright|acceptable) if\s+(.+?)[?.! ]*$", proposal, re.I
    )
    if okay_if:  # "So would it be okay if it saved what you'd entered?"
        return statement_en(okay_if.group(1))
    # "Would it help if the operator could tap a reason?" / "...to send a reminder?": the wish after it
    it_helps = re.match(r"^(?:and\s+|also\s+|so\s+)?would it help\s+(if|to)\s+(.+?)[?.! ]*$", proposal, re.I)
    if it_helps and it_helps.group(1).lower() == "to":
        return statement_en(f"we want to {it_helps.group(2)}")
    if it_helps:
        return statement_en(it_helps.group(2))
    # "Would automatic reminders help?" / "And payment plans?": the feature is the question's object
    helps = re.match(r"^(?:and\s+|also\s+)?would\s+(.+?)\s+(?:help|work)\b", proposal, re.I)
    # "Could the customer accept online?": someone doing something the system lets them do
    asks = re.match(
        r"^(?:(?:and|also|so|then|okay|ok),?\s+)?(could|can|should)\s+((?:the |your |our |each |every )?[\w']+)"
        r"\s+(.+?)[?.! ]*$",
        proposal,
        re.I,
    )
    if not m and not helps and asks and asks.group(2).lower() not in ("we", "i", "it", "you", "the system"):
        subject = re.sub(r"^(?:your|our)\s", "the ", asks.group(2), flags=re.I)
        subject = subject if re.search(r"[A-Z]", subject[1:]) else subject.lower()
        modal = "should" if asks.group(1).lower() == "should" else "can"
        return statement_en(f"{subject} {modal} {asks.group(3)}")
    if not m and helps:
        rest = helps.group(1)
    elif not m:
        # an echo of what the stakeholder said: "So the system generates a daily list?", "Like a portal?"
        rest = re.sub(
            r"^(?:(?:and|also|so|like|okay|ok|right|alright|mhm|yes|yeah|good|great|what about|how about)[,.!\s]+)+",
            "",
            rest,
            flags=re.I,
        )
        if re.fullmatch(r"(?:Dr|Mr|Mrs|Ms)\.?\s+[A-Z][\w'-]+", rest) or (
            re.fullmatch(r"[A-Z][a-z'-]+", rest) and not known_word(rest)
        ):
            return ""  # "Dr. Okafor?", "Okafor?": a name asked at the door, no feature
        first = rest.split()[0] if rest.split() else ""
        if not re.search(r"[A-Z]", first[1:]):  # not "SMS", "QuickBooks"
            rest = rest[:1].lower() + rest[1:]
        if re.match(r"^(?:the system|it|we|you|they)\s+(?:could|can|would|will|should|\w+s)\b", rest, re.I):
            return statement_en(rest)
    m2 = re.search(r"(?:should|could) (?:it|the system)\s+(.+)$", proposal, re.I)
    if m2:
        return statement_en(f"the system will {m2.group(1).rstrip('?.! ')}")
    rest = re.sub(r"^(?:the system|it) to\s+", "the system will ", rest, flags=re.I)
    if rest.lower().startswith("the system will "):
        return statement_en(rest)
    if rest.lower().startswith("to "):
        return statement_en(f"we want {rest}")
    if re.match(r"^(?:before|after|during|about|regarding|at)\s", rest, re.I):
        return ""  # "what about before the rental": a topic, no feature
    # "so the bike gets blocked when it's marked as broken": a clause, not a thing to provide
    head = re.split(
        r",|\b(?:and|or|after|when|if|before|until|so that|that|which|who|because|where|while|once)\b", rest
    )[0]
    if _VERB_HINT.search(re.sub(r"\bto\s+\w+", "", head)):
        said = statement_en(rest)
        if said and not said.startswith(_FALLBACK[0]):
            return said
        return f"The system shall ensure that {rest.rstrip('?.! ')}."
    return _wanted(rest)


def _wanted(thing: str) -> str:
    """ "The system shall provide <thing>", its article kept when it has one ("a seller portal")."""
    if re.match(r"^(?:a|an|the|some)\s", thing, re.I):
        return statement_en(f"we want {thing}")
    return statement_en(f"we want a {thing}").replace("provide a ", "provide ", 1)


def merge_requirements(reqs: list[Item]) -> list[Item]:
    """One requirement per need: items whose statements share most of their content words are merged,
    keeping every quote (the more detailed statement wins)."""
    kept: list[tuple[Item, set[str]]] = []
    for item in reqs:
        key = content_key(item.statement or item.text)
        for other, other_key in kept:
            small = min(len(key), len(other_key))
            if small >= 2 and len(key & other_key) / small >= 0.6:
                if len(key) > len(other_key):
                    other.statement, other.text = item.statement, item.text
                    other_key |= key
                seen = {(q["turn"], q["quote"]) for q in other.quotes}
                other.quotes.extend(q for q in item.quotes if (q["turn"], q["quote"]) not in seen)
                other.confidence = max(other.confidence, item.confidence)
                other.priority = other.priority or item.priority
                break
        else:
            kept.append((item, key))
    out = [item for item, _ in kept]
    for n, item in enumerate(out, 1):
        item.id = f"R{n}"
    return out


def _facts(text: str) -> set[str]:
    return {m.lower() for m in _NUMBER.findall(text)}


def _topic(text: str) -> set[str]:
    return {t for t in tokenize(text) if len(t) > 1 and not t.isdigit()}


def find_contradictions(reqs: Sequence[Item]) -> list[dict[str, Any]]:
    """Two speakers saying different numbers or frequencies about the same topic."""
    out = []
    facts = [_facts(r.text) for r in reqs]
    topics = [_topic(r.text) if f else set() for r, f in zip(reqs, facts, strict=True)]
    for i, a in enumerate(reqs):
        for j in range(i + 1, len(reqs)):
            b = reqs[j]
            fa, fb, ta, tb = facts[i], facts[j], topics[i], topics[j]
            if a.speaker == b.speaker or not (fa and fb) or fa & fb:
                continue
            overlap = len(ta & tb) / len(ta | tb) if ta and tb else 0.0
            if overlap >= 0.2:
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
