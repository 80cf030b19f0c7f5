"""20 concurrent clients against 2 API processes in server mode, on one knowledge base of 100,000
chunks (the generated corpus of evals/scale.py, hashing stand-in embedding so that the index and the
servers are measured, not the model).

Start PostgreSQL and a Chroma server first, then:

    ASSISTANT_DATABASE__URL=postgresql://... ASSISTANT_VECTOR_STORE__HOST=127.0.0.1 \\
    ASSISTANT_VECTOR_STORE__PORT=8001 .venv/bin/python -m evals.load_scale

Writes ``evals/reports/load-scale-server.md``.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from evals.load import format_report, run_load_eval
from evals.scale import QA, SETS, write_corpus

REPORT = Path(__file__).parent / "reports" / "load-scale-server.md"


def main() -> None:
    env = {
        k: os.environ[k]
        for k in ("ASSISTANT_DATABASE__URL", "ASSISTANT_VECTOR_STORE__HOST", "ASSISTANT_VECTOR_STORE__PORT")
        if k in os.environ
    }
    if "ASSISTANT_DATABASE__URL" not in env or "ASSISTANT_VECTOR_STORE__HOST" not in env:
        raise SystemExit("set ASSISTANT_DATABASE__URL and ASSISTANT_VECTOR_STORE__HOST/PORT (server mode)")
    env["ASSISTANT_EMBEDDING__PROVIDER"] = "fake"
    docs = Path(tempfile.mkdtemp(prefix="load-scale-")) / "docs"
    docs.mkdir()
    files = write_corpus(docs, 100_000)
    questions = [
        json.loads(line)["question"]
        for name in SETS
        for line in (QA / name / "questions.jsonl").read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    result = run_load_eval(
        levels=(1, 20),
        requests_per_level=200,
        log=lambda m: print(m, flush=True),
        server_env=env,
        processes=2,
        docs=[docs],
        questions=questions,
        label=f"100,000 chunks ({files:,} generated files, evals/scale.py), hashing embedding",
    )
    text = format_report(result)
    REPORT.write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
