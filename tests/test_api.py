"""Every HTTP route through TestClient: happy paths, auth failures, scope, uploads."""

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


@pytest.fixture
def api(services: Services):  # type: ignore[no-untyped-def]
    services.ingest("demo", [ROOT / "corpus" / "faq"])
    services.ingest("secret-project", [ROOT / "corpus" / "notes"])
    keys = KeyStore(services.db)
    h = {}
    for role, kbs in [("end_user", ["demo"]), ("consultant", ["demo"]), ("admin", ["*"])]:
        secret, _ = keys.create(role, role, kbs)
        h[role] = {"Authorization": f"Bearer {secret}"}
    return TestClient(create_app(services)), h, services


def error(r) -> dict:  # type: ignore[no-untyped-def]
    body = r.json()
    assert set(body) == {"error"} and body["error"]["message"] and body["error"]["code"]
    return body["error"]


def test_health_needs_no_key(api) -> None:  # type: ignore[no-untyped-def]
    client, _, _ = api
    r = client.get("/v1/health")
    assert r.status_code == 200 and r.json()["status"] == "ok" and r.json()["answer_mode"] == "none"
    assert client.get("/docs").status_code == 200
    assert "/v1/ask" in client.get("/openapi.json").json()["paths"]


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer nope"}, {"X-API-Key": "ak_wrong"}])
def test_missing_or_wrong_key_is_401(api, headers) -> None:  # type: ignore[no-untyped-def]
    client, _, _ = api
    r = client.post("/v1/ask", json={"kb": "demo", "question": "x"}, headers=headers)
    assert r.status_code == 401 and error(r)["code"] == "unauthorized"


def test_ask_and_conversation_and_feedback(api) -> None:  # type: ignore[no-untyped-def]
    client, h, _ = api
    r = client.post("/v1/ask", json={"kb": "demo", "question": "如何重置密码？"}, headers=h["end_user"])
    assert r.status_code == 200
    body = r.json()
    assert body["found"] and body["citations"][0] == {
        **body["citations"][0],
        "n": 1,
        "source": "常见问题.html",
    }
    assert set(body["citations"][0]) == {
        "n",
        "source",
        "page",
        "section",
        "snippet",
        "kind",
        "matched",
        "chunk_id",
    }
    conv = client.get(f"/v1/conversations/{body['conversation_id']}", headers=h["end_user"])
    assert conv.status_code == 200 and conv.json()["messages"][0]["question"] == "如何重置密码？"
    fb = client.post(
        "/v1/feedback",
        json={"message_id": body["message_id"], "rating": "down", "comment": "太长"},
        headers=h["end_user"],
    )
    assert fb.status_code == 200 and fb.json()["rating"] == -1
    bad = client.post(
        "/v1/feedback", json={"message_id": body["message_id"], "rating": 3}, headers=h["end_user"]
    )
    assert bad.status_code == 422 and error(bad)["code"] == "invalid_request"
    missing = client.post("/v1/feedback", json={"message_id": "nope", "rating": "up"}, headers=h["end_user"])
    assert missing.status_code == 404


def test_ask_stream_server_sent_events(api) -> None:  # type: ignore[no-untyped-def]
    client, h, _ = api
    with client.stream(
        "POST",
        "/v1/ask",
        json={"kb": "demo", "question": "Can I approve on my phone?", "stream": True},
        headers=h["end_user"],
    ) as r:
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
        text = "".join(r.iter_text())
    events = [block for block in text.split("\n\n") if block.strip()]
    assert events[-1].startswith("event: answer")
    final = json.loads(events[-1].split("data: ", 1)[1])
    assert final["found"] and final["citations"]


