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


TRANSFORM_SOURCE = """material_code,name,uom,group,price,created,phone
m000001 ,螺絲 M6,个,G01,"1,200.00元",2023/1/5,+86 138 0013 8000
M000002,垫片,千克,G02,12.5,2023年1月5日,021-12345678
M000003,轴承,BOX,G01,abc,2023-13-01,
M000002,重复的垫片,个,G01,3,2023-01-01,
,无编码,个,G01,3,2023-01-01,
M000004,法蘭,ｋｇ,G02,￥100,20230105,13800138000
M000005,销子,个,G01,12万,2023-01-01,
"""

TRANSFORM_MAPPING = """template: 模板.xlsx
key: 物料编码
columns:
  物料编码: {from: material_code, normalise: [trim, half_width, upper], pattern: '^M\\d{6}$'}
  物料名称: {from: name, normalise: [trim, simplified]}
  单位: {from: uom, normalise: [trim, half_width], map: {个: PCS, 千克: KG, kg: KG}}
  物料组: {from: group, map_file: groups.csv}
  单价: {from: price, type: decimal, min: 0}
  创建日期: {from: created, type: date}
  电话: {from: phone, type: phone_cn}
  来源系统: {value: LEGACY}
"""


def _transform_files(tmp_path: Path) -> tuple[Path, Path]:
    from openpyxl import Workbook

    src = tmp_path / "物料.csv"
    src.write_text(TRANSFORM_SOURCE, encoding="gbk")
    (tmp_path / "groups.csv").write_text("old,new\nG01,1001\nG02,1002\n", encoding="utf-8")
    book = Workbook()
    book.active.append(
        ["*物料编码", "物料名称", "*单位", "物料组", "单价", "创建日期", "电话", "来源系统", "备注"]
    )
    book.save(tmp_path / "模板.xlsx")
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(TRANSFORM_MAPPING, encoding="utf-8")
    return src, mapping


def test_transform_maps_normalises_and_rejects_with_reasons(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ASSISTANT_HOME", str(tmp_path / "home"))
    src, mapping = _transform_files(tmp_path)
    out = tmp_path / "out"
    r = CliRunner().invoke(
        app, ["migrate", "transform", str(src), "--mapping", str(mapping), "--out", str(out), "--json"]
    )
    assert r.exit_code == 0, r.output
    summary = json.loads(r.stdout)
    with (out / "load.csv").open(encoding="utf-8", newline="") as f:
        loaded = list(csv.DictReader(f))
    with (out / "rejects.csv").open(encoding="utf-8", newline="") as f:
        rejects = list(csv.DictReader(f))
    assert summary["rows_in"] == 7 == len(loaded) + len(rejects)  # nothing dropped
    assert summary["columns"][-1] == "备注" and summary["unfilled_columns"] == ["备注"]
    first = loaded[0]
    assert (first["物料编码"], first["物料名称"], first["单位"], first["物料组"]) == (
        "M000001",
        "螺丝 M6",
        "PCS",
        "1001",
    )
    assert (first["单价"], first["创建日期"], first["电话"], first["来源系统"]) == (
        "1200",
        "2023-01-05",
        "13800138000",
        "LEGACY",
    )
    assert [(x["单位"], x["单价"], x["创建日期"]) for x in loaded[1:]] == [
        ("KG", "12.5", "2023-01-05"),
        ("KG", "100", "2023-01-05"),  # full-width ｋｇ, ￥100, 20230105
    ]
    why = {int(x["source_row"]): x["reason"] for x in rejects}
    assert set(why) == {3, 4, 5, 7}
    assert "BOX" in why[3] and "abc" in why[3] and "2023-13-01" in why[3]  # every reason of the row
    assert "repeats source row 2" in why[4]
    assert "物料编码 is required" in why[5]
    assert "12万" in why[7]  # 万 is not guessed
    assert rejects[0]["material_code"] == "M000003"  # the original values travel with the reason
    blocked = tmp_path / "a-file"
    blocked.write_text("keep me", encoding="utf-8")
    r = CliRunner().invoke(
        app, ["migrate", "transform", str(src), "--mapping", str(mapping), "--out", str(blocked)]
    )
    assert r.exit_code != 0 and "is a file" in r.output and blocked.read_text(encoding="utf-8") == "keep me"


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda m: m.replace("  单位: {from: uom", "  单位x: {from: uom"), "not in the template"),
        (
            lambda m: m.replace("  物料编码: {from: material_code", "  编码: {from: material_code"),
            "not in the template",
        ),
        (
            lambda m: "\n".join(x for x in m.splitlines() if not x.startswith("  单位")),
            "does not fill the required",
        ),
        (lambda m: m.replace("from: price", "from: 价格"), "line 8"),
        (lambda m: m.replace("'^M\\d{6}$'", "'^M(\\d{6}$'"), "bad regular expression"),
        (lambda m: m.replace("type: date", "type: datum"), "unknown type"),
        (lambda m: m.replace("{value: LEGACY}", "{}"), "either 'from'"),
        (lambda m: m.replace("groups.csv", "nope.csv"), "no such file"),
    ],
)
def test_bad_mappings_are_refused_and_nothing_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, edit: object, message: str
) -> None:
    monkeypatch.setenv("ASSISTANT_HOME", str(tmp_path / "home"))
    src, mapping = _transform_files(tmp_path)
    mapping.write_text(edit(TRANSFORM_MAPPING), encoding="utf-8")  # type: ignore[operator]
    out = tmp_path / "out"
    r = CliRunner().invoke(
        app, ["migrate", "transform", str(src), "--mapping", str(mapping), "--out", str(out)]
    )
    assert r.exit_code != 0 and message in r.output, r.output
    assert not out.exists() or not list(out.iterdir())


