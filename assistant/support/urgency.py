"""Urgency cues in a ticket's text, for its priority: what is stopped and who is waiting ("三号线停了",
"司机在门口等着装车", "门店收不了钱", "production down", "cannot ship"), pressure words ("急", "马上",
"ASAP"), and words that take the pressure off ("不急", "no rush").

A priority model learns the words of one company's history; a stopped line reads differently at the
next customer. The cues are a second opinion that does not depend on the history:

- an **impact** cue (work or money stopped, people waiting, everyone affected) makes the ticket
  urgent: its priority is raised to the most urgent label the model knows;
- a **pressure** word alone is weaker — people write 急 about a report column too — and raises the
  priority only when the model already gives the most urgent label a fair chance;
- a **calming** phrase cancels pressure words (not an impact: a polite report of a stopped line is
  still urgent).

Measured in evals/reports/urgency.md (model alone, cues alone, both; trained on one company's
tickets, tested on the others')."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from assistant.support.models import priority_rank

_WHO = (
    r"(?:车|货车|司机|师傅|客户|顾客|病人|患者|病患|家属|供应商|物流|快递|门店|收银员|产线|工人|操作工|大家|医生|护士|"
    r"手术室|手术台|病房|病区|科室|主机厂|车间)"
)
_ALL = (
    r"(?:(?:全部|所有|整个|各个?)(?:人|用户|员工|门店|店|科室|病区|窗口|收银机|收银台|终端|电脑|设备|产线|线|仓库|工位|"
    r"客户|医生|护士|分店)|全院|全厂|全公司|全店|整条线|全线|全科室|全仓)"
)
_FAIL = (
    r"(?:不能用|无法使用|用不了|登不上|登录不了|打不开|进不去|没法用|报错|失败|卡死|卡住|动不了|不动了|发不下去|"
    r"不出来|打不出|连不上|断了|黑屏)"
)

IMPACT = [
    # work stopped
    r"停线|停产|停工|停机(?!原因|时间|记录|分析|率|类型)|线停(?!留)|停摆|瘫痪|宕机|崩溃|崩了|全停|断网|停了|停下来|"
    r"不转了|趴窝",
    # what the line or the dock cannot do without: labels, delivery notes, wristbands
    r"(?:打不出|打不了|打印不了|印不出|打印不出).{0,6}(?:标签|条码|面单|发货单|出库单|小票|腕带|处方)",
    r"堆(?:在|不下|满)|全没了|全部(?:是空的|丢了|没了)|数据(?:全)?丢(?:了|失)",
    # the damage is already out: sold, shipped, printed, charged
    r"已经(?:卖|发|打|收|开|寄|做|生产)(?:出去|出|了)?.{0,6}(?:\d+|几|十几|好几|上百|上千|一批)(?!次|遍|个电话|天|分钟|小时)",
    r"(?:客户|顾客|病人|患者|家属|主机厂).{0,8}(?:拒收|投诉|质问|索赔|要赔)|泄露|看到(?:了)?别人的",
    # the operation the business lives on cannot be done
    r"(?:收不了|无法收|不能收|收不到)(?:钱|款|银|费)|收银.{0,4}(?:不了|无法|失败|用不了)|(?:结不了|无法结|不能结)(?:账|算|费)",
    r"(?:发不了|无法发|不能发|出不了|无法出)(?:货|库|车)|(?:装不了|无法装)车|(?:开不了|无法开|不能开)(?:单|票|处方|医嘱)",
    r"(?:挂不了|无法挂|不能挂)号|(?:下不了|无法下|不能下)单|(?:扫不了|扫不出|无法扫)(?:码|条码)?.{0,6}(?:全部|都|所有)",
    # people waiting on it
    _WHO + r".{0,8}(?:在等|等着|干等|排队|排着队|堵着|堵在)|排(?:着)?长队|门口等|窗口.{0,4}(?:排|等)",
    # everyone affected
    _ALL + r".{0,12}" + _FAIL,
    r"(?:大家|所有人|谁都|全都)" + r".{0,6}" + _FAIL,
    # English
    r"\b(?:production|prod|plant|site|system|server|pos|till|tills|app|website|warehouse)s? (?:is |are |went |has gone )?"
    r"down\b|\b(?:the )?line (?:is|went|has gone) down\b",
    r"\bprivacy (?:breach|leak|incident)|\bdata leak|\bwrong patient\b|\boutage\b",
    r"\b(?:whole (?:store|plant|site|team|ward|warehouse|line)|(?:all|every) (?:users|stores|tills|staff|lines))\b"
    r".{0,30}\b(?:can(?:no|')t|cannot|unable|down|fail\w*|error\w*|blocked|stuck)\b",
    r"\b(?:cannot|can't|can ?not|unable to|could not|couldn't) (?:ship|dispatch|take payments?|accept payments?|"
    r"check ?out|sell|invoice|admit|discharge|print (?:any|labels))\b",
    r"\b(?:trucks?|drivers?|customers|patients|queue|shoppers)\b.{0,20}\b(?:waiting|queu(?:e|ing)|stuck|piling up)\b",
    r"\b(?:nobody|no one|no-one|everyone|everybody)\b.{0,20}\b(?:can(?:no|')t|cannot|unable|is blocked|blocked)\b",
    r"\b(?:line|production|shipping|dispatch|checkout) (?:is |has )?(?:stopped|halted|blocked)\b",
]
PRESSURE = [
    r"紧急|加急|特急|十万火急|火急|急急|很急|非常急|特别急|着急|急用|急需|急死|急[!！]",
    r"(?<![不别])急(?!诊|救|性|症|件|停)",
    r"马上|立刻|立即|赶紧|赶快|尽快|速度[!！点]|在线等|催(?!债|收)|等不了|来不及|等不起|越快越好",
    r"今天(?:必须|就要|一定|之内|下班前|要报|要交)|今晚|下班前|明早前?|今天.{0,4}截止|截止(?:就|到)?今天|最后期限",
    r"(?:报给|上报|交给)(?:医保|税务|银行|海关|监管|卫健委|客户)|医保局|税务局",
    r"[!！]{2,}",
    r"\b(?:urgent|urgently|asap|a\.s\.a\.p|immediately|right away|right now|emergency|critical|as soon as possible|"
    r"top priority|by today|by tonight|deadline|escalat\w*)\b",
]
CALM = [
    r"不急|不着急|不紧急|不用急|不是很急|不太急|有空(?![格白值行位])|方便(?:的时候|时)|不影响(?:使用|业务|工作)|暂时不影响|闲时",
    r"\b(?:no rush|not urgent|no hurry|when you (?:have|get) (?:time|a chance)|low priority|cosmetic|nice to have|"
    r"whenever you can|not blocking|no impact)\b",
]
_IMPACT = [re.compile(p, re.IGNORECASE) for p in IMPACT]
_PRESSURE = [re.compile(p, re.IGNORECASE) for p in PRESSURE]
_CALM = [re.compile(p, re.IGNORECASE) for p in CALM]

#: with a pressure word only, the most urgent label must have at least this probability to be chosen
PRESSURE_MIN_PROBABILITY = 0.25


@dataclass
class Urgency:
    level: str  # urgent (impact), pressing (pressure words only), calm, none
    cues: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"level": self.level, "cues": self.cues}


def _found(patterns: list[re.Pattern[str]], text: str) -> list[str]:
    out: list[str] = []
    for p in patterns:
        for m in p.finditer(text):
            cue = m.group(0).strip()
            if cue and cue not in out:
                out.append(cue)
    return out


def urgency(text: str) -> Urgency:
    """The urgency cues of a ticket's text and what they add up to."""
    t = text or ""
    calm = _found(_CALM, t)
    impact = _found(_IMPACT, t)
    pressure = [c for c in _found(_PRESSURE, t) if not any(c in i for i in impact)]
    if impact:  # a stopped line is urgent even when its reporter is polite about it
        return Urgency("urgent", impact + pressure)
    if calm:
        return Urgency("calm", calm)
    if pressure:
        return Urgency("pressing", pressure)
    return Urgency("none")


def most_urgent(labels: list[str]) -> str | None:
    """The most urgent of a model's priority labels (None when none is a known priority word)."""
    ranked = [(priority_rank(lab), i, lab) for i, lab in enumerate(labels) if priority_rank(lab) is not None]
    return min(ranked)[2] if ranked else None


def adjust(label: str, probabilities: dict[str, float], cues: Urgency) -> tuple[str, bool]:
    """The priority after the cues: (label, raised?)."""
    top = most_urgent(list(probabilities))
    if top is None or label == top or cues.level in ("none", "calm"):
        return label, False
    if cues.level == "urgent" or probabilities.get(top, 0.0) >= PRESSURE_MIN_PROBABILITY:
        return top, True
    return label, False