def test_scope_violation_reveals_nothing(api) -> None:  # type: ignore[no-untyped-def]
    client, h, _ = api
    existing = client.post(
        "/v1/ask", json={"kb": "secret-project", "question": "上线"}, headers=h["end_user"]
    )
    missing = client.post("/v1/ask", json={"kb": "no-such-kb", "question": "上线"}, headers=h["end_user"])
    assert existing.status_code == missing.status_code == 403
    assert error(existing)["message"].replace("secret-project", "X") == error(missing)["message"].replace(
        "no-such-kb", "X"
    )
    assert [k["name"] for k in client.get("/v1/kb", headers=h["end_user"]).json()] == ["demo"]
    assert {k["name"] for k in client.get("/v1/kb", headers=h["admin"]).json()} == {"demo", "secret-project"}
    r = client.post("/v1/search", json={"kb": "secret-project", "query": "上线"}, headers=h["end_user"])
    assert r.status_code == 403
    # a conversation of another knowledge base is out of scope too
    other = client.post(
        "/v1/ask", json={"kb": "secret-project", "question": "回退方案"}, headers=h["admin"]
    ).json()
    leak = client.get(f"/v1/conversations/{other['conversation_id']}", headers=h["end_user"])
    unknown = client.get("/v1/conversations/0000000000000000", headers=h["end_user"])
    # answered exactly as an unknown id: ids cannot be probed
    assert leak.status_code == unknown.status_code == 404
    assert error(leak)["message"].replace(other["conversation_id"], "X") == error(unknown)["message"].replace(
        "0000000000000000", "X"
    )


def test_search_route_and_validation(api) -> None:  # type: ignore[no-untyped-def]
    client, h, _ = api
    r = client.post("/v1/search", json={"kb": "demo", "query": "盘点 发料", "k": 2}, headers=h["end_user"])
    assert r.status_code == 200 and len(r.json()["results"]) == 2
    assert {"source", "page", "section", "score", "text"} <= set(r.json()["results"][0])
    for payload in (
        {"kb": "demo", "query": ""},
        {"kb": "demo", "query": "x", "k": 0},
        {"kb": "demo", "query": "x", "types": ["poster"]},
        {"query": "x"},
    ):
        bad = client.post("/v1/search", json=payload, headers=h["end_user"])
        assert bad.status_code == 422, payload
        error(bad)
    unknown = client.post("/v1/search", json={"kb": "ghost", "query": "x"}, headers=h["admin"])
    assert unknown.status_code == 404 and error(unknown)["code"] == "not_found"
    broken = client.post(
        "/v1/search", content=b"{not json", headers={**h["end_user"], "Content-Type": "application/json"}
    )
    assert broken.status_code == 422


def test_ticket_route(api) -> None:  # type: ignore[no-untyped-def]
    client, h, services = api
    r = client.post(
        "/v1/tickets", json={"kb": "demo", "question": "工资个税怎么配置？"}, headers=h["end_user"]
    )
    assert r.status_code == 201 and r.json()["id"].startswith("HD-")


def test_ingest_upload(api) -> None:  # type: ignore[no-untyped-def]
    client, h, services = api
    files = {
        "file": (
            "../../../etc/退货流程.md",
            "# 退货流程\n\n不合格品转入退货区，由采购员发起退货。\n".encode(),
            "text/markdown",
        )
    }
    r = client.post(
        "/v1/ingest", data={"kb": "demo", "doc_type": "manual"}, files=files, headers=h["consultant"]
    )
    assert r.status_code == 200, r.text
    assert r.json()["source"] == "退货流程.md" and r.json()["status"] == "added"
    stored = services.settings.home / "uploads"
    assert [p.name for p in stored.rglob("*.md")] == ["退货流程.md"]
    hits = client.post("/v1/search", json={"kb": "demo", "query": "退货"}, headers=h["end_user"]).json()[
        "results"
    ]
    assert hits[0]["source"] == "退货流程.md"


