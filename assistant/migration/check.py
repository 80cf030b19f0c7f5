"""Cell-level findings of a legacy export against a rules file and, with ``infer``, against the
rules its own profile suggests (type and shape consistency within a column, code lists,
dependencies, spacing, width forms, encoding damage). Given rules yield errors; inferred ones
warnings, since the data may be right and the guess wrong."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from assistant.errors import InvalidInput, NotFound
from assistant.migration.profile import FD_VIOLATION_SHARE, _q, connect, profile
from assistant.migration.table import Table
from assistant.migration.values import (
    MISSING_TOKENS,
    TYPE_CHECKS,
    date_format,
    half_width,
    has_fullwidth_alnum,
    is_missing,
    mojibake_fix,
    number_with_decoration,
    shape,
    spacing_issue,
)

TYPES = tuple(TYPE_CHECKS)
#: a column's dominant shape becomes an inferred rule when it covers this share of its values
SHAPE_SHARE = 0.8
CODE_LIST_MAX = 30  # distinct values of a column treated as a code list
REQUIRED_MISSING_SHARE = 0.03  # a column this full is treated as required when inferring


class ColumnRule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    required: bool = False
    unique: bool = False
    pattern: str | None = None
    type: str | None = None
    values: list[str] | None = None
    values_from: str | None = Field(None, description="other.csv#column")
    values_from_spec: str | None = None
    min: float | None = None
    max: float | None = None
    max_length: int | None = Field(None, ge=1)

    _regex = field_validator("pattern")(classmethod(lambda cls, v: valid_regex(v)))
    _type = field_validator("type")(classmethod(lambda cls, v: valid_type(v)))


def valid_regex(v: str | None) -> str | None:
    """A rules or mapping file's pattern, refused with the reason when Python cannot read it."""
    if v is not None:
        try:
            re.compile(v)
        except re.error as e:
            raise ValueError(f"bad regular expression {v!r}: {e}") from e
    return v


def valid_type(v: str | None, extra: tuple[str, ...] = ()) -> str | None:
    """A rules or mapping file's type, one of TYPES (and *extra*)."""
    if v is not None and v not in (*extra, *TYPES):
        raise ValueError(f"unknown type {v!r}; use one of: {', '.join((*extra, *TYPES))}")
    return v


class Dependency(BaseModel):
    model_config = ConfigDict(extra="forbid")
    determinant: list[str]
    dependent: str


class Reference(BaseModel):
    model_config = ConfigDict(extra="forbid")
    column: str
    file: str
    key: str


class Rules(BaseModel):
    model_config = ConfigDict(extra="forbid")
    columns: dict[str, ColumnRule] = Field(default_factory=dict)
    dependencies: list[Dependency] = Field(default_factory=list)
    references: list[Reference] = Field(default_factory=list)


def load_rules(path: Path | None, columns: list[str]) -> Rules:
    """A rules file (YAML, JSON accepted), checked against the table's columns.

    Raises:
        InvalidInput: unreadable file, unknown keys, a bad regex, an unknown column (naming the line).
    """
    if path is None:
        return Rules()
    if not path.is_file():
        raise NotFound(f"no such rules file: {path}")
    import yaml

    text = path.read_text(encoding="utf-8-sig")
    try:
        data = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as e:
        raise InvalidInput(
            f"{path.name} is not valid {'JSON' if path.suffix.lower() == '.json' else 'YAML'}: {e}"
        ) from e
    try:
        rules = Rules.model_validate(data or {})
    except ValidationError as e:
        first = e.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise InvalidInput(
            f"{path.name}: {where} (line {_line_of(text, first['loc'])}): {first['msg']}"
        ) from e
    named = [*rules.columns, *(c for d in rules.dependencies for c in [*d.determinant, d.dependent])]
    named += [r.column for r in rules.references]
    for name in named:
        if name not in columns:
            raise InvalidInput(
                f"{path.name} (line {_line_of(text, (name,))}): column {name!r} is not in the file; it has: "
                f"{', '.join(columns)[:300]}"
            )
    return rules


def _line_of(text: str, loc: tuple[Any, ...]) -> int:
    """The first line of the rules file that mentions the innermost named key of *loc*."""
    names = [str(p) for p in loc if isinstance(p, str) and p not in ("columns", "dependencies", "references")]
    for needle in reversed(names):
        for n, line in enumerate(text.splitlines(), 1):
            if needle in line:
                return n
    return 1


