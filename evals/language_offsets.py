"""The language offsets of the requirement type model (``assistant/data/language_offsets.json``).

For the configured embedding model: the mean English embedding minus the mean Chinese embedding of
the paragraphs of two real product manuals published in both languages (Apache DolphinScheduler and
Apache SeaTunnel, ``../shared/datasets/qa/*-{en,zh}/docs``). Only the 384 (or so) numbers of the
difference are written into the project, not the manuals.

The offset is estimated on manuals, not on requirements, and not on anything the classifier is
scored on. Each manual's offset is also reported alone, with the cosine between the two: if the two
products disagreed, the offset would be a property of one manual rather than of the language.

Texts of our own (the sample corpus, our interview statements) are deliberately not used: an offset
estimated on text we wrote moved our Chinese interview statements towards their English training
rows and cost Chinese ASVS (written by others) 11 points of SE (stop 28 note).

    ASSISTANT_EMBEDDING__PROVIDER=e5-multilingual python -m evals.language_offsets [--datasets DIR]
"""

from __future__ import annotations

import argparse
import json
import random
import re
from pathlib import Path
from typing import Any

import numpy as np

from assistant.services import build_services

PRODUCTS = ("dolphinscheduler", "seatunnel")
PARAGRAPHS = 800
OUT = Path(__file__).resolve().parent.parent / "assistant" / "data" / "language_offsets.json"


def paragraphs(folder: Path, n: int = PARAGRAPHS) -> list[str]:
    """Up to n prose paragraphs (20-400 characters; no code, tables, headings or markup) of a folder of
    Markdown files, a fixed random sample."""
    out = []
    for path in sorted(folder.rglob("*.md")):
        for para in re.split(r"\n\s*\n", path.read_text(encoding="utf-8", errors="replace")):
            text = re.sub(r"\s+", " ", para).strip()
            if 20 <= len(text) <= 400 and not text.startswith(("```", "|", "#", "!", "<")):
                out.append(text)
    random.Random(1).shuffle(out)
    return out[:n]


def compute(datasets: Path) -> dict[str, Any]:
    emb = build_services().embeddings

    def mean(texts: list[str]) -> np.ndarray:
        vectors = [np.asarray(v, dtype=np.float64) for v in emb.encode(texts)]
        return np.vstack(vectors).mean(axis=0)

    per: dict[str, np.ndarray] = {}
    counts: dict[str, dict[str, int]] = {}
    for product in PRODUCTS:
        en = paragraphs(datasets / "qa" / f"{product}-en" / "docs")
        zh = paragraphs(datasets / "qa" / f"{product}-zh" / "docs")
        if not en or not zh:
            raise SystemExit(f"no paragraphs under {datasets / 'qa'} for {product}")
        per[product] = mean(en) - mean(zh)
        counts[product] = {"en": len(en), "zh": len(zh)}
    a, b = (per[p] for p in PRODUCTS)
    offset = (a + b) / 2
    return {
        "model": emb.model_id,
        "offset": offset,
        "cosine_between_products": float(a @ b / np.linalg.norm(a) / np.linalg.norm(b)),
        "norm": float(np.linalg.norm(offset)),
        "paragraphs": counts,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--datasets", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "datasets"
    )
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args()
    r = compute(args.datasets)
    entries = json.loads(args.out.read_text(encoding="utf-8")) if args.out.exists() else {}
    entries[r["model"]] = {
        "source": "mean English minus mean Chinese paragraph embedding, Apache DolphinScheduler and "
        "Apache SeaTunnel manuals (evals/language_offsets.py)",
        "paragraphs": r["paragraphs"],
        "cosine_between_products": round(r["cosine_between_products"], 3),
        "offsets": {"zh": [round(float(v), 6) for v in r["offset"]]},
    }
    tmp = args.out.with_suffix(".tmp")
    tmp.write_text(json.dumps(entries, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    tmp.replace(args.out)
    print(
        f"{r['model']}: offset norm {r['norm']:.3f}, cosine between the two manuals' offsets "
        f"{r['cosine_between_products']:.3f}; written to {args.out}"
    )


if __name__ == "__main__":
    main()
