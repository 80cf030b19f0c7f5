"""Column profiles of a legacy export, computed by DuckDB over the normalised copy (bounded memory)
plus per-value checks on a sample: type, missing share with the tokens used, distinct values, top
values, value shapes, lengths, spacing and width problems, encoding damage, decorated numbers, date
formats, candidate keys and candidate functional dependencies (A -> B holding for most rows)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from assistant.migration.table import Table
from assistant.migration.values import (
    INFER_ORDER,
    MISSING_TOKENS,
    TYPE_CHECKS,
    date_format,
    has_fullwidth_alnum,
    mojibake_fix,
    number_with_decoration,
    spacing_issue,
)

SAMPLE = 5_000  # values per column checked one by one in Python (type shares, width, damage)
TOP = 10
#: a type is inferred when at least this share of the non-missing values satisfies it
TYPE_SHARE = 0.9
#: A -> B is a candidate dependency when at most this share of rows disagrees with A's prevailing B
FD_VIOLATION_SHARE = 0.05


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


FD_SAMPLE = 100_000  # rows the dependency discovery looks at


def connect(table: Table | None = None) -> Any:
    """A DuckDB connection with the table loaded once as ``t`` (``_row``: the 1-based data row;
    spills to the work folder past the memory limit)."""
    import duckdb

    con = duckdb.connect()
    con.execute("SET preserve_insertion_order = true")
    con.execute("SET enable_progress_bar = false")
    if table is not None:
        spill = str(table.csv_path.parent / "duckdb-spill").replace("'", "''")
        con.execute(f"SET temp_directory = '{spill}'")
        con.execute("SET memory_limit = '1GB'")
        con.execute(
            f"CREATE TEMP TABLE t AS SELECT row_number() OVER () AS _row, * FROM {table.duckdb_source()}"
        )
    return con


def profile(table: Table, con: Any = None) -> dict[str, Any]:
    con = con or connect(table)
    missing = ", ".join("'" + m.replace("'", "''") + "'" for m in MISSING_TOKENS)
    columns = []
    for i, name in enumerate(table.columns):
        c = _q(name)
        # one pass over the column: its values and their counts (kept as value_counts_<i> for the
        # checks that follow); the rest is read from that
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE value_counts_{i} AS SELECT {c} AS v, count(*) AS k FROM t GROUP BY 1"
        )
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE pvm AS SELECT v, k, (v IS NULL OR lower(trim(v)) IN ({missing})) AS m "
            f"FROM value_counts_{i}"
        )
        n_missing, distinct, min_len, max_len = con.execute(
            "SELECT coalesce(sum(k) FILTER (WHERE m), 0), count(*) FILTER (WHERE NOT m), "
            "min(length(v)) FILTER (WHERE NOT m), max(length(v)) FILTER (WHERE NOT m) FROM pvm"
        ).fetchone()
        n_missing = int(n_missing)
        tokens = dict(
            con.execute(
                "SELECT coalesce(trim(v), '') AS token, sum(k) FROM pvm WHERE m GROUP BY 1 ORDER BY 2 DESC"
            ).fetchall()
        )
        top = con.execute(f"SELECT v, k FROM pvm WHERE NOT m ORDER BY k DESC, v LIMIT {TOP}").fetchall()
        shapes = con.execute(
            "SELECT regexp_replace(regexp_replace(regexp_replace(v, '[A-Za-z]', 'A', 'g'), '[0-9]', '9', 'g'), "
            f"'[\\x{{4e00}}-\\x{{9fff}}]', '汉', 'g') AS s, sum(k) FROM pvm WHERE NOT m AND length(v) <= 40 "
            f"GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT {TOP}"
        ).fetchall()
        shapes = [(sh, int(n)) for sh, n in shapes]
        tokens = {k: int(v) for k, v in tokens.items()}
        # a seeded reservoir sample: the first rows of a sorted export would speak for one group only
        is_missing = f"({c} IS NULL OR lower(trim({c})) IN ({missing}))"
        picked = f"SELECT {c} AS v FROM t WHERE NOT {is_missing}"
        sample = [
            r[0]
            for r in con.execute(
                f"SELECT v FROM ({picked}) USING SAMPLE {SAMPLE} ROWS (reservoir, 7)"
            ).fetchall()
        ]
        columns.append(
            {
                "name": name,
                "rows": table.rows,
                "missing": n_missing,
                "missing_share": round(n_missing / table.rows, 4),
                "missing_tokens": {("(empty)" if k == "" else k): v for k, v in tokens.items()},
                "distinct": distinct,
                "top_values": [{"value": v, "count": n} for v, n in top],
                "shapes": [{"shape": s, "count": n} for s, n in shapes],
                "length": [min_len, max_len],
                **_value_checks(sample),
            }
        )
    by_name = {c["name"]: c for c in columns}
    keys = [c["name"] for c in columns if c["missing"] == 0 and c["distinct"] == table.rows]
    return {
        "source": table.source,
        "sheet": table.sheet,
        "encoding": table.encoding,
        "rows": table.rows,
        "columns": columns,
        "candidate_keys": keys,
        "dependencies": dependencies(con, table, by_name),
        "structural": table.findings,
    }


def _value_checks(sample: list[str]) -> dict[str, Any]:
    n = len(sample) or 1
    types = {t: sum(1 for v in sample if TYPE_CHECKS[t](v)) for t in INFER_ORDER}
    inferred = next((t for t in INFER_ORDER if types[t] >= TYPE_SHARE * n and sample), "text")
    spacing = Counter(s for s in (spacing_issue(v) for v in sample) if s)
    dates = Counter(f[0] for f in (date_format(v) for v in sample) if f)
    return {
        "type": inferred,
        "type_shares": {t: round(k / n, 3) for t, k in types.items() if k},
        "spacing": dict(spacing),
        "fullwidth_alnum": sum(1 for v in sample if has_fullwidth_alnum(v)),
        "mojibake": sum(1 for v in sample if mojibake_fix(v) is not None),
        "decorated_numbers": sum(1 for v in sample if number_with_decoration(v) is not None),
        "date_formats": dict(dates),
        "sampled": len(sample),
    }


def dependencies(con: Any, table: Table, by_name: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Candidate A -> B: A groups rows (2 .. rows/2 distinct values), B has few values per group;
    at most FD_VIOLATION_SHARE of the rows disagree with their group's prevailing B."""
    grouping = [
        n
        for n, c in by_name.items()
        if 2 <= c["distinct"] <= max(2, table.rows // 2) and c["missing_share"] < 0.5
    ]
    sample = min(table.rows, FD_SAMPLE)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE fd AS SELECT * FROM t USING SAMPLE {sample} ROWS (reservoir, 7)"
    )
    out = []
    for a in grouping:
        for b in grouping:
            if a == b or by_name[b]["distinct"] >= by_name[a]["distinct"] * 2:
                continue
            qa, qb = _q(a), _q(b)
            violations, groups = con.execute(
                f"SELECT coalesce(sum(n - best), 0), count(*) FROM (SELECT {qa}, sum(k) AS n, max(k) AS best FROM "
                f"(SELECT {qa}, {qb}, count(*) AS k FROM fd WHERE {qa} IS NOT NULL AND {qb} IS NOT NULL GROUP BY 1, 2) "
                f"GROUP BY 1)"
            ).fetchone()
            if groups and violations <= FD_VIOLATION_SHARE * sample and groups <= sample // 2:
                out.append(
                    {"determinant": [a], "dependent": b, "violations": int(violations), "groups": int(groups)}
                )
    return sorted(out, key=lambda d: (d["violations"], d["determinant"], d["dependent"]))
