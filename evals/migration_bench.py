"""Benchmarks shaped like the public data-cleaning and record-linkage sets the acceptance uses
(which we do not have): generated here so that nothing of them is copied.

- **Denormalised tables with given dependencies** (the shape of the HoloClean "hospital" set): an
  English hospital-measure table and a Chinese sales-order table, each row repeating the facts of
  its provider / customer and item, so that functional dependencies hold (zip -> city, phone -> zip,
  measure code -> measure name, 客户编码 -> 客户名称 ...). About 4% of the cells get a typo (a
  character replaced by 'x' or a neighbouring key, dropped, or doubled; a homophone in Chinese).
  ``check`` gets the dependencies as rules; the peer is majority vote inside each dependency group
  (flag the dependent cell that disagrees with its group's majority).
- **Person records without an id** (the shape of FEBRL): given name, surname, street number,
  address, suburb, postcode, state, date of birth and a social-security number; 20% of the records
  come back with one to three edits (typos, a missing field, swapped names, a digit of the date
  changed, another address format). Pairwise precision / recall / F1 of ``dedupe`` against an
  exact key on name + date of birth, and on all fields.
"""

from __future__ import annotations

import csv
import random
import string
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from assistant.services import Services
from evals.migration import _pairs, _prf

KEYBOARD = {c: n for c, n in zip("qwertyuiopasdfghjklzxcvbnm", "wqertyuioosadfghjkkzxcvbnm", strict=True)}
HOMOPHONES = {
    "州": "洲",
    "京": "经",
    "海": "每",
    "江": "将",
    "市": "是",
    "华": "化",
    "东": "冬",
    "南": "男",
    "西": "希",
    "北": "被",
    "电": "点",
    "子": "字",
    "科": "可",
    "技": "记",
    "有": "友",
    "限": "线",
    "公": "工",
    "司": "思",
    "机": "几",
    "械": "谢",
    "钢": "刚",
    "材": "才",
    "螺": "罗",
    "栓": "拴",
    "轴": "周",
    "承": "成",
    "件": "见",
    "箱": "香",
    "省": "生",
    "苏": "酥",
    "杭": "航",
    "宁": "柠",
    "波": "玻",
}


def typo(value: str, rng: random.Random) -> str:
    """One typing error: a character replaced ('x' or a neighbouring key; a homophone in Chinese),
    dropped or doubled."""
    if not value:
        return value
    i = rng.randrange(len(value))
    ch = value[i]
    if "\u4e00" <= ch <= "\u9fff":
        cjk = [j for j, c in enumerate(value) if c in HOMOPHONES]
        if cjk:
            i = rng.choice(cjk)
            return value[:i] + HOMOPHONES[value[i]] + value[i + 1 :]
    kind = rng.random()
    if kind < 0.5:
        new = "x" if ch.lower() != "x" else "y"
        if ch.isdigit():
            new = rng.choice([d for d in string.digits if d != ch]) if rng.random() < 0.5 else "x"
        elif ch.isalpha() and ch.lower() in KEYBOARD and rng.random() < 0.3:
            new = KEYBOARD[ch.lower()]
        return value[:i] + new + value[i + 1 :]
    if kind < 0.75 and len(value) > 2:
        return value[:i] + value[i + 1 :]
    return value[:i] + ch + value[i:]