@dataclass
class Report:
    findings: list[dict[str, Any]] = field(default_factory=list)
    rows: int = 0

    def summary(self) -> dict[str, Any]:
        by_rule = Counter(f["rule"] for f in self.findings)
        by_column = Counter(f["column"] for f in self.findings)
        errors = sum(1 for f in self.findings if f["severity"] == "error")
        return {
            "rows": self.rows,
            "findings": len(self.findings),
            "errors": errors,
            "warnings": len(self.findings) - errors,
            "rows_with_findings": len({f["row"] for f in self.findings if f["row"]}),
            "by_rule": dict(by_rule.most_common()),
            "by_column": dict(by_column.most_common()),
        }


def check(
    table: Table,
    rules: Rules,
    infer: bool = False,
    base: Path | None = None,
    spec_values: Callable[[str], set[str]] | None = None,
) -> Report:
    """Every finding of the table, in row order (structural findings of the file first)."""
    con = connect(table)
    prof = profile(table, con) if infer else None
    report = Report(findings=list(table.findings), rows=table.rows)
    per_cell = _cell_rules(rules, prof, base, spec_values)
    report.findings += list(_scan(con, per_cell))
    report.findings += _unique(con, table, rules, prof)
    found, supported = _dependencies(con, table, rules, prof)
    report.findings += found
    report.findings += _variants(con, table, rules, prof, supported)
    report.findings += _references(con, table, rules, base)
    report.findings = _one_voice(report.findings)
    report.findings.sort(
        key=lambda f: (f["row"], table.columns.index(f["column"]) if f["column"] in table.columns else -1)
    )
    return report


