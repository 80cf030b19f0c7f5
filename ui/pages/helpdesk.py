"""帮助台 Help desk: chat with cited answers, feedback, not-found -> ticket, conversation history."""

from __future__ import annotations

import html
from collections.abc import Iterator
from functools import partial
from typing import Any

import streamlit as st

from assistant.errors import AssistantError
from assistant.messages import label as words_for
from assistant.schemas import Answer
from assistant.support.models import ATTACHMENT_TYPES
from ui.common import caller, lang, require_kb, run, t
from ui.i18n import TEXT

me = caller()
kb = require_kb()
st.title(t("page_helpdesk"))

# the open conversation is in the page address too, so that a page refresh reopens it
conversation_id: str | None = st.session_state.get("conversation_id") or st.query_params.get("c")


def _still_here(conversation: str) -> bool:
    try:
        return me.conversation(conversation)["kb"] == kb
    except AssistantError:
        return False


if conversation_id and not _still_here(conversation_id):
    conversation_id = None  # another knowledge base's, someone else's, or gone
    st.session_state.pop("conversation_id", None)
    st.query_params.pop("c", None)
elif conversation_id:
    st.session_state["conversation_id"] = conversation_id
    if st.query_params.get("c") != conversation_id:
        st.query_params["c"] = conversation_id


def source_bytes(source: str) -> bytes:
    return me.document_bytes(kb, source) or b""


def _citation_label(c: dict[str, Any]) -> str:
    where = c["source"] + (f" · {t('page')} {c['page']}" if c.get("page") else "")
    if c.get("section"):
        where += f" · {c['section']}"
    return f"[{c['n']}] {where}"


def _download(c: dict[str, Any], key: str) -> None:
    path = me.document_file(kb, c["source"])
    if path is not None:
        st.download_button(
            t("download_source"),
            # read and checked again when clicked
            data=partial(source_bytes, c["source"]),
            file_name=path.name,
            key=f"dl_{key}_{c['n']}",
        )


def _marked(text: str, snippet: str) -> str:
    """The passage as HTML (escaped), the quoted lines marked."""
    body = html.escape(text)
    for line in snippet.split("\n"):
        line = line.strip().rstrip("…").strip()
        if len(line) >= 4:
            quoted = html.escape(line)
            body = body.replace(quoted, f"<mark>{quoted}</mark>", 1)
    return body


def _in_document(c: dict[str, Any], key: str) -> None:
    """The cited page (a PDF page as an image) and the passage in its section, the quote marked."""
    if not c.get("chunk_id") or not st.toggle(t("show_in_document"), key=f"ctx_{key}_{c['n']}"):
        return
    view = run(me.passage, kb, c["chunk_id"])
    if view is None:
        return
    if view["page_image"]:
        png = run(me.page_image, kb, view["source"], view["page"])
        if png:
            st.image(png, caption=t("page_of", source=view["source"], page=view["page"]))
    parts, section = [], None
    for item in view["context"]:
        style = "" if item["cited"] else "color:#6b7280;"
        head = (
            ""
            if item["section"] == section
            else (f"<div style='font-weight:600;margin-top:.5em'>{html.escape(item['section'])}</div>")
        )
        section = item["section"]
        text = _marked(item["text"], c["snippet"]) if item["cited"] else html.escape(item["text"])
        parts.append(f"{head}<div style='white-space:pre-wrap;{style}'>{text}</div>")
    st.html(f"<div class='passage-in-context'>{''.join(parts)}</div>")


def show_citations(citations: list[dict[str, Any]], key: str) -> None:
    if not citations:
        return
    quoted = [c for c in citations if c.get("kind", "quote") == "quote"]
    related = [c for c in citations if c.get("kind") == "related"]
    st.caption(t("sources"))
    for c in quoted:
        # kept open while the passage is shown (the toggle reruns the page)
        with st.expander(_citation_label(c), expanded=bool(st.session_state.get(f"ctx_{key}_{c['n']}"))):
            st.markdown(f"> {c['snippet']}")
            if c.get("matched"):
                st.caption(t("matched_words") + ": " + ("、" if lang() == "zh" else ", ").join(c["matched"]))
            _in_document(c, key)
            _download(c, key)
    if related:  # further reading: collapsed, one list
        with st.expander(t("related_passages", n=len(related)), expanded=False):
            for c in related:
                st.markdown(f"**{_citation_label(c)}**")
                st.caption(c["snippet"])
                _download(c, key)


