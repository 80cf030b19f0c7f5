"""Reading an elicitation interview as a dialogue: who asks, what each answer responds to, which
clauses state a need, and how a consultant would write that need down.

The offline extractor (``extraction.extract``) works on *clauses* of stakeholder turns, each read
with the interviewer turn before it:

- a clause with a wish cue (must/should/need/want + noun or + verb, hedges such as "I'd like",
  "I hope", "I envision", "it would be great if", future "the system will", 希望/想要/最好/能不能/
  得有/要能...) is a requirement, unless it describes how work is done today;
- a clause that answers a question about features ("which features do you need?", "还需要什么功能？")
  is a requirement even without a cue ("Inventory management and booking training classes");
  lists in it become one requirement per item;
- "yes, of course" to a feature the interviewer proposed ("Would you like SMS reminders?") is a
  requirement built from the proposal, quoting both turns;
- small talk, self-introductions, pain points, today's process and open questions are never
  requirements (the last three are kept as their own kinds).

Statements are written "The system shall ..." / "系统应..." from the clause, fillers removed; a
clause the rewriting rules do not fit is kept verbatim inside a fixed frame rather than garbled.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from assistant.interviews.models import Turn
from assistant.text import EN_STOPWORDS, ZH_STOPWORDS, detect_language, tokenize

# -- speakers -----------------------------------------------------------------------------------

#: common Chinese surnames (a name said to a person: "李顾问", "小林", "张总")
_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
    "姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
_INTERVIEWER_LABEL = re.compile(
    r"^(顾问|实施顾问|访谈人|访谈者|访谈员|采访者|采访人|调研人|调研员|提问人|我方|问|主持人|需求分析师|分析师|"
    r"analyst|business analyst|ba|consultant|interviewer|q|i|facilitator|moderator|researcher|student)\b",
    re.I,
)
#: a Chinese role label with a surname before it or a name after it: 周顾问, 调研员小李 (not 销售顾问)
_INTERVIEWER_LABEL_ZH = re.compile(
    rf"^(?:[{_SURNAMES}]|小|老)?(?:实施)?(?:顾问|访谈人|访谈者|访谈员|采访者|采访人|调研人|调研员|提问人|主持人|"
    r"需求分析师|分析师)[\u4e00-\u9fff]{0,3}$"
)
#: a turn that speaks to the other person ("what do you...", "your team", "您"): interviewers do,
#: the people they interview seldom do. Not the generic "you" of a description ("if you", "you
#: have to", "you can't", "you just") nor "you know", "you see"
_ADDRESSES = re.compile(
    r"您|(?<!\bif )(?<!\bwhen )(?<!\bonce )\b(?:you|your)\b(?!\s+(?:know|see|mean|have to|had to|need to|can|"
    r"can't|cannot|could|just|get|got|gotta|'d|'ve got|never|always|would|wouldn't|don't|end up|lose|waste)\b)",
    re.I,
)


def interviewers(turns: Sequence[Turn]) -> set[str]:
    """The speakers who lead the interview: a label that says so (Interviewer, BA, 顾问...), else the
    speakers whose turns are questions most often: nearly as often as the one who asks most (two
    analysts often interview together), at least a quarter of their turns, and half as often again as
    anybody else. When everybody asks alike, nobody leads."""
    speakers = {t.speaker for t in turns if t.speaker}
    labelled = {
        s for s in speakers if _INTERVIEWER_LABEL.match(s.strip()) or _INTERVIEWER_LABEL_ZH.match(s.strip())
    }
    if labelled == speakers and len(speakers) > 1:  # "Interviewer" and "Student": the share decides
        labelled = {s for s in labelled if not re.match(r"student", s, re.I)}
    if labelled or len(speakers) < 2:
        return labelled
    share: dict[str, float] = {}
    for s in speakers:
        own = [t for t in turns if t.speaker == s]
        # a question, or a turn addressed to the other person: speech-to-text often drops the
        # question marks, and then the address tells who leads
        share[s] = sum(1 for t in own if _asks(t.text) or _ADDRESSES.search(t.text)) / len(own)
    best = max(share, key=lambda s: share[s])
    leads = {s for s in speakers if share[s] >= 0.75 * share[best]}
    if len(leads) == len(speakers) or share[best] < 0.25:
        return set()
    # they must ask clearly more often than anybody else
    return leads if min(share[s] for s in leads) >= 1.5 * max(share[s] for s in speakers - leads) else set()


_ASKS = re.compile(r"(吗|呢|么)[。！]?$|请问|能不能说一下|介绍一下")
# an English question without its question mark, as speech-to-text may leave it: a question word
# before its verb or an auxiliary before "you" ("...so how do you count", "do you need...")
_ASKS_EN = re.compile(
    r"(?:^|[.!,]\s*|\b(?:so|and|okay|ok|right|but|then|um|uh|well|now)\s+)(?:how|what|when|where|why)\s+(?:do|does|did|"
    r"is|are|was|were|can|could|would|will|should|about|often|many|much|kind|else)\b|"
    r"\b(?:do|does|did|can|could|would|will|have|are|were)\s+you\b",
    re.I,
)


def _asks(text: str) -> bool:
    return "?" in text or "？" in text or bool(_ASKS.search(text) or _ASKS_EN.search(text))


# -- languages ----------------------------------------------------------------------------------

_OTHER_LATIN = {
    "German": {
        "und",
        "der",
        "die",
        "das",
        "wir",
        "ich",
        "nicht",
        "ist",
        "ein",
        "eine",
        "mit",
        "für",
        "auch",
        "sie",
    },
    "French": {
        "et",
        "le",
        "la",
        "les",
        "nous",
        "je",
        "pas",
        "est",
        "une",
        "des",
        "pour",
        "avec",
        "que",
        "vous",
    },
    "Spanish": {
        "y",
        "el",
        "los",
        "las",
        "nosotros",
        "yo",
        "no",
        "es",
        "una",
        "para",
        "con",
        "que",
        "pero",
        "muy",
    },
    "Dutch": {
        "en",
        "de",
        "het",
        "wij",
        "ik",
        "niet",
        "is",
        "een",
        "voor",
        "met",
        "ook",
        "maar",
        "dat",
        "zijn",
    },
    "Portuguese": {
        "e",
        "o",
        "os",
        "nós",
        "eu",
        "não",
        "é",
        "uma",
        "para",
        "com",
        "que",
        "mas",
        "muito",
        "está",
    },
}


def language_of(text: str) -> str:
    """ "zh", "en", or the name of a language the extractor does not read (German, French, ...;
    "unknown" for other scripts)."""
    lang = detect_language(text)
    if lang == "zh":
        return "zh"
    words = re.findall(r"[a-zA-ZÀ-ÿ']+", text.lower())
    if lang == "other" or not words:
        return "unknown" if re.search(r"[^\W\d_]", text) else "en"
    if len(words) < 5:
        return "en"
    english = sum(1 for w in words if w in EN_STOPWORDS)
    best, hits = max(
        ((name, sum(1 for w in words if w in vocab)) for name, vocab in _OTHER_LATIN.items()),
        key=lambda x: x[1],
    )
    return best if hits > english and hits >= 2 else "en"


# -- clauses ------------------------------------------------------------------------------------


@dataclass
class Clause:
    """A verbatim span of one turn: ``turn.text[start:end] == text``."""

    turn: Turn
    start: int
    end: int
    sentence: int = 0  # which sentence of the turn it belongs to

    @property
    def text(self) -> str:
        return self.turn.text[self.start : self.end]


# a sentence ends at Chinese or English end punctuation (a full stop only before a space or the end,
# so that "3.5" and "e.g." inside a sentence do not cut it) or at a line break
_SENTENCE_END = re.compile(r"[。！？!?；;]+[”\"']?|\.(?=\s|$)[”\"']?|\n")
# clause boundaries inside a sentence: commas before a new clause, and contrast/cause words
_CLAUSE_EN = re.compile(
    r",\s+(?=(?:but|so|and then|because|although|though|whereas|while|which means|also|plus)\b)|"
    r"\s+(?=(?:but|because|although|whereas)\s)|,\s+(?=(?:i|we|they|it|the system|currently|right now|"
    r"at the moment|today|ideally|also)\b)",
    re.I,
)
# a comma before two or more characters, or a pause that speech-to-text wrote as a space between two
# Chinese characters ("收衣服的时候 能拍照 然后照片跟衣服绑在一起")
_CLAUSE_ZH = re.compile(r"[，,](?=[^，,]{2,})|(?<=[\u4e00-\u9fff])\s+(?=[\u4e00-\u9fff])")
# a long Chinese run without any punctuation: also cut before the words that start a new clause
_RUN_ON_CHARS = 30
_CLAUSE_RUN_ON_ZH = re.compile(
    r"(?<=[\u4e00-\u9fff])(?=然后|还有|另外|而且|但是|不过|所以|因为|对了|就是说|比如|最好|一定要|必须|希望|我想|我们想|要是能)"
)
# a long English sentence, as speech transcribed without punctuation gives: also cut where a speaker
# starts a new clause ("...the same slot i just want one calendar", "...yes so maybe only...")
_RUN_ON_WORDS = 20
_CLAUSE_RUN_ON = re.compile(
    r"\s+(?=(?<!\bwhat\s)(?<!\bthat\s)(?<!\bwhich\s)(?<!\bthing\s)(?<!\bpart\s)(?<!\bone\s)"
    r"(?:i|we)(?:'d|'m|'ll|'ve)?\s+(?!think\b|mean\b|guess\b|suppose\b)|(?:so|but|then|and then|and if|and also|"
    r"yeah|okay|ok|right|well|actually)\s|"
    # "...working saturdays and honestly it can't go down during the day": a second need of the system
    r"and\s+(?:honestly\s+|also\s+|plus\s+|really\s+)?(?:it|the system)\s+(?:can'?t|cannot|shouldn'?t|mustn'?t|must|"
    r"should|has to|needs to|have to)\b|"
    # "...me with a calculator if the system could suggest the staff numbers": a wish begins
    r"(?:and\s+)?if\s+(?:somehow\s+)?(?:the system|it|they|we|you|people|customers|clients)\s+could\b)",
    re.I,
)


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Where the sentences of a text start and end (Chinese and English punctuation, line breaks)."""
    bounds, last = [], 0
    for m in _SENTENCE_END.finditer(text):
        bounds.append((last, m.end()))
        last = m.end()
    if last < len(text):
        bounds.append((last, len(text)))
    return [(s, e) for s, e in bounds if text[s:e].strip()]


