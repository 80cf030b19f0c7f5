"""The data dictionary a specification carries: tables with a field-name column and any of type,
required, length and allowed values (数据字典 / 字段说明). Read from a knowledge base's table chunks
(``| a | b |`` rows under a header), so a DOCX, PDF or Markdown specification all serve."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from assistant.migration.values import half_width

_NAME = re.compile(
    r"^(?:字段名?称?|字段代码|列名|属性名?|数据项|field(?: ?name)?|column(?: ?name)?|name|item)$", re.I
)
_TYPE = re.compile(r"^(?:数据)?类型|^(?:data ?)?type$|^格式$|^format$", re.I)
_REQUIRED = re.compile(
    r"^(?:是否)?必填|^必输|^必须|^required$|^mandatory$|^(?:m/o)$|^nullable$|^可为空$|^允许为?空$", re.I
)
_LENGTH = re.compile(r"^(?:最大)?长度|^length$|^max(?:imum)? ?length$|^size$", re.I)
_VALUES = re.compile(
    r"^(?:取值|可选值|值域|枚举值?|代码值?|允许值|取值范围)|^(?:allowed )?values?$|^codes?$|^domain$", re.I
)
_DESCRIPTION = re.compile(r"^(?:说明|描述|备注|中文名|含义)|^description$|^label$|^meaning$", re.I)

#: words of a type column and the rule type they mean (first match wins)
_TYPES = [
    (re.compile(r"统一社会信用代码|uscc|credit ?code", re.I), "uscc"),
    (re.compile(r"身份证|id ?card", re.I), "id_card_cn"),
    (re.compile(r"手机|电话|phone|mobile", re.I), "phone_cn"),
    (re.compile(r"邮箱|e-?mail", re.I), "email"),
    (re.compile(r"日期|date|时间|datetime|timestamp", re.I), "date"),
    (re.compile(r"整数|整型|^int|integer|bigint|smallint|number\(\d+\)$", re.I), "int"),
    (re.compile(r"数值|金额|小数|decimal|numeric|number|float|double|money|amount|价格", re.I), "decimal"),
    (re.compile(r"编码|代码|code", re.I), "code"),
]
_YES = re.compile(r"^(?:是|必填|必须|必输|y|yes|true|√|✓|✔|m|mandatory|required|not null|1)$", re.I)
_NO_NULL = re.compile(r"^(?:否|不可|不允许|n|no|false|×|not null)$", re.I)


@dataclass
class FieldSpec:
    """One row of a data dictionary."""

    name: str
    table: str  # the section (table title) it appears under
    source: str
    type: str | None = None
    required: bool | None = None
    max_length: int | None = None
    values: list[str] = field(default_factory=list)
    description: str = ""

    def as_rule(self) -> dict[str, Any]:
        rule: dict[str, Any] = {}
        if self.required:
            rule["required"] = True
        if self.type:
            rule["type"] = self.type
        if self.max_length:
            rule["max_length"] = self.max_length
        if self.values:
            rule["values"] = self.values
        return rule


def markdown_tables(text: str) -> list[list[list[str]]]:
    """The ``| a | b |`` tables of a chunk, each as rows of cells (header first, rule row dropped)."""
    tables: list[list[list[str]]] = []
    current: list[list[str]] = []
    for line in [*text.splitlines(), ""]:
        s = line.strip()
        if s.startswith("|") and s.endswith("|") and len(s) > 1:
            cells = [c.strip() for c in s[1:-1].split("|")]
            if not all(re.fullmatch(r":?-{3,}:?", c) for c in cells if c):
                current.append(cells)
        elif current:
            tables.append(current)
            current = []
    return tables


def _column(header: list[str], pattern: re.Pattern[str]) -> int | None:
    for i, h in enumerate(header):
        if pattern.search(half_width(h).strip().replace("*", "")):
            return i
    return None


def split_values(text: str) -> list[str]:
    """'PCS/KG/M', 'PCS、KG、M', 'A=采购件; M=自制件' -> the codes."""
    t = half_width(text).strip()
    if not t or t in ("-", "无", "n/a"):
        return []
    parts = [p.strip() for p in re.split(r"[/、,;；|]|\s{2,}|\s+或\s+|\bor\b", t) if p.strip()]
    codes = [re.split(r"\s*[=:：-]\s*|\s*[（(]", p)[0].strip() for p in parts]
    return [c for c in dict.fromkeys(codes) if c and len(c) <= 40]


def dictionary_rows(table: list[list[str]], section: str, source: str) -> list[FieldSpec]:
    """The fields of one table when it is a data dictionary, else []."""
    if len(table) < 2:
        return []
    header = table[0]
    name_at = _column(header, _NAME)
    if name_at is None:
        return []
    at = {
        "type": _column(header, _TYPE),
        "required": _column(header, _REQUIRED),
        "length": _column(header, _LENGTH),
        "values": _column(header, _VALUES),
        "description": _column(header, _DESCRIPTION),
    }
    if all(at[k] is None for k in ("type", "required", "length", "values")):
        return []
    nullable = at["required"] is not None and re.search(r"空|null", header[at["required"]], re.I)
    out: list[FieldSpec] = []
    for row in table[1:]:
        cells = row + [""] * (len(header) - len(row))

        def cell(key: str, cells: list[str] = cells) -> str:
            i = at[key]
            return half_width(cells[i]).strip() if i is not None else ""

        name = half_width(cells[name_at]).strip().strip("*").strip()
        if not name:
            continue
        spec = FieldSpec(name=name, table=section, source=source, description=cell("description"))
        type_text = cell("type")
        spec.type = next((t for p, t in _TYPES if p.search(type_text)), None) if type_text else None
        length = re.search(r"\((\d+)(?:,\s*\d+)?\)", type_text) or re.fullmatch(r"(\d+)", cell("length"))
        if length and spec.type in (None, "code"):
            spec.max_length = int(length.group(1))
        req = cell("required")
        if at["required"] is not None:
            # a 'nullable' / '可为空' column says the opposite: 否 / N there means required
            spec.required = bool(_NO_NULL.match(req)) if nullable else bool(_YES.match(req))
        spec.values = split_values(cell("values"))
        out.append(spec)
    return out


def data_dictionary(chunks: list[Any]) -> list[FieldSpec]:
    """Every data-dictionary row in the chunks (their tables), first statement of a field first."""
    fields: list[FieldSpec] = []
    for c in chunks:
        for table in markdown_tables(c.text):
            fields.extend(dictionary_rows(table, c.section or c.title, c.source))
    return fields


def table_values(chunks: list[Any], title: str) -> list[str] | None:
    """The codes of the table titled *title* (its section heading): the column named code/编码/代码/值,
    else the first column. None when no chunk has such a table."""
    want = half_width(title).strip().casefold()
    found: list[str] | None = None
    for c in chunks:
        if want not in half_width(c.section or "").casefold() and want != half_width(c.title).casefold():
            continue
        for table in markdown_tables(c.text):
            if len(table) < 2:
                continue
            header = table[0]
            at = _column(header, re.compile(r"^(?:编码|代码|代号|值|code|value|key)$", re.I)) or 0
            found = (found or []) + [
                half_width(r[at]).strip() for r in table[1:] if len(r) > at and r[at].strip()
            ]
    return list(dict.fromkeys(found)) if found is not None else None
