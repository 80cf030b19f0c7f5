"""数据迁移 Data migration: profile an export, check it (with a rules file and/or the inferred
rules), find duplicate records and merge the ones a person accepts, reconcile a test load with the
rounds trend; downloads of the findings (JSONL, Markdown, Excel with the cells highlighted)."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from assistant.messages import finding_words
from assistant.messages import label as words_for
from ui.common import caller, lang, run, saved_upload, t

me = caller("migration")
st.title(t("page_migration"))
st.caption(t("migration_intro"))


def _forget_results() -> None:
    for stale in ("_mig_profile", "_mig_check", "_mig_xlsx", "_mig_dedupe", "_mig_merged", "_mig_reconcile"):
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

profile_tab, check_tab, dedupe_tab, reconcile_tab = st.tabs(
    [t("mig_profile"), t("mig_check"), t("mig_dedupe"), t("mig_reconcile")]
)

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
        with st.spinner(t("mig_working")), tempfile.TemporaryDirectory() as tmp:
            xlsx = Path(tmp) / "report.xlsx"
            result = run(me.migration_check, path, rules, infer, sheet or None, None, xlsx, lang())
            st.session_state["_mig_check"] = result
            st.session_state["_mig_xlsx"] = (
                xlsx.read_bytes() if result is not None and xlsx.exists() else None
            )
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
        d1, d2, d3 = st.columns(3)
        if st.session_state.get("_mig_xlsx"):
            d3.download_button(
                t("mig_download_xlsx"),
                st.session_state["_mig_xlsx"],
                file_name=f"{Path(path.name).stem}-check.xlsx",
                mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                key="mig_dl_xlsx",
            )
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
            if found["clusters"]:
                st.caption(t("mig_accept_hint"))
                edited = st.data_editor(
                    pd.DataFrame(
                        [
                            {
                                t("mig_accept"): True,
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
                    disabled=[
                        t("mig_cluster"),
                        t("data_row"),
                        t("mig_ids"),
                        t("mig_probability"),
                        t("mig_agree"),
                    ],
                    column_config={t("mig_probability"): st.column_config.NumberColumn(format="%.3f")},
                    key="mig_accept_table",
                )
                accepted = [
                    c for c, keep in zip(found["clusters"], edited[t("mig_accept")], strict=True) if keep
                ]
                s1, s2 = st.columns(2)
                rule = s1.radio(
                    t("mig_survivor"),
                    ["most_complete", "most_recent"],
                    format_func=lambda r: t(f"mig_survivor_{r}"),
                    key="mig_survivor",
                    horizontal=True,
                )
                recent = s2.selectbox(t("mig_recent_col"), ["", *known], key="mig_recent_col")
                if st.button(
                    t("mig_merge", n=len(accepted)),
                    key="mig_run_merge",
                    disabled=not accepted or (rule == "most_recent" and not recent),
                ):
                    st.session_state["_mig_merged"] = run(
                        me.migration_merge,
                        path,
                        accepted,
                        id_col or None,
                        rule,
                        recent or None,
                        sheet or None,
                    )
                merged = st.session_state.get("_mig_merged")
                if merged:
                    st.success(t("mig_merged", merged=merged["merged"], rows=merged["rows_out"]))
                    m1, m2 = st.columns(2)
                    m1.download_button(
                        t("mig_download_golden"),
                        merged["golden"],
                        file_name="golden.csv",
                        key="mig_dl_golden",
                    )
                    m2.download_button(
                        t("mig_download_mapping"),
                        merged["mapping"],
                        file_name="id_mapping.csv",
                        key="mig_dl_map",
                    )

with reconcile_tab:
    st.caption(t("mig_reconcile_intro"))
    target = saved_upload(t("mig_target_file"), "mig_target", ["csv", "tsv", "txt", "xlsx"])
    known = [c["name"] for c in (st.session_state.get("_mig_profile") or {}).get("columns", [])]
    if not known:
        st.info(t("mig_profile_first"))
    elif target is not None:
        k1, k2, k3 = st.columns(3)
        keys = k1.multiselect(t("mig_key"), known, key="mig_keys")
        sums = k2.multiselect(t("mig_sums"), known, key="mig_sums")
        round_name = k3.text_input(t("mig_round_name"), key="mig_round_name", max_chars=60)
        if st.button(t("mig_run_reconcile"), type="primary", key="mig_run_reconcile", disabled=not keys):
            with st.spinner(t("mig_working")):
                st.session_state["_mig_reconcile"] = run(
                    me.migration_reconcile, path, target, keys, sums, round_name.strip() or None
                )
        rec = st.session_state.get("_mig_reconcile")
        if rec:
            (st.success if rec["reconciled"] else st.warning)(
                t("mig_reconciled") if rec["reconciled"] else t("mig_not_reconciled")
            )
            r1, r2, r3, r4 = st.columns(4)
            r1.metric(t("mig_source_rows"), f"{rec['counts']['source']:,}")
            r2.metric(t("mig_target_rows"), f"{rec['counts']['target']:,}")
            r3.metric(t("mig_missing_in_target"), rec["missing_in_target"]["count"])
            r4.metric(t("mig_extra_in_target"), rec["extra_in_target"]["count"])
            if rec["differences"]:
                st.dataframe(
                    pd.DataFrame(
                        [
                            {
                                t("mig_column"): col,
                                t("mig_key"): x["key"],
                                t("mig_source_value"): x["source"],
                                t("mig_target_value"): x["target"],
                            }
                            for col, d in rec["differences"].items()
                            for x in d["sample"]
                        ]
                    ),
                    hide_index=True,
                    width="stretch",
                )
            for col, total in rec["sums"].items():
                st.caption(
                    t(
                        "mig_sum_line",
                        col=col,
                        source=total["source"],
                        target=total["target"],
                        diff=total["difference"],
                    )
                )
            trend = pd.DataFrame(
                [
                    {
                        t("mig_round"): x["round"],
                        t("mig_kind"): t(f"mig_kind_{kind}"),
                        t("mig_count"): x[kind],
                    }
                    for x in rec["rounds"]
                    for kind in ("missing", "extra", "differences")
                ]
            )
            order = [x["round"] for x in rec["rounds"]]
            st.subheader(t("mig_rounds_trend"))
            st.altair_chart(
                alt.Chart(trend)
                .mark_line(point=True)
                .encode(
                    x=alt.X(f"{t('mig_round')}:N", sort=order, title=t("mig_round")),
                    y=alt.Y(
                        f"{t('mig_count')}:Q", title=t("mig_count"), axis=alt.Axis(tickMinStep=1, format="d")
                    ),
                    color=alt.Color(f"{t('mig_kind')}:N", title=""),
                ),
                width="stretch",
            )