CITIES_US = [
    ("birmingham", "al", "jefferson", "352"),
    ("dothan", "al", "houston", "363"),
    ("florence", "al", "lauderdale", "356"),
    ("mobile", "al", "mobile", "366"),
    ("anchorage", "ak", "anchorage", "995"),
    ("phoenix", "az", "maricopa", "850"),
    ("tucson", "az", "pima", "857"),
    ("little rock", "ar", "pulaski", "722"),
    ("sacramento", "ca", "sacramento", "958"),
    ("fresno", "ca", "fresno", "937"),
    ("denver", "co", "denver", "802"),
    ("hartford", "ct", "hartford", "061"),
]
HOSPITAL_WORDS = [
    "medical center",
    "regional hospital",
    "memorial hospital",
    "community hospital",
    "health system",
]
NAMES = [
    "st vincent",
    "baptist",
    "providence",
    "mercy",
    "general",
    "university",
    "valley",
    "riverside",
    "lakeside",
    "summit",
]
MEASURES = [
    ("ami-1", "heart attack", "aspirin at arrival"),
    ("ami-2", "heart attack", "aspirin prescribed at discharge"),
    ("ami-3", "heart attack", "acei or arb for lvsd"),
    ("ami-4", "heart attack", "adult smoking cessation advice"),
    ("ami-5", "heart attack", "beta blocker prescribed at discharge"),
    ("hf-1", "heart failure", "discharge instructions"),
    ("hf-2", "heart failure", "evaluation of lvs function"),
    ("hf-3", "heart failure", "acei or arb for lvsd"),
    ("hf-4", "heart failure", "adult smoking cessation advice"),
    ("pn-2", "pneumonia", "pneumococcal vaccination"),
    ("pn-3b", "pneumonia", "blood cultures performed in the emergency department"),
    ("pn-4", "pneumonia", "adult smoking cessation advice"),
    ("pn-5c", "pneumonia", "initial antibiotic received within 6 hours"),
    ("pn-6", "pneumonia", "initial antibiotic selection"),
    ("pn-7", "pneumonia", "influenza vaccination"),
    ("scip-inf-1", "surgical infection prevention", "antibiotic within one hour before incision"),
    ("scip-inf-2", "surgical infection prevention", "appropriate antibiotic selection"),
]
HOSPITAL_COLUMNS = [
    "provider_number",
    "hospital_name",
    "address",
    "city",
    "state",
    "zip_code",
    "county_name",
    "phone_number",
    "hospital_type",
    "hospital_owner",
    "emergency_service",
    "condition",
    "measure_code",
    "measure_name",
    "state_avg",
]
HOSPITAL_FDS = [
    (["zip_code"], "city"),
    (["zip_code"], "state"),
    (["phone_number"], "zip_code"),
    (["provider_number"], "hospital_name"),
    (["provider_number"], "phone_number"),
    (["hospital_name"], "address"),
    (["hospital_name"], "hospital_owner"),
    (["city"], "county_name"),
    (["measure_code"], "measure_name"),
    (["measure_code"], "condition"),
    (["state", "measure_code"], "state_avg"),
]


def hospital_table(rng: random.Random, providers: int = 60) -> list[list[str]]:
    rows = []
    owners = [
        "voluntary non-profit - private",
        "government - hospital district",
        "proprietary",
        "voluntary non-profit - church",
    ]
    avgs = {(c[1], m[0]): f"{c[1]}_{m[0]}" for c in CITIES_US for m in MEASURES}
    used: set[str] = set()
    for p in range(providers):
        city, state, county, zip3 = rng.choice(CITIES_US)
        name = f"{rng.choice(NAMES)} {rng.choice(HOSPITAL_WORDS)}"
        while name in used:
            name = f"{rng.choice(NAMES)} {city} {rng.choice(HOSPITAL_WORDS)}"
        used.add(name)
        zip_code = f"{zip3}{rng.randrange(10, 100)}"
        facts = [
            f"{10000 + p * 7}",
            name,
            f"{rng.randrange(100, 9999)} {rng.choice(['main', 'oak', 'hospital', 'university', 'medical park'])} "
            f"{rng.choice(['street', 'avenue', 'drive', 'boulevard'])}",
            city,
            state,
            zip_code,
            county,
            f"{rng.randrange(200, 999)}{rng.randrange(1000000, 9999999)}",
            "acute care hospitals",
            rng.choice(owners),
            rng.choice(["yes", "no"]),
        ]
        for code, condition, measure in rng.sample(MEASURES, rng.randrange(10, len(MEASURES) + 1)):
            rows.append([*facts, condition, code, measure, avgs[(state, code)]])
    return [HOSPITAL_COLUMNS, *rows]