def clauses(turn: Turn) -> list[Clause]:
    """The turn's sentences, split further into clauses; each a verbatim span, trimmed."""
    out: list[Clause] = []
    text = turn.text
    for n, (s, e) in enumerate(sentence_spans(text)):
        sentence = text[s:e]
        splitter = _CLAUSE_ZH if detect_language(sentence) == "zh" else _CLAUSE_EN
        cuts = list(splitter.finditer(sentence))
        if splitter is _CLAUSE_EN and len(sentence.split()) > _RUN_ON_WORDS and "," not in sentence:
            cuts = sorted(cuts + list(_CLAUSE_RUN_ON.finditer(sentence)), key=lambda b: b.start())
        if splitter is _CLAUSE_ZH and not cuts and len(sentence) > _RUN_ON_CHARS:
            cuts = list(_CLAUSE_RUN_ON_ZH.finditer(sentence))
        cut = s
        for b in cuts:
            if s + b.start() < cut:
                continue
            out.append(Clause(turn, cut, s + b.start(), n))
            cut = s + b.end()
        out.append(Clause(turn, cut, e, n))
    return [c for c in (_trim(c) for c in out) if c is not None]


def _trim(c: Clause) -> Clause | None:
    text = c.text
    left = len(text) - len(text.lstrip(" ,，、:：-—\t\n"))
    right = len(text.rstrip(" ,，、:：-—\t\n"))
    if right - left < 2 and not (right - left == 1 and text[left] in "对行好要是"):
        return None  # one character only when it is a Chinese word ("对", "行")
    return Clause(c.turn, c.start + left, c.start + right, c.sentence)


# -- what a clause says ---------------------------------------------------------------------------

_CHITCHAT = re.compile(
    r"^(?:hi|hello|hey|good (?:morning|afternoon|evening)|thanks?|thank you|bye|goodbye|see you|nice to meet|"
    r"pleasure|you're welcome|no problem|(?:okay|ok|alright|right|sure|great|perfect|cool|um+|uh+|hmm+|yes|yeah)[\s,.!]*$|"
    r"that'?s (?:all|it)|i think that'?s (?:all|it)|let'?s (?:start|begin|wrap)|my name is|i'?m (?-i:[A-Z])[a-z]+|"
    r"i am (?-i:[A-Z])[a-z]+|i own|i run|i'?ve been|we'?ve been (?:open|running|in business)|"
    r"你好|您好|谢谢|感谢|再见|辛苦|不客气|没事|好的?[。！]?$|嗯+[。！]?$|行[。！]?$|我是|我叫|我姓|我们公司是|我们是做|"
    r"那我们开始|今天就到这|先这样|麻烦你|打扰|不好意思|坐坐|请坐|喝茶|喝水|哈哈|对对|是是|没错没错|"
    r"(?:这个|那个|那)?(?:太|很|挺|非常|特别)?(?:需要|要有|好|重要|有用|必须|对)(?:了|的|啊|呀)?[。！!]?$|"
    r"(?:that|it|this) (?:would|will|'d|'ll) be (?:great|nice|good|helpful|useful|perfect|amazing|brilliant)[.!]*$|"
    r"(?:that|this) (?:sounds|is|'s) (?:good|great|fine|perfect|right|correct|true)[.!]*$|exactly[.!]*$|"
    r"(?:oh,? )?(?:god|wow|right|yes|yeah|okay)[,.!]*$|just one (?:more )?thing|one more thing)",
    re.I,
)
_CURRENT = re.compile(
    r"\b(?:currently|right now|at the moment|at present|today|nowadays|usually|normally|every (?:day|week|month|morning)"
    r"|at the end of (?:the|each) (?:day|month)|we (?:use|do|keep|write|call|send|type|print|take|track|check|count|enter|copy|fill)s?\b|at month end|month-end"
    r"|(?:is|are) done by hand|by hand|on paper|in excel|via fax|by phone)"
    r"|现在|目前|平时|一般|每次都|每天都|每个月都|都是用|都是靠|手工|手写|纸质|用Excel|用excel|打电话",
    re.I,
)
_PAIN = re.compile(
    r"麻烦|经常|总是|老是|出错|错误|太慢|慢得|手工|重复录|混乱|乱七八糟|困难|浪费|抱怨|头疼|头痛|来不及|对不上|加班|丢单|漏单|"
    r"\b(?:problem|issue|a mess|messy|slow|error|errors|mistake|mistakes|painful|pain|headache|waste|lost|lose|forget|"
    r"forgot|late|double|twice|nightmare|frustrat\w*|annoy\w*|time-consuming|chaos|often|do(?:es)?n'?t match|"
    r"do(?:es)? not match|never match|again and again|takes (?:ages|forever|hours))\b",
    re.I,
)
_OPEN = re.compile(
    r"待定|还不确定|不确定|不太确定|要确认|需确认|再商量|再说(?:吧|[。！，,]|$)|回头|以后再说|回去问|问一下|问问(?!题)|"
    r"还没问|还没想好|看情况|说不好|我也不知道|"
    r"\b(?:not sure|i don'?t know (?:yet|if|whether)|to be confirmed|tbc|tbd|have to check|need to check|ask my|"
    r"decide later|haven'?t decided|no idea yet|we'?ll see|depends|"
    r"(?:have|need) to think about (?:it|that)|let me think|(?:i|we)(?:'d| would|'ll| will)? have to "
    r"(?:ask|check with|talk to|speak to|confirm with) (?!(?:the )?(?:customers?|clients?|users?|patients?)\b))\b",
    re.I,
)
# wishes and needs, English
_WISH_EN = re.compile(
    r"\b(?:must|shall|should|ought to|need(?:s|ed)?|have to|has to|required?|requires|want(?:s|ed)?|"
    r"would (?:like|love|want|prefer|need)|'d (?:like|love|want|prefer|need)|wish|hope|hoping|envision|imagine|"
    r"would be (?:great|nice|good|helpful|useful|ideal|cool|awesome|amazing|handy|brilliant|lovely)|"
    r"(?:it|that)'?d be (?:great|nice|good|helpful|useful|handy|brilliant|lovely|ideal)|"
    r"(?:what|it|that) would (?:really )?help\b|would help (?:if|to|us|me)\b|"
    r"nice to have|ideally|looking for|prefer|be able to|will (?:need|have to)|(?:that'?s|is|are|it'?s) (?:really )?"
    r"(?:important|crucial|essential|key|a must)|only (?:the |my |our )?\w+ (?:can|may|should)|"
    r"(?:the system|it|the app|the software|the website|the platform|the tool|the program) (?:will|would|could|can|'ll)\b|"
    # "everybody has own login so i know who did what": a login per person is asked for, not described
    r"\b(?:every(?:body|one)|each (?:person|user)|every (?:user|person))\s+(?:has|gets|should have|needs?)\s+"
    r"(?:(?:their|his|her|an?)\s+)?own (?:logins?|accounts?)\b|\bown (?:logins?|accounts?) for (?:each|every)\b|"
    r"^\W*(?:so\s+)?own (?:logins?|accounts?)\b|"
    # "as long as it doesn't lose what I typed": the condition is the need
    r"(?<!\bfor )(?<!takes )\bas long as\b(?!\s+(?:i|we|you|they|anyone|anybody|everyone)(?:'ve|\s+(?:have|had|worked|been)\b|"
    r"\s+(?:can |could )?remember\b))|"
    # "But warn me.": the system told what to do
    r"^\W*(?:(?:but|and|just|then|so)\s+)?(?:warn|tell|show|remind|alert|notify|ping) (?:me|us)\b"
    r"(?! about (?:it|that)\b| if (?:i|i'm|we)\b)|"
    # "If that went into Xero automatically once it's delivered...": the new system imagined
    r"^\W*(?:(?:and|but|so)\s+)?if (?:that|it|this|the system|the app) (?:could|would|(?:just )?(?:went|came|showed|sent)\b"
    r"(?=[^.]*\b(?:automatically|straight|directly|by itself|on its own)\b))"
    r"(?![^.]*\b(?:wrong|broke|breaks|fails?|crash\w*|down|lost|stop\w*|froze|missing)\b))",
    re.I,
)
_WISH_ZH = re.compile(
    r"必须|一定要|肯定要|当然要|务必|需要|要求|应该|应当|得要|得有|要有|希望|最好|能不能|可不可以|能否|要能|想要|想有|想让|期望|打算|考虑|"
    r"将来|以后要|以后能|到时候|不能|不允许|禁止|不得|不超过|至少|自动|支持|能够|可以.*就好|就好了|就行了|"
    r"要是能|如果能|想实现|要实现|得能|能.*吗|都要[。！]?$|很重要|非常重要|最重要|关键是|只能|只有.{1,8}才能|才可以|"
    r"(?:每人|每个人|各自)(?:都)?(?:要|得)?有(?:一个)?(?:自己的|各自的|单独的)?(?:账号|帐号)|"
    # "它就给我列出来", "就提醒", "客户能在小程序上自己下单", "让客户打个分", "别再派了", "不许导出", "点一下就行"
    r"(?<!以前的)(?<!原来的)(?<!现在的)(?<!之前的)(?<!上次)(?:它|系统|软件|小程序)(?:就(?!是)|会|能|自动)"
    r"(?![^，。！？]*(?:卡|死机|崩|丢|慢|关机|闪退|错|用不了))|就(?:提醒|通知|报警|推送|标红|自动)|能在(?:小程序|手机|平板|网上|系统)|"
    r"(?<![们我板司])让(?:客户|顾客|阿姨|家长|员工|用户|司机|老师|师傅|会员|店员)|别再(?!说|提|问|讲)|别让|"
    r"(?<![板户司们])不(?:让|许|准)(?![我你他她咱])|(?<![说约聊讲问])(?<!差不多)就行|"
    r"(?<![不还只就也都想需主重必])要(?![不是么求])(?=[\u4e00-\u9fff])"
)
_FEATURE_QUESTION = re.compile(
    r"\b(?:features?|functions?|functionality|requirements?|what (?:do|would) you (?:need|want|like|expect)|"
    r"what should (?:it|the system|the app)|which (?:parts|modules|things)|what else|anything else|"
    r"what would (?:help|make)|wish ?list|must-haves?|expect from|looking for)\b|"
    r"功能|需求|希望.*系统|系统.*(?:做什么|干什么|能做)|还要什么|还需要什么|还有什么(?!问题|困难|麻烦)|"
    r"哪些(?!原因|问题|困难|麻烦|情况|毛病)|哪几个|想要什么|期望|要解决|想解决|解决.*问题",
    re.I,
)
#: the people of a business who use a system ("customers can book online", "staff shouldn't see ...")
_ROLES = (
    r"(?:the |our |my )?(?:customers?|clients?|patients?|students?|parents?|guests?|members?|staff|employees?|"
    r"teachers?|drivers?|technicians?|engineers?|nurses?|doctors?|vets?|managers?|users?|buyers?|sellers?|tenants?|"
    r"landlords?|agents?|operators?|cashiers?|suppliers?|visitors?|trainers?|instructors?|workers?|carers?|"
    r"cleaners?|owners?|admins?|accountants?)"
)
#: people a new feature would serve, as the subject of an interviewer's "could the customers ...?"
_PEOPLE = rf"(?:(?:your|each|every)\s+)?{_ROLES}|(?:the\s+)?office|they"
PROPOSAL = re.compile(
    r"\b(?:would you (?:like|want|need)|do you (?:want|need|think you'?d need)|should (?:it|the system|we|i)|"
    r"what about|how about|shall (?:we|i)|we could|i could|could (?:we|the system|it)|we can (?:add|also)|"
    r"would it help|does it make sense|is it (?:useful|important)|would (?:that|it) be (?:useful|helpful)|"
    r"do you see a need)\b|\bwould .{1,60}\bhelp\b|"
    # "So would it be okay if it saved what you'd entered?", "Usually better if they have their own"
    r"\bwould it be (?:okay|ok|fine|alright|acceptable) if (?!(?:i|we)\b)|"
    r"\b(?:usually|generally|often|probably) better if (?!(?:we|i|you)\b)|"
    # "Another thing we often see is traceability.", "Many breweries use ..."
    r"\b(?:another thing|something|one thing) (?:we|other (?:clients|customers|companies)) (?:often |usually |typically )?"
    r"(?:see|recommend|suggest)\b(?!\s+(?:is|are)\s+(?:that|people|when|how|a lot)\b)|"
    r"\b(?:many|most|a lot) of our (?:clients|customers) (?:use|want|ask for|add|choose)\b|"
    r"\bother (?:clients|customers|companies|businesses) (?:use|like|want)\b|"
    r"^(?:(?:and|so|also)\s+)?would (?!you\b|that\b|it\b)(?![^?]*\b(?:monday|tuesday|wednesday|thursday|friday|"
    r"saturday|sunday|tomorrow|next week|a call|a meeting|follow-up|time|date)\b).{1,60}\bwork\b|"
    # "could the customer accept online, with a button in the email?": someone else doing something new
    rf"^(?:(?:and|also|so|then|okay|ok)[,]?\s+)?(?:could|can|should) (?:{_PEOPLE}) (?!be\b)\w+"
    r"(?![^?]*\b(?:today|now|currently|usually|already|at the moment|or only)\b)[^?]*\?$|"
    # "okay, reminder the day before the appointment": the interviewer repeats a need to confirm it
    r"^(?:okay|ok|right|alright)[,.]?\s+(?!(?:i|i'm|we|we'll|you|so|let|let's|thanks|thank|good|great|sure|cool|"
    r"fine|then|and|now|next|that|that's|this|it|it's|there|he|she|they|well|yes|yeah|no|not|perfect|understood|"
    r"got|interesting|wow|lovely|nice|mhm|hmm|um|uh|what|how|why|when|where|who|which|do|does|did|is|are|can|"
    r"could|would|will|shall|should|one|two|three|last|first|moving|back|lots|plenty|makes|my|your|our|his|her|"
    r"their|another|more|some|any|all)\b)(?![^.]*\b(?:then|too|done|again|now)[.]?$)(?![^.]*\b(?:is|are|was|were|"
    r"has|have|had|will|'s|'re|handles|does|do)\b)\w+(?:[\s,]+[\w'-]+){2,12}[.]?$|"
    r"^(?!(?:(?:and|also|but|so|or)\s+)?(?:do|does|did|are|is|was|were|have|has|had|how|what(?! about)|when|where|"
    r"who|why|which|can|could|will|would|shall|should|may|might|if)\b)"
    r"(?:and|also|what about|how about)?\s*[\w' -]{3,50}\?$|"
    # "like a seller portal": a short suggestion, its question mark lost to speech-to-text
    r"^(?:(?:so|and|or)\s+)?(?:like|maybe|perhaps)\s+(?:a|an|some)\s+(?!(?:lot|bit|little|few|couple|kind|sort|"
    r"day|week|month|year|while|time|hundred|thousand|dozen|third|half|quarter|hour|minute|second|typical|"
    r"normal|question|example|break|\d+)\b)[\w'-]+(?:\s+[\w'-]+){0,4}[.?]?$|"
    r"\bwhat if\b|\bcan (?:we|you|it|the system) (?:add|have|get|also)\b|\bwould .{1,40} be (?:useful|helpful|good)\b|"
    r"^(?:那|那么)?如果(?:系统|软件|我们|新系统)?(?:能|可以)[^呢吗？?]{2,}|"
    r"要不要|需不需要|是否需要|要不(?!要)|可以加|加个|加一个|(?<!不)用不用|做个|做一个|考虑.*[吗么]|有没有必要|"
    # the interviewer sums up what was said, for the stakeholder to confirm: "okay so a deposit online"
    r"^(?:(?:okay|ok|right|alright|mhm|yes|yeah|good|great)[,.!]?\s+)*so,?\s+(?!(?:what|how|why|when|where|who|"
    r"which|do|does|did|is|are|can|could|would|will|tell|let'?s|let|shall|now|then|far|much|next|moving|"
    r"our next|the next|i|we|anyway)\b)\w+(?:\W+\w+){1,}|"
    r"^(?:也就是说|就是说|那就是|所以您的意思是|您的意思是|所以是)|"
    # "……这样可以吗？", "……您觉得怎么样？"
    r"(?:这样|这个|那样)?(?:可以|行|好)(?:吗|么)[？?]?$|您觉得(?:怎么样|如何|呢|行吗|可以吗)|怎么样[？?]$|好不好|行不行",
    re.I,
)


