"""Are a spec's numbered requirements found as separate items? Ingest each PDF/DOCX of a spec and
compare the requirement ids in the chunk metadata with an official id list.

    .venv/bin/python -m evals.spec_ids ../shared/datasets/documents/owasp-asvs-4.0.3
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from assistant.services import Services, build_services
from assistant.settings import Settings

REPORT = Path(__file__).parent / "reports" / "spec-requirement-ids.md"


def norm(rid: str) -> str:
    return rid.upper().lstrip("V")


def main(folder: Path) -> None:
    services = build_services(Settings(home=Path(tempfile.mkdtemp(prefix="specids-"))))
    lines = [
        "# Spec requirement ids found as items",
        "",
        "Each file ingested on its own; an id counts as found when a chunk's `req_ids` metadata holds it.",
        "",
        "| file | ids in the official list | found | share | chunks | ingest s |",
        "|---|---|---|---|---|---|",
    ]
    for lang in ("en", "zh-cn"):
        official = [r["req_id"] for r in Services.read_table(folder / f"requirements-V1-V7-{lang}.csv")[1]]
        wanted = {norm(r) for r in official}
        for ext in ("pdf", "docx"):
            path = folder / f"asvs-4.0.3-{lang}.{ext}"
            kb = f"ids-{lang}-{ext}"
            t = time.perf_counter()
            report = services.ingest(kb, [path])
            secs = time.perf_counter() - t
            base = services.kbs.get(kb)
            found = {norm(i) for i in base.requirement_ids()}
            hit = wanted & found
            lines.append(
                f"| {path.name} | {len(wanted)} | {len(hit)} | {len(hit) / len(wanted):.3f} | {base.chunk_count()} | "
                f"{secs:.0f} |"
            )
            missing = sorted(wanted - found)[:15]
            print(
                path.name,
                len(hit),
                "/",
                len(wanted),
                "failed" if report.failed else "",
                "missing e.g.",
                missing,
                flush=True,
            )
    REPORT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(REPORT.read_text())


if __name__ == "__main__":
    main(Path(sys.argv[1]))
