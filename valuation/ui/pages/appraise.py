"""评估: run the approaches; per-method panels with traces and clauses; reconciliation;
football field; sensitivity; report downloads. Every number goes through :mod:`..fmt`."""
from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from ... import api
from ...core.errors import ValuationError
from ...core.result import METHOD_LABELS, evidence_lines
from .. import fmt
from ..charts import PLOTLY_CONFIG, football_field, heatmap, tornado
from ..i18n import lang, t
from ..labels import column_label, enum_label, formula_text, lang_key, pick, text_of
from ..state import current_card, library_arg

PROVENANCE = ("engine_version", "library_snapshot", "input_hash", "valuation_date", "random_seed")


def method_label(m: str) -> str:
    return pick(*METHOD_LABELS.get(m, (m, m)))


def run_appraisal() -> dict[str, Any] | None:
    card = current_card()
    if card is None:
        st.info(t("no_card"))
        return None
    try:
        with st.spinner(t("running_appraisal")):
            res = api.appraise(card, library=library_arg())
    except ValuationError as e:
        st.error(e.message(lang()))
        for i in getattr(e, "issues", []):
            st.markdown("- " + i.message(lang()))
        return None
    st.session_state["result"] = res.to_dict()
    st.session_state.pop("sensitivity", None)
    for f in ("docx", "xlsx", "pdf"):
        st.session_state.pop(f"report_{f}", None)
    return st.session_state["result"]


def _input_label(key: str) -> str:
    """An input of a trace step: the schema's label when the key is a card field, the
    catalogue's for other named inputs; symbols (Q, δ, X1, MAR) stay symbols."""
    from ...core.trace_words import INPUT_LABELS

    if key in INPUT_LABELS:
        return pick(*INPUT_LABELS[key])
    return column_label(key, formula_text(key), by_name=True)   # some steps name their inputs in Chinese


def _cite(codes: list[str] | None) -> str:
    """Clauses by document title and article (《数据资产评估指导意见》第二十四条) from the
    standards library in use."""
    return api.cite(list(codes or []), lang=lang(), library=library_arg()) or "—"


def trace_table(steps: list[dict[str, Any]]) -> pd.DataFrame:
    """Formula, inputs, value and clauses of each step, written for reading (no raw floats)."""
    zh = lang() != "en"
    return pd.DataFrame([{
        t("step"): s.get(lang_key("label")) or s.get("step"),
        t("formula"): formula_text(s.get("formula", "")),
        t("inputs"): "；".join(f"{_input_label(k)} = {fmt.value_text(v)}"
                              for k, v in (s.get("inputs") or {}).items()) if zh else
        "; ".join(f"{_input_label(k)} = {fmt.value_text(v)}" for k, v in (s.get("inputs") or {}).items()),
        t("value"): fmt.value_text(s.get("value"), s.get("unit", "")),
        t("clauses"): _cite(s.get("clauses")),
    } for s in steps])


