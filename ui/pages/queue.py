"""工单队列 Ticket queue (support, consultants, admins): every ticket of the knowledge base with
filters and SLA states; a ticket's text, help-desk conversation and audit trail; assign, reply,
link as a duplicate, resolve with a note, review, reopen. Each change names the version the agent
saw, so a colleague's change in between is reported instead of overwritten."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from assistant.messages import label as words_for
from ui.common import caller, lang, require_kb, run, t

me = caller("read_tickets")
kb = require_kb()
st.title(t("page_queue"))

STATUSES = ["new", "analysing", "resolved", "reviewed"]
SOURCES = ["helpdesk", "import", "api"]
SLAS = ["on_track", "due_soon", "breached", "met", "missed", "none"]


def state(code: str | None) -> str:
    return words_for("workflow", "ticket_state_", code, lang())


def sla_words(code: str) -> str:
    return t(f"sla_{code}")


summary = run(me.ticket_summary, kb)
if summary is None:
    st.stop()
c1, c2, c3 = st.columns(3)
c1.metric(t("queue_new"), summary["new"])
c2.metric(t("queue_breached"), summary["breached"])
c3.metric(t("queue_due_soon"), summary["due_soon"])

f1, f2, f3, f4 = st.columns(4)
status = f1.selectbox(
    t("queue_status"), ["", *STATUSES], format_func=lambda s: state(s) or t("queue_any"), key="q_status"
)
source = f2.selectbox(
    t("queue_source"),
    ["", *SOURCES],
    format_func=lambda s: t(f"source_{s}") if s else t("queue_any"),
    key="q_source",
)
sla = f3.selectbox(
    t("queue_sla"), ["", *SLAS], format_func=lambda s: sla_words(s) if s else t("queue_any"), key="q_sla"
)
assignee = f4.selectbox(
    t("queue_assignee"),
    ["", *summary["assignees"]],
    format_func=lambda s: s or t("queue_any"),
    key="q_assignee",
)
g1, g2, g3, _ = st.columns(4)
category = g1.selectbox(
    t("category"), ["", *summary["categories"]], format_func=lambda s: s or t("queue_any"), key="q_category"
)
priority = g2.selectbox(
    t("priority"), ["", *summary["priorities"]], format_func=lambda s: s or t("queue_any"), key="q_priority"
)
order = g3.selectbox(
    t("queue_sort"),
    ["newest", "oldest", "priority"],
    format_func=lambda o: t(f"queue_sort_{o}"),
    key="q_sort",
)
#: the table shows the first tickets that match, at most this many (filters narrow it down)
SHOWN = 2000
rows = (
    run(
        me.ticket_queue,
        kb,
        status=status or None,
        source=source or None,
        sla=sla or None,
        assignee=assignee or None,
        limit=SHOWN,
        times=False,
        sort=order,
        category=category or None,
        priority=priority or None,
    )
    or []
)
if not rows:
    st.info(t("queue_empty"))
    st.stop()
table = pd.DataFrame(
    [
        {
            t("ticket_id"): x["id"],
            t("queue_title"): x["title"],
            t("queue_status"): state(x["status"]),
            t("priority"): x["priority"] or "",
            t("queue_sla"): sla_words(x["sla_state"]),
            t("queue_source"): t(f"source_{x['source']}"),
            t("queue_assignee"): x["assignee"] or "",
            t("queue_opened"): (x["created"] or x["created_at"] or "")[:16].replace("T", " "),
        }
        for x in rows
    ]
)
st.caption(t("queue_shown", n=len(rows), total=summary["total"]))
st.dataframe(table, hide_index=True, width="stretch")

titles = {x["id"]: x["title"] for x in rows}
picked = st.selectbox(
    t("queue_open_ticket"),
    list(titles),
    format_func=lambda i: f"{i} · {titles[i][:60]}",
    key="q_pick",
)
ticket: dict[str, Any] | None = run(me.ticket, kb, picked) if picked else None
if ticket is None:
    st.stop()
st.subheader(f"{ticket['id']} · {ticket['title']}")
st.caption(
    f"{state(ticket['status'])} · {ticket['priority'] or t('queue_no_priority')} · {sla_words(ticket['sla_state'])}"
    + (f" · {t('queue_assignee')}: {ticket['assignee']}" if ticket["assignee"] else "")
    + (f" · {t('queue_duplicate_of', master=ticket['master'])}" if ticket["master"] else "")
)
st.write(ticket["text"])
if ticket.get("attachments"):
    st.markdown(f"**{t('attachments')}**")

    def reader(ticket_no: str, name: str) -> Any:
        """The file's bytes, read when its download is asked for, not on every rerun."""
        return lambda: me.attachment(kb, ticket_no, name)[0]

    for a in ticket["attachments"]:
        st.download_button(
            f"{a['name']} ({a['size'] / 1024:.0f} KB)",
            reader(ticket["id"], a["name"]),
            file_name=a["name"],
            mime=a["mime"],
            key=f"q_file_{a['name']}",
            icon=":material/attach_file:",
        )
