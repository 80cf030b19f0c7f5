"""Duplicate records without a shared id: probabilistic record linkage (Splink, Fellegi-Sunter,
DuckDB backend; its Spark backend is the documented path past one machine) on normalised fields.

Normalisation before comparison: Chinese company names lose their legal form and branch marks
(有限公司, 有限责任公司, 股份有限公司, 集团, 分公司, a bracketed city such as （苏州）), full-width forms
fold to ASCII, spaces and punctuation go; phones keep their digits (without +86); dates become ISO;
identifiers are upper-cased. The u probabilities (how often two different records agree by chance)
are estimated from the data by random sampling; the m probabilities (how often two records of one
entity agree) are priors that hold for master data; no labels are needed. Blocking rules are
picked by the number of candidate pairs they generate, so a column with few values (a state) never
compares every pair.
"""

from __future__ import annotations

import csv
import logging
import os
import re
import tempfile
from pathlib import Path
from typing import Any

from assistant.errors import InvalidInput
from assistant.migration.profile import connect
from assistant.migration.table import Table, output_folder
from assistant.migration.values import date_format, half_width, is_missing, simplified

log = logging.getLogger(__name__)

_LEGAL = re.compile(
    r"股份有限公司|有限责任公司|有限公司|集团公司|集团|分公司|总公司|公司|股份|"
    r"\b(?:co\.?,?\s*ltd\.?|ltd\.?|limited|inc\.?|corp\.?|corporation|gmbh|llc)\b",
    re.I,
)
_BRACKETS = re.compile(r"[（(][^（）()]{1,12}[）)]")
_PUNCT = re.compile(r"[\s\W_]+")


#: place names that companies put before, after or in brackets around their trade name
_PLACES = re.compile(
    r"^(?:(?:中国|北京|上海|天津|重庆|深圳|广州|苏州|无锡|常州|南京|杭州|宁波|温州|合肥|青岛|济南|厦门|福州|东莞|佛山|成都|"
    r"武汉|西安|长沙|郑州|沈阳|大连|昆明|南昌|石家庄|太原|哈尔滨|长春|南宁|贵阳|兰州|珠海|中山|泉州|嘉兴|绍兴|昆山|"
    r"江苏|浙江|广东|山东|福建|安徽|河南|河北|湖北|湖南|四川|辽宁|陕西)(?:省|市)?)+"
)


def normalise_name(value: str) -> str:
    """A company or person name without legal form, branch marks, place prefix, brackets, width
    forms, spaces or punctuation: '（苏州）精密机械 有限责任公司', '苏州精密机械有限公司' and '蘇州精密機械有限公司' all
    become '精密机械'."""
    v = simplified(half_width(value or "").strip().lower())
    v = _BRACKETS.sub("", v)
    v = _LEGAL.sub("", v)
    v = _PUNCT.sub("", v)
    return _PLACES.sub("", v) or v


def normalise_phone(value: str) -> str:
    digits = re.sub(r"\D", "", half_width(value or ""))
    return digits[2:] if digits.startswith("86") and len(digits) == 13 else digits


def normalise_date(value: str) -> str:
    parsed = date_format(half_width(value or ""))
    return parsed[1].isoformat() if parsed else (value or "").strip()


def normalise_plain(value: str) -> str:
    return _PUNCT.sub("", half_width(value or "").strip().upper())


def kind_of_field(name: str, values: list[str]) -> str:
    """name, phone, date or id, from the column name and its values."""
    sample = [v for v in values[:500] if v]
    low = name.lower()

    def share(test: Any) -> bool:
        return bool(sample) and sum(1 for v in sample if test(v)) > 0.8 * len(sample)

    if re.search(r"phone|tel|mobile|电话|手机|联系方式", low):
        return "phone"
    if re.search(r"date|birth|founded|since|日期|生日|出生|成立", low) or share(
        lambda v: date_format(v) is not None
    ):
        return "date"
    if re.search(r"name|名称|名字|姓名|公司|客户|供应商|company|supplier|customer|address|地址", low):
        return "name"
    if share(lambda v: re.fullmatch(r"[\d\s+()-]{7,16}", v)):
        return "phone"
    if share(lambda v: re.fullmatch(r"[A-Za-z0-9-]{5,30}", v.strip())):
        return "id"
    return "name"


