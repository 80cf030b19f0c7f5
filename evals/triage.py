"""Triage and duplicate-detection benchmarks on ticket exports."""

from __future__ import annotations

import csv
import io
import re
import time
import uuid
from pathlib import Path
from typing import Any

from assistant.errors import InvalidInput
from assistant.services import Services
from assistant.support.models import incident_id


def run_triage_eval(
    services: Services, train: Path, test: Path, target: str, spec: str | None, preset: str | None
) -> dict[str, Any]:
    from sklearn.metrics import classification_report, f1_score

    desk = services.support
    tr = [r for r in desk.read_records(train, spec, preset) if (r.get(target) or "").strip()]
    te = [r for r in desk.read_records(test, spec, preset) if (r.get(target) or "").strip()]
    if not te:
        raise InvalidInput(f"the test file has no rows with a '{target}'")
    t0 = time.perf_counter()
    x_tr = [desk.ticket_text(r["title"], r["text"]) for r in tr]
    x_te = [desk.ticket_text(r["title"], r["text"]) for r in te]
    model = desk.fit_model(x_tr, [r[target].strip() for r in tr], target)
    train_s = time.perf_counter() - t0
    pred = desk.predict(model, x_te)
    truth = [r[target].strip() for r in te]
    labels = sorted(set(truth) | set(pred))
    per_class = dict(zip(labels, f1_score(truth, pred, average=None, labels=labels), strict=True))
    return {
        "train": train.name,
        "test": test.name,
        "target": target,
        "train_rows": len(tr),
        "test_rows": len(te),
        "macro_f1": round(float(f1_score(truth, pred, average="macro")), 3),
        "accuracy": round(sum(a == b for a, b in zip(truth, pred, strict=True)) / len(te), 3),
        "per_class_f1": {k: round(float(v), 3) for k, v in per_class.items()},
        "support": {k: truth.count(k) for k in labels},
        "train_seconds": round(train_s, 1),
        "report": classification_report(truth, pred, zero_division=0),
    }


def format_triage(r: dict[str, Any]) -> str:
    lines = [
        f"# Triage: {r['target']} ({r['train']} -> {r['test']})",
        "",
        f"macro-F1 **{r['macro_f1']}**, accuracy {r['accuracy']}, {r['train_rows']} training / {r['test_rows']} "
        f"test rows, trained in {r['train_seconds']} s",
        "",
        "| label | F1 | test rows |",
        "|---|---|---|",
    ]
    lines += [f"| {k} | {v} | {r['support'][k]} |" for k, v in r["per_class_f1"].items()]
    return "\n".join(lines) + "\n"


def _pairs(path: Path) -> list[tuple[str, list[str]]]:
    text = Services.read_text(path)
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        raise InvalidInput(f"{path.name} is empty")
    start = 1 if not re.search(r"\d", rows[0][0] if rows[0] else "") else 0
    out = []
    for row in rows[start:]:
        if len(row) < 2 or not row[0].strip():
            continue
        dups = [d for d in re.split(r"[,;\s]+", " ".join(row[1:])) if d]
        if dups:
            out.append((row[0].strip(), dups))
    return out


def run_duplicates_eval(
    services: Services, history: Path, pairs: Path, spec: str | None, preset: str | None, k: int = 5
) -> dict[str, Any]:
    kb = f"eval-dups-{uuid.uuid4().hex[:8]}"
    try:
        t0 = time.perf_counter()
        report = services.support.import_file(kb, history, spec, preset)
        import_s = time.perf_counter() - t0
        store = services.support.tickets
        searcher = services.searcher(kb)
        known = {r["id"] for r in store.all(kb)}
        hits = total = 0
        latencies = []
        misses = []
        for issue, dups in _pairs(pairs):
            targets = [d for d in dups if d in known]
            if issue not in known or not targets:
                continue
            t = store.get(kb, issue)
            q = services.support.ticket_text(t["title"], t["text"])[:3000]
            t1 = time.perf_counter()
            found = [incident_id(h.chunk.source) for h in searcher.search(q, k + 1, doc_types=["incident"])]
            latencies.append((time.perf_counter() - t1) * 1000)
            found = [f for f in found if f != issue][:k]
            total += 1
            if set(found) & set(targets):
                hits += 1
            else:
                misses.append(issue)
        return {
            "history": history.name,
            "pairs": pairs.name,
            "k": k,
            "evaluated_pairs": total,
            f"recall@{k}": round(hits / total, 3) if total else 0.0,
            "imported": report.added + report.updated,
            "import_seconds": round(import_s, 1),
            "search_p50_ms": round(sorted(latencies)[len(latencies) // 2], 1) if latencies else 0.0,
            "misses": misses,
        }
    finally:
        if services.kbs.exists(kb):
            services.delete_kb(kb)


def format_duplicates(r: dict[str, Any]) -> str:
    k = r["k"]
    return (
        f"# Duplicates: {r['history']} with {r['pairs']}\n\n"
        f"recall@{k} **{r[f'recall@{k}']}** over {r['evaluated_pairs']} known pairs; {r['imported']} incidents "
        f"imported and indexed in {r['import_seconds']} s; search p50 {r['search_p50_ms']} ms.\n"
    )