def wishes(text: str, lang: str) -> bool:
    """Whether a clause holds a need or wish word (must, would like, 希望, 要能...)."""
    if lang != "zh":
        text = re.sub(r"\bi (?:want to|wanna|'d like to|would like to) say\b", "", text, flags=re.I)
    return bool((_WISH_ZH if lang == "zh" else _WISH_EN).search(text))


#: the new system in an interviewer's Chinese sentence ("那晨检记录也在系统里", "以后家长在手机上请假")
_FUTURE_ZH = re.compile(
    r"以后|将来|到时候|系统里|系统上|系统(?:能|可以|会|就)|自动|手机上|平板上|小程序|线上"
)
#: a Chinese question that asks what, which, how or how many: no feature proposed
_WH_ZH = re.compile(r"什么|哪|怎么|多少|几(?!乎)|为什么|还是")
#: today, a fact or a complaint, not the new system ("您现在是在手机上记账吗？", "系统上的数据是你们自己录的吗？")
_TODAY_ZH = re.compile(
    r"现在|目前|平时|一般|之前|以前|原来|确实|再说|不方便|麻烦|是[^，。？]{0,14}的吗|对吧|是吧|是不是"
)
#: what the consultants will do themselves ("我们回去整理一下")
_OURS_ZH = re.compile(r"我们|给您|跟您|帮您|我这边|我回去")


def proposes(text: str) -> bool:
    """Whether an interviewer's sentence proposes a feature: a proposal or summary (PROPOSAL), or, in
    Chinese, a wish said as a statement ("那断网的时候也得能收衣。") or the new system described
    ("那晨检记录也在系统里，保健医生在平板上录。", "伙房也能看到？") for the stakeholder to confirm."""
    if META_QUESTION.search(text) or _COURTESY.search(text) or _GREETING.search(text):
        return False
    if PROPOSAL.search(text):
        return True
    if detect_language(text) != "zh" or _OURS_ZH.search(text):
        return False
    asks = text.rstrip().endswith(("？", "?"))
    return (not asks and bool(_WISH_ZH.search(text))) or (
        bool(_FUTURE_ZH.search(text)) and not _WH_ZH.search(text) and not _TODAY_ZH.search(text)
    )


#: greetings and thanks inside a sentence ("so hello again and thank you for having us")
_GREETING = re.compile(
    r"\b(?:hello|hi there|good (?:morning|afternoon|evening)|nice to (?:meet|see) you|"
    r"thanks?(?: you)? (?:so much |very much )?for (?:having|your time|taking|doing this|coming|meeting|making))\b|"
    r"谢谢您?(?:抽时间|接受|的时间)|感谢您?(?:抽时间|接受)",
    re.I,
)


def backchannel(text: str) -> bool:
    """An interviewer's "mhm", "okay, I see", "嗯嗯", "对": no question, nothing proposed; the
    stakeholder goes on answering the question before it."""
    text = text.strip()
    if _asks(text) or proposes(text):
        return False
    if detect_language(text) == "zh":
        return len(re.sub(r"[\W_]", "", text)) <= 6
    return len(text.split()) <= 5