def test_ingest_refusals(api) -> None:  # type: ignore[no-untyped-def]
    client, h, services = api
    md = {"file": ("a.md", b"# A\n\ntext", "text/markdown")}
    assert client.post("/v1/ingest", data={"kb": "demo"}, files=md, headers=h["end_user"]).status_code == 403
    assert (
        client.post(
            "/v1/ingest", data={"kb": "secret-project"}, files=md, headers=h["consultant"]
        ).status_code
        == 403
    )
    exe = client.post(
        "/v1/ingest",
        data={"kb": "demo"},
        files={"file": ("x.exe", b"MZ", "application/octet-stream")},
        headers=h["consultant"],
    )
    assert exe.status_code == 415 and error(exe)["code"] == "unsupported_format"
    services.settings.ingest.max_file_mb = 0.001
    big = client.post(
        "/v1/ingest",
        data={"kb": "demo"},
        files={"file": ("big.md", b"# B\n\n" + b"x" * 5000, "text/markdown")},
        headers=h["consultant"],
    )
    assert big.status_code == 413 and error(big)["code"] == "too_large"
    services.settings.ingest.max_file_mb = 50
    corrupt = client.post(
        "/v1/ingest",
        data={"kb": "demo"},
        files={"file": ("m.pdf", b"%PDF-1.4 broken", "application/pdf")},
        headers=h["consultant"],
    )
    assert corrupt.status_code == 422 and error(corrupt)["code"] == "document_parse"
    assert not list((services.settings.home / "uploads").rglob("m.pdf"))  # nothing half-written
    nofile = client.post("/v1/ingest", data={"kb": "demo"}, headers=h["consultant"])
    assert nofile.status_code == 422
    noname = client.post(
        "/v1/ingest", data={"kb": "demo"}, files={"file": ("..", b"x", "text/plain")}, headers=h["consultant"]
    )
    assert noname.status_code in (400, 422)


def test_triage_route(api) -> None:  # type: ignore[no-untyped-def]
    client, h, services = api
    import_sample_tickets(services)
    services.support.train("demo", ["category"])
    from assistant.access.store import KeyStore

    secret, _ = KeyStore(services.db).create("support", "support", ["demo"])
    support = {"Authorization": f"Bearer {secret}"}
    r = client.post("/v1/triage", json={"kb": "demo", "text": "登录提示账户已锁定"}, headers=support)
    assert r.status_code == 200
    body = r.json()
    assert set(body) == {"predictions", "similar", "duplicates", "articles", "urgency"}
    assert body["urgency"] == {"level": "none", "cues": []}  # a locked account is no outage
    assert body["predictions"]["category"]["predicted"] == "账户权限"
    assert (
        client.post("/v1/triage", json={"kb": "demo", "text": "x"}, headers=h["end_user"]).status_code == 403
    )
    assert client.post("/v1/triage", json={"kb": "demo", "text": ""}, headers=support).status_code == 422
    assert (
        client.post("/v1/triage", json={"kb": "secret-project", "text": "x"}, headers=support).status_code
        == 403
    )


def test_change_request_routes(api) -> None:  # type: ignore[no-untyped-def]
    client, h, services = api
    from assistant.access.store import KeyStore

    keys = KeyStore(services.db)
    ccb = []
    for name in ("board-a", "board-b"):
        secret, _ = keys.create(name, "ccb", ["demo"])
        ccb.append({"Authorization": f"Bearer {secret}"})
    r = client.post(
        "/v1/change-requests",
        json={"kb": "demo", "text": "Approve purchase orders on the phone."},
        headers=h["end_user"],
    )
    assert r.status_code == 201, r.text
    cid = r.json()["id"]
    assert r.json()["impact"]["effort_days"]["proposed"] is True
    assert (
        client.post(f"/v1/change-requests/{cid}/submit", json={}, headers=h["end_user"]).json()["status"]
        == "submitted"
    )
    assert (
        client.post(f"/v1/change-requests/{cid}/review", json={}, headers=h["consultant"]).json()["status"]
        == "in_review"
    )
    illegal = client.post(f"/v1/change-requests/{cid}/close", json={}, headers=h["admin"])
    assert illegal.status_code == 409 and "legal now" in error(illegal)["message"]
    denied = client.post(f"/v1/change-requests/{cid}/approve", json={}, headers=h["consultant"])
    assert denied.status_code == 403
    client.post(f"/v1/change-requests/{cid}/approve", json={"comment": "ok"}, headers=ccb[0])
    done = client.post(f"/v1/change-requests/{cid}/approve", json={}, headers=ccb[1])
    assert done.json()["status"] == "approved"
    full = client.get(f"/v1/change-requests/{cid}", headers=h["end_user"]).json()
    assert [a["action"] for a in full["audit"]] == ["create", "submit", "review", "approve", "approve"]
    assert [c["id"] for c in client.get("/v1/change-requests?kb=demo", headers=h["end_user"]).json()] == [cid]
    assert client.get("/v1/change-requests?kb=secret-project", headers=h["end_user"]).status_code == 403
    assert client.get("/v1/change-requests/CR-NOPE", headers=h["end_user"]).status_code == 404
    bad = client.post("/v1/change-requests", json={"kb": "demo"}, headers=h["end_user"])
    assert bad.status_code == 400