def test_cli_dedupe_small_file_merge_keeps_every_value_and_maps_old_ids(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ASSISTANT_HOME", str(tmp_path / "home"))
    src = tmp_path / "vendors.csv"
    src.write_text(
        "id,name,phone,founded,email,updated\n"
        "V1,苏州精密机械有限公司,13800138000,2001-01-01,,2020-01-01\n"
        "V2,（苏州）精密机械有限责任公司,+86 138 0013 8000,2001/1/1,sales@jm.cn,2019-05-01\n"
        "V3,蘇州精密機械有限公司,138-0013-8000,,,2024-03-01\n"
        "V4,杭州电子有限公司,13900000000,2010-02-02,,2021-01-01\n",
        encoding="gb18030",
    )
    runner = CliRunner()
    r = runner.invoke(
        app, ["migrate", "dedupe", str(src), "--fields", "name,phone", "--id-col", "id", "--json"]
    )
    assert r.exit_code == 0, r.output
    lines = [json.loads(x) for x in r.stdout.strip().splitlines()]  # nothing but cluster lines on stdout
    assert [(c["rows"], c["ids"]) for c in lines] == [([1, 2, 3], ["V1", "V2", "V3"])]  # traditional too
    assert lines[0]["probability"] >= 0.9 and set(lines[0]["agree"]) == {"name", "phone"}
    out = tmp_path / "merged"
    r = runner.invoke(
        app,
        [
            "migrate",
            "dedupe",
            str(src),
            "--fields",
            "name,phone",
            "--id-col",
            "id",
            "--merge",
            str(out),
            "--survivor",
            "most_recent",
            "--recent-col",
            "updated",
        ],
    )
    assert r.exit_code == 0 and "merged 2 duplicates" in r.output, r.output
    with (out / "golden.csv").open(encoding="utf-8", newline="") as f:
        golden = list(csv.DictReader(f))
    with (out / "id_mapping.csv").open(encoding="utf-8", newline="") as f:
        mapping = {x["id"]: x["survivor_id"] for x in csv.DictReader(f)}
    assert [g["id"] for g in golden] == ["V3", "V4"]  # the most recent record survives
    assert (golden[0]["founded"], golden[0]["email"]) == (
        "2001-01-01",
        "sales@jm.cn",
    )  # filled from the others
    assert mapping == {"V1": "V3", "V2": "V3", "V3": "V3"}
    bad = runner.invoke(
        app,
        [
            "migrate",
            "dedupe",
            str(src),
            "--fields",
            "name",
            "--merge",
            str(tmp_path / "m2"),
            "--survivor",
            "most_recent",
        ],
    )
    assert (
        bad.exit_code != 0 and "--recent-col" in bad.output and not (tmp_path / "m2" / "golden.csv").exists()
    )


def _spec_with_dictionary(path: Path) -> Path:
    import docx

    d = docx.Document()
    d.add_heading("供应商主数据迁移规格", level=0)
    d.add_heading("3.2 供应商主数据字段", level=1)
    d.add_paragraph("迁移模板的字段如下表，必填字段为空的记录不得导入。")
    rows = [
        ["字段名", "中文名", "类型", "长度", "必填", "取值"],
        ["supplier_code", "供应商编码", "VARCHAR(7)", "7", "是", ""],
        ["name", "供应商名称", "文本", "100", "是", ""],
        ["tax_id", "统一社会信用代码", "统一社会信用代码", "18", "是", ""],
        ["uom", "计量单位", "代码", "", "否", "PCS/KG/M"],
        ["settle", "结算方式", "代码", "", "否", "T=电汇; C=承兑"],
        ["bank_account", "银行账号", "文本", "30", "是", ""],
    ]
    t = d.add_table(rows=len(rows), cols=len(rows[0]))
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            t.cell(r, c).text = value
    d.add_heading("3.3 物料组代码表", level=1)
    d.add_paragraph("REQ-MIG-007 物料组只能取下表中的代码。")
    t = d.add_table(rows=4, cols=2)
    for r, row in enumerate([["编码", "名称"], ["G1", "原材料"], ["G2", "半成品"], ["G3", "成品"]]):
        for c, value in enumerate(row):
            t.cell(r, c).text = value
    d.save(str(path))
    return path


def test_rules_draft_reads_the_profile_and_the_specification_data_dictionary(
    tmp_path: Path, fast_services: object
) -> None:
    from assistant.schemas import DocType

    services = fast_services
    services.ingest("迁移", [_spec_with_dictionary(tmp_path / "迁移规格.docx")], doc_type=DocType.spec)  # type: ignore[attr-defined]
    src = tmp_path / "suppliers.csv"
    injected = suppliers(src)
    text, rules = services.migration.draft_rules(src, "迁移")  # type: ignore[attr-defined]
    cols = rules["columns"]
    assert cols["supplier_code"]["unique"] and cols["supplier_code"]["pattern"] == r"^[A-Z]\d{6}$"
    assert cols["supplier_code"]["max_length"] == 7 and cols["tax_id"]["type"] == "uscc"  # from the spec
    assert (
        cols["uom"]["values"] == ["PCS", "KG", "M"] and "required" not in cols["uom"]
    )  # the spec says optional
    assert cols["created"]["type"] == "date" and cols["unit_price"]["type"] == "decimal"  # from the profile
    assert {"determinant": ["material_group"], "dependent": "valuation_class"} in rules["dependencies"]
    assert "spec: 3.2 供应商主数据字段" in text
    assert "the specification requires 'bank_account'" in text  # a field the export lacks
    draft = tmp_path / "draft.yaml"
    draft.write_text(text, encoding="utf-8")
    report = services.migration.check(src, draft)  # type: ignore[attr-defined]
    flagged = {(f["row"], f["column"]) for f in report.findings if f["severity"] == "error"}
    assert len(flagged & set(injected)) >= 0.6 * len(injected)  # the draft already catches most problems
    # values_from_spec: a requirement id (its table) or a table title in the knowledge base
    (tmp_path / "r.yaml").write_text(
        "columns:\n  material_group: {values_from_spec: REQ-MIG-007}\n  uom: {values_from_spec: 物料组代码表}\n",
        encoding="utf-8",
    )
    found = services.migration.check(src, tmp_path / "r.yaml", kb="迁移").findings  # type: ignore[attr-defined]
    assert not [f for f in found if f["column"] == "material_group" and f["value"] in GROUPS]
    assert {f["value"] for f in found if f["column"] == "uom"} >= {"PCS", "KG"}  # not codes of that table
    with pytest.raises(InvalidInput, match="needs a knowledge base"):
        services.migration.check(src, tmp_path / "r.yaml")  # type: ignore[attr-defined]
    (tmp_path / "r2.yaml").write_text("columns:\n  uom: {values_from_spec: 不存在的表}\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match="no requirement or table"):
        services.migration.check(src, tmp_path / "r2.yaml", kb="迁移")  # type: ignore[attr-defined]


def test_check_xlsx_report_highlights_the_offending_cells(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from openpyxl import load_workbook

    monkeypatch.setenv("ASSISTANT_HOME", str(tmp_path / "home"))
    src = tmp_path / "suppliers.csv"
    injected = suppliers(src)
    (tmp_path / "rules.yaml").write_text(RULES, encoding="utf-8")
    out = tmp_path / "报告.xlsx"
    r = CliRunner().invoke(
        app,
        ["migrate", "check", str(src), "--rules", str(tmp_path / "rules.yaml"), "--infer", "--out", str(out)],
    )
    assert r.exit_code == 1, r.output
    book = load_workbook(out)
    assert book.sheetnames[:2] == ["概要", "问题行"] and "必填为空" in book.sheetnames
    rows = book["问题行"]
    header = [c.value for c in rows[1]]
    red = {
        (row[0].value, header[i])
        for row in rows.iter_rows(min_row=2)
        for i, c in enumerate(row)
        if c.fill.fill_type == "solid" and c.fill.fgColor.rgb.endswith("FFC7CE")
    }
    filled = {
        (row[0].value, header[i])
        for row in rows.iter_rows(min_row=2)
        for i, c in enumerate(row)
        if c.fill.fill_type == "solid"
    }
    warnings_only = {(6, "name"), (11, "created")}  # inferred rules: amber, not red
    assert set(injected) - warnings_only <= red and warnings_only <= filled - red
    assert filled <= set(injected) and header[-1] == "问题类型"  # nothing else coloured
    summary = {row[0].value: row[1].value for row in book["概要"].iter_rows(min_row=2, max_row=5)}
    assert summary["行数"] == 200 and summary["错误"] == len(set(injected) - warnings_only)


def test_the_sql_prefilter_changes_no_finding(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Values DuckDB can clear are skipped in Python: the findings are the same without it."""
    import assistant.migration.check as ck

    src = tmp_path / "suppliers.csv"
    suppliers(src)
    (tmp_path / "rules.yaml").write_text(RULES, encoding="utf-8")
    table = load(src, tmp_path / "w")
    rules = load_rules(tmp_path / "rules.yaml", table.columns)

    def keyed(findings: list[dict[str, object]]) -> list[tuple[str, ...]]:
        return sorted(tuple(str(f[k]) for k in ("row", "column", "rule", "suggestion")) for f in findings)

    fast = [
        keyed(check(table, r, infer).findings)
        for r in (rules, load_rules(None, []))
        for infer in (False, True)
    ]
    monkeypatch.setattr(ck, "_clean_sql", lambda *a: None)
    slow = [
        keyed(check(table, r, infer).findings)
        for r in (rules, load_rules(None, []))
        for infer in (False, True)
    ]
    assert fast == slow and fast[0]


def test_merged_cells_fill_every_row_they_cover(tmp_path: Path) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["物料编码", "物料组", "数量"])
    for row in (["M1", "原材料", 1], ["M2", None, 2], ["M3", None, 3], ["M4", "成品", 4]):
        sheet.append(row)
    sheet.merge_cells("B2:B4")  # how an Excel user writes "these three are raw material"
    path = tmp_path / "物料.xlsx"
    book.save(path)
    table = load(path, tmp_path / "w")
    with table.csv_path.open(encoding="utf-8", newline="") as f:
        groups = [r[1] for r in list(csv.reader(f))[1:]]
    assert groups == ["原材料", "原材料", "原材料", "成品"]
    assert [(f["rule"], f["value"], f["severity"]) for f in table.findings] == [
        ("merged_cells", "B2:B4", "warning")
    ]