#: below this many records the m and u probabilities are not estimated from the table (too few pairs
#: to learn from) and the priors decide
MIN_TRAINING_ROWS = 200

NORMALISERS = {
    "name": normalise_name,
    "phone": normalise_phone,
    "date": normalise_date,
    "id": normalise_plain,
}


def dedupe(
    table: Table, fields: list[str], id_col: str | None = None, threshold: float = 0.9
) -> dict[str, Any]:
    """Duplicate clusters: each with its 1-based rows, the ids (from ``id_col``), the lowest match
    probability of the pairs that joined it, and the fields that agree after normalisation.

    Raises:
        InvalidInput: an unknown column, no fields, or a threshold outside (0, 1).
    """
    if not fields:
        raise InvalidInput("name the fields to compare: --fields name,phone,...")
    for f in [*fields, *([id_col] if id_col else [])]:
        if f not in table.columns:
            raise InvalidInput(f"column {f!r} is not in the file; it has: {', '.join(table.columns)[:300]}")
    if not 0 < threshold < 1:
        raise InvalidInput("--threshold must be between 0 and 1")
    import pandas as pd
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    con = connect(table)
    cols = ", ".join(
        '"' + f.replace('"', '""') + '"' for f in dict.fromkeys([*fields, *([id_col] if id_col else [])])
    )
    raw = con.execute(f"SELECT _row, {cols} FROM t ORDER BY _row").df()
    frame = pd.DataFrame({"unique_id": raw["_row"].astype(int)})
    kinds: dict[str, str] = {}
    norm: list[str] = []
    for i, f in enumerate(fields):
        values = raw[f].fillna("").astype(str).tolist()
        kinds[f] = kind_of_field(f, values)
        col = f"f{i}"
        frame[col] = [NORMALISERS[kinds[f]](v) or None for v in values]
        norm.append(col)
    # priors (exact, close, closer-ish, else) that hold for master data; a table large enough to
    # learn from replaces them with its own estimates
    comparisons: list[Any] = [
        cl.JaroWinklerAtThresholds(col, [0.95, 0.88]).configure(
            m_probabilities=[0.85, 0.08, 0.04, 0.03], u_probabilities=[0.001, 0.002, 0.01, 0.987]
        )
        if kinds[f] == "name"
        else cl.LevenshteinAtThresholds(col, [1]).configure(
            m_probabilities=[0.88, 0.07, 0.05], u_probabilities=[0.001, 0.005, 0.994]
        )
        for f, col in zip(fields, norm, strict=True)
    ]
    rules = blocking_rules(frame, norm, [c for f, c in zip(fields, norm, strict=True) if kinds[f] == "name"])
    blocks: list[Any] = [block_on(*r) for r in rules]
    db = DuckDBAPI()
    exact_pairs = int(frame.duplicated(subset=norm, keep=False).sum())
    linker = Linker(
        db.register(frame),
        SettingsCreator(
            link_type="dedupe_only",
            # the prior: about one duplicate per record at most, until the data says otherwise
            probability_two_random_records_match=min(0.5, 1.0 / max(2, len(frame))),
            comparisons=comparisons,
            blocking_rules_to_generate_predictions=blocks,
            retain_intermediate_calculation_columns=False,
        ),
    )
    logging.getLogger("splink").setLevel(logging.ERROR)  # its training diary is not for consultants
    if len(frame) < MIN_TRAINING_ROWS:
        return _clusters(linker, frame, raw, fields, norm, id_col, threshold, table, kinds)
    if exact_pairs >= 10 and len(norm) <= 3:  # enough exact agreements on a few fields to estimate it from
        try:
            linker.training.estimate_probability_two_random_records_match([block_on(*norm)], recall=0.7)
        except Exception as e:  # noqa: BLE001 - keep the default prior
            log.info("prior not estimated: %s", e)
    linker.training.estimate_u_using_random_sampling(max_pairs=min(1_000_000, max(10_000, len(frame) * 50)))
    # m stays at the priors: expectation maximisation inside one block drives the m of the columns
    # the block makes agree to zero, and the next session then fails (measured on person records:
    # pairwise F1 0.001 with EM, 0.998 without; suppliers 1.0 and 0.998)
    return _clusters(linker, frame, raw, fields, norm, id_col, threshold, table, kinds)