#: questions that steer the conversation, not features ("Raj, do you want to kick off?")
META_QUESTION = re.compile(
    r"\b(?:kick off|go first|introduce yourself|tell (?:me|us)|walk (?:me|us)|describe|add anything|"
    r"take a break|show (?:me|us) around|move on|start with|begin with)\b|介绍一下|先说|开始吧|说说|讲讲|聊聊|休息",
    re.I,
)
_CONFIRM = re.compile(
    r"^(?:yes|yeah|yep|sure|of course|definitely|absolutely|exactly|please|certainly|totally|that would be "
    r"(?:great|nice|good|helpful|useful|perfect|amazing|handy|brilliant|ideal|lovely|fantastic|super)|"
    r"that'?d be (?:great|nice|good|helpful|useful|handy|brilliant|ideal|lovely|perfect|fantastic|super)|"
    r"sounds (?:good|great)|good idea|great idea|that would (?:really )?help|that'?d help|oh yes|oh yeah|yes please|that'?s a good idea|we'?d love that)\b|"
    r"^(?:那|嗯+[，,]?)?(?:对(?!不)|是的|没错|可以|好的|当然|行|要的|需要的|这个好|好啊|好呀|太好了|那当然|必须的|要要|可以可以|"
    r"好好|那好|那就太好了|就是这个意思|这个要|都行|都可以|要(?=[，,。！]|$))",
    re.I,
)
#: a feature turned down: "I don't want a web shop", "we dont need it", "不需要这个" (but "I don't
#: want to lose the data" is a need)
_REJECTED = re.compile(
    r"^(?:(?:but|and|no|so|oh|well|honestly|really)[,\s]+)*(?:i|we)\s+(?:really\s+)?(?:don'?t|do not|dont)\s+"
    r"(?:want|need)\s+(?!to\b)(?![\w' ]{1,30}?\s(?:to|\w+ing)\b)|^(?:i|we) (?:don'?t|do not|dont) (?:think )?(?:we|i) need (?:it|that|this)\b|"
    r"^(?:(?:but|and|no|so|oh|well)[,\s]+)*(?:i|we)\s+(?:really\s+)?(?:don'?t|do not|dont)\s+(?:need|have) to\s+"
    r"(?![^.]*\b(?:again|twice|anymore|any more|manually|by hand|retype|re-enter)\b)|"
    r"^(?:不需要|不用|没必要|用不着)(?:这个|那个|这些)?[。！，,]?$|^[^，。,]{2,12}?(?:就)?(?:不要|不用|不需要)了?[。！]?$",
    re.I,
)
#: parked for a later phase ("yes, but not for now", "可以先不做")
_PARKED = re.compile(
    r"不做也行|不急|先不做|可以先不|以后再做|[二下]期再|放到[二下]期|"
    r"\b(?:not urgent|can wait|not (?:for )?now|(?:in )?(?:phase|stage) (?:two|2)|later phase)\b",
    re.I,
)
#: a reason given for a need, not a need of its own
_REASON = re.compile(r"^(?:(?:and|but|so)\s+)?(?:because|since|cause|'cause)\b|^(?:因为|由于)", re.I)
_NO = re.compile(r"^(?:no|nope|not really|not needed|we don'?t need)\b|^(?:不用|不需要|没必要|不要)", re.I)


def kind_of(clause: str, asked: str, lang: str, first_answer: bool = True) -> str:
    """What a stakeholder clause is, given the interviewer turn before it: requirement, confirmation,
    answer (to a feature question), pain_point, process_step, open_question, rejected (a feature
    turned down), chitchat or other."""
    text = clause.strip()
    proposed = any(proposes(asked[a:b]) for a, b in sentence_spans(asked))
    if _PARKED.search(text):
        return "open_question"
    if _CONFIRM.search(text) and proposed and not _NO.search(text):
        return "confirmation"
    text = (
        re.sub(
            r"^(?:(?:um+|uh+|er+|hmm+|well|so|oh|ah|(?:oh )?my (?:god|gosh|goodness)|god|gosh|wow|嗯+|啊+|那个|哎呀|哇)"
            r"[,，.!！\s]+)+",
            "",
            text,
            flags=re.I,
        )
        or text
    )
    if _CONFIRM.search(text) and proposed and not _NO.search(text):
        return "confirmation"
    wish = wishes(text, lang)
    if _COURTESY.search(text) or (_CHITCHAT.search(text) and not wish):
        return "chitchat"
    if _REJECTED.search(text):
        return "rejected"
    if _REASON.search(text):  # "because people need space": why, not what
        return "other"
    if _contentless(text):  # "这个太需要了", "Ideally, yeah": says yes to something, names nothing
        return "confirmation" if proposed and not _NO.search(text) else "chitchat"
    if _OPEN.search(text) or (text.endswith(("?", "？")) and not (wish and _ASKS_FOR.search(text))):
        return "open_question"
    current = _CURRENT.search(text)
    if wish and not (current and not _future_wish(text, lang)):
        return "requirement"
    if _PAIN.search(text):
        return "pain_point"
    if current:
        return "process_step"
    # a feature named in answer to "which features?": only in the answer itself, and a noun phrase
    if first_answer and _feature_question(asked) and _named_feature(text, lang):
        return "answer"
    return "other"


#: offers, courtesies and names said to a person: small talk even when they hold a need word
_COURTESY = re.compile(
    r"\b(?:(?:grab|get|have|want|like|fancy)\s+(?:a|some)\s+(?:(?:cup|glass|mug) of\s+)?(?:coffee|tea|water|drink)|(?:have|take) a seat|"
    r"sit down|make yourself at home)(?=\s*(?:[,.!?]|$|if\b|or\b|first\b|before\b))|"
    r"喝(?:点|杯|口)?(?:水|茶|咖啡)|来(?:点|杯)(?:水|茶|咖啡)|坐坐|请坐|这边坐|不用不用|别客气|小心点|"
    rf"^[{_SURNAMES}](?:顾问|经理|总|老师|店长|医生|主任|先生|女士|小姐|师傅|工|姐|哥)[。！，,!]?$|"
    rf"^(?:小|老)[{_SURNAMES}][。！，,!]?$|"
    # the recording and the line: "it's recording", "can you hear me", "听得到吗"
    r"\b(?:(?:it'?s|is it|we'?re|are we|it should be|should be|it is|i'?m)\s+(?:now\s+)?recording|(?:can|do) you hear me|"
    r"(?:i )?(?:can )?hear you (?:fine|well|ok|okay|clearly|now)|(?:you'?re|you are) on mute)\b|"
    r"(?:在|开始)录音|听得(?:到|见|清)(?:吗|么|我)|能听到(?:吗|我)|"
    # the speaker's own day: "i need to be at the front at eleven", "i have to go to the front"
    r"^(?:(?:sorry|so|and|but|oh|okay|ok)[,\s]+)*(?:i|we)\s+(?:really\s+)?(?:need|have|must|got)\s+to\s+"
    r"(?:leave|run|head (?:off|out|back)|get back|be (?:at|back|somewhere|off|going|leaving)|pick up (?:my|the kids))\b"
    r"(?![^.]*\b(?:system|app|software|screen|record|report|data|online)\b)|"
    # ... also at the end of run-on speech: "you're welcome oh it's five to eleven i have to go to the front"
    r"\b(?:i|we)\s+(?:need|have|must|got)\s+to\s+(?:go|run|leave|head off|get back)(?:\s+(?:now|soon|back))?"
    r"(?:\s+to\s+(?:the\s+)?[\w-]+)?[.!]?$",
    re.I,
)
#: what speech-to-text and transcribers put for what is not speech: "[laughs]", "(inaudible)", "（笑）"
NONSPEECH = re.compile(
    r"\[[^\]\n]{1,30}\]|\((?:inaudible|unclear|unintelligible|crosstalk|laughs?|laughing|laughter|pause|silence|"
    r"noise|coughs?|sighs?|music|background noise|phone rings?)[^)\n]{0,20}\)|（(?:笑|大笑|听不清|杂音|停顿|咳嗽)[^）\n]{0,10}）"
)
#: a stakeholder's question that asks for a capability ("能不能自动提醒？", "Can it send reminders?")
_ASKS_FOR = re.compile(
    r"能不能|可不可以|能否|可以.*[吗么]|能.*[吗么]|有没有办法|是否可以|"
    r"\b(?:can|could|would|will) (?:it|the system|the app|the software|we|you|they)\b|is it possible|"
    r"is there (?:a way|any way)",
    re.I,
)
#: words that say yes, stress or want without naming anything
_EMPTY_WORDS = {
    "就是", "这样", "那样", "还有", "重要", "想要", "需要", "必须", "一定", "肯定", "当然", "可以", "没问题",
    "非常", "特别", "真的", "最好", "希望", "ideally", "yeah", "yes", "oh", "sure", "great", "good", "nice",
    "definitely", "absolutely", "really", "important", "crucial", "essential", "need", "needs", "want",
    "wants", "must", "like", "love", "okay", "please", "course", "exactly", "totally", "perfect", "helpful",
    "useful", "thing", "things", "stuff", "one", "yep", "right", "cool", "fine", "indeed", "first", "firstly",
    "second", "secondly", "last", "lastly", "all",
}  # fmt: skip


#: one-character Chinese words that carry no content of their own
_ZH_FUNCTION_CHARS = set("要的了都也就是有这那个很太最我你他她它们啊呀吧呢吗嗯对行好能会得还再又一些真挺")


def _contentless(text: str) -> bool:
    """A clause that names nothing: only need words, pronouns, stress and yes ("这个太需要了",
    "Ideally, yeah"); a one-character Chinese word counts ("要快" names speed)."""
    words = [t for t in tokenize(NONSPEECH.sub(" ", text)) if t not in EN_STOPWORDS and t not in ZH_STOPWORDS]
    for w in words:
        if w.lower() in _EMPTY_WORDS:
            continue
        if len(w) > 1 or ("\u4e00" <= w <= "\u9fff" and w not in _ZH_FUNCTION_CHARS):
            return False
    return True


def _future_wish(text: str, lang: str) -> bool:
    """A wish about the new system, not a need of today's process ("we have to call everyone")."""
    if lang == "zh":
        return bool(
            re.search(r"希望|最好|想要|想有|能不能|要能|以后|将来|系统|软件|自动|就好了|要是能|如果能", text)
        )
    return bool(
        re.search(
            r"\b(?:would|'d|wish|hope|envision|imagine|ideally|the system|the app|the software|it will|"
            r"want|new system|in future|in the future|going forward|be able to)\b",
            text,
            re.I,
        )
    )


def _named_feature(text: str, lang: str) -> bool:
    """A noun phrase (or a list of them) that can name a feature: "booking for the classes",
    "库存管理、排班"; not an anecdote, an opinion or a fragment."""
    if _is_story(text, lang) or len(_content_words(text)) < (1 if lang == "zh" else 2):
        return False
    if lang == "zh":
        body = re.sub(
            r"^(?:第[一二三四五六七八九十\d]+个?(?:是|就是)?|一个是|一是|二是|三是|再就是|还有就是|还有)",
            "",
            text.strip("。！？，, "),
        )
        return 2 <= len(body) <= 30 and not re.search(r"[我你他她]|了$|的$|是|在|过|吧|啊|呢|吗", body)
    return all(_noun_phrase(p) for p in split_list(text.strip(" ."), "en")) and _noun_phrase(
        re.split(r",|\band\b", text)[0].strip(" .")
    )


