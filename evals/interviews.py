"""Requirements extraction benchmark: transcripts with the requirement list a consultant wrote and
the quotes that evidence each requirement, against a need-word baseline in the same report.

Layout of a benchmark folder: transcript files (any format ``assistant interview`` reads) and
``annotations.jsonl``, one line per transcript: ``{"file", "language", "requirements": [{"id",
"statement", "type", "quotes": [...]}], "not_requirements": [...]}``.

Matching (both the extractor and the baseline are scored the same way):
- *by quote*: an item evidences an annotated requirement when one of its quotes covers at least
  half of the content words of one of the requirement's quotes, and those shared words are at least
  a third of the item's quote (a whole-turn quote does not match everything in the turn);
- *by statement*: the item's statement contains at least half of the content words of the
  annotated statement ("The system shall" / "系统应" and stop words aside).
Recall counts annotated requirements matched; "items matching" is the share of extracted items that
match some annotated requirement either way; "not-requirement items" the share whose quote falls
on a passage the annotator marked as no requirement (small talk, today's process, pain points).
"""

from __future__ import annotations

import json
import re
import statistics
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from assistant.errors import InvalidInput
from assistant.services import (
    EN_STOPWORDS,
    ZH_STOPWORDS,
    Turn,
    extract_requirements,
    interviewers,
    read_transcript,
    sentence_spans,
    simplified,
    tokenize,
    traditional,
)

#: the baseline's need words: every stakeholder sentence that contains one is a requirement
BASELINE_EN = re.compile(r"\b(?:need|needs|want|wants|should|must|would like|have to|has to)\b", re.I)
BASELINE_ZH = re.compile(r"需要|想要|希望|应该|必须|要求|最好")
_FRAME = re.compile(
    r"^(?:The system shall(?: provide| support| allow users to| ensure that)?|系统应(?:支持|能|确保)?)"
)


def words(text: str) -> set[str]:
    """Content words of a text (jieba for Chinese, read in simplified characters), no stop words, no
    framing."""
    text = _FRAME.sub("", text.strip())
    return {
        t
        for t in tokenize(simplified(text))
        if len(t) > 1 and t not in EN_STOPWORDS and t not in ZH_STOPWORDS and t not in {"system", "shall"}
    }


def baseline(turns: Sequence[Turn]) -> list[dict[str, Any]]:
    """Every stakeholder sentence with a need word, the sentence as its own statement."""
    leads = interviewers(turns)
    out = []
    for t in turns:
        if t.speaker in leads:
            continue
        for start, end in sentence_spans(t.text):
            sentence = t.text[start:end].strip()
            if sentence and (BASELINE_ZH.search(sentence) or BASELINE_EN.search(sentence)):
                out.append(
                    {"statement": sentence, "quotes": [{"turn": t.ref, "quote": sentence}], "type": "F"}
                )
    return out


def _quote_match(item_quote: set[str], gold_quote: set[str]) -> bool:
    shared = len(item_quote & gold_quote)
    return (
        bool(gold_quote)
        and bool(item_quote)
        and shared / len(gold_quote) >= 0.5
        and shared / len(item_quote) >= 1 / 3
    )


def score(items: Sequence[dict[str, Any]], gold: dict[str, Any], turns: Sequence[Turn]) -> dict[str, Any]:
    """Recall by quote and by statement, items matching, verbatim quotes, items on non-requirements."""
    reqs = gold["requirements"]
    gold_quotes = [[words(q) for q in r["quotes"]] for r in reqs]
    gold_statements = [words(r["statement"]) for r in reqs]
    negatives = [words(q) for q in gold.get("not_requirements", [])]
    texts = [t.text for t in turns]
    by_quote: set[int] = set()
    by_statement: set[int] = set()
    matching = verbatim = negative = 0
    typed: list[tuple[str, str]] = []
    for item in items:
        quotes = [q["quote"] for q in item.get("quotes") or [{"quote": item.get("quote", "")}]]
        verbatim += all(any(q and q in t for t in texts) for q in quotes)
        qwords = [words(q) for q in quotes]
        swords = words(item.get("statement", ""))
        hit = False
        for i in range(len(reqs)):
            q_hit = any(_quote_match(iq, gq) for iq in qwords for gq in gold_quotes[i])
            s_hit = (
                bool(gold_statements[i]) and len(swords & gold_statements[i]) / len(gold_statements[i]) >= 0.5
            )
            if q_hit:
                by_quote.add(i)
            if s_hit:
                by_statement.add(i)
            if q_hit or s_hit:
                if not hit:
                    typed.append((reqs[i].get("type", "F"), item.get("type") or "F"))
                hit = True
        matching += hit
        negative += any(_quote_match(iq, nq) for iq in qwords for nq in negatives)
    n = len(items) or 1
    return {
        "gold": len(reqs),
        "items": len(items),
        "recall_quote": len(by_quote) / len(reqs) if reqs else 0.0,
        "recall_statement": len(by_statement) / len(reqs) if reqs else 0.0,
        "matching": matching / n if items else 0.0,
        "not_requirement_items": negative / n if items else 0.0,
        "verbatim": verbatim / n if items else 1.0,
        "typed": typed,
    }


