"""Data-migration benchmark on generated masters: clean Chinese supplier, customer and material
tables, a dirty copy with known damage, and the cell-level precision, recall and F1 of
``migrate check`` (with the rules a consultant would write, and with ``--infer`` alone), beside a
majority-shape baseline (flag every cell whose shape differs from its column's most common shape).

The generator injects, each into about 1% of the cells of the columns it suits: typos in codes,
format drift (other date formats, full-width digits, thousands separators, stray spaces), missing
values written as 无/N/A/-, code-list violations, dependency violations (a group's class changed
in one row) and encoding damage (UTF-8 read as GBK). The clean table is kept, so the truth is the
set of cells that differ.
"""

from __future__ import annotations

import csv
import random
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Collection
from pathlib import Path
from typing import Any

from assistant.services import Services

KINDS = ("typo", "format_drift", "missing", "code_list", "dependency", "encoding")
CITIES = ["苏州", "无锡", "常州", "南京", "杭州", "宁波", "上海", "合肥", "青岛", "东莞"]
TRADES = [
    "精密机械",
    "电子科技",
    "包装材料",
    "化工",
    "物流",
    "五金制品",
    "塑胶",
    "纺织",
    "汽车零部件",
    "新材料",
]
UOMS = ["PCS", "KG", "M", "SET", "BOX"]
GROUPS = {"RAW": "3000", "SEMI": "7900", "FIN": "7920", "PACK": "3050", "SPARE": "3040"}


def _uscc(rng: random.Random) -> str:
    chars = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    weights = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
    body = (
        "91"
        + f"{rng.randrange(110000, 659999)}"
        + "".join(rng.choice("0123456789ABCDEFGH") for _ in range(9))
    )
    total = sum(chars.index(c) * w for c, w in zip(body, weights, strict=True))
    return body + chars[(31 - total % 31) % 31]


def clean_tables(rng: random.Random, rows: int) -> dict[str, tuple[list[str], list[list[str]]]]:
    suppliers = [
        [
            f"S{i:06d}",
            f"{rng.choice(CITIES)}{rng.choice(TRADES)}有限公司",
            _uscc(rng),
            f"1{rng.choice('3589')}{rng.randrange(10**8, 10**9)}",
            f"20{rng.randrange(15, 25)}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}",
        ]
        for i in range(1, rows + 1)
    ]
    materials = []
    for i in range(1, rows + 1):
        group = rng.choice(list(GROUPS))
        materials.append(
            [
                f"M{i:07d}",
                f"{rng.choice(TRADES)}件{i}",
                rng.choice(UOMS),
                group,
                GROUPS[group],
                f"{rng.randrange(1, 5000)}.{rng.randrange(100):02d}",
            ]
        )
    customers = [
        [
            f"C{i:05d}",
            f"{rng.choice(CITIES)}{rng.choice(TRADES)}股份有限公司",
            rng.choice(["A", "B", "C"]),
            f"{rng.randrange(1, 90)}",
            f"20{rng.randrange(10, 25)}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}",
        ]
        for i in range(1, rows + 1)
    ]
    return {
        "suppliers": (["supplier_code", "name", "tax_id", "phone", "since"], suppliers),
        "materials": (
            ["material_code", "description", "uom", "material_group", "valuation_class", "std_price"],
            materials,
        ),
        "customers": (["customer_code", "name", "rating", "payment_days", "since"], customers),
    }


#: per table: the rules a consultant would write, and which damage suits which column
RULES = {
    "suppliers": "columns:\n  supplier_code: {required: true, unique: true, pattern: '^S\\d{6}$'}\n"
    "  tax_id: {type: uscc}\n  phone: {type: phone_cn}\n  since: {type: date}\n",
    "materials": "columns:\n  material_code: {required: true, unique: true, pattern: '^M\\d{7}$'}\n"
    "  uom: {values: [PCS, KG, M, SET, BOX]}\n  std_price: {type: decimal, min: 0}\n"
    "dependencies:\n  - {determinant: [material_group], dependent: valuation_class}\n",
    "customers": "columns:\n  customer_code: {required: true, unique: true, pattern: '^C\\d{5}$'}\n"
    "  rating: {values: [A, B, C]}\n  payment_days: {type: int, min: 0, max: 180}\n  since: {type: date}\n",
}
SUITS = {
    "typo": {"supplier_code", "material_code", "customer_code", "tax_id"},
    "format_drift": {"since", "phone", "std_price", "payment_days", "material_code", "supplier_code"},
    "missing": {"tax_id", "phone", "uom", "rating", "since", "std_price"},
    "code_list": {"uom", "rating"},
    "dependency": {"valuation_class"},
    "encoding": {"name", "description"},
}