ORDER_COLUMNS = [
    "订单号",
    "客户编码",
    "客户名称",
    "城市",
    "省份",
    "物料编码",
    "物料名称",
    "单位",
    "物料组",
    "数量",
]
ORDER_FDS = [
    (["客户编码"], "客户名称"),
    (["客户名称"], "城市"),
    (["城市"], "省份"),
    (["物料编码"], "物料名称"),
    (["物料编码"], "单位"),
    (["物料编码"], "物料组"),
]
CN_CITIES = [
    ("苏州市", "江苏省"),
    ("南京市", "江苏省"),
    ("杭州市", "浙江省"),
    ("宁波市", "浙江省"),
    ("上海市", "上海市"),
    ("东莞市", "广东省"),
]
CN_TRADES = ["精密机械", "电子科技", "钢材贸易", "华东物流", "南方包装", "西部机电"]
ITEMS = [
    ("螺栓 M6×20", "件", "标准件"),
    ("轴承 6204", "套", "传动件"),
    ("不锈钢板 2mm", "张", "原材料"),
    ("包装箱 大号", "个", "包材"),
    ("电机 0.75kW", "台", "电气件"),
    ("密封圈 φ30", "件", "标准件"),
    ("冷轧钢卷", "吨", "原材料"),
    ("控制电缆 4芯", "米", "电气件"),
]


def order_table(rng: random.Random, customers: int = 40, orders: int = 1000) -> list[list[str]]:
    custs: list[tuple[str, str, str, str]] = []
    names: set[str] = set()
    while len(custs) < customers:
        city, province = rng.choice(CN_CITIES)
        name = f"{city[:-1]}{rng.choice(CN_TRADES)}{rng.choice('一二三四五六七八九十')}厂有限公司"
        if name not in names:  # two customers never share a name
            names.add(name)
            custs.append((f"C{len(custs):05d}", name, city, province))
    items = [(f"M{i:06d}", *it) for i, it in enumerate(ITEMS)]
    rows = []
    for o in range(orders):
        code, name, city, province = rng.choice(custs)
        icode, iname, uom, group = rng.choice(items)
        rows.append(
            [f"SO{o:07d}", code, name, city, province, icode, iname, uom, group, str(rng.randrange(1, 500))]
        )
    return [ORDER_COLUMNS, *rows]


def dirty(
    table: list[list[str]], rng: random.Random, share: float, skip: set[str]
) -> tuple[list[list[str]], set[tuple[int, str]]]:
    header, rows = table[0], [list(r) for r in table[1:]]
    truth: set[tuple[int, str]] = set()
    cols = [j for j, c in enumerate(header) if c not in skip]
    n = int(share * len(rows) * len(cols))
    while len(truth) < n:
        i, j = rng.randrange(len(rows)), rng.choice(cols)
        if (i + 1, header[j]) in truth:
            continue
        new = typo(rows[i][j], rng)
        if new != rows[i][j]:
            rows[i][j] = new
            truth.add((i + 1, header[j]))
    return [header, *rows], truth


def majority_vote(table: list[list[str]], fds: list[tuple[list[str], str]]) -> set[tuple[int, str]]:
    """The peer: inside each dependency group, flag the dependent cells that differ from the
    group's most common value."""
    header, rows = table[0], table[1:]
    flagged: set[tuple[int, str]] = set()
    for det, dep in fds:
        a = [header.index(x) for x in det]
        b = header.index(dep)
        groups: dict[tuple[str, ...], Counter[str]] = {}
        for r in rows:
            groups.setdefault(tuple(r[x] for x in a), Counter())[r[b]] += 1
        for n, r in enumerate(rows, 1):
            top = groups[tuple(r[x] for x in a)].most_common(1)[0][0]
            if r[b] != top:
                flagged.add((n, dep))
    return flagged


def _rules_yaml(fds: list[tuple[list[str], str]]) -> str:
    lines = ["dependencies:"]
    for det, dep in fds:
        lines.append(f"  - {{determinant: [{', '.join(det)}], dependent: {dep}}}")
    return "\n".join(lines) + "\n"


def run_dependency_bench(services: Services, seed: int = 11, share: float = 0.04) -> list[dict[str, Any]]:
    out = []
    for name, build, fds, skip in (
        ("hospital-like (en)", lambda rng: hospital_table(rng), HOSPITAL_FDS, {"provider_number"}),
        ("sales orders (zh)", lambda rng: order_table(rng), ORDER_FDS, {"订单号", "数量"}),
    ):
        rng = random.Random(seed)
        clean = build(rng)
        damaged, truth = dirty(clean, rng, share, skip)
        with tempfile.TemporaryDirectory(prefix="dep-bench-") as tmp:
            path = Path(tmp) / "table.csv"
            with path.open("w", encoding="utf-8", newline="") as f:
                csv.writer(f).writerows(damaged)
            rules = Path(tmp) / "rules.yaml"
            rules.write_text(_rules_yaml(fds), encoding="utf-8")
            row: dict[str, Any] = {"table": name, "rows": len(damaged) - 1, "damaged_cells": len(truth)}
            for mode, args in (
                ("dependencies given", (rules, False)),
                ("dependencies + infer", (rules, True)),
                ("infer only", (None, True)),
            ):
                t0 = time.perf_counter()
                report = services.migration.check(path, *args)
                flagged = {(f["row"], f["column"]) for f in report.findings if f["row"]}
                row[mode] = {**_prf(flagged, truth), "seconds": round(time.perf_counter() - t0, 2)}
            row["majority vote (peer)"] = _prf(majority_vote(damaged, fds), truth)
        out.append(row)
    return out