def test_drafting_needs_access_to_its_source(api) -> None:  # type: ignore[no-untyped-def]
    client, h, services = api
    import_sample_tickets(services)
    # an end user may not pull another person's incident ticket into a change request
    r = client.post("/v1/change-requests", json={"kb": "demo", "ticket": "INC-1023"}, headers=h["end_user"])
    assert r.status_code == 403 and error(r)["code"] == "permission_denied"
    ok = client.post(
        "/v1/change-requests", json={"kb": "demo", "ticket": "INC-1023"}, headers=h["consultant"]
    )
    assert ok.status_code == 201 and ok.json()["source"]["id"] == "INC-1023"
    # an interview of a knowledge base outside the key's scope is refused, whatever kb is named
    session = services.interviews.create("P", "inventory", [{"name": "张伟"}], kb="secret-project")
    r = client.post(
        "/v1/change-requests",
        json={"kb": "demo", "session": session["id"], "req": "R1"},
        headers=h["consultant"],
    )
    unknown = client.post(
        "/v1/change-requests",
        json={"kb": "demo", "session": "S-NOSUCH", "req": "R1"},
        headers=h["consultant"],
    )
    # out of scope answers exactly like an unknown session: ids cannot be probed
    assert r.status_code == unknown.status_code == 404
    assert error(r)["message"].replace(session["id"], "X") == error(unknown)["message"].replace(
        "S-NOSUCH", "X"
    )


def test_search_keeps_incident_tickets_from_roles_without_ticket_access(api) -> None:  # type: ignore[no-untyped-def]
    client, h, services = api
    import_sample_tickets(services)
    q = {"kb": "demo", "query": "收货数量超过订单不能过账", "k": 10}
    mine = client.post("/v1/search", json=q, headers=h["end_user"]).json()["results"]
    assert mine and all(r["doc_type"] != "incident" for r in mine)
    asked = client.post("/v1/search", json={**q, "types": ["incident"]}, headers=h["end_user"])
    assert asked.status_code == 403
    theirs = client.post("/v1/search", json=q, headers=h["consultant"]).json()["results"]
    assert any(r["doc_type"] == "incident" for r in theirs)


def test_a_passage_opens_in_context_and_a_pdf_page_as_an_image(api) -> None:  # type: ignore[no-untyped-def]
    client, h, services = api
    assert not services.ingest("demo", [ROOT / "corpus" / "manuals"]).failed
    import_sample_tickets(services)
    found = client.post(
        "/v1/search", json={"kb": "demo", "query": "重置密码", "types": ["manual"]}, headers=h["end_user"]
    ).json()["results"]
    pdf = next(r for r in found if r["source"].endswith(".pdf") and r["page"])
    r = client.get(f"/v1/kb/demo/passages/{pdf['chunk_id']}", headers=h["end_user"])
    assert r.status_code == 200
    view = r.json()
    assert view["page_image"] and view["page"] == pdf["page"]
    assert [x["chunk_id"] for x in view["context"] if x["cited"]] == [pdf["chunk_id"]]
    page = client.get(
        "/v1/kb/demo/page", params={"source": pdf["source"], "page": pdf["page"]}, headers=h["end_user"]
    )
    assert page.status_code == 200 and page.headers["content-type"] == "image/png"
    assert page.content.startswith(b"\x89PNG")
    # bad values: 4xx with the error body, never a 500
    outside = client.get(
        "/v1/kb/demo/page", params={"source": pdf["source"], "page": 99}, headers=h["end_user"]
    )
    assert outside.status_code == 400 and "not in the document" in error(outside)["message"]
    assert (
        client.get(
            "/v1/kb/demo/page", params={"source": pdf["source"], "page": 0}, headers=h["end_user"]
        ).status_code
        == 422
    )
    assert client.get("/v1/kb/demo/passages/nope", headers=h["end_user"]).status_code == 404
    assert (
        client.get(
            f"/v1/kb/demo/passages/{pdf['chunk_id']}", params={"around": 9}, headers=h["end_user"]
        ).status_code
        == 422
    )
    # out of scope: refused like an unknown knowledge base; no key: 401
    assert (
        client.get(f"/v1/kb/secret-project/passages/{pdf['chunk_id']}", headers=h["end_user"]).status_code
        == 403
    )
    assert client.get(f"/v1/kb/demo/passages/{pdf['chunk_id']}").status_code == 401
    # an incident ticket's passage stays hidden from an end user, not from a consultant
    incident = client.post(
        "/v1/search",
        json={"kb": "demo", "query": "收货数量超过订单不能过账", "k": 10},
        headers=h["consultant"],
    ).json()["results"]
    ticket = next(r for r in incident if r["doc_type"] == "incident")
    assert client.get(f"/v1/kb/demo/passages/{ticket['chunk_id']}", headers=h["end_user"]).status_code == 404
    assert (
        client.get(f"/v1/kb/demo/passages/{ticket['chunk_id']}", headers=h["consultant"]).status_code == 200
    )


