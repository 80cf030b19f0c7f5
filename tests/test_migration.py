"""The data-migration workbench on real files: GBK/UTF-16 CSV and XLSX exports with the damage
legacy data carries, the rules file, inferred rules, and the bad inputs a consultant will feed it."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assistant.cli import app
from assistant.errors import InvalidInput, NotFound
from assistant.migration.check import check, load_rules
from assistant.migration.profile import profile
from assistant.migration.table import load
from assistant.migration.values import id_card_ok, uscc_ok

GOOD_USCC = "91350100M000100Y43"
GROUPS = {"G1": "3000", "G2": "3100", "G3": "7900"}


def _uscc(n: int) -> str:
    chars = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    weights = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
    body = f"91320500{n:09d}"
    total = sum(chars.index(c) * w for c, w in zip(body, weights, strict=True))
    return body + chars[(31 - total % 31) % 31]


def suppliers(path: Path, encoding: str = "gb18030") -> dict[tuple[int, str], str]:
    """A supplier master with one injected problem per listed (row, column); returns them."""
    rows = [
        [
            "supplier_code",
            "name",
            "tax_id",
            "uom",
            "unit_price",
            "material_group",
            "valuation_class",
            "created",
        ]
    ]
    for i in range(1, 201):
        g = ("G1", "G2", "G3")[i % 3]
        rows.append(
            [
                f"S{i:06d}",
                f"苏州供应商{i}有限公司",
                _uscc(i),
                ("PCS", "KG", "M")[i % 3],
                f"{i % 97 + 1}.50",
                g,
                GROUPS[g],
                f"2024-{i % 9 + 1:02d}-1{i % 10}",
            ]
        )
    injected = {
        (5, "supplier_code"): "S00005",
        (6, "name"): " 苏州供应商6有限公司",
        (7, "tax_id"): "913205001234567890",
        (8, "uom"): "PCE",
        (9, "unit_price"): "1,200",
        (10, "valuation_class"): "7900" if rows[10][5] != "G3" else "3000",
        (11, "created"): "2024/3/5",
        (12, "supplier_code"): "Ｓ000012",
        (13, "unit_price"): "",
        (14, "supplier_code"): "S000013",
    }
    cols = rows[0]
    for (r, c), v in injected.items():
        rows[r][cols.index(c)] = v
    with path.open("w", encoding=encoding, newline="") as f:
        csv.writer(f).writerows(rows)
    return injected


RULES = """columns:
  supplier_code: {required: true, unique: true, pattern: '^S\\d{6}$'}
  tax_id: {type: uscc}
  uom: {values: [PCS, KG, M]}
  unit_price: {type: decimal, min: 0, required: true}
dependencies:
  - {determinant: [material_group], dependent: valuation_class}