def _feature_question(asked: str) -> bool:
    """Whether the interviewer asked which features are wanted: a question about features, not an
    introduction that mentions them ("今天来了解一下需求。", "I'm here about your requirements.")."""
    return any(
        _asks(sentence) or bool(re.search(r"什么|哪|怎么|多少", sentence))
        for sentence in (asked[a:b] for a, b in sentence_spans(asked))
        if _FEATURE_QUESTION.search(sentence)
    )


def describes_the_system(text: str, lang: str) -> bool:
    """A clause that says how the new system works, in the present tense ("they see how many places
    are free", "it sends the contract by email"): content, no anecdote, nothing of today's process."""
    return (
        len(_content_words(text)) >= 2
        and not _is_story(text, lang)
        and not _CURRENT.search(text)
        and not _PAIN.search(text)
        and not text.rstrip().endswith(("?", "？"))
    )


#: a Chinese clause that tells the situation or the consequence, not more of the need ("有时候压在最里面",
#: "不然又对不上"); a condition ("要是客户三天没来取") stays part of it
_SITUATION_ZH = re.compile(r"不然|否则|有时候|总是|老是|那就|就麻烦|都不知道")


#: what the system does in a clause that names a problem ("对不上的标红", "flag the ones that don't match")
_ACTS = re.compile(
    r"标红|标出|标记|提醒|通知|报警|预警|显示|推送|锁定|拦截|"
    r"\b(?:flag|flags|highlight|highlights|alert|alerts|notify|notifies|remind|reminds|show|shows|block|blocks|"
    r"lock|locks|send|sends|mark|marks)\b",
    re.I,
)


def system_acts(clause: str) -> bool:
    """Whether a clause says what the system does about something ("对不上的标红")."""
    return bool(_ACTS.search(clause))


def goes_on(clause: str, lang: str) -> bool:
    """Whether a plain clause after a need, in the same sentence, still says more of the need, rather
    than why it matters, what happens today or what went wrong."""
    text = clause.strip()
    if _REASON.search(text) or _PAIN.search(text) or _CURRENT.search(text) or _is_story(text, lang):
        return False
    return not (lang == "zh" and _SITUATION_ZH.search(text))


def enumerates(text: str, lang: str) -> bool:
    """A sentence that only lists things ("The address, the customer's number, what the problem is,
    and the history."; "品名、数量、保质期"): at least three short parts, no question."""
    body = text.strip().rstrip("。.!！")
    if not body or body.endswith(("?", "？")) or _CURRENT.search(body) or _is_story(body, lang):
        return False
    if lang == "zh":
        parts = [p for p in re.split(r"[、，,]|还有|以及", body) if p.strip()]
        return len(parts) >= 3 and all(len(p.strip()) <= 8 for p in parts) and not _PAIN.search(body)
    parts = [p for p in re.split(r",|;|\band\b|\bor\b", body) if p.strip()]
    # "paper gets lost, orders get mixed up": a list of complaints; "what the problem is" names a field
    pains = [
        p
        for p in parts
        if _PAIN.search(p) and not re.match(r"\s*(?:what|how|when|where|who|which)\b", p, re.I)
    ]
    return len(parts) >= 3 and all(len(p.split()) <= 5 for p in parts) and not pains


def _is_story(text: str, lang: str) -> bool:
    """A past-tense anecdote or an opinion, not a feature named in an answer."""
    if lang == "zh":
        return bool(re.search(r"上次|那次|以前|去年|有一次|我觉得|我认为", text))
    return bool(
        re.search(
            r"\b(?:was|were|had|did|last (?:week|month|year)|once|yesterday|i think|i feel)\b", text, re.I
        )
    )


def _content_words(text: str) -> list[str]:
    return [t for t in tokenize(text) if len(t) > 1 and t not in EN_STOPWORDS and t not in ZH_STOPWORDS]


# -- statements ---------------------------------------------------------------------------------

_FILLER_HEAD_EN = re.compile(
    r"^(?:(?:well|so|um+|uh+|er+|hmm+|yeah|yes|okay|ok|oh|and|but|also|like|honestly|basically|actually|"
    r"i mean|you know|i think|i guess|i suppose|i'd say|of course|definitely|sure|right|then|plus|"
    r"and also|another thing is|the other thing is|one more thing|for example|for instance|maybe|probably|"
    r"because|cause|'cause|and then|if possible|ah|god|gosh|oh god|wow)"
    r"(?:[,.!:]\s*|\s+))+",
    re.I,
)
_FILLER_IN_EN = re.compile(
    r",\s*(?:you know|like|um+|uh+|i mean|sort of|kind of|basically|actually),|\b(?:um+|uh+)\b,?|,?\s*\byou know\b,?",
    re.I,
)
_FILLER_TAIL_EN = re.compile(
    r"(?:,?\s*(?:i think|i guess|you know|or something|or so|and stuff|and so on|etc\.?|maybe|probably|really|too|as well)"
    r")+\s*$",
    re.I,
)
_SYSTEM = r"the system|it|the app|the software|the website|the site|the platform|the tool|the program|the new system"
_MODAL = r"will|would|could|can|should|must|shall|needs? to|has to|have to|'ll|might"


#: "I'd like", "we really need", "I want": the speaker's wish, before what is wished for
_I_WANT = r"^(?:i|we)(?:'d| would)?\s+(?:really\s+|also\s+|definitely\s+|just\s+)?(?:like|love|want|need|require|prefer)\s+"


#: the statement of a need the rules cannot rephrase: the words themselves, quoted
_FALLBACK_EN = 'The system shall meet this need: "'
#: "can't", "won't": what the system must never do only with a failure ("it can't go down"); "it
#: can't send emails", "it won't show the stock" complain of today's system
_CANNOT = r"can'?t|cannot|can not|won'?t|will not"
_NEG_MODAL = r"shouldn'?t|should not|mustn'?t|must not|may not|" + _CANNOT
_FAILS = (
    r"(?:fall over|go down|go offline|be down|crash|lose|break|freeze|slow down|fail|drop|forget|delete|mix up|"
    r"double[- ]?book|overbook|hang|time out|run out|leak|expose)\b"
)
#: "if I'm honest", "if you ask me": the way a speaker talks, said before the need
_DISCOURSE_IF = re.compile(
    r"^(?:(?:and|but|so)\s+)?(?:if i'?m honest|if i am honest|to be honest|if you ask me|if anything|"
    r"when i say that|if i'?m being honest)\b,?\s*",
    re.I,
)
#: the condition a need holds under, said first: "if the tablet loses connection(,) it can't lose...";
#: the need after it opens with its subject and modal, or with a wish ("i'd like to ...")
_NEED_OPENS = (
    r"(?=(?:(?:"
    + _SYSTEM
    + r"|"
    + _ROLES
    + r"|we|i|they|you|nothing(?: else)?|nobody|no one|(?:the|every|each|our|no)(?:\s+(?!(?:it|they|we|i|you|he|she)\b)[\w-]+){1,3}?)\s+(?:"
    + _MODAL
    + r"|"
    + _NEG_MODAL
    + r")|(?:i|we)(?:'d| would)?\s+(?:like|love|want|need)\s+(?:to|the|a|an))\b)"
)
_CONDITION_AT_COMMA = re.compile(
    r"^(?:(?:and|but|so|also)\s+)?((?:if|when|whenever|once|as soon as)\s+[^,]{3,80}(?:,[^,]{1,30})?),\s*(?:then\s+)?"
    + _NEED_OPENS
    + r"(.+)$",
    re.I,
)
#: the same without a comma, as speech-to-text gives it: the first place where a need opens
_CONDITION_FIRST = re.compile(
    r"^(?:(?:and|but|so|also)\s+)?((?:if|when|whenever|once|as soon as)\s+\S+\s+.{1,80}?)\s+(?:then\s+)?"
    + _NEED_OPENS
    + r"(.+)$",
    re.I,
)


