"""The web UI's pages, driven by Streamlit's AppTest over real services (the packaged model, embedded
Chroma, SQLite) on the sample corpus. The browser test is in test_ui_browser.py."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

import assistant.services as services_module
from assistant.access.store import KeyStore
from assistant.providers.embeddings import NamedEmbeddings
from assistant.providers.fakes import FakeListChatModel
from assistant.services import Services, build_services
from assistant.settings import Settings
from tests.conftest import ROOT, import_sample_tickets

APP = str(ROOT / "ui" / "app.py")


@pytest.fixture(scope="module")
def ui_env(
    tmp_path_factory: pytest.TempPathFactory, model_cache: Path, real_embeddings: NamedEmbeddings
) -> Iterator[dict[str, Any]]:
    """A data directory with the sample corpus, the incident history, trained triage and a key per role;
    the UI finds it through ASSISTANT_HOME, as `assistant ui` does."""
    home = tmp_path_factory.mktemp("ui-home")
    settings = Settings(home=home, model_cache=model_cache)
    svc = build_services(settings, embeddings=real_embeddings)
    report = svc.ingest("demo", [ROOT / "corpus"])
    assert not report.failed
    import_sample_tickets(svc)
    svc.support.train("demo", ["category", "priority"])
    store = KeyStore(svc.db)
    keys = {
        role: store.create(name, role, ["demo"])[0]
        for role, name in [
            ("admin", "admin"),
            ("end_user", "王小明"),
            ("support", "李娜"),
            ("consultant", "张顾问"),
            ("ccb", "陈总"),
        ]
    }
    keys["ccb2"] = store.create("刘经理", "ccb", ["demo"])[0]
    keys["other_kb"] = store.create("outsider", "admin", ["elsewhere"])[0]
    saved = {k: os.environ.get(k) for k in ("ASSISTANT_HOME", "ASSISTANT_MODEL_CACHE")}
    os.environ["ASSISTANT_HOME"] = str(home)
    os.environ["ASSISTANT_MODEL_CACHE"] = str(model_cache)
    services_module._SHARED[str(home.resolve())] = svc  # the UI reuses these services and the loaded model
    yield {"svc": svc, "keys": keys, "home": home}
    services_module._SHARED.pop(str(home.resolve()), None)
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v
    svc.close()


def signed_in(keys: dict[str, str], role: str, page: str | None = None, lang: str = "中文") -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180)
    at.session_state["lang"] = lang
    at.run()
    at.text_input(key="api_key").input(keys[role])
    at.button[0].click().run()
    assert not at.exception, at.exception
    if page:
        at.switch_page(page).run()
        assert not at.exception, at.exception
    return at


def reaches(at: AppTest, page: str, title: str) -> bool:
    """Whether navigating to a page shows it (a page outside the role's navigation falls back to the first)."""
    try:
        at.switch_page(page).run()
    except ValueError:
        return False
    return bool(at.title) and at.title[0].value == title


def texts(at: AppTest) -> str:
    """Everything the page shows as text, for 'is it on the page' checks."""
    parts: list[str] = []
    for kind in ("markdown", "caption", "title", "subheader", "success", "warning", "error", "info"):
        parts.extend(str(e.value) for e in at.get(kind))
    for e in at.get("expander"):
        parts.append(str(e.label))
    return "\n".join(parts)


def services(env: dict[str, Any]) -> Services:
    return env["svc"]  # type: ignore[no-any-return]


# -- sign-in and roles --------------------------------------------------------------------------


def test_sign_in_refuses_a_bad_key_and_shows_pages_by_role(ui_env: dict[str, Any]) -> None:
    at = AppTest.from_file(APP, default_timeout=180).run()
    at.text_input(key="api_key").input("ak_not-a-real-key")
    at.button[0].click().run()
    assert any("密钥无效" in e.value for e in at.error)
    assert "principal" not in at.session_state

    end_user = signed_in(ui_env["keys"], "end_user")
    assert end_user.session_state["kb"] == "demo"
    assert not reaches(end_user, "pages/tickets.py", "工单")  # not a page an end user is given
    assert not reaches(end_user, "pages/knowledge.py", "知识库")
    assert reaches(end_user, "pages/changes.py", "变更")
    support = signed_in(ui_env["keys"], "support", "pages/tickets.py")
    assert support.title[0].value == "工单"
    assert not reaches(support, "pages/interviews.py", "访谈")
    # a key scoped to another knowledge base sees none of this one
    outsider = signed_in(ui_env["keys"], "other_kb")
    assert "kb" not in outsider.session_state
    assert any("没有可用的知识库" in w.value for w in outsider.warning)


def test_a_revoked_key_is_signed_out_at_the_next_click(ui_env: dict[str, Any]) -> None:
    store = KeyStore(services(ui_env).db)
    secret, record = store.create("temp", "support", ["demo"])
    at = AppTest.from_file(APP, default_timeout=180).run()
    at.text_input(key="api_key").input(secret)
    at.button[0].click().run()
    assert at.session_state["principal"].name == "temp"
    at.switch_page("pages/tickets.py").run()
    at.get("file_uploader")[0].upload("batch.csv", "标题\n打印机卡纸\n".encode("gbk"), "text/csv").run()
    [(_, saved)] = at.session_state["_uploads"].values()
    assert saved.exists()
    store.revoke(str(record["id"]))
    at.run()
    assert "principal" not in at.session_state and any("密钥无效" in w.value for w in at.warning)
    assert not saved.parent.exists()  # signing out removes the saved copies of uploaded exports


def _entry_then_page() -> None:
    """What one run of the app does: the entry script checks the key, then the page it runs asks."""
    import streamlit as st

    from ui.common import principal

    entry = principal()
    page = principal(fresh=False)
    st.session_state["seen"] = (entry is not None, page is not None)


def test_each_run_looks_the_key_up_once(ui_env: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    store = KeyStore(services(ui_env).db)
    calls: list[str | None] = []
    real = KeyStore.resume

    def counted(self: KeyStore, token: str | None) -> Any:
        calls.append(token)
        return real(self, token)

    monkeypatch.setattr(KeyStore, "resume", counted)
    at = AppTest.from_function(_entry_then_page, default_timeout=60)
    opened = store.open_session(ui_env["keys"]["support"])
    assert opened is not None
    at.session_state["_session"], at.session_state["principal"] = opened
    calls.clear()
    at.run()
    assert at.session_state["seen"] == (True, True) and len(calls) == 1  # one lookup, passed on
    at.run()
    assert len(calls) == 2  # and again at the next run: a revoked key stops at the next click
    at.session_state["_session"] = "ws_not-a-session"
    at.run()
    assert at.session_state["seen"] == (False, False) and len(calls) == 3


def test_a_page_refresh_keeps_the_sign_in_and_sign_out_ends_it(ui_env: dict[str, Any]) -> None:
    at = signed_in(ui_env["keys"], "end_user", "pages/helpdesk.py")
    at.chat_input[0].set_value("忘记密码怎么办？").run()
    conversation = at.query_params["c"]
    token = at.query_params["s"]
    assert isinstance(token, str) and token.startswith("ws_")
    assert ui_env["keys"]["end_user"] not in str(dict(at.query_params))  # the key never goes into the address
    # a refresh is a new browser session with the same address
    again = AppTest.from_file(APP, default_timeout=180)
    again.query_params["s"] = token
    again.query_params["c"] = conversation
    again.run()
    assert not again.exception, again.exception
    assert again.session_state["principal"].name == "王小明"
    assert "忘记密码怎么办？" in texts(again)  # the conversation is open again
    again.button(key="sign_out").click().run()
    assert "principal" not in again.session_state and "s" not in again.query_params
    # the address of the signed-out session signs nobody in any more
    stale = AppTest.from_file(APP, default_timeout=180)
    stale.query_params["s"] = token
    stale.run()
    assert "principal" not in stale.session_state
    assert KeyStore(services(ui_env).db).resume(token) is None


def test_scratch_copies_of_uploads_expire_a_day_after_their_last_use(tmp_path: Path) -> None:
    from assistant.errors import InvalidInput
    from assistant.ingest.uploads import SCRATCH_TTL_SECONDS, save_scratch_copy, touch_scratch_copy

    root = tmp_path / "ui-uploads"
    keep = root / "notes.txt"  # not a scratch folder: never swept
    first = save_scratch_copy(root, "../../导出.csv", "标题\n打印机卡纸\n".encode("gbk"))
    keep.write_text("x")
    assert first.parent.parent == root and first.name == "导出.csv"  # no way out of its folder
    assert first.read_bytes().decode("gbk").startswith("标题")
    abandoned = save_scratch_copy(root, "old.csv", b"x")
    in_use = save_scratch_copy(root, "open-tab.csv", b"y")
    stale = time.time() - SCRATCH_TTL_SECONDS - 60
    for path in (abandoned, in_use, keep):
        os.utime(path.parent if path is not keep else path, (stale, stale))
    assert touch_scratch_copy(in_use)  # the open tab used its copy again: its day starts over
    save_scratch_copy(root, "new.csv", b"z")
    assert not abandoned.parent.exists() and not touch_scratch_copy(abandoned)  # swept: the page saves again
    assert first.exists() and in_use.exists() and keep.exists()
    with pytest.raises(InvalidInput):
        save_scratch_copy(root, "..", b"x")


def test_language_switch_changes_the_labels(ui_env: dict[str, Any]) -> None:
    at = signed_in(ui_env["keys"], "consultant")  # lands on the help desk
    assert at.title[0].value == "帮助台"
    at.get_by_key("lang_select").set_value("English").run()
    assert at.title[0].value == "Help desk"
    assert at.chat_input(key="question").placeholder.startswith("Ask a question")
    # the choice holds on the next page too
    assert reaches(at, "pages/knowledge.py", "Knowledge base")


# -- help desk ----------------------------------------------------------------------------------


def test_help_desk_answers_with_citations_and_records_feedback(ui_env: dict[str, Any]) -> None:
    at = signed_in(ui_env["keys"], "end_user")  # the help desk is the first page
    at.chat_input(key="question").set_value("忘记密码怎么办？").run()
    assert not at.exception, at.exception
    cited = [e.label for e in at.expander if e.label.startswith("[1]")]
    assert cited, texts(at)
    assert "incidents/" not in "\n".join(e.label for e in at.expander)  # answers quote docs, not tickets
    conv = at.session_state["conversation_id"]
    stored = services(ui_env).helpdesk.conversation(conv)["messages"]
    assert stored[0]["found"] and stored[0]["citations"]
    # thumbs down with a comment
    mid = stored[0]["message_id"]
    at.feedback(key=f"fb_{mid}").set_value(0).run()
    at.text_input(key=f"fbc_{mid}").input("步骤不完整").run()
    at.button(key=f"fbs_{mid}").click().run()
    fb = services(ui_env).helpdesk.conversation(conv)["messages"][0]["feedback"]
    assert fb == {"rating": -1, "comment": "步骤不完整"}
    # the sidebar history lists the user's own conversations, this one at once
    key_id = at.session_state["principal"].key_id
    assert [c["id"] for c in services(ui_env).helpdesk.conversations("demo", user=key_id)][:1] == [conv]
    assert any(b.key == f"conv_{conv}" for b in at.sidebar.button)
    at.button(key="new_conversation").click().run()
    assert "conversation_id" not in at.session_state and not at.chat_message
    at.button(key=f"conv_{conv}").click().run()
    assert at.session_state["conversation_id"] == conv
    assert at.chat_message[0].markdown[0].value == "忘记密码怎么办？"


def test_help_desk_streams_an_llm_answer_with_checked_citations(
    ui_env: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    svc = services(ui_env)
    reply = "在登录页点击“忘记密码”，输入工号和手机号获取验证码后设置新密码 [1]。另见热线 [9]。"
    monkeypatch.setattr(svc, "llm", FakeListChatModel(responses=[reply]))
    monkeypatch.setattr(svc.settings.llm, "mode", "openai")
    at = signed_in(ui_env["keys"], "end_user")
    at.chat_input(key="question").set_value("忘记密码怎么办？").run()
    assert not at.exception, at.exception
    shown = "\n".join(m.value for m in at.markdown)
    assert (
        "输入工号和手机号获取验证码" in shown and "[9]" not in shown
    )  # the marker that points nowhere is gone
    assert [e.label for e in at.expander if e.label.startswith("[")] == [
        e.label for e in at.expander if e.label.startswith("[1]")
    ]
    stored = svc.helpdesk.conversation(at.session_state["conversation_id"])["messages"][-1]
    assert stored["found"] and "invalid_citation_removed" in stored["flags"]


def test_help_desk_not_found_offers_a_ticket(ui_env: dict[str, Any]) -> None:
    at = signed_in(ui_env["keys"], "end_user")  # the help desk is the first page
    at.chat_input(key="question").set_value("火星基地的氧气配额如何申请？").run()
    assert any("没有找到答案" in w.value for w in at.warning), texts(at)
    # the reason is told in words, not as a code
    assert any(c.value.startswith("提示:") and "not_found:" not in c.value for c in at.caption), texts(at)
    conv = at.session_state["conversation_id"]
    mid = services(ui_env).helpdesk.conversation(conv)["messages"][0]["message_id"]
    uploader = next(u for u in at.get("file_uploader") if u.proto.id and "files_" in u.proto.id)
    uploader.upload("配额页面.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 16, "image/png").run()
    at.button(key=f"ticket_{mid}").click().run()
    assert not at.exception, at.exception
    assert any("已提交工单" in s.value for s in at.success)
    rows = (
        services(ui_env)
        .db.conn.execute("SELECT * FROM tickets WHERE conversation_id = ? AND source = 'helpdesk'", (conv,))
        .fetchall()
    )
    assert len(rows) == 1 and "氧气" in rows[0]["text"]
    kept = services(ui_env).ticket_work.show("demo", rows[0]["id"])["attachments"]
    assert [a["name"] for a in kept] == ["配额页面.png"]  # the screenshot travels with the ticket


# -- interviews ---------------------------------------------------------------------------------


def test_interview_session_extraction_edits_and_export(ui_env: dict[str, Any]) -> None:
    at = signed_in(ui_env["keys"], "consultant", "pages/interviews.py")
    at.text_input(key="iv_project").input("华东工厂 ERP")
    at.selectbox(key="iv_module").select("inventory")
    at.session_state["iv_people"] = {
        "edited_rows": {0: {"name": "张伟", "role": "仓库主管", "department": "仓储部"}},
        "added_rows": [],
        "deleted_rows": [],
    }
    at.button[[b.label for b in at.button].index("创建")].click().run()
    assert not at.exception, at.exception
    sid = at.session_state["iv_session"]
    session = services(ui_env).interviews.get(sid)
    assert session["interviewees"][0]["name"] == "张伟" and session["module"] == "inventory"
    # the guide shows every topic as not yet covered
    assert sum("未覆盖" in e.label for e in at.expander) >= 3
    # upload the transcript, then extract
    data = (ROOT / "tests" / "data" / "interview-zh.txt").read_bytes()
    at.get("file_uploader")[0].upload("interview-zh.txt", data, "text/plain")  # in a form: sent on submit
    at.button[[b.label for b in at.button].index("添加发言 ↑")].click().run()
    assert any("已添加 4 段发言" in s.value for s in at.success)
    assert [t.speaker for t in services(ui_env).interviews.turns(sid)][:2] == ["顾问", "仓库主管张伟"]
    at.button(key="extract").click().run()
    assert not at.exception, at.exception
    reqs = services(ui_env).interviews.items(sid)["requirements"]
    assert reqs and any("库位" in r["quote"] for r in reqs)
    assert any("已覆盖" in e.label for e in at.expander)  # the stock-count topics are now covered
    # edit one requirement in the table and save
    first = reqs[0]
    at.session_state[at.session_state["_reqs_editor"]] = {
        "edited_rows": {0: {"statement": "系统应支持按库位冻结出入库（已确认）", "priority": "Must"}},
        "added_rows": [],
        "deleted_rows": [],
    }
    at.run()
    at.button(key="save_edits").click().run()
    assert any("已保存 1 处修改" in s.value for s in at.success)
    edited = next(r for r in services(ui_env).interviews.items(sid)["requirements"] if r["id"] == first["id"])
    assert edited["statement"].endswith("（已确认）") and edited["priority"] == "Must" and edited["edited"]
    downloads = {d.key for d in at.get("download_button")}
    assert {"spec_md", "spec_docx"} <= downloads


# -- change requests ----------------------------------------------------------------------------


def _action_buttons(at: AppTest, cr_id: str) -> set[str]:
    return {
        b.key.split("_", 1)[1].rsplit("_", 1)[0]
        for b in at.button
        if b.key and b.key.startswith("act_") and b.key.endswith(cr_id)
    }


def test_change_request_drafted_and_approved_with_role_checks(ui_env: dict[str, Any]) -> None:
    keys = ui_env["keys"]
    at = signed_in(keys, "end_user", "pages/changes.py")
    at.text_area(key="draft_text").input("盘点期间希望允许紧急发料，因为生产线不能停。")
    at.button[[b.label for b in at.button].index("生成变更申请")].click().run()
    assert not at.exception, at.exception
    cr_id = at.session_state["cr_selected"]
    cr = services(ui_env).changes.get(cr_id)
    assert cr["status"] == "draft" and cr["requester"] == "王小明"
    assert cr["impact"]["effort_days"]["proposed"] is True
    assert _action_buttons(at, cr_id) == {"submit", "withdraw"}
    assert not at.get("number_input")  # a requester does not set impact estimates

    consultant = signed_in(keys, "consultant", "pages/changes.py")
    consultant.selectbox(key="cr_selected").select(cr_id).run()
    consultant.number_input[0].set_value(4.0)
    consultant.text_input[[w.label for w in consultant.text_input].index("进度影响")].input("本期内完成")
    consultant.button[[b.label for b in consultant.button].index("确认")].click().run()
    impact = services(ui_env).changes.get(cr_id)["impact"]
    assert impact["effort_days"] == {"value": 4.0, "proposed": False, "basis": "confirmed by 张顾问"}
    assert impact["cost"]["proposed"] is True  # left at 0: still to be filled
    assert impact["risk"]["proposed"] is True  # left blank: the proposal stands
    at.button(key=f"act_submit_{cr_id}").click().run()
    assert services(ui_env).changes.get(cr_id)["status"] == "submitted"

    ccb = signed_in(keys, "ccb", "pages/changes.py")
    ccb.selectbox(key="cr_selected").select(cr_id).run()
    assert _action_buttons(ccb, cr_id) == {"review"}
    ccb.button(key=f"act_review_{cr_id}").click().run()
    assert _action_buttons(ccb, cr_id) == {"approve", "reject", "needs_info"}
    ccb.text_input(key=f"comment_{cr_id}").input("同意，限紧急工单")
    ccb.button(key=f"act_approve_{cr_id}").click().run()
    assert services(ui_env).changes.get(cr_id)["status"] == "in_review"  # one of two approvals
    assert "approve" not in _action_buttons(ccb, cr_id)  # nobody approves twice

    requester = signed_in(keys, "end_user", "pages/changes.py")
    requester.selectbox(key="cr_selected").select(cr_id).run()
    assert "approve" not in _action_buttons(requester, cr_id)

    ccb2 = signed_in(keys, "ccb2", "pages/changes.py")
    ccb2.selectbox(key="cr_selected").select(cr_id).run()
    ccb2.button(key=f"act_approve_{cr_id}").click().run()
    assert services(ui_env).changes.get(cr_id)["status"] == "approved"
    audit = services(ui_env).changes.audit(cr_id)
    assert [a["action"] for a in audit] == ["create", "edit", "submit", "review", "approve", "approve"]
    assert audit[1]["actor"] == "张顾问" and "impact" in audit[1]["changes"]
    assert audit[4]["comment"] == "同意，限紧急工单"
    assert {"cr_md", "cr_docx"} <= {d.key for d in ccb2.get("download_button")}


# -- tickets ------------------------------------------------------------------------------------


def test_ticket_triage_and_history_import(ui_env: dict[str, Any]) -> None:
    at = signed_in(ui_env["keys"], "support", "pages/tickets.py")
    at.text_area(key="triage_text").input("仓库收货时系统提示数量超过订单，不能过账")
    at.button[[b.label for b in at.button].index("分析")].click().run()
    assert not at.exception, at.exception
    bars = [p for p in at.get("progress")]
    assert len(bars) == 2 and all("%" in str(p.proto.text) for p in bars)
    assert at.dataframe, "similar incidents table"
    similar = at.dataframe[0].value
    assert len(similar) == 5 and similar["工单号"].str.startswith("INC-").all()

    csv = "编号,标题,描述,分类\nN-1,打印机不出纸,财务室打印机卡纸,系统\nN-1,重复编号,同一编号,系统\nN-2,,,\n".encode(
        "gbk"
    )
    at.get("file_uploader")[1].upload("new.csv", csv, "text/csv").run()
    at.selectbox(key="map_id").select("编号")
    at.multiselect(key="map_text").select("标题").select("描述")
    at.selectbox(key="map_category").select("分类")
    at.button(key="do_import").click().run()
    assert not at.exception, at.exception
    assert any("新增 1" in s.value for s in at.success), texts(at)
    report = at.dataframe[-1].value
    assert list(report.columns) == ["行", "级别", "问题"]  # in words; the English detail only in English
    assert {"工单号重复，已跳过", "缺少必填字段，已跳过"} <= set(report["问题"]) and set(report["级别"]) <= {
        "错误",
        "警告",
    }
    assert services(ui_env).support.tickets.get("demo", "N-1")["title"] == "打印机不出纸"


def test_batch_triage_of_an_uploaded_file(ui_env: dict[str, Any]) -> None:
    at = signed_in(ui_env["keys"], "support", "pages/tickets.py")
    csv = "标题,描述\n收货数量超过订单,系统不让过账\n,\n打印机卡纸,财务室\n".encode("gbk")
    at.get("file_uploader")[0].upload("batch.csv", csv, "text/csv").run()
    at.multiselect(key="batch_cols").select("描述")
    at.button(key="run_batch").click().run()
    assert not at.exception, at.exception
    table = at.dataframe[-1].value
    assert list(table["行"]) == [1, 2, 3]
    assert table.iloc[1]["错误"] == "该行没有内容" and table.iloc[0]["分类"]
    assert any(d.key == "batch_dl" for d in at.get("download_button"))


# -- knowledge base -----------------------------------------------------------------------------


def test_knowledge_base_upload_search_and_delete(ui_env: dict[str, Any]) -> None:
    at = signed_in(ui_env["keys"], "consultant", "pages/knowledge.py")
    doc = "# 车间看板操作说明\n\n## 安灯呼叫\n\n工位发现缺料时，按下安灯按钮，班组长须在三分钟内响应。\n".encode()
    at.get("file_uploader")[0].upload("看板说明.md", doc, "text/markdown")
    at.button[[b.label for b in at.button].index("导入知识库")].click().run()
    assert not at.exception, at.exception
    assert any("看板说明.md：已新增" in s.value for s in at.success), texts(at)  # in words, not "added"
    table = at.dataframe[0].value
    assert "看板说明.md" in list(table["文档"])
    assert set(table.columns) >= {"文档", "类型", "状态", "语言", "导入时间 (UTC)"}
    assert "已索引" in set(table["状态"]) and "ok" not in set(table["状态"])
    at.text_input(key="kb_query").input("安灯呼叫多久响应")
    at.button[[b.label for b in at.button].index("检索")].click().run()
    assert "看板说明.md" in at.expander[0].label
    at.selectbox(key="kb_doc").select("看板说明.md").run()
    assert at.button(key="kb_delete").disabled  # not before the confirmation box is ticked
    at.checkbox(key="kb_delete_sure").check().run()
    at.button(key="kb_delete").click().run()
    assert services(ui_env).kbs.get("demo").document("看板说明.md") is None
    # after a delete the confirmation is cleared and no other document moves into the selection
    assert at.checkbox(key="kb_delete_sure").value is False and at.selectbox(key="kb_doc").value is None
    assert at.button(key="kb_delete").disabled
    # a bad upload is refused with a reason and leaves nothing behind
    at.get("file_uploader")[0].upload("损坏.pdf", b"%PDF-1.7 not really", "application/pdf")
    at.button[[b.label for b in at.button].index("导入知识库")].click().run()
    assert any("损坏.pdf" in e.value or "PDF" in e.value for e in at.error), texts(at)
    rec = services(ui_env).kbs.get("demo").document("损坏.pdf")
    assert rec is not None and rec.status == "failed" and rec.chunk_count == 0  # listed with its error
    assert not list((ui_env["home"] / "uploads").glob("*/损坏.pdf"))  # the stored upload is rolled back
    failed_row = at.dataframe[0].value
    assert "失败" in set(failed_row[failed_row["文档"] == "损坏.pdf"]["状态"])


def test_support_may_read_the_knowledge_base_but_not_upload(ui_env: dict[str, Any]) -> None:
    at = signed_in(ui_env["keys"], "support", "pages/knowledge.py")
    assert not at.get("file_uploader") and not any(b.key == "kb_delete" for b in at.button)


# -- insights -----------------------------------------------------------------------------------


def test_insights_draw_charts_from_the_records(ui_env: dict[str, Any]) -> None:
    services(ui_env).helpdesk.ask("demo", "忘记密码怎么办？")
    at = signed_in(ui_env["keys"], "ccb", "pages/insights.py")
    assert not at.exception, at.exception
    charts = at.get("vega_lite_chart")
    assert len(charts) >= 4  # questions per day, two ticket charts, and at least one more
    data = services(ui_env).insights("demo")
    assert data["questions"] >= 1 and sum(r["tickets"] for r in data["tickets_by_category"]) >= 96
    assert at.metric[0].value == str(data["questions"])
    assert all("0.000000" not in str(c.proto.spec) for c in charts)
    specs = [json.loads(c.proto.spec) for c in charts]
    axes = [
        s["encoding"][axis]["axis"]
        for s in specs
        for axis in ("x", "y")
        if s.get("encoding", {}).get(axis, {}).get("field") in ("n", "count", "tickets")
    ]
    assert axes and all(a.get("format") == "d" and a.get("tickMinStep") == 1 for a in axes)  # integer counts
    by_priority = next(s for s in specs if s["encoding"].get("color", {}).get("field") == "priority")
    scale = by_priority["encoding"]["color"]["scale"]
    colours = dict(zip(scale["domain"], scale["range"], strict=True))
    assert colours["高"] == "#c62828" and colours["低"] != "#c62828"  # red means urgent, never low
    # the benefit report downloads as Word and Markdown for the period shown
    assert {b.label for b in at.get("download_button")} == {"下载 Word 报告", "下载 Markdown 报告"}
    # a period with nothing in it: no chart with empty axes, a 'no data' caption instead
    at.date_input(key="ins_period").set_value((date(2019, 1, 1), date(2019, 1, 31))).run()
    assert not at.exception, at.exception
    assert not at.get("vega_lite_chart") and at.metric[0].value == "0"
    assert "暂无数据。" in [c.value for c in at.caption]


def test_migration_page_profiles_checks_and_finds_duplicates(ui_env: dict[str, Any]) -> None:
    end_user = signed_in(ui_env["keys"], "end_user")
    assert not reaches(end_user, "pages/migration.py", "数据迁移")  # consultants and admins only
    at = signed_in(ui_env["keys"], "consultant", "pages/migration.py")
    assert at.title[0].value == "数据迁移"
    rows = ["编号,供应商名称,电话,单位"]
    rows += [
        f"V{i:04d},苏州精密{i}号有限公司,1380013{i:04d},{'PCS' if i % 2 else 'KG'}" for i in range(1, 80)
    ]
    rows += ["V0100,苏州精密1号有限责任公司,13800130001,PCE"]  # a variant of V0001, and a code-list slip
    at.get("file_uploader")[0].upload("供应商.csv", "\n".join(rows).encode("gbk"), "text/csv").run()
    at.button(key="mig_run_profile").click().run()
    assert not at.exception, at.exception
    assert any(m.label == "行数" and m.value == "80" for m in at.metric)
    at.button(key="mig_run_check").click().run()
    assert not at.exception, at.exception
    findings = at.dataframe[-1].value
    assert "PCE" in set(findings["值"]) and all(not r.startswith("inferred") for r in findings["问题类型"])
    at.multiselect(key="mig_fields").select("供应商名称").select("电话")
    at.selectbox(key="mig_id_col").select("编号").run()
    at.button(key="mig_run_dedupe").click().run()
    assert not at.exception, at.exception
    clusters = at.dataframe[-1].value
    assert list(clusters["旧编号"]) == ["V0001, V0100"]
    assert list(clusters["合并"]) == [True]  # each cluster is accepted or rejected by a tick
    at.button(key="mig_run_merge").click().run()
    assert not at.exception, at.exception
    assert any("得到 79 条黄金记录" in s.value for s in at.success)  # 80 rows, one pair merged
    assert {b.label for b in at.get("download_button")} >= {
        "下载黄金记录（CSV）",
        "下载旧编号对照表（CSV）",
        "下载检查报告（Excel，问题单元格已标色）",
    }
    # reconcile a test load against the source: two rounds, the trend chart
    target = ["编号,供应商名称,电话,单位", *rows[1:40]]
    uploaders = {u.label: u for u in at.get("file_uploader")}
    uploaders["新系统导出文件"].upload("导入结果.csv", "\n".join(target).encode("utf-8"), "text/csv").run()
    at.multiselect(key="mig_keys").select("编号").run()
    at.button(key="mig_run_reconcile").click().run()
    assert not at.exception, at.exception
    assert any(m.label == "目标缺少的主键" and m.value == "41" for m in at.metric)
    assert any("尚未对平" in w.value for w in at.warning)
    at.button(key="mig_run_reconcile").click().run()
    assert not at.exception, at.exception
    assert len(at.get("vega_lite_chart")) >= 2  # the missing-share chart and the rounds trend


def test_queue_page_works_a_help_desk_ticket_through_the_loop(ui_env: dict[str, Any]) -> None:
    svc = services(ui_env)
    end_user = signed_in(ui_env["keys"], "end_user")
    assert not reaches(end_user, "pages/queue.py", "工单队列")  # support, consultants and admins only
    opened = svc.support.tickets.open_from_helpdesk(
        "demo", "月结提示上一期间未关闭", None, [{"role": "user", "text": "月结提示上一期间未关闭"}], "王小明"
    )
    svc.ticket_work.attach(
        "demo", opened["id"], "月结报错.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 16, "王小明"
    )
    at = signed_in(ui_env["keys"], "support", "pages/queue.py")
    assert at.title[0].value == "工单队列"
    assert any(m.label == "新工单" and int(m.value) >= 1 for m in at.metric)
    at.selectbox(key="q_source").select("helpdesk").run()
    assert not at.exception, at.exception
    assert opened["id"] in set(at.dataframe[0].value["工单号"])
    at.selectbox(key="q_pick").select(opened["id"]).run()
    assert not at.exception, at.exception
    assert any(b.label.startswith("月结报错.png") for b in at.get("download_button"))  # read on click
    assert any("添加附件" in m.value for m in at.markdown)  # the attach event in words, not a code
    # triage of the ticket's own text: suggestions from the trained models, one click applies them
    assert "分诊建议" in [e.label for e in at.expander]
    assert any(m.value.startswith("**分类**") for m in at.markdown)
    at.button(key="q_apply_triage").click().run()  # the ticket has no labels: a confident guess is offered
    assert not at.exception, at.exception
    classified = svc.ticket_work.show("demo", opened["id"])
    assert classified["events"][-1]["action"] == "classify"
    assert classified["category"] == "财务"  # 月结 (month-end closing) is finance in the history
    at.text_input(key="q_assign_to").input("李娜")
    at.button(key="q_do_assign").click().run()
    assert not at.exception, at.exception
    at.text_area(key="q_reply_text").input("请先在总账关闭上一期间。")
    at.button(key="q_do_reply").click().run()
    at.button(key="q_do_resolve").click().run()  # no note: refused with a message
    assert any("resolution note" in e.value for e in at.error)
    at.text_area(key="q_note").input("关闭上一期间后月结成功。")
    at.button(key="q_do_resolve").click().run()
    assert not at.exception, at.exception
    shown = svc.ticket_work.show("demo", opened["id"])
    assert shown["status"] == "resolved" and shown["assignee"] == "李娜"
    actions = [e["action"] for e in shown["events"] if e["action"] not in ("classify", "attach")]
    assert actions == ["assign", "reply", "resolve"] and shown["events"][-3]["actor"] == "李娜"
    assert "处理记录" in texts(at)


def test_end_user_sees_the_reply_to_their_ticket_in_the_help_desk(ui_env: dict[str, Any]) -> None:
    svc = services(ui_env)
    mine = svc.helpdesk.open_ticket("demo", "发票抬头怎么改？", None, user="王小明", details="订单号 SO-1001")
    svc.ticket_work.reply("demo", mine["id"], "在客户主数据的开票信息里修改。", "李娜")
    theirs = svc.helpdesk.open_ticket("demo", "别人的问题", None, user="someone else")
    at = signed_in(ui_env["keys"], "end_user", "pages/helpdesk.py")
    shown = texts(at)
    assert "我的工单" in [s.value for s in at.sidebar.subheader]
    assert mine["id"] in shown and theirs["id"] not in shown
    assert "在客户主数据的开票信息里修改。" in shown
    assert "订单号 SO-1001" in svc.ticket_work.show("demo", mine["id"])["text"]  # the details travel with it


def test_faq_drafts_are_reviewed_edited_and_published_from_the_tickets_page(ui_env: dict[str, Any]) -> None:
    svc = services(ui_env)
    at = signed_in(ui_env["keys"], "support", "pages/tickets.py")
    assert "常见问题草稿" in [tab.label for tab in at.tabs]
    at.button(key="faq_suggest").click().run()
    assert not at.exception, at.exception
    drafts = svc.support.tickets.faq_drafts("demo", "draft")
    assert drafts and any("草稿待审核" in s.value for s in at.success)
    first, second = drafts[0], drafts[1]
    at.text_area(key=f"faq_a_{first['id']}").input("编辑后的答案：" + first["answer"])
    at.button(key=f"faq_ok_{first['id']}").click().run()
    assert not at.exception, at.exception
    assert any("已发布为 faq/" in s.value for s in at.success)
    published = svc.support.tickets.faq_draft("demo", first["id"])
    assert published["status"] == "approved" and published["answer"].startswith("编辑后的答案：")
    hits = svc.searcher("demo").search(first["question"], 3, doc_types=["faq"])
    assert any(h.chunk.source.endswith(first["id"]) for h in hits)  # indexed at once
    at.button(key=f"faq_no_{second['id']}").click().run()
    assert svc.support.tickets.faq_draft("demo", second["id"])["status"] == "rejected"
    assert not reaches(signed_in(ui_env["keys"], "end_user"), "pages/tickets.py", "工单")  # not for end users