"""


def test_check_digits_of_chinese_identifiers() -> None:
    assert uscc_ok(GOOD_USCC) and uscc_ok(_uscc(7)) and not uscc_ok("913205001234567890")
    assert id_card_ok("11010519491231002X") and not id_card_ok("110105194912310021")


@pytest.mark.parametrize("encoding", ["gb18030", "utf-16", "utf-8-sig"])
def test_given_rules_find_every_injected_cell_and_nothing_else(tmp_path: Path, encoding: str) -> None:
    src = tmp_path / "suppliers.csv"
    injected = suppliers(src, encoding)
    (tmp_path / "rules.yaml").write_text(RULES, encoding="utf-8")
    table = load(src, tmp_path / "work")
    assert table.rows == 200 and table.columns[0] == "supplier_code"
    report = check(table, load_rules(tmp_path / "rules.yaml", table.columns), infer=True)
    errors = {(f["row"], f["column"]) for f in report.findings if f["severity"] == "error"}
    flagged = {(f["row"], f["column"]) for f in report.findings}
    # every injected cell is flagged; the rules' own cells as errors
    assert set(injected) <= flagged
    assert {k for k in injected if k[1] != "name" and k != (11, "created")} <= errors
    assert flagged <= set(injected)  # no false alarm on the 190 clean rows
    by_cell = {(f["row"], f["column"]): f for f in report.findings}
    assert by_cell[(8, "uom")]["suggestion"] == "PCS"
    assert by_cell[(9, "unit_price")]["suggestion"] == "1200"
    assert by_cell[(12, "supplier_code")]["suggestion"] == "S000012"
    assert by_cell[(11, "created")]["suggestion"] == "2024-03-05"
    assert by_cell[(14, "supplier_code")]["rule"] == "unique"
    # the dependency flags the one disagreeing cell, not the whole group
    assert [f["row"] for f in report.findings if f["rule"].startswith("dependency")] == [10]


def test_profile_names_types_missing_tokens_shapes_keys_and_dependencies(tmp_path: Path) -> None:
    src = tmp_path / "m.csv"
    src.write_text(
        "code,名称,单位,重量,组,类\n"
        + "".join(
            f"M-{i:04d},物料{i},{'无' if i % 10 == 0 else 'KG'},{i}kg,G{i % 3},{['A', 'B', 'C'][i % 3]}\n"
            for i in range(1, 101)
        ),
        encoding="utf-8",
    )
    p = profile(load(src, tmp_path / "w"))
    cols = {c["name"]: c for c in p["columns"]}
    assert cols["code"]["shapes"][0] == {"shape": "A-9999", "count": 100} and cols["code"]["type"] == "code"
    assert cols["单位"]["missing"] == 10 and cols["单位"]["missing_tokens"] == {"无": 10}
    assert cols["重量"]["decorated_numbers"] == 100
    assert "code" in p["candidate_keys"] and "名称" in p["candidate_keys"]
    assert {(tuple(d["determinant"]), d["dependent"]) for d in p["dependencies"]} >= {(("组",), "类")}


def test_xlsx_sheets_and_structural_problems(tmp_path: Path) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    book.active.title = "说明"
    book.active.append(["这是说明页"])
    sheet = book.create_sheet("客户")
    sheet.append(["客户编码", "", "客户编码", "电话"])
    sheet.append(["C001", "x", "C001", 13800138000])
    sheet.append(["C002", "", "C002", "=1+1"])
    path = tmp_path / "客户.xlsx"
    book.save(path)
    table = load(path, tmp_path / "w", sheet="客户")
    assert table.columns == ["客户编码", "column 2", "客户编码 (2)", "电话"] and table.rows == 2
    assert {f["rule"] for f in table.findings} == {"empty_column_name", "duplicate_column_name"}
    with pytest.raises(NotFound, match="客户, 说明|说明, 客户"):
        load(path, tmp_path / "w", sheet="供应商")


@pytest.mark.parametrize(
    "content, message",
    [(b"", "empty"), (b"a,b,c\n", "no data rows"), (b"\n\n", "empty")],
)
def test_empty_files_are_refused(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes(content)
    with pytest.raises(InvalidInput, match=message):
        load(path, tmp_path / "w")
    assert not list((tmp_path / "w").glob("*.csv"))  # nothing half-written left behind


def test_ragged_rows_are_findings_not_silent_changes(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text("a,b,c\n1,2,3\n4,5\n6,7,8,9\n", encoding="utf-8")
    table = load(path, tmp_path / "w")
    assert table.rows == 3
    assert [(f["row"], f["rule"]) for f in table.findings] == [(2, "missing_fields"), (3, "extra_fields")]


@pytest.mark.parametrize(
    "rules, message",
    [
        ("columns:\n  supplier_code: {pattern: '^S(\\d{6}$'}\n", "line 2"),
        ("columns:\n  code: {required: true}\n", "column 'code' is not in the file"),
        ("columns:\n  uom: {type: money}\n", "unknown type"),
        ("columns:\n  uom: {requird: true}\n", "requird"),
        ("columns: [unclosed\n", "not valid YAML"),
    ],
)
def test_bad_rules_files_name_the_problem(tmp_path: Path, rules: str, message: str) -> None:
    (tmp_path / "rules.yaml").write_text(rules, encoding="utf-8")
    with pytest.raises(InvalidInput, match=message):
        load_rules(tmp_path / "rules.yaml", ["supplier_code", "uom"])


def test_cli_check_json_lines_summary_and_exit_code(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSISTANT_HOME", str(tmp_path / "home"))
    src = tmp_path / "suppliers.csv"
    suppliers(src)
    (tmp_path / "rules.yaml").write_text(RULES, encoding="utf-8")
    runner = CliRunner()
    r = runner.invoke(
        app,
        [
            "migrate",
            "check",
            str(src),
            "--rules",
            str(tmp_path / "rules.yaml"),
            "--json",
            "--out",
            str(tmp_path / "r.md"),
        ],
    )
    assert r.exit_code == 1, r.output  # errors found
    lines = [json.loads(x) for x in r.stdout.strip().splitlines()]
    assert set(lines[0]) == {"row", "column", "value", "rule", "severity", "suggestion"}
    assert lines[-1]["summary"]["errors"] >= 8 and lines[-1]["summary"]["rows"] == 200
    assert "| 7 | tax_id |" in (tmp_path / "r.md").read_text(encoding="utf-8")
    clean = tmp_path / "clean.csv"
    clean.write_text("a,b\n1,2\n3,4\n", encoding="utf-8")
    assert runner.invoke(app, ["migrate", "check", str(clean), "--infer", "--json"]).exit_code == 0
    missing = runner.invoke(app, ["migrate", "profile", str(tmp_path / "nope.csv")])
    assert missing.exit_code != 0 and "no such file" in missing.output
    prof = runner.invoke(app, ["migrate", "profile", str(src), "--json"])
    assert prof.exit_code == 0 and json.loads(prof.stdout)["rows"] == 200
    assert not list((tmp_path / "home" / "migration" / "work").glob("*"))  # the normalised copies are gone


def test_dedupe_finds_chinese_company_variants_without_a_shared_id(tmp_path: Path) -> None:
    import random

    from assistant.migration.dedupe import dedupe, normalise_name, normalise_phone

    assert normalise_name("（苏州）精密机械 有限责任公司") == normalise_name("精密机械有限公司") == "精密机械"
    assert normalise_phone("+86 138-0013-8000") == "13800138000"
    rng = random.Random(4)
    rows = [["编号", "供应商名称", "电话", "成立日期"]]
    base = []
    for i in range(300):
        name = f"{rng.choice(['苏州', '无锡', '杭州'])}{rng.choice(['精密', '电子', '化工', '物流'])}{rng.choice('甲乙丙丁戊己庚辛')}{rng.choice('一二三四五六七')}{i}有限公司"
        base.append(
            [
                f"V{i:05d}",
                name,
                f"139{rng.randrange(10**7, 10**8)}",
                f"20{rng.randrange(0, 24):02d}-0{rng.randrange(1, 10)}-1{rng.randrange(0, 10)}",
            ]
        )
    rows += base
    truth = set()
    for j in range(30):
        b = base[j]
        y, m, d = b[3].split("-")
        rows.append(
            [
                f"V{300 + j:05d}",
                b[1].replace("有限公司", "有限责任公司") if j % 2 else "（苏州）" + b[1],
                "+86 " + b[2] if j % 3 else b[2],
                f"{y}/{int(m)}/{int(d)}" if j % 4 else b[3],
            ]
        )
        truth.add((j + 1, 301 + j))
    path = tmp_path / "vendors.csv"
    with path.open("w", encoding="gbk", newline="") as f:
        csv.writer(f).writerows(rows)
    result = dedupe(load(path, tmp_path / "w"), ["供应商名称", "电话", "成立日期"], "编号")
    found = {tuple(c["rows"]) for c in result["clusters"]}
    assert found == truth  # every variant pair, and no other record joined
    first = result["clusters"][0]
    assert (
        first["ids"] == ["V00000", "V00300"]
        and first["probability"] >= 0.9
        and "供应商名称" in first["agree"]
    )
    assert result["fields"] == {"供应商名称": "name", "电话": "phone", "成立日期": "date"}
    with pytest.raises(InvalidInput, match="not in the file"):
        dedupe(load(path, tmp_path / "w"), ["名称"])
    with pytest.raises(InvalidInput, match="between 0 and 1"):
        dedupe(load(path, tmp_path / "w"), ["电话"], threshold=1.5)


def test_reconcile_counts_keys_differences_sums_and_rounds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ASSISTANT_HOME", str(tmp_path / "home"))
    src = tmp_path / "物料.csv"
    src.write_text(
        "code,name,qty,price\nM1,螺栓,10,1.50\nM2,螺母,5,0.80\nM3,垫片,100,0.10\nM4,弹簧,3,2.00\n",
        encoding="gbk",
    )
    first = tmp_path / "load-1.csv"
    first.write_text(
        "code,name,qty,price\nM1,螺栓,10,1.5\nM2,螺母 ,6,0.80\nM3,垫片,100,0.10\nM5,销子,1,9.00\n",
        encoding="utf-8",
    )
    second = tmp_path / "load-2.csv"
    second.write_text(
        "code,name,qty,price\nM1,螺栓,10,1.5\nM2,螺母,5,0.8\nM3,垫片,100,0.1\nM4,弹簧,3,2\n", encoding="utf-8"
    )
    runner = CliRunner()
    r = runner.invoke(
        app, ["migrate", "reconcile", str(src), str(first), "--key", "code", "--sum", "qty", "--json"]
    )
    assert r.exit_code == 1, r.output  # not reconciled
    one = json.loads(r.stdout)
    assert one["missing_in_target"] == {"count": 1, "sample": ["M4"]} and one["extra_in_target"][
        "sample"
    ] == ["M5"]
    # 1.50 vs 1.5 and a trailing space are the same value; 5 vs 6 is not
    assert list(one["differences"]) == ["qty"] and one["differences"]["qty"]["sample"][0]["key"] == "M2"
    assert one["sums"]["qty"] == {
        "source": 118.0,
        "target": 117.0,
        "difference": -1.0,
        "not_numbers": {"source": 0, "target": 0},
    }
    r = runner.invoke(
        app,
        [
            "migrate",
            "reconcile",
            str(src),
            str(second),
            "--key",
            "code",
            "--sum",
            "qty",
            "--round",
            "第二轮",
            "--json",
        ],
    )
    assert r.exit_code == 0, r.output
    two = json.loads(r.stdout)
    assert two["reconciled"] and [
        (x["round"], x["missing"], x["extra"], x["differences"]) for x in two["rounds"]
    ] == [
        ("round 1", 1, 1, 1),
        ("第二轮", 0, 0, 0),
    ]
    bad = runner.invoke(app, ["migrate", "reconcile", str(src), str(second), "--key", "编号"])
    assert bad.exit_code != 0 and "编号" in bad.output


def test_references_flag_values_missing_from_the_other_file(tmp_path: Path) -> None:
    (tmp_path / "suppliers.csv").write_text("code,name\nS1,甲\nS2,乙\n", encoding="utf-8")
    orders = tmp_path / "orders.csv"
    orders.write_text("order,supplier\nO1,S1\nO2,S3\nO3,\nO4,S2\n", encoding="utf-8")
    (tmp_path / "rules.yaml").write_text(
        "references:\n  - {column: supplier, file: suppliers.csv, key: code}\n", encoding="utf-8"
    )
    table = load(orders, tmp_path / "w")
    report = check(table, load_rules(tmp_path / "rules.yaml", table.columns), base=tmp_path)
    assert [(f["row"], f["value"], f["severity"]) for f in report.findings] == [(2, "S3", "error")]