def damage(value: str, kind: str, rng: random.Random) -> str:
    if kind == "typo":
        i = rng.randrange(1, len(value))
        return (
            value[:i] + rng.choice("OIl") + value[i + 1 :]
            if rng.random() < 0.5
            else value[:i] + value[i + 1 :]
        )
    if kind == "format_drift":
        if value[:4].isdigit() and value[4:5] == "-":
            y, m, d = value.split("-")
            return rng.choice([f"{y}/{int(m)}/{int(d)}", f"{y}年{int(m)}月{int(d)}日", f"{d}.{m}.{y}"])
        if "." in value and value.replace(".", "").isdigit():
            return f"{float(value):,.2f}" if float(value) >= 1000 else f"¥{value}"
        if value.isdigit():
            return "".join(chr(ord(c) + 0xFEE0) for c in value)  # full-width digits
        return rng.choice(
            [f" {value}", f"{value} ", "".join(chr(ord(c) + 0xFEE0) if c.isalnum() else c for c in value)]
        )
    if kind == "missing":
        return rng.choice(["", "无", "N/A", "-", "NULL"])
    if kind == "code_list":
        return rng.choice(["PCE", "KGS", "pcs", "D", "Ｂ", "AA"])
    if kind == "dependency":
        return rng.choice([v for v in GROUPS.values() if v != value])
    if kind == "encoding":
        return value.encode("utf-8").decode("gbk", errors="replace")
    raise ValueError(kind)


def dirty_copy(
    header: list[str], rows: list[list[str]], rng: random.Random, share: float
) -> tuple[list[list[str]], dict[tuple[int, str], str]]:
    dirty = [list(r) for r in rows]
    truth: dict[tuple[int, str], str] = {}
    for kind in KINDS:
        columns = [c for c in header if c in SUITS[kind]]
        for c in columns:
            j = header.index(c)
            for i in rng.sample(range(len(rows)), max(1, int(share * len(rows)))):
                if (i + 1, c) in truth:
                    continue
                new = damage(dirty[i][j], kind, rng)
                if new != rows[i][j]:
                    dirty[i][j] = new
                    truth[(i + 1, c)] = kind
    return dirty, truth


def majority_shape_baseline(header: list[str], rows: list[list[str]]) -> set[tuple[int, str]]:
    from assistant.services import value_shape as shape

    flagged = set()
    for j, c in enumerate(header):
        top = Counter(shape(r[j]) for r in rows).most_common(1)[0][0]
        flagged |= {(i + 1, c) for i, r in enumerate(rows) if shape(r[j]) != top}
    return flagged


def _prf(flagged: set[Any], truth: Collection[Any]) -> dict[str, float]:
    """Precision, recall and F1 of flagged cells (or pairs) against the true ones."""
    tp = len(flagged & set(truth))
    p = tp / len(flagged) if flagged else 0.0
    r = tp / len(truth) if truth else 0.0
    return {
        "precision": round(p, 3),
        "recall": round(r, 3),
        "f1": round(2 * p * r / (p + r), 3) if p + r else 0.0,
    }