GIVEN = [
    "james",
    "mary",
    "robert",
    "patricia",
    "john",
    "jennifer",
    "michael",
    "linda",
    "william",
    "elizabeth",
    "david",
    "barbara",
    "richard",
    "susan",
    "joseph",
    "jessica",
    "thomas",
    "sarah",
    "charles",
    "karen",
    "lachlan",
    "chloe",
    "jack",
    "olivia",
    "liam",
    "emily",
    "noah",
    "isabella",
    "ethan",
    "mia",
]
SURNAMES = [
    "smith",
    "jones",
    "williams",
    "brown",
    "wilson",
    "taylor",
    "johnson",
    "white",
    "martin",
    "anderson",
    "thompson",
    "nguyen",
    "thomas",
    "walker",
    "harris",
    "lee",
    "ryan",
    "robinson",
    "kelly",
    "king",
    "campbell",
    "clarke",
    "mitchell",
    "young",
    "bell",
    "ward",
    "watson",
    "morris",
    "cook",
    "murphy",
]
STREETS = [
    "miller street",
    "george street",
    "bourke street",
    "collins street",
    "station road",
    "church street",
    "high street",
    "park avenue",
    "victoria road",
    "king street",
    "queen street",
    "elizabeth street",
]
SUBURBS = [
    ("sydney", "2000", "nsw"),
    ("parramatta", "2150", "nsw"),
    ("newcastle", "2300", "nsw"),
    ("melbourne", "3000", "vic"),
    ("geelong", "3220", "vic"),
    ("brisbane", "4000", "qld"),
    ("cairns", "4870", "qld"),
    ("adelaide", "5000", "sa"),
    ("perth", "6000", "wa"),
    ("hobart", "7000", "tas"),
]
PERSON_COLUMNS = [
    "given_name",
    "surname",
    "street_number",
    "address_1",
    "suburb",
    "postcode",
    "state",
    "date_of_birth",
    "soc_sec_id",
]


def person_records(
    rng: random.Random, n: int = 5000, share: float = 0.2
) -> tuple[list[list[str]], set[tuple[int, int]]]:
    base = []
    for _ in range(n):
        suburb, postcode, state = rng.choice(SUBURBS)
        base.append(
            [
                rng.choice(GIVEN),
                rng.choice(SURNAMES),
                str(rng.randrange(1, 400)),
                rng.choice(STREETS),
                suburb,
                postcode,
                state,
                f"{rng.randrange(1930, 2005)}{rng.randrange(1, 13):02d}{rng.randrange(1, 29):02d}",
                str(rng.randrange(1000000, 9999999)),
            ]
        )
    rows = [list(r) for r in base]
    truth = set()
    for j in rng.sample(range(n), int(share * n)):
        r = list(base[j])
        for _ in range(rng.randrange(1, 4)):
            kind = rng.choice(["typo_name", "typo_surname", "missing", "swap", "dob", "address", "ssn"])
            if kind == "typo_name":
                r[0] = typo(r[0], rng)
            elif kind == "typo_surname":
                r[1] = typo(r[1], rng)
            elif kind == "missing":
                r[rng.choice([2, 3, 4, 5, 8])] = ""
            elif kind == "swap":
                r[0], r[1] = r[1], r[0]
            elif kind == "dob":
                d = r[7]
                i = rng.randrange(len(d))
                r[7] = d[:i] + rng.choice([x for x in string.digits if x != d[i]]) + d[i + 1 :]
            elif kind == "address":
                r[3] = r[3].replace("street", "st").replace("road", "rd").replace("avenue", "ave")
            else:
                r[8] = typo(r[8], rng)
        rows.append(r)
        truth.add((j + 1, len(rows)))
    return [PERSON_COLUMNS, *rows], truth


