"""Entry point: ``streamlit run ui/app.py`` (or ``assistant ui``). Sign-in with an API key decides
which pages a person sees; the language switch applies to every label."""

from __future__ import annotations

import streamlit as st

from ui.common import principal, resume_session, role_label, services, sign_in_with, sign_out, t

st.set_page_config(page_title="实施助手 · Implementation Assistant", page_icon="🧭", layout="wide")

# app-wide choices live in plain session keys ("lang", "kb"); the widgets only change them, so a
# choice survives pages that do not draw the widget


def _keep(widget_key: str, state_key: str) -> None:
    if st.session_state.get(widget_key):
        st.session_state[state_key] = st.session_state[widget_key]


st.session_state.setdefault("lang", "中文")
st.sidebar.segmented_control(
    "Language / 语言",
    ["中文", "English"],
    default=st.session_state["lang"],
    key="lang_select",
    label_visibility="collapsed",
    on_change=_keep,
    args=("lang_select", "lang"),
)

# pages and the capability they need (assistant.access.models.CAPABILITIES; None: every role)
PAGES = [
    ("pages/helpdesk.py", "page_helpdesk", ":material/support_agent:", None),
    ("pages/interviews.py", "page_interview", ":material/record_voice_over:", "interviews"),
    ("pages/migration.py", "page_migration", ":material/table_chart:", "migration"),
    ("pages/changes.py", "page_changes", ":material/published_with_changes:", None),
    ("pages/queue.py", "page_queue", ":material/inbox:", "read_tickets"),
    ("pages/tickets.py", "page_tickets", ":material/confirmation_number:", "read_tickets"),
    ("pages/knowledge.py", "page_kb", ":material/library_books:", "documents"),
    ("pages/insights.py", "page_insights", ":material/insights:", "insights"),
]


def sign_in() -> None:
    st.title(t("app_title"))
    st.write(t("welcome"))
    with st.form("sign_in"):
        secret = st.text_input(t("api_key"), type="password", help=t("api_key_help"), key="api_key")
        if st.form_submit_button(t("sign_in"), type="primary"):
            if sign_in_with(secret) is None:
                st.error(t("bad_key"))
            else:
                st.rerun()


resume_session()
who = principal()
if who is None:
    page = st.navigation([st.Page(sign_in, title=t("sign_in"), icon=":material/login:")])
else:
    current = st.session_state.get("kb")
    new_tickets = (
        services().ticket_work.count(current)
        if current and who.can("read_tickets") and who.may_read(current)
        else 0
    )

    def title(key: str) -> str:
        """The page's name; the queue's with the count of new tickets, as a badge."""
        return f"{t(key)} ({new_tickets})" if key == "page_queue" and new_tickets else t(key)

    visible = [
        st.Page(path, title=title(key), icon=icon)
        for path, key, icon, capability in PAGES
        if capability is None or who.can(capability)
    ]
    page = st.navigation(visible)
    with st.sidebar:
        st.caption(f"{t('signed_in_as')}: **{who.name}** · {role_label(who.role)}")
        kbs = [name for name in services().kbs.names() if who.may_read(name)]
        if kbs:
            if st.session_state.get("kb") not in kbs:
                st.session_state["kb"] = kbs[0]
            st.selectbox(
                t("kb"),
                kbs,
                index=kbs.index(st.session_state["kb"]),
                key=f"kb_select_{st.session_state['kb']}",
                on_change=lambda: st.session_state.update(
                    kb=st.session_state[f"kb_select_{st.session_state['kb']}"]
                ),
            )
        else:
            st.session_state.pop("kb", None)
        st.button(t("sign_out"), key="sign_out", on_click=sign_out)
try:
    page.run()
finally:  # the key check above is for this run's page only, whatever happens in it
    st.session_state.pop("_key_checked", None)
