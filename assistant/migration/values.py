"""What a cell value is: missing tokens, shapes, width forms, encoding damage, units, dates, and the
check digits of Chinese identifiers (统一社会信用代码 GB 32100-2015, 居民身份证号 GB 11643-1999)."""

from __future__ import annotations

import re
import unicodedata
from datetime import date

#: values that mean "no value" in legacy exports (compared after trimming, case-insensitive)
MISSING_TOKENS = (
    "",
    "null",
    "none",
    "nil",
    "n/a",
    "na",
    "#n/a",
    "nan",
    "-",
    "--",
    "—",
    "/",
    "无",
    "空",
    "暂无",
    "未知",
)
_MISSING = {t.lower() for t in MISSING_TOKENS}


def is_missing(value: str | None) -> bool:
    return value is None or value.strip().lower() in _MISSING


def shape(value: str) -> str:
    """Letters -> A, digits -> 9, Chinese characters -> 汉, other characters kept: 'S-0012' -> 'A-9999'."""
    out = []
    for ch in value:
        if ch.isascii() and ch.isalpha():
            out.append("A")
        elif ch.isdigit():
            out.append("9")
        elif "\u4e00" <= ch <= "\u9fff":
            out.append("汉")
        else:
            out.append(ch)
    return "".join(out)


_FULLWIDTH_ALNUM = re.compile(r"[\uff10-\uff19\uff21-\uff3a\uff41-\uff5a]")


def has_fullwidth_alnum(value: str) -> bool:
    return bool(_FULLWIDTH_ALNUM.search(value))


def half_width(value: str) -> str:
    """Full-width digits, letters, punctuation and spaces folded to their ASCII forms (NFKC)."""
    return unicodedata.normalize("NFKC", value)


def simplified(value: str) -> str:
    """Traditional Chinese characters as simplified ones (OpenCC's t2s table): 蘇州機械 -> 苏州机械."""
    from assistant.text import simplified as to_simplified

    return to_simplified(value)


def spacing_issue(value: str) -> str | None:
    if "\u3000" in value:
        return "full-width space"
    if value != value.strip():
        return "leading or trailing space"
    if "  " in value:
        return "double space"
    return None


#: characters that every mojibake ftfy recognises contains (Latin-1 and Latin Extended, Greek and
#: Cyrillic, general punctuation, symbols and box drawing) and the replacement character: text
#: without any of them cannot be "bad" for ftfy, so plain Chinese skips the costly check
_MOJIBAKE_CHARS = re.compile("[\u0080-\u02ff\u0370-\u04ff\u2000-\u2bff\ufffd]")


def mojibake_fix(value: str) -> str | None:
    """The repaired text when *value* shows encoding damage (UTF-8 read as Latin-1/GBK and the like)."""
    import ftfy

    if value.isascii() or not _MOJIBAKE_CHARS.search(value):
        return None
    fixed = ftfy.fix_text(value)
    if fixed != value and ftfy.badness.is_bad(value):
        return fixed
    if "\ufffd" in value:
        return ""  # replacement characters: the original bytes are lost
    return None


_UNIT_NUMBER = re.compile(
    r"^\s*[¥￥$€]?\s*-?\d{1,3}(?:[,，]\d{3})+(?:\.\d+)?\s*$|^\s*[¥￥$€]\s*-?\d+(?:\.\d+)?\s*$|"
    r"^\s*-?\d{1,12}(?:\.\d+)?\s*(?:元|万元|万|kg|千克|公斤|g|克|t|吨|m|米|cm|mm|pcs|个|件|箱|%)\s*$",
    re.I,
)


def number_with_decoration(value: str) -> str | None:
    """The bare number of '1,200', '¥100', '12kg', '100元' (None for a plain number or no number)."""
    if not _UNIT_NUMBER.match(value):
        return None
    bare = re.sub(r"[^\d.\-]", "", half_width(value))
    return bare or None


_DATE_FORMATS = [
    ("yyyy-mm-dd", re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")),
    ("yyyy/mm/dd", re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$")),
    ("yyyy.mm.dd", re.compile(r"^(\d{4})\.(\d{1,2})\.(\d{1,2})$")),
    ("yyyymmdd", re.compile(r"^(\d{4})(\d{2})(\d{2})$")),
    ("yyyy年m月d日", re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日$")),
    ("dd/mm/yyyy", re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")),
    ("dd.mm.yyyy", re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")),
]


def date_format(value: str) -> tuple[str, date] | None:
    """The date format of a value and the date it means (ISO first; day-first for d/m/y)."""
    v = value.strip().split(" ")[0].split("T")[0]
    for name, pattern in _DATE_FORMATS:
        m = pattern.match(v)
        if not m:
            continue
        a, b, c = (int(x) for x in m.groups())
        y, mo, d = (c, b, a) if name.startswith("dd") else (a, b, c)
        try:
            return name, date(y, mo, d)
        except ValueError:
            return None
    return None


_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def uscc_ok(value: str) -> bool:
    """统一社会信用代码: 18 characters of the code alphabet with a valid check character."""
    v = value.strip().upper()
    if len(v) != 18 or any(ch not in _USCC_CHARS for ch in v):
        return False
    total = sum(_USCC_CHARS.index(ch) * w for ch, w in zip(v[:17], _USCC_WEIGHTS, strict=True))
    return _USCC_CHARS[(31 - total % 31) % 31] == v[17]


_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def id_card_ok(value: str) -> bool:
    """18-digit 居民身份证号 with a valid birth date and check digit."""
    v = value.strip().upper()
    if not re.fullmatch(r"\d{17}[\dX]", v):
        return False
    try:
        date(int(v[6:10]), int(v[10:12]), int(v[12:14]))
    except ValueError:
        return False
    total = sum(int(ch) * w for ch, w in zip(v[:17], _ID_WEIGHTS, strict=True))
    return "10X98765432"[total % 11] == v[17]


TYPE_CHECKS = {
    "int": lambda v: bool(re.fullmatch(r"[-+]?\d+", v.strip())),
    "decimal": lambda v: bool(re.fullmatch(r"[-+]?(?:\d+\.?\d*|\.\d+)", v.strip())),
    "date": lambda v: date_format(v) is not None,
    "phone_cn": lambda v: bool(re.fullmatch(r"(?:\+?86[- ]?)?1[3-9]\d{9}|0\d{2,3}-?\d{7,8}", v.strip())),
    "email": lambda v: bool(re.fullmatch(r"[^@\s]+@[^@\s]+\.[A-Za-z]{2,}", v.strip())),
    "uscc": uscc_ok,
    "id_card_cn": id_card_ok,
    "code": lambda v: bool(re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._/-]*", v.strip())),
}
#: the order in which a column's type is inferred (the first that nearly all values satisfy)
INFER_ORDER = ("int", "decimal", "date", "uscc", "id_card_cn", "phone_cn", "email", "code")
