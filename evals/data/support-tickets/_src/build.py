"""Build the three support-ticket CSV exports from the hand-written ticket lists.

Source files (_src/*.txt), one ticket per line, fields separated by "||":
    分类代码||优先级代码||状态代码||标题||描述||处理结果[||时间]
优先级代码: H=高 M=中 L=低; 状态代码: C=已关闭 R=已解决 P=处理中 N=新建.
时间 (optional): "2027-03-14 09:22" (fixed) or "night" (random date, night hour).
Ticket ids and creation times are assigned here with a fixed seed, so the
output is reproducible.  Run:  python3 _src/build.py
"""
import collections
import csv
import datetime as dt
import os
import random
import re

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.dirname(HERE)
HEADER = ["工单号", "标题", "描述", "分类", "优先级", "状态", "处理结果", "创建时间"]
PRI = {"H": "高", "M": "中", "L": "低"}
ST = {"C": "已关闭", "R": "已解决", "P": "处理中", "N": "新建"}

COMPANIES = {
    "hospital-his": dict(
        prefix="HIS", first=118, seed=20270101, hours="his",
        cats={"GH": "挂号收费", "YZ": "医嘱病历", "YF": "药房药库", "ZY": "住院护理",
              "JY": "检验检查", "YB": "医保结算", "QX": "账号权限", "SB": "打印与设备"}),
    "auto-parts-mes": dict(
        prefix="MES", first=305, seed=20270102, hours="mes",
        skip=(dt.date(2027, 2, 5), dt.date(2027, 2, 13)),  # 春节停产
        cats={"BG": "生产报工", "ZJ": "质量检验", "CC": "仓储物流", "CG": "采购收货",
              "FH": "销售发货", "SB": "设备管理", "TM": "条码打印", "QX": "账号权限"}),
    "retail-wms": dict(
        prefix="RTL", first=1042, seed=20270103, hours="retail",
        cats={"SY": "门店收银", "HY": "会员营销", "JG": "商品价格", "CK": "仓库作业",
              "PS": "配送调度", "KC": "库存管理", "DZ": "财务对账", "QX": "账号权限"}),
}

MONTH_W = [0.27, 0.21, 0.17, 0.14, 0.11, 0.10]  # go-live at the turn of the year, tickets decay
FMT = "%Y-%m-%d %H:%M"


def pick_hour(rng, profile):
    if profile == "his":
        if rng.random() < 0.92:
            return rng.choices(range(7, 19), weights=[3, 9, 9, 8, 6, 3, 3, 6, 6, 5, 4, 2])[0]
        return rng.randrange(19, 22)  # 晚间; 夜班工单在源文件中标注 night
    if profile == "mes":
        r = rng.random()
        if r < 0.62:
            return rng.randrange(8, 18)
        if r < 0.85:
            return rng.randrange(18, 24)
        return rng.randrange(0, 8)
    # retail: stores 9-22, DC works evenings
    return rng.choices(range(8, 23), weights=[3, 7, 8, 8, 6, 5, 5, 5, 5, 5, 6, 7, 6, 4, 2])[0]


def pick_date(rng, lo=None, hi=None, skip=None):
    while True:
        if lo:
            d = lo + dt.timedelta(days=rng.randrange((hi - lo).days + 1))
        else:
            m = rng.choices(range(1, 7), weights=MONTH_W)[0]
            first = dt.date(2027, m, 1)
            nxt = dt.date(2027, m + 1, 1) if m < 12 else dt.date(2028, 1, 1)
            d = first + dt.timedelta(days=rng.randrange((nxt - first).days))
            if m == 1 and d.day < 3:
                continue
        if skip and skip[0] <= d <= skip[1]:
            continue
        return d


