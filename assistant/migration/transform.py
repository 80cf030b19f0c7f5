"""A legacy export mapped onto the new system's load template: target columns taken from source
columns or constants, value-mapping tables (old code -> new code), normalisation (trim, width
forms, traditional -> simplified, case) and typed conversion (dates to ISO, numbers without units or
thousands separators, phones to digits). Every row lands in the load file or in the rejects file
with its reasons; rows in = rows out + rejects, always.

A mapping file (YAML, JSON accepted)::

    template: 物料主数据模板.xlsx     # optional: its header gives the target columns; '*' marks required
    key: [物料编码]                    # optional: target columns that must be unique in the load
    columns:
      物料编码: {from: material_code, required: true, normalise: [trim, half_width, upper],
                 pattern: '^M\\d{6}$'}
      单位:     {from: uom, map: {个: PCS, 千克: KG}}          # unmapped values are rejected
      物料组:   {from: group, map_file: groups.csv}           # first column old code, second new
      单价:     {from: price, type: decimal, min: 0}
      创建日期: {from: created, type: date}
      来源系统: {value: LEGACY-ERP}
"""

from __future__ import annotations

import csv
import json
import os
import re
import tempfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from assistant.errors import InvalidInput, NotFound
from assistant.migration.check import _line_of, valid_regex, valid_type
from assistant.migration.table import Table, load, output_folder
from assistant.migration.values import (
    TYPE_CHECKS,
    date_format,
    half_width,
    is_missing,
    simplified,
)

NORMALISERS: dict[str, Callable[[str], str]] = {
    "trim": lambda v: v.strip().strip("\u3000"),
    "collapse_spaces": lambda v: re.sub(r"[\s\u3000]+", " ", v).strip(),
    "half_width": half_width,
    "upper": str.upper,
    "lower": str.lower,
    "simplified": simplified,
    "no_spaces": lambda v: re.sub(r"[\s\u3000]+", "", v),
}
DEFAULT_NORMALISE = ("trim",)
ENCODINGS = ("utf-8", "utf-8-sig", "gbk", "gb18030")