def run_interview_eval(
    bench: Path,
    log: Callable[[str], None] = lambda m: None,
    classify: Callable[[list[str]], list[tuple[str, float]] | None] | None = None,
) -> dict[str, Any]:
    """``classify``: the requirement-type classifier the product types extracted items with (texts ->
    (type, confidence)); the F vs NFR figure is then that of its types, and the keyword rules' figure
    is reported beside it."""
    notes = bench / "annotations.jsonl"
    if not notes.is_file():
        raise InvalidInput(f"{bench} needs annotations.jsonl next to the transcripts")
    golds = [json.loads(line) for line in notes.read_text(encoding="utf-8").splitlines() if line.strip()]
    if not golds:
        raise InvalidInput(f"{notes} holds no annotations")
    rows = []
    for gold in golds:
        path = bench / gold["file"]
        if not path.is_file():
            raise InvalidInput(f"{notes} names {gold['file']}, which is not in {bench}")
        turns = read_transcript(path)
        t0 = time.perf_counter()
        result = extract_requirements(turns)
        ms = (time.perf_counter() - t0) * 1000
        ours = score(result["requirements"], gold, turns)
        keyword_typed = ours["typed"]
        type_ms = 0.0
        if classify is not None and result["requirements"]:
            # typed as the product types them: the classifier on each statement
            t0 = time.perf_counter()
            typed = classify([r["statement"] or r["quote"] for r in result["requirements"]])
            type_ms = (time.perf_counter() - t0) * 1000
            if typed is not None:
                items = [
                    {**r, "type": label} for r, (label, _) in zip(result["requirements"], typed, strict=True)
                ]
                ours = score(items, gold, turns)
        ours["keyword_typed"] = keyword_typed
        base = score(baseline(turns), gold, turns)
        log(
            f"{gold['file']}: {ours['items']} items, recall by quote {ours['recall_quote']:.2f} (baseline {base['recall_quote']:.2f})"
        )
        rows.append(
            {
                "file": gold["file"],
                "language": gold.get("language", ""),
                "ours": ours,
                "baseline": base,
                "ms": ms,
                "type_ms": type_ms,
                "skipped_turns": result["summary"]["skipped_turns"],
            }
        )
    return {
        "bench": bench.name,
        "types": "classifier" if classify is not None else "keywords",
        "rows": rows,
        "totals": _totals(rows),
        "transcribed": _transcribed(bench, golds),
    }


#: the English interviews as speech-to-text tools and hurried typists give them
TRANSCRIBED: dict[str, Callable[[str], str]] = {
    "lower case": str.lower,
    "lower case, no full stops or commas": lambda t: re.sub(r"[.,;!]", "", t.lower()),
    "lower case, no punctuation at all": lambda t: re.sub(r"[.,;!?]", "", t.lower()),
}


def _spaces_zh(text: str) -> str:
    return re.sub(r"[，。！？；、：,.!?;:]+", " ", text).strip()


def _traditional(text: str) -> str:
    """The text in traditional characters (OpenCC's s2t), as Taiwanese and Hong Kong clients write and as
    speech-to-text models such as Whisper often transcribe Mandarin."""
    return traditional(text)


