"""洞察 Insights: questions per day, answered vs not found, top unanswered topics, feedback, tickets by
category and priority over time, change requests by state and age."""

from __future__ import annotations

from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from ui.common import caller, require_kb, run, t

me = caller("insights")
kb = require_kb()
data = run(me.insights, kb)
st.title(t("page_insights"))
if data is None:
    st.stop()


def chart(title: str, frame: pd.DataFrame, build: alt.Chart) -> None:
    st.markdown(f"**{title}**")
    if frame.empty:
        st.caption(t("no_data"))
    else:
        st.altair_chart(build, width="stretch")


m1, m2, m3 = st.columns(3)
m1.metric(t("questions"), data["questions"])
m2.metric(t("found_rate"), "-" if data["found_rate"] is None else f"{data['found_rate']:.0%}")
m3.metric(t("page_changes"), len(data["change_requests"]))


def per_day(title: str, rows: list[dict[str, Any]], kinds: dict[str, str], colors: list[str]) -> None:
    """Stacked bars per day, one colour per kind (e.g. answered / not found)."""
    frame = pd.DataFrame(rows)
    if not frame.empty:
        frame = frame.melt(id_vars="day", value_vars=list(kinds), var_name="kind", value_name="n")
        frame["kind"] = frame["kind"].map(kinds)
    chart(
        title,
        frame,
        alt.Chart(frame)
        .mark_bar()
        .encode(
            x=alt.X("day:N", title=t("day")),
            y=alt.Y("n:Q", title=t("count")),
            color=alt.Color("kind:N", title=None, scale=alt.Scale(range=colors)),
        ),
    )


left, right = st.columns(2)
with left:
    per_day(
        t("questions_per_day"),
        data["questions_per_day"],
        {"found": t("answered"), "not_found": t("not_found")},
        ["#2e7d32", "#c62828"],
    )
with right:
    g = pd.DataFrame(data["top_unanswered"])
    chart(
        t("top_unanswered"),
        g,
        alt.Chart(g)
        .mark_bar(color="#ef6c00")
        .encode(y=alt.Y("topic:N", sort="-x", title=t("topic")), x=alt.X("count:Q", title=t("count"))),
    )

left, right = st.columns(2)
with left:
    per_day(
        t("feedback"), data["feedback_per_day"], {"up": t("up"), "down": t("down")}, ["#1565c0", "#c62828"]
    )
with right:
    c = pd.DataFrame(data["change_requests_by_state"])
    if not c.empty:
        c["state"] = c["status"].map(lambda s: t("state_" + s))
    chart(
        t("crs_by_state"),
        c,
        alt.Chart(c)
        .mark_bar(color="#6a1b9a")
        .encode(x=alt.X("state:N", title=t("status")), y=alt.Y("count:Q", title=t("count"))),
    )

for key, field in (("tickets_by_category", "category"), ("tickets_by_priority", "priority")):
    frame = pd.DataFrame(data[key])
    chart(
        t(key),
        frame,
        alt.Chart(frame)
        .mark_bar()
        .encode(
            x=alt.X("week:O", title=t("week")),
            y=alt.Y("tickets:Q", title=t("count"), stack=True),
            color=alt.Color(f"{field}:N", title=t(field)),
        ),
    )

ages = pd.DataFrame([c for c in data["change_requests"] if c["open"]])
chart(
    t("cr_age"),
    ages,
    alt.Chart(ages)
    .mark_bar(color="#455a64")
    .encode(
        y=alt.Y("id:N", sort="-x", title=None),
        x=alt.X("age_days:Q", title=t("age_days")),
        tooltip=["title", "status"],
    ),
)
