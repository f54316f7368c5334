"""历史: value over time per asset; diffs between runs."""
from __future__ import annotations

import streamlit as st

from ... import api
from ..charts import history_line
from ..i18n import lang, t
from ..state import library_arg


def history_page() -> None:
    st.title(t("history_title"))
    runs = api.runs(library=library_arg())
    if runs is None or len(runs) == 0:
        st.info(t("no_runs"))
    else:
        st.subheader(t("runs"))
        st.dataframe(runs, hide_index=True, width="stretch")
        ids = list(runs["id"])
        if len(ids) >= 2:
            a = st.selectbox("A", ids, index=1, key="diff_a")
            b = st.selectbox("B", ids, index=0, key="diff_b")
            if st.button(t("diff"), key="diff_btn"):
                st.dataframe(api.runs_diff(a, b, library=library_arg()), hide_index=True,
                             width="stretch")
    aid = st.text_input(t("asset_id"), key="history_asset")
    if aid:
        h = api.history(aid, library=library_arg())
        if h is not None and len(h):
            st.plotly_chart(history_line(h, lang()), key="history_chart")
            st.dataframe(h, hide_index=True, width="stretch")
        else:
            st.info(t("no_runs"))
