"""洞察 Insights: questions per day, answered vs not found, top unanswered topics, feedback, tickets by
category, priority and SLA state over time, change requests by state and age — for a chosen period,
with the benefit report (《项目效益评估报告》) to download as Word or Markdown."""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from assistant.services import benefit_docx, benefit_markdown
from assistant.support.models import UNRANKED_COLOUR, priority_colours
from ui.common import caller, lang, require_kb, run, t

me = caller("insights")
kb = require_kb()
st.title(t("page_insights"))

everything = run(me.insights, kb)
if everything is None:
    st.stop()
# the period offered first spans every record (history imported from a file may lie anywhere)
first = date.fromisoformat(everything["first_day"]) if everything["first_day"] else date.today()
last = max(date.fromisoformat(everything["last_day"]) if everything["last_day"] else first, date.today())
period = st.date_input(t("period"), value=(first, last), key="ins_period")
start, end = (period[0], period[-1]) if isinstance(period, tuple) and period else (None, None)
data = (
    everything
    if (start, end) == (first, last)
    else run(me.insights, kb, start.isoformat() if start else None, end.isoformat() if end else None)
)
if data is None:
    st.stop()

#: counts are whole numbers: integer ticks only, never "0.000000"
COUNT_AXIS = alt.Axis(format="d", tickMinStep=1)


def chart(title: str, frame: pd.DataFrame, build: alt.Chart, value: str) -> None:
    """A chart, or 'no data' when the period has nothing to count (no empty axes)."""
    st.markdown(f"**{title}**")
    if frame.empty or float(frame[value].fillna(0).sum()) == 0:
        st.caption(t("no_data"))
    else:
        st.altair_chart(build, width="stretch")


m1, m2, m3, m4 = st.columns(4)
m1.metric(t("questions"), data["questions"])
m2.metric(t("found_rate"), "-" if data["found_rate"] is None else f"{data['found_rate']:.0%}")
m3.metric(t("tickets_total"), sum(r["tickets"] for r in data["tickets_by_category"]))
m4.metric(t("page_changes"), len(data["change_requests"]))


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
            y=alt.Y("n:Q", title=t("count"), axis=COUNT_AXIS),
            color=alt.Color("kind:N", title=None, scale=alt.Scale(domain=list(kinds.values()), range=colors)),
        ),
        "n",
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
        .encode(
            y=alt.Y("topic:N", sort="-x", title=t("topic"), axis=alt.Axis(labelLimit=320)),
            x=alt.X("count:Q", title=t("count"), axis=COUNT_AXIS),
        ),
        "count",
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
        .encode(x=alt.X("state:N", title=t("status")), y=alt.Y("count:Q", title=t("count"), axis=COUNT_AXIS)),
        "count",
    )

by_category = pd.DataFrame(data["tickets_by_category"])
chart(
    t("tickets_by_category"),
    by_category,
    alt.Chart(by_category)
    .mark_bar()
    .encode(
        x=alt.X("week:O", title=t("week")),
        y=alt.Y("tickets:Q", title=t("count"), stack=True, axis=COUNT_AXIS),
        color=alt.Color("category:N", title=t("category")),
    ),
    "tickets",
)

# priority colours by urgency: the most urgent red, the least grey-blue, unknown labels grey
by_priority = pd.DataFrame(data["tickets_by_priority"])
colour_of = priority_colours(sorted(set(by_priority["priority"]))) if not by_priority.empty else {}
priorities = sorted(colour_of, key=lambda p: (colour_of[p] == UNRANKED_COLOUR, list(colour_of).index(p)))
colours = [colour_of[p] for p in priorities]
chart(
    t("tickets_by_priority"),
    by_priority,
    alt.Chart(by_priority)
    .mark_bar()
    .encode(
        x=alt.X("week:O", title=t("week")),
        y=alt.Y("tickets:Q", title=t("count"), stack=True, axis=COUNT_AXIS),
        color=alt.Color("priority:N", title=t("priority"), scale=alt.Scale(domain=priorities, range=colours)),
        order=alt.Order("rank:Q"),
    ),
    "tickets",
)

SLA_COLOURS = {
    "breached": "#c62828",
    "missed": "#ef9a9a",
    "due_soon": "#f9a825",
    "on_track": "#1e88e5",
    "met": "#2e7d32",
    "none": "#bdbdbd",
}
by_sla = pd.DataFrame(data["tickets_by_sla"])
if not by_sla.empty:
    by_sla["label"] = by_sla["state"].map(lambda s: t(f"sla_{s}"))
shown = [s for s in SLA_COLOURS if not by_sla.empty and s in set(by_sla["state"])]
chart(
    t("tickets_by_sla"),
    by_sla,
    alt.Chart(by_sla)
    .mark_bar()
    .encode(
        y=alt.Y("label:N", title=t("sla_state"), sort=[t(f"sla_{s}") for s in shown]),
        x=alt.X("tickets:Q", title=t("count"), axis=COUNT_AXIS),
        color=alt.Color(
            "label:N",
            legend=None,
            scale=alt.Scale(domain=[t(f"sla_{s}") for s in shown], range=[SLA_COLOURS[s] for s in shown]),
        ),
    ),
    "tickets",
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
    "age_days",
)

st.divider()
st.subheader(t("benefit_download"))
language = st.radio(
    t("benefit_language"),
    ["zh", "en"],
    index=0 if lang() == "zh" else 1,
    horizontal=True,
    format_func=lambda code: "中文" if code == "zh" else "English",
    key="ins_benefit_lang",
)
report = run(me.benefit, kb, start.isoformat() if start else None, end.isoformat() if end else None)
if report is not None:
    stem = f"benefit-{report['from']}-{report['to']}"
    markdown = benefit_markdown(report, language)

    def docx_bytes(report: dict[str, Any] = report, language: str = language) -> bytes:
        """The Word report with its charts, drawn when the download is asked for."""
        with tempfile.TemporaryDirectory() as tmp:
            return benefit_docx(report, Path(tmp) / f"{stem}.docx", language).read_bytes()

    d1, d2 = st.columns(2)
    d1.download_button(
        t("benefit_docx"),
        docx_bytes,
        file_name=f"{stem}.docx",
        mime="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        key="ins_benefit_docx",
    )
    d2.download_button(
        t("benefit_md"),
        markdown.encode("utf-8"),
        file_name=f"{stem}.md",
        mime="text/markdown",
        key="ins_benefit_md",
    )
