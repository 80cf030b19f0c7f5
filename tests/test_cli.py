"""The CLI contract other tools depend on: arguments, JSON shapes, exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT


def run_process(
    home: Path, cache: Path, *args: str, stdin: str | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """The command as users run it: a new ``python -m assistant.cli`` process (about 5 s each)."""
    env = {**os.environ, "ASSISTANT_HOME": str(home), "ASSISTANT_MODEL_CACHE": str(cache), **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "assistant.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        input=stdin,
    )


def run(
    home: Path, cache: Path, *args: str, stdin: str | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """The command on the same Typer app in this process (Typer's CliRunner): the same arguments,
    output streams and exit codes as ``run_process`` without starting Python again. An exception the
    command does not turn into a message fails the test (a user would have seen a traceback)."""
    from typer.testing import CliRunner

    from assistant.cli import app

    env = {"ASSISTANT_HOME": str(home), "ASSISTANT_MODEL_CACHE": str(cache), **(env or {})}
    result = CliRunner().invoke(app, list(args), input=stdin, env=env)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return subprocess.CompletedProcess(list(args), result.exit_code, result.stdout, result.stderr)


@pytest.fixture(scope="module")
def kb_home(tmp_path_factory: pytest.TempPathFactory, model_cache: Path, real_embeddings) -> Path:  # type: ignore[no-untyped-def]
    home = tmp_path_factory.mktemp("clihome")
    out = run_process(home, model_cache, "ingest", str(ROOT / "corpus"), "--kb", "demo", "--json")
    assert out.returncode == 0, out.stderr
    return home


def test_ingest_json_report(kb_home: Path, model_cache: Path) -> None:
    out = run(kb_home, model_cache, "ingest", str(ROOT / "corpus"), "--kb", "demo", "--json")
    assert out.returncode == 0
    report = json.loads(out.stdout)
    assert report["kb"] == "demo" and report["ok"] is True
    assert report["counts"] == {"unchanged": 6, "skipped": 2}  # the incident CSVs are data, not documents
    assert {f["source"] for f in report["files"]} >= {
        "manuals/用户操作手册.pdf",
        "specs/需求规格说明书-采购与库存.docx",
    }
    assert set(report["files"][0]) >= {"path", "source", "status", "chunks", "reason"}


def test_ingest_exits_nonzero_after_finishing_the_rest(tmp_path: Path, model_cache: Path) -> None:
    (tmp_path / "ok.md").write_text("# Ok\n\nfine text\n")
    (tmp_path / "bad.pdf").write_bytes(b"%PDF broken")
    # the data directory sits inside the ingested folder: it must not be ingested itself
    out = run(tmp_path / "home", model_cache, "ingest", str(tmp_path), "--kb", "x", "--json")
    assert out.returncode == 1
    report = json.loads(out.stdout)
    statuses = {f["source"]: f["status"] for f in report["files"]}
    assert statuses == {"ok.md": "added", "bad.pdf": "failed"}
    text = run(tmp_path / "home", model_cache, "ingest", str(tmp_path), "--kb", "x")
    assert text.returncode == 1 and "failed" in text.stdout and "bad.pdf" in text.stdout


def test_search_json_shape(kb_home: Path, model_cache: Path) -> None:
    out = run(kb_home, model_cache, "search", "如何重置密码", "--kb", "demo", "-k", "3", "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert len(data["results"]) == 3
    r = data["results"][0]
    assert set(r) >= {"source", "page", "section", "score", "text"}
    assert r["source"] in {"faq/常见问题.html", "manuals/用户操作手册.pdf"}


def test_search_text_output(kb_home: Path, model_cache: Path) -> None:
    out = run(kb_home, model_cache, "search", "approval rules", "--kb", "demo", "--type", "manual")
    assert out.returncode == 0 and out.stdout.startswith("[1] manuals/")


def test_batch_search_contract(kb_home: Path, model_cache: Path, tmp_path: Path) -> None:
    batch = tmp_path / "q.jsonl"
    batch.write_text(
        "\n".join(
            json.dumps(q, ensure_ascii=False)
            for q in [
                {"id": "q1", "question": "盘点期间能否发料"},
                {"id": 2, "question": "Who approves 60,000 CNY?"},
                {"id": "q3", "question": "月末结账"},
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    out = run(kb_home, model_cache, "search", "--kb", "demo", "--batch", str(batch), "-k", "10", "--json")
    assert out.returncode == 0, out.stderr
    lines = [json.loads(line) for line in out.stdout.splitlines()]
    assert [line["id"] for line in lines] == ["q1", 2, "q3"]
    for line in lines:
        assert 1 <= len(line["results"]) <= 10
        assert set(line["results"][0]) == {"source", "page", "section", "score", "text"}


def test_batch_search_bad_lines(kb_home: Path, model_cache: Path, tmp_path: Path) -> None:
    batch = tmp_path / "bad.jsonl"
    batch.write_text('{"id": 1, "question": "审批"}\nnot json\n{"id": 3}\n', encoding="utf-8")
    out = run(kb_home, model_cache, "search", "--kb", "demo", "--batch", str(batch), "--json")
    assert out.returncode == 1
    lines = [json.loads(line) for line in out.stdout.splitlines()]
    assert len(lines) == 3 and lines[0]["results"] and "error" in lines[1] and "error" in lines[2]
    assert lines[2]["id"] == 3


def test_kb_list_stats_delete(kb_home: Path, model_cache: Path) -> None:
    listed = json.loads(run(kb_home, model_cache, "kb", "list", "--json").stdout)
    assert [k["name"] for k in listed] == ["demo"] and listed[0]["documents"] == 6
    stats = json.loads(run(kb_home, model_cache, "kb", "stats", "--kb", "demo", "--json").stdout)
    assert stats["chunks"] == stats["vectors"] > 0 and stats["documents_by_type"]["faq"] == 2
    tmp_kb = run(kb_home, model_cache, "ingest", str(ROOT / "corpus" / "faq"), "--kb", "temp", "--json")
    assert tmp_kb.returncode == 0
    assert run(kb_home, model_cache, "kb", "delete", "--kb", "temp", "--yes").returncode == 0
    assert run(kb_home, model_cache, "kb", "stats", "--kb", "temp").returncode == 1


@pytest.mark.parametrize(
    "args, code, message",
    [
        (["search", "x", "--kb", "nope"], 1, "does not exist"),
        (["search", "   ", "--kb", "demo"], 2, "empty"),
        (["search", "x", "--kb", "demo", "--type", "brochure"], 2, "unknown document type"),
        (["search", "--kb", "demo"], 2, "QUERY or --batch"),
        (["search", "x", "--kb", "a/b"], 2, "may not contain"),
        (["search", "x", "--kb", "demo", "-k", "0"], 2, ""),
        (["ingest", "/no/such/path", "--kb", "demo", "--json"], 1, ""),
        (["ingest", str(ROOT / "corpus"), "--kb", "demo", "--type", "poster"], 2, "unknown document type"),
    ],
)
def test_bad_arguments(kb_home: Path, model_cache: Path, args: list[str], code: int, message: str) -> None:
    out = run(kb_home, model_cache, *args)
    assert out.returncode == code, (out.stdout, out.stderr)
    assert message in out.stderr + out.stdout
    assert "Traceback" not in out.stderr


def test_the_installed_entry_point_keeps_the_contract(kb_home: Path, model_cache: Path) -> None:
    """The other tests call the Typer app in-process; here the real process: exit codes, JSON on
    stdout, messages on stderr."""
    usage = run_process(kb_home, model_cache, "search", "x", "--kb", "demo", "--type", "brochure")
    assert usage.returncode == 2 and "unknown document type" in usage.stderr and not usage.stdout
    missing = run_process(kb_home, model_cache, "kb", "stats", "--kb", "nope")
    assert missing.returncode == 1 and "does not exist" in missing.stderr
    assert "Traceback" not in usage.stderr + missing.stderr
    found = run_process(kb_home, model_cache, "search", "盘点", "--kb", "demo", "-k", "2", "--json")
    assert found.returncode == 0 and len(json.loads(found.stdout)["results"]) == 2


def test_ask_json_contract_and_follow_up(kb_home: Path, model_cache: Path) -> None:
    out = run(kb_home, model_cache, "ask", "采购申请怎么创建？", "--kb", "demo", "--json")
    assert out.returncode == 0, out.stderr
    a = json.loads(out.stdout)
    assert {"answer", "citations", "found", "conversation_id"} <= set(a)
    assert a["found"] is True and a["citations"]
    assert set(a["citations"][0]) == {
        "n",
        "source",
        "page",
        "section",
        "snippet",
        "kind",
        "matched",
        "chunk_id",
    }
    follow = json.loads(
        run(
            kb_home,
            model_cache,
            "ask",
            "那第二步呢？",
            "--kb",
            "demo",
            "--conversation",
            a["conversation_id"],
            "--json",
        ).stdout
    )
    assert follow["conversation_id"] == a["conversation_id"] and follow["citations"][0]["snippet"].startswith(
        "2. "
    )
    text = run(kb_home, model_cache, "ask", "Who approves a requisition of 60,000 CNY?", "--kb", "demo")
    assert text.returncode == 0 and "[1] " in text.stdout


def test_feedback_gaps_and_tickets_cli(kb_home: Path, model_cache: Path) -> None:
    a = json.loads(
        run(
            kb_home, model_cache, "ask", "How do I configure payroll tax brackets?", "--kb", "demo", "--json"
        ).stdout
    )
    assert a["found"] is False
    assert (
        run(
            kb_home, model_cache, "feedback", a["message_id"], "down", "--comment", "no payroll docs"
        ).returncode
        == 0
    )
    assert run(kb_home, model_cache, "feedback", a["message_id"], "sideways").returncode == 2
    gaps = json.loads(run(kb_home, model_cache, "report", "gaps", "--kb", "demo", "--json").stdout)
    assert any("payroll" in g["topic"] for g in gaps), gaps
    t = run(
        kb_home,
        model_cache,
        "tickets",
        "open",
        "How do I configure payroll tax brackets?",
        "--kb",
        "demo",
        "--conversation",
        a["conversation_id"],
    )
    assert t.returncode == 0 and "HD-" in t.stdout


def test_keys_cli_and_serve(kb_home: Path, model_cache: Path) -> None:
    import socket
    import time
    import urllib.request

    created = run(
        kb_home, model_cache, "keys", "create", "--name", "desk", "--role", "end_user", "--kb", "demo"
    )
    assert created.returncode == 0 and created.stdout.strip().startswith("ak_")
    secret = created.stdout.strip()
    assert (
        run(
            kb_home, model_cache, "keys", "create", "--name", "x", "--role", "boss", "--kb", "demo"
        ).returncode
        == 2
    )
    assert run(kb_home, model_cache, "keys", "create", "--name", "x", "--role", "admin").returncode == 2
    listed = json.loads(run(kb_home, model_cache, "keys", "list", "--json").stdout)
    assert any(k["name"] == "desk" for k in listed) and secret not in json.dumps(listed)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "ASSISTANT_HOME": str(kb_home), "ASSISTANT_MODEL_CACHE": str(model_cache)}
    server = subprocess.Popen(
        [sys.executable, "-m", "assistant.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        body = None
        for _ in range(60):
            try:
                req = urllib.request.Request(
                    f"http://127.0.0.1:{port}/v1/ask",
                    method="POST",
                    data=json.dumps({"kb": "demo", "question": "盘点期间能否发料？"}).encode(),
                    headers={"Authorization": f"Bearer {secret}", "Content-Type": "application/json"},
                )
                body = json.loads(urllib.request.urlopen(req, timeout=30).read())
                break
            except OSError:
                time.sleep(0.5)
        assert body and body["found"] and body["citations"]
    finally:
        server.terminate()
        server.wait(timeout=10)
    key_id = next(k["id"] for k in listed if k["name"] == "desk")
    assert run(kb_home, model_cache, "keys", "revoke", key_id).returncode == 0
    assert run(kb_home, model_cache, "keys", "revoke", key_id).returncode == 1


def test_tickets_and_triage_cli(kb_home: Path, model_cache: Path, tmp_path: Path) -> None:
    zh_map = "id=工单号,title=标题,text=标题+描述,category=分类,priority=优先级,status=状态,resolution=处理结果,created=创建时间"
    csv_path = str(ROOT / "corpus" / "incidents" / "工单历史.csv")
    out = run(kb_home, model_cache, "tickets", "import", csv_path, "--kb", "demo", "--map", zh_map, "--json")
    assert out.returncode == 0, out.stderr
    rep = json.loads(out.stdout)
    assert rep["rows"] == 96 and rep["added"] + rep["unchanged"] == 96
    bad = run(
        kb_home, model_cache, "tickets", "import", csv_path, "--kb", "demo", "--map", "id=Nope,text=标题"
    )
    assert bad.returncode == 2 and "not found" in bad.stderr
    trained = run(kb_home, model_cache, "triage", "train", "--kb", "demo", "--target", "category", "--json")
    assert trained.returncode == 0, trained.stderr
    assert json.loads(trained.stdout)[0]["target"] == "category"
    one = json.loads(
        run(kb_home, model_cache, "triage", "月结检查提示外币未评估", "--kb", "demo", "--json").stdout
    )
    assert one["predictions"]["category"]["predicted"] == "财务" and len(one["similar"]) == 5
    batch = tmp_path / "b.csv"
    batch.write_text("title,body\n登录不了,账号被锁定\n导出不全,Excel 只有一半数据\n", encoding="utf-8")
    lines = run(
        kb_home,
        model_cache,
        "triage",
        "--kb",
        "demo",
        "--batch",
        str(batch),
        "--text",
        "title+body",
        "--json",
    )
    assert lines.returncode == 0, lines.stderr
    parsed = [json.loads(x) for x in lines.stdout.splitlines()]
    assert [p["row"] for p in parsed] == [1, 2] and set(parsed[0]) == {"row", "predictions", "similar"}
    assert (
        run(kb_home, model_cache, "triage", "--kb", "demo", "--batch", str(batch), "--json").returncode == 2
    )
    faq = run(kb_home, model_cache, "faq", "suggest", "--kb", "demo", "--json")
    assert faq.returncode == 0 and json.loads(faq.stdout)


def test_interview_and_spec_cli(kb_home: Path, model_cache: Path, tmp_path: Path) -> None:
    sid = run(
        kb_home,
        model_cache,
        "interview",
        "new",
        "--project",
        "凤凰项目",
        "--module",
        "inventory",
        "--interviewee",
        "张伟|仓库主管|仓储部",
        "--kb",
        "demo",
        "--date",
        "2026-11-20",
    ).stdout.strip()
    assert sid.startswith("S-")
    transcript = str(ROOT / "tests" / "data" / "interview-zh.txt")
    assert run(kb_home, model_cache, "interview", "add", sid, transcript).returncode == 0
    assert (
        run(
            kb_home, model_cache, "interview", "add", sid, "--text", "王总：月结必须在 3 个工作日内完成。"
        ).returncode
        == 0
    )
    out = run(kb_home, model_cache, "interview", "extract", "--session", sid, "--json")
    assert out.returncode == 0, out.stderr
    items = json.loads(out.stdout)
    assert any(r["turn"] == "T5" for r in items["requirements"])
    standalone = json.loads(run(kb_home, model_cache, "interview", "extract", transcript, "--json").stdout)
    turns = {t["ref"]: t["text"] for t in standalone["turns"]}
    assert all(r["quote"] in turns[r["turn"]] for r in standalone["requirements"])
    # a transcript file is typed by the same classifier as a stored session
    typed = {r["quote"]: r["type"] for r in items["requirements"]}
    shared = [r for r in standalone["requirements"] if r["quote"] in typed]
    assert shared and all(r["type"] == typed[r["quote"]] for r in shared)
    assert standalone["summary"]["types"] == items["summary"]["types"] == "model"
    edited = run(kb_home, model_cache, "interview", "edit", sid, "R1", "--priority", "Should")
    assert edited.returncode == 0 and "Should" in edited.stdout
    assert run(kb_home, model_cache, "interview", "edit", sid, "R1", "--priority", "Later").returncode == 2
    guide = json.loads(
        run(
            kb_home, model_cache, "interview", "guide", "--module", "inventory", "--session", sid, "--json"
        ).stdout
    )
    assert guide["uncovered"]
    drafted = run(kb_home, model_cache, "spec", "draft", "--session", sid, "--out", str(tmp_path))
    assert drafted.returncode == 0, drafted.stderr
    md = (tmp_path / f"spec-{sid}.md").read_text(encoding="utf-8")
    assert (
        "需求规格说明书" in md and "| R1 |" in md and (tmp_path / f"spec-{sid}.docx").stat().st_size > 10000
    )
    assert run(kb_home, model_cache, "interview", "extract", "--json").returncode == 2
    assert run(kb_home, model_cache, "spec", "draft", "--session", "S-nope").returncode == 1


def test_change_request_cli(kb_home: Path, model_cache: Path, tmp_path: Path) -> None:
    out = run(
        kb_home,
        model_cache,
        "cr",
        "draft",
        "盘点期间希望允许紧急发料，因为车间会停线。",
        "--kb",
        "demo",
        "--as",
        "李娜",
        "--json",
    )
    assert out.returncode == 0, out.stderr
    cid = json.loads(out.stdout)["id"]
    steps = [
        ("submit", "李娜", "requester"),
        ("review", "王顾问", "consultant"),
        ("approve", "赵总", "ccb"),
        ("approve", "钱经理", "ccb"),
        ("implement", "王顾问", "consultant"),
    ]
    for action, who, role in steps:
        r = run(kb_home, model_cache, "cr", action, cid, "--as", who, "--role", role, "--comment", action)
        assert r.returncode == 0, r.stderr
    assert "implemented" in r.stdout
    bad = run(kb_home, model_cache, "cr", "withdraw", cid, "--as", "李娜", "--role", "requester")
    assert bad.returncode == 1 and "legal now: close" in bad.stderr
    assert run(kb_home, model_cache, "cr", "approve", cid, "--as", "x", "--role", "boss").returncode == 2
    shown = json.loads(run(kb_home, model_cache, "cr", "show", cid, "--json").stdout)
    assert [a["action"] for a in shown["audit"]] == [
        "create",
        "submit",
        "review",
        "approve",
        "approve",
        "implement",
    ]
    report = json.loads(run(kb_home, model_cache, "cr", "report", "--kb", "demo", "--json").stdout)
    assert report["effort_added_days"] > 0
    exported = run(kb_home, model_cache, "cr", "export", cid, "--out", str(tmp_path))
    assert exported.returncode == 0 and (tmp_path / f"{cid}.docx").exists()
    assert run(kb_home, model_cache, "cr", "draft", "--kb", "demo", "--as", "李娜").returncode == 2


def test_demo_keys_and_ui_refuse_bad_input(kb_home: Path, model_cache: Path, tmp_path: Path) -> None:
    import socket

    first = run(kb_home, model_cache, "keys", "demo", "--kb", "demo")
    assert first.returncode == 0 and first.stdout.count("\tak_") == 6
    again = run(kb_home, model_cache, "keys", "demo", "--kb", "demo")
    assert again.stdout == first.stdout  # valid keys are reused, not multiplied
    before = len(json.loads(run(kb_home, model_cache, "keys", "list", "--json").stdout))
    (tmp_path / "a-file").write_text("x")  # a path below a file cannot be written, not even by root
    blocked = run(kb_home, model_cache, "keys", "demo", "--out", str(tmp_path / "a-file" / "k.txt"))
    assert blocked.returncode == 2 and "cannot write" in blocked.stderr
    listed = json.loads(run(kb_home, model_cache, "keys", "list", "--json").stdout)
    assert len(listed) == before  # a refused file made no keys
    same = run(kb_home, model_cache, "ui", "--port", "9555", "--api-port", "9555")
    assert same.returncode == 2 and "different ports" in same.stderr
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        taken = busy.getsockname()[1]
        out = run(kb_home, model_cache, "ui", "--port", str(taken), "--api-port", "0")
    assert out.returncode == 2 and f"cannot listen on 127.0.0.1:{taken}" in out.stderr


def test_a_bad_setting_names_the_variable(tmp_path: Path, model_cache: Path) -> None:
    bad = {"ASSISTANT_ANSWER__MIN_SIMILARITY": "abc", "ASSISTANT_EMBEDDING__BATCH_SIZE": "0"}
    r = run_process(tmp_path / "home", model_cache, "kb", "list", env=bad)
    assert r.returncode != 0 and "Traceback" not in r.stderr
    assert "ASSISTANT_ANSWER__MIN_SIMILARITY" in r.stderr and "'abc'" in r.stderr
    assert "ASSISTANT_EMBEDDING__BATCH_SIZE" in r.stderr
    assert not (tmp_path / "home").exists()  # nothing written


def test_serve_refuses_to_start_without_its_chroma_server(tmp_path: Path, model_cache: Path) -> None:
    """Chroma is opened on first use, so `serve` checks it answers before it listens."""
    from tests.conftest import free_ports

    chroma_port, api_port = free_ports(2)  # nothing listens on the first
    env = {"ASSISTANT_VECTOR_STORE__HOST": "127.0.0.1", "ASSISTANT_VECTOR_STORE__PORT": str(chroma_port)}
    out = run_process(tmp_path / "home", model_cache, "serve", "--port", str(api_port), env=env)
    assert out.returncode == 1 and f"could not open the Chroma store at 127.0.0.1:{chroma_port}" in out.stderr
    assert "Traceback" not in out.stderr
