"""Shared writer for the synthetic issue-report CSVs (one CSV per fictional project)."""
import csv
import os
import random

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.dirname(HERE)
LABELS = ("bug", "feature", "question")
FIELDS = ["id", "title", "body", "label"]


def write(slug, issues, first=1, seed=0, max_gap=30):
    """issues: list of (label, title, body). Ids get increasing, gapped issue numbers."""
    rnd = random.Random(seed)
    n = first
    rows = []
    for label, title, body in issues:
        assert label in LABELS, (slug, title, label)
        body = body.strip("\n")
        assert len(body) <= 1200, (slug, title, len(body))
        rows.append({"id": f"{slug}-{n}", "title": title.strip(), "body": body, "label": label})
        n += rnd.randint(1, max_gap)
    path = os.path.join(OUT, slug + ".csv")
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=FIELDS, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    print(f"wrote {path}: {len(rows)} rows")
