"""历史: value of one asset by valuation date (asset chosen from the run history); runs and
the differences between two runs."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from ... import api
from .. import fmt
from ..charts import PLOTLY_CONFIG, history_line
from ..i18n import t
from ..labels import enum_label
from ..state import library_arg

RUN_KINDS = {"id": "text", "status": "enum", "started_at": "date", "input_name": "text", "only": "enum",
             "total": "int", "rejected": "int", "valued": "int", "failed": "int", "flagged": "int"}
RUN_HEADERS = {"id": "run_id", "status": "status", "started_at": "started_at", "input_name": "input_name",
               "only": "only_col", "total": "assets_total", "rejected": "assets_rejected",
               "valued": "assets_valued", "failed": "assets_failed", "flagged": "assets_flagged"}


def _codes(v: object) -> str:
    """Flag codes (a list or a ``;``-joined text) for a table cell."""
    items = v if isinstance(v, (list, tuple)) else [c for c in str(v or "").split(";") if c and c != "nan"]
    return ", ".join(str(c) for c in items) or "—"


def runs_table(runs: pd.DataFrame) -> pd.DataFrame:
    from pathlib import PurePath

    runs = runs.assign(input_name=[PurePath(str(x)).name if x else "—" for x in runs.get("input_name", [])]) \
        if "input_name" in runs else runs
    return fmt.frame(runs, RUN_KINDS, {k: t(v) for k, v in RUN_HEADERS.items()})


def _asset_history(aid: str) -> None:
    h = api.history(aid, library=library_arg())
    if h is None or not len(h):
        st.info(t("no_history"))
        return
    h = h.assign(valuation_date=h["valuation_date"].fillna(h["started_at"].astype(str).str[:10]))
    h = h.sort_values(["valuation_date", "started_at"])
    st.subheader(t("history_by_date"))
    st.plotly_chart(history_line(h, fmt.money, fmt.money_unit_label(), (t("estimate"), t("low"), t("high")),
                                 t("prov_valuation_date"), fmt.date, fmt.scale()), key="history_chart", config=PLOTLY_CONFIG)
    table = fmt.frame(h, {"valuation_date": "date", "estimate": "money", "low": "money", "high": "money",
                          "run_id": "text", "started_at": "date"},
                      {"valuation_date": t("prov_valuation_date"), "estimate": t("estimate"), "low": t("low"),
                       "high": t("high"), "run_id": t("run_id"), "started_at": t("started_at")})
    table[t("flags_col")] = [_codes(v) for v in h["flags"]]
    st.dataframe(table, hide_index=True, width="stretch")


def history_page() -> None:
    st.title(t("history_title"))
    assets = api.history_assets(library=library_arg())
    if assets:
        aid = st.selectbox(t("history_asset"), assets, key="history_asset")
        _asset_history(aid)
    runs = api.runs(library=library_arg())
    if runs is None or len(runs) == 0:
        st.info(t("no_runs"))
        return
    st.subheader(t("runs"))
    st.dataframe(runs_table(runs), hide_index=True, width="stretch")
    ids = list(runs["id"])
    if len(ids) >= 2:
        a = st.selectbox(t("run_a"), ids, index=1, key="diff_a")
        b = st.selectbox(t("run_b"), ids, index=0, key="diff_b")
        if st.button(t("diff"), key="diff_btn"):
            d = api.runs_diff(a, b, library=library_arg())
            st.dataframe(diff_table(d), hide_index=True, width="stretch")


def diff_table(d: pd.DataFrame) -> pd.DataFrame:
    d = d.reset_index() if "asset_id" not in d else d
    out = fmt.frame(d, {"asset_id": "text", "estimate_a": "money", "estimate_b": "money", "change": "money",
                        "change_ratio": "pct"},
                    {"asset_id": t("asset_id"), "estimate_a": t("estimate_a"), "estimate_b": t("estimate_b"),
                     "change": t("change"), "change_ratio": t("change_ratio")})
    for col in ("flags_new", "flags_cleared"):
        if col in d:
            out[t(col)] = [_codes(v) for v in d[col]]
    return out


__all__ = ["history_page", "runs_table", "diff_table", "enum_label"]