def duplicate_table(
    rng: random.Random, rows: int, share: float = 0.1
) -> tuple[list[list[str]], set[tuple[int, int]]]:
    """A supplier list where ``share`` of the records come back as a variant: another legal form,
    a bracketed city, full-width or spaced text, a typo, the phone with +86 or dashes, the date in
    another format. Returns the rows (with header) and the true duplicate pairs (1-based rows)."""
    header = ["编号", "供应商名称", "电话", "成立日期"]
    base = []
    for i in range(rows):
        name = f"{rng.choice(CITIES)}{rng.choice(TRADES)}{rng.choice('甲乙丙丁戊己庚辛壬癸')}{rng.choice('东南西北中')}有限公司"
        base.append(
            [
                f"V{i:06d}",
                name,
                f"1{rng.choice('3589')}{rng.randrange(10**8, 10**9)}",
                f"20{rng.randrange(0, 25):02d}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}",
            ]
        )
    out = [header, *base]
    truth: set[tuple[int, int]] = set()
    for j in rng.sample(range(rows), int(share * rows)):
        b = base[j]
        name = rng.choice(
            [
                b[1].replace("有限公司", "有限责任公司"),
                f"（{b[1][:2]}）{b[1]}",
                b[1].replace("有限公司", " 有限公司"),
                b[1].replace("有限公司", "股份有限公司"),
                b[1][:3] + b[1][4:],  # a dropped character
            ]
        )
        phone = rng.choice([b[2], f"+86 {b[2]}", f"{b[2][:3]}-{b[2][3:7]}-{b[2][7:]}"])
        y, m, d = b[3].split("-")
        founded = rng.choice([b[3], f"{y}/{int(m)}/{int(d)}", f"{y}年{int(m)}月{int(d)}日"])
        out.append([f"V{rows + len(truth):06d}", name, phone, founded])
        truth.add((j + 1, len(out) - 1))
    return out, truth


def _pairs(clusters: list[list[int]]) -> set[tuple[int, int]]:
    return {(a, b) for rows in clusters for i, a in enumerate(sorted(rows)) for b in sorted(rows)[i + 1 :]}


def run_dedupe_eval(services: Services, rows: int, seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    table, truth = duplicate_table(rng, rows)
    with tempfile.TemporaryDirectory(prefix="dedupe-eval-") as tmp:
        path = Path(tmp) / "vendors.csv"
        with path.open("w", encoding="gb18030", newline="") as f:
            csv.writer(f).writerows(table)
        t0 = time.perf_counter()
        result = services.migration.dedupe(path, ["供应商名称", "电话", "成立日期"], "编号")
        seconds = time.perf_counter() - t0
    found = _pairs([c["rows"] for c in result["clusters"]])
    by_key: dict[tuple[str, ...], list[int]] = {}
    for n, r in enumerate(table[1:], 1):
        by_key.setdefault((r[1], r[2], r[3]), []).append(n)
    exact = _pairs([v for v in by_key.values() if len(v) > 1])
    by_name: dict[str, list[int]] = {}
    for n, r in enumerate(table[1:], 1):
        by_name.setdefault(r[1], []).append(n)
    return {
        "records": len(table) - 1,
        "true_pairs": len(truth),
        "splink": {**_prf(found, truth), "seconds": round(seconds, 1)},
        "exact key (all fields)": _prf(exact, truth),
        "exact name": _prf(_pairs([v for v in by_name.values() if len(v) > 1]), truth),
    }


def run_migration_eval(
    services: Services,
    rows: int = 2000,
    seed: int = 7,
    share: float = 0.01,
    log: Callable[[str], None] = lambda m: None,
) -> dict[str, Any]:
    rng = random.Random(seed)
    out: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="migration-eval-") as tmp:
        folder = Path(tmp)
        for name, (header, clean) in clean_tables(rng, rows).items():
            dirty, truth = dirty_copy(header, clean, rng, share)
            path = folder / f"{name}.csv"
            with path.open("w", encoding="gb18030", newline="") as f:
                csv.writer(f).writerows([header, *dirty])
            rules = folder / f"{name}.yaml"
            rules.write_text(RULES[name], encoding="utf-8")
            row: dict[str, Any] = {
                "table": name,
                "rows": rows,
                "damaged_cells": len(truth),
                "kinds": dict(Counter(truth.values())),
            }
            for mode, args in (
                ("rules", (rules, False)),
                ("rules + infer", (rules, True)),
                ("infer only", (None, True)),
            ):
                t0 = time.perf_counter()
                report = services.migration.check(path, *args)
                row[mode] = {
                    **_prf({(f["row"], f["column"]) for f in report.findings if f["row"]}, truth),
                    "seconds": round(time.perf_counter() - t0, 2),
                }
                row[mode]["recall_by_kind"] = {
                    k: round(
                        sum(
                            1
                            for cell, kk in truth.items()
                            if kk == k and cell in {(f["row"], f["column"]) for f in report.findings}
                        )
                        / n,
                        3,
                    )
                    for k, n in Counter(truth.values()).items()
                }
            row["majority-shape baseline"] = _prf(majority_shape_baseline(header, dirty), truth)
            log(
                f"{name}: rules F1 {row['rules']['f1']}, infer only F1 {row['infer only']['f1']}, baseline {row['majority-shape baseline']['f1']}"
            )
            out.append(row)
    log("dedupe ...")
    from evals.migration_bench import run_dependency_bench, run_person_bench, run_person_zh_bench

    result: dict[str, Any] = {
        "rows": rows,
        "seed": seed,
        "share": share,
        "tables": out,
        "dedupe": run_dedupe_eval(services, rows, seed),
    }
    log("given dependencies ...")
    result["dependency_bench"] = run_dependency_bench(services)
    log("person records ...")
    result["person_bench"] = [
        ("English", run_person_bench(services)),
        ("Chinese", run_person_zh_bench(services)),
    ]
    return result