def _exact(rows: list[list[str]], cols: list[int]) -> set[tuple[int, int]]:
    groups: dict[tuple[str, ...], list[int]] = {}
    for n, r in enumerate(rows, 1):
        groups.setdefault(tuple(r[c] for c in cols), []).append(n)
    return _pairs([g for g in groups.values() if len(g) > 1])


def _timed_dedupe(
    services: Services, table: list[list[str]], name: str, encoding: str
) -> tuple[set[tuple[int, int]], float]:
    """The duplicate pairs ``dedupe`` finds comparing every column of *table*, and the seconds it took."""
    with tempfile.TemporaryDirectory(prefix="person-bench-") as tmp:
        path = Path(tmp) / name
        with path.open("w", encoding=encoding, newline="") as f:
            csv.writer(f).writerows(table)
        t0 = time.perf_counter()
        result = services.migration.dedupe(path, table[0])
        seconds = time.perf_counter() - t0
    return _pairs([c["rows"] for c in result["clusters"]]), seconds


def run_person_bench(services: Services, n: int = 5000, seed: int = 5) -> dict[str, Any]:
    table, truth = person_records(random.Random(seed), n)
    found, seconds = _timed_dedupe(services, table, "people.csv", "utf-8")
    rows = table[1:]
    return {
        "records": len(rows),
        "true_pairs": len(truth),
        "dedupe": {**_prf(found, truth), "seconds": round(seconds, 1)},
        "exact name + date of birth (peer)": _prf(_exact(rows, [0, 1, 7]), truth),
        "exact all fields": _prf(_exact(rows, list(range(len(PERSON_COLUMNS)))), truth),
    }


SURNAMES_ZH = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN_ZH = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍鹏辉玲红建国文斌宇浩凯晨欣怡佳琪子涵梓轩雨婷"
)
TRADITIONAL = {
    "张": "張",
    "刘": "劉",
    "陈": "陳",
    "杨": "楊",
    "黄": "黃",
    "赵": "趙",
    "吴": "吳",
    "郑": "鄭",
    "伟": "偉",
    "丽": "麗",
    "军": "軍",
    "艳": "艷",
    "娟": "娟",
    "涛": "濤",
    "华": "華",
    "兰": "蘭",
    "鹏": "鵬",
    "辉": "輝",
    "玲": "玲",
    "红": "紅",
    "国": "國",
    "斌": "斌",
    "浩": "浩",
    "凯": "凱",
    "欣": "欣",
    "婷": "婷",
    "苏": "蘇",
    "东": "東",
    "南": "南",
}
ADDRESSES_ZH = [
    ("江苏省", "苏州市", "工业园区"),
    ("江苏省", "南京市", "鼓楼区"),
    ("浙江省", "杭州市", "西湖区"),
    ("广东省", "东莞市", "长安镇"),
    ("上海市", "上海市", "浦东新区"),
    ("山东省", "青岛市", "黄岛区"),
]
ROADS_ZH = ["人民路", "中山路", "解放路", "长江路", "星湖街", "东环路", "建设大道", "金鸡湖大道"]
PERSON_ZH_COLUMNS = ["姓名", "出生日期", "手机", "身份证号", "地址"]


def _id_card(rng: random.Random, born: str) -> str:
    body = f"{rng.choice(['3205', '3201', '3301', '4419', '3101', '3702'])}{rng.randrange(10, 99)}{born}{rng.randrange(100, 999)}"
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return body + "10X98765432"[sum(int(c) * w for c, w in zip(body, weights, strict=True)) % 11]