def test_migration_routes_profile_check_and_dedupe_an_upload(api) -> None:  # type: ignore[no-untyped-def]
    client, h, services = api
    csv_text = (
        "编号,供应商名称,电话,单位\n"
        + "".join(
            f"V{i:04d},苏州精密{i}号有限公司,1380013{i:04d},{'PCS' if i % 2 else 'KG'}\n"
            for i in range(1, 60)
        )
        + "V0100,（苏州）精密1号有限责任公司,+86 13800130001,PCE\n"
    )
    upload = {"file": ("供应商.csv", csv_text.encode("gbk"), "text/csv")}
    # end users may not; no key: 401
    assert client.post("/v1/migration/profile", files=upload, headers=h["end_user"]).status_code == 403
    assert client.post("/v1/migration/profile", files=upload).status_code == 401
    r = client.post("/v1/migration/profile", files=upload, headers=h["consultant"])
    assert r.status_code == 200 and r.json()["rows"] == 60 and r.json()["encoding"] in ("gb18030", "gbk")
    rules = ("rules.yaml", "columns:\n  单位: {values: [PCS, KG]}\n".encode(), "text/yaml")
    r = client.post(
        "/v1/migration/check",
        files={**upload, "rules": rules},
        data={"infer": "true"},
        headers=h["consultant"],
    )
    assert r.status_code == 200
    body = r.json()
    assert body["summary"]["errors"] == 1 and any(
        f["value"] == "PCE" and f["rule"] == "values" for f in body["findings"]
    )
    r = client.post(
        "/v1/migration/dedupe",
        files=upload,
        data={"fields": "供应商名称,电话", "id_col": "编号"},
        headers=h["consultant"],
    )
    assert r.status_code == 200 and [c["ids"] for c in r.json()["clusters"]] == [["V0001", "V0100"]]
    # bad values: 4xx with the error body
    bad_rules = ("rules.yaml", b"columns:\n  nope: {required: true}\n", "text/yaml")
    r = client.post("/v1/migration/check", files={**upload, "rules": bad_rules}, headers=h["consultant"])
    assert r.status_code == 400 and "nope" in error(r)["message"]
    assert (
        client.post("/v1/migration/check", data={"infer": "true"}, headers=h["consultant"]).status_code == 422
    )
    r = client.post(
        "/v1/migration/dedupe",
        files=upload,
        data={"fields": "供应商名称", "threshold": "2"},
        headers=h["consultant"],
    )
    assert r.status_code == 400
    empty = {"file": ("empty.csv", b"", "text/csv")}
    assert client.post("/v1/migration/profile", files=empty, headers=h["consultant"]).status_code in (
        400,
        422,
    )
    assert not list((services.settings.home / "ui-uploads").glob("*/*"))  # the saved copies are gone