def format_report(r: dict[str, Any]) -> str:
    lines = [
        "# Data migration: `migrate check` on generated masters",
        "",
        f"Produced by `assistant eval migration` (evals/migration.py; generator in its docstring): {r['rows']:,} rows per "
        f"table, about {r['share']:.0%} of the suitable cells damaged per kind, seed {r['seed']}, GB18030 files. "
        "Cell-level precision / recall / F1 against the cells that differ from the clean table.",
        "",
        "| table | damaged cells | rules | rules + infer | infer only (no rules) | majority-shape baseline |",
        "|---|---|---|---|---|---|",
    ]
    for t in r["tables"]:
        cell = lambda m: f"{m['precision']} / {m['recall']} / **{m['f1']}**"  # noqa: E731
        lines.append(
            f"| {t['table']} | {t['damaged_cells']} | {cell(t['rules'])} | {cell(t['rules + infer'])} | {cell(t['infer only'])} "
            f"| {cell(t['majority-shape baseline'])} |"
        )
    lines += [
        "",
        "## Recall by kind of damage",
        "",
        "| table | mode | " + " | ".join(KINDS) + " |",
        "|---|---|" + "---|" * len(KINDS),
    ]
    for t in r["tables"]:
        for mode in ("rules", "rules + infer", "infer only"):
            by = t[mode]["recall_by_kind"]
            lines.append(
                f"| {t['table']} | {mode} | " + " | ".join(str(by.get(k, "-")) for k in KINDS) + " |"
            )
    d = r.get("dedupe")
    if d:
        lines += [
            "",
            "## Duplicates without a shared id (`migrate dedupe`, pairwise)",
            "",
            f"{d['records']:,} supplier records, {d['true_pairs']} of them variants of another: other legal form, a "
            "bracketed city, spaces, a dropped character; the phone with +86 or dashes; the date in another format.",
            "",
            "| method | precision | recall | F1 |",
            "|---|---|---|---|",
            *[
                f"| {name} | {m['precision']} | {m['recall']} | **{m['f1']}** |"
                for name, m in d.items()
                if isinstance(m, dict)
            ],
            "",
            f"Splink took {d['splink']['seconds']} s.",
        ]
    if r.get("dependency_bench"):
        from evals.migration_bench import format_bench

        lines.append(format_bench(r["dependency_bench"], r["person_bench"]))
    lines += [
        "",
        "Time per check (seconds): "
        + ", ".join(f"{t['table']} {t['infer only']['seconds']}" for t in r["tables"]),
        "",
    ]
    return "\n".join(lines)
