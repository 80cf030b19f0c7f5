"""知识库 Knowledge base: upload documents with progress, the documents table (type, version, chunks,
status, errors), delete and re-ingest, and a search tester."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from assistant.errors import AssistantError
from assistant.messages import label
from assistant.schemas import DocType
from ui.common import ProgressBar, caller, current_kb, flash, lang, run, show_flash, t

me = caller("documents")
svc = me.services
st.title(t("page_kb"))
show_flash()
kb = current_kb()

# -- upload ----------------------------------------------------------------------------------
if me.can("write_documents"):
    with st.form("upload", clear_on_submit=True):
        files = st.file_uploader(
            t("upload_docs"),
            type=svc.supported_extensions(),
            accept_multiple_files=True,
            key="kb_files",
        )
        c1, c2, c3 = st.columns(3)
        target = c1.text_input(t("new_kb"), key="kb_target", placeholder=kb or "")
        dtype = c2.selectbox(
            t("doc_type"),
            ["", *[d.value for d in DocType]],
            format_func=lambda d: d or t("infer"),
            key="kb_type",
        )
        version = c3.text_input(t("version"), key="kb_version")
        if st.form_submit_button(t("ingest_button"), type="primary") and files:
            dest = target.strip() or kb
            if not dest:
                st.error(t("no_kb"))
            elif not me.may_write(dest):
                st.error(t("read_only"))
            else:
                bar = ProgressBar()
                bar("start", {"files": len(files)})
                messages = []
                for f in files:
                    bar.bar.progress(bar.done / len(files), text=t("ingesting", name=f.name))
                    try:
                        outcome, _ = me.ingest_upload(
                            dest,
                            f.name,
                            f.getvalue(),
                            DocType(dtype) if dtype else None,
                            version.strip() or None,
                        )
                        messages.append(
                            t(
                                "ingested",
                                name=f.name,
                                status=label("workflow", "doc_", outcome.status, lang()),
                                chunks=outcome.chunks,
                            )
                        )
                    except AssistantError as e:
                        flash(t("failed", name=f.name, reason=str(e)), "error")
                    bar("file", {})
                if messages:
                    flash(" · ".join(messages))
                    st.session_state["kb"] = dest
                st.rerun()
else:
    st.caption(t("read_only"))

if not kb:
    st.warning(t("no_kb"))
    st.stop()
assert kb is not None
kb_name: str = kb

# -- documents -------------------------------------------------------------------------------
st.subheader(t("documents"))
stats = run(me.kb_stats, kb)
if stats is None:
    st.stop()
m1, m2, m3 = st.columns(3)
m1.metric(t("documents"), stats["documents"])
m2.metric(t("chunks"), stats["chunks"])
m3.metric(t("vectors"), stats["vectors"])
show_incidents = st.toggle(t("show_incidents"), key="kb_incidents")
docs = [d for d in stats["documents_detail"] if show_incidents or d["doc_type"] != "incident"]
st.dataframe(
    pd.DataFrame(
        [
            {
                t("doc_source"): d["source"],
                t("type"): label("workflow", "doctype_", d["doc_type"], lang()),
                t("version").split("（")[0].split(" (")[0]: d["version"],
                t("chunks"): d["chunks"],
                t("status"): label("workflow", "doc_", d["status"], lang()),
                t("language"): label("workflow", "lang_", d["language"], lang()),
                t("error"): d["error"] or "",
                t("ingested_at"): (d["ingested_at"] or "")[:16].replace("T", " "),
            }
            for d in docs
        ]
    ),
    hide_index=True,
    width="stretch",
)
if me.may_write(kb) and docs:
    c1, c2, c3 = st.columns([3, 1, 1])
    sources = [d["source"] for d in docs]
    if st.session_state.get("kb_doc") not in sources:
        st.session_state["kb_doc"] = None  # gone (deleted): nothing chosen rather than a neighbour
    source = c1.selectbox(t("pick_doc"), sources, key="kb_doc", index=None, placeholder=t("pick_doc"))
    if c2.button(t("reingest"), key="kb_reingest", width="stretch", disabled=source is None):
        report = run(me.reingest_document, kb, source, ProgressBar())
        if report is not None:
            first = report.files[0] if report.files else None
            flash(
                t(
                    "ingested",
                    name=source,
                    status=label("workflow", "doc_", first.status, lang()) if first else "-",
                    chunks=first.chunks if first else 0,
                )
            )
            st.rerun()
    sure = st.checkbox(t("confirm_delete"), key="kb_delete_sure", disabled=source is None)

    def delete(name: str) -> None:
        """Runs before the next script run: the confirmation is cleared and nothing stays chosen,
        so a second click cannot delete the document that moved into the selection."""

        def remove() -> bool:
            me.remove_document(kb_name, name)
            return True

        if run(remove):
            flash(t("deleted", name=name))
        st.session_state["kb_delete_sure"] = False
        st.session_state["kb_doc"] = None

    c3.button(
        t("delete"),
        key="kb_delete",
        width="stretch",
        type="secondary",
        disabled=not sure or source is None,
        on_click=delete,
        args=(str(source),),
    )

# -- search tester ---------------------------------------------------------------------------
st.subheader(t("search_tester"))
with st.form("search"):
    c1, c2, c3 = st.columns([4, 1, 2])
    query = c1.text_input(t("query"), key="kb_query")
    k = c2.number_input(t("results"), min_value=1, max_value=50, value=5, key="kb_k")
    types = c3.multiselect(
        t("doc_type"), [d.value for d in DocType], key="kb_types", placeholder=t("all_types")
    )
    submitted = st.form_submit_button(t("search"))
if submitted and query.strip():
    hits = run(me.search, kb, query, int(k), types or None)
    if hits is not None and not hits:
        st.caption(t("no_results"))
    for h in hits or []:
        c = h.chunk
        where = c.source + (f" · {t('page')} {c.page}" if c.page else "")
        with st.expander(f"{h.score:.3f} · {where} · {c.section}"):
            st.write(c.text)
            st.caption(
                f"dense {h.dense_score or 0:.3f} · lexical {h.lexical_score or 0:.3f} · {c.doc_type} · {c.language}"
            )