def test_a_refused_rules_part_leaves_no_copy_of_the_export(api) -> None:  # type: ignore[no-untyped-def]
    client, h, services = api
    files = {
        "file": ("a.csv", b"a,b\n1,2\n", "text/csv"),
        "rules": ("rules.exe", b"x", "application/octet-stream"),
    }
    r = client.post("/v1/migration/check", files=files, headers=h["consultant"])
    assert r.status_code == 415
    assert not list((services.settings.home / "ui-uploads").glob("*/*"))


def test_migration_routes_transform_to_a_zip_and_reconcile_rounds(api) -> None:  # type: ignore[no-untyped-def]
    import io
    import zipfile

    client, h, services = api
    src = 'code,name,uom,price\nM1,螺絲,个,"1,200"\nM2,垫片,BOX,3\n,无编码,个,1\n'
    mapping = (
        "template: 模板.csv\n"
        "columns:\n"
        "  物料编码: {from: code}\n"
        "  名称: {from: name, normalise: [trim, simplified]}\n"
        "  单位: {from: uom, map_file: 单位对照.csv}\n"
        "  单价: {from: price, type: decimal}\n"
    )
    files = {
        "file": ("物料.csv", src.encode("gbk"), "text/csv"),
        "mapping": ("mapping.yaml", mapping.encode(), "text/yaml"),
        "template": ("模板.csv", "*物料编码,名称,*单位,单价\n".encode(), "text/csv"),
        "map_file": ("单位对照.csv", "old,new\n个,PCS\n".encode(), "text/csv"),
    }
    assert client.post("/v1/migration/transform", files=files, headers=h["end_user"]).status_code == 403
    r = client.post("/v1/migration/transform", files=files, headers=h["consultant"])
    assert r.status_code == 200 and r.headers["content-type"] == "application/zip", r.text
    z = zipfile.ZipFile(io.BytesIO(r.content))
    summary = json.loads(z.read("summary.json"))
    assert (summary["rows_in"], summary["rows_out"], summary["rejected"]) == (3, 1, 2)
    assert z.read("load.csv").decode().splitlines() == ["物料编码,名称,单位,单价", "M1,螺丝,PCS,1200"]
    assert "BOX" in z.read("rejects.csv").decode()
    no_template = {k: v for k, v in files.items() if k != "template"}
    r = client.post("/v1/migration/transform", files=no_template, headers=h["consultant"])
    assert r.status_code == 404 and "模板.csv" in error(r)["message"]
    # reconcile: two parts, recorded rounds
    target = "code,name,uom,price\nM1,螺丝,PCS,1200\n"
    parts = {"file": files["file"], "target": ("load.csv", target.encode(), "text/csv")}
    r = client.post("/v1/migration/reconcile", files=parts, data={"key": "code"}, headers=h["consultant"])
    assert r.status_code == 200 and not r.json()["reconciled"]
    assert r.json()["missing_in_target"]["count"] == 2 and len(r.json()["rounds"]) == 1
    r = client.post("/v1/migration/reconcile", files=parts, data={"key": "编号"}, headers=h["consultant"])
    assert r.status_code == 400 and "编号" in error(r)["message"]
    r = client.post(
        "/v1/migration/reconcile",
        files={"file": files["file"]},
        data={"key": "code"},
        headers=h["consultant"],
    )
    assert r.status_code == 422
    assert not list((services.settings.home / "ui-uploads").glob("*/*"))  # the saved copies are gone


