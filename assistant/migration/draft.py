"""A rules file proposed for a consultant to edit: what the export's profile shows (fill rate,
types, shapes, code lists, keys, dependencies) and, when the knowledge base's specification carries
a data dictionary, what it states (required, type, length, allowed values). The specification wins
where both speak; every rule carries a comment saying where it came from."""

from __future__ import annotations

import re
from typing import Any

from assistant.migration.check import CODE_LIST_MAX, REQUIRED_MISSING_SHARE
from assistant.migration.dictionary import FieldSpec
from assistant.migration.values import half_width

#: shapes a drafted pattern may combine, and the share of the filled values they must cover
MAX_SHAPES = 3
PATTERN_COVERAGE = 0.9
#: a column this distinct is proposed as unique (the rest are the duplicates check should show)
UNIQUE_SHARE = 0.98
TYPE_SHARE = 0.9
#: a value this much rarer than the commonest of a short list is left out of the drafted code list
RARE_CODE = 0.1
#: a determinant of a drafted dependency has at most this many distinct values per row
DETERMINANT_SHARE = 0.1
#: the most specific type nearly all values satisfy is proposed (a phone number is also an int)
SPECIFIC = ("uscc", "id_card_cn", "phone_cn", "email", "date", "int", "decimal", "code")


def shape_pattern(shapes: list[str], upper: bool) -> str | None:
    """'A999999' -> '^[A-Z]\\d{6}$'; None for shapes holding Chinese text or spaces (names, not codes)."""
    alternatives = []
    for s in shapes:
        if re.search(r"[汉\s]", s):
            return None
        parts = []
        for run in re.finditer(r"A+|9+|[^A9]+", s):
            text = run.group(0)
            n = len(text)
            if text[0] == "A":
                parts.append(("[A-Z]" if upper else "[A-Za-z]") + (f"{{{n}}}" if n > 1 else ""))
            elif text[0] == "9":
                parts.append(r"\d" + (f"{{{n}}}" if n > 1 else ""))
            else:
                parts.append(re.escape(text))
        alternatives.append("".join(parts))
    if not alternatives:
        return None
    body = alternatives[0] if len(alternatives) == 1 else "(?:" + "|".join(alternatives) + ")"
    return f"^{body}$"


def _key(name: str) -> str:
    return re.sub(r"[\s_\-*]+", "", half_width(name)).casefold()


def match_fields(columns: list[str], fields: list[FieldSpec]) -> dict[str, FieldSpec]:
    """Export column -> the dictionary row that names it (by field name, or by its description)."""
    by_name: dict[str, FieldSpec] = {}
    by_label: dict[str, FieldSpec] = {}
    for f in fields:
        by_name.setdefault(_key(f.name), f)
        if f.description:
            by_label.setdefault(_key(f.description), f)
    out = {}
    for c in columns:
        hit = by_name.get(_key(c)) or by_label.get(_key(c))
        if hit is not None:
            out[c] = hit
    return out


def _profile_rule(col: dict[str, Any], rows: int) -> tuple[dict[str, Any], list[str]]:
    rule: dict[str, Any] = {}
    why: list[str] = []
    filled = col["rows"] - col["missing"]
    if filled == 0:
        return rule, ["empty in this export"]
    if col["missing"] <= REQUIRED_MISSING_SHARE * col["rows"]:
        rule["required"] = True
        why.append(f"{col['missing_share']:.1%} missing")
    shares = col["type_shares"]
    type_ = next((t for t in SPECIFIC if shares.get(t, 0) >= TYPE_SHARE), col["type"])
    numeric = type_ in ("int", "decimal")
    if col["distinct"] >= UNIQUE_SHARE * filled and filled >= 20 and type_ != "text" and not numeric:
        rule["unique"] = True
        why.append("every value distinct")
    shapes = [s for s in col["shapes"] if s["count"] >= 0.05 * filled][:MAX_SHAPES]
    covered = sum(s["count"] for s in shapes)
    values = [t["value"] for t in col["top_values"]]
    pattern = None
    if shapes and not numeric and covered >= PATTERN_COVERAGE * filled and type_ == "code":
        upper = all(v == v.upper() for v in values)
        pattern = shape_pattern([s["shape"] for s in shapes], upper)
    if type_ != "text" and not pattern:
        rule["type"] = type_
        why.append(f"type {type_} for {shares.get(type_, 0):.0%}")
    if pattern:
        rule["pattern"] = pattern
        why.append(f"shape {' / '.join(s['shape'] for s in shapes)} for {covered / filled:.0%}")
    if 2 <= col["distinct"] <= CODE_LIST_MAX and filled >= 20 and not numeric:
        # a code is a value of the list's own order of frequency; rare spellings are what check flags
        top = max(t["count"] for t in col["top_values"])
        common = [t for t in col["top_values"] if t["count"] >= max(2, RARE_CODE * top)]
        rare = [t["value"] for t in col["top_values"] if t not in common]
        share = sum(t["count"] for t in common) / filled
        if share >= 0.9 and len(common) >= 2:
            rule["values"] = [t["value"] for t in common]
            rule.pop("pattern", None)
            rule.pop("type", None)
            why = [w for w in why if not w.startswith(("shape", "type"))]
            why.append(f"{len(common)} codes cover {share:.0%}")
            if rare:
                why.append(f"left out as rare: {', '.join(rare[:8])}")
    return rule, why


