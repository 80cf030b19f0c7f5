"""Interview capture: transcript formats, extraction with traceable quotes, conflicts with specs,
edits that survive re-extraction, guides, specification export, LLM extraction with invented quotes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from assistant.errors import InvalidInput, NotFound, OutputParseError
from assistant.interviews.dialogue import interviewers
from assistant.interviews.extraction import extract, llm_extract
from assistant.interviews.spec import build_spec, spec_docx, spec_markdown
from assistant.interviews.transcripts import parse_transcript
from assistant.providers.fakes import FakeListChatModel
from assistant.services import Services
from tests.conftest import ROOT

ZH = (ROOT / "tests" / "data" / "interview-zh.txt").read_text(encoding="utf-8")
EN = """Q: How do you count stock today?
A: We count everything at month end with Excel, and the totals often do not match.
First we print count sheets, then two people count each bin, finally finance posts the differences.
The system must block a bin while it is being counted.
Reports must load within 3 seconds.
Q: Who approves differences?
Mike Chen: It would be nice to approve differences on the phone. We are not sure about the threshold yet.
"""


@pytest.mark.parametrize(
    "name, data, speakers",
    [
        ("a.txt", ZH.encode("gbk"), ["顾问", "仓库主管张伟", "顾问", "无锡仓库李娜"]),
        ("b.txt", EN.encode("utf-8"), ["Q", "A", "Q", "Mike Chen"]),
        (
            "c.vtt",
            b"WEBVTT\n\n1\n00:00:01.000 --> 00:00:03.000\n<v Consultant>How often?</v>\n\n"
            b"00:00:04.000 --> 00:00:06.000\n<v Li Na>Monthly.</v>\n\n00:00:07.000 --> 00:00:08.000\n<v Li Na>Always.</v>\n",
            ["Consultant", "Li Na"],
        ),
        (
            "d.srt",
            "1\n00:00:01,000 --> 00:00:03,000\n顾问：多久盘点一次？\n\n2\n00:00:04,000 --> 00:00:06,000\n客户：每月一次。\n".encode(),
            ["顾问", "客户"],
        ),
        # the exports of transcription tools: the speaker and a time on a line of their own
        (
            "otter.txt",
            b"Interviewer  0:02\nThanks for your time.\n\nMaria Lopez  0:06\nSure. We open at\n9:30 every day.\n",
            ["Interviewer", "Maria Lopez"],
        ),
        (
            "rev.txt",
            b"Speaker 1 (00:03):\nSo tell me.\n\nSpeaker 2 (00:10):\nWe meet at 10:30.\n",
            ["Speaker 1", "Speaker 2"],
        ),
        ("zoom.txt", b"[Jane Doe] 10:02:33\nhello\n[Bob] 10:02:40\nhi there\n", ["Jane Doe", "Bob"]),
        (
            "feishu.txt",
            "说话人 1 00:00:05\n我们开始吧。\n\n张三 00:01:12\n需要线上预约。\n".encode(),
            ["说话人 1", "张三"],
        ),
        # a time before the colon, Markdown emphasis, a line that starts with a bracket but is no JSON
        (
            "f.txt",
            "张三（00:01）：文本一\nInterviewer (00:00:09): text two\n".encode(),
            ["张三", "Interviewer"],
        ),
        (
            "g.md",
            b"**Interviewer:** How often?\n**Maria**: Weekly.\n- *Q*: Who?\n",
            ["Interviewer", "Maria", "Q"],
        ),
        ("h.txt", b"[00:01:02] Interviewer: So?\n00:01:05 Maria: yes\n", ["Interviewer", "Maria"]),
        (
            "e.json",
            json.dumps(
                [{"speaker": "顾问", "text": "需要审批吗？"}, {"speaker": "客户", "text": "必须审批。"}]
            ).encode(),
            ["顾问", "客户"],
        ),
    ],
)
def test_transcript_formats_and_speakers(name: str, data: bytes, speakers: list[str]) -> None:
    turns = parse_transcript(data, name)
    assert [t.speaker for t in turns] == speakers
    assert not any(":" in t.text[:8] and t.text[:2].isdigit() for t in turns)  # no time left in the text
    assert [t.ref for t in turns] == [f"T{i}" for i in range(1, len(turns) + 1)]


def test_docx_transcript(tmp_path: Path) -> None:
    import docx

    d = docx.Document()
    for line in ZH.splitlines():
        d.add_paragraph(line)
    d.save(str(tmp_path / "t.docx"))
    turns = parse_transcript((tmp_path / "t.docx").read_bytes(), "t.docx")
    assert turns[1].speaker == "仓库主管张伟" and "Excel" in turns[1].text


@pytest.mark.parametrize(
    "data, name", [(b"", "x.txt"), (b'[{"who": 1}]', "x.json"), (b"PK broken", "x.docx")]
)
def test_bad_transcripts(data: bytes, name: str) -> None:
    with pytest.raises(InvalidInput):
        parse_transcript(data, name)


@pytest.mark.parametrize("text", [ZH, EN])
def test_extraction_quotes_are_verbatim_and_traceable(text: str) -> None:
    turns = parse_transcript(text.encode(), "t.txt")
    by_ref = {t.ref: t for t in turns}
    r = extract(turns)
    assert r["requirements"] and r["pain_points"] and r["process_steps"] and r["open_questions"]
    for kind in ("requirements", "pain_points", "process_steps", "open_questions"):
        for item in r[kind]:
            assert item["quote"] in by_ref[item["turn"]].text
            assert item["speaker"] == by_ref[item["turn"]].speaker
            assert item["speaker"] not in ("顾问", "Q")  # consultants' questions are not requirements
    for req in r["requirements"]:
        assert req["statement"].startswith(("系统应", "The system shall"))
        assert req["type"] and 0 < req["confidence"] <= 1


def test_extraction_types_priorities_and_contradictions() -> None:
    r = extract(parse_transcript(EN.encode(), "t.txt"))
    reqs = {x["quote"]: x for x in r["requirements"]}
    assert reqs["The system must block a bin while it is being counted."]["priority"] == "Must"
    perf = reqs["Reports must load within 3 seconds."]
    assert (
        perf["type"] == "PE"
        and perf["statement"] == "The system shall ensure that reports load within 3 seconds."
    )
    assert reqs["It would be nice to approve differences on the phone."]["priority"] == "Could"
    zh = extract(parse_transcript(ZH.encode(), "t.txt"))
    assert zh["contradictions"] and {"T2", "T4"} == set(zh["contradictions"][0]["turns"])


def test_classifier_hook_sets_types() -> None:
    r = extract(parse_transcript(EN.encode(), "t.txt"), classifier=lambda texts: [("SE", 0.9)] * len(texts))
    assert {x["type"] for x in r["requirements"]} == {"SE"}


def test_llm_extraction_drops_invented_quotes() -> None:
    turns = parse_transcript(ZH.encode(), "t.txt")
    reply = json.dumps(
        [
            {
                "statement": "系统应支持按库位冻结出入库。",
                "quote": "系统必须支持按库位冻结出入库。",
                "turn": "T2",
                "type": "F",
                "priority": "Must",
                "confidence": 0.9,
            },
            {
                "statement": "系统应支持 RFID 盘点。",
                "quote": "我们要用 RFID 盘点。",
                "turn": "T2",
                "type": "F",
            },
            {
                "statement": "系统应支持手机录入。",
                "quote": "盘点结果最好能在手机上录入。",
                "turn": "T9",
                "type": "PO",
            },
        ],
        ensure_ascii=False,
    )
    kept, dropped = llm_extract(FakeListChatModel(responses=[f"```json\n{reply}\n```"]), turns)
    assert dropped == 1
    assert [k["quote"] for k in kept] == ["系统必须支持按库位冻结出入库。", "盘点结果最好能在手机上录入。"]
    assert kept[1]["turn"] == "T4"  # a wrong turn reference is corrected from the quote
    with pytest.raises(OutputParseError):
        llm_extract(FakeListChatModel(responses=["I think the client wants RFID."]), turns)


@pytest.fixture
def session(services: Services) -> tuple[Services, str]:
    services.ingest("demo", [ROOT / "corpus" / "specs"])
    s = services.interviews.create(
        "凤凰项目",
        "inventory",
        [{"name": "张伟", "role": "仓库主管", "department": "仓储部"}],
        kb="demo",
        consultant="王顾问",
        date="2026-11-20",
    )
    services.interviews.add_turns(s["id"], parse_transcript(ZH.encode(), "t.txt"))
    return services, s["id"]


def test_conflicts_and_duplicates_with_the_spec(session) -> None:  # type: ignore[no-untyped-def]
    services, sid = session
    services.interviews.add_turns(
        sid, parse_transcript("王总：盘点差异超过 5% 的物料必须复盘。".encode(), "x.txt")
    )
    items = services.extract_session(sid)
    refs = [ref for r in items["requirements"] for ref in r["refs"]]
    kinds = {(ref["kind"], tuple(ref["req_ids"])) for ref in refs}
    assert ("duplicates_spec", ("REQ-INV-011",)) in kinds
    assert ("conflicts_with_spec", ("REQ-INV-011",)) in kinds
    assert all(ref["source"] == "需求规格说明书-采购与库存.docx" for ref in refs)


def test_edits_survive_reextraction_and_spec_export(session, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    services, sid = session
    items = services.extract_session(sid)
    rid = items["requirements"][0]["id"]
    services.interviews.edit(sid, rid, statement="系统应在盘点期间冻结库位。", priority="Must", type_="F")
    again = services.extract_session(sid)
    edited = next(r for r in again["requirements"] if r["id"] == rid)
    assert edited["statement"] == "系统应在盘点期间冻结库位。" and edited["edited"]
    with pytest.raises(InvalidInput):
        services.interviews.edit(sid, rid, priority="Urgent")
    with pytest.raises(NotFound):
        services.interviews.edit(sid, "R99", statement="x")
    spec = build_spec(services.interviews.get(sid), again, services.settings.home)
    md = spec_markdown(spec)
    assert "需求规格说明书" in md and "系统应在盘点期间冻结库位。" in md and "库存与盘点" in md
    import docx

    d = docx.Document(str(spec_docx(spec, tmp_path / "spec.docx")))
    headings = [p.text for p in d.paragraphs if p.style.name.startswith("Heading")]
    assert "4 需求清单" in headings and "7 签字确认" in headings
    req_table = d.tables[1]
    assert [c.text for c in req_table.rows[0].cells] == [
        "编号",
        "需求描述",
        "类型",
        "优先级",
        "原话",
        "受访人",
    ]
    assert req_table.rows[1].cells[1].text == "系统应在盘点期间冻结库位。"
    assert req_table.rows[1].cells[4].text.startswith("“")


def test_guide_coverage_and_session_errors(session) -> None:  # type: ignore[no-untyped-def]
    services, sid = session
    g = services.interviews.guide("inventory", "zh", sid)
    covered = {t["topic"] for t in g["topics"] if t["covered"]}
    assert "盘点方式与频率" in covered and "收货与质检" in g["uncovered"]
    assert services.interviews.guide("inventory", "en")["uncovered"]
    with pytest.raises(InvalidInput):
        services.interviews.guide("marketing")
    with pytest.raises(InvalidInput):
        services.interviews.create("p", "marketing", [{"name": "x"}])
    with pytest.raises(InvalidInput):
        services.interviews.create("p", "hr", [])
    with pytest.raises(InvalidInput):
        services.interviews.create("p", "hr", [{"name": "x"}], date="20/11/2026")
    with pytest.raises(NotFound):
        services.interviews.get("S-missing")
    empty = services.interviews.create("p", "hr", [{"name": "x"}])
    with pytest.raises(InvalidInput, match="no transcript"):
        services.interviews.extract(empty["id"])


DIALOGUE_EN = """Anna: Good morning! Thanks for making time. Could you tell me a bit about the studio?
Owner: Sure. I'm Mary, I own the studio, we've been open for about eight years now.
Anna: How do people book a class today?
Owner: Currently one can only book via phone or fax, and at the end of the month it's a real mess.
Anna: Which features would you need in a new system?
Owner: Um, inventory management and booking for the training classes. And I want a centralized database of our members.
Anna: Would you like SMS reminders the day before a class?
Owner: Yes, of course, that would be great.
Anna: What else comes to mind?
Owner: I hope the system will integrate with social media. Members should be able to pay online. I'm not sure yet whether we need an app.
Anna: You mentioned the members earlier.
Owner: Yes, we really need one central database for all the members, that's the main thing.
Anna: Okay, I think that's all for today, thank you.
Owner: Okay, thank you, bye.
"""


def test_dialogue_aware_extraction_reads_answers_in_the_context_of_their_question() -> None:
    turns = parse_transcript(DIALOGUE_EN.encode(), "t.txt")
    r = extract(turns)
    assert r["summary"]["interviewers"] == ["Anna"]  # inferred: she asks the questions
    statements = [x["statement"] for x in r["requirements"]]
    # noun-phrase answers to a feature question, one requirement per listed feature
    assert "The system shall support inventory management." in statements
    assert "The system shall support booking for the training classes." in statements
    # want + noun, hedged future, "should be able to"
    assert any(s.startswith("The system shall provide a centralized database") for s in statements)
    assert "The system shall integrate with social media." in statements
    assert "The system shall allow members to pay online." in statements
    # the interviewer's proposal, confirmed: both turns quoted
    [sms] = [x for x in r["requirements"] if "SMS reminders" in x["statement"]]
    assert [q["turn"] for q in sms["quotes"]] == ["T7", "T8"] and sms["statement"].startswith(
        "The system shall provide"
    )
    # the same need said twice is one requirement with both quotes
    [db] = [x for x in r["requirements"] if "database" in x["statement"]]
    assert {q["turn"] for q in db["quotes"]} == {"T6", "T12"}
    # small talk, introductions and today's process are never requirements
    every_quote = " ".join(q["quote"] for x in r["requirements"] for q in x["quotes"])
    assert "Mary" not in every_quote and "fax" not in every_quote and "thank" not in every_quote.lower()
    assert any("fax" in x["quote"] for x in r["pain_points"] + r["process_steps"])
    assert any("not sure" in x["quote"] for x in r["open_questions"])
    by_ref = {t.ref: t.text for t in turns}
    assert all(q["quote"] in by_ref[q["turn"]] for x in r["requirements"] for q in x["quotes"])


def test_speech_transcribed_without_punctuation_is_cut_into_clauses() -> None:
    said = (
        "Q: what goes wrong with bookings today?\n"
        "A: double booking happens maybe once or twice a month which is embarrassing when two people sit "
        "in the waiting room for the same slot i just want one calendar that everybody sees\n"
    )
    r = extract(parse_transcript(said.encode(), "t.txt"))
    [req] = r["requirements"]
    assert req["quote"] == "i just want one calendar that everybody sees"
    assert req["statement"] == "The system shall provide one calendar that everybody sees."
    assert [p["quote"] for p in r["pain_points"]] == [
        "double booking happens maybe once or twice a month which is embarrassing when two people sit "
        "in the waiting room for the same slot"
    ]


def test_a_need_parked_in_the_next_breath_is_an_open_question() -> None:
    said = "顾问：开票呢？\n会计：能不能在系统里直接开电子发票，这个回头问一下老板，看他怎么想。\n"
    r = extract(parse_transcript(said.encode(), "t.txt"))
    assert r["requirements"] == []
    assert [x["quote"] for x in r["open_questions"]] == [
        "能不能在系统里直接开电子发票，这个回头问一下老板，看他怎么想。"
    ]


def test_a_need_in_run_on_speech_is_quoted_clause_by_clause() -> None:
    said = (
        "Q: and the calendar\n"
        "A: i want one calendar for the whole practice that everybody sees on their screen then the "
        "receptionist moves appointments around with one click when a patient calls\n"
    )
    [req] = extract(parse_transcript(said.encode(), "t.txt"))["requirements"]
    # one need, one statement of all of it, a quote per clause (no quote runs on for the whole turn)
    assert [q["quote"] for q in req["quotes"]] == [
        "i want one calendar for the whole practice that everybody sees on their screen",
        "then the receptionist moves appointments around with one click when a patient calls",
    ]
    assert "calendar" in req["statement"] and "one click" in req["statement"]
    # a second need of the system after "and": a clause of its own
    said = (
        "Q: and the weekends\n"
        "A: so the booking page needs to be working on sundays when we are busiest and honestly it "
        "can't go down in the evening either\n"
    )
    reqs = extract(parse_transcript(said.encode(), "t.txt"))["requirements"]
    quotes = [q["quote"] for r in reqs for q in r["quotes"]]
    assert not any("sundays" in q and "go down" in q for q in quotes)
    assert any(q.startswith("and honestly it can't go down") for q in quotes)
    # "the part i'd like": the wish belongs to what comes before it
    from assistant.interviews.dialogue import clauses
    from assistant.interviews.transcripts import Turn

    said = "the part i'd really like is a booking calendar that everybody in the shop can see on the phone"
    assert [said[c.start : c.end] for c in clauses(Turn("T1", "A", said))] == [said]


def test_chinese_speech_without_punctuation_is_cut_into_clauses() -> None:
    # speech-to-text: spaces for pauses, or nothing at all
    spaced = (
        "顾问：那收衣这块呢\n老板：现在都是手写的 老是写错 收衣服的时候最好能拍照 照片跟这件衣服绑在一起\n"
    )
    r = extract(parse_transcript(spaced.encode(), "t.txt"))
    [photo] = [x for x in r["requirements"] if "拍照" in x["quote"]]
    assert "手写" not in photo["quote"] and "拍照" in photo["statement"]
    assert any("手写" in x["quote"] for x in r["process_steps"] + r["pain_points"])
    run_on = (
        "顾问：那收衣这块呢\n老板：现在都是手写的老是写错然后收衣服的时候最好能拍照照片跟这件衣服绑在一起\n"
    )
    r = extract(parse_transcript(run_on.encode(), "t.txt"))
    [photo] = [x for x in r["requirements"] if "拍照" in x["quote"]]
    assert not photo["quote"].startswith("现在")


def test_a_chinese_need_in_speech_with_spaces_is_quoted_a_clause_or_two_at_a_time() -> None:
    said = (
        "顾问：那收银这块呢\n老板：收银一定要快 一单不能超过半分钟 会员卡要能扫码 余额马上显示出来 "
        "积分也一起算好\n"
    )
    r = extract(parse_transcript(said.encode(), "t.txt"))
    quotes = [q["quote"] for x in r["requirements"] for q in x["quotes"]]
    assert quotes == ["收银一定要快 一单不能超过半分钟", "会员卡要能扫码 余额马上显示出来", "积分也一起算好"]
    # and with nothing at all between the clauses, cut where a new one starts (然后, 还有)
    r = extract(parse_transcript(said.replace(" 会员卡", "然后会员卡").replace(" ", "").encode(), "t.txt"))
    quotes = [q["quote"] for x in r["requirements"] for q in x["quotes"]]
    assert quotes[0] == "收银一定要快一单不能超过半分钟" and quotes[1].startswith("然后会员卡要能扫码")
    # with commas the sentence is the writer's: one quote, as before
    r = extract(parse_transcript(said.replace(" ", "，").encode(), "t.txt"))
    assert [q["quote"] for x in r["requirements"] for q in x["quotes"]][0].startswith("收银一定要快，一单")


def test_a_transcript_in_traditional_characters_is_read_as_the_simplified_one() -> None:
    from assistant.text import simplified, traditional

    # a client in Taiwan, or Whisper writing Mandarin in traditional characters; full-width letters
    plain = extract(parse_transcript(ZH.encode(), "a.txt"))
    said = traditional(ZH).replace("Excel", "Ｅｘｃｅｌ")
    assert said != ZH and "顧問" in said and "Ｅｘｃｅｌ" in said
    turns = parse_transcript(said.encode(), "a.txt")
    r = extract(turns)
    # the same requirements, pain points and contradictions as in simplified characters ...
    for key in ("requirements", "pain_points", "process_steps", "open_questions"):
        assert [simplified(x["quote"]).replace("Ｅｘｃｅｌ", "Excel") for x in r[key]] == [
            x["quote"] for x in plain[key]
        ]
    assert len(r["contradictions"]) == len(plain["contradictions"]) >= 1
    # ... every quote and speaker as the transcript has them, the statements in its script
    by_ref = {t.ref: t.text for t in turns}
    assert all(q["quote"] in by_ref[q["turn"]] for x in r["requirements"] for q in x["quotes"])
    assert all(q in said for c in r["contradictions"] for q in c["quotes"])
    assert {x["speaker"] for x in r["requirements"]} <= {t.speaker for t in turns}
    assert r["summary"]["interviewers"] == ["顧問"]
    freeze = next(x for x in r["requirements"] if "凍結" in x["quote"])
    assert freeze["statement"].startswith("系統應") and freeze["statement"] == traditional(
        next(x["statement"] for x in plain["requirements"] if "冻结" in x["quote"])
    )
    # a simplified transcript with a word or two in traditional characters keeps simplified statements
    mixed = extract(parse_transcript(ZH.replace("系统必须", "系統必須").encode(), "a.txt"))
    assert [x["statement"] for x in mixed["requirements"]] == [x["statement"] for x in plain["requirements"]]
    # and so does one with full-width digits and letters: only Chinese characters tell the script
    wide = ZH.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789Excel"})
    assert wide != ZH
    assert all(
        x["statement"].startswith("系统应")
        for x in extract(parse_transcript(wide.encode(), "a.txt"))["requirements"]
    )


@pytest.mark.parametrize(
    "said, leads",
    [
        # labels that say who leads
        ("I: how do you book rooms\nR: by phone mostly\nI: and then\nR: we write it down", ["I"]),
        ("Interviewer: what do you need?\nInterviewee: I need reports?\nIvy: me too?", ["Interviewer"]),
        (
            "Student 1: what do you sell?\nOwner: bikes.\nStudent 2: who repairs them?\nOwner: I do.",
            ["Student 1", "Student 2"],
        ),
        ("调研员：现在怎么排班？\n店长：用Excel。\n调研员：多久排一次？\n店长：每周。", ["调研员"]),
        # two analysts without such labels: both ask far more often than the owner answers back
        (
            "Lukas: how many orders a day?\nFrau Berger: about forty.\nMia: and who takes them?\n"
            "Frau Berger: my son, on the phone.\nLukas: do you keep a list?\nFrau Berger: a paper one.\n"
            "Mia: what about deliveries?\nFrau Berger: we need a route plan.",
            ["Lukas", "Mia"],
        ),
        # speech to text left out the question marks
        (
            "Anna: so how do you take bookings today\nHeather: by email and on the phone\n"
            "Anna: okay and do you send reminders\nHeather: no but we need reminders by text\n"
            "Anna: right what else would help\nHeather: a calendar for the cleaners",
            ["Anna"],
        ),
        # no question marks and no question word before a verb: the one who speaks to the other leads
        (
            "Tom: and would it help if the system matched buyers to new listings\nMarcus: oh yes that would be huge\n"
            "Tom: your agents use the phone for that\nMarcus: right now i just remember the buyers\n"
            "Tom: so publishing one listing to the website and portals in one go\nMarcus: please yes\n"
            "Tom: okay that helps you a lot then\nMarcus: it saves me an hour a day you know",
            ["Tom"],
        ),
        # the owner's "you" is anybody ("if you pay late you lose the slot"): it addresses nobody
        (
            "Sam: okay so how do you take bookings now\nLee: you just call and you have to wait\n"
            "Sam: and the deposits\nLee: if you pay late you lose the slot\n"
            "Sam: right so your clients pay cash\nLee: yes we need card payments",
            ["Sam"],
        ),
        # a role label after a surname or before a name
        (
            "周顾问：那派单呢\n陈总：现在是微信群\n调研员小李：阿姨怎么登记\n陈总：纸质表格",
            ["周顾问", "调研员小李"],
        ),
        ("销售顾问：我们卖车\n调研员：现在怎么派单？\n销售顾问：手工。\n调研员：多久一次？", ["调研员"]),
        # everybody asks alike: nobody is taken for the interviewer
        ("Tom: shall we go?\nAmy: is it late?\nTom: is it?\nAmy: who knows?", []),
        ("Tom: we need a report.\nAmy: and a dashboard.\nTom: weekly.\nAmy: yes.", []),
    ],
)
def test_who_leads_the_interview(said: str, leads: list[str]) -> None:
    assert sorted(interviewers(parse_transcript(said.encode(), "t.txt"))) == leads


@pytest.mark.parametrize(
    "said, statement",
    [
        ("I want e-signature.", "The system shall provide e-signature."),
        (
            "We'd like a booking button on our own website.",
            "The system shall provide a booking button on our own website.",
        ),
        (
            "But staff shouldn't see the money bits.",
            "The system shall not allow staff to see the money bits.",
        ),
        ("Customers can't cancel online.", "The system shall not allow customers to cancel online."),
        (
            "The app should send a reminder the day before.",
            "The app shall send a reminder the day before.",
        ),
        (
            "Reports must load within 3 seconds.",
            "The system shall ensure that reports load within 3 seconds.",
        ),
        ("The report must show totals.", "The system shall ensure that the report shows totals."),
        (
            "I'd like buyers to request slots online.",
            "The system shall allow buyers to request slots online.",
        ),
        ("We need the app to send reminders.", "The system shall send reminders."),
        ("I want the report to show totals.", "The system shall ensure that the report shows totals."),
        ("I'd want to edit the list myself.", "The system shall allow users to edit the list themselves."),
        ("Our members can pay online.", "The system shall allow members to pay online."),
        (
            "I want all the invoices going out the same day.",
            "The system shall ensure that all the invoices go out the same day.",
        ),
        (
            "The auditors want us to show every change to a batch record.",
            "The system shall allow users to show every change to a batch record.",
        ),
        ("A search should be quick.", "The system shall ensure that a search is quick."),
        ("SMS reminders should be sent daily.", "The system shall ensure that SMS reminders are sent daily."),
        ("Yes, that would be great, actually.", ""),  # a yes names no need
        (
            "everybody has own login so i know who did what",
            "The system shall give every user their own login.",
        ),
        ("so own login for each person", "The system shall give every user their own login."),
        # a condition said first, with or without its comma: the EARS form "If/When ..., the system shall"
        (
            "if the scanner drops off the wifi it can't lose the picks already done",
            "If the scanner drops off the wifi, the system shall not lose the picks already done.",
        ),
        (
            "When a batch fails the test, the lab manager must be told straight away.",
            "When a batch fails the test, the system shall ensure that the lab manager is told straight away.",
        ),
        (
            "when a van comes back i'd like to see what's still on it",
            "When a van comes back, the system shall allow users to see what's still on it.",
        ),
        # ... but "if they could ..., that would be great" is a wish
        (
            "if the drivers could sign on the phone, that would save a lot of paper",
            "The system shall allow the drivers to sign on the phone.",
        ),
        ("If it can just talk to Sage, even better.", "The system shall talk to Sage."),
        # what must not happen
        (
            "It shouldn't crash in the middle of the lunch rush.",
            "The system shall not crash in the middle of the lunch rush.",
        ),
        (
            "the rota shouldn't let me book one carer twice",
            "The system shall ensure that the rota does not let me book one carer twice.",
        ),
        (
            "I don't want to type the orders twice.",
            "The system shall ensure that users do not type the orders twice.",
        ),
        (
            "I don't want anybody editing a signed record.",
            "The system shall prevent anybody editing a signed record.",
        ),
        ("It needs a dark mode.", "The system shall provide a dark mode."),
        (
            "Only the pharmacist should release it.",
            "The system shall allow only the pharmacist to release it.",
        ),
        (
            "She'd love them to upload the photos themselves.",
            "The system shall allow users to upload the photos themselves.",
        ),
        # what the system must never do, and what a system cannot do today (a complaint, quoted)
        ("It can't go down during the day.", "The system shall not go down during the day."),
        (
            "It can't handle more than ten users.",
            'The system shall meet this need: "It can\'t handle more than ten users".',
        ),
        (
            "The customers can't book after six.",
            "The system shall not allow the customers to book after six.",
        ),
        (
            "It won't show the stock per shop.",
            'The system shall meet this need: "It won\'t show the stock per shop".',
        ),
        # a condition in the past tense is still a condition; a story of the speaker's is none
        (
            "If the order was paid, the system should print the label.",
            "If the order was paid, the system shall print the label.",
        ),
        (
            "When I was at the old place, we had to print everything.",
            'The system shall meet this need: "When I was at the old place, we had to print everything".',
        ),
        ("They don't need to see the full notes.", "The system shall not allow users to see the full notes."),
        (
            "I don't want to have to type it twice.",
            "The system shall ensure that users do not have to type it twice.",
        ),
        (
            "What would help is if I can mark a job as urgent.",
            "The system shall allow users to mark a job as urgent.",
        ),
        # a manner of speaking is no condition and no subject
        ("I don't care, it has to work on the phone.", "The system shall work on the phone."),
        ("If I'm honest, the app should be faster.", "The system shall ensure that the app is faster."),
        ("It needs updating every week.", 'The system shall meet this need: "It needs updating every week".'),
        # what the rules cannot rephrase stays in the speaker's words, quoted
        ("I cannot read his writing.", 'The system shall meet this need: "I cannot read his writing".'),
        (
            "If so, the system must print a label.",
            'The system shall meet this need: "If so, the system must print a label".',
        ),
    ],
)
def test_english_statements_put_the_system_and_the_modal_in_place(said: str, statement: str) -> None:
    from assistant.interviews.dialogue import statement_en

    assert statement_en(said) == statement


def test_interview_eval_types_items_as_the_product_does_and_reports_the_keyword_rules_beside(
    tmp_path: Path,
) -> None:
    import shutil

    from evals.interviews import format_report, run_interview_eval

    source = ROOT / "evals" / "interviews"
    first = (source / "annotations.jsonl").read_text(encoding="utf-8").splitlines()[0]
    shutil.copy(source / json.loads(first)["file"], tmp_path)
    (tmp_path / "annotations.jsonl").write_text(first + "\n", encoding="utf-8")
    seen: list[str] = []

    def every_one_functional(texts: list[str]) -> list[tuple[str, float]]:
        seen.extend(texts)
        return [("F", 0.9)] * len(texts)

    by_keywords = run_interview_eval(tmp_path)
    typed = run_interview_eval(tmp_path, classify=every_one_functional)
    from assistant.services import read_transcript

    found = extract(read_transcript(tmp_path / json.loads(first)["file"]))["requirements"]
    assert seen == [r["statement"] for r in found]  # the statements are typed, not the quotes
    ours, keywords = typed["totals"]["all"]["ours"], by_keywords["totals"]["all"]["ours"]
    # everything called functional: no non-functional requirement is found, so F vs NFR is at most 0.5
    assert ours["type_f_vs_nfr_macro_f1"] is None or ours["type_f_vs_nfr_macro_f1"] <= 0.5
    assert ours["keyword_f_vs_nfr_macro_f1"] == keywords["type_f_vs_nfr_macro_f1"]
    assert ours["recall_quote"] == keywords["recall_quote"]  # typing changes no match
    report = format_report(typed)
    assert "The keyword rules' F vs NFR macro-F1 on the same items" in report and "Typing takes" in report
    assert "Types:" not in format_report(by_keywords)


@pytest.mark.parametrize(
    "proposal, statement",
    [
        (
            "Would it help if the operator could just tap a downtime reason on the tablet?",
            "The system shall allow the operator to just tap a downtime reason on the tablet.",
        ),
        (
            "Would it help to send customers a reminder the day before?",
            "The system shall allow users to send customers a reminder the day before.",
        ),
        (
            "And would it help if the system matched buyers to new listings automatically?",
            "The system shall match buyers to new listings automatically.",
        ),
        (
            "So the system generates a daily cycle-count list?",
            "The system shall generate a daily cycle-count list.",
        ),
        ("Like a seller portal?", "The system shall provide a seller portal."),
        ("so like a parts portal", "The system shall provide a parts portal."),  # speech-to-text: no "?"
        ("A fixed list that you maintain?", "The system shall provide a fixed list that you maintain."),
        ("SMS reminders?", "The system shall provide SMS reminders."),
        ("Would you like online booking?", "The system shall provide online booking."),
        ("Dr. Okafor?", ""),  # a name asked at the door proposes nothing
        (
            "Could the parents pay online, with a card?",
            "The system shall allow the parents to pay online, with a card.",
        ),
        ("Should your drivers see the route?", "The system shall allow the drivers to see the route."),
        (
            "Would label printing from the order screen work for you?",
            "The system shall provide label printing from the order screen.",
        ),
        # an echo that is a clause, not a thing to provide
        (
            "so the pallet gets locked when it's flagged as damaged",
            "The system shall ensure that the pallet gets locked when it's flagged as damaged.",
        ),
        ("So the price list should be editable?", "The system shall ensure that the price list is editable."),
        ("okay so the app must work in the cold store", "The app shall work in the cold store."),
        ("what about before the delivery", ""),  # a topic, no feature
    ],
)
def test_a_confirmed_proposal_is_stated_as_the_feature(proposal: str, statement: str) -> None:
    from assistant.interviews.extraction import proposal_statement

    assert proposal_statement(proposal) == statement


LONG_EN = """Analyst 1: So what would you like the new system to do?
Owner: Well, first of all, online booking.
Analyst 2: Mhm.
Owner: The customers book on their phone.
Analyst 1: okay so they pay a deposit online
Owner: yes a deposit online.
Analyst 2: And a loyalty card, every twenty classes one free?
Owner: No, I don't want this. Yoga is not supermarket.
Analyst 1: What about the paper contract?
Owner: i want it gone. the customer signs on the tablet at the counter. because paper gets lost.
Analyst 1: And a web shop for mats?
Owner: I have to think about it.
"""


def test_answers_are_read_past_backchannels_and_summaries_are_confirmed() -> None:
    turns = parse_transcript(LONG_EN.encode(), "t.txt")
    r = extract(turns)
    assert r["summary"]["interviewers"] == ["Analyst 1", "Analyst 2"]
    by_quote = {q["quote"]: x for x in r["requirements"] for q in x["quotes"]}
    assert not any("first of all" in q for q in by_quote)
    # the interviewer's summary, confirmed: both turns quoted
    [deposit] = [x for x in r["requirements"] if "deposit online" in x["statement"]]
    assert [q["turn"] for q in deposit["quotes"]] == ["T5", "T6"]
    # the sentence after "i want it gone" says how the new system works: the same need, stated by it
    [tablet] = [x for x in r["requirements"] if "tablet" in x["statement"]]
    assert tablet["quote"] == "i want it gone. the customer signs on the tablet at the counter."
    assert tablet["statement"] == "The system shall allow the customer to sign on the tablet at the counter."
    # a reason, a feature turned down and something to think about are no requirements
    every_quote = " ".join(by_quote)
    assert "because paper" not in every_quote and "supermarket" not in every_quote
    assert "don't want this" not in every_quote and "think about it" not in every_quote
    assert any("think about it" in x["quote"] for x in r["open_questions"])


COURIER_EN = """Consultant: And the drivers, what do they need on the road?
Dispatcher: I'd want the driver to see everything. The address, the phone number, the parcel weight, and the notes.
Consultant: Could the customers track the van themselves?
Dispatcher: That'd be handy, yeah. Half our calls are where is my parcel.
Consultant: okay proof of delivery with a photo
Dispatcher: yes a photo and the name of who took it
Consultant: Anything for the office?
Dispatcher: What would help is if I can flag a parcel as fragile, so it goes on top.
"""


def test_a_list_belongs_to_its_need_and_proposals_are_confirmed_however_they_are_put() -> None:
    turns = parse_transcript(COURIER_EN.encode(), "t.txt")
    r = extract(turns)
    quotes = {q["quote"]: x for x in r["requirements"] for q in x["quotes"]}
    # the list after the need says what it holds: a quote of its own, no pain point made of it
    [driver] = [x for x in r["requirements"] if "see everything" in x["quote"]]
    assert [q["quote"] for q in driver["quotes"]] == [
        "I'd want the driver to see everything.",
        "The address, the phone number, the parcel weight, and the notes.",
    ]
    assert not any("parcel weight" in x["quote"] for x in r["pain_points"])
    assert driver["statement"] == (
        "The system shall allow the driver to see everything: "
        "the address, the phone number, the parcel weight, and the notes."
    )
    # a question with another subject proposes a feature; "that'd be handy" confirms it
    [track] = [x for x in r["requirements"] if "track the van" in x["statement"]]
    assert [q["turn"] for q in track["quotes"]] == ["T3", "T4"]
    assert track["statement"] == "The system shall allow the customers to track the van themselves."
    # the consultant repeats a need for the stakeholder to confirm
    [photo] = [x for x in r["requirements"] if "proof of delivery" in x["statement"]]
    assert [q["turn"] for q in photo["quotes"]] == ["T5", "T6"]
    # "what would help is if ..." is a wish
    assert any("flag a parcel as fragile" in q for q in quotes)


def test_speech_without_punctuation_keeps_its_proposals_and_wishes_apart() -> None:
    said = (
        "Maya: would a parts portal help you where the garage orders its own spares\n"
        "Leon: oh my god yes please\n"
        "Maya: and what about your regulars\n"
        "Leon: names phone numbers some people come back every spring and it's good to know which bike they ride "
        "i'd like to see their past repairs when they call again\n"
    )
    r = extract(parse_transcript(said.encode(), "t.txt"))
    assert r["summary"]["interviewers"] == ["Maya"]
    # an interjection before the yes still says yes to the proposal
    [portal] = [x for x in r["requirements"] if "parts portal" in x["statement"]]
    assert [q["turn"] for q in portal["quotes"]] == ["T1", "T2"]
    # the wish after a run of talk is quoted from where it begins
    [repairs] = [x for x in r["requirements"] if "past repairs" in x["statement"]]
    assert [q["quote"] for q in repairs["quotes"]] == [
        "i'd like to see their past repairs when they call again"
    ]


WAREHOUSE_ZH = """访谈者：那以后入库也在系统里，仓管在手机上扫码录入，等网络好了再同步。
仓管：对，扫一下码就行，别让我们再抄本子。
访谈者：那以后司机可以报手机号提货？
仓管：嗯，都行。
访谈者：以后你们打算用几台电脑？
仓管：对，三台吧。
"""


def test_a_short_suggestion_without_its_question_mark_is_a_proposal() -> None:
    from assistant.interviews.dialogue import proposes

    assert proposes("like a seller portal") and proposes("maybe a reminder text")
    assert not proposes("like a lot of people") and not proposes("maybe a couple of times")
    # amounts and times are no suggestion
    assert not proposes("like a hundred orders") and not proposes("maybe a third of them")
    assert not proposes("like a typical day")


def test_the_new_system_described_by_the_interviewer_is_a_chinese_proposal() -> None:
    from assistant.interviews.dialogue import proposes

    r = extract(parse_transcript(WAREHOUSE_ZH.encode(), "t.txt"))
    [scan] = [x for x in r["requirements"] if "扫码录入" in x["statement"]]
    # the whole sentence of the proposal, its clauses chained with commas, and the yes
    assert [q["turn"] for q in scan["quotes"]] == ["T1", "T2"]
    assert scan["quotes"][0]["quote"] == "那以后入库也在系统里，仓管在手机上扫码录入，等网络好了再同步。"
    assert scan["statement"] == "系统应支持入库：仓管在手机上扫码录入，等网络好了再同步。"
    [phone] = [x for x in r["requirements"] if x["quotes"][0]["turn"] == "T3"]  # "都行" says yes
    assert phone["statement"] == "系统应支持司机报手机号提货。"
    # a question that asks how many proposes nothing
    assert not proposes("以后你们打算用几台电脑？")
    assert not any(q["turn"] in ("T5", "T6") for x in r["requirements"] for q in x["quotes"])


KITCHEN_ZH = """顾问：冷库这块还有什么要求？
厨师长：原料快过期要提醒，冻品压在最里面，有时候过期了都不知道。
顾问：明白。
厨师长：每天盘点要能用手机扫，因为纸上记的对不上。
"""


def test_a_chinese_need_stops_where_the_story_of_why_begins() -> None:
    r = extract(parse_transcript(KITCHEN_ZH.encode(), "t.txt"))
    [expiry] = [x for x in r["requirements"] if "过期要提醒" in x["quote"]]
    assert "有时候" not in expiry["quote"] and "有时候" not in expiry["statement"]
    [count] = [x for x in r["requirements"] if "盘点" in x["quote"]]
    assert "因为" not in count["quote"] and "对不上" not in count["statement"]


@pytest.mark.parametrize(
    ("asked", "reply"),
    [
        # questions about today, facts and check-backs: a yes to them is no requirement
        ("Could the delay be caused by the courier?", "Yes, sometimes."),
        ("Can the manager approve refunds today, or only the owner?", "Yes, the manager can."),
        ("Should the invoice go to accounting?", "Yes, always."),
        ("Can everyone hear me okay?", "Yes."),
        ("Okay, lots of paper then.", "Yes, boxes of it."),
        ("Right, your sister handles the phones.", "yes she does"),
        ("Okay, my colleague will follow up.", "Yes, great."),
        ("Would next Tuesday work for a follow-up?", "Yes, Tuesday is fine."),
        ("您现在是在手机上记账吗？", "对，用微信记。"),
        ("那个系统上的数据是你们自己录的吗？", "是的。"),
        ("以后再说吧。", "好的。"),
        ("Would it be okay if we recorded this session?", "Sure."),
        ("A lot of our clients are breweries like yours.", "Yes."),
        ("您直接说就行。", "好的。"),
    ],
)
def test_a_yes_to_a_question_about_today_is_no_requirement(asked: str, reply: str) -> None:
    chinese = any("\u4e00" <= c <= "\u9fff" for c in asked)
    text = f"顾问：{asked}\n老板：{reply}\n" if chinese else f"Consultant: {asked}\nOwner: {reply}\n"
    r = extract(parse_transcript(text.encode(), "t.txt"))
    assert not any(q["turn"] == "T1" for x in r["requirements"] for q in x["quotes"]), r["requirements"]


@pytest.mark.parametrize(
    "said",
    [
        "Nobody has their own login, we all share one.",
        "People write their own passwords on sticky notes.",
        "店员都用我自己的账号，谁改的都不知道。",
        # today's tool, today's rules, idioms and stories, with a need cue inside
        "它会卡，老是卡住。",
        "我们让客户先付定金。",
        "老板不让我们自己接单。",
        "Tell me about it, it's a nightmare.",
        "As long as I've been here, it's been a spreadsheet.",
        "If it came in after six we just left it on the dock till morning.",
        # turned down, or a hedge before a number
        "We don't need to count pints.",
        "自动派单不要。",
        "We've got, I want to say, about four hundred kegs.",
    ],
)
def test_what_happens_today_is_no_requirement(said: str) -> None:
    from assistant.interviews.dialogue import kind_of

    chinese = any("\u4e00" <= c <= "\u9fff" for c in said)
    assert kind_of(said, "And today?", "zh" if chinese else "en") != "requirement"


TAPROOM_EN = """Analyst: So would it be okay if it kept what you typed and sent it when the signal comes back?
Brewer: Yes, as long as it doesn't lose anything.
Analyst: Another thing we often see is recall tracing.
Owner: So yes, from a batch number, everyone who got it. That's a must.
Analyst: And reports, what would you like to look at?
Owner: What sells, honestly. Per beer, per month, per pub.
Analyst: Should the system block orders for pubs that owe money?
Owner: No. But warn me. Big red warning.
"""


def test_proposals_and_needs_said_the_way_real_interviews_say_them() -> None:
    r = extract(parse_transcript(TAPROOM_EN.encode(), "t.txt"))
    statements = [x["statement"] for x in r["requirements"]]
    # "would it be okay if ..." proposes; the yes with its condition confirms it
    [offline] = [x for x in r["requirements"] if x["quotes"][0]["turn"] == "T1"]
    assert [q["turn"] for q in offline["quotes"]] == ["T1", "T2"]
    assert (
        offline["statement"] == "The system shall keep what you typed and send it when the signal comes back."
    )
    # a consultant's "another thing we often see is ..." is a proposal too
    assert "The system shall provide recall tracing." in statements
    # a filler is no feature, and "per beer, per month" breaks the feature down
    assert not any("honestly" in x["quote"] for x in r["requirements"])
    [sells] = [x for x in r["requirements"] if "sells" in x["statement"]]
    assert "Per beer, per month, per pub." in [q["quote"] for q in sells["quotes"]]
    # the block is turned down, the warning asked for
    assert "The system shall warn the user." in statements
    assert not any("block" in st for st in statements)


SHOP_ZH = """顾问：排课这块呢？
老板：我一选日期，它就给我列出来哪些教室空着，我再挑。
顾问：会员资料呢？
老板：会员资料谁都不许导出。
顾问：要不要记录谁改过价格？
老板：要，记下来。
顾问：签到呢？
老板：让家长在手机上签个字，点一下就行。
"""


def test_chinese_needs_said_as_what_the_system_does_or_must_not_allow() -> None:
    r = extract(parse_transcript(SHOP_ZH.encode(), "t.txt"))
    turns = {q["turn"] for x in r["requirements"] for q in x["quotes"]}
    assert {"T2", "T4", "T6", "T8"} <= turns
    # a one-character "要" says yes to the proposal: both turns quoted
    [audit] = [x for x in r["requirements"] if x["quotes"][0]["turn"] == "T5"]
    assert [q["turn"] for q in audit["quotes"]] == ["T5", "T6"]


LAUNDRY_ZH = """访谈者：那权限这块呢？
老板：我能看到所有的，我老婆能看她那家，店员只能看自己店的。
访谈者：那断网的时候也得能收衣，等网络好了再传上去。
老板：对，得能收。这个很重要。
"""


def test_a_chinese_need_is_quoted_from_the_start_of_its_sentence_and_a_stated_proposal_is_confirmed() -> None:
    turns = parse_transcript(LAUNDRY_ZH.encode(), "t.txt")
    r = extract(turns)
    quotes = {q["quote"]: x for x in r["requirements"] for q in x["quotes"]}
    # the clauses that lead up to the need belong to its quote
    assert "我能看到所有的，我老婆能看她那家，店员只能看自己店的。" in quotes
    # the interviewer said the wish as a statement; the owner's yes makes it a requirement with both quotes
    [offline] = [x for x in r["requirements"] if "断网" in x["statement"]]
    assert [q["turn"] for q in offline["quotes"]] == ["T3", "T4"]


def test_review_cases_for_the_dialogue_rules() -> None:
    from assistant.interviews.dialogue import backchannel, kind_of, proposes, statement_en
    from assistant.interviews.extraction import proposal_statement

    # a line of speech that ends in a time is no speaker line
    otter = b"Interviewer  0:02\nWhen do you open?\n\nTom Baker  0:06\nWe open at 9:30\nevery day.\n"
    assert [(t.speaker, t.text) for t in parse_transcript(otter, "x.txt")] == [
        ("Interviewer", "When do you open?"),
        ("Tom Baker", "We open at 9:30 every day."),
    ]
    # "don't want staff to see" is a need; "don't want a web shop" turns a feature down
    assert kind_of("We don't want staff to see the salaries.", "", "en") == "requirement"
    assert kind_of("I don't want a web shop.", "", "en") == "rejected"
    # parked, even after a yes
    assert kind_of("Sure, that can wait.", "Would you like SMS reminders?", "en") == "open_question"
    assert kind_of("可以先不做", "要不要加个积分？", "zh") == "open_question"
    # steering is no summary; what the consultants will do is no proposal
    assert not proposes("Okay, so our next topic is payments.") and not proposes(
        "我们到时候会给您出一个方案。"
    )
    assert not backchannel("how do you pay") and backchannel("okay")
    assert proposal_statement("Reminders?") == "The system shall provide reminders."
    assert proposal_statement("Okafor?") == ""
    assert statement_en("It sends a copy.") == "The system shall send a copy."
    assert "alway " not in statement_en("It always sends a copy.")
    assert "allow users to don" not in statement_en("they don't see the prices")
    # "Student" is the stakeholder when the interviewer is labelled
    said = b"Interviewer: what do you need?\nStudent: a timetable app.\nInterviewer: ok?\nStudent: yes."
    assert interviewers(parse_transcript(said, "x.txt")) == {"Interviewer"}


def test_chinese_statements_and_a_language_not_read_is_reported() -> None:
    text = (
        "顾问：您好，先请您介绍一下仓库现在的情况。\n"
        "仓库主管老刘：你好，我姓刘，管这个仓库快十年了。现在都是用Excel记账，月底经常对不上。\n"
        "顾问：新系统您希望有哪些功能？\n"
        "仓库主管老刘：库存管理、批次追溯、还有盘点。最好能自动提醒补货。\n"
        "顾问：要不要加个扫码入库？\n"
        "仓库主管老刘：可以可以，这个好。\n"
        "顾问：Und die Kollegen in Hamburg?\n"
        "Herr Weber: Wir brauchen eine Schnittstelle zum Lager, und die Daten müssen jeden Tag aktualisiert werden.\n"
    )
    r = extract(parse_transcript(text.encode(), "t.txt"))
    statements = [x["statement"] for x in r["requirements"]]
    assert {
        "系统应支持库存管理。",
        "系统应支持批次追溯。",
        "系统应支持盘点。",
        "系统应自动提醒补货。",
    } <= set(statements)
    assert "系统应支持扫码入库。" in statements
    assert all(not s.startswith("系统应我") and "刘" not in s for s in statements)
    assert any("Excel" in x["quote"] for x in r["pain_points"] + r["process_steps"])
    assert r["skipped"] == [{"turn": "T8", "speaker": "Herr Weber", "reason": "language not read: German"}]
    assert r["summary"]["skipped_turns"] == 1


# the blind sets (evals/interviews-blind*/) were checked the same way when they were made; the default
# run leaves them alone so that a failure never sends anyone to read them
@pytest.mark.parametrize("bench", ["interviews", "interviews-heldout"])
def test_every_annotated_quote_is_in_exactly_one_turn(bench: str) -> None:
    from assistant.services import read_transcript

    folder = ROOT / "evals" / bench
    notes = [
        json.loads(line) for line in (folder / "annotations.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    assert len(notes) == len(list(folder.glob("*.txt")))
    for note in notes:
        turns = read_transcript(folder / note["file"])
        quotes = [q for r in note["requirements"] for q in r["quotes"]] + note["not_requirements"]
        assert all(sum(q in t.text for t in turns) == 1 for q in quotes), note["file"]
        assert {r["type"] for r in note["requirements"]} <= {
            "F", "A", "FT", "L", "LF", "MN", "O", "PE", "PO", "SC", "SE", "US"
        }  # fmt: skip


def test_interview_eval_scores_the_extractor_and_the_baseline_the_same_way(tmp_path: Path) -> None:
    from evals.interviews import format_report, run_interview_eval

    bench = ROOT / "evals" / "interviews"
    r = run_interview_eval(bench)
    assert len(r["rows"]) >= 12 and {x["language"] for x in r["rows"]} == {"en", "zh"}
    total = r["totals"]["all"]
    ours, base = total["ours"], total["baseline"]
    assert ours["verbatim"] == 1.0  # every quote is in the transcript
    # the development set's own figures (evals/reports/interviews.md): a regression guard, not a target
    assert ours["recall_quote"] > base["recall_quote"] + 0.2
    assert ours["recall_statement"] > base["recall_statement"]
    assert ours["matching"] >= 0.5 and ours["not_requirement_items"] < 0.1
    # the interviews as a transcript without capitals or punctuation (English) or with spaces or nothing
    # for the punctuation (Chinese): quotes still verbatim, and the extractor still finds more than the baseline
    assert [v["variant"] for v in r["transcribed"]] == [
        "lower case",
        "lower case, no full stops or commas",
        "lower case, no punctuation at all",
        "标点换成空格 (punctuation as spaces)",
        "没有标点 (no punctuation)",
        "繁体字 (traditional characters)",
        "繁体字，标点换成空格 (traditional, punctuation as spaces)",
    ]
    for v in r["transcribed"]:
        assert v["ours"]["verbatim"] == 1.0 and v["ours"]["recall_quote"] > v["baseline"]["recall_quote"]
    report = format_report(r)
    assert "need-word baseline" in report and "| 01-" in report and "no full stops or commas" in report
    # a bad bench: a clear error, nothing half-done
    (tmp_path / "annotations.jsonl").write_text(
        '{"file": "missing.txt", "requirements": []}\n', encoding="utf-8"
    )
    with pytest.raises(InvalidInput, match="missing.txt"):
        run_interview_eval(tmp_path)
    with pytest.raises(InvalidInput, match="annotations.jsonl"):
        run_interview_eval(tmp_path / "nowhere")


@pytest.mark.parametrize(
    "llm, why",
    [
        (
            FakeListChatModel(responses=["Sure! Here are the requirements: RFID, barcodes."]),
            "not a JSON list",
        ),
        (FakeListChatModel(responses=["[]"]), "no requirement"),
        (
            FakeListChatModel(responses=['[{"statement": "系统应支持RFID。", "quote": "我们要RFID"}]']),
            "no requirement",
        ),
    ],
)
def test_a_failing_or_empty_llm_extraction_keeps_the_offline_one(llm: Any, why: str) -> None:
    from assistant.interviews.service import with_llm

    turns = parse_transcript(ZH.encode(), "t.txt")
    result = extract(turns)
    offline = [r["statement"] for r in result["requirements"]]
    with_llm(result, llm, turns)
    assert why in result["llm_error"] and [r["statement"] for r in result["requirements"]] == offline


def test_an_llm_timeout_keeps_the_offline_extraction() -> None:
    from assistant.interviews.service import with_llm
    from assistant.providers.fakes import FailingChatModel

    turns = parse_transcript(ZH.encode(), "t.txt")
    result = extract(turns)
    with_llm(result, FailingChatModel(), turns)
    assert "offline extraction is shown" in result["llm_error"] and result["requirements"]


SMALL_TALK_ZH = """顾问：赵经理您好，我是这次ERP项目的需求顾问，姓孙。今天主要想了解一下车间的情况，还有您对新系统有什么想法。
赵经理：孙顾问，你好你好，这边坐。要喝点茶吗？
顾问：不用不用，谢谢。那现在车间报工是怎么做的？
赵经理：都是班组长拿纸记，下班前交给统计员，统计员第二天再录到表格里。
顾问：数据对不上一般是哪些原因？
赵经理：漏记呗，还有就是换班的时候两个班组长都以为对方记了。
顾问：要不要在每台机床边上放个平板，工人扫工单就能报工？
赵经理：这个太需要了。
顾问：那如果系统能按报工数自动算计件工资呢？
赵经理：那太好了，这个我最想要。
顾问：付款方式您这边有要求吗？
赵经理：这个我得回去问一下财务。
"""

SMALL_TALK_EN = """Jo: Hi both, thanks for squeezing this in. Priya, do you want to kick off?
Priya: Sure.
Jo: Grand. So what happens with returns today?
Priya: Stuff comes back, sits in a corner for weeks. Nobody owns it.
Jo: Anything else you'd want the new system to do?
Priya: Oh, a shared calendar for the vans. And I'd have to ask Tom about the fuel cards, he handles those.
"""


def test_small_talk_and_empty_yeses_are_no_requirements() -> None:
    """Greetings, names, offers of tea, courtesies, answers to "which reasons?" and a bare "yes,
    badly needed" are no requirements of their own; a yes to a proposal is the proposal, quoting both
    turns; a steering question ("do you want to kick off?") is no proposal."""
    r = extract(parse_transcript(SMALL_TALK_ZH.encode(), "t.txt"))
    quotes = " ".join(q["quote"] for x in r["requirements"] for q in x["quotes"])
    for chat in ("孙顾问", "喝点茶", "不用不用", "漏记", "换班"):
        assert chat not in quotes, chat
    statements = [x["statement"] for x in r["requirements"]]
    assert not any("太需要" in s or "最想要" in s for s in statements)  # no statement of a bare yes
    [tablet] = [x for x in r["requirements"] if "平板" in x["statement"]]
    assert [q["turn"] for q in tablet["quotes"]] == ["T7", "T8"]
    [piecework] = [x for x in r["requirements"] if "计件工资" in x["statement"]]
    assert piecework["statement"].startswith("系统应") and "如果" not in piecework["statement"]
    assert [q["turn"] for q in piecework["quotes"]] == ["T9", "T10"]
    assert len(r["requirements"]) == 2
    assert any("问一下财务" in x["quote"] for x in r["open_questions"])

    r = extract(parse_transcript(SMALL_TALK_EN.encode(), "t.txt"))
    statements = [x["statement"] for x in r["requirements"]]
    assert statements == ["The system shall support a shared calendar for the vans."], statements
    assert any("ask Tom" in x["quote"] for x in r["open_questions"])


@pytest.mark.parametrize(
    ("said", "statement"),
    [
        ("领料要挂工单，不然老是丢东西。", "系统应确保领料挂工单。"),  # the reason stays in the quote only
        ("系统要是能自动算加班费，我就轻松了。", "系统应自动算加班费。"),  # the benefit too
        ("盘点的时候能不能照常收货？", "系统应确保盘点的时候能照常收货。"),  # a wish asked as a question
        ("退货只能店长审批。", "系统应确保退货只能店长审批。"),
        ("第一个就是排班。", "系统应能排班。"),
        ("最好还能导出Excel。", "系统应导出Excel。"),
        ("如果系统能直接把订单推给仓库就好了。", "系统应能直接把订单推给仓库。"),
        ("每个人有自己的账号，谁改的都能查到。", "系统应为每个用户提供独立账号。"),
    ],
)
def test_chinese_statements_keep_the_need_and_drop_the_talk(said: str, statement: str) -> None:
    from assistant.interviews.dialogue import statement_zh

    assert statement_zh(said) == statement


@pytest.mark.parametrize(
    ("said", "asked", "kind"),
    [
        # need words inside other words, and drinks or seats that are part of a need
        ("自来水公司的抄表数据要能导入。", "", "requirement"),
        ("要汇总。", "", "requirement"),
        ("We would like a water usage report for each meter.", "", "requirement"),
        ("Every passenger should have a seat assigned automatically.", "", "requirement"),
        ("We don't need to type it twice anymore.", "", "requirement"),  # a benefit, not a no
        ("everybody has own login so i know who did what", "", "requirement"),
        ("客户问问题要能快速找到答案。", "", "requirement"),
        ("审批完再说发货的事，系统要能卡住。", "", "requirement"),
        ("We need to ask customers for a signature on delivery.", "", "requirement"),
        # a yes to a proposal, however it is phrased or preceded
        ("Yes.", "Should it continue working offline?", "confirmation"),
        ("Yes.", "OK, let's move on. Would you like SMS reminders?", "confirmation"),
        ("Yes.", "Can we add a barcode scanner?", "confirmation"),
        # small talk, but not every "I'm ..." is an introduction
        ("王经理，", "", "chitchat"),
        ("I'm Sarah, I run the front desk.", "", "chitchat"),
        ("I'm always chasing the drivers for their sheets.", "", "other"),
        ("Sure.", "Priya, do you want to kick off?", "chitchat"),
        ("好啊。", "如果可以呢？", "chitchat"),
        ("I'd have to ask Tom about that.", "", "open_question"),
        # parked for a later phase: not a requirement
        ("不过这个不急，第一期不做也行。", "", "open_question"),
        ("Online shop maybe, but that can wait.", "", "open_question"),
        # a noun phrase answers a feature question, not an introduction that mentions requirements
        ("库位管理。", "那您希望新系统在仓库这块做到什么？", "answer"),
        ("地上有油。", "我是软件公司的小王，今天来具体了解一下需求。", "other"),
        ("Online booking.", "And what features would you need?", "answer"),
        ("Online booking.", "Hi, I'm Sam, I collect the requirements for the new system.", "other"),
    ],
)
def test_what_a_clause_is(said: str, asked: str, kind: str) -> None:
    from assistant.interviews.dialogue import kind_of

    lang = "zh" if any("\u4e00" <= c <= "\u9fff" for c in said) else "en"
    assert kind_of(said, asked, lang) == kind


@pytest.mark.parametrize(
    "phrase",
    ["No-show tracking", "The customer's order history", "Used bike listings", "Just online booking"],
)
def test_feature_names_are_noun_phrases(phrase: str) -> None:
    from assistant.interviews.dialogue import _noun_phrase

    assert _noun_phrase(phrase)


@pytest.mark.parametrize(
    ("said", "statement"),
    [
        ("库存低于安全库存，那就提醒采购。", "系统应在库存低于安全库存时提醒采购。"),
        ("退货要店长审批。", "系统应满足：退货要店长审批。"),  # no verb after 要: kept whole
        ("客户获得积分要能查到。", "系统应满足：客户获得积分要能查到。"),  # 得 inside 获得 is no modal
        ("性能要更好。", "系统应确保性能更好。"),
    ],
)
def test_chinese_statements_do_not_cut_words(said: str, statement: str) -> None:
    from assistant.interviews.dialogue import statement_zh

    assert statement_zh(said) == statement


def test_extraction_keeps_keyword_types_when_the_classifier_cannot_run() -> None:
    text = "顾问：还需要什么功能？\n仓库主管：最好能自动提醒补货。\n"
    turns = parse_transcript(text.encode(), "t.txt")
    plain = extract(turns)
    failed = extract(turns, classifier=lambda texts: None)
    assert plain["requirements"] and [r["type"] for r in failed["requirements"]] == [
        r["type"] for r in plain["requirements"]
    ]
    assert failed["summary"]["types"] == "keywords"
    assert extract(turns, classifier=lambda texts: [("F", 0.9)] * len(texts))["summary"]["types"] == "model"
    # a statement with no content left is no requirement
    assert not extract(parse_transcript("顾问：要不要再加？\n主管：要。\n".encode(), "t.txt"))["requirements"]


def test_the_result_says_when_keyword_rules_typed_the_requirements(session, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A classifier that cannot run (its embedding model missing) leaves the keyword types, and the
    result says so in words the consultant can act on, not only in the log."""
    from assistant.errors import ProviderError
    from assistant.interviews.classifier import RequirementClassifier
    from assistant.messages import message

    services, sid = session

    def broken(self, texts, model=None):  # type: ignore[no-untyped-def]
        raise ProviderError("embedding model not installed")

    monkeypatch.setattr(RequirementClassifier, "classify", broken)
    out = services.extract_session(sid)
    assert out["requirements"] and out["summary"]["types"] == "keywords"
    assert out["summary"]["types_reason"] == "types_model_failed"
    assert "keyword rules" in message("ui", out["summary"]["types_reason"], "en")
    assert "关键词规则" in message("ui", out["summary"]["types_reason"], "zh")
    monkeypatch.undo()
    ok = services.extract_session(sid)
    assert ok["summary"]["types"] == "model" and "types_reason" not in ok["summary"]