#: candidate pairs a blocking rule may generate, per record (a rule on a column with few values,
#: such as a state, would compare nearly every pair)
PAIRS_PER_RECORD = 20
MAX_RULES = 6


def _pair_count(frame: Any, columns: list[str]) -> int:
    sizes = frame.dropna(subset=columns).groupby(columns, sort=False).size()
    return int((sizes * (sizes - 1) // 2).sum())


def blocking_rules(frame: Any, norm: list[str], names: list[str]) -> list[list[str]]:
    """Blocking rules (column lists whose equal values make a candidate pair) that stay within
    PAIRS_PER_RECORD pairs per record: single columns that are selective enough, the first four
    characters of names, then pairs of columns."""
    import itertools

    budget = max(20_000, PAIRS_PER_RECORD * len(frame))
    work = frame.copy()
    for col in names:
        work[f"{col}_p4"] = work[col].str.slice(0, 4)
    candidates: list[list[str]] = [[c] for c in norm] + [[f"{c}_p4"] for c in names]
    counted = [(c, _pair_count(work, c)) for c in candidates]
    chosen = [c for c, n in sorted(counted, key=lambda x: -x[1]) if 0 < n <= budget]
    if len(chosen) < MAX_RULES:  # columns too common alone block well together
        loose = [c[0] for c, n in counted if n > budget]
        pairs = [[a, b] for a, b in itertools.combinations(loose, 2)]
        scored = [(p, _pair_count(work, p)) for p in pairs]
        chosen += [p for p, n in sorted(scored, key=lambda x: -x[1]) if 0 < n <= budget][
            : MAX_RULES - len(chosen)
        ]
    if not chosen:  # nothing selective: every pair of a small table, or the first column
        chosen = [[norm[0]]]
    rules = [
        [f"substr({c[: -len('_p4')]}, 1, 4)" if c.endswith("_p4") else c for c in rule] for rule in chosen
    ]
    return rules[:MAX_RULES]


def _clusters(
    linker: Any,
    frame: Any,
    raw: Any,
    fields: list[str],
    norm: list[str],
    id_col: str | None,
    threshold: float,
    table: Table,
    kinds: dict[str, str],
) -> dict[str, Any]:
    pairs = linker.inference.predict(threshold_match_probability=threshold)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        pairs, threshold
    ).as_pandas_dataframe()
    pair_df = pairs.as_pandas_dataframe()
    by_cluster: dict[Any, list[int]] = {}
    for cid, uid in zip(clusters["cluster_id"], clusters["unique_id"], strict=True):
        by_cluster.setdefault(cid, []).append(int(uid))
    lowest: dict[int, float] = {}
    for left, right, p in zip(
        pair_df["unique_id_l"], pair_df["unique_id_r"], pair_df["match_probability"], strict=True
    ):
        for u in (int(left), int(right)):
            lowest[u] = min(lowest.get(u, 1.0), float(p))
    ids = raw[id_col].fillna("").astype(str).tolist() if id_col else None
    normalised = {
        int(u): row for u, row in zip(frame["unique_id"], frame[norm].itertuples(index=False), strict=True)
    }
    out: list[dict[str, Any]] = []
    for rows in sorted((sorted(r) for r in by_cluster.values() if len(r) > 1), key=lambda r: r[0]):
        agree = [
            f
            for j, f in enumerate(fields)
            if len({normalised[r][j] for r in rows}) == 1 and normalised[rows[0]][j]
        ]
        out.append(
            {
                "cluster": len(out) + 1,
                "rows": rows,
                "ids": [ids[r - 1] for r in rows] if ids else [],
                "probability": round(min(lowest.get(r, 1.0) for r in rows), 4),
                "agree": agree,
            }
        )
    return {"rows": table.rows, "fields": kinds, "threshold": threshold, "clusters": out}


SURVIVORSHIP = ("most_complete", "most_recent")


def merge(
    table: Table,
    clusters: list[dict[str, Any]],
    out_dir: Path,
    id_col: str | None = None,
    rule: str = "most_complete",
    recent_col: str | None = None,
) -> dict[str, Any]:
    """One golden record per cluster and a mapping old id -> survivor, written to ``golden.csv`` and
    ``id_mapping.csv`` in *out_dir* (both or neither).

    The survivor is the member that wins by *rule* ('most_complete': most filled fields, then most
    recent; 'most_recent': latest *recent_col*, then most complete; ties go to the first row). Its
    empty fields are filled from the other members in the same order, so no value is lost. Rows in
    no cluster are copied as they are.

    Raises:
        InvalidInput: an unknown rule or column, or 'most_recent' without a date column.
    """
    if rule not in SURVIVORSHIP:
        raise InvalidInput(f"--survivor must be one of: {', '.join(SURVIVORSHIP)}")
    for c in [x for x in (id_col, recent_col) if x]:
        if c not in table.columns:
            raise InvalidInput(f"column {c!r} is not in the file; it has: {', '.join(table.columns)[:300]}")
    if rule == "most_recent" and not recent_col:
        raise InvalidInput("--survivor most_recent needs --recent-col (a date column)")
    member_of = {r: k for k, c in enumerate(clusters) for r in c["rows"]}
    members: dict[int, dict[int, list[str]]] = {k: {} for k in range(len(clusters))}
    with table.csv_path.open(encoding="utf-8", newline="") as f:
        reader = csv.reader(f)
        next(reader)
        for n, row in enumerate(reader, 1):
            if n in member_of:
                members[member_of[n]][n] = row
    recent = table.columns.index(recent_col) if recent_col else None
    id_at = table.columns.index(id_col) if id_col else None

    def filled(row: list[str]) -> int:
        return sum(1 for v in row if not is_missing(v))

    def when(row: list[str]) -> str:
        if recent is None:
            return ""
        parsed = date_format(half_width(row[recent]))
        return parsed[1].isoformat() if parsed else ""

    def order(item: tuple[int, list[str]]) -> tuple[Any, ...]:
        n, row = item
        if rule == "most_recent":
            return (when(row), filled(row), -n)
        return (filled(row), when(row), -n)

    golden: dict[int, tuple[int, list[str]]] = {}
    for k, rows in members.items():
        ranked = sorted(rows.items(), key=order, reverse=True)
        survivor_row, record = ranked[0][0], list(ranked[0][1])
        for i, v in enumerate(record):
            if is_missing(v):
                record[i] = next((r[i] for _, r in ranked[1:] if not is_missing(r[i])), v)
        golden[k] = (survivor_row, record)
    output_folder(out_dir)
    tmp_golden = Path(tempfile.mkstemp(prefix=".golden-", dir=out_dir)[1])
    tmp_map = Path(tempfile.mkstemp(prefix=".mapping-", dir=out_dir)[1])
    rows_out = 0
    try:
        with (
            table.csv_path.open(encoding="utf-8", newline="") as src,
            tmp_golden.open("w", encoding="utf-8", newline="") as gf,
            tmp_map.open("w", encoding="utf-8", newline="") as mf,
        ):
            reader = csv.reader(src)
            header = next(reader)
            gw, mw = csv.writer(gf), csv.writer(mf)
            gw.writerow(["source_row", *header])
            mw.writerow(["cluster", "source_row", "id", "survivor_row", "survivor_id"])
            for n, row in enumerate(reader, 1):
                at = member_of.get(n)
                if at is None:
                    gw.writerow([n, *row])
                    rows_out += 1
                    continue
                survivor_row, record = golden[at]
                ident = row[id_at] if id_at is not None else str(n)
                mw.writerow(
                    [at + 1, n, ident, survivor_row, record[id_at] if id_at is not None else survivor_row]
                )
                if n == min(clusters[at]["rows"]):
                    gw.writerow([survivor_row, *record])
                    rows_out += 1
        os.replace(tmp_golden, out_dir / "golden.csv")
        os.replace(tmp_map, out_dir / "id_mapping.csv")
    finally:
        tmp_golden.unlink(missing_ok=True)
        tmp_map.unlink(missing_ok=True)
    return {
        "rows_in": table.rows,
        "rows_out": rows_out,
        "merged": sum(len(c["rows"]) for c in clusters) - len(clusters),
        "golden_file": str(out_dir / "golden.csv"),
        "mapping_file": str(out_dir / "id_mapping.csv"),
        "survivor": rule,
    }