def statement_en(clause: str) -> str:
    s = _clean_en(clause)
    if not s or _contentless(re.sub(rf"\b(?:{_MODAL}|{_NEG_MODAL}|able|we|i|they|it)\b", " ", s, flags=re.I)):
        return ""  # "we should [laughs]": no need named
    # "if I'm honest, ...", "if you ask me ...": a manner of speaking, no condition of the need
    s = _DISCOURSE_IF.sub("", s)
    # "we get it, it has to keep the websites in sync", "i don't care it has to work on the phone"
    s = re.sub(
        rf"^(?:i|we)\s+(?:get it|get|don'?t care|know|mean|think|guess|suppose|feel|reckon|understand|said|say),?\s+"
        rf"(?:that\s+)?(?=(?:{_SYSTEM})\s+(?:{_MODAL}|{_NEG_MODAL})\b)",
        "",
        s,
        flags=re.I,
    )
    # "what would help is if I can mark a job as urgent"  ->  the wish itself
    s = re.sub(r"^what (?:would|'d) (?:really )?help (?:us )?(?:most )?is (?:if |that )?", "", s, flags=re.I)
    if not s:
        return ""
    # "if the tablet loses connection, it can't lose what the guy typed"  ->  "If the tablet loses
    # connection, the system shall not lose what the guy typed" (the EARS form of a conditional need)
    m = _CONDITION_AT_COMMA.match(s) if "," in s else _CONDITION_FIRST.match(s)
    # ... but "if they could reply, that would be amazing" is a wish, not a condition, and "when I
    # was at the old place" is a story
    if m and not re.search(
        r"\b(?:that|it)(?:\s+would|'d)\s+(?:be|save|help|make)\b|^if\s+(?:\S+\s+){1,4}?could\b|"
        r"^(?:if|when|whenever|once)\s+(?:i|we)\s+(?:was|were|had|used to|did)\b",
        m.group(1),
        re.I,
    ):
        main = statement_en(m.group(2))
        if main.startswith("The system shall ") and not main.startswith(_FALLBACK_EN):
            condition = m.group(1)[:1].upper() + m.group(1)[1:]
            return f"{condition}, the system shall {main[len('The system shall ') :]}"
    # "it can't fall over on Mother's Day"  ->  the system shall not fall over; but "it can't handle
    # ten users", "it won't let me save" complain of what a system cannot do
    m = re.match(rf"^(?:{_SYSTEM})\s+({_NEG_MODAL})\s+(?:just\s+|ever\s+|simply\s+)?(?!be\b)(.+)$", s, re.I)
    if m and (not re.match(_CANNOT, m.group(1), re.I) or re.match(_FAILS, m.group(2), re.I)):
        return _shall(f"not {m.group(2)}")
    # "it needs big buttons"  ->  provide
    m = re.match(
        rf"^(?:{_SYSTEM})\s+(?:needs|has to have|must have|should have|will need|would need)\s+(?!to\b)(.+)$",
        s,
        re.I,
    )
    if m and _noun_phrase(m.group(1)) and not re.match(r"\w+ing\b", m.group(1)):  # not "it needs updating"
        return _shall(f"provide {m.group(1)}")
    # "I don't want someone booking a 15-minute slot for a root canal"  ->  prevent
    m = re.match(
        r"^(?:i|we)\s+(?:really\s+)?(?:don'?t|do not|dont)\s+want\s+(someone|somebody|anyone|anybody|people|them|"
        r"strangers|customers|staff|patients|the \w+)\s+(\w+ing)\b(.*)$",
        s,
        re.I,
    )
    if m and _is_verb(m.group(2)):
        return _shall(f"prevent {m.group(1)} {m.group(2)}{m.group(3)}")
    # "I don't want to lose three years of 8Ds"  ->  ensure that users do not lose
    m = re.match(
        r"^(?:i|we)\s+(?:really\s+)?(?:don'?t|do not|dont)\s+want\s+to\s+((?:have to\s+)?)(\w+)(.*)$", s, re.I
    )
    if m and _is_verb(m.group(2)):
        return _shall(f"ensure that users do not {m.group(1).lower()}{m.group(2)}{_their(m.group(3))}")
    # "the form shouldn't let them pick a date that's too soon"  ->  ensure that the form does not
    m = re.match(
        rf"^((?:the|every|each|a|an|our)\s+[\w-]+(?:\s+[\w-]+)?)\s+(?:{_NEG_MODAL})\s+(?!be\b)(\w+)(.*)$",
        s,
        re.I,
    )
    if m and _is_verb(m.group(2)) and not re.fullmatch(_ROLES, m.group(1), re.I):  # roles: "not allow"
        subject = _lower_first(m.group(1))
        return _shall(
            f"ensure that {subject} {'do' if _plural(subject) else 'does'} not {m.group(2)}{m.group(3)}"
        )
    # "only the lad doing the job should see that"  ->  allow only ... to
    m = re.match(
        r"^only\s+(.{2,40}?)\s+(?:should|can|may|must|is allowed to|are allowed to)\s+(\w+)(.*)$", s, re.I
    )
    if m and _is_verb(m.group(2)):
        return _shall(f"allow only {_role(m.group(1))} to {m.group(2)}{m.group(3)}")
    # "she'd love them to report it online", "I'd love them to book direct"
    m = re.match(
        r"^(?:i|we|she|he|they)(?:'d| would)\s+(?:really\s+)?(?:like|love|want|prefer)\s+them\s+to\s+(?:be able to\s+)?"
        r"(?!be\b)(.+)$",
        s,
        re.I,
    )
    if m:
        return _shall(f"allow users to {m.group(1)}")
    # "I'd like buyers to request slots online", "we want the system to warn us"
    m = re.match(
        rf"{_I_WANT}({_SYSTEM}|{_ROLES})\s+to\s+(?:be able to\s+)?(.+)$",
        s,
        re.I,
    )
    if m and re.fullmatch(_SYSTEM, m.group(1), re.I):
        return statement_en(f"the system will {m.group(2)}")
    if m:
        return _shall(f"allow {_role(m.group(1))} to {m.group(2)}")
    # "I want the report to show totals"  ->  ensure that the report shows totals
    m = re.match(
        rf"{_I_WANT}((?:the|our|my|every|each|all)\s+\w+(?:\s+\w+)?)\s+to\s+(?!be\b)(\w+.*)$",
        s,
        re.I,
    )
    if m:
        return statement_en(f"{m.group(1)} must {m.group(2)}")
    # "I want every client's orders landing in one queue"  ->  ensure that ... land in one queue
    m = re.match(
        rf"{_I_WANT}((?:the|our|my|every|each|all)\s+[\w']+(?:\s+[\w']+)?)\s+([a-z]+ing)\b"
        r"(?=\s+(?:in|into|on|at|from|out|up|by|through|over|within|straight|automatically|directly|together|back|"
        r"away)\b|\s*[,.]|\s*$)(.*)$",
        s,
        re.I,
    )
    if (
        m
        and _is_verb(m.group(2))
        and m.group(2).lower() not in {"something", "nothing", "everything", "thing"}
    ):
        return statement_en(f"{m.group(1)} must {_base(m.group(2))}{m.group(3)}")
    # "they want us to tell them within a day"  ->  what we are to do for them
    m = re.match(
        rf"^({_ROLES}|they|he|she|(?:the|our|some)\s+\w+s)\s+(?:really\s+)?(?:want|wants|need|needs|expect|expects)"
        r"\s+us\s+to\s+(.+)$",
        s,
        re.I,
    )
    if m:
        who, rest = m.group(1), m.group(2)
        if who.lower() not in {"they", "he", "she"}:  # "call them back" -> "call the customers back"
            rest = re.sub(r"\bthem\b", _lower_first(who), rest, count=1)
        return _shall(f"allow users to {rest}")
    # "that would be great, actually": a yes, no need of its own
    if re.fullmatch(
        r"(?:that|it|this)(?:\s+would|'d|\s+is|'s)?\s+(?:be\s+)?(?:really\s+|very\s+)?"
        r"(?:great|nice|good|helpful|useful|perfect|amazing|handy|brilliant|ideal|lovely|fantastic|super|cool)"
        r"(?:,?\s+(?:actually|really|yeah|yes|honestly|too|though))*[.!]?|"
        r"(?:that|it)(?:\s+would|'d)\s+(?:really\s+)?help(?:\s+us)?(?:\s+a lot)?[.!]?",
        s,
        re.I,
    ):
        return ""
    # "I'd like / we need / I want a booking system ..."  ->  provide
    m = re.match(
        r"^(?:i|we)(?:'d| would)?\s+(?:really\s+|also\s+|definitely\s+|just\s+|still\s+)?(?:like|love|want|need|wish for|hope for|"
        r"prefer|require|will need|are looking for|am looking for|'re looking for|envision|imagine)\s+"
        r"(?:to have\s+|to get\s+|having\s+)?((?:a|an|the|some|one|our|my|proper|better)\s+.+)$",
        s,
        re.I,
    )
    if m and not re.match(r"^(?:the system|it)\b", m.group(1), re.I):
        return _shall(f"provide {m.group(1)}")
    # "I want e-signature", "we need online payment"
    m = re.match(
        rf"{_I_WANT}(.+)$",
        s,
        re.I,
    )
    if (
        m
        and len(m.group(1).split()) <= 5
        and not re.search(r",|\bto\b", m.group(1))
        and _noun_phrase(m.group(1))
    ):
        return _shall(f"provide {m.group(1)}")
    # "everybody has own login so i know who did what", "own login for each person"
    m = re.match(
        r"^(?:so\s+)?(?:(?:every(?:body|one)|every (?:user|person|member of staff)|each (?:user|person))\s+"
        r"(?:has|gets|should have|must have|needs?)\s+(?:(?:their|his|her|an?)\s+)?)?own\s+(logins?|accounts?|passwords?)"
        r"\b",
        s,
        re.I,
    )
    if m:
        what = m.group(1).lower().rstrip("s")
        return _shall(f"give every user their own {what}")  # "so i know who did what" is the reason
    # "But warn me.", "just tell us when it's low"
    m = re.match(
        r"^(?:(?:but|and|just|then|so)\s+)?(warn|tell|show|remind|alert|notify|ping)\s+(?:me|us)\b(.*)$",
        s,
        re.I,
    )
    if m:
        return _shall(f"{m.group(1).lower()} the user{m.group(2)}")
    # "as long as it doesn't lose what I typed"  ->  the condition is what the system must keep
    m = re.match(r"^(?:(?:yes|yeah|okay|ok|sure)[,\s]+)?as long as\s+(.{6,})$", s, re.I)
    if m:
        kept = re.sub(
            r"^(?:i|we)(?=\s)", "the user", re.sub(r"^it(?=\s)", "the system", m.group(1)), flags=re.I
        )
        return _shall(f"ensure that {kept}")
    # "staff shouldn't see the money bits"  ->  not allow staff to see
    m = re.match(
        rf"^({_ROLES}|they|you)\s+(?:shouldn'?t|should not|mustn'?t|must not|can'?t|cannot|can not|won'?t|"
        r"(?:don'?t|do not|doesn'?t|does not) need to(?=\s+(?:see|access|know|read|change|edit|open)\b))\s+"
        r"(?:be able to\s+)?(?!be\s)(.+)$",
        s,
        re.I,
    )
    if m:
        who = m.group(1)
        who = "users" if who.lower() in {"they", "you"} else _role(who)
        return _shall(f"not allow {who} to {m.group(2)}")
    # "we need to / I'd like to / we want to be able to track ..."  ->  allow users to
    m = re.match(
        r"^(?:i|we)(?:'d| would)?\s+(?:really\s+|also\s+)?(?:like|love|want|need|wish|hope|have|has|prefer|"
        r"require|will need|would need)\s+(?:to be able to|to|being able to)\s+(.+)$",
        s,
        re.I,
    )
    if m:
        return _shall(f"allow users to {_their(m.group(1))}")
    # "if they could reply to confirm, that would be great"  ->  the wish inside
    m = re.match(
        r"^(?:and\s+)?if\s+(?:somehow\s+)?(.+?),?\s+(?:(?:that|it)(?:\s+would|'d)\s+(?:be|save|help|make)\b|"
        r"(?:even better|all the better)\b).*$",
        s,
        re.I,
    )
    if m:
        s = m.group(1)
    m = re.match(r"^(?:i|we)(?:'d| would)\s+(?:love|like)\s+(?:it\s+if|that)\s+(.+)$", s, re.I)
    if m:
        s = m.group(1)
    # "rate shopping would be nice"  ->  provide rate shopping
    m = re.match(
        r"^(.{3,60}?)\s+would be (?:nice|great|good|helpful|useful|ideal|cool|handy|brilliant|lovely|fantastic|super)$",
        s,
        re.I,
    )
    if m and _noun_phrase(m.group(1)):
        return _shall(f"provide {m.group(1)[:1].lower() + m.group(1)[1:]}")
    # "I hope / I envision / I can imagine that the system will send ..."
    m = re.match(
        r"^(?:i|we)\s+(?:can\s+)?(?:hope|envision|imagine|expect|think|guess|would hope|'d hope)\s+(?:that\s+)?(.+)$",
        s,
        re.I,
    )
    if m:
        s = m.group(1)
    # "it would be great if customers could book online"
    m = re.match(
        r"^(?:it\s+would|it'?d|that\s+would|that'?d)\s+(?:be\s+\w+|(?:really\s+)?help(?:\s+us)?(?:\s+a lot)?)\s+"
        r"(if|to have|to)\s+(.+)$",
        s,
        re.I,
    )
    if m and m.group(1).lower() == "to":
        return _shall(f"allow users to {m.group(2)}")
    if m:
        rest = m.group(2)
        if re.match(r"^(?:a|an|the|some)\s", rest, re.I) and not re.search(rf"\b(?:{_MODAL})\b", rest, re.I):
            return _shall(f"provide {rest}")
        s = rest
    # "(if) the system matched buyers to listings", "the system generates a list"
    m = re.match(rf"^(?:{_SYSTEM})\s+([a-z]+)(?![\w'])(.*)$", s, re.I)
    if (
        m
        and m.group(1).lower() not in {"is", "was", "has", "does", "needs", "had", "did"}
        and _is_verb(m.group(1))
        and _base(m.group(1)) != m.group(1).lower()  # "saves", "matched", "kept": a verb that has a tense
    ):
        # "...kept what you typed and sent it": the second verb too
        rest = re.sub(
            r"\band ([a-z]+)\b",
            lambda v: "and " + (_base(v.group(1)) if _is_verb(v.group(1)) else v.group(1)),
            m.group(2),
            count=1,
        )
        return _shall(f"{_base(m.group(1))}{rest}")
    # "the system will / it should (be able to) send reminders"
    m = re.match(rf"^({_SYSTEM})\s+(?:{_MODAL})\s+(?:also\s+|just\s+)?(?:be able to\s+)?(.+)$", s, re.I)
    if m and not re.match(r"^be\s", m.group(2), re.I):
        part = re.fullmatch(r"the (app|website|site|platform)", m.group(1), re.I)
        if part:  # "the app must work without signal": the part of the system the need is about
            return _shall(m.group(2)).replace("The system", f"The {part.group(1).lower()}", 1)
        return _shall(m.group(2))
    # "customers (should) be able to / can book online"  ->  allow customers to
    m = re.match(rf"^({_ROLES}|we|they|i|you)\s+(?:{_MODAL})\s+(?:also\s+)?(?:be able to\s+)?(.+)$", s, re.I)
    if m and not re.match(r"^be\s", m.group(2), re.I):
        who = m.group(1)
        who = "users" if who.lower() in {"we", "they", "i", "you"} else _role(who)
        return _shall(f"allow {who} to {_their(m.group(2)) if who == 'users' else m.group(2)}")
    # "the invoices should be printed with our logo"  ->  "The invoices shall be printed ..."
    s = re.sub(r"^it\s+(?=(?:" + _MODAL + r")\s+be\b)", "the system ", s, flags=re.I)
    m = re.match(rf"^(?:the system)\s+(?:{_MODAL})\s+(be\s+.+)$", s, re.I)
    if m:
        return _shall(m.group(1))
    m = re.match(rf"^(.+?)\s+(?:{_MODAL})\s+(be\s+.+)$", s, re.I)
    if m and len(m.group(1).split()) <= 6 and not re.match(r"^(?:i|we|they|you)$", m.group(1), re.I):
        subject = m.group(1)
        subject = _lower_first(subject)
        verb = "are" if _plural(subject) else "is"
        return _shall(f"ensure that {subject} {verb} {m.group(2)[3:]}")
    # "reports must load within 3 seconds"  ->  "ensure that reports load within 3 seconds"
    m = re.match(r"^(.+?)\s+(?:must|should|shall|needs? to|has to|have to|will)\s+(\w+)(.*)$", s, re.I)
    if (
        m
        and len(m.group(1).split()) <= 5
        # not "if so, the system", "I don't want to have to", "they don't need to"
        and not re.search(
            r"^(?:if|when|once|unless|i|we|they|you)\b|\b(?:don'?t|do not|want)\b", m.group(1), re.I
        )
    ):
        subject, verb, rest = m.group(1), m.group(2), m.group(3)
        subject = _lower_first(subject)
        if not _plural(subject):
            verb = _third_person(verb)
        return _shall(f"ensure that {subject} {verb}{rest}")
    # how the new system works, in the present tense: "the customer signs on the tablet", "they see
    # how many places are free"  ->  allow ... to
    m = re.match(rf"^({_ROLES}|they|everybody|everyone)\s+([a-z]+)(?![\w'])(.*)$", s, re.I)
    if m and m.group(2).lower() in {"want", "wants", "need", "needs", "expect", "expects"}:
        # "then they want an invoice for the company": what the system is to give them
        wanted = m.group(3).strip()
        if re.match(r"(?:a|an|the|some|their|its|more|proper)\s", wanted, re.I):
            return _shall(f"provide {wanted}")
        if re.match(r"to\s+(?!be\b)\w", wanted, re.I):
            return _shall(f"allow {'users' if m.group(1).lower() == 'they' else _role(m.group(1))} {wanted}")
    elif m and _is_verb(m.group(2)):
        who = m.group(1).lower()
        who = "users" if who in {"they", "everybody", "everyone"} else _role(m.group(1))
        return _shall(f"allow {who} to {_base(m.group(2))}{m.group(3)}")
    # a noun phrase (an answer to "which features?")
    if _noun_phrase(s):
        return _shall(f"support {s[:1].lower() + s[1:]}")
    return f'{_FALLBACK_EN}{s}".'