class TargetColumn(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    source: str | None = Field(None, alias="from")
    value: str | None = None
    required: bool = False
    normalise: list[str] = Field(default_factory=lambda: list(DEFAULT_NORMALISE))
    type: str | None = None
    pattern: str | None = None
    map: dict[str, str] | None = None
    map_file: str | None = None
    unmapped: Literal["reject", "keep", "blank"] = "reject"
    default: str | None = None
    min: float | None = None
    max: float | None = None
    max_length: int | None = Field(None, ge=1)

    @field_validator("normalise")
    @classmethod
    def _steps(cls, v: list[str]) -> list[str]:
        unknown = [s for s in v if s not in NORMALISERS]
        if unknown:
            raise ValueError(f"unknown normalise step {unknown[0]!r}; use: {', '.join(NORMALISERS)}")
        return v

    _type = field_validator("type")(classmethod(lambda cls, v: valid_type(v, ("text",))))
    _regex = field_validator("pattern")(classmethod(lambda cls, v: valid_regex(v)))

    @field_validator("map", mode="before")
    @classmethod
    def _map_text(cls, v: Any) -> Any:
        # YAML reads codes such as 01 or yes as numbers and booleans: compare them as written text
        return {str(k): str(x) for k, x in v.items()} if isinstance(v, dict) else v

    @field_validator("value", "default", mode="before")
    @classmethod
    def _text(cls, v: Any) -> Any:
        return None if v is None else str(v)

    @model_validator(mode="after")
    def _one_origin(self) -> TargetColumn:
        if (self.source is None) == (self.value is None):
            raise ValueError("give either 'from' (a source column) or 'value' (a constant)")
        return self


class Mapping(BaseModel):
    model_config = ConfigDict(extra="forbid")

    template: str | None = None
    template_sheet: str | None = None
    key: list[str] = Field(default_factory=list)
    required: list[str] = Field(default_factory=list)
    columns: dict[str, TargetColumn]

    @field_validator("key", "required", mode="before")
    @classmethod
    def _listed(cls, v: Any) -> Any:
        return [v] if isinstance(v, str) else v


@dataclass
class Plan:
    """A mapping checked against the source table and the template: the target columns in order."""

    targets: list[str]
    columns: dict[str, TargetColumn]
    required: set[str]
    key: list[str]
    maps: dict[str, dict[str, str]]
    unfilled: list[str] = field(default_factory=list)


def load_mapping(path: Path, source_columns: list[str], workdir: Path) -> Plan:
    """The mapping file checked against the source columns and the template.

    Raises:
        NotFound: no mapping file, template or map file.
        InvalidInput: bad YAML, unknown keys, a bad regex, an unknown source column, a target column
            the template does not have, or a required target column the mapping does not fill.
    """
    if not path.is_file():
        raise NotFound(f"no such mapping file: {path}")
    import yaml

    text = path.read_text(encoding="utf-8-sig")
    try:
        data = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as e:
        raise InvalidInput(f"{path.name} is not valid YAML: {e}") from e
    if not isinstance(data, dict):
        raise InvalidInput(f"{path.name} must hold a 'columns:' section naming the target columns")
    try:
        mapping = Mapping.model_validate(data)
    except ValidationError as e:
        first = e.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise InvalidInput(
            f"{path.name}: {where} (line {_line_of(text, first['loc'])}): {first['msg']}"
        ) from e
    if not mapping.columns:
        raise InvalidInput(f"{path.name}: 'columns:' names no target column")

    def line(name: str) -> int:
        return _line_of(text, (name,))

    for target, col in mapping.columns.items():
        if col.source is not None and col.source not in source_columns:
            raise InvalidInput(
                f"{path.name} (line {line(col.source)}): {target} takes column {col.source!r}, which the "
                f"file does not have; it has: {', '.join(source_columns)[:300]}"
            )
    template_required: set[str] = set()
    if mapping.template:
        template_cols = _template_columns(path.parent / mapping.template, mapping.template_sheet, workdir)
        targets = [c.lstrip("*＊").strip() for c in template_cols]
        template_required = {
            c.lstrip("*＊").strip() for c in template_cols if c.strip().startswith(("*", "＊"))
        }
        for target in mapping.columns:
            if target not in targets:
                raise InvalidInput(
                    f"{path.name} (line {line(target)}): target column {target!r} is not in the template "
                    f"{mapping.template}; it has: {', '.join(targets)[:300]}"
                )
    else:
        targets = list(mapping.columns)
    required = (
        {t for t, c in mapping.columns.items() if c.required} | set(mapping.required) | template_required
    )
    for name in [*mapping.required, *mapping.key]:
        if name not in targets:
            raise InvalidInput(f"{path.name} (line {line(name)}): {name!r} is not a target column")
    dropped = sorted(r for r in required if r not in mapping.columns)
    if dropped:
        raise InvalidInput(
            f"{path.name}: the mapping does not fill the required target column(s) {', '.join(dropped)}; "
            "add them under 'columns:' with 'from:' or 'value:'"
        )
    maps: dict[str, dict[str, str]] = {}
    for target, col in mapping.columns.items():
        if col.map is not None or col.map_file is not None:
            table = dict(col.map or {})
            if col.map_file:
                table.update(_map_file(path.parent / col.map_file, workdir))
            maps[target] = _fold_keys(table)
    return Plan(
        targets=targets,
        columns=mapping.columns,
        required=required,
        key=mapping.key,
        maps=maps,
        unfilled=[t for t in targets if t not in mapping.columns],
    )


def _template_columns(path: Path, sheet: str | None, workdir: Path) -> list[str]:
    if not path.is_file():
        raise NotFound(f"no such template: {path}")
    from assistant.migration.table import SHEET_SUFFIXES, _encoding_of, _sheet_rows, _text_rows

    rows = (
        _sheet_rows(path, sheet)
        if path.suffix.lower() in SHEET_SUFFIXES
        else _text_rows(path, _encoding_of(path))
    )
    header = next((r for r in rows if any(c.strip() for c in r)), None)
    if not header:
        raise InvalidInput(f"the template {path.name} has no header row")
    return [c for c in header if c.strip()]


def _map_file(path: Path, workdir: Path) -> dict[str, str]:
    """A value-mapping table: the first column holds the old code, the second the new one."""
    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        table = load(path, Path(tmp))
        if len(table.columns) < 2:
            raise InvalidInput(f"the map file {path.name} needs two columns: old code, new code")
        with table.csv_path.open(encoding="utf-8", newline="") as f:
            reader = csv.reader(f)
            next(reader)
            return {r[0].strip(): r[1].strip() for r in reader if r and r[0].strip()}


def _fold(value: str) -> str:
    """How a map key is looked up: width forms, case and surrounding spaces do not matter."""
    return half_width(value).strip().casefold()


def _fold_keys(table: dict[str, str]) -> dict[str, str]:
    return {_fold(k): v for k, v in table.items()}


#: a number as legacy exports write it: currency sign, thousands separators, a unit after it (万 is
#: left out on purpose: '12万' means 120,000 and is rejected rather than guessed)
_NUMBER = re.compile(
    r"[¥$€]?\s*([-+]?(?:\d{1,3}(?:[,，]\d{3})+|\d+)(?:\.\d+)?|[-+]?\.\d+)\s*"
    r"(?:元|人民币|rmb|cny|usd|kg|千克|公斤|g|克|t|吨|m|米|cm|mm|pcs|个|件|箱|套|台)?",
    re.I,
)


def _convert(value: str, type_: str) -> str | None:
    """The value in the load's canonical form for its type, or None when it cannot be."""
    v = half_width(value).strip()
    if type_ == "date":
        parsed = date_format(v)
        return parsed[1].isoformat() if parsed else None
    if type_ in ("decimal", "int"):
        m = _NUMBER.fullmatch(v)
        bare = re.sub(r"[,，\s]", "", m.group(1)) if m else v
        if not TYPE_CHECKS[type_](bare):
            return None
        if type_ == "int":
            return str(int(bare))
        return bare.rstrip("0").rstrip(".") if "." in bare else bare
    if type_ == "phone_cn":
        digits = re.sub(r"\D", "", v)
        digits = digits[2:] if digits.startswith("86") and len(digits) == 13 else digits
        return digits if TYPE_CHECKS[type_](digits) else None
    if type_ in ("uscc", "id_card_cn", "code"):
        v = v.replace(" ", "").upper() if type_ != "code" else v
    return v if TYPE_CHECKS[type_](v) else None


@dataclass
class TransformResult:
    rows_in: int
    rows_out: int
    rejected: int
    load_file: Path
    rejects_file: Path
    reasons: Counter[str]
    changed: Counter[str]
    unfilled: list[str]
    targets: list[str]

    def summary(self) -> dict[str, Any]:
        return {
            "rows_in": self.rows_in,
            "rows_out": self.rows_out,
            "rejected": self.rejected,
            "load_file": str(self.load_file),
            "rejects_file": str(self.rejects_file),
            "reasons": dict(self.reasons.most_common()),
            "changed_cells": dict(self.changed.most_common()),
            "unfilled_columns": self.unfilled,
            "columns": self.targets,
        }


def transform(
    table: Table,
    plan: Plan,
    out_dir: Path,
    encoding: str = "utf-8",
    progress: Any = None,
) -> TransformResult:
    """Write ``load.csv`` and ``rejects.csv`` into *out_dir*; both appear together or not at all."""
    if encoding not in ENCODINGS:
        raise InvalidInput(f"--encoding must be one of {', '.join(ENCODINGS)}")
    output_folder(out_dir)
    load_path, rejects_path = out_dir / "load.csv", out_dir / "rejects.csv"
    tmp_load = Path(tempfile.mkstemp(prefix=".load-", dir=out_dir)[1])
    tmp_rejects = Path(tempfile.mkstemp(prefix=".rejects-", dir=out_dir)[1])
    structural = {f["row"]: f for f in table.findings if f["row"] > 0}
    index = {c: i for i, c in enumerate(table.columns)}
    reasons: Counter[str] = Counter()
    changed: Counter[str] = Counter()
    seen_keys: dict[tuple[str, ...], int] = {}
    rows_out = rejected = n = 0
    try:
        with (
            table.csv_path.open(encoding="utf-8", newline="") as src,
            tmp_load.open("w", encoding=encoding, errors="strict", newline="") as lf,
            tmp_rejects.open("w", encoding=encoding, errors="replace", newline="") as rf,
        ):
            reader = csv.reader(src)
            next(reader)
            load_writer, reject_writer = csv.writer(lf), csv.writer(rf)
            load_writer.writerow(plan.targets)
            reject_writer.writerow(["source_row", "reason", *table.columns])
            for n, row in enumerate(reader, 1):
                problems: list[str] = []
                if n in structural:
                    s = structural[n]
                    problems.append(f"the row has {s['suggestion']}; its values may be shifted")
                    reasons["ragged row"] += 1
                out: dict[str, str] = {}
                for target in plan.targets:
                    col = plan.columns.get(target)
                    if col is None:
                        out[target] = ""
                        continue
                    raw = col.value if col.value is not None else row[index[col.source or ""]]
                    value, problem, kind = _value(target, raw, col, plan.maps.get(target), plan.required)
                    if problem:
                        problems.append(problem)
                        reasons[kind] += 1
                    elif value != raw:
                        changed[target] += 1
                    out[target] = value
                if plan.key and not problems:
                    key = tuple(out[k] for k in plan.key)
                    if key in seen_keys:
                        problems.append(
                            f"{'+'.join(plan.key)} {'/'.join(key)!r} repeats source row {seen_keys[key]}"
                        )
                        reasons["repeated key"] += 1
                    else:
                        seen_keys[key] = n
                if problems:
                    reject_writer.writerow([n, "; ".join(problems), *row])
                    rejected += 1
                    continue
                try:
                    load_writer.writerow([out[t] for t in plan.targets])
                except UnicodeEncodeError:
                    reject_writer.writerow([n, f"a value cannot be written in {encoding}", *row])
                    reasons[f"not representable in {encoding}"] += 1
                    rejected += 1
                    continue
                rows_out += 1
                if progress is not None and n % 50000 == 0:
                    progress("rows", {"rows": n})
        if rows_out + rejected != table.rows:  # the promise of this command
            raise InvalidInput(f"{table.rows} rows read but {rows_out} loaded and {rejected} rejected")
        os.replace(tmp_load, load_path)
        os.replace(tmp_rejects, rejects_path)
    finally:
        tmp_load.unlink(missing_ok=True)
        tmp_rejects.unlink(missing_ok=True)
    return TransformResult(
        table.rows, rows_out, rejected, load_path, rejects_path, reasons, changed, plan.unfilled, plan.targets
    )


def _value(
    target: str, raw: str, col: TargetColumn, table: dict[str, str] | None, required: set[str]
) -> tuple[str, str | None, str]:
    """(the load value, the reason it cannot be loaded or None, the reason's kind)."""
    v = raw
    if is_missing(v):
        if col.default is not None:
            v = col.default
        elif target in required:
            return "", f"{target} is required but {('empty' if not raw.strip() else repr(raw))}", "required"
        else:
            return "", None, ""
    for step in col.normalise:
        v = NORMALISERS[step](v)
    if table is not None:
        mapped = table.get(_fold(v))
        if mapped is not None:
            v = mapped
        elif col.unmapped == "reject":
            return v, f"{target} {v!r} has no entry in the value map", "unmapped value"
        elif col.unmapped == "blank":
            v = ""
    if col.type and col.type != "text" and v:
        converted = _convert(v, col.type)
        if converted is None:
            return v, f"{target} {v!r} is not a valid {col.type}", f"not a {col.type}"
        v = converted
    if (col.min is not None or col.max is not None) and v:
        try:
            number = float(v)
        except ValueError:
            return v, f"{target} {v!r} is not a number", "not a number"
        if (col.min is not None and number < col.min) or (col.max is not None and number > col.max):
            return v, f"{target} {v} is outside {col.min}..{col.max}", "out of range"
    if col.pattern and v and not re.fullmatch(col.pattern, v):
        return v, f"{target} {v!r} does not match {col.pattern}", "pattern"
    if col.max_length and len(v) > col.max_length:
        return v, f"{target} is {len(v)} characters, at most {col.max_length} allowed", "too long"
    if target in required and not v:
        return v, f"{target} is required but empty", "required"
    return v, None, ""
