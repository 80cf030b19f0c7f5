"""工单 Ticket triage: one ticket or a batch, predictions with confidence bars, similar incidents with
their resolutions, duplicates and articles; incident-history import with a column-mapping form and
the validation report; training the classifiers; FAQ drafts from resolved tickets reviewed one by
one (edit, accept into the knowledge base, reject)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from assistant.messages import label as words_for
from assistant.support.models import FIELDS, PRESETS, REQUIRED, Mapping
from ui.common import ProgressBar, caller, lang, require_kb, run, saved_upload, t
from ui.i18n import TEXT

me = caller("read_tickets")
kb = require_kb()
svc = me.services
desk = me.support_desk(kb)
st.title(t("page_tickets"))

one, batch, history, faq = st.tabs([t("triage"), t("batch"), t("import"), t("faq_tab")])


def uploaded_table(label: str, key: str) -> tuple[Path, list[str], int] | None:
    """An uploaded export saved once per upload (readers go by its suffix), its columns and row
    count; the copy is removed when the upload is replaced or cleared, or at sign-out."""
    path = saved_upload(label, key, ["csv", "xlsx", "json", "jsonl"])
    if path is None:
        return None
    table = run(svc.read_table, path)
    if not table or not table[0]:
        return None
    return path, table[0], len(table[1])


def show_result(result: dict[str, Any]) -> None:
    st.subheader(t("predictions"))
    if not result["predictions"]:
        st.info(t("no_model"))
    for target, p in result["predictions"].items():
        label = p["label"] if p["label"] != "uncertain" else f"{t('uncertain')} ({p['predicted']}?)"
        st.progress(
            float(p["confidence"]),
            text=f"{t(target) if target in ('category', 'priority') else target}: **{label}** · {p['confidence']:.0%}",
        )
    if result["duplicates"]:
        st.subheader(t("duplicates"))
        for d in result["duplicates"]:
            st.warning(
                f"**{d['id']}** ({words_for('workflow', 'ticket_state_', d['status'], lang())}) {d['title']}"
            )
    st.subheader(t("similar"))
    if result["similar"]:
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        t("ticket_id"): s["id"],
                        t("score"): s["score"],
                        t("ticket_title"): s["title"],
                        t("category"): s["category"],
                        t("priority"): s["priority"],
                        t("status"): words_for("workflow", "ticket_state_", s["status"], lang()),
                        t("resolution"): s["resolution"],
                    }
                    for s in result["similar"]
                ]
            ),
            hide_index=True,
            width="stretch",
            column_config={t("score"): st.column_config.NumberColumn(t("score"), format="%.3f")},
        )
    else:
        st.caption(t("no_results"))
    st.subheader(t("articles"))
    for a in result["articles"]:
        where = a["source"] + (f" · {t('page')} {a['page']}" if a.get("page") else "")
        with st.expander(f"{where} · {a.get('section') or ''}"):
            st.write(a["snippet"])


# -- one ticket ------------------------------------------------------------------------------
with one:
    with st.form("triage"):
        text = st.text_area(t("ticket_text"), key="triage_text", height=140)
        submitted = st.form_submit_button(t("triage_button"), type="primary")
    if submitted:
        result = run(desk.triage, kb, text)
        if result is not None:
            show_result(result)

# -- batch -----------------------------------------------------------------------------------
with batch:
    table = uploaded_table(t("batch_file"), "batch_file")
    if table is not None:
        path, columns, n_rows = table
        chosen = st.multiselect(t("text_columns"), columns, default=columns[:1], key="batch_cols")
        if st.button(t("run_batch"), key="run_batch", disabled=not chosen):
            bar = st.progress(0.0)

            def triage_all() -> list[dict[str, Any]]:
                done: list[dict[str, Any]] = []
                for r in desk.triage_batch(kb, path, "+".join(chosen)):
                    done.append(r)
                    bar.progress(min(1.0, len(done) / max(1, n_rows)), text=f"{len(done)}/{n_rows}")
                return done

            rows = run(triage_all)
            if rows is not None:
                results = [
                    {
                        t("data_row"): r["row"],
                        **{
                            (t(k) if k in TEXT else k): f"{v['label']} ({v['confidence']:.0%})"
                            for k, v in r["predictions"].items()
                        },
                        t("similar"): ", ".join(s["id"] for s in r["similar"][:3]),
                        t("error"): t("row_empty_text")
                        if r.get("error") == "empty text"
                        else r.get("error", ""),
                    }
                    for r in rows
                ]
                st.dataframe(pd.DataFrame(results), hide_index=True, width="stretch")
                st.download_button(
                    t("download_jsonl"),
                    "\n".join(json.dumps(r, ensure_ascii=False) for r in rows).encode("utf-8"),
                    file_name="triage.jsonl",
                    key="batch_dl",
                )


# -- import and training -----------------------------------------------------------------------
with history:
    table = uploaded_table(t("history_file"), "history_file") if me.can("import_tickets") else None
    if table is not None:
        path, columns, _ = table
        preset = st.selectbox(t("preset"), ["", *PRESETS], key="import_preset")
        st.markdown(f"**{t('mapping')}**")
        columns_of: dict[str, list[str]] = {}
        cols = st.columns(4)
        for i, field in enumerate(FIELDS):
            with cols[i % 4]:
                name = t("ticket_field_" + field)
                if field == "text":
                    columns_of[field] = st.multiselect(f"{name} *", columns, key=f"map_{field}")
                else:
                    label = f"{name} *" if field in REQUIRED else name
                    options = ["", *columns]
                    picked_one = st.selectbox(
                        label, options, format_func=lambda c: c or t("not_mapped"), key=f"map_{field}"
                    )
                    columns_of[field] = [picked_one] if picked_one else []
        if st.button(t("import_button"), type="primary", key="do_import"):
            mapping = run(Mapping.of, columns_of, preset or None)
            report = run(desk.import_file, kb, path, mapping, None, ProgressBar()) if mapping else None
            if report is not None:
                d = report.as_dict()
                st.success(
                    t(
                        "imported",
                        **{k: d[k] for k in ("rows", "added", "updated", "unchanged", "skipped")},
                    )
                )
                st.markdown(f"**{t('validation')}**")
                if d["findings"]:
                    st.dataframe(
                        pd.DataFrame(
                            [
                                {
                                    t("data_row"): f["row"],
                                    t("finding_severity"): words_for(
                                        "ui", "severity_", f["severity"], lang()
                                    ),
                                    t("finding_kind"): words_for("ui", "finding_", f["kind"], lang()),
                                    # the detail names the row's values; written in English by the importer
                                    **({t("finding_detail"): f["message"]} if lang() == "en" else {}),
                                }
                                for f in d["findings"]
                            ]
                        ),
                        hide_index=True,
                        width="stretch",
                    )
                else:
                    st.caption(t("no_findings"))

    st.divider()
    targets = st.multiselect(
        t("targets"),
        ["category", "priority", "status"],
        default=["category", "priority"],
        format_func=t,
        key="train_targets",
    )
    if st.button(t("train"), key="train", disabled=not targets or not me.can("import_tickets")):
        with st.status(t("train"), expanded=True) as status:
            metas = run(desk.train, kb, targets, lambda m: status.write(m))
            if metas is not None:
                status.update(state="complete")
                for m in metas:
                    st.write(
                        f"**{t(m['target'])}**: macro-F1 (5-fold) {m['cv_macro_f1']:.3f} · {m['rows']} · {', '.join(m['labels'])}"
                    )
    for meta in desk.models.metas(kb):
        st.caption(
            f"{t('trained')}: {t(meta['target'])} · {meta['trained_at'][:16].replace('T', ' ')} UTC · "
            f"macro-F1 {meta['cv_macro_f1']:.3f} · {t('n_labels', n=len(meta['labels']))}"
        )


with faq:
    if not me.can("import_tickets"):
        st.info(t("faq_no_right"))
    else:
        if st.button(t("faq_suggest"), key="faq_suggest", icon=":material/auto_awesome:"):
            made = run(me.faq_suggest, kb)
            if made is not None:
                st.session_state["_faq_msg"] = t(
                    "faq_suggested", n=sum(1 for d in made if d["status"] == "draft")
                )
        if st.session_state.get("_faq_msg"):
            st.success(st.session_state.pop("_faq_msg"))
        drafts = run(me.faq_drafts, kb, "draft") or []
        if not drafts:
            st.caption(t("faq_none"))
        for d in drafts:
            with st.expander(f"{d['id']} · {d['question'][:60]}", expanded=len(drafts) <= 3):
                st.caption(t("faq_from", tickets=", ".join(d["tickets"])))
                with st.form(f"faq_form_{d['id']}"):
                    question = st.text_input(
                        t("faq_question"), value=d["question"], max_chars=2000, key=f"faq_q_{d['id']}"
                    )
                    answer = st.text_area(
                        t("faq_answer"), value=d["answer"], max_chars=20000, key=f"faq_a_{d['id']}"
                    )
                    c1, c2 = st.columns(2)
                    accept = c1.form_submit_button(t("faq_accept"), type="primary", key=f"faq_ok_{d['id']}")
                    reject = c2.form_submit_button(t("faq_reject"), key=f"faq_no_{d['id']}")
                if accept:
                    entry = run(me.faq_accept, kb, d["id"], question, answer)
                    if entry is not None:
                        st.session_state["_faq_msg"] = t(
                            "faq_published", id=entry["id"], source=entry["source"]
                        )
                        st.rerun()
                if reject and run(me.faq_reject, kb, d["id"]) is not None:
                    st.session_state["_faq_msg"] = t("faq_rejected", id=d["id"])
                    st.rerun()
        published = run(me.faq_drafts, kb, "approved") or []
        if published:
            st.markdown(f"**{t('faq_published_list')}**")
            for d in published:
                st.markdown(f"- {d['question']} — {t('faq_from', tickets=', '.join(d['tickets']))}")
