"""评估: run the approaches; per-method panels with traces and clauses; reconciliation;
football field; sensitivity; report downloads."""
from __future__ import annotations

import json
from typing import Any

import pandas as pd
import streamlit as st

from ... import api
from ...core.errors import ValuationError
from ...core.result import METHOD_LABELS, evidence_lines
from ..charts import football_field, heatmap, tornado
from ..i18n import lang, t
from ..state import current_card, library_arg, money


def _msg(d: dict[str, Any], key: str) -> str:
    return str(d.get(f"{key}_en" if lang() == "en" else f"{key}_zh") or "")


def run_appraisal() -> dict[str, Any] | None:
    card = current_card()
    if card is None:
        st.info(t("no_card"))
        return None
    try:
        res = api.appraise(card, library=library_arg())
    except ValuationError as e:
        st.error(e.message(lang()))
        for i in getattr(e, "issues", []):
            st.markdown("- " + i.message(lang()))
        return None
    st.session_state["result"] = res.to_dict()
    return st.session_state["result"]


def trace_table(steps: list[dict[str, Any]]) -> pd.DataFrame:
    zh = lang() != "en"
    return pd.DataFrame([{
        t("step"): s.get("label_zh" if zh else "label_en") or s.get("step"),
        t("formula"): s.get("formula", ""),
        t("inputs"): json.dumps(s.get("inputs", {}), ensure_ascii=False, default=str)[:300],
        t("value"): json.dumps(s.get("value"), ensure_ascii=False, default=str)[:120],
        t("clauses"): ", ".join(s.get("clauses") or []),
    } for s in steps])


def appraise_page() -> None:
    st.title(t("appraise_title"))
    if st.button(t("run_appraisal"), type="primary", key="run_appraisal_btn"):
        run_appraisal()
    res = st.session_state.get("result")
    if res is None:
        st.info(t("run_first") if current_card() else t("no_card"))
        return
    cur = res.get("currency", "CNY")
    c1, c2, c3 = st.columns(3)
    c1.metric(t("estimate"), money(res.get("estimate"), cur))
    if res.get("low") is not None:
        cov = f"{(res.get('coverage') or 0):.0%}"
        c2.metric(f"{t('range')} · {t('low')}（{t('coverage')} {cov}）", f"{res['low']:,.0f}")
        c3.metric(f"{t('range')} · {t('high')}", f"{res['high']:,.0f}")
    st.markdown(f"<span id='estimate-value' data-estimate='{res.get('estimate')}'></span>",
                unsafe_allow_html=True)
    st.caption("; ".join(x.strip() for x in evidence_lines(res.get("coverage_basis") or {}, res.get("n_real_comparables"), lang() != "en")))
    if not res.get("final", True):
        st.error(t("final_no"))
    rows = []
    for m, d in res["methods"].items():
        rows.append({t("method"): METHOD_LABELS[m][0 if lang() != "en" else 1],
                     t("estimate"): d.get("estimate"), t("low"): d.get("low"), t("high"): d.get("high"),
                     t("weight"): d.get("weight"),
                     t("applicable"): t("yes") if d.get("applicable") else t("no"),
                     t("reason"): _msg(d, "reason")})
    st.subheader(t("reconciliation"))
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    expl = res.get("explanation") or {}
    reason = expl.get("reason_en" if lang() == "en" else "reason_zh")
    if reason:
        st.markdown(reason)
    st.subheader(t("football"))
    st.plotly_chart(football_field(res, lang()), key="football_chart")
    for m, d in res["methods"].items():
        label = METHOD_LABELS[m][0 if lang() != "en" else 1]
        with st.expander(f"{label}: " + (money(d.get("estimate"), cur) if d.get("applicable")
                                          else t("not_applicable"))):
            if not d.get("applicable"):
                st.write(_msg(d, "reason"))
            if d.get("trace"):
                st.caption(t("trace"))
                st.dataframe(trace_table(d["trace"]), hide_index=True, width="stretch")
    if res.get("warnings"):
        st.subheader(t("warnings"))
        for w in res["warnings"]:
            st.warning(_msg(w, "message") or json.dumps(w, ensure_ascii=False))
    _sensitivity_section(res)
    _report_section()
    with st.expander(t("provenance")):
        st.json(res.get("provenance", {}))


def _sensitivity_section(res: dict[str, Any]) -> None:
    if not hasattr(api, "sensitivity") or res.get("estimate") is None:
        return
    st.subheader(t("sensitivity"))
    try:
        sens = api.sensitivity(current_card(), library=library_arg(), lang=lang())
    except ValuationError as e:
        st.info(e.message(lang()))
        return
    if sens.get("tornado") is not None and len(sens["tornado"]):
        st.caption(t("tornado"))
        st.plotly_chart(tornado(sens["tornado"], sens.get("base", res["estimate"]), lang()),
                        key="tornado_chart")
    if sens.get("two_way") is not None and len(sens["two_way"]):
        st.caption(t("two_way"))
        st.plotly_chart(heatmap(sens["two_way"], sens.get("x", ""), sens.get("y", "")),
                        key="two_way_chart")


def _report_section() -> None:
    if not hasattr(api, "report"):
        return
    st.subheader(t("download_report"))
    cols = st.columns(3)
    for col, (fmt, key, mime) in zip(cols, (
            ("docx", "report_docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
            ("xlsx", "report_xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            ("pdf", "report_pdf", "application/pdf"))):
        with col:
            if st.button(t(key), key=f"make_{fmt}"):
                try:
                    st.session_state[f"report_{fmt}"] = api.report(current_card(), fmt=fmt,
                                                                    lang=lang(), library=library_arg())
                except ValuationError as e:
                    st.error(e.message(lang()))
            data = st.session_state.get(f"report_{fmt}")
            if data:
                st.download_button(f"⬇ {fmt}", data, file_name=f"appraisal.{fmt}", mime=mime,
                                   key=f"dl_{fmt}")
