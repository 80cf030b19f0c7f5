"""The README's two commands work from a clean clone."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import ROOT, free_ports


def test_readme_names_the_two_commands_and_ci_runs_the_test_one() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make demo" in readme and "make test" in readme
    ci = [
        line for line in (ROOT / ".ci" / "run").read_text().splitlines() if line and not line.startswith("#")
    ]
    assert ci[-1] == "make test"


def _run_demo(clone: Path, env: dict[str, str], timeout: float, make_args: tuple[str, ...] = ()) -> str:
    """Run `make demo` until its web UI and API answer, then stop it; returns what it printed."""
    ui_port, api_port = free_ports(2)
    log = clone / "demo.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            ["make", "demo", f"UI_PORT={ui_port}", f"API_PORT={api_port}", *make_args],
            cwd=clone,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        try:
            deadline = time.time() + timeout
            while time.time() < deadline and proc.poll() is None:
                try:
                    ui = httpx.get(f"http://127.0.0.1:{ui_port}/_stcore/health", timeout=2)
                    api = httpx.get(f"http://127.0.0.1:{api_port}/v1/health", timeout=2)
                    if ui.status_code == 200 and api.status_code == 200:
                        page = httpx.get(f"http://127.0.0.1:{ui_port}/", timeout=5)
                        assert page.status_code == 200 and "<html" in page.text.lower()
                        assert api.json()["knowledge_bases"] == 1
                        return log.read_text()
                except httpx.HTTPError:
                    pass
                time.sleep(1)
            raise AssertionError("make demo did not bring up the UI and API:\n" + log.read_text()[-4000:])
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)


@pytest.mark.slow
@pytest.mark.skipif(
    shutil.which("git") is None or not (ROOT / ".git").exists(), reason="needs a git checkout"
)
def test_make_demo_from_a_clean_clone(tmp_path: Path) -> None:
    """`make demo` in a fresh clone with its own data directory. The virtualenv it would build is the
    one `make test` builds with the same Makefile rule (and `.ci/run` builds it on a clean clone), so
    the clone reuses the project's own unless ASSISTANT_TEST_FRESH_VENV=1: that install is most of the
    five minutes this test took."""
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ASSISTANT_", "VIRTUAL_ENV"))}
    venv, make_args = ROOT / ".venv", ()
    if not os.environ.get("ASSISTANT_TEST_FRESH_VENV") and (venv / ".installed").is_file():
        for dep in ("pyproject.toml", "requirements/torch.txt"):  # older than the stamp: no reinstall
            os.utime(clone / dep, (0, 0))
        make_args = (f"VENV={venv}",)
    out = _run_demo(clone, env, timeout=1500, make_args=make_args)
    assert "6 added" in out and "96 added" in out and "similar incidents:" in out, out[-3000:]
    assert out.count("\n[1] ") == 2  # both sample questions got an answer with a first citation
    assert "consultant\t" in out and (clone / ".assistant" / "demo-keys.txt").is_file()
    assert (clone / ".assistant" / "kb").is_dir()
    again = _run_demo(clone, env, timeout=600, make_args=make_args)
    assert "6 unchanged" in again
    keys = (clone / ".assistant" / "demo-keys.txt").read_text()
    assert keys.split("\n")[1] in again  # the same keys are reused, not multiplied
