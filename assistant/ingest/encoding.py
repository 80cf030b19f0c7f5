"""Decode text files whose encoding nobody wrote down: UTF-8 (BOM or not), UTF-16/32, GB18030/GBK, others."""

from __future__ import annotations

import codecs
import re

from assistant.errors import DocumentParse, Encoding

_BOMS = [
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
]
_GLUED = re.compile(r"[a-z][\u4e00-\u9fff]{1,2}[a-z]")
_PREFERRED = ("cp1252", "latin_1", "iso8859_15", "cp1251", "big5", "shift_jis", "euc_kr")
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
_CJK = re.compile(r"[\u4e00-\u9fff]")
# the 500 or so commonest Chinese characters sit in GB2312 level 1 (lead bytes 0xB0-0xD7)


def _looks_utf16(data: bytes) -> str | None:
    sample = data[:4096]
    if len(sample) < 4:
        return None
    even_nuls = sample[0::2].count(0)
    odd_nuls = sample[1::2].count(0)
    half = len(sample) / 2
    if odd_nuls > 0.3 * half and even_nuls < 0.05 * half:
        return "utf-16-le"
    if even_nuls > 0.3 * half and odd_nuls < 0.05 * half:
        return "utf-16-be"
    return None


def _readable(text: str) -> bool:
    """True when nearly every character is printable ASCII, whitespace, CJK or common punctuation."""
    sample = text[:4000]
    if not sample:
        return False
    good = sum(
        1
        for c in sample
        if (" " <= c <= "~")
        or c in "\t\r\n"
        or _CJK.match(c)
        or "\u3000" <= c <= "\u303f"
        or "\uff00" <= c <= "\uffef"
    )
    return good / len(sample) >= 0.95


def _gb_plausible(text: str) -> bool:
    """True when GB18030-decoded text reads like Chinese rather than mis-decoded bytes."""
    non_ascii = [c for c in text if ord(c) > 127]
    if not non_ascii:
        return True
    cjk = sum(1 for c in non_ascii if _CJK.match(c) or c in "，。、；：？！“”‘’（）《》【】…—·￥")
    if cjk / len(non_ascii) < 0.9:
        return False
    # Latin-1 text mis-read as GBK glues rare characters into words: "sch鰊er"
    glued = len(_GLUED.findall(text))
    return glued <= 0.05 * len(non_ascii)


def decode_bytes(data: bytes) -> tuple[str, str]:
    """Return ``(text, encoding)``.

    Raises:
        DocumentParse: the bytes are binary, not text.
        Encoding: the bytes are text in no encoding we can recognise.
    """
    for bom, name in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(name), name
            except UnicodeDecodeError as e:
                raise Encoding(
                    f"file starts with a {name} byte-order mark but does not decode: {e.reason}"
                ) from e
    utf16 = _looks_utf16(data)
    if utf16:
        try:
            text = data.decode(utf16)
            if _readable(text):
                return text, utf16
        except UnicodeDecodeError:
            pass
    if b"\x00" in data[:8192]:
        for name in ("utf-16-le", "utf-16-be"):
            try:
                text = data.decode(name)
            except UnicodeDecodeError:
                continue
            if _readable(text):
                return text, name
        raise DocumentParse("binary content (NUL bytes), not a text file")
    try:
        text = data.decode("utf-8")
        name = "utf-8"
    except UnicodeDecodeError:
        text, name = _decode_legacy(data)
    sample = text[:20000]
    if sample and len(_CONTROL.findall(sample)) / len(sample) > 0.02:
        raise DocumentParse("binary content (control characters), not a text file")
    return text, name


def _decode_legacy(data: bytes) -> tuple[str, str]:
    try:
        text = data.decode("gb18030")
        if _gb_plausible(text):
            return text, "gb18030"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    matches = list(from_bytes(data))
    if not matches:
        raise Encoding("could not detect the text encoding; save the file as UTF-8 and ingest it again")
    best = matches[0]
    # among near-equal guesses prefer the code pages that office files are really written in
    for m in matches:
        if m.encoding in _PREFERRED and m.chaos <= best.chaos + 0.02:
            best = m
            break
    # charset-normalizer reports the narrower GB codecs; gb18030 is their superset
    enc = "gb18030" if best.encoding.lower() in {"gb2312", "gbk", "gb18030"} else best.encoding
    try:
        text = data.decode(enc)
    except UnicodeDecodeError as e:
        raise Encoding(f"text does not decode as {enc}; save the file as UTF-8 and ingest it again") from e
    # real text in a single-byte code page has spaces and line breaks; random bytes do not
    ascii_space = sum(text.count(c) for c in " \t\r\n")
    if len(text) > 40 and ascii_space / len(text) < 0.02:
        raise Encoding(
            "the bytes do not read as text in any known encoding; save the file as UTF-8 and ingest it again"
        )
    return text, enc
