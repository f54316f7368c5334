"""批量重估: upload a portfolio, run with progress, filter the results, download."""
from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from ... import api
from ...core.cells import neutralise_frame
from ...core.errors import ValuationError
from ..i18n import lang, t
from ..state import EXAMPLES, MAX_UPLOAD_MB, library_arg


def batch_page() -> None:
    st.title(t("batch_title"))
    up = st.file_uploader(t("upload_portfolio"), type=["csv", "xlsx", "parquet"], key="pf_upload")
    use_example = st.checkbox(t("use_example_portfolio"), value=up is None, key="pf_example")
    only = st.selectbox(t("only"), ["all", "high-premium", "high-impairment"], key="pf_only")
    if st.button(t("run_batch"), type="primary", key="run_batch_btn"):
        with tempfile.TemporaryDirectory() as tmp:
            if up is not None and not use_example:
                if up.size > MAX_UPLOAD_MB * 1024 * 1024:
                    st.error(t("upload_too_large", mb=MAX_UPLOAD_MB))
                    return
                src = Path(tmp) / up.name
                src.write_bytes(up.getvalue())
            else:
                src = EXAMPLES / "portfolio_small.xlsx"
            out = Path(tmp) / "results.csv"
            bar = st.progress(0.0, text=t("progress"))

            def progress(done: int, total: int) -> None:
                bar.progress(min(1.0, done / max(total, 1)), text=f"{t('progress')}: {done}/{total}")

            try:
                summary = api.revalue(str(src), str(out), only=only, library=library_arg(),
                                      progress=progress)
            except ValuationError as e:
                st.error(e.message(lang()))
                return
            bar.progress(1.0)
            st.session_state["batch_results"] = pd.read_csv(out) if out.exists() else pd.DataFrame()
            rej = Path(str(out) + ".rejects.csv")
            st.session_state["batch_rejects"] = pd.read_csv(rej) if rej.exists() else pd.DataFrame()
            st.session_state["batch_summary"] = getattr(summary, "to_dict", lambda: summary)()
    res = st.session_state.get("batch_results")
    if res is None:
        return
    st.json(st.session_state.get("batch_summary") or {})
    st.subheader(t("results"))
    if "flags" in res.columns:
        codes = sorted({c for v in res["flags"].dropna() for c in str(v).split(";") if c})
        pick = st.multiselect(t("filter_flag"), codes, key="batch_flag_filter")
        if pick:
            res = res[res["flags"].fillna("").apply(lambda v: any(c in str(v).split(";") for c in pick))]
    st.dataframe(res, hide_index=True, width="stretch")
    st.download_button(t("download_results"), neutralise_frame(res).to_csv(index=False).encode("utf-8-sig"),
                       file_name="revaluation.csv", mime="text/csv", key="dl_batch")
    rej = st.session_state.get("batch_rejects")
    if rej is not None and len(rej):
        st.subheader(t("rejects"))
        st.dataframe(rej, hide_index=True, width="stretch")