def _one_voice(findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A cell that a given rule flags as an error carries no inferred warning beside it."""
    errors = {(f["row"], f["column"]) for f in findings if f["severity"] == "error"}
    return [f for f in findings if f["severity"] == "error" or (f["row"], f["column"]) not in errors]


@dataclass
class _ColumnCheck:
    rule: ColumnRule
    allowed: set[str] | None = None
    inferred_type: str | None = None
    inferred_shapes: set[str] | None = None
    inferred_codes: list[str] | None = None
    hygiene: bool = False  # spacing, width forms, encoding damage, decorated numbers
    inferred_required: bool = False  # nearly every row has a value: an empty cell is suspicious


def _cell_rules(
    rules: Rules,
    prof: dict[str, Any] | None,
    base: Path | None,
    spec_values: Callable[[str], set[str]] | None = None,
) -> dict[str, _ColumnCheck]:
    out: dict[str, _ColumnCheck] = {}
    for name, rule in rules.columns.items():
        allowed = set(rule.values) if rule.values is not None else None
        if rule.values_from:
            allowed = (allowed or set()) | _values_from(rule.values_from, base)
        if rule.values_from_spec:
            if spec_values is None:
                raise InvalidInput(
                    f"{name}: values_from_spec {rule.values_from_spec!r} needs a knowledge base: "
                    "give --kb NAME (the one holding the specification)"
                )
            allowed = (allowed or set()) | spec_values(rule.values_from_spec)
        out[name] = _ColumnCheck(rule, allowed)
    for col in (prof or {}).get("columns", []):
        c = out.setdefault(col["name"], _ColumnCheck(ColumnRule()))
        c.hygiene = True
        filled = col["rows"] - col["missing"]
        c.inferred_required = 0 < col["missing"] <= REQUIRED_MISSING_SHARE * col["rows"]
        if col["type"] != "text" and c.rule.type is None:
            c.inferred_type = col["type"]
        shapes = col["shapes"]
        numeric = col["type"] in ("int", "decimal")
        if (
            shapes
            and filled
            and not numeric
            and not re.search(r"[汉\s]", shapes[0]["shape"])  # a code, not a name or free text
            and shapes[0]["count"] >= SHAPE_SHARE * filled
            and col["length"][1] <= 40
        ):
            c.inferred_shapes = {s["shape"] for s in shapes if s["count"] >= 0.05 * filled}
        if 2 <= col["distinct"] <= CODE_LIST_MAX and filled >= 50 and c.allowed is None:
            common = [t["value"] for t in col["top_values"] if t["count"] > max(1, 0.005 * filled)]
            if sum(t["count"] for t in col["top_values"] if t["value"] in common) >= 0.95 * filled:
                c.inferred_codes = common
    return out


def _values_from(spec: str, base: Path | None) -> set[str]:
    file, _, column = spec.partition("#")
    path = (base / file) if base is not None and not Path(file).is_absolute() else Path(file)
    if not column:
        raise InvalidInput(f"values_from {spec!r} needs a column: other.csv#column")
    from assistant.ingest.tables import read_rows

    columns, rows = read_rows(path)
    if column not in columns:
        raise InvalidInput(f"values_from: column {column!r} not in {path.name}; it has: {', '.join(columns)}")
    return {str(r.get(column) or "").strip() for r in rows if str(r.get(column) or "").strip()}


def _finding(
    row: int, column: str, value: str | None, rule: str, severity: str, suggestion: str | None
) -> dict[str, Any]:
    return {
        "row": row,
        "column": column,
        "value": value,
        "rule": rule,
        "severity": severity,
        "suggestion": suggestion,
    }


BATCH = 50_000


def _scan(con: Any, checks: dict[str, _ColumnCheck]) -> Iterator[dict[str, Any]]:
    """The per-cell findings. Each distinct value of a column is checked once in Python; DuckDB
    then finds the rows that hold a value with findings (most values repeat, or are fine)."""
    import pandas as pd

    for i, (name, c) in enumerate(checks.items()):
        col = _q(name)
        bad: dict[str, list[dict[str, Any]]] = {}
        clean = _clean_sql(con, i, c)
        cur = con.execute(
            f"SELECT DISTINCT x FROM (SELECT coalesce({col}, '') AS x FROM t)"
            + (f" WHERE NOT ({clean})" if clean else "")
        )
        while batch := cur.fetchmany(BATCH):
            for (value,) in batch:
                found = list(_cell(0, name, value, c))
                if found:
                    bad[value] = found
        if not bad:
            continue
        con.register("bad_values", pd.DataFrame({"v": list(bad)}))
        rows = con.execute(
            f"SELECT t._row, coalesce(t.{col}, '') AS v FROM t JOIN bad_values b ON coalesce(t.{col}, '') = b.v"
        )
        while batch := rows.fetchmany(BATCH):
            for r, value in batch:
                for finding in bad[value]:
                    yield {**finding, "row": int(r)}
        con.unregister("bad_values")


_MISSING_SQL = ", ".join("'" + m.replace("'", "''") + "'" for m in MISSING_TOKENS)
#: characters that make Python's view of a value differ from a plain SQL test (other whitespace,
#: control characters), or that the hygiene checks look at (full-width forms, mojibake ranges)
_NEEDS_PYTHON = (
    "[\\x{0}-\\x{1f}\\x{7f}-\\x{2ff}\\x{370}-\\x{4ff}\\x{2000}-\\x{2bff}\\x{3000}"
    "\\x{ff01}-\\x{ff5e}\\x{fffd}\\x{feff}]"
)
#: type checks DuckDB can make exactly as TYPE_CHECKS does (the rest are checked in Python)
_TYPE_SQL = {
    "int": "regexp_full_match(x, '[-+]?[0-9]+')",
    "decimal": "regexp_full_match(x, '[-+]?(?:[0-9]+\\.?[0-9]*|\\.[0-9]+)')",
    "date": "(regexp_full_match(x, '[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}') AND try_cast(x AS DATE) IS NOT NULL)",
    "phone_cn": "regexp_full_match(x, '(?:\\+?86[- ]?)?1[3-9][0-9]{9}|0[0-9]{2,3}-?[0-9]{7,8}')",
    "email": "regexp_full_match(x, '[^@\\s]+@[^@\\s]+\\.[A-Za-z]{2,}')",
    "code": "regexp_full_match(x, '[A-Za-z0-9][A-Za-z0-9._/-]*')",
    "uscc": (
        "(regexp_full_match(x, '[0-9ABCDEFGHJKLMNPQRTUWXY]{18}') AND substr('0123456789ABCDEFGHJKLMNPQRTUWXY', "
        "CAST(((31 - list_sum(list_transform(range(17), lambda i: (instr('0123456789ABCDEFGHJKLMNPQRTUWXY', "
        "substr(x, i + 1, 1)) - 1) * [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28][i + 1])) % 31) "
        "% 31) + 1 AS BIGINT), 1) = substr(x, 18, 1))"
    ),
}


def _clean_sql(con: Any, i: int, c: _ColumnCheck) -> str | None:
    """A SQL test over ``x`` (the cell, '' for NULL) that is true only for values ``_cell`` finds
    nothing wrong with, so that only the others are checked one by one in Python; None when no
    such test can be written (a pattern DuckDB's regular expressions do not read)."""
    import pandas as pd

    r = c.rule
    parts = [
        f"NOT regexp_matches(x, '{_NEEDS_PYTHON}')",
        "x = trim(x)",
        "NOT contains(x, '  ')",
        f"lower(x) NOT IN ({_MISSING_SQL})",
    ]
    for type_ in (r.type, c.inferred_type):
        if type_:
            if type_ not in _TYPE_SQL:
                return None
            parts.append(_TYPE_SQL[type_])
    if r.pattern:
        try:
            con.execute("SELECT regexp_full_match('', ?)", [r.pattern]).fetchall()
        except Exception:  # noqa: BLE001 - a pattern RE2 does not read: Python checks every value
            return None
        parts.append("regexp_full_match(x, '" + r.pattern.replace("'", "''") + "')")
    for j, values in enumerate((c.allowed, c.inferred_codes)):
        if values is not None:
            con.register(f"clean_{i}_{j}", pd.DataFrame({"v": sorted(values)}))
            parts.append(f"x IN (SELECT v FROM clean_{i}_{j})")
    if r.min is not None or r.max is not None:
        parts.append(_TYPE_SQL["decimal"])
        if r.min is not None:
            parts.append(f"coalesce(TRY_CAST(x AS DOUBLE) >= {float(r.min)!r}, false)")
        if r.max is not None:
            parts.append(f"coalesce(TRY_CAST(x AS DOUBLE) <= {float(r.max)!r}, false)")
    if r.max_length:
        parts.append(f"length(x) <= {int(r.max_length)}")
    if c.inferred_shapes:
        shapes = ", ".join("'" + s.replace("'", "''") + "'" for s in sorted(c.inferred_shapes))
        parts.append(
            "(length(x) > 40 OR regexp_replace(regexp_replace(regexp_replace(x, '[A-Za-z]', 'A', 'g'), "
            f"'[0-9]', '9', 'g'), '[\\x{{4e00}}-\\x{{9fff}}]', '汉', 'g') IN ({shapes}))"
        )
    return " AND ".join(parts)


def _cell(n: int, name: str, value: str, c: _ColumnCheck) -> Iterator[dict[str, Any]]:
    r = c.rule
    if is_missing(value):
        if r.required:
            yield _finding(n, name, value, "required", "error", None)
        elif c.hygiene and value.strip():
            # "无", "N/A", "-": a placeholder the load would store as text
            yield _finding(n, name, value, "missing_placeholder", "warning", "")
        elif c.inferred_required:
            yield _finding(n, name, value, "inferred_required", "warning", None)
        return
    v = value.strip()
    if r.type and not TYPE_CHECKS[r.type](v):
        yield _finding(n, name, value, f"type:{r.type}", "error", _repair(v, r.type))
    if r.pattern and not re.fullmatch(r.pattern, v):
        yield _finding(n, name, value, "pattern", "error", _repair_pattern(v, r.pattern))
    if c.allowed is not None and v not in c.allowed:
        yield _finding(n, name, value, "values", "error", _closest(v, sorted(c.allowed)))
    if (r.min is not None or r.max is not None) and TYPE_CHECKS["decimal"](v):
        x = float(v)
        if (r.min is not None and x < r.min) or (r.max is not None and x > r.max):
            yield _finding(n, name, value, "range", "error", None)
    if r.max_length and len(v) > r.max_length:
        yield _finding(n, name, value, "max_length", "error", v[: r.max_length])
    yield from _inferred(n, name, value, v, c)


def _inferred(n: int, name: str, value: str, v: str, c: _ColumnCheck) -> Iterator[dict[str, Any]]:
    """The warnings of the rules a column's profile suggests (dropped on a cell a given rule
    already flags, see ``_one_voice``)."""
    if c.inferred_type and not TYPE_CHECKS[c.inferred_type](v):
        yield _finding(
            n, name, value, f"inferred_type:{c.inferred_type}", "warning", _repair(v, c.inferred_type)
        )
    elif c.inferred_shapes and len(v) <= 40 and shape(v) not in c.inferred_shapes:
        fixed = half_width(v).strip().upper()
        if c.inferred_type == "date":
            parsed = date_format(half_width(v))
            yield _finding(
                n, name, value, "inferred_date_format", "warning", parsed[1].isoformat() if parsed else None
            )
        else:
            yield _finding(
                n,
                name,
                value,
                "inferred_shape",
                "warning",
                fixed if shape(fixed) in c.inferred_shapes else None,
            )
    if c.inferred_codes and v not in c.inferred_codes:
        yield _finding(n, name, value, "inferred_code_list", "warning", _closest(v, c.inferred_codes))
    if c.hygiene:
        spacing = spacing_issue(value)
        if spacing:
            yield _finding(n, name, value, "spacing", "warning", " ".join(half_width(value).split()))
        if has_fullwidth_alnum(value):
            yield _finding(n, name, value, "fullwidth", "warning", half_width(value))
        repaired = mojibake_fix(value)
        if repaired is not None:
            yield _finding(n, name, value, "encoding_damage", "warning", repaired or None)


def _repair(v: str, type_: str) -> str | None:
    """A value that would pass the type, when a mechanical repair gives one."""
    for candidate in (half_width(v).strip(), number_with_decoration(v) or "", half_width(v).replace(" ", "")):
        if candidate and candidate != v and TYPE_CHECKS[type_](candidate):
            return candidate
    if type_ == "date":
        from assistant.migration.values import date_format

        parsed = date_format(half_width(v))
        if parsed:
            return parsed[1].isoformat()
    return None


def _repair_pattern(v: str, pattern: str) -> str | None:
    for candidate in (half_width(v).strip(), half_width(v).strip().upper()):
        if candidate != v and re.fullmatch(pattern, candidate):
            return candidate
    return None


def _closest(v: str, choices: list[str]) -> str | None:
    from rapidfuzz import fuzz, process

    if not choices:
        return None
    folded = half_width(v).strip()
    for c in choices:
        if c.lower() == folded.lower():
            return c
    best = process.extractOne(folded, choices, scorer=fuzz.ratio)
    return best[0] if best and best[1] >= 60 else None


def _unique(con: Any, table: Table, rules: Rules, prof: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Repeated values of a unique column (given), or of a column that is unique but for a few rows."""
    wanted = {name: "error" for name, r in rules.columns.items() if r.unique}
    for col in (prof or {}).get("columns", []):
        filled = col["rows"] - col["missing"]
        if (
            col["name"] not in wanted
            and col["type"] in ("code", "int", "uscc", "id_card_cn", "phone_cn", "email")
            and filled >= 20
            and col["distinct"] >= 0.99 * filled
            and col["distinct"] < filled
        ):
            wanted[col["name"]] = "warning"
    out = []
    for name, severity in wanted.items():
        c = _q(name)
        rows = con.execute(
            f"SELECT r, {c} FROM (SELECT _row AS r, {c}, count(*) OVER (PARTITION BY {c}) AS k "
            f"FROM t) WHERE k > 1 AND {c} IS NOT NULL AND trim({c}) <> '' ORDER BY r"
        ).fetchall()
        first: dict[str, int] = {}
        for r, v in rows:
            if v in first:
                out.append(
                    _finding(
                        int(r),
                        name,
                        v,
                        "unique" if severity == "error" else "inferred_unique",
                        severity,
                        f"same as row {first[v]}",
                    )
                )
            else:
                first[v] = int(r)
    return out


def _dependencies(
    con: Any, table: Table, rules: Rules, prof: dict[str, Any] | None
) -> tuple[list[dict[str, Any]], dict[str, set[str]]]:
    """Cells of the dependent column that disagree with their group's prevailing value; and, per
    dependent column of a given dependency, the values that prevail in their group (the dependency
    vouches for them)."""
    deps = [(d.determinant, d.dependent, "error") for d in rules.dependencies]
    related = {frozenset([*a, b]) for a, b, _ in deps}
    for d in (prof or {}).get("dependencies", []):
        pair = frozenset([*d["determinant"], d["dependent"]])
        if pair not in related and 0 < d["violations"] <= FD_VIOLATION_SHARE * table.rows:
            deps.append((d["determinant"], d["dependent"], "warning"))
            related.add(pair)  # A -> B and B -> A both hold for a 1:1 pair: one of them is enough
    out = []
    keys_of: dict[tuple[int, str], Any] = {}
    for i, (det, dep, severity) in enumerate(deps):
        keys = ", ".join(_q(a) for a in det)
        b = _q(dep)
        # the prevailing value of each group; a group whose commonest value ties with the next has
        # no majority to measure against
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE fd_g AS "
            f"SELECT {keys}, {b} AS v, count(*) AS k FROM t WHERE {b} IS NOT NULL GROUP BY ALL"
        )
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE fd_best_{i} AS WITH "
            f"ranked AS (SELECT *, row_number() OVER (PARTITION BY {keys} ORDER BY k DESC, v) AS n FROM fd_g) "
            f"SELECT {keys}, max(CASE WHEN n = 1 THEN v END) AS top, max(CASE WHEN n = 1 THEN k END) AS k1, "
            f"coalesce(max(CASE WHEN n = 2 THEN k END), 0) AS k2 FROM ranked GROUP BY ALL"
        )
        # a guessed dependency flags a rare value only: a block of rows sharing another value (two
        # providers in one zip code) says the guess is wrong there, not the data
        lone = (
            "" if severity == "error" else f"AND best.k1 >= 2 AND (g.k = 1 OR g.k * {LONE_RATIO} <= best.k1)"
        )
        rows = con.execute(
            f"SELECT t._row, t.{b}, best.top, t.{_q(det[0])} FROM t JOIN fd_best_{i} best USING ({keys}) "
            f"JOIN fd_g g ON g.v = t.{b} AND {' AND '.join(f'g.{_q(a)} IS NOT DISTINCT FROM t.{_q(a)}' for a in det)} "
            f"WHERE t.{b} IS DISTINCT FROM best.top AND t.{b} IS NOT NULL AND best.k1 > best.k2 {lone} ORDER BY t._row"
        ).fetchall()
        rule = "dependency" if severity == "error" else "inferred_dependency"
        for r, v, top, key in rows:
            out.append({**_finding(int(r), dep, v, f"{rule}:{'+'.join(det)}", severity, top), "_fd": i})
            keys_of[(int(r), det[0])] = key
    blamed = _blame_determinant(con, out, deps, keys_of)
    for f in blamed:
        f.pop("_fd", None)
    supported: dict[str, set[str]] = {}
    for i, (_, dep, severity) in enumerate(deps):
        if severity == "error":
            tops = con.execute(f"SELECT DISTINCT top FROM fd_best_{i} WHERE k1 > k2").fetchall()
            supported.setdefault(dep, set()).update(v for (v,) in tops)
    return blamed, supported


def _blame_determinant(
    con: Any,
    findings: list[dict[str, Any]],
    deps: list[tuple[list[str], str, str]],
    keys_of: dict[tuple[int, str], Any],
) -> list[dict[str, Any]]:
    """A row that disagrees with its group on two or more dependents of one determinant, where
    another determinant value's group holds exactly this row's values, carries the wrong
    determinant (a customer code typed as another customer's): one finding on the determinant, with
    that other value as the suggestion, replaces the dependents' findings. Independent typos in one
    row do not match another group, and stay where they are."""
    import pandas as pd

    by_key: dict[tuple[int, str], list[dict[str, Any]]] = {}
    for f in findings:
        det = deps[f["_fd"]][0]
        if len(det) == 1:
            by_key.setdefault((f["row"], det[0]), []).append(f)
    candidates = {k: v for k, v in by_key.items() if len(v) >= 2}
    if not candidates:
        return findings
    # for each dependency, the determinant values whose prevailing value is one the rows hold (a key
    # seen once, perhaps itself a typo, is no evidence)
    wanted: dict[int, set[str]] = {}
    for items in candidates.values():
        for f in items:
            wanted.setdefault(f["_fd"], set()).add(f["value"])
    holders: dict[int, dict[str, set[str]]] = {}
    for i, values in wanted.items():
        det = deps[i][0][0]
        con.register("fd_values", pd.DataFrame({"v": sorted(values)}))
        rows = con.execute(
            f"SELECT top, {_q(det)} FROM fd_best_{i} WHERE k1 > k2 AND k1 >= 2 AND top IN (SELECT v FROM fd_values)"
        ).fetchall()
        con.unregister("fd_values")
        for top, key in rows:
            holders.setdefault(i, {}).setdefault(top, set()).add(key)
    drop: set[int] = set()
    out: list[dict[str, Any]] = []
    for (row, det), items in candidates.items():
        votes: Counter[str] = Counter()
        for f in items:
            votes.update(holders.get(f["_fd"], {}).get(f["value"], set()) - {keys_of.get((row, det))})
        ranked = votes.most_common(2)
        # two or more of the disagreeing values are exactly another key's, and no other key ties
        if not ranked or ranked[0][1] < 2 or (len(ranked) > 1 and ranked[1][1] == ranked[0][1]):
            continue
        key = ranked[0][0]
        explained = [f for f in items if key in holders.get(f["_fd"], {}).get(f["value"], set())]
        severity = "error" if any(f["severity"] == "error" for f in explained) else "warning"
        rule = "dependency_key" if severity == "error" else "inferred_dependency_key"
        dependents = "+".join(dict.fromkeys(f["column"] for f in explained))
        out.append(
            {**_finding(row, det, keys_of.get((row, det)), f"{rule}:{dependents}", severity, key), "_fd": -1}
        )
        drop.update(id(f) for f in explained)
    return [f for f in findings if id(f) not in drop] + out


#: under a guessed dependency, a value this many times rarer than its group's prevailing one is an error
LONE_RATIO = 10

#: a frequent value occurs at least this often, and this many times more than its rare spelling
VARIANT_MIN_COUNT = 3
VARIANT_RATIO = 3
VARIANT_MIN_LENGTH = 4
MAX_RARE_VALUES = 20_000  # per column
MAX_FREQUENT_VALUES = 5_000


def _variants(
    con: Any,
    table: Table,
    rules: Rules,
    prof: dict[str, Any] | None,
    supported: dict[str, set[str]] | None = None,
) -> list[dict[str, Any]]:
    """Rare spellings of a frequent value: 'birxingham' once where 'birmingham' is written 80 times,
    '苏洲市' beside '苏州市'. One or two edits (by length) that do not change a digit into another
    digit (M6 and M8 are different bolts). Checked in the columns of given dependencies (where a
    typo in the determinant escapes majority vote) and, with ``infer``, in every column of
    repeated, non-numeric values."""
    import pandas as pd
    from rapidfuzz.distance import Levenshtein

    columns = {c: "variant" for d in rules.dependencies for c in [*d.determinant, d.dependent]}
    for col in (prof or {}).get("columns", []):
        if col["name"] not in columns and col["type"] not in ("int", "decimal", "date"):
            columns[col["name"]] = "inferred_variant"
    out = []
    for name, rule in columns.items():
        c = _q(name)
        counted = f"value_counts_{table.columns.index(name)}"  # left by the profile
        exists = con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE table_name = ? AND temporary", [counted]
        ).fetchone()[0]
        source = counted if exists else f"(SELECT {c} AS v, count(*) AS k FROM t GROUP BY 1)"
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE vc AS SELECT v, k FROM {source} WHERE v IS NOT NULL AND trim(v) <> ''"
        )
        in_frequent, filled = con.execute(
            f"SELECT coalesce(sum(k) FILTER (WHERE k >= {VARIANT_MIN_COUNT}), 0), coalesce(sum(k), 0) FROM vc"
        ).fetchone()
        if not in_frequent or in_frequent < 0.5 * filled:
            continue  # free text or identifiers: no common spelling to measure against
        frequent = dict(
            con.execute(
                f"SELECT v, k FROM vc WHERE k >= {VARIANT_MIN_COUNT} AND length(v) <= 60 "
                f"ORDER BY k DESC LIMIT {MAX_FREQUENT_VALUES}"
            ).fetchall()
        )
        counts = con.execute(  # a bounded, repeatable share of the rare values when there are very many
            f"SELECT v, k FROM vc WHERE k < {VARIANT_MIN_COUNT} AND length(v) >= {VARIANT_MIN_LENGTH} "
            f"ORDER BY hash(v) LIMIT {MAX_RARE_VALUES}"
        ).fetchall()
        vouched = (supported or {}).get(name, set())  # 'ct_ami-3' prevails in its (state, measure) group
        rare = [
            (v, k)
            for v, k in counts
            if v not in frequent and v not in vouched and len(v) >= VARIANT_MIN_LENGTH
        ][:MAX_RARE_VALUES]
        index = _deletions_index(frequent)
        suspects: dict[str, str] = {}
        for v, k in rare:
            limit = 1 if len(v) < 8 else 2
            near = {f for d in _deletions(v, limit) for f in index.get(d, ())}
            scored = [(Levenshtein.distance(v, f, score_cutoff=limit), -frequent[f], f) for f in near]
            for _, _, f in sorted(x for x in scored if x[0] <= limit):
                if frequent[f] >= VARIANT_RATIO * k and not _digit_edit(v, f):
                    suspects[v] = f
                    break
        if not suspects:
            continue
        con.register("variant_values", pd.DataFrame({"v": list(suspects)}))
        hits = con.execute(
            f"SELECT _row, {c} FROM t WHERE {c} IN (SELECT v FROM variant_values) ORDER BY _row"
        ).fetchall()
        con.unregister("variant_values")
        for r, v in hits:
            out.append(_finding(int(r), name, v, rule, "warning", suspects[v]))
    return out


def _deletions(value: str, depth: int) -> set[str]:
    """The value and every string one or *depth* deletions away (SymSpell): two strings within
    *depth* edits share at least one of them."""
    out = {value}
    frontier = {value}
    for _ in range(depth):
        frontier = {w[:i] + w[i + 1 :] for w in frontier for i in range(len(w))}
        out |= frontier
    return out


def _deletions_index(frequent: dict[str, int]) -> dict[str, list[str]]:
    index: dict[str, list[str]] = {}
    for f in frequent:
        for d in _deletions(f, 1 if len(f) < 6 else 2):  # deep enough for every rare value it may meet
            index.setdefault(d, []).append(f)
    return index


def _digit_edit(a: str, b: str) -> bool:
    """Whether turning *a* into *b* replaces a digit by another digit (a different code, not a typo)."""
    from rapidfuzz.distance import Levenshtein

    return any(
        op.tag == "replace" and a[op.src_pos].isdigit() and b[op.dest_pos].isdigit()
        for op in Levenshtein.editops(a, b)
    )


def _references(con: Any, table: Table, rules: Rules, base: Path | None) -> list[dict[str, Any]]:
    """Values with no matching key in the referenced file (an anti-join in DuckDB)."""
    import pandas as pd

    out = []
    for ref in rules.references:
        keys = sorted(_values_from(f"{ref.file}#{ref.key}", base))
        con.register("ref_keys", pd.DataFrame({"k": keys}))
        c = _q(ref.column)
        rows = con.execute(
            f"SELECT _row, {c} FROM t WHERE {c} IS NOT NULL AND trim({c}) <> '' "
            f"AND trim({c}) NOT IN (SELECT k FROM ref_keys) ORDER BY _row"
        ).fetchall()
        con.unregister("ref_keys")
        for r, v in rows:
            out.append(
                _finding(int(r), ref.column, v, f"reference:{ref.file}#{ref.key}", "error", _closest(v, keys))
            )
    return out


def markdown_report(name: str, findings: list[dict[str, Any]], summary: dict[str, Any]) -> str:
    lines = [
        f"# Check of {name}",
        "",
        f"{summary['rows']:,} rows; {summary['errors']} errors, {summary['warnings']} warnings in "
        f"{summary['rows_with_findings']} rows.",
        "",
        "| rule | findings |",
        "|---|---|",
        *[f"| {k} | {v} |" for k, v in summary["by_rule"].items()],
        "",
        "| row | column | value | rule | severity | suggestion |",
        "|---|---|---|---|---|---|",
    ]
    for f in findings:
        cells = [
            str(f["row"]),
            f["column"],
            str(f["value"]),
            f["rule"],
            f["severity"],
            str(f["suggestion"] or ""),
        ]
        lines.append("| " + " | ".join(c.replace("|", "\\|").replace("\n", " ") for c in cells) + " |")
    return "\n".join(lines) + "\n"
