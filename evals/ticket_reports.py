"""Rebuild the triage and duplicate reports in evals/reports/ (deterministic 80/20 splits by id).

.venv/bin/python -m evals.ticket_reports [../shared/datasets/tickets/gitbugs-hadoop]
"""

from __future__ import annotations

import csv
import hashlib
import sys
import tempfile
from pathlib import Path

from assistant.services import Services, build_services
from assistant.settings import Settings
from evals.triage import format_duplicates, format_triage, run_duplicates_eval, run_triage_eval

ROOT = Path(__file__).resolve().parent.parent
REPORTS = ROOT / "evals" / "reports"
HADOOP_MAP = "id=Issue id,title=Summary,text=Summary+Description,priority=Priority,status=Status,resolution=Resolution,created=Created"
ZH_MAP = "id=工单号,title=标题,text=标题+描述,category=分类,priority=优先级,status=状态,resolution=处理结果,created=创建时间"


def split(path: Path, id_column: str, out: Path) -> tuple[Path, Path]:
    fields, rows = Services.read_table(path)
    parts: dict[str, list[dict[str, str]]] = {"train": [], "test": []}
    for r in rows:
        bucket = int(hashlib.md5(r[id_column].encode()).hexdigest(), 16) % 5
        parts["test" if bucket == 0 else "train"].append(r)
    paths = []
    for name in ("train", "test"):
        p = out / f"{path.stem}-{name}.csv"
        with p.open("w", encoding="utf-8", newline="") as f:
            w = csv.DictWriter(f, fieldnames=fields)
            w.writeheader()
            w.writerows(parts[name])
        paths.append(p)
    return paths[0], paths[1]


def main(hadoop: Path | None) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="ticket-reports-"))
    services = build_services(Settings(home=tmp / "home"))
    sections = ["# Ticket triage and duplicate detection", ""]
    zh = ROOT / "corpus" / "incidents" / "工单历史.csv"
    tr, te = split(zh, "工单号", tmp)
    for target in ("category", "priority"):
        r = run_triage_eval(services, tr, te, target, ZH_MAP, None)
        sections.append(format_triage(r).replace("# ", "## ", 1))
        print(target, r["macro_f1"], flush=True)
    d = run_duplicates_eval(services, zh, ROOT / "corpus" / "incidents" / "duplicates.csv", ZH_MAP, None, 5)
    sections.append(format_duplicates(d).replace("# ", "## ", 1))
    if hadoop and hadoop.exists():
        data = hadoop / "hadoop_bugs.csv"
        tr, te = split(data, "Issue id", tmp)
        r = run_triage_eval(services, tr, te, "priority", HADOOP_MAP, None)
        sections.append(format_triage(r).replace("# ", "## ", 1))
        print("hadoop priority", r["macro_f1"], flush=True)
        d = run_duplicates_eval(services, data, hadoop / "hadoop_bugs-train.csv", HADOOP_MAP, None, 5)
        sections.append(format_duplicates(d).replace("# ", "## ", 1))
        print("hadoop duplicates", d["recall@5"], flush=True)
    REPORTS.mkdir(parents=True, exist_ok=True)
    (REPORTS / "tickets.md").write_text("\n".join(sections), encoding="utf-8")
    print((REPORTS / "tickets.md").read_text())


if __name__ == "__main__":
    main(
        Path(sys.argv[1])
        if len(sys.argv) > 1
        else ROOT.parent / "shared" / "datasets" / "tickets" / "gitbugs-hadoop"
    )