def methods_table(res: dict[str, Any]) -> pd.DataFrame:
    cur = res.get("currency", "CNY")
    return pd.DataFrame([{
        t("method"): method_label(m),
        t("estimate"): fmt.money(d.get("estimate"), cur), t("low"): fmt.money(d.get("low"), cur),
        t("high"): fmt.money(d.get("high"), cur), t("weight"): fmt.pct(d.get("weight") or 0.0, 0),
        t("applicable"): t("yes") if d.get("applicable") else t("no"),
        t("reason"): text_of(d, "reason") or "—"} for m, d in res["methods"].items()])


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
    # the unit in the label, the amount alone in the tile (a long unit would be cut off there)
    unit = pick(f"（{fmt.money_unit_label(cur)}）", f" ({fmt.money_unit_label(cur)})")
    c1.metric(t("estimate") + unit, fmt.amount(res.get("estimate")))
    if res.get("low") is not None:
        cov = fmt.pct(res.get("coverage"), 0)
        cov_text = pick(f"，{t('coverage')} {cov}", f", {t('coverage')} {cov}")
        c2.metric(f"{t('range')} · {t('low')}{unit[:-1]}{cov_text}{unit[-1]}", fmt.amount(res["low"]))
        c3.metric(f"{t('range')} · {t('high')}{unit}", fmt.amount(res["high"]))
    st.markdown(f"<span id='estimate-value' data-estimate='{res.get('estimate')}'></span>",
                unsafe_allow_html=True)
    st.caption("; ".join(x.strip() for x in evidence_lines(res.get("coverage_basis") or {},
                                                           res.get("n_real_comparables"), lang() != "en")))
    if not res.get("final", True):
        st.error(t("final_no"))
    st.subheader(t("reconciliation"))
    st.dataframe(methods_table(res), hide_index=True, width="stretch")
    reason = text_of(res.get("explanation") or {}, "reason")
    if reason:
        st.markdown(reason)
    st.subheader(t("football"))
    st.plotly_chart(football_field(res, lang(), lambda x: fmt.money(x, cur), fmt.money_unit_label(cur),
                                   fmt.scale(), t("range")), key="football_chart", config=PLOTLY_CONFIG)
    for m, d in res["methods"].items():
        head = fmt.money(d.get("estimate"), cur) if d.get("applicable") else t("not_applicable")
        with st.expander(f"{method_label(m)}: {head}"):
            if not d.get("applicable"):
                st.write(text_of(d, "reason"))
            if d.get("trace"):
                st.caption(t("trace"))
                st.dataframe(trace_table(d["trace"]), hide_index=True, width="stretch")
    if res.get("warnings"):
        st.subheader(t("warnings"))
        for w in res["warnings"]:
            st.warning(text_of(w, "message") or str(w.get("code", "")))
    _sensitivity_section(res)
    _report_section()
    with st.expander(t("provenance")):
        st.dataframe(provenance_table(res.get("provenance") or {}), hide_index=True, width="stretch")


def provenance_table(prov: dict[str, Any]) -> pd.DataFrame:
    rows = []
    for k in PROVENANCE:
        v = prov.get(k)
        rows.append({t("prov_item"): t(f"prov_{k}"),
                     t("value"): fmt.date(v) if k == "valuation_date" else ("—" if v is None else str(v))})
    return pd.DataFrame(rows)


def _axis_title(code: str) -> str:
    return column_label(code)


def _sensitivity_section(res: dict[str, Any]) -> None:
    if res.get("estimate") is None:
        return
    st.subheader(t("sensitivity"))
    key = (st.session_state.get("card_rev"), lang())
    sens = st.session_state.get("sensitivity")
    if sens is None or sens[0] != key:
        try:
            with st.spinner(t("running_sensitivity")):
                sens = (key, api.sensitivity(current_card(), library=library_arg(), lang=lang()))
        except ValuationError as e:
            st.info(e.message(lang()))
            return
        st.session_state["sensitivity"] = sens
    data = sens[1]
    cur = res.get("currency", "CNY")
    money = lambda x: fmt.money(x, cur)  # noqa: E731
    if data.get("tornado") is not None and len(data["tornado"]):
        st.caption(t("tornado"))
        st.plotly_chart(tornado(data["tornado"], data.get("base", res["estimate"]), money,
                                fmt.money_unit_label(cur), (t("tornado_low"), t("tornado_high")),
                                fmt.scale()), key="tornado_chart", config=PLOTLY_CONFIG)
    if data.get("two_way") is not None and len(data["two_way"]):
        st.caption(t("two_way"))
        st.plotly_chart(heatmap(data["two_way"], _axis_title(data.get("x", "")),
                                _axis_title(data.get("y", "")), money, lambda r: fmt.rate(r),
                                fmt.scale()), key="two_way_chart", config=PLOTLY_CONFIG)


def _report_section() -> None:
    st.subheader(t("download_report"))
    cols = st.columns(3)
    for col, (fmt_, key, mime) in zip(cols, (
            ("docx", "report_docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
            ("xlsx", "report_xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            ("pdf", "report_pdf", "application/pdf"))):
        with col:
            if st.button(t(key), key=f"make_{fmt_}"):
                try:
                    with st.spinner(t("making_report")):
                        st.session_state[f"report_{fmt_}"] = api.report(
                            current_card(), fmt=fmt_, lang=lang(), library=library_arg())
                except ValuationError as e:
                    st.error(e.message(lang()))
            data = st.session_state.get(f"report_{fmt_}")
            if data:
                st.download_button(t("download_file", fmt=t(key)), data, file_name=f"appraisal.{fmt_}",
                                   mime=mime, key=f"dl_{fmt_}")


__all__ = ["appraise_page", "run_appraisal", "trace_table", "methods_table", "enum_label"]