def _lower_first(text: str) -> str:
    """The text with its first letter in lower case, unless it starts with an acronym or "I" ("SMS")."""
    first = text.split()[0] if text.split() else ""
    if first == "I" or (len(first) > 1 and first.isupper()):
        return text
    return text[:1].lower() + text[1:]


def _base(verb: str) -> str:
    """The verb's base form ("generates", "matched" -> "generate", "match")."""
    from lemminflect import getLemma

    forms = getLemma(verb.lower(), upos="VERB") if verb else ()
    return forms[0] if forms else verb


def _is_verb(word: str) -> bool:
    """A word that can be a verb, other than be/have/do and the modals."""
    from lemminflect import getAllLemmas

    lemmas: tuple[str, ...] = getAllLemmas(word.lower()).get("VERB", ()) if word else ()
    return bool(lemmas) and lemmas[0] not in {"be", "have", "do", "will", "can", "shall", "may", "must"}


def known_word(word: str) -> bool:
    """A word of the English dictionary ("Reminders"), not a name ("Okafor")."""
    from lemminflect import getAllLemmas

    return bool(word) and bool(getAllLemmas(word.lower()))


def _third_person(verb: str) -> str:
    """The verb after he/she/it ("show" -> "shows", "go" -> "goes")."""
    from lemminflect import getInflection

    forms = getInflection(verb.lower(), tag="VBZ") if verb else ()
    return forms[0] if forms else verb + "s"


def _role(who: str) -> str:
    """The people a statement names, in its words: "Our members" -> "members", "The agent" -> "the agent"."""
    who = re.sub(r"^(?:our|my)\s+", "", who, flags=re.I)
    return who if who.isupper() else who[:1].lower() + who[1:]


def _their(rest: str) -> str:
    """What the speaker wants to do, said of the users: "edit the list myself" -> "themselves"."""
    for mine, theirs in (
        ("myself", "themselves"),
        ("ourselves", "themselves"),
        ("yourself", "themselves"),
        ("yourselves", "themselves"),
        ("my", "their"),
        ("our", "their"),
    ):
        rest = re.sub(rf"\b{mine}\b", theirs, rest, flags=re.I)
    return rest


def _plural(subject: str) -> bool:
    last = subject.split()[-1].lower()
    return (last.endswith("s") and not last.endswith("ss")) or last in {
        "data",
        "staff",
        "people",
        "we",
        "they",
    }


def _shall(rest: str) -> str:
    rest = re.sub(r"\bthe customers'\s", "customers' ", rest.strip(), flags=re.I)
    rest = rest.rstrip(" .!?;,")
    return f"The system shall {rest}." if rest else ""


def _clean_en(clause: str) -> str:
    s = NONSPEECH.sub(" ", clause).strip().strip("\"'“”").rstrip(" .!?;,")
    for _ in range(3):
        s = _FILLER_HEAD_EN.sub("", s)
    s = _FILLER_IN_EN.sub("", s)
    s = _FILLER_TAIL_EN.sub("", s)
    s = re.sub(r"\s{2,}", " ", s).strip(" ,.")
    return s


_VERB_HINT = re.compile(
    r"\b(?:is|are|was|were|be|been|have|has|had|do|does|did|can|could|will|would|should|must|shall|may|might|"
    r"go|get|make|take|use|need|want|like|think|know|see|say|call|send|book|pay|put|keep|try|work|"
    # forms of common verbs that are not also the nouns features are named with
    r"comes?|came|goes|went|gone|sits?|sat|responds?|happen(?:s|ed)?|arrive[sd]?|leaves|left|seems?|seemed|"
    r"stays|stayed|gives?|gave|brings?|brought|asks|asked|tells?|told|shows|showed|finds|found|forgets?|forgot|"
    r"remembers?|waits|waited|works|worked|tries|tried|knows|knew|thought|says|said|gets|got|makes|made|takes|"
    r"took|puts|uses|needs|wants|likes|means|meant|lets|feels?|felt|becomes?|became|goes)\b|"
    r"\b(?:that|it|there|what|he|she|who|here|this)'s\b|'(?:re|ve|ll|d|m)\b|n't\b",
    re.I,
)


def _noun_phrase(s: str) -> bool:
    """A short phrase without a verb, a contraction or a leading pronoun, negation or conjunction
    ("booking for the classes"; not "stuff comes back", "not the details", "if the internet goes down")."""
    s = re.sub(r"^(?:(?:um+|uh+|er+|oh|ah|well)\b[,.!\s]*)+", "", s.strip(), flags=re.I)
    words = s.split()
    return (
        0 < len(words) <= 8
        and not _VERB_HINT.search(s)
        and not re.match(
            r"^(?:i|we|they|you|it|he|she|not|if|whether|because|when|while|so|then|than)\b",
            s,
            re.I,
        )
        and not re.search(r"\b(?:actually|always|never)\b", s, re.I)
        and not _contentless(s)
    )