def test_ticket_queue_routes_roles_versions_and_replies(api) -> None:  # type: ignore[no-untyped-def]
    client, h, services = api
    r = client.post(
        "/v1/tickets", json={"kb": "demo", "question": "月结时提示期间未关闭怎么办？"}, headers=h["end_user"]
    )
    assert r.status_code == 201, r.text
    tid = r.json()["id"]
    services.ticket_work.open_ticket("demo", "内部", "support's own ticket", "consultant")
    queue = client.get("/v1/tickets", params={"kb": "demo"}, headers=h["consultant"]).json()
    assert queue["count"] == 2 and {t["sla_state"] for t in queue["tickets"]} == {"on_track"}
    mine = client.get("/v1/tickets", params={"kb": "demo"}, headers=h["end_user"]).json()
    assert [t["id"] for t in mine["tickets"]] == [tid]  # an end user sees the tickets they opened
    assert (
        client.get("/v1/tickets", params={"kb": "secret-project"}, headers=h["consultant"]).status_code == 403
    )
    assert (
        client.get(
            "/v1/tickets", params={"kb": "demo", "status": "closed"}, headers=h["consultant"]
        ).status_code
        == 422
    )
    act = f"/v1/tickets/{tid}"
    r = client.post(f"{act}/assign", json={"kb": "demo", "to": "王工", "version": 0}, headers=h["consultant"])
    assert r.status_code == 200 and r.json()["assignee"] == "王工" and r.json()["version"] == 1
    r = client.post(f"{act}/assign", json={"kb": "demo", "to": "李工", "version": 0}, headers=h["admin"])
    assert r.status_code == 409 and "changed since" in error(r)["message"]  # the second agent is told
    assert (
        client.post(
            f"{act}/reply", json={"kb": "demo", "text": "请在总账关闭期间后再月结。"}, headers=h["consultant"]
        ).status_code
        == 200
    )
    assert (
        client.post(f"{act}/resolve", json={"kb": "demo", "note": ""}, headers=h["consultant"]).status_code
        == 400
    )
    assert client.post(f"{act}/fly", json={"kb": "demo"}, headers=h["consultant"]).status_code == 404
    assert (
        client.post(f"{act}/reply", json={"kb": "demo", "text": "x"}, headers=h["end_user"]).status_code
        == 403
    )
    seen = client.get(act, params={"kb": "demo"}, headers=h["end_user"]).json()
    assert seen["replies"][0]["text"] == "请在总账关闭期间后再月结。" and "events" not in seen
    full = client.get(act, params={"kb": "demo"}, headers=h["consultant"]).json()
    assert [e["action"] for e in full["events"]] == ["assign", "reply"] and full["events"][0][
        "actor"
    ] == "consultant"
    other = queue["tickets"][0]["id"] if queue["tickets"][0]["id"] != tid else queue["tickets"][1]["id"]
    assert client.get(f"/v1/tickets/{other}", params={"kb": "demo"}, headers=h["end_user"]).status_code == 404


def test_ticket_triage_and_classify_routes(api) -> None:  # type: ignore[no-untyped-def]
    client, h, services = api
    t = services.ticket_work.open_ticket("demo", "收货", "收货时提示超收比例超过允许范围", "consultant")
    r = client.get(f"/v1/tickets/{t['id']}/triage", params={"kb": "demo"}, headers=h["consultant"])
    assert r.status_code == 200, r.text
    body = r.json()
    assert {"predictions", "similar", "duplicates", "articles"} <= set(body)
    assert all(s["id"] != t["id"] for s in body["similar"])  # never itself
    assert (
        client.get(f"/v1/tickets/{t['id']}/triage", params={"kb": "demo"}, headers=h["end_user"]).status_code
        == 403
    )
    r = client.post(
        f"/v1/tickets/{t['id']}/classify",
        json={"kb": "demo", "category": "采购", "priority": "高", "version": 0},
        headers=h["consultant"],
    )
    assert r.status_code == 200 and (r.json()["category"], r.json()["priority"]) == ("采购", "高")
    r = client.post(f"/v1/tickets/{t['id']}/classify", json={"kb": "demo"}, headers=h["consultant"])
    assert r.status_code == 400 and "category and/or a priority" in error(r)["message"]
    r = client.post(
        f"/v1/tickets/{t['id']}/classify",
        json={"kb": "demo", "priority": "低", "version": 0},
        headers=h["admin"],
    )
    assert r.status_code == 409


