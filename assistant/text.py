"""Text helpers shared by ingestion and retrieval: normalisation, language, segmentation, sentences.

Chinese is segmented with jieba in search mode (words plus their sub-words, which helps recall);
other scripts are split into lower-cased word tokens. Full-width forms are folded (NFKC) first, so
"ＥＲＰ，采购" and "ERP,采购" index alike.
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from collections.abc import Iterable

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK_RUN = re.compile(f"[{_CJK}]+")
_CJK_CHAR = re.compile(f"[{_CJK}]")
_LATIN_LETTER = re.compile(r"[A-Za-z\u00c0-\u024f]")
# a "word" outside CJK: letters and digits, with inner dots/underscores kept apart by the FTS tokenizer
_WORD = re.compile(r"[0-9a-z\u00c0-\u024f\u0400-\u04ff]+")
_SPLIT_RUNS = re.compile(f"([{_CJK}]+)")

_jieba_lock = threading.Lock()
_jieba_ready = False

EN_STOPWORDS = frozenset(
    """a an the and or of to in on for at by with from into is are was were be been being do does did
    how what which who whom whose when where why can could should would will shall may might must i you
    he she it we they me my your our their this that these those there here as if then than so not no
    any all some get got have has had about after before up down out over under again further once
    just also very too only own same such both each few more most other s t don doesn isn aren""".split()
)
ZH_STOPWORDS = frozenset(
    """的 了 是 在 和 与 及 或 吗 呢 吧 啊 呀 么 什么 怎么 怎样 怎么样 如何 哪些 哪个 哪里 为什么 为何 是否 能否
    可以 能 会 要 需要 请问 请 我 你 他 她 它 我们 你们 他们 这 那 这个 那个 这些 那些 一个 有 没有 对 把 被 让
    给 从 到 就 也 都 还 又 并 但 而 时 时候 中 上 下 里 之 其 以 于 为 着 过 该 些""".split()
)


def normalize(text: str) -> str:
    """Fold full-width forms and compatibility characters (NFKC)."""
    return unicodedata.normalize("NFKC", text)


_t2s: object = None
_s2t: object = None
_script_lock = threading.Lock()


def _opencc(direction: str) -> object:
    """OpenCC's converter (``t2s`` or ``s2t``), loaded once."""
    global _t2s, _s2t
    with _script_lock:
        if direction == "t2s" and _t2s is None:
            import opencc

            _t2s = opencc.OpenCC("t2s")
        if direction == "s2t" and _s2t is None:
            import opencc

            _s2t = opencc.OpenCC("s2t")
    return _t2s if direction == "t2s" else _s2t


def simplified(text: str) -> str:
    """Traditional Chinese characters as simplified ones (OpenCC's t2s tables): 蘇州機械 -> 苏州机械."""
    if text.isascii():
        return text
    return str(_opencc("t2s").convert(text))  # type: ignore[attr-defined]


def traditional(text: str) -> str:
    """Simplified Chinese characters as traditional ones (OpenCC's s2t tables): 系统应 -> 系統應."""
    if text.isascii():
        return text
    return str(_opencc("s2t").convert(text))  # type: ignore[attr-defined]


# full-width digits and letters, and the ideographic space (Chinese punctuation stays as it is)
_FULL_WIDTH = {
    c: chr(c - 0xFEE0) for r in ((0xFF10, 0xFF1A), (0xFF21, 0xFF3B), (0xFF41, 0xFF5B)) for c in range(*r)
}
_FULL_WIDTH[0x3000] = " "


def same_length_simplified(text: str) -> str:
    """The text in simplified characters, full-width digits and letters as ASCII, one character for
    each character of the text, so that a span of the result is the same span of the text (a quote
    found in the result is quoted verbatim from the original)."""
    text = text.translate(_FULL_WIDTH)
    if text.isascii():
        return text
    out = simplified(text)
    if len(out) == len(text):
        return out
    # a phrase that converts to another length: character by character instead
    return "".join(c if len(s := simplified(c)) != 1 else s for c in text)


def detect_language(text: str) -> str:
    """Return ``zh`` when Chinese characters carry the text, ``en`` when Latin letters do, else ``other``."""
    cjk = len(_CJK_CHAR.findall(text))
    latin = len(_LATIN_LETTER.findall(text))
    if cjk == 0 and latin == 0:
        return "other"
    # a Chinese character carries about as much as a 4-letter English word
    return "zh" if cjk / (cjk + latin / 4.0) >= 0.3 else "en"


def _jieba():  # type: ignore[no-untyped-def]
    global _jieba_ready
    import jieba

    if not _jieba_ready:
        with _jieba_lock:
            if not _jieba_ready:
                jieba.setLogLevel(logging.WARNING)
                jieba.initialize()
                _jieba_ready = True
    return jieba


def tokenize(text: str) -> list[str]:
    """Lexical tokens of *text*: jieba search-mode words for Chinese runs, lower-cased words elsewhere."""
    text = normalize(text).lower()
    out: list[str] = []
    for part in _SPLIT_RUNS.split(text):
        if not part:
            continue
        if _CJK_RUN.fullmatch(part):
            jb = _jieba()
            out.extend(t for t in jb.cut_for_search(part, HMM=True) if t.strip())
        else:
            out.extend(_WORD.findall(part))
    return out


def query_terms(text: str) -> list[str]:
    """Tokens of a query without stop words, de-duplicated in order (falls back to all tokens)."""
    tokens = tokenize(text)
    kept = [t for t in tokens if t not in EN_STOPWORDS and t not in ZH_STOPWORDS]
    seen: set[str] = set()
    result = []
    for t in kept or tokens:
        if t not in seen:
            seen.add(t)
            result.append(t)
    return result


# sentence ends: Chinese full stops and friends end a sentence wherever they stand; Latin ones need
# a following space or line end so that "v1.2" and "e.g. x" mostly survive
_SENTENCE_END = re.compile(r"(?<=[。！？；!?;])|(?<=[.!?…])(?=\s)|(?<=\n)")


def split_sentences(text: str) -> list[str]:
    """Split text into sentences, keeping each sentence's closing punctuation and spacing."""
    parts = [p for p in _SENTENCE_END.split(text) if p]
    return parts or [text]


def join_nonempty(parts: Iterable[str | None], sep: str = " > ") -> str:
    return sep.join(p for p in parts if p)
