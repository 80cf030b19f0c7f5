"""访谈 Interview capture: sessions, the question guide with uncovered topics, turns typed or
uploaded, extraction, requirement edits and the specification export."""

from __future__ import annotations

import hashlib

import pandas as pd
import streamlit as st

from assistant.interviews.models import MODULES, PRIORITIES, TYPES
from assistant.messages import label as words_for
from ui.common import caller, current_kb, flash, lang, run, show_flash, t
from ui.i18n import TEXT

me = caller("interviews")
who = me.principal
iv = me.interviews()
st.title(t("page_interview"))
show_flash()
guides = iv.guides()


def module_name(m: str) -> str:
    g = guides.get(m, {})
    return (g.get(lang()) or g.get("en") or {}).get("title", m)


# -- choose or create a session -------------------------------------------------------------
sessions = iv.sessions(who.kbs)
with st.expander(t("new_session"), expanded=not sessions, icon=":material/add:"):
    with st.form("new_session"):
        c1, c2 = st.columns(2)
        project = c1.text_input(t("project"), key="iv_project")
        module = c2.selectbox(t("module"), MODULES, format_func=module_name, key="iv_module")
        date = c1.date_input(t("date"), key="iv_date")
        language = c2.selectbox(
            t("session_language"),
            ["zh", "en"],
            format_func=lambda x: {"zh": "中文", "en": "English"}[x],
            key="iv_lang",
        )
        people = st.data_editor(
            pd.DataFrame([{"name": "", "role": "", "department": ""}]),
            num_rows="dynamic",
            column_config={
                "name": st.column_config.TextColumn(t("name")),
                "role": st.column_config.TextColumn(t("job")),
                "department": st.column_config.TextColumn(t("department")),
            },
            key="iv_people",
            width="stretch",
        )
        if st.form_submit_button(t("create"), type="primary"):
            interviewees = [
                {k: str(v or "").strip() for k, v in row.items()}
                for row in people.to_dict("records")
                if str(row.get("name") or "").strip()
            ]
            kb_now = current_kb()
            if not kb_now:
                st.error(t("no_kb"))
                st.stop()
            created = run(
                iv.create,
                project,
                module,
                interviewees,
                kb=kb_now,
                consultant=who.name,
                date=date.isoformat() if date else None,
                language=language,
            )
            if created:
                st.session_state["iv_session"] = created["id"]
                st.rerun()

if not sessions:
    st.stop()
ids = [s["id"] for s in sessions]
if st.session_state.get("iv_session") not in ids:
    st.session_state["iv_session"] = ids[0]
by_id = {s["id"]: s for s in sessions}
sid = st.selectbox(
    t("pick_session"),
    ids,
    format_func=lambda i: (
        f"{by_id[i]['project']} · {module_name(by_id[i]['module'])} · {by_id[i]['date'] or ''} ({i})"
    ),
    key="iv_session",
)
session = by_id[sid]
st.caption(
    f"{t('interviewees')}: "
    + "; ".join(
        " / ".join(x for x in (p.get("name"), p.get("role"), p.get("department")) if x)
        for p in session["interviewees"]
    )
)

left, right = st.columns([3, 2])

# -- the guide: what is not yet covered -----------------------------------------------------
with right:
    guide = run(iv.guide, session["module"], session["language"], sid)
    if guide:
        st.subheader(f"{t('guide')} · {guide['title']}")
        for topic in guide["topics"]:
            label = t("covered") if topic["covered"] else t("uncovered")
            with st.expander(
                f"{topic['topic']} — {label}",
                expanded=not topic["covered"],
                icon=":material/check_circle:" if topic["covered"] else ":material/radio_button_unchecked:",
            ):
                for q in topic.get("questions", []):
                    st.markdown(f"- {q}")

# -- the transcript ------------------------------------------------------------------------
with left:
    st.subheader(t("transcript"))
    turns = iv.turns(sid)
    if turns:
        st.dataframe(
            pd.DataFrame([{t("turn_ref"): x.ref, t("speaker"): x.speaker, t("text"): x.text} for x in turns]),
            hide_index=True,
            width="stretch",
        )
    with st.form("add_turn", clear_on_submit=True):
        c1, c2 = st.columns([1, 4])
        speaker = c1.text_input(t("speaker"), key="turn_speaker")
        said = c2.text_area(t("text"), key="turn_text", height=80)
        if st.form_submit_button(t("add_turn")):
            if not speaker.strip() or not said.strip():
                st.error(t("speaker") + " / " + t("text") + " ?")
            elif run(iv.add_notes, sid, said, speaker):
                st.rerun()
    with st.form("upload_transcript", clear_on_submit=True):
        upload = st.file_uploader(
            t("upload_transcript"), type=["txt", "md", "vtt", "srt", "docx", "json"], key="transcript_file"
        )
        if st.form_submit_button(t("add_turn") + " ↑") and upload is not None:
            parsed = run(iv.parse_transcript, upload.getvalue(), upload.name)
            added = run(iv.add_turns, sid, parsed) if parsed else None
            if added:
                flash(t("turns_added", n=len(added)))
                st.rerun()