SOUNDS_EN = """Interviewer: ok i think its recording now. can you hear me okay
Owner: yes i hear you fine
Interviewer: so hello again and thank you for having us
Owner: no problem. sorry i only have half an hour, i need to be at the till at ten
Interviewer: and how do you handle the delivery notes
Owner: we should [laughs]. today the driver writes them by hand
Interviewer: what about before the delivery
Owner: we should [laughs]
Interviewer: anything else
Owner: hmm. maybe the ratings. like after the delivery it sends a text asking for a rating
Interviewer: okay that's easy. do you want that
Owner: yes why not. but only one text
Interviewer: okay so the van tracking we put for phase two
Owner: yeah phase two
Interviewer: and for the big customers
Owner: then they want an invoice for the company, not a till receipt
"""


def test_small_talk_sounds_and_parked_proposals_are_no_requirements() -> None:
    r = extract(parse_transcript(SOUNDS_EN.encode(), "t.txt"))
    statements = [x["statement"] for x in r["requirements"]]
    # the recording, the greeting, the speaker's own day, a laugh and a phase-two item: none of them
    for word in (
        "recording",
        "hear",
        "hello",
        "till at ten",
        "laughs",
        "before the delivery",
        "van tracking",
    ):
        assert not any(word in s for s in statements), (word, statements)
    # "do you want that?" points back to what the owner said just before; both turns are quoted
    [rating] = [x for x in r["requirements"] if "rating" in x["statement"]]
    assert [q["turn"] for q in rating["quotes"]] == ["T10", "T12"]
    assert "it sends a text asking for a rating" in rating["quotes"][0]["quote"]
    # "they want an invoice": the system provides it
    assert "The system shall provide an invoice for the company, not a till receipt." in statements
