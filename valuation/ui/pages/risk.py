"""风险: the flags of the last appraisal with the values and clauses they rest on."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from ...core.result_text import flag_citations
from ..i18n import lang, t
from ..labels import enum_label, text_of
from .appraise import run_appraisal

ICONS = {"blocker": "⛔", "warning": "⚠️", "info": "ℹ️"}


def _title(f: dict) -> str:
    return str(text_of(f, "title") or f.get("title") or f.get("code"))


def risk_page() -> None:
    st.title(t("risk_title"))
    res = st.session_state.get("result")
    if res is None:
        if st.button(t("run_appraisal"), key="risk_run_btn"):
            res = run_appraisal()
        if res is None:
            st.info(t("run_first"))
            return
    flags = res.get("flags", [])
    if not res.get("final", True):
        st.error(t("final_no"))
    if not flags:
        st.success(t("no_flags"))
        return
    for f in flags:
        box = {"blocker": st.error, "warning": st.warning}.get(f.get("severity"), st.info)
        box(f"{ICONS.get(f.get('severity'), '')} **{enum_label(f.get('severity'))} · {_title(f)}** — "
            f"{text_of(f, 'message')}  \n"
            f"{t('references')}: {flag_citations(f, lang())}")
    st.dataframe(pd.DataFrame([{t("severity"): enum_label(f.get("severity")), t("title"): _title(f),
                                t("code"): f.get("code"),
                                t("message"): text_of(f, "message"),
                                t("references"): flag_citations(f, lang())}
                               for f in flags]), hide_index=True, width="stretch")