def person_records_zh(
    rng: random.Random, n: int = 5000, share: float = 0.2
) -> tuple[list[list[str]], set[tuple[int, int]]]:
    """Chinese person records (a patient or employee master): many people share a common name, so
    the name alone never decides. Duplicates: a homophone or traditional form in the name, the
    phone with +86 or dashes, the birth date in another format, the ID number left empty, the
    address without province or with the street written differently."""
    base = []
    for _ in range(n):
        born = f"{rng.randrange(1950, 2005)}{rng.randrange(1, 13):02d}{rng.randrange(1, 29):02d}"
        province, city, district = rng.choice(ADDRESSES_ZH)
        name = rng.choice(SURNAMES_ZH) + "".join(rng.choice(GIVEN_ZH) for _ in range(rng.choice([1, 2])))
        base.append(
            [
                name,
                f"{born[:4]}-{born[4:6]}-{born[6:]}",
                f"1{rng.choice('3589')}{rng.randrange(10**8, 10**9)}",
                _id_card(rng, born),
                f"{province}{city}{district}{rng.choice(ROADS_ZH)}{rng.randrange(1, 999)}号",
            ]
        )
    rows = [list(r) for r in base]
    truth = set()
    for j in rng.sample(range(n), int(share * n)):
        r = list(base[j])
        for _ in range(rng.randrange(1, 4)):
            kind = rng.choice(["name", "phone", "date", "id", "address"])
            if kind == "name":
                r[0] = "".join(TRADITIONAL.get(c, c) for c in r[0]) if rng.random() < 0.5 else typo(r[0], rng)
            elif kind == "phone":
                p = r[2]
                r[2] = rng.choice([f"+86 {p}", f"{p[:3]}-{p[3:7]}-{p[7:]}", f"{p[:3]} {p[3:7]} {p[7:]}"])
            elif kind == "date" and r[1].count("-") == 2:
                y, m, d = r[1].split("-")
                r[1] = rng.choice([f"{y}/{int(m)}/{int(d)}", f"{y}年{int(m)}月{int(d)}日", f"{y}{m}{d}"])
            elif kind == "id":
                r[3] = ""
            else:
                r[4] = r[4].split("省", 1)[-1] if "省" in r[4] else r[4].replace("号", "")
        rows.append(r)
        truth.add((j + 1, len(rows)))
    return [PERSON_ZH_COLUMNS, *rows], truth


def run_person_zh_bench(services: Services, n: int = 5000, seed: int = 6) -> dict[str, Any]:
    table, truth = person_records_zh(random.Random(seed), n)
    found, seconds = _timed_dedupe(services, table, "人员.csv", "gb18030")
    rows = table[1:]
    return {
        "records": len(rows),
        "true_pairs": len(truth),
        "dedupe": {**_prf(found, truth), "seconds": round(seconds, 1)},
        "exact name + birth date (peer)": _prf(_exact(rows, [0, 1]), truth),
        "exact ID number": _prf(
            _exact([r if r[3] else [*r[:3], f"-{i}", r[4]] for i, r in enumerate(rows)], [3]), truth
        ),
    }


def format_bench(dep: list[dict[str, Any]], people: list[tuple[str, dict[str, Any]]]) -> str:
    lines = [
        "",
        "## Given dependencies, typos (the shape of the HoloClean hospital set)",
        "",
        "Denormalised tables where every row repeats its provider's / customer's and item's facts; about 4% of "
        "the cells carry a typo ('x' or a neighbouring key, a dropped or doubled character, a homophone in "
        "Chinese). Generated by `evals/migration_bench.py`. Cell-level precision / recall / F1; the peer is "
        "majority vote inside each given dependency.",
        "",
        "| table | rows | damaged cells | majority vote (peer) | dependencies given | dependencies + infer | infer only |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in dep:
        cells = [
            f"{r[m]['precision']} / {r[m]['recall']} / **{r[m]['f1']}**"
            for m in ("majority vote (peer)", "dependencies given", "dependencies + infer", "infer only")
        ]
        lines.append(f"| {r['table']} | {r['rows']:,} | {r['damaged_cells']} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "## Person records without an id (the shape of FEBRL), pairwise",
        "",
        "20% of the records come back with one to three edits (typos, a missing field, swapped names, a "
        "digit of the birth date changed, an abbreviated street; in Chinese a homophone or the traditional "
        "form of the name, the phone with +86 or dashes, another date format, no ID number, the address "
        "without its province). Every column is compared; nothing is configured.",
        "",
        "| records | method | precision | recall | F1 | seconds |",
        "|---|---|---|---|---|---|",
    ]
    for label, r in people:
        for name, m in r.items():
            if isinstance(m, dict):
                lines.append(
                    f"| {label} ({r['records']:,}) | {name} | {m['precision']} | {m['recall']} | **{m['f1']}** | "
                    f"{m.get('seconds', '')} |"
                )
    return "\n".join(lines) + "\n"