def show_not_found(message: dict[str, Any], key: str) -> None:
    # the nearest topics are part of the answer text already: not listed a second time
    opened = st.session_state.setdefault("_tickets", {})
    if key in opened:
        st.success(t("ticket_opened", id=opened[key]))
    else:
        details = st.text_area(t("ticket_details"), key=f"details_{key}", max_chars=5000, height=80)
        files = st.file_uploader(
            t("ticket_files"),
            type=ATTACHMENT_TYPES,
            accept_multiple_files=True,
            key=f"files_{key}",
        )
    if key not in opened and st.button(
        t("open_ticket"), key=f"ticket_{key}", icon=":material/confirmation_number:"
    ):
        ticket = run(me.open_ticket, kb, message["question"], message.get("conversation_id"), details or None)
        if ticket:
            opened[key] = ticket["id"]
            for f in files or []:
                try:
                    me.attach(kb, ticket["id"], f.name, f.getvalue())
                except AssistantError as e:  # the ticket stands; the file that failed is named
                    st.warning(t("ticket_files_failed", name=f.name, why=str(e)))
            st.success(t("ticket_opened", id=ticket["id"]))


def show_feedback(message: dict[str, Any]) -> None:
    mid = message["message_id"]
    given = message.get("feedback")
    if given:
        st.caption(":material/thumb_up:" if given["rating"] > 0 else ":material/thumb_down:")
        return
    rating = st.feedback("thumbs", key=f"fb_{mid}")
    if rating is not None:
        comment = st.text_input(t("feedback_comment"), key=f"fbc_{mid}")
        if st.button(t("feedback_send"), key=f"fbs_{mid}"):
            if run(me.feedback, mid, 1 if rating == 1 else -1, comment or None) is not None:
                st.toast(t("feedback_thanks"))
                st.rerun()


def show_answer(message: dict[str, Any]) -> None:
    key = message["message_id"]
    if not message["found"]:
        st.warning(t("not_found_title"), icon=":material/search_off:")
    st.markdown(message["answer"])
    shown = [t(f) for f in message.get("flags") or [] if f in TEXT]  # internal flags stay internal
    if shown:
        st.caption(t("flags") + ": " + ", ".join(shown))
    show_citations(message.get("citations") or [], key)
    if not message["found"]:
        show_not_found(message, key)
    show_feedback(message)


# -- the conversation so far ----------------------------------------------------------------
if conversation_id:
    for m in me.conversation(conversation_id)["messages"]:
        with st.chat_message("user"):
            st.markdown(m["question"])
        with st.chat_message("assistant"):
            show_answer({**m, "conversation_id": conversation_id})

question = st.chat_input(t("ask_placeholder"), key="question")
if question:
    asked: str = question
    with st.chat_message("user"):
        st.markdown(question)
    with st.chat_message("assistant"):
        final: dict[str, Answer] = {}

        def deltas() -> Iterator[str]:
            for event in me.ask_stream(kb, asked, conversation_id):
                if isinstance(event, Answer):
                    final["answer"] = event
                else:
                    yield event

        try:
            placeholder = st.empty()
            with placeholder.container():
                st.write_stream(deltas())  # LLM modes stream; the extractive mode arrives whole
            placeholder.empty()
        except AssistantError as e:
            st.error(str(e))
        if "answer" in final:
            answer = final["answer"]
            st.session_state["conversation_id"] = answer.conversation_id
            if answer.conversation_id:
                st.query_params["c"] = answer.conversation_id
            show_answer({**answer.public(), "question": question, "feedback": None})


# -- conversation history (sidebar; drawn last so that a conversation started above is listed) ----
def _open(conversation: str | None) -> None:
    if conversation is None:
        st.session_state.pop("conversation_id", None)
        st.query_params.pop("c", None)
    else:
        st.session_state["conversation_id"] = conversation
        st.query_params["c"] = conversation


with st.sidebar:
    mine = run(me.ticket_queue, kb, opened_by=None) if not me.can("read_tickets") else None
    if mine:
        st.subheader(t("my_tickets"))
        for item in mine[:20]:
            state = words_for("workflow", "ticket_state_", item["status"], lang())
            with st.expander(f"{item['id']} · {state}"):
                detail = run(me.ticket, kb, item["id"]) or {}
                st.caption(item["title"])
                for r in detail.get("replies", []):
                    st.markdown(
                        f"**{t('support_reply')}** ({r['at'][:16].replace('T', ' ')} UTC): {r['text']}"
                    )
                if detail.get("resolution"):
                    st.success(detail["resolution"])
                for a in detail.get("attachments", []):
                    st.caption(f":material/attach_file: {a['name']}")
    st.subheader(t("history"))
    st.button(
        t("new_conversation"), key="new_conversation", icon=":material/add:", on_click=_open, args=(None,)
    )
    past = me.conversations(kb, limit=30)
    if not past:
        st.caption(t("no_history"))
    for c in past:
        day = (c.get("created_at") or "")[:10]  # the date it was started (UTC)
        question = (c["first_question"] or c["id"])[:32]
        label = f"{question} · {day}" if day else question
        st.button(label, key=f"conv_{c['id']}", width="stretch", on_click=_open, args=(c["id"],))
