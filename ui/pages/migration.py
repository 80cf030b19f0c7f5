"""数据迁移 Data migration: profile an export, check it (with a rules file and/or the inferred
rules), find duplicate records; downloads of the findings."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
import streamlit as st

from assistant.messages import finding_words
from assistant.messages import label as words_for
from ui.common import caller, lang, run, saved_upload, t

me = caller("migration")
st.title(t("page_migration"))
st.caption(t("migration_intro"))


def _forget_results() -> None:
    for stale in ("_mig_profile", "_mig_check", "_mig_dedupe"):
        st.session_state.pop(stale, None)


def rule_words(rule: str) -> str:
    """'inferred_type:decimal' -> 推断：类型不符 (decimal)."""
    return finding_words(rule, lang())


path = saved_upload(t("migration_file"), "mig_file", ["csv", "tsv", "txt", "xlsx"], _forget_results)
sheet = (
    st.text_input(t("migration_sheet"), key="mig_sheet") if path and path.suffix.lower() == ".xlsx" else ""
)
if path is None:
    st.info(t("migration_upload_first"))
    st.stop()

profile_tab, check_tab, dedupe_tab = st.tabs([t("mig_profile"), t("mig_check"), t("mig_dedupe")])

with profile_tab:
    if st.button(t("mig_run_profile"), type="primary", key="mig_run_profile"):
        with st.spinner(t("mig_working")):
            st.session_state["_mig_profile"] = run(me.migration_profile, path, sheet or None)
    prof: dict[str, Any] | None = st.session_state.get("_mig_profile")
    if prof:
        c1, c2, c3 = st.columns(3)
        c1.metric(t("mig_rows"), f"{prof['rows']:,}")
        c2.metric(t("mig_columns"), len(prof["columns"]))
        c3.metric(t("mig_encoding"), prof["encoding"])
        frame = pd.DataFrame(
            [
                {
                    t("mig_column"): c["name"],
                    t("mig_type"): words_for("ui", "mig_type_", c["type"], lang()),
                    t("mig_missing"): c["missing_share"],
                    t("mig_distinct"): c["distinct"],
                    t("mig_top_shape"): c["shapes"][0]["shape"] if c["shapes"] else "",
                    t("mig_issues"): sum(
                        (c["fullwidth_alnum"], c["mojibake"], c["decorated_numbers"], *c["spacing"].values())
                    ),
                }
                for c in prof["columns"]
            ]
        )
        st.bar_chart(frame.set_index(t("mig_column"))[t("mig_missing")], horizontal=True)
        st.dataframe(
            frame,
            hide_index=True,
            width="stretch",
            column_config={
                t("mig_missing"): st.column_config.ProgressColumn(
                    t("mig_missing"), min_value=0.0, max_value=1.0
                )
            },
        )
        if prof["candidate_keys"]:
            st.caption(t("mig_keys") + ": " + "、".join(prof["candidate_keys"]))
        for d in prof["dependencies"]:
            st.caption(t("mig_dependency", a="+".join(d["determinant"]), b=d["dependent"], n=d["violations"]))

with check_tab:
    rules = saved_upload(t("mig_rules_file"), "mig_rules", ["yaml", "yml", "json"])
    infer = st.checkbox(t("mig_infer"), value=True, key="mig_infer")
    if st.button(t("mig_run_check"), type="primary", key="mig_run_check"):
        with st.spinner(t("mig_working")):
            st.session_state["_mig_check"] = run(me.migration_check, path, rules, infer, sheet or None)
    report = st.session_state.get("_mig_check")
    if report is not None:
        summary = report.summary()
        c1, c2, c3 = st.columns(3)
        c1.metric(t("mig_errors"), summary["errors"])
        c2.metric(t("mig_warnings"), summary["warnings"])
        c3.metric(t("mig_rows_with_findings"), summary["rows_with_findings"])
        rows = [
            {
                t("data_row"): f["row"],
                t("mig_column"): f["column"],
                t("mig_value"): str(f["value"]),
                t("mig_rule"): rule_words(f["rule"]),
                t("finding_severity"): words_for("ui", "severity_", f["severity"], lang()),
                t("mig_suggestion"): "" if f["suggestion"] is None else str(f["suggestion"]),
            }
            for f in report.findings
        ]
        table = pd.DataFrame(rows)
        if not table.empty:
            f1, f2 = st.columns(2)
            kinds = f1.multiselect(
                t("mig_rule"), sorted(table[t("mig_rule")].unique()), key="mig_filter_rule"
            )
            cols = f2.multiselect(
                t("mig_column"), sorted(table[t("mig_column")].unique()), key="mig_filter_col"
            )
            keep = pd.Series(True, index=table.index)
            if kinds:
                keep &= table[t("mig_rule")].isin(kinds)
            if cols:
                keep &= table[t("mig_column")].isin(cols)
            shown = table[keep]
            st.dataframe(shown, hide_index=True, width="stretch")
        else:
            st.success(t("mig_clean"))
        d1, d2 = st.columns(2)
        d1.download_button(
            t("mig_download_jsonl"),
            "\n".join(json.dumps(f, ensure_ascii=False) for f in report.findings).encode("utf-8"),
            file_name="findings.jsonl",
            key="mig_dl_jsonl",
        )
        d2.download_button(
            t("mig_download_md"),
            me.migration_markdown(path.name, report).encode("utf-8"),
            file_name="findings.md",
            key="mig_dl_md",
        )

with dedupe_tab:
    known = [c["name"] for c in (st.session_state.get("_mig_profile") or {}).get("columns", [])]
    if not known:
        st.info(t("mig_profile_first"))
    else:
        fields = st.multiselect(t("mig_fields"), known, key="mig_fields")
        id_col = st.selectbox(t("mig_id_col"), ["", *known], key="mig_id_col")
        threshold = st.slider(t("mig_threshold"), 0.5, 0.99, 0.9, 0.01, key="mig_threshold")
        if st.button(t("mig_run_dedupe"), type="primary", key="mig_run_dedupe", disabled=not fields):
            with st.spinner(t("mig_working")):
                st.session_state["_mig_dedupe"] = run(
                    me.migration_dedupe, path, fields, id_col or None, threshold, sheet or None
                )
        found = st.session_state.get("_mig_dedupe")
        if found is not None:
            st.metric(t("mig_clusters"), len(found["clusters"]))
            st.dataframe(
                pd.DataFrame(
                    [
                        {
                            t("mig_cluster"): c["cluster"],
                            t("data_row"): ", ".join(str(r) for r in c["rows"]),
                            t("mig_ids"): ", ".join(c["ids"]),
                            t("mig_probability"): c["probability"],
                            t("mig_agree"): "、".join(c["agree"]),
                        }
                        for c in found["clusters"]
                    ]
                ),
                hide_index=True,
                width="stretch",
            )