_FILLER_HEAD_ZH = re.compile(
    r"^(?:嗯+|啊+|那个|就是说?|然后|对[，,]|是的[，,]|其实|反正|我觉得|我想|我感觉|感觉|另外|还有就是|还有|再就是|比如说?|"
    r"最好是|所以|因为|但是|不过|而且|第[一二三四五六七八九十]++个?(?![期次天年月批步轮])(?:就是|是)?|那|就|首先|其次|再一个|还一个|"
    r"肯定是|主要是|……|…)[，,、\s]*"
)
#: what follows the need in the same sentence but is no part of it: a reason, an example, today's way,
#: the benefit ("领料要挂工单，不然东西丢了都不知道去哪了" -> the first clause)
_TAIL_ZH = re.compile(
    r"[，,](?:不然|要不然|免得|省得|因为|这个是|这是|我们现在|我们这边|现在|目前|有的|客户一看|"
    r"(?:那|那样|我|我们|这样)?就(?:省|轻松|解放|放心|安全|方便|好|不用|太好)|这样我|慢一秒|光.{0,6}就要).*$"
)
_SUBJECT_ZH = re.compile(r"^(?:我们这边|我们|我|咱们|你们|他们|这边|公司|店里|到时候|以后|将来)+")
_CUE_ZH = re.compile(
    r"^(?:必须|一定要|务必|需要|要求|应该|应当|得要|得|希望|最好|想要|想|期望|打算|(?:要是|如果)(?:系统|软件|新系统)?能|"
    r"能不能|可不可以|能否|要(?![是不求])|还(?=能|要|可以))"
    r"(?:让)?(?:系统|软件|它|这个系统|新系统)?(?:能够|能|可以|要)?"
)
_ZH_ACTION = re.compile(
    r"^(?:支持|提供|允许|自动|记录|显示|生成|发送|提醒|统计|打印|导出|导入|管理|同步|区分|限制|保存|保留|控制|计算|"
    r"查询|查看|扫码|预约|通知|审批|对接|关联|追溯|分配|推送)"
)


def statement_zh(clause: str, noun_phrase: bool = False) -> str:
    s = clause.strip().rstrip("。！？；!?;，, ")
    s = re.sub(r"(吗|呢|吧|啊|呀|么)$", "", s)
    s = _TAIL_ZH.sub("", s) or s
    if re.search(r"[^要得能]{4}(?:就)?最好(?:了)?$", s):  # "推送到手机上最好"; not "价格最好"
        s = re.sub(r"(?:就)?最好(?:了)?$", "", s)
    for _ in range(3):
        s = _FILLER_HEAD_ZH.sub("", s)
    s = _SUBJECT_ZH.sub("", s)
    s = re.sub(r"^(?:系统|软件|这个系统|新系统|它|小程序)(?:要(?!是)|得|应该|需要|最好|必须|就|会)*", "", s)
    s = _CUE_ZH.sub("", _CUE_ZH.sub("", s))  # "最好还能..."
    s = re.sub(r"能不能|可不可以|能否", "能", s)  # a wish asked as a question: "盘点的时候能不能不停发货"
    own = re.match(
        r"^(?:每个人|每人|各自|大家)(?:都)?(?:要|得)?有(?:一个)?(?:自己的|各自的|单独的)?(?:账号|帐号)(?![^，。]*(?:一样|共用))",
        s,
    )
    if own:  # "每个人有自己的账号，谁改的都能查到"
        return "系统应为每个用户提供独立账号。"  # what follows is why ("谁改的都能查到")
    s = re.sub(r"^(?:有个|有一个|有)(?=.{2,})", "提供", s) if re.match(r"^(?:有个|有一个)", s) else s
    s = re.sub(r"(就好了|就行了|就好|就行|就可以了|比较好|会好很多|那就太好了|那就好了)$", "", s).strip(
        "，, "
    )
    if not s:
        return ""
    s = re.sub(r"(?:我们|我)$", "用户", s)
    if noun_phrase:
        return f"系统应支持{_without_modal(s)}。"
    # a topic before the modal: "收银必须支持微信" -> "系统的收银应支持微信"
    m = re.match(r"^(.{1,14}?)(?:不能|不得|不可以|不允许|禁止)(.+)$", s)
    if m and not _ZH_ACTION.match(s):
        return f"系统应确保{m.group(1)}不{m.group(2)}。"
    m = re.match(
        r"^([^，,]{1,10}?)(?:必须|一定要|务必|需要|要求|应该|应当|得要|要能|最好|希望|得|要(?![是不求]))(能够|能|可以)?"
        r"(.+)$",
        s,
    )
    if (
        m
        and not _ZH_ACTION.match(s)
        and not re.search(r"[我你]|^(?:主|重|还|只|就|也|都|想|不)$", m.group(1))
        and _modal_word(s, m.start(1) + len(m.group(1)), m.start(3) - len(m.group(2) or ""), m.start(3))
    ):
        return f"系统应确保{m.group(1)}{'能' if m.group(2) else ''}{m.group(3)}。"
    # a condition: "库存低于安全库存就提醒用户" -> "系统应在库存低于安全库存时提醒用户"
    m = re.match(r"^([^，,]{2,20}?)(?:的时候|时)?(?:[，,]那?)?就([^我你，,]{2,})$", s)
    if m:
        return f"系统应在{m.group(1)}时{m.group(2)}。"
    m = re.match(r"^(?:不能|不得|不允许|不可以|不要|别)(?:让)?(.{2,})$", s)
    if m:
        return f"系统应禁止{m.group(1).removesuffix('了')}。"
    if s.startswith(("能", "可以")):
        s = "能" + s.removeprefix("可以").removeprefix("能")
        return f"系统应{s}。"
    if _ZH_ACTION.match(s) or s.startswith(("不", "在", "对", "按", "把", "给", "让", "每", "只")):
        return f"系统应{s}。"
    m = re.match(r"^[^，,]{1,12}?(只能|只有|能|可以|不能)", s)
    if m and _modal_word(s, m.start(1), m.end(1), m.end(1)):  # "打折只能店长批": the topic leads
        return f"系统应确保{s}。"
    if any(at and w in _MODALS_ZH for w, _, at in _words_zh(s)):
        return f"系统应满足：{s}。"  # a need inside the sentence the rules cannot place: kept whole
    if _starts_with_noun(s):
        if re.search(r"不会|不能|不要|不许|不准|不让|快|慢|稳定|安全|准确|及时|都有|有记录", s):
            return f"系统应确保{s}。"  # "数据不会丢": a state the system keeps
        return f"系统应支持{_without_modal(s)}。"  # "家长在手机上请假": who does it leads
    return f"系统应能{s}。"


def _without_modal(text: str) -> str:
    """A Chinese clause after "系统应支持" without its own "can" ("司机可以报手机号" -> "司机报手机号")."""
    words = [w for w, _, _ in _words_zh(text)]
    if len(words) >= 3 and len(words[0]) >= 2 and words[1] in ("可以", "能", "能够"):
        return words[0] + "".join(words[2:])
    return text


def _starts_with_noun(text: str) -> bool:
    """Whether a Chinese clause starts with a noun of two or more characters (its first word by jieba)."""
    words = _words_zh(text[:12])
    return bool(words) and words[0][1].startswith("n") and len(words[0][0]) > 1


_MODALS_ZH = {"要", "得", "能", "要能", "可以", "必须", "需要", "应该", "得要", "一定要", "不能"}


def _words_zh(text: str) -> list[tuple[str, str, int]]:
    """(word, part of speech, start) of a Chinese text (jieba)."""
    import jieba.posseg

    out, at = [], 0
    for pair in jieba.posseg.lcut(text):
        out.append((pair.word, pair.flag, at))
        at += len(pair.word)
    return out


def _modal_word(s: str, start: int, end: int, rest: int) -> bool:
    """The modal ``s[start:end]`` is a word of its own ("获得", "记得", "智能" are not), and a
    bare 要/得 is followed by a verb, adjective, adverb or preposition ("退货要店长审批" is not placed)."""
    words = _words_zh(s)
    starts = {at for _, _, at in words} | {len(s)}
    if start not in starts or end not in starts:
        return False
    if s[start:end] in ("要", "得"):
        after = [flag for _, flag, at in words if at >= rest]
        return bool(after) and after[0][:1] in ("v", "a", "d", "p")
    return True


def split_list(text: str, lang: str) -> list[str]:
    """The items of a list answer ("Inventory management, and booking for the classes" ->
    two), only when every part is short; otherwise the clause as one item."""
    if lang == "zh":
        parts = [p for p in re.split(r"[、]|还有|以及|和|跟|及", text) if p.strip(" ，,。")]
        ok = len(parts) > 1 and all(2 <= len(p.strip(" ，,。")) <= 14 for p in parts)
    else:
        parts = [
            p
            for p in re.split(r",\s*(?:and\s+)?|\s+and\s+|;\s*", text)
            if p.strip(" ,.")
            and not re.fullmatch(r"\s*(?:um+|uh+|er+|oh|ah|well|so|yeah|yes)[.!]*\s*", p, re.I)
        ]
        ok = (
            len(parts) > 1
            and all(1 <= len(p.split()) <= 5 for p in parts)
            and all(_noun_phrase(p.strip()) for p in parts)
        )
    return [p.strip(" ，,。.") for p in parts] if ok else [text]


def content_key(statement: str) -> set[str]:
    """The words that carry a statement's content (no framing, no stop words), for merging."""
    s = re.sub(
        r"^The system shall (?:provide|support|allow users to|allow \w+ to|meet this need:)?", "", statement
    )
    s = re.sub(r"^系统应(?:支持|能|提供|确保)?", "", s)
    return {
        _stem(t)
        for t in tokenize(s)
        if len(t) > 1
        and t not in EN_STOPWORDS
        and t not in ZH_STOPWORDS
        and t
        not in {
            "system",
            "shall",
            "users",
            "one",
            "all",
            "really",
            "main",
            "thing",
            "ensure",
            "provide",
            "support",
            "allow",
            "系统",
            "软件",
            "确保",
            "能够",
            "支持",
            "提供",
            "允许",
            "这个",
        }  # fmt: skip
    }


def _stem(word: str) -> str:
    """'centralized' ~ 'central', 'members' ~ 'member': strip common English endings."""
    if not word.isascii():
        return word
    for _ in range(3):
        for suffix in ("ized", "ised", "ize", "ise", "ing", "ed", "es", "s", "al"):
            if word.endswith(suffix) and len(word) - len(suffix) >= 4:
                word = word[: -len(suffix)]
                break
        else:
            break
    return word