# -- extraction and edits -------------------------------------------------------------------
st.divider()
if st.button(t("extract"), type="primary", key="extract", disabled=not iv.turns(sid)):
    with st.spinner("…"):
        result = run(me.extract_session, sid)
    if result is not None:
        st.success(t("extracted", n=len(result["requirements"])))
        if result.get("llm_error"):
            st.warning(t("llm_extraction_failed") + (f" ({result['llm_error']})" if lang() == "en" else ""))
        skipped = result.get("skipped") or []
        if skipped:
            reasons = sorted({t(x["reason"]) if x["reason"] in TEXT else x["reason"] for x in skipped})
            st.warning(
                t(
                    "turns_not_read",
                    n=len(skipped),
                    reason="；".join(reasons) if lang() == "zh" else "; ".join(reasons),
                    turns=", ".join(x["turn"] for x in skipped),
                )
            )
        reason = (result.get("summary") or {}).get("types_reason")
        if reason:
            st.info(t(reason))
items = iv.items(sid)
reqs = items["requirements"]
if reqs:
    st.subheader(t("requirements"))
    frame = pd.DataFrame(
        [
            {
                "id": r["id"],
                "statement": r["statement"],
                "type": r.get("type") or "",
                "priority": r.get("priority") or "",
                "quote": " / ".join(q["quote"] for q in r.get("quotes") or [{"quote": r["quote"]}]),
                "turn": r["turn"],
                "speaker": r["speaker"],
                "confidence": float(r.get("confidence") or 0),
                "notes": ", ".join(t(n) if n in TEXT else n for n in r.get("notes") or []),
                "edited": bool(r.get("edited")),
            }
            for r in reqs
        ]
    )
    # the editor's identity follows the rows it shows: edits never land on re-extracted rows
    digest = hashlib.sha1(frame.to_json().encode("utf-8")).hexdigest()[:10]
    st.session_state["_reqs_editor"] = f"reqs_{sid}_{digest}"
    edited = st.data_editor(
        frame,
        key=st.session_state["_reqs_editor"],
        hide_index=True,
        width="stretch",
        disabled=["id", "quote", "turn", "speaker", "confidence", "notes", "edited"],
        column_config={
            "id": st.column_config.TextColumn(t("req_id")),
            "statement": st.column_config.TextColumn(t("statement"), width="large"),
            "type": st.column_config.SelectboxColumn(
                t("type"),
                options=sorted(TYPES),
                format_func=lambda c: words_for("workflow", "reqtype_", str(c), lang()),
            ),
            "priority": st.column_config.SelectboxColumn(
                t("priority"),
                options=["", *sorted(PRIORITIES)],
                format_func=lambda c: words_for("workflow", "priority_", str(c), lang()),
            ),
            "turn": st.column_config.TextColumn(t("turn_ref")),
            "speaker": st.column_config.TextColumn(t("speaker")),
            "notes": st.column_config.TextColumn(t("req_notes")),
            "edited": st.column_config.CheckboxColumn(t("req_edited")),
            "quote": st.column_config.TextColumn(t("quote"), width="large"),
            "confidence": st.column_config.ProgressColumn(t("confidence"), min_value=0.0, max_value=1.0),
        },
    )
    if st.button(t("save_edits"), key="save_edits"):
        n = run(iv.apply_edits, sid, frame.to_dict("records"), edited.to_dict("records"))
        if n is not None:
            flash(t("saved", n=n))
            st.rerun()
    for key in ("pain_points", "process_steps", "open_questions"):
        if items[key]:
            with st.expander(f"{t(key)} ({len(items[key])})"):
                for it in items[key]:
                    st.markdown(f"- **{it['turn']}** {it['speaker']}: {it.get('statement') or it['text']}")
    if items["contradictions"]:
        with st.expander(f"{t('contradictions')} ({len(items['contradictions'])})", expanded=True):
            for c in items["contradictions"]:
                said = "  \n".join(
                    f"**{turn}** {who_}：「{quote}」"
                    for turn, who_, quote in zip(c["turns"], c["speakers"], c["quotes"], strict=False)
                )
                st.warning(f"{c['reason']}  \n{said}")
    conflicts = [r for r in reqs if r.get("refs")]
    for r in conflicts:
        for ref in r["refs"]:
            st.warning(
                f"{r['id']} · {t(ref['kind'])}: {ref['source']} {ref.get('section') or ''} — {ref['snippet']}"
            )

    # -- export --------------------------------------------------------------------------------
    spec = iv.spec(sid, items)
    c1, c2 = st.columns(2)
    c1.download_button(
        t("export_md"),
        lambda: iv.spec_bytes(spec, "md"),
        file_name=f"spec-{sid}.md",
        mime="text/markdown",
        key="spec_md",
    )
    c2.download_button(
        t("export_docx"),
        lambda: iv.spec_bytes(spec, "docx"),
        file_name=f"spec-{sid}.docx",
        mime="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        key="spec_docx",
    )
