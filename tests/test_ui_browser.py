"""End to end in a real browser: `assistant ui` (web UI and HTTP API in one process) on the sample
corpus, driven by Debian's chromium through Playwright. Ask a question and see a cited answer,
upload a document and find it, draft a change request and take it through CCB approval. Screenshots
of every page go to evals/screenshots/ (committed, and kept by CI as artifacts)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from assistant.access.store import KeyStore
from assistant.interviews.transcripts import read_transcript
from assistant.providers.embeddings import NamedEmbeddings
from assistant.services import build_services
from assistant.settings import Settings
from tests.conftest import ROOT, free_ports, import_sample_tickets

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SHOTS = ROOT / "evals" / "screenshots"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WAIT = 90_000  # ms: first answers load jieba and the model in the server

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, model_cache: Path, real_embeddings: NamedEmbeddings
) -> Iterator[dict[str, Any]]:
    if not Path(CHROMIUM).exists():
        pytest.fail(
            "chromium is not installed: `make test` installs it (apt-get install chromium fonts-noto-cjk)"
        )
    home = tmp_path_factory.mktemp("browser-home")
    svc = build_services(Settings(home=home, model_cache=model_cache), embeddings=real_embeddings)
    assert not svc.ingest("demo", [ROOT / "corpus"]).failed
    import_sample_tickets(svc)
    svc.support.train("demo", ["category", "priority"])
    # an interview in progress, so that its page shows a guide, a transcript and requirements
    session = svc.interviews.create(
        "华东工厂 ERP",
        "inventory",
        [{"name": "张伟", "role": "仓库主管", "department": "仓储部"}],
        kb="demo",
        consultant="张顾问",
        date="2026-11-20",
    )
    svc.interviews.add_turns(session["id"], read_transcript(ROOT / "tests" / "data" / "interview-zh.txt"))
    svc.extract_session(session["id"])
    store = KeyStore(svc.db)
    keys = {
        "end_user": store.create("王小明", "end_user", ["demo"])[0],
        "consultant": store.create("张顾问", "consultant", ["demo"])[0],
        "ccb1": store.create("陈总", "ccb", ["demo"])[0],
        "ccb2": store.create("刘经理", "ccb", ["demo"])[0],
        "admin": store.create("管理员", "admin", ["*"])[0],
    }
    svc.close()  # the server process becomes the only owner of the embedded store
    ui_port, api_port = free_ports(2)
    env = {
        **os.environ,
        "ASSISTANT_HOME": str(home),
        "ASSISTANT_MODEL_CACHE": str(model_cache),
        "HF_HUB_OFFLINE": "1",
    }
    log = (home / "server.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "assistant.cli", "ui", "--port", str(ui_port), "--api-port", str(api_port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base, api = f"http://127.0.0.1:{ui_port}", f"http://127.0.0.1:{api_port}"
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            if (
                httpx.get(f"{base}/_stcore/health").status_code == 200
                and httpx.get(f"{api}/v1/health").status_code == 200
            ):
                break
        except httpx.HTTPError:
            pass
        if proc.poll() is not None:
            break
        time.sleep(0.5)
    else:
        proc.kill()
        pytest.fail("the UI did not start: " + (home / "server.log").read_text()[-3000:])
    assert proc.poll() is None, (home / "server.log").read_text()[-3000:]
    yield {"base": base, "api": api, "keys": keys, "home": home}
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


@pytest.fixture(scope="module")
def browser(server: dict[str, Any]) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


def sign_in(browser: Any, server: dict[str, Any], who: str) -> Any:
    page = browser.new_page(viewport={"width": 1440, "height": 1000}, locale="zh-CN")
    page.set_default_timeout(WAIT)
    page.goto(server["base"])
    page.get_by_label("API 密钥", exact=True).fill(server["keys"][who])
    page.get_by_role("button", name="登录").click()
    page.get_by_role("link", name="帮助台").wait_for()
    return page


def go(page: Any, name: str, title: str | None = None) -> None:
    # 工单 and 工单队列 are two pages: the link's name ends with the page title
    page.get_by_role("link", name=re.compile(re.escape(name) + r"\s*$")).click()
    page.locator("h1", has_text=title or name).wait_for()


def settle(page: Any) -> None:
    """Wait until Streamlit has finished the current run."""
    page.wait_for_timeout(300)
    page.locator("[data-testid=stStatusWidget]").wait_for(state="hidden")
    page.wait_for_timeout(300)


def shot(page: Any, name: str, height: int = 1000) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": 1440, "height": height})
    settle(page)
    page.screenshot(path=str(SHOTS / f"{name}.png"))
    page.set_viewport_size({"width": 1440, "height": 1000})


def test_ask_and_see_a_cited_answer(browser: Any, server: dict[str, Any]) -> None:
    page = sign_in(browser, server, "end_user")
    box = page.get_by_placeholder("请输入问题")
    box.fill("忘记密码怎么办？")
    box.press("Enter")
    first = page.locator("[data-testid=stExpander]", has_text="[1]").first
    first.wait_for()
    assert "重置" in page.locator("[data-testid=stChatMessage]").last.inner_text()
    first.click()
    page.get_by_role("button", name="下载原文").first.wait_for()
    # the citation opens at its passage: the section in context, the quoted words marked
    page.get_by_text("在原文中查看").first.click()
    page.locator(".passage-in-context mark").first.wait_for()
    shot(page, "helpdesk")
    # a page refresh keeps the sign-in and reopens the conversation
    page.reload()
    page.get_by_role("link", name="帮助台").wait_for()
    page.locator("[data-testid=stChatMessage]", has_text="忘记密码怎么办？").first.wait_for()
    # the language switch holds across pages
    page.get_by_text("English", exact=True).click()
    page.locator("h1", has_text="Help desk").wait_for()
    go(page, "Change requests")
    page.get_by_text("中文", exact=True).click()
    page.locator("h1", has_text="变更").wait_for()
    page.close()


def test_upload_a_document_and_find_it(browser: Any, server: dict[str, Any], tmp_path: Path) -> None:
    page = sign_in(browser, server, "consultant")
    go(page, "知识库")
    doc = tmp_path / "安灯操作说明.md"
    doc.write_text(
        "# 安灯操作说明\n\n## 呼叫\n\n工位缺料时按下安灯按钮，班组长须在三分钟内到场响应。\n",
        encoding="utf-8",
    )
    page.locator("[data-testid=stFileUploader] input[type=file]").first.set_input_files(str(doc))
    page.get_by_text("安灯操作说明.md").first.wait_for()
    page.get_by_role("button", name="导入知识库").click()
    page.get_by_text("安灯操作说明.md：已新增").wait_for()
    page.get_by_label("检索词").fill("安灯按钮多久响应")
    page.get_by_role("button", name="检索").click()
    page.locator("[data-testid=stExpander]", has_text="安灯操作说明.md").first.wait_for()
    shot(page, "knowledge")
    page.close()


def test_draft_and_approve_a_change_request(browser: Any, server: dict[str, Any]) -> None:
    page = sign_in(browser, server, "end_user")
    go(page, "变更")
    page.get_by_role("tab", name="起草").click()
    page.get_by_label("变更内容").fill("盘点期间希望允许紧急发料，因为生产线不能停。")
    page.get_by_role("button", name="生成变更申请").click()
    flash = page.get_by_text("已起草 CR-")
    flash.wait_for()
    cr_id = flash.inner_text().split("已起草 ")[1].split("。")[0]
    page.get_by_role("tab", name="详情").click()
    page.get_by_role("button", name="提交").click()
    settle(page)
    page.close()

    for who, actions in (("ccb1", ["开始评审", "批准"]), ("ccb2", ["批准"])):
        page = sign_in(browser, server, who)
        go(page, "变更")
        page.get_by_role("tab", name="详情").click()
        for label in actions:
            button = page.get_by_role("button", name=label, exact=True)
            button.wait_for()
            button.click()
            settle(page)
        if who == "ccb2":
            page.get_by_role("tab", name="详情").click()
            page.locator("[data-testid=stMetricValue]", has_text="已批准").wait_for()
            shot(page, "changes", 1600)
        page.close()

    # the HTTP API served by the same process sees the same record
    cr = httpx.get(
        f"{server['api']}/v1/change-requests/{cr_id}",
        headers={"Authorization": f"Bearer {server['keys']['admin']}"},
    ).json()
    assert cr["status"] == "approved" and [a["approver"] for a in cr["approvals"]] == ["陈总", "刘经理"]
    assert [a["action"] for a in cr["audit"]] == ["create", "submit", "review", "approve", "approve"]


def test_screenshots_of_the_other_pages(browser: Any, server: dict[str, Any]) -> None:
    page = sign_in(browser, server, "admin")
    go(page, "工单")
    page.get_by_label("工单内容").fill("仓库收货时系统提示数量超过订单，不能过账")
    page.get_by_role("button", name="分析").click()
    page.get_by_text("相似历史工单").wait_for()
    shot(page, "tickets", 1500)
    go(page, "访谈")
    page.get_by_text("需求", exact=True).first.wait_for()
    shot(page, "interviews", 2000)
    go(page, "洞察")
    page.locator("[data-testid=stVegaLiteChart]").first.wait_for()
    shot(page, "insights", 2000)
    page.close()