def load(name):
    rows = []
    with open(os.path.join(HERE, name + ".txt"), encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line.strip() or line.startswith("#"):
                continue
            parts = line.split("||")
            if len(parts) not in (6, 7):
                raise SystemExit(f"{name}.txt:{n}: expected 6 or 7 fields, got {len(parts)}")
            parts = [p.strip() for p in parts] + ([""] if len(parts) == 6 else [])
            rows.append((n, *parts))
    return rows


def build(name, cfg):
    rng = random.Random(cfg["seed"])
    out = []
    for n, cat, pri, st, title, desc, res, when in load(name):
        assert cat in cfg["cats"], (name, n, cat)
        assert pri in PRI and st in ST, (name, n)
        if st in "CR":
            assert res, f"{name}.txt:{n}: closed/resolved ticket without 处理结果"
        else:
            assert not res, f"{name}.txt:{n}: open ticket with 处理结果"
        if when and when != "night":
            t = dt.datetime.strptime(when, FMT)
        else:
            if st in "PN":
                d = pick_date(rng, dt.date(2027, 6, 14), dt.date(2027, 6, 30))
            elif st == "R":
                d = pick_date(rng, dt.date(2027, 5, 10), dt.date(2027, 6, 28))
            else:
                d = pick_date(rng, skip=cfg.get("skip"))
            h = rng.choice([22, 23, 0, 1, 2, 3, 4]) if when == "night" else pick_hour(rng, cfg["hours"])
            t = dt.datetime(d.year, d.month, d.day, h, rng.randrange(60))
        assert dt.datetime(2027, 1, 1) <= t < dt.datetime(2027, 7, 1), (name, n, t)
        out.append([t, title, desc, cfg["cats"][cat], PRI[pri], ST[st], res])
    out.sort(key=lambda r: r[0])
    num = cfg["first"]
    rows = []
    for t, title, desc, cat, pri, st, res in out:
        rows.append({"工单号": f"{cfg['prefix']}-{num:05d}", "标题": title, "描述": desc,
                     "分类": cat, "优先级": pri, "状态": st, "处理结果": res,
                     "创建时间": t.strftime(FMT)})
        num += rng.choice([1, 1, 1, 2, 2, 3])
    path = os.path.join(OUT, name + ".csv")
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=HEADER)
        w.writeheader()
        w.writerows(rows)
    return path


PRESSURE = re.compile(r"急|尽快|马上|立刻|立即|赶紧|快点|在线等|催|ASAP|asap|[Uu]rgent|URGENT|盡快|!|！")


def verify(path, cats):
    with open(path, encoding="utf-8", newline="") as f:
        r = csv.DictReader(f)
        assert r.fieldnames == HEADER, r.fieldnames
        rows = list(r)
    ids = [x["工单号"] for x in rows]
    assert len(ids) == len(set(ids)), "duplicate ids"
    assert len(rows) >= 110, len(rows)
    assert {x["优先级"] for x in rows} <= {"高", "中", "低"}
    assert {x["状态"] for x in rows} <= set(ST.values())
    assert {x["分类"] for x in rows} == set(cats.values())
    for x in rows:
        dt.datetime.strptime(x["创建时间"], FMT)
        assert (x["处理结果"] != "") == (x["状态"] in ("已关闭", "已解决")), x["工单号"]
    for col in ("标题", "描述"):
        c = collections.Counter(x[col] for x in rows)
        dup = [k for k, v in c.items() if v > 1]
        assert not dup, (col, dup)
    # no sentence (>= 10 chars) repeated across tickets
    sent = collections.Counter()
    for x in rows:
        for s in set(re.split(r"[。！？!?；;\n]", x["描述"])):
            s = s.strip(" ，,")
            if len(s) >= 10:
                sent[s] += 1
    rep = [s for s, v in sent.items() if v > 1]
    assert not rep, rep
    n = len(rows)
    pc = collections.Counter(x["优先级"] for x in rows)
    print(f"\n== {os.path.basename(path)}: {n} tickets")
    print("  优先级:", ", ".join(f"{k} {pc[k]} ({pc[k] / n:.0%})" for k in "高中低"))
    sc = collections.Counter(x["状态"] for x in rows)
    print("  状态:", ", ".join(f"{k} {sc[k]}" for k in ST.values()))
    cc = collections.Counter(x["分类"] for x in rows)
    print("  分类:", ", ".join(f"{k} {cc[k]}" for k in cats.values()))
    ct = collections.Counter(x["分类"] + "/" + x["优先级"] for x in rows)
    print("  分类x优先级:", "; ".join(
        f"{k} " + "/".join(str(ct[k + '/' + p]) for p in "高中低") for k in cats.values()), "(高/中/低)")
    press = collections.Counter(x["优先级"] for x in rows if PRESSURE.search(x["标题"] + x["描述"]))
    print("  含催促词或感叹号:", ", ".join(f"{k} {press[k]}/{pc[k]}" for k in "高中低"))
    eng = [x for x in rows if len(re.findall(r"[A-Za-z]", x["描述"])) > 0.5 * len(x["描述"])]
    print(f"  英文工单: {len(eng)} ({len(eng) / n:.0%})")
    months = collections.Counter(x["创建时间"][:7] for x in rows)
    print("  月份:", ", ".join(f"{k} {months[k]}" for k in sorted(months)))
    return n, pc, cc, len(eng)


if __name__ == "__main__":
    for name, cfg in COMPANIES.items():
        p = build(name, cfg)
        verify(p, cfg["cats"])