def test_ticket_attachments_upload_download_and_limits(api) -> None:  # type: ignore[no-untyped-def]
    client, h, services = api
    r = client.post(
        "/v1/tickets", json={"kb": "demo", "question": "打印标签时报错怎么办？"}, headers=h["end_user"]
    )
    tid = r.json()["id"]
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
    url = f"/v1/tickets/{tid}/attachments"
    r = client.post(
        url, data={"kb": "demo"}, files={"file": ("报错.png", png, "image/png")}, headers=h["end_user"]
    )
    assert r.status_code == 200, r.text
    assert [a["name"] for a in r.json()["attachments"]] == ["报错.png"]
    got = client.get(f"{url}/报错.png", params={"kb": "demo"}, headers=h["consultant"])
    assert got.status_code == 200 and got.content == png and got.headers["content-type"] == "image/png"
    assert "filename*=UTF-8''%E6%8A%A5%E9%94%99.png" in got.headers["content-disposition"]
    bad = client.post(
        url,
        data={"kb": "demo"},
        files={"file": ("run.exe", b"MZ", "application/x-msdownload")},
        headers=h["end_user"],
    )
    assert bad.status_code == 400 and "tickets take" in error(bad)["message"]
    big = client.post(
        url,
        data={"kb": "demo"},
        files={"file": ("big.txt", b"x" * (11 * 1024 * 1024), "text/plain")},
        headers=h["end_user"],
    )
    assert big.status_code == 413
    assert client.post(url, data={"kb": "demo"}, headers=h["end_user"]).status_code == 422  # no file part
    # another person's ticket: neither upload nor download (it does not exist for them)
    other = services.ticket_work.open_ticket("demo", "内部", "support's own ticket", "consultant")
    r = client.post(
        f"/v1/tickets/{other['id']}/attachments",
        data={"kb": "demo"},
        files={"file": ("a.txt", b"hi", "text/plain")},
        headers=h["end_user"],
    )
    assert r.status_code == 404
    assert (
        client.get(f"{url}/报错.png", params={"kb": "secret-project"}, headers=h["consultant"]).status_code
        == 403
    )
    assert client.get(f"{url}/nothing.png", params={"kb": "demo"}, headers=h["consultant"]).status_code == 404
    mine = client.get(f"/v1/tickets/{tid}", params={"kb": "demo"}, headers=h["end_user"]).json()
    assert [a["name"] for a in mine["attachments"]] == ["报错.png"]


def test_faq_draft_routes_roles_and_decisions(api) -> None:  # type: ignore[no-untyped-def]
    client, h, services = api
    for i in range(2):  # two resolved tickets of one problem: one draft
        t = services.ticket_work.open_ticket("demo", "月结", f"月结时提示期间未关闭 {i}", "consultant")
        services.ticket_work.resolve("demo", t["id"], "先在总账关闭上一期间，再做月结。", "consultant")
    r = client.post("/v1/faq/suggest", json={"kb": "demo"}, headers=h["consultant"])
    assert r.status_code == 200, r.text
    drafts = [d for d in r.json()["drafts"] if d["answer"] == "先在总账关闭上一期间，再做月结。"]
    assert len(drafts) == 1
    listed = client.get("/v1/faq/drafts", params={"kb": "demo"}, headers=h["consultant"]).json()["drafts"]
    assert {d["id"] for d in listed} >= {d["id"] for d in drafts if d["status"] == "draft"}
    assert client.get("/v1/faq/drafts", params={"kb": "demo"}, headers=h["end_user"]).status_code == 403
    assert (
        client.get(
            "/v1/faq/drafts", params={"kb": "demo", "status": "maybe"}, headers=h["consultant"]
        ).status_code
        == 422
    )
    d = drafts[0]
    r = client.post(
        f"/v1/faq/drafts/{d['id']}/accept",
        json={"kb": "demo", "answer": "编辑过的答案"},
        headers=h["consultant"],
    )
    assert (
        r.status_code == 200
        and r.json()["source"].startswith("faq/")
        and r.json()["answer"] == "编辑过的答案"
    )
    again = client.post(f"/v1/faq/drafts/{d['id']}/reject", json={"kb": "demo"}, headers=h["consultant"])
    assert again.status_code == 409  # already decided
    assert (
        client.post(
            "/v1/faq/drafts/FAQ-NOPE/accept", json={"kb": "demo"}, headers=h["consultant"]
        ).status_code
        == 404
    )
    assert (
        client.post(
            f"/v1/faq/drafts/{d['id']}/publish", json={"kb": "demo"}, headers=h["consultant"]
        ).status_code
        == 422
    )
