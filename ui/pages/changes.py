"""变更 Change requests: a board by state, a request's detail with impact and audit log, drafting from
text, a ticket or a spec requirement, and only the workflow actions the signed-in role may take."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial
from typing import Any

import streamlit as st

from assistant.changes.models import BOARD_STATES, FINAL_STATES, RISKS
from assistant.messages import label, messages
from ui.common import caller, flash, lang, require_kb, run, show_flash, t

me = caller()
kb = require_kb()
svc = me.services
st.title(t("page_changes"))
show_flash()

BOARD, DONE = BOARD_STATES, FINAL_STATES

board, detail, draft = st.tabs([t("board"), t("detail"), t("draft")])
crs = me.change_requests(kb)

# -- board -------------------------------------------------------------------------------------
with board:
    if not crs:
        st.info(t("no_crs"))
    cols = st.columns(len(BOARD))
    now = datetime.now(UTC)
    for col, state in zip(cols, BOARD, strict=True):
        in_state = [c for c in crs if c["status"] == state]
        col.markdown(f"**{t('state_' + state)}** ({len(in_state)})")
        for cr in in_state:
            age = (now - datetime.fromisoformat(cr["created_at"])).days
            with col.container(border=True):
                st.markdown(f"**{cr['id']}**  \n{cr['title']}")
                st.caption(f"{cr['requester']} · {age} {t('age_days')}")
                st.button(
                    "→",
                    key=f"open_{cr['id']}",
                    help=t("detail"),
                    on_click=st.session_state.__setitem__,
                    args=("cr_selected", cr["id"]),
                )
    finished = [c for c in crs if c["status"] in DONE]
    if finished:
        st.caption(
            " · ".join(f"{t('state_' + s)} {sum(1 for c in finished if c['status'] == s)}" for s in DONE)
        )

# -- detail ------------------------------------------------------------------------------------
with detail:
    ids = [c["id"] for c in crs]
    if not ids:
        st.info(t("no_crs"))
    else:
        if "cr_pending" in st.session_state:
            st.session_state["cr_selected"] = st.session_state.pop("cr_pending")
        if st.session_state.get("cr_selected") not in ids:
            st.session_state["cr_selected"] = ids[-1]
        by_id = {c["id"]: c for c in crs}
        cr_id = st.selectbox(
            t("pick_cr"),
            ids,
            format_func=lambda i: f"{i} · {by_id[i]['title']}",
            key="cr_selected",
        )
        cr = me.change_request(cr_id)
        st.subheader(f"{cr['id']} · {cr['title']}")
        c1, c2, c3 = st.columns(3)
        c1.metric(t("status"), t("state_" + cr["status"]))
        c2.metric(t("approvals"), f"{len(cr['approvals'])}/{svc.settings.change.approvals_required}")
        effort = (cr.get("impact") or {}).get("effort_days", {})
        days = effort.get("value")
        c3.metric(t("effort_days"), "-" if days is None else f"{days:g}", help=t("impact"))

        allowed = cr["available_actions"]
        st.markdown(f"**{t('actions')}**")
        if not allowed:
            st.caption(t("no_actions"))
        else:
            comment = st.text_input(t("comment"), key=f"comment_{cr_id}")
            buttons = st.columns(len(allowed))
            for b, action in zip(buttons, allowed, strict=True):
                if b.button(t("act_" + action), key=f"act_{action}_{cr_id}", width="stretch"):
                    if run(me.act, cr_id, action, comment or None) is not None:
                        st.rerun()
        if me.may_confirm_impact(cr):
            impact = cr.get("impact") or {}

            def current(key: str) -> Any:
                return (impact.get(key) or {}).get("value")

            with st.expander(t("confirm_impact"), icon=":material/edit:"):
                with st.form(f"impact_{cr_id}"):
                    c1, c2, c3, c4 = st.columns(4)
                    # empty fields stay as they are; the proposals are shown as placeholders
                    effort_days = c1.number_input(
                        t("effort_days"),
                        min_value=0.0,
                        max_value=10000.0,
                        value=None,
                        placeholder=str(current("effort_days") or ""),
                    )
                    schedule = c2.text_input(t("schedule"), placeholder=str(current("schedule") or ""))
                    cost = c3.number_input(t("cost"), min_value=0.0, value=None)
                    risk = c4.selectbox(
                        t("risk"),
                        ["", *RISKS],
                        format_func=lambda r: (
                            t("risk_" + r)
                            if r
                            else f"({label('workflow', 'risk_', current('risk'), lang()) or '-'})"
                        ),
                    )
                    if st.form_submit_button(t("confirm")):
                        done = run(
                            partial(
                                me.confirm_impact,
                                cr_id,
                                effort_days=effort_days,
                                schedule=schedule,
                                cost=cost,
                                risk=risk or None,
                            )
                        )
                        if done is not None:
                            flash(t("impact_saved"))
                            st.rerun()
        audit = cr["audit"]
        with st.expander(t("audit"), expanded=False):
            head = messages("change_export", lang())
            st.dataframe(
                [
                    {
                        head["when"]: a["at"][:16].replace("T", " ") + " UTC",
                        head["who"]: a["actor"],
                        t("role"): label("workflow", "cr_role_", a["role"], lang()),
                        head["action"]: label("workflow", "act_", a["action"], lang()),
                        head["from"]: label("workflow", "state_", a["from_state"], lang()),
                        head["to"]: label("workflow", "state_", a["to_state"], lang()),
                        head["comment"]: a["comment"],
                    }
                    for a in audit
                ],
                hide_index=True,
                width="stretch",
            )
        md = me.export_change(cr_id, "md", lang()).decode("utf-8")
        st.markdown(md)
        d1, d2 = st.columns(2)
        d1.download_button(
            t("export_cr_md"),
            partial(me.export_change, cr_id, "md", lang()),  # made on click, in this language
            f"{cr_id}.md",
            "text/markdown",
            key="cr_md",
        )
        d2.download_button(
            t("export_cr_docx"),
            partial(me.export_change, cr_id, "docx", lang()),
            f"{cr_id}.docx",
            key="cr_docx",
        )

# -- draft -------------------------------------------------------------------------------------
with draft:
    kind = st.radio(
        t("draft_from"),
        ["text", "ticket", "spec"] if me.can("read_tickets") else ["text", "spec"],
        format_func=lambda k: t("from_" + k),
        horizontal=True,
        key="draft_kind",
    )
    with st.form("draft_cr"):
        text = ticket = spec_req = None
        if kind == "text":
            text = st.text_area(t("request_text"), key="draft_text", height=140)
        elif kind == "ticket":
            ticket = st.text_input(t("ticket_id"), key="draft_ticket")
        else:
            spec_req = st.text_input(t("spec_req"), key="draft_spec")
        title = st.text_input(t("title"), key="draft_title")
        if st.form_submit_button(t("draft_button"), type="primary"):
            created = run(
                me.draft_change,
                kb,
                (text or "").strip() or None,
                (ticket or "").strip() or None,
                None,
                None,
                (spec_req or "").strip() or None,
                title.strip() or None,
            )
            if created:
                st.session_state["cr_pending"] = created["id"]
                flash(t("drafted", id=created["id"]))
                st.rerun()