if ticket["resolution"]:
    st.success(t("queue_resolution") + ": " + ticket["resolution"])
if ticket["conversation"]:
    with st.expander(t("queue_conversation")):
        for turn in ticket["conversation"]:
            if "q" in turn:
                st.markdown(f"**{t('queue_user')}**: {turn['q']}")
                st.markdown(f"**{t('queue_bot')}**: {turn.get('a', '')}")
            else:
                who = t("queue_user") if turn.get("role") == "user" else t("queue_bot")
                st.markdown(f"**{who}**: {turn.get('text', '')}")
if ticket["events"]:
    with st.expander(t("queue_history"), expanded=True):
        for e in ticket["events"]:
            what = "; ".join(str(v) for v in e["detail"].values() if v)
            st.markdown(
                f"{e['at'][:16].replace('T', ' ')} UTC · **{e['actor']}** · {t('action_' + e['action'])} {what}"
            )

version = ticket["version"]
ticket_id = ticket["id"]


def act(action: str, **fields: Any) -> None:
    done = run(me.ticket_action, kb, ticket_id, action, version, **fields)
    if done is not None:
        st.session_state["_q_done"] = t("queue_done", action=t("action_" + action))
        st.rerun()


if st.session_state.get("_q_done"):
    st.success(st.session_state.pop("_q_done"))

if ticket["status"] in ("new", "analysing"):
    triage = run(me.ticket_triage, kb, ticket_id)
    if triage is not None:
        with st.expander(t("queue_triage"), expanded=True):
            predictions = triage["predictions"]
            if not predictions:
                st.caption(t("queue_no_model"))
            suggested: dict[str, str] = {}
            for target, p in predictions.items():
                sure = p["label"] != "uncertain"
                shown = p["predicted"] if sure else f"{p['predicted']} ({t('queue_uncertain')})"
                st.markdown(f"**{t(target)}**: {shown} · {t('confidence')} {p['confidence']:.0%}")
                if sure and target in ("category", "priority") and p["predicted"] != ticket[target]:
                    suggested[target] = p["predicted"]
            if triage.get("urgency", {}).get("cues"):
                st.warning(t("queue_urgent", cues="、".join(triage["urgency"]["cues"])))
            if suggested and st.button(t("queue_apply"), key="q_apply_triage", type="primary"):
                act("classify", **suggested)
            st.markdown(f"**{t('queue_similar')}**")
            if not triage["similar"]:
                st.caption(t("queue_no_similar"))
            for s in triage["similar"]:
                line = f"{s['id']} · {s['title'][:80]}"
                st.markdown(
                    line + (f"  \n{t('queue_resolution')}: {s['resolution']}" if s["resolution"] else "")
                )
            if triage["duplicates"]:
                st.markdown(f"**{t('queue_duplicates')}**")
                for d in triage["duplicates"]:
                    c_text, c_button = st.columns([3, 1])
                    c_text.markdown(f"{d['id']} · {d['title'][:80]}")
                    if c_button.button(t("queue_link_to", id=d["id"]), key=f"q_dup_{d['id']}"):
                        act("link", to=d["id"])
a1, a2 = st.columns(2)
with a1.form("q_assign"):
    who = st.text_input(
        t("queue_assign_to"), value=ticket["assignee"] or "", max_chars=100, key="q_assign_to"
    )
    if st.form_submit_button(t("action_assign"), key="q_do_assign"):
        act("assign", to=who)
with a2.form("q_link"):
    master = st.text_input(t("queue_master"), max_chars=100, key="q_master")
    if st.form_submit_button(t("action_link"), key="q_do_link"):
        act("link", to=master.strip())
with st.form("q_reply"):
    reply = st.text_area(t("queue_reply"), max_chars=20_000, key="q_reply_text")
    if st.form_submit_button(t("action_reply"), key="q_do_reply"):
        act("reply", text=reply)
if ticket["status"] in ("new", "analysing"):
    with st.form("q_resolve"):
        note = st.text_area(t("queue_resolution_note"), max_chars=20_000, key="q_note")
        if st.form_submit_button(t("action_resolve"), type="primary", key="q_do_resolve"):
            act("resolve", note=note)
else:
    b1, b2 = st.columns(2)
    if ticket["status"] == "resolved" and b1.button(t("action_review"), key="q_review"):
        act("review")
    if b2.button(t("action_reopen"), key="q_reopen"):
        act("reopen")
