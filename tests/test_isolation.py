"""Data isolation between people and knowledge bases, through the HTTP API with real keys of each
role: incident data in change requests, conversations per person, own change requests, no existence
probing, and deleting a knowledge base takes everything of it."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from assistant.access.store import KeyStore
from assistant.api import create_app
from assistant.services import Services
from tests.conftest import ROOT, import_sample_tickets

# contract tests: each runs on SQLite and on PostgreSQL (server mode)
pytestmark = pytest.mark.backends

ROLES = ("end_user", "support", "consultant", "ccb", "admin")


@pytest.fixture
def api(services: Services):  # type: ignore[no-untyped-def]
    services.ingest("demo", [ROOT / "corpus" / "faq", ROOT / "corpus" / "specs"])
    services.ingest("other", [ROOT / "corpus" / "notes"])
    import_sample_tickets(services)
    keys = KeyStore(services.db)
    h = {}
    for role in ROLES:
        secret, _ = keys.create(role, role, ["*"] if role == "admin" else ["demo"])
        h[role] = {"Authorization": f"Bearer {secret}"}
    secret, _ = keys.create("end_user_2", "end_user", ["demo"])
    h["end_user_2"] = {"Authorization": f"Bearer {secret}"}
    return TestClient(create_app(services)), h, services


def error(r) -> dict:  # type: ignore[no-untyped-def]
    body = r.json()
    assert set(body) == {"error"}, body
    return body["error"]


def ticket_words(services: Services, ticket: str) -> list[str]:
    t = services.support.tickets.get("demo", ticket)
    return [t["id"], t["title"][:12], t["text"].splitlines()[0][:14]]


def test_incident_data_reaches_only_roles_with_ticket_access(api) -> None:  # type: ignore[no-untyped-def]
    client, h, services = api
    words = ticket_words(services, "INC-1023")
    # a consultant drafts from a ticket: the ticket's text is the background
    cr = client.post(
        "/v1/change-requests", json={"kb": "demo", "ticket": "INC-1023"}, headers=h["consultant"]
    )
    assert cr.status_code == 201
    cr_id = cr.json()["id"]
    assert cr.json()["source"]["id"] == "INC-1023" and words[2] in cr.json()["background"]
    # an end user drafts from text close to incidents: related incidents are found for support ...
    own = client.post(
        "/v1/change-requests",
        json={"kb": "demo", "text": "收货数量超过订单时不能过账，希望允许超收5%"},
        headers=h["end_user"],
    )
    assert own.status_code == 201 and own.json()["related_incidents"] == []
    seen_by_support = client.get(f"/v1/change-requests/{own.json()['id']}", headers=h["support"]).json()
    assert seen_by_support["related_incidents"], "support sees the related incidents"
    for role in ("end_user", "ccb"):
        listed = client.get("/v1/change-requests", params={"kb": "demo"}, headers=h[role])
        read = client.get(f"/v1/change-requests/{cr_id}", headers=h[role])
        exported = client.get(f"/v1/change-requests/{cr_id}/export", params={"format": "md"}, headers=h[role])
        assert listed.status_code == read.status_code == exported.status_code == 200
        everything = json.dumps(listed.json(), ensure_ascii=False) + json.dumps(
            read.json(), ensure_ascii=False
        )
        everything += exported.text
        for w in words:
            assert w not in everything, (role, w)
        assert all(not c["related_incidents"] for c in listed.json())
        assert read.json()["source"] == {"kind": "ticket"}
    # roles with ticket access see it all, in the audit log too
    full = client.get(f"/v1/change-requests/{cr_id}", headers=h["support"]).json()
    assert full["source"]["id"] == "INC-1023"
    assert words[2] in json.dumps(full["audit"], ensure_ascii=False)
    # search and answers keep incidents away from end users as before
    hits = client.post("/v1/search", json={"kb": "demo", "query": words[2], "k": 20}, headers=h["end_user"])
    assert all(
        r["source"].split(":")[0] != "incident" and "INC-" not in r["source"] for r in hits.json()["results"]
    )


def test_conversations_and_feedback_are_per_person(api) -> None:  # type: ignore[no-untyped-def]
    client, h, _ = api
    asked = client.post(
        "/v1/ask", json={"kb": "demo", "question": "如何重置密码？"}, headers=h["end_user"]
    ).json()
    conv, mid = asked["conversation_id"], asked["message_id"]
    for other in ("end_user_2", "support", "consultant", "ccb"):
        assert client.get(f"/v1/conversations/{conv}", headers=h[other]).status_code == 404
        rated = client.post("/v1/feedback", json={"message_id": mid, "rating": "down"}, headers=h[other])
        assert rated.status_code == 404
        cont = client.post(
            "/v1/ask", json={"kb": "demo", "question": "还有呢", "conversation_id": conv}, headers=h[other]
        )
        assert cont.status_code == 404
        ticket = client.post(
            "/v1/tickets", json={"kb": "demo", "question": "x", "conversation_id": conv}, headers=h[other]
        )
        assert ticket.status_code == 404
    assert client.get(f"/v1/conversations/{conv}", headers=h["end_user"]).status_code == 200
    assert client.get(f"/v1/conversations/{conv}", headers=h["admin"]).status_code == 200
    assert (
        client.post(
            "/v1/feedback", json={"message_id": mid, "rating": "up"}, headers=h["end_user"]
        ).status_code
        == 200
    )
    # nobody's rating replaced the owner's
    got = client.get(f"/v1/conversations/{conv}", headers=h["end_user"]).json()
    assert got["messages"][0]["feedback"]["rating"] == 1


def test_requesters_act_only_on_their_own_change_requests(api) -> None:  # type: ignore[no-untyped-def]
    client, h, _ = api
    mine = client.post(
        "/v1/change-requests", json={"kb": "demo", "text": "希望盘点单可以导出Excel"}, headers=h["end_user"]
    )
    cr_id = mine.json()["id"]
    assert "submit" in mine.json()["available_actions"]
    for other in ("end_user_2", "support"):
        seen = client.get(f"/v1/change-requests/{cr_id}", headers=h[other]).json()
        assert "submit" not in seen["available_actions"] and "withdraw" not in seen["available_actions"]
        for action in ("submit", "withdraw"):
            r = client.post(f"/v1/change-requests/{cr_id}/{action}", json={}, headers=h[other])
            assert r.status_code == 403 and error(r)["code"] == "permission_denied", (other, action)
    assert (
        client.post(f"/v1/change-requests/{cr_id}/submit", json={}, headers=h["end_user"]).status_code == 200
    )
    # through review to needs_info: only the requester (or a consultant) revises
    assert client.post(f"/v1/change-requests/{cr_id}/review", json={}, headers=h["ccb"]).status_code == 200
    assert (
        client.post(f"/v1/change-requests/{cr_id}/needs-info", json={}, headers=h["ccb"]).status_code == 200
    )
    r = client.post(f"/v1/change-requests/{cr_id}/revise", json={}, headers=h["end_user_2"])
    assert r.status_code == 403
    assert (
        client.post(f"/v1/change-requests/{cr_id}/revise", json={}, headers=h["consultant"]).status_code
        == 200
    )


def test_ids_of_other_knowledge_bases_answer_like_unknown_ones(api) -> None:  # type: ignore[no-untyped-def]
    client, h, _ = api
    theirs = client.post(
        "/v1/change-requests", json={"kb": "other", "text": "调整回退方案"}, headers=h["admin"]
    ).json()
    asked = client.post("/v1/ask", json={"kb": "other", "question": "回退方案"}, headers=h["admin"]).json()
    probes = [
        ("get", f"/v1/change-requests/{theirs['id']}", "/v1/change-requests/CR-000000", None),
        ("post", f"/v1/change-requests/{theirs['id']}/submit", "/v1/change-requests/CR-000000/submit", {}),
        ("get", f"/v1/change-requests/{theirs['id']}/export", "/v1/change-requests/CR-000000/export", None),
        ("get", f"/v1/conversations/{asked['conversation_id']}", "/v1/conversations/ffffffffffffffff", None),
    ]
    for method, real, fake, body in probes:
        a = getattr(client, method)(
            real, headers=h["consultant"], **({"json": body} if body is not None else {})
        )
        b = getattr(client, method)(
            fake, headers=h["consultant"], **({"json": body} if body is not None else {})
        )
        assert a.status_code == b.status_code == 404, real
        strip = lambda r, i: error(r)["message"].replace(i, "X")  # noqa: E731
        assert strip(a, real.split("/")[3]) == strip(b, fake.split("/")[3])
    fb_a = client.post(
        "/v1/feedback", json={"message_id": asked["message_id"], "rating": "up"}, headers=h["consultant"]
    )
    fb_b = client.post(
        "/v1/feedback", json={"message_id": "ffffffffffffffff", "rating": "up"}, headers=h["consultant"]
    )
    assert fb_a.status_code == fb_b.status_code == 404


def test_deleting_a_knowledge_base_takes_everything_of_it(api) -> None:  # type: ignore[no-untyped-def]
    client, h, services = api
    home = services.settings.home
    client.post("/v1/ask", json={"kb": "demo", "question": "如何重置密码？"}, headers=h["end_user"])
    client.post("/v1/tickets", json={"kb": "demo", "question": "怎么申请年假"}, headers=h["end_user"])
    client.post("/v1/change-requests", json={"kb": "demo", "ticket": "INC-1023"}, headers=h["consultant"])
    up = client.post(
        "/v1/ingest",
        data={"kb": "demo"},
        files={"file": ("u.md", b"# U\n\nuploaded", "text/markdown")},
        headers=h["consultant"],
    )
    assert up.status_code == 200
    services.interviews.create("P", "inventory", [{"name": "张伟"}], kb="demo")
    services.support.train("demo", ["category"])
    assert list((home / "triage").rglob("*.joblib")) and list((home / "uploads").rglob("u.md"))
    segments = lambda: {p.name for p in (home / "chroma").iterdir() if p.is_dir()}  # noqa: E731
    before = segments()
    # only admins delete
    assert client.delete("/v1/kb/demo", headers=h["consultant"]).status_code == 403
    done = client.delete("/v1/kb/demo", params={"archive": "true"}, headers=h["admin"])
    assert done.status_code == 200, done.text
    body = done.json()
    assert body["deleted"]["tickets"] == 97 and body["deleted"]["change_requests"] == 1
    assert body["deleted"]["cr_audit"] >= 1 and body["deleted"]["messages"] == 1
    archive = json.loads(open(body["archive"], encoding="utf-8").read())
    assert len(archive["records"]["tickets"]) == 97 and archive["records"]["cr_audit"]
    # the running server survives: the other knowledge base still answers, the deleted one is gone
    assert (
        client.post("/v1/search", json={"kb": "other", "query": "回退"}, headers=h["admin"]).status_code
        == 200
    )
    assert (
        client.post("/v1/search", json={"kb": "demo", "query": "密码"}, headers=h["admin"]).status_code == 404
    )
    assert not list((home / "triage").rglob("*.joblib")) and not list((home / "uploads").rglob("u.md"))
    assert len(segments()) == len(before) - 1  # the Chroma index folder of "demo" went with it
    # a new knowledge base of the same name starts empty
    services.ingest("demo", [ROOT / "corpus" / "faq"])
    assert services.support.tickets.all("demo") == []
    assert client.get("/v1/change-requests", params={"kb": "demo"}, headers=h["admin"]).json() == []
    assert services.helpdesk.conversations("demo") == []
    assert [s for s in services.interviews.sessions() if s.get("kb") == "demo"] == []
    assert (
        client.post("/v1/search", json={"kb": "demo", "query": "密码"}, headers=h["admin"]).status_code == 200
    )
    # the audit log stays append-only outside a knowledge-base delete
    client.post("/v1/change-requests", json={"kb": "other", "text": "调整回退方案"}, headers=h["admin"])
    with pytest.raises(Exception, match="append-only"):  # SQLite's trigger or PostgreSQL's
        services.db.conn.execute("DELETE FROM cr_audit")


def test_a_delete_by_another_process_is_seen_at_once(api) -> None:  # type: ignore[no-untyped-def]
    """`assistant kb delete` in a shell while the server runs: the server answers 404, not 502."""
    from assistant.services import build_services

    client, h, services = api
    assert (
        client.post("/v1/search", json={"kb": "other", "query": "回退"}, headers=h["admin"]).status_code
        == 200
    )
    second = build_services(services.settings, embeddings=services.embeddings)
    second.delete_kb("other")
    gone = client.post("/v1/search", json={"kb": "other", "query": "回退"}, headers=h["admin"])
    assert gone.status_code == 404 and error(gone)["code"] == "not_found"
    second.ingest("other", [ROOT / "corpus" / "faq"])  # made again elsewhere: served fresh
    again = client.post("/v1/search", json={"kb": "other", "query": "密码", "k": 1}, headers=h["admin"])
    assert again.status_code == 200 and again.json()["results"][0]["source"] == "常见问题.html"


def test_capability_table_and_workflow_agree_on_own_change_requests() -> None:
    from assistant.access.models import Principal, Role
    from assistant.changes.models import OWN_ONLY, actor_for, may_act_on

    cr = {"requester": "someone else"}
    for role in Role:
        p = Principal("k", "me", role, ["*"])
        for action in (*OWN_ONLY, "edit"):
            assert may_act_on(cr, actor_for("me", role.value), action) == p.can("others_change_requests"), (
                role,
                action,
            )


def _streamed_upload(app, headers: dict[str, str], megabytes: int) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    """POST a multipart body of ``megabytes`` MB in 1 MB pieces; the status and how many pieces
    the server pulled before it answered."""
    import asyncio

    import httpx

    pulled = 0
    boundary = "XyZ"

    async def body():  # type: ignore[no-untyped-def]
        nonlocal pulled
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="kb"\r\n\r\ndemo\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.md"\r\n'
            "Content-Type: text/markdown\r\n\r\n"
        ).encode()
        yield head
        for _ in range(megabytes):
            pulled += 1
            yield b"x" * (1 << 20)
        yield f"\r\n--{boundary}--\r\n".encode()

    async def go() -> int:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            r = await client.post(
                "/v1/ingest",
                content=body(),
                headers={**headers, "Content-Type": f"multipart/form-data; boundary={boundary}"},
            )
            return r.status_code

    return asyncio.run(go()), pulled


def test_uploads_are_checked_before_the_body_is_read(api) -> None:  # type: ignore[no-untyped-def]
    client, h, services = api
    services.settings.ingest.max_file_mb = 5
    app = client.app
    # no key, a key that may not write: refused before a byte of a 300 MB body is read
    assert _streamed_upload(app, {}, 300) == (401, 0)
    assert _streamed_upload(app, h["end_user"], 300) == (403, 0)
    # a writer's over-limit upload: refused as soon as the limit passes, not after 300 MB
    status, pulled = _streamed_upload(app, h["consultant"], 300)
    assert status == 413 and pulled <= 7
    assert not list((services.settings.home / "uploads").rglob("big.md"))
    # the message uses the configured unit: "5 MB", not "5.2 MB"
    r = client.post(
        "/v1/ingest",
        data={"kb": "demo"},
        files={"file": ("big.md", b"x" * (6 << 20), "text/markdown")},
        headers=h["consultant"],
    )
    assert r.status_code == 413 and "over the 5 MB limit" in error(r)["message"]