def draft_rules(prof: dict[str, Any], fields: list[FieldSpec] | None = None) -> tuple[str, dict[str, Any]]:
    """(YAML text with a comment per rule, the rules as data)."""
    import yaml

    fields = fields or []
    names = [c["name"] for c in prof["columns"]]
    spec = match_fields(names, fields)
    columns: dict[str, dict[str, Any]] = {}
    lines = [
        f"# Rules drafted from {prof['source']} ({prof['rows']:,} rows)"
        + (f" and the data dictionary of the specification ({len(fields)} fields)" if fields else "")
        + ".",
        "# Edit before use: profile rules are guesses from the data; specification rules quote the spec.",
        "columns:",
    ]
    for col in prof["columns"]:
        rule, why = _profile_rule(col, prof["rows"])
        f = spec.get(col["name"])
        if f is not None:
            stated = f.as_rule()
            if f.required is False:
                rule.pop("required", None)
            if stated.get("values"):
                rule.pop("pattern", None)
            if stated.get("type") and rule.get("type") and stated["type"] != rule["type"]:
                rule.pop("pattern", None)
            rule.update(stated)
            if rule.get("values") and rule.get("type") == "code":
                del rule["type"]  # the code list says more
            why.insert(0, f"spec: {f.table or f.source} ({f.source})")
        if not rule:
            lines.append(f"  # {_yaml_key(col['name'])}: no rule proposed ({'; '.join(why) or 'free text'})")
            continue
        columns[col["name"]] = rule
        flow = yaml.safe_dump(
            rule, default_flow_style=True, allow_unicode=True, width=10_000, sort_keys=False
        ).strip()
        lines.append(f"  {_yaml_key(col['name'])}: {flow}  # {'; '.join(why)}")
    missing = [f for f in fields if f.required and _key(f.name) not in {_key(n) for n in spec}]
    missing = [f for f in missing if not any(spec[n] is f for n in spec)]
    for f in missing:
        lines.append(
            f"  # the specification requires {f.name!r} ({f.table}), which this export does not have"
        )
    deps = []
    by_name = {c["name"]: c for c in prof["columns"]}
    if any(_groups_rows(by_name[d["determinant"][0]], prof["rows"]) for d in prof["dependencies"]):
        lines.append("dependencies:")
        for d in [
            d for d in prof["dependencies"] if _groups_rows(by_name[d["determinant"][0]], prof["rows"])
        ]:
            dep = {"determinant": d["determinant"], "dependent": d["dependent"]}
            deps.append(dep)
            flow = yaml.safe_dump(
                dep, default_flow_style=True, allow_unicode=True, width=10_000, sort_keys=False
            ).strip()
            lines.append(f"  - {flow}  # {d['violations']} sampled rows disagree")
    return "\n".join(lines) + "\n", {"columns": columns, "dependencies": deps}


def _groups_rows(col: dict[str, Any], rows: int) -> bool:
    """A column that can determine another: a category, not a date, amount or near-unique value."""
    return col["type"] not in ("date", "decimal") and col["distinct"] <= max(2, DETERMINANT_SHARE * rows)


def _yaml_key(name: str) -> str:
    import yaml

    return yaml.safe_dump(name, allow_unicode=True).strip().removesuffix("...").strip()
