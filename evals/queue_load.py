"""The ticket queue page with 50,000 tickets: how long support waits for it.

Builds a knowledge base holding 50,000 tickets — the sample history's 96 texts varied (ids, dates
over two years, priorities, categories, a third still open) and 500 opened from the help desk —
then times, each 20 times after one warm-up:

- the calls the page makes (the counts, the newest 2,000 matching tickets), with filters, and the
  API's full list (every ticket with its SLA due times);
- the whole page, rendered by Streamlit's test runner as a support agent signed in sees it
  (metrics, filters, the table, the newest ticket opened with its triage suggestions).

.venv/bin/python -m evals.queue_load [--tickets 50000]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from assistant.services import Services, build_services
from assistant.settings import Settings
from assistant.support.models import ImportReport

ROOT = Path(__file__).resolve().parent.parent
REPORTS = ROOT / "evals" / "reports"
ZH_MAP = "id=工单号,title=标题,text=标题+描述,category=分类,priority=优先级,status=状态,resolution=处理结果,created=创建时间"


def build(services: Services, kb: str, n: int) -> float:
    rng = random.Random(7)
    sample = services.support.read_records(ROOT / "corpus" / "incidents" / "工单历史.csv", ZH_MAP)
    start = datetime(2025, 1, 1, tzinfo=UTC)
    records = []
    for i in range(n - 500):
        base = sample[i % len(sample)]
        opened = start + timedelta(minutes=rng.randrange(0, 2 * 365 * 24 * 60))
        open_now = rng.random() < 0.33
        records.append(
            {
                "id": f"INC-{i:06d}",
                "title": f"{base['title']}（{i % 997}）",
                "text": f"{base['text']} 工位 {i % 311}，单号 SO-{i:07d}。",
                "category": base["category"],
                "priority": rng.choice(["高", "中", "中", "低"]),
                "status": "处理中" if open_now else "已关闭",
                "resolution": None if open_now else base["resolution"] or "已处理",
                "created": opened.strftime("%Y-%m-%d %H:%M"),
            }
        )
    t0 = time.perf_counter()
    services.kbs.get(kb, create=True)
    services.support.tickets.upsert(kb, records, "bench.csv", ImportReport(kb))
    for i in range(500):
        services.helpdesk.open_ticket(
            kb, f"第 {i} 个帮助台问题：{sample[i % len(sample)]['title']}", user=f"user-{i % 40}"
        )
    return time.perf_counter() - t0


def timed(fn: Any, runs: int = 20) -> dict[str, float]:
    fn()  # warm-up
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000)
    samples.sort()
    return {
        "p50_ms": round(statistics.median(samples), 1),
        "p95_ms": round(samples[min(len(samples) - 1, int(0.95 * len(samples)))], 1),
        "max_ms": round(samples[-1], 1),
    }


def page_runner(home: Path, key: str) -> Any:
    from streamlit.testing.v1 import AppTest

    os.environ["ASSISTANT_HOME"] = str(home)
    at = AppTest.from_file(str(ROOT / "ui" / "app.py"), default_timeout=300)
    at.session_state["lang"] = "中文"
    at.run()
    at.text_input(key="api_key").input(key)
    at.button[0].click().run()
    at.switch_page("pages/queue.py").run()
    if at.exception:
        raise RuntimeError(str(at.exception))

    def render() -> None:
        at.run()
        if at.exception:
            raise RuntimeError(str(at.exception))

    return render, at


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tickets", type=int, default=50_000)
    args = parser.parse_args()
    home = Path(os.environ.get("ASSISTANT_HOME") or tempfile.mkdtemp(prefix="queue-load-"))
    services = build_services(Settings(home=home))
    kb = "queue-bench"
    build_s = build(services, kb, args.tickets)
    print(f"built {args.tickets} tickets in {build_s:.1f} s", flush=True)
    key = services.keys.create("李娜", "support", [kb])[0]
    rows: dict[str, Any] = {}
    queue = services.ticket_work.queue
    rows["API list: every ticket with its SLA state and due times"] = timed(lambda: queue(kb))
    rows["page: counts (open tickets' SLA clocks, states, assignees)"] = timed(
        lambda: services.ticket_work.summary(kb)
    )
    rows["page: newest 2,000 tickets"] = timed(lambda: queue(kb, limit=2000, times=False))
    rows["page: filter status new"] = timed(lambda: queue(kb, status="new", limit=2000, times=False))
    rows["page: filter SLA breached"] = timed(lambda: queue(kb, sla="breached", limit=2000, times=False))
    rows["page: filter help-desk tickets"] = timed(
        lambda: queue(kb, source="helpdesk", limit=2000, times=False)
    )
    render, at = page_runner(home, key)
    rows["queue page, rendered (support agent)"] = timed(render)
    shown = at.caption[0].value if at.caption else ""
    lines = [
        "# Ticket queue load",
        "",
        f"{args.tickets:,} tickets in one knowledge base (the sample history varied; 500 opened from the help desk),",
        f"built in {build_s:.0f} s. Each figure: 20 runs after a warm-up, on this machine (2 cores).",
        f"The page showed: {shown}.",
        "",
        "| what | p50 ms | p95 ms | max ms |",
        "|---|---|---|---|",
    ]
    lines += [f"| {k} | {v['p50_ms']} | {v['p95_ms']} | {v['max_ms']} |" for k, v in rows.items()]
    lines.append("")
    REPORTS.mkdir(parents=True, exist_ok=True)
    (REPORTS / "queue-load.md").write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
