"""Scale of the migration workbench on this machine: ``profile`` and ``check --infer`` of a generated
N-row, 20-column CSV (the supplier, material and customer columns of ``evals/migration.py`` side
by side plus four more, 1% of the cells damaged), and ``dedupe`` of M person records (FEBRL-shaped,
``evals/migration_bench.py``). Reports wall time and the process's peak resident memory after each
step (peak memory only grows, so each figure is the peak so far)."""

from __future__ import annotations

import csv
import random
import resource
import tempfile
import time
from pathlib import Path
from typing import Any

from assistant.services import Services
from evals.migration import clean_tables, damage
from evals.migration_bench import PERSON_COLUMNS, _pairs, _prf, person_records

EXTRA = ["order_date", "amount", "warehouse", "remark"]


def _peak_mb() -> int:
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def wide_csv(path: Path, rows: int, seed: int = 3, block: int = 20_000) -> list[str]:
    """Write *rows* rows of 20 columns, generated in blocks so memory stays flat."""
    rng = random.Random(seed)
    header: list[str] = []
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        done = 0
        while done < rows:
            n = min(block, rows - done)
            tables = clean_tables(rng, n)
            cols = [t for t in tables.values()]
            if not header:
                header = [f"{name}_{c}" for name, (h, _) in tables.items() for c in h] + EXTRA
                writer.writerow(header)
            for i in range(n):
                row = [v for h, body in cols for v in body[i]]
                row += [
                    f"2025-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}",
                    f"{rng.randrange(1, 99999)}.{rng.randrange(0, 99):02d}",
                    rng.choice(["WH01", "WH02", "WH03", "WH10"]),
                    rng.choice(["", "加急", "客户自提", "分批发货"]),
                ]
                if rng.random() < 0.2:  # about 1% of the cells: one damaged cell in a fifth of the rows
                    j = rng.randrange(len(row))
                    kind = rng.choice(["typo", "format_drift", "missing", "encoding"])
                    if row[j]:
                        try:
                            row[j] = damage(row[j], kind, rng)
                        except (ValueError, IndexError):
                            pass
                writer.writerow(row)
            done += n
    return header


def run_scale(services: Services, rows: int = 1_000_000, records: int = 100_000) -> dict[str, Any]:
    out: dict[str, Any] = {"rows": rows, "records": records}
    with tempfile.TemporaryDirectory(prefix="migration-scale-") as tmp:
        path = Path(tmp) / "wide.csv"
        t0 = time.perf_counter()
        header = wide_csv(path, rows)
        out["columns"] = len(header)
        out["file_mb"] = round(path.stat().st_size / 2**20)
        out["generate_s"] = round(time.perf_counter() - t0, 1)
        t0 = time.perf_counter()
        services.migration.profile(path)
        out["profile"] = {"seconds": round(time.perf_counter() - t0, 1), "peak_mb": _peak_mb()}
        t0 = time.perf_counter()
        report = services.migration.check(path, None, True)
        out["check_infer"] = {
            "seconds": round(time.perf_counter() - t0, 1),
            "peak_mb": _peak_mb(),
            "findings": len(report.findings),
        }
        del report
        rng = random.Random(5)
        table, truth = person_records(rng, int(records / 1.2))
        people = Path(tmp) / "people.csv"
        with people.open("w", encoding="utf-8", newline="") as f:
            csv.writer(f).writerows(table)
        t0 = time.perf_counter()
        result = services.migration.dedupe(people, PERSON_COLUMNS)
        out["dedupe"] = {
            "records": len(table) - 1,
            "seconds": round(time.perf_counter() - t0, 1),
            "peak_mb": _peak_mb(),
            **_prf(_pairs([c["rows"] for c in result["clusters"]]), truth),
        }
    return out


def format_scale(r: dict[str, Any]) -> str:
    return "\n".join(
        [
            "# Data migration at scale (this machine: 2 cores)",
            "",
            "Produced by `assistant eval migration-scale` (evals/migration_scale.py).",
            "",
            "| step | input | seconds | peak memory (MB, process so far) | result |",
            "|---|---|---|---|---|",
            f"| profile | {r['rows']:,} rows × {r['columns']} columns ({r['file_mb']} MB CSV) | "
            f"{r['profile']['seconds']} | {r['profile']['peak_mb']} | |",
            f"| check --infer | same file | {r['check_infer']['seconds']} | {r['check_infer']['peak_mb']} | "
            f"{r['check_infer']['findings']:,} findings |",
            f"| dedupe (9 fields, no id) | {r['dedupe']['records']:,} person records | {r['dedupe']['seconds']} | "
            f"{r['dedupe']['peak_mb']} | pairwise P {r['dedupe']['precision']} R {r['dedupe']['recall']} "
            f"F1 {r['dedupe']['f1']} |",
            "",
            "Targets of the issue: check under 60 s and 2 GB; dedupe of 100,000 records under 5 minutes.",
            "",
        ]
    )
