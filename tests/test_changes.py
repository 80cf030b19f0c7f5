"""Change control: every legal and illegal transition, roles, self-approval, concurrent approvals,
audit completeness, drafting from each source, proposals, exports."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from assistant.changes.export import export_docx, export_markdown
from assistant.changes.models import ACTIONS, Actor
from assistant.changes.service import ChangeRequests
from assistant.errors import InvalidInput, InvalidTransition, NotFound, PermissionDenied
from assistant.services import Services
from tests.conftest import ROOT, import_sample_tickets

# contract tests: each runs on SQLite and on PostgreSQL (server mode)
pytestmark = pytest.mark.backends

REQ = Actor("李娜", "requester")
CONS = Actor("王顾问", "consultant")
CCB1 = Actor("赵总", "ccb")
CCB2 = Actor("钱经理", "ccb")
ADMIN = Actor("admin", "admin")
STATES = (
    "draft",
    "submitted",
    "in_review",
    "needs_info",
    "approved",
    "rejected",
    "implemented",
    "closed",
    "withdrawn",
)


@pytest.fixture
def crs(fast_services: Services) -> ChangeRequests:
    return fast_services.changes


def new(crs: ChangeRequests) -> str:
    return crs.create(
        "demo", REQ, {"title": "盘点期间允许紧急发料", "requested_change": "盘点期间允许紧急发料"}
    )["id"]


def to_state(crs: ChangeRequests, state: str) -> str:
    cid = new(crs)
    path = {
        "draft": [],
        "submitted": [("submit", REQ)],
        "in_review": [("submit", REQ), ("review", CONS)],
        "needs_info": [("submit", REQ), ("review", CONS), ("needs_info", CCB1)],
        "approved": [("submit", REQ), ("review", CONS), ("approve", CCB1), ("approve", CCB2)],
        "rejected": [("submit", REQ), ("review", CONS), ("reject", CCB1)],
        "implemented": [
            ("submit", REQ),
            ("review", CONS),
            ("approve", CCB1),
            ("approve", CCB2),
            ("implement", CONS),
        ],
        "closed": [
            ("submit", REQ),
            ("review", CONS),
            ("approve", CCB1),
            ("approve", CCB2),
            ("implement", CONS),
            ("close", CONS),
        ],
        "withdrawn": [("withdraw", REQ)],
    }[state]
    for action, who in path:
        crs.act(cid, action, who)
    assert crs.get(cid)["status"] == state
    return cid


WHO = {
    "submit": REQ,
    "review": CONS,
    "approve": CCB1,
    "reject": CCB1,
    "needs_info": CCB1,
    "revise": REQ,
    "implement": CONS,
    "close": CONS,
    "withdraw": REQ,
}


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("action", list(ACTIONS))
def test_every_transition(crs: ChangeRequests, state: str, action: str) -> None:
    cid = to_state(crs, state)
    sources, target, _ = ACTIONS[action]
    if state in sources:
        out = crs.act(cid, action, WHO[action])
        expected = "in_review" if action == "approve" else target  # one approval of two keeps it in review
        assert out["status"] == expected
    else:
        with pytest.raises(InvalidTransition, match="legal now"):
            crs.act(cid, action, WHO[action])
        assert crs.get(cid)["status"] == state


def test_roles_and_self_approval(crs: ChangeRequests) -> None:
    cid = to_state(crs, "in_review")
    with pytest.raises(PermissionDenied):
        crs.act(cid, "approve", CONS)  # consultants are not on the board
    with pytest.raises(PermissionDenied, match="own"):
        crs.act(cid, "approve", Actor("李娜", "ccb"))  # the requester sitting on the board
    with pytest.raises(PermissionDenied):
        crs.act(cid, "reject", REQ)
    crs.act(cid, "approve", CCB1)
    with pytest.raises(InvalidTransition, match="already approved"):
        crs.act(cid, "approve", CCB1)
    assert crs.act(cid, "approve", CCB2)["status"] == "approved"
    other = new(crs)
    with pytest.raises(PermissionDenied, match="only the requester"):
        crs.act(other, "withdraw", Actor("someone else", "requester"))
    with pytest.raises(InvalidInput):
        Actor("x", "boss")
    with pytest.raises(InvalidInput):
        crs.act(other, "bless", ADMIN)
    with pytest.raises(NotFound):
        crs.act("CR-NOPE", "submit", REQ)


def test_concurrent_approvals_no_lost_update(fast_services: Services) -> None:
    crs = fast_services.changes
    cid = to_state(crs, "in_review")
    board = [Actor(f"member{i}", "ccb") for i in range(6)]
    errors: list[Exception] = []

    def approve(a: Actor) -> None:
        try:
            ChangeRequests(fast_services.db, 2).act(cid, "approve", a)
        except Exception as e:  # the late ones find the request already approved
            errors.append(e)

    threads = [threading.Thread(target=approve, args=(a,)) for a in board]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    cr = crs.get(cid)
    assert cr["status"] == "approved"
    assert len(cr["approvals"]) == 2
    assert all(isinstance(e, InvalidTransition) for e in errors) and len(errors) == 4
    transitions = [a for a in crs.audit(cid) if a["action"] == "approve" and a["to_state"] == "approved"]
    assert len(transitions) == 1


def test_audit_log_is_complete_and_append_only(crs: ChangeRequests) -> None:
    cid = new(crs)
    crs.edit(cid, REQ, {"reason": "车间停线风险"}, comment="补充原因")
    for action, who in [("submit", REQ), ("review", CONS), ("needs_info", CCB1), ("revise", REQ)]:
        crs.act(cid, action, who, comment=f"{action} ok")
    log = crs.audit(cid)
    assert [a["action"] for a in log] == ["create", "edit", "submit", "review", "needs_info", "revise"]
    assert log[1]["changes"] == {"reason": {"from": None, "to": "车间停线风险"}} and log[1]["actor"] == "李娜"
    assert [(a["from_state"], a["to_state"]) for a in log[2:]] == [
        ("draft", "submitted"),
        ("submitted", "in_review"),
        ("in_review", "needs_info"),
        ("needs_info", "draft"),
    ]
    assert all(a["at"] and a["role"] for a in log)
    # the database refuses it (SQLite's trigger, or PostgreSQL's), whatever the code above does
    with pytest.raises(Exception, match="append-only"):
        crs.db.conn.execute("UPDATE cr_audit SET actor = 'x'")
    with pytest.raises(Exception, match="append-only"):
        crs.db.conn.execute("DELETE FROM cr_audit")
    with pytest.raises(InvalidTransition):
        crs.act(cid, "submit", REQ) and crs.edit(crs.act(cid, "review", CONS)["id"], REQ, {"reason": "x"})
    with pytest.raises(InvalidInput, match="cannot be edited"):
        crs.edit(new(crs), REQ, {"status": "approved"})


@pytest.fixture
def demo(services: Services) -> Services:
    services.ingest("demo", [ROOT / "corpus"])
    import_sample_tickets(services)
    return services


def test_drafting_from_each_source(demo: Services) -> None:
    text_cr = demo.draft_change("demo", REQ, text="盘点期间希望允许紧急发料，因为车间停线损失很大。")
    assert text_cr["reason"] and "inventory" in text_cr["affected_modules"]
    assert any("REQ-INV-011" in r["ids"] for r in text_cr["affected_requirements"])
    for key in ("effort_days", "schedule", "cost", "risk"):
        assert text_cr["impact"][key]["proposed"] is True
    assert text_cr["related_incidents"] and text_cr["current_behaviour"]
    ticket_id = demo.support.tickets.all("demo")[0]["id"]
    t_cr = demo.draft_change("demo", CONS, ticket=ticket_id)
    assert t_cr["source"] == {"kind": "ticket", "id": ticket_id}
    spec_cr = demo.draft_change("demo", CONS, spec_req="REQ-INV-011")
    assert spec_cr["source"]["id"] == "REQ-INV-011" and "REQ-INV-011" in spec_cr["requested_change"]
    from assistant.interviews.transcripts import parse_transcript

    s = demo.interviews.create("凤凰项目", "inventory", [{"name": "张伟"}], kb="demo")
    demo.interviews.add_turns(
        s["id"], parse_transcript("张伟：系统必须支持按库位冻结出入库。".encode(), "t.txt")
    )
    demo.extract_session(s["id"])
    i_cr = demo.draft_change("demo", CONS, session=s["id"], req="R1")
    assert i_cr["source"]["quote"] == "系统必须支持按库位冻结出入库。"
    with pytest.raises(InvalidInput, match="exactly one"):
        demo.draft_change("demo", CONS, text="x", ticket=ticket_id)
    with pytest.raises(NotFound):
        demo.draft_change("demo", CONS, spec_req="REQ-NOPE-999")
    with pytest.raises(NotFound):
        demo.draft_change("demo", CONS, ticket="INC-0")


def test_report_and_exports(demo: Services, tmp_path: Path) -> None:
    crs = demo.changes
    a = demo.draft_change("demo", REQ, text="盘点期间希望允许紧急发料。")["id"]
    for action, who in [("submit", REQ), ("review", CONS), ("approve", CCB1), ("approve", CCB2)]:
        crs.act(a, action, who)
    b = demo.draft_change("demo", REQ, text="Invoices should be approved on the phone.")["id"]
    crs.act(b, "submit", REQ)
    r = crs.report("demo")
    assert [i["id"] for i in r["open_by_state"]["submitted"]] == [b]
    assert r["approved_per_module"].get("inventory") == 1 and r["effort_added_days"] > 0
    assert r["baseline_changes"][0]["id"] == a
    cr, audit = crs.get(a), crs.audit(a)
    md = export_markdown(cr, audit)
    assert f"# {a}" in md and "proposed — confirm" in md and "| approve |" in md
    import docx

    d = docx.Document(str(export_docx(cr, audit, tmp_path / "cr.docx")))
    assert d.tables[0].rows[1].cells[2].text == "proposed — confirm"
    assert [row.cells[2].text for row in d.tables[1].rows[1:]] == [x["action"] for x in audit]


def test_llm_prose_is_checked_like_answers() -> None:
    from assistant.changes.drafting import draft_prose
    from assistant.providers.fakes import FailingChatModel, FakeListChatModel
    from assistant.schemas import Chunk, DocType, SearchHit

    chunk = Chunk(
        chunk_id="c1",
        kb="demo",
        doc_id="d",
        source="spec.docx",
        doc_type=DocType.spec,
        title="Spec",
        section="3.4 库存盘点",
        text="REQ-INV-011 盘点期间冻结库位的出入库。",
        content_hash="h",
        version="v",
    )
    hits = [SearchHit(chunk=chunk, score=1.0)]
    ok = draft_prose(
        FakeListChatModel(responses=["盘点期间库位冻结 [1]，本变更放宽该规则 [4]。"]), "允许紧急发料", hits
    )
    assert ok["summary"] == "盘点期间库位冻结 [1]，本变更放宽该规则。" and ok["llm_flags"] == [
        "invalid_citation_removed"
    ]
    assert ok["summary_citations"][0]["source"] == "spec.docx"
    assert "summary" not in draft_prose(FakeListChatModel(responses=["No sources here."]), "x", hits)
    failed = draft_prose(FailingChatModel(), "x", hits)
    assert failed["llm_flags"] == ["llm_unavailable"] and "summary" not in failed


def test_consultant_confirms_impact_estimates(crs: ChangeRequests) -> None:
    cr_id = new(crs)
    with pytest.raises(PermissionDenied):
        crs.confirm_impact(cr_id, REQ, effort_days=3)
    with pytest.raises(InvalidInput):
        crs.confirm_impact(cr_id, CONS)  # nothing given
    with pytest.raises(InvalidInput):
        crs.confirm_impact(cr_id, CONS, risk="huge")
    with pytest.raises(InvalidInput):
        crs.confirm_impact(cr_id, CONS, effort_days=-1)
    cr = crs.confirm_impact(cr_id, CONS, effort_days=3, cost=12000, comment="与客户确认")
    assert cr["impact"]["effort_days"] == {"value": 3, "proposed": False, "basis": "confirmed by 王顾问"}
    assert cr["impact"]["cost"]["value"] == 12000 and cr["impact"]["cost"]["proposed"] is False
    last = crs.audit(cr_id)[-1]
    assert last["action"] == "edit" and last["comment"] == "与客户确认" and "impact" in last["changes"]
    crs.act(cr_id, "submit", REQ)
    with pytest.raises(InvalidTransition):  # only drafts (or requests that need information) change
        crs.confirm_impact(cr_id, CONS, effort_days=5)


def test_drafted_acceptance_criterion_is_in_the_request_language() -> None:
    from assistant.changes.drafting import draft_fields

    zh = draft_fields("希望盘点单可以导出Excel，因为仓库要离线核对。", "王小明")
    en = draft_fields("Allow exporting stock counts to Excel.", "Mary")
    assert zh["acceptance_criteria"][0]["text"].startswith("变更上线后")
    assert "Given the change is deployed" not in zh["acceptance_criteria"][0]["text"]
    assert en["acceptance_criteria"][0]["text"].startswith("Given the change is deployed")