#: the Chinese interviews as speech-to-text tools give them: spaces, or nothing, for punctuation; and
#: in traditional characters
TRANSCRIBED_ZH: dict[str, Callable[[str], str]] = {
    "标点换成空格 (punctuation as spaces)": _spaces_zh,
    "没有标点 (no punctuation)": lambda t: re.sub(r"[，。！？；、：,.!?;:]+", "", t),
    "繁体字 (traditional characters)": _traditional,
    "繁体字，标点换成空格 (traditional, punctuation as spaces)": lambda t: _traditional(_spaces_zh(t)),
}
#: the variants that change the script: the annotator's statements are rewritten too
_SCRIPT = {"繁体字 (traditional characters)", "繁体字，标点换成空格 (traditional, punctuation as spaces)"}


def _transcribed(bench: Path, golds: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Recall and items matching on the transcripts rewritten by each of TRANSCRIBED (English) and
    TRANSCRIBED_ZH (Chinese); the annotated quotes are rewritten the same way, so they stay verbatim."""
    out = []
    variants = [("en", n, f) for n, f in TRANSCRIBED.items()] + [
        ("zh", n, f) for n, f in TRANSCRIBED_ZH.items()
    ]
    for language, name, rewrite in variants:
        rows = []
        for gold in (g for g in golds if g.get("language") == language):
            turns = [Turn(t.ref, t.speaker, rewrite(t.text)) for t in read_transcript(bench / gold["file"])]
            changed = {
                **gold,
                "requirements": [
                    {
                        **r,
                        "quotes": [rewrite(q) for q in r["quotes"]],
                        "statement": rewrite(r["statement"]) if name in _SCRIPT else r["statement"],
                    }
                    for r in gold["requirements"]
                ],
                "not_requirements": [rewrite(q) for q in gold.get("not_requirements", [])],
            }
            ours = score(extract_requirements(turns)["requirements"], changed, turns)
            base = score(baseline(turns), changed, turns)
            rows.append(
                {"file": gold["file"], "language": language, "ours": ours, "baseline": base, "ms": 0.0}
            )
        if rows:
            out.append({"variant": name, **_totals(rows)[language]})
    return out


METRICS = ("recall_quote", "recall_statement", "matching", "not_requirement_items", "verbatim")


def _totals(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for lang in ("all", "en", "zh"):
        part = [r for r in rows if lang == "all" or r["language"] == lang]
        if not part:
            continue
        entry: dict[str, Any] = {"interviews": len(part)}
        for who in ("ours", "baseline"):
            gold = sum(r[who]["gold"] for r in part)
            items = sum(r[who]["items"] for r in part)
            # micro averages: every annotated requirement and every item counts once
            entry[who] = {
                "recall_quote": _micro(part, who, "recall_quote", "gold"),
                "recall_statement": _micro(part, who, "recall_statement", "gold"),
                "matching": _micro(part, who, "matching", "items"),
                "not_requirement_items": _micro(part, who, "not_requirement_items", "items"),
                "verbatim": _micro(part, who, "verbatim", "items"),
                "items_per_interview": round(items / len(part), 1),
                "gold": gold,
                "type_f_vs_nfr_macro_f1": _f_vs_nfr([p for r in part for p in r[who]["typed"]]),
                "keyword_f_vs_nfr_macro_f1": _f_vs_nfr(
                    [p for r in part for p in r[who].get("keyword_typed", r[who]["typed"])]
                ),
            }
        entry["ms_per_interview"] = round(statistics.mean(r["ms"] for r in part), 1)
        entry["type_ms_per_interview"] = round(statistics.mean(r.get("type_ms", 0.0) for r in part), 1)
        out[lang] = entry
    return out


def _micro(rows: Sequence[dict[str, Any]], who: str, metric: str, weight: str) -> float:
    total = sum(r[who][weight] for r in rows)
    return round(sum(r[who][metric] * r[who][weight] for r in rows) / total, 3) if total else 0.0


def _f_vs_nfr(pairs: Sequence[tuple[str, str]]) -> float | None:
    """Macro-F1 of functional vs non-functional on the matched items (None without both classes)."""
    if not pairs:
        return None
    f1s = []
    for cls in (True, False):
        tp = sum(1 for g, p in pairs if (g == "F") == cls and (p == "F") == cls)
        fp = sum(1 for g, p in pairs if (g == "F") != cls and (p == "F") == cls)
        fn = sum(1 for g, p in pairs if (g == "F") == cls and (p == "F") != cls)
        if tp + fn == 0:
            return None
        f1s.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return round(sum(f1s) / 2, 3)


def format_report(r: dict[str, Any]) -> str:
    lines = [
        f"# Requirements extraction: {r['bench']}",
        "",
        "Produced by `assistant eval interviews` (evals/interviews.py; matching rules in its docstring). "
        "Baseline: every stakeholder sentence containing need/want/should/must/would like/have to "
        "(需要/想要/希望/应该/必须/要求/最好), the sentence as its statement.",
        "",
        "| set | interviews | method | recall by quote | recall by statement | items matching | on non-requirements | verbatim quotes | items / interview | F vs NFR macro-F1 (matched) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for lang, e in r["totals"].items():
        for who, name in (("ours", "extractor"), ("baseline", "need-word baseline")):
            m = e[who]
            lines.append(
                f"| {lang} | {e['interviews']} | {name} | {m['recall_quote']} | {m['recall_statement']} | {m['matching']} "
                f"| {m['not_requirement_items']} | {m['verbatim']} | {m['items_per_interview']} | {m['type_f_vs_nfr_macro_f1']} |"
            )
    lines += [
        "",
        f"Extraction time per interview: {r['totals']['all']['ms_per_interview']} ms (offline rules, no model).",
        "",
    ]
    if r.get("types") == "classifier":
        kw = ", ".join(f"{lang} {e['ours']['keyword_f_vs_nfr_macro_f1']}" for lang, e in r["totals"].items())
        lines += [
            "Types: the extractor's items are typed as the product types them before anyone trains a model: "
            "the default classifier (the shipped bilingual examples, MiniLM and multilingual-e5-small) on each "
            f"statement. The keyword rules' F vs NFR macro-F1 on the same items: {kw}. The baseline types "
            f"every sentence F. Typing takes {r['totals']['all']['type_ms_per_interview']} ms per interview "
            "more (the embedding models loaded once).",
            "",
        ]
    if r.get("transcribed"):
        lines += [
            "## The interviews as a transcript without capitals or punctuation, or in traditional characters",
            "",
            "Speech-to-text tools and hurried typists write like this: English lower-cased and without "
            "punctuation, Chinese with spaces or nothing for its punctuation; Whisper and clients in Taiwan "
            "or Hong Kong write Chinese in traditional characters (OpenCC's s2t). The turns and the annotated "
            "quotes are rewritten the same way, so the quotes stay verbatim (and in traditional characters, the "
            "annotated statements too; content words are compared in simplified characters).",
            "",
            "| rewritten | interviews | method | recall by quote | recall by statement | items matching | items / interview |",
            "|---|---|---|---|---|---|---|",
        ]
        for e in r["transcribed"]:
            for who, name in (("ours", "extractor"), ("baseline", "need-word baseline")):
                m = e[who]
                lines.append(
                    f"| {e['variant']} | {e['interviews']} | {name} | {m['recall_quote']} | {m['recall_statement']} "
                    f"| {m['matching']} | {m['items_per_interview']} |"
                )
        lines.append("")
    lines += [
        "## Per interview",
        "",
        "| file | language | annotated | items (baseline) | recall by quote (baseline) | recall by statement (baseline) | items matching (baseline) | turns not read |",
        "|---|---|---|---|---|---|---|---|",
        *[
            f"| {x['file']} | {x['language']} | {x['ours']['gold']} | {x['ours']['items']} ({x['baseline']['items']}) "
            f"| {x['ours']['recall_quote']:.2f} ({x['baseline']['recall_quote']:.2f}) "
            f"| {x['ours']['recall_statement']:.2f} ({x['baseline']['recall_statement']:.2f}) "
            f"| {x['ours']['matching']:.2f} ({x['baseline']['matching']:.2f}) | {x['skipped_turns']} |"
            for x in r["rows"]
        ],
        "",
    ]
    return "\n".join(lines)
