"""Reconciliation of a test load: the legacy export (source) against what the new system holds
(target) by a key: counts, keys missing or extra on either side, repeated keys, field-level
differences after normalisation (spaces, width forms, numbers written differently), and sums per
column. Each run is recorded as a round, so the report shows the errors falling round by round."""

from __future__ import annotations

import uuid
from typing import Any

from assistant.errors import InvalidInput
from assistant.knowledge.store import now_iso
from assistant.migration.profile import _q, connect
from assistant.migration.table import Table
from assistant.providers.database import AppDB, register_schema

register_schema(
    """
CREATE TABLE IF NOT EXISTS migration_rounds (
    id TEXT PRIMARY KEY,
    pair TEXT NOT NULL,          -- the source file name and the key: one migration object
    round TEXT NOT NULL,
    at TEXT NOT NULL,
    source_rows INTEGER NOT NULL,
    target_rows INTEGER NOT NULL,
    missing INTEGER NOT NULL,
    extra INTEGER NOT NULL,
    differences INTEGER NOT NULL
);
"""
)

SAMPLE = 50  # keys and differences listed per kind
# a value as compared: trimmed, full-width folded, a number without separators or trailing zeros
_NORM = (
    "CASE WHEN regexp_full_match(replace(trim(nfc_normalize({c})), ',', ''), '-?[0-9]+(\\.[0-9]+)?') "
    "THEN CAST(CAST(replace(trim({c}), ',', '') AS DOUBLE) AS VARCHAR) ELSE coalesce(trim({c}), '') END"
)


def reconcile(
    db: AppDB, source: Table, target: Table, keys: list[str], sums: list[str], round_name: str | None = None
) -> dict[str, Any]:
    """Compare *target* with *source* by *keys*; record the run as a round and return the report.

    Raises:
        InvalidInput: a key or sum column missing on either side.
    """
    if not keys:
        raise InvalidInput("name the key column(s): --key CODE")
    for col in [*keys, *sums]:
        for side, table in (("source", source), ("target", target)):
            if col not in table.columns:
                raise InvalidInput(
                    f"column {col!r} is not in the {side} file {table.source}; it has: {', '.join(table.columns)[:300]}"
                )
    con = connect(source)
    con.execute("ALTER TABLE t RENAME TO s")
    con.execute(
        f"CREATE TEMP TABLE g AS SELECT row_number() OVER () AS _row, * FROM {target.duckdb_source()}"
    )
    on = " AND ".join(f"s.{_q(k)} IS NOT DISTINCT FROM g.{_q(k)}" for k in keys)
    key_expr = lambda side: " || ' | ' || ".join(f"coalesce({side}.{_q(k)}, '')" for k in keys)  # noqa: E731
    missing = [
        r[0]
        for r in con.execute(
            f"SELECT {key_expr('s')} FROM s WHERE NOT EXISTS (SELECT 1 FROM g WHERE {on}) ORDER BY s._row"
        ).fetchall()
    ]
    extra = [
        r[0]
        for r in con.execute(
            f"SELECT {key_expr('g')} FROM g WHERE NOT EXISTS (SELECT 1 FROM s WHERE {on}) ORDER BY g._row"
        ).fetchall()
    ]
    repeated = {
        side: [
            r[0]
            for r in con.execute(
                f"SELECT k FROM (SELECT {key_expr(side)} AS k, count(*) AS n FROM {side} GROUP BY 1) WHERE n > 1 ORDER BY k"
            ).fetchall()
        ]
        for side in ("s", "g")
    }
    common = [c for c in source.columns if c in target.columns and c not in keys]
    differences: dict[str, dict[str, Any]] = {}
    for c in common:
        qs, qg = _NORM.format(c=f"s.{_q(c)}"), _NORM.format(c=f"g.{_q(c)}")
        rows = con.execute(
            f"SELECT {key_expr('s')}, s.{_q(c)}, g.{_q(c)} FROM s JOIN g ON {on} WHERE ({qs}) <> ({qg}) ORDER BY s._row"
        ).fetchall()
        if rows:
            differences[c] = {
                "count": len(rows),
                "sample": [{"key": k, "source": a, "target": b} for k, a, b in rows[:SAMPLE]],
            }
    totals: dict[str, dict[str, Any]] = {}
    for c in sums:
        number = f"TRY_CAST(replace(replace(trim({{side}}.{_q(c)}), ',', ''), '¥', '') AS DOUBLE)"
        s_sum, s_bad = con.execute(
            f"SELECT sum({number.format(side='s')}), count(*) FILTER (WHERE {number.format(side='s')} IS NULL AND s.{_q(c)} IS NOT NULL) FROM s"
        ).fetchone()
        g_sum, g_bad = con.execute(
            f"SELECT sum({number.format(side='g')}), count(*) FILTER (WHERE {number.format(side='g')} IS NULL AND g.{_q(c)} IS NOT NULL) FROM g"
        ).fetchone()
        totals[c] = {
            "source": round(s_sum or 0.0, 6),
            "target": round(g_sum or 0.0, 6),
            "difference": round((g_sum or 0.0) - (s_sum or 0.0), 6),
            "not_numbers": {"source": int(s_bad), "target": int(g_bad)},
        }
    diff_count = sum(d["count"] for d in differences.values())
    # the rounds of one migration object: its source file and key (the target export is renamed
    # from round to round)
    pair = f"{source.source} by {'+'.join(keys)}"
    with db.transaction() as tx:
        previous = tx.execute("SELECT count(*) FROM migration_rounds WHERE pair = ?", (pair,)).fetchone()[0]
        name = round_name or f"round {previous + 1}"
        tx.execute(
            "INSERT INTO migration_rounds VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                uuid.uuid4().hex[:12],
                pair,
                name,
                now_iso(),
                source.rows,
                target.rows,
                len(missing),
                len(extra),
                diff_count,
            ),
        )
    rounds = [
        dict(r)
        for r in db.conn.execute(
            "SELECT round, at, source_rows, target_rows, missing, extra, differences FROM migration_rounds "
            "WHERE pair = ? ORDER BY at, rowid",
            (pair,),
        ).fetchall()
    ]
    return {
        "pair": pair,
        "target": target.source,
        "round": name,
        "keys": keys,
        "counts": {"source": source.rows, "target": target.rows},
        "missing_in_target": {"count": len(missing), "sample": missing[:SAMPLE]},
        "extra_in_target": {"count": len(extra), "sample": extra[:SAMPLE]},
        "repeated_keys": {"source": repeated["s"][:SAMPLE], "target": repeated["g"][:SAMPLE]},
        "differences": differences,
        "sums": totals,
        "rounds": rounds,
        "reconciled": not missing
        and not extra
        and not diff_count
        and all(abs(t["difference"]) < 1e-6 for t in totals.values()),
    }


def rounds(db: AppDB, pair: str | None = None) -> list[dict[str, Any]]:
    """The recorded rounds, of one migration object or of all, oldest first."""
    where, args = ("WHERE pair = ?", (pair,)) if pair else ("", ())
    return [
        dict(r)
        for r in db.conn.execute(
            "SELECT pair, round, at, source_rows, target_rows, missing, extra, differences FROM migration_rounds "
            f"{where} ORDER BY at, rowid",
            args,
        ).fetchall()
    ]
