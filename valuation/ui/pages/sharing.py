"""收益分配: participants table editor, method choice, allocation chart, core check, ledger.

Calls only :func:`valuation.api.share` (and the ledger functions); texts are bilingual here so
the page stays one module (docs/sharing.md)."""
from __future__ import annotations

import json
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from ... import api
from ...core.errors import ValuationError
from ...core.gate import GateError, parse_json
from ...core.result_text import flag_citations
from .. import fmt
from ..i18n import lang
from ..labels import enum_label, pick, text_of
from ..state import EXAMPLES, library_arg

__all__ = ["sharing_page", "sharing_title"]

_T = {
    "title": ("收益分配（谁投入、谁贡献、谁受益）", "Revenue sharing (who invests, contributes, benefits)"),
    "nav": ("收益分配", "Revenue sharing"),
    "arrangement": ("分配安排编号", "Arrangement id"),
    "period": ("期间", "Period"),
    "distributable": ("可分配收益（元）", "Distributable amount (CNY)"),
    "method": ("分配方法", "Method"),
    "surplus": ("盈余分配方法（混合法）", "Surplus method (hybrid)"),
    "participants": ("参与方（可编辑）", "Participants (editable)"),
    "coalitions": ("联盟价值 v(S)（JSON 列表，博弈方法必填）", "Coalition values v(S) (JSON list; game methods)"),
    "compute": ("计算分配", "Compute the distribution"),
    "record": ("记入分配台账", "Record in the ledger"),
    "ran_by": ("经办人", "Ran by"),
    "chart": ("分配结果", "Allocation"),
    "amount": ("分得金额", "Amount"),
    "cost": ("投入成本", "Input cost"),
    "core_ok": ("在核中：任何联盟单独行动都得不到更多", "In the core: no coalition would do better alone"),
    "core_bad": ("不在核中：联盟 {c} 单独可得更多（超额 {e:,.2f}）", "Outside the core: coalition {c} would do better "
                 "alone (excess {e:,.2f})"),
    "core_none": ("未检验核（未给出联盟价值）", "Core not checked (no coalition values)"),
    "e_star": ("最小核超额 e* = {e:,.2f}（{s}）", "Least-core excess e* = {e:,.2f} ({s})"),
    "core_empty": ("核为空", "the core is empty"),
    "core_nonempty": ("核非空", "the core is not empty"),
    "recorded": ("已记账：{r}（第 {s} 版）", "Recorded: {r} (version {s})"),
    "json_error": ("JSON 格式错误：{e}", "Invalid JSON: {e}"),
    "trace": ("计算过程", "Trace"),
    "history": ("台账记录", "Ledger records"),
    "computing": ("正在计算分配…", "Computing the distribution…"),
}
#: the methods and column headers in the reader's language (docs/sharing.md names the methods)
_METHOD_LABELS = {
    "shapley": ("沙普利值", "Shapley value"), "nucleolus": ("核仁", "Nucleolus"),
    "least_core": ("最小核", "Least core"), "banzhaf": ("班扎夫值（归一化）", "Banzhaf value (normalised)"),
    "cost_share": ("按投入成本分摊", "By input cost"), "agreement": ("按约定比例", "By agreed shares"),
    "hybrid": ("先补偿成本、盈余按博弈方法", "Cost recovery, then surplus by a game method"),
}
_HEADERS = {
    "id": ("编号", "Id"), "name": ("名称", "Name"), "role": ("角色", "Role"),
    "input_cost": ("投入成本（元）", "Input cost (CNY)"), "cost_date": ("成本日期", "Cost date"),
    "agreed_share": ("约定比例", "Agreed share"), "holder_type": ("主体类型", "Holder type"),
    "floor": ("下限（元）", "Floor (CNY)"), "cap": ("上限（元）", "Cap (CNY)"),
    "amount": ("分得金额", "Amount"), "fraction": ("分配比例", "Share"),
}
_METHODS = ("shapley", "nucleolus", "least_core", "banzhaf", "cost_share", "agreement", "hybrid")
_HOLDER_TYPES = ("enterprise", "soe", "administrative", "public_institution")
_COLS = ["id", "name", "role", "input_cost", "cost_date", "agreed_share", "holder_type", "floor", "cap"]


def _t(key: str, **kw: Any) -> str:
    return pick(*_T[key]).format(**kw)


def _pick(table: dict[str, tuple[str, str]], key: str) -> str:
    return pick(*table.get(key, (key, key)))


def _method_label(code: str) -> str:
    return _pick(_METHOD_LABELS, code)


def sharing_title() -> str:
    return _t("nav")


def _example() -> dict[str, Any]:
    p = EXAMPLES / "sharing" / "public_data_operation.json"
    return json.loads(p.read_text(encoding="utf-8")) if p.exists() else {}


def _chart(res: dict[str, Any]) -> go.Figure:
    sh = res["shares"]
    ids = [s["id"] for s in sh]
    fig = go.Figure([go.Bar(name=_t("amount"), x=ids, y=[s["amount"] for s in sh],
                            text=[f"{s['fraction']:.1%}" for s in sh], textposition="outside"),
                     go.Bar(name=_t("cost"), x=ids, y=[s["input_cost"] for s in sh], opacity=0.5)])
    fig.update_layout(barmode="group", height=380, margin=dict(l=10, r=10, t=30, b=10), title=_t("chart"))
    return fig


def _spec_from_form(ex: dict[str, Any]) -> dict[str, Any] | None:
    c1, c2, c3 = st.columns(3)
    arr = c1.text_input(_t("arrangement"), ex.get("arrangement_id", "ARR-1"), key="sh_arr")
    period = c2.text_input(_t("period"), ex.get("period", ""), key="sh_period")
    dist = c3.number_input(_t("distributable"), min_value=0.0, value=float(ex.get("distributable", 0.0)),
                           step=10000.0, key="sh_dist")
    m1, m2 = st.columns(2)
    # the labels are fixed in this run: AppTest calls format_func outside the script run
    names = {m: _method_label(m) for m in _METHODS}
    method = m1.selectbox(_t("method"), _METHODS, key="sh_method", format_func=names.__getitem__)
    surplus = m2.selectbox(_t("surplus"), ("shapley", "nucleolus", "least_core", "banzhaf"), key="sh_surplus",
                           disabled=method != "hybrid", format_func=names.__getitem__)
    rows = pd.DataFrame(ex.get("participants") or [], columns=_COLS)
    # holder types as the reader's words (the codes showed in English on the Chinese page); a
    # word of either language maps back to its code (a cell typed before a language switch)
    words = {c: enum_label(c, enum="holder_type") for c in _HOLDER_TYPES}
    back = {w: c for c in _HOLDER_TYPES for w in (c, enum_label(c, "zh", "holder_type"),
                                                   enum_label(c, "en", "holder_type"))}
    rows["holder_type"] = [words.get(v, v) if isinstance(v, str) else v for v in rows["holder_type"]]
    config: dict[str, Any] = {c: st.column_config.Column(_pick(_HEADERS, c)) for c in _COLS}
    config["holder_type"] = st.column_config.SelectboxColumn(_pick(_HEADERS, "holder_type"),
                                                             options=list(words.values()))
    edited = st.data_editor(rows[_COLS], num_rows="dynamic", key="sh_parts", width="stretch",
                            column_config=config)
    edited = edited.assign(holder_type=[back.get(v, v) if isinstance(v, str) else v
                                        for v in edited["holder_type"]])
    cv_txt = st.text_area(_t("coalitions"), json.dumps(ex.get("coalition_values") or [], ensure_ascii=False),
                          height=120, key="sh_cv")
    try:   # through the input gate, as every JSON the project reads (a repeated key, NaN, 1e999
        # and nesting are refused, not silently resolved), with its message in the reader's language
        cv = parse_json(cv_txt, field=_t("coalitions")) if cv_txt.strip() else None
    except GateError as e:
        st.error(_t("json_error", e=e.message(lang())))
        return None
    # costs by stage are not edited in the table: kept from the loaded arrangement while the
    # participant's input cost is unchanged (the spec requires them to add up to it)
    stages = {p["id"]: p for p in ex.get("participants") or [] if p.get("costs_by_stage")}
    parts = []
    for rec in edited.to_dict(orient="records"):
        d = {k: v for k, v in rec.items() if v is not None and not (isinstance(v, float) and pd.isna(v)) and v != ""}
        old = stages.get(d.get("id"))
        if old and d.get("input_cost") == old["input_cost"]:
            d["costs_by_stage"] = old["costs_by_stage"]
        if d:
            parts.append(d)
    spec = {**{k: ex[k] for k in ("currency", "authorised_operation", "public_data", "cost_index") if k in ex},
            "arrangement_id": arr, "period": period, "distributable": dist, "method": method,
            "participants": parts}
    if method == "hybrid":
        spec["surplus_method"] = surplus
    if cv:
        spec["coalition_values"] = cv
    return spec


def _show(res: dict[str, Any]) -> None:
    st.plotly_chart(_chart(res), width="stretch")
    cur = res.get("currency") or "CNY"
    kinds = {"id": "text", "name": "text", "role": "text", "holder_type": "enum", "amount": "money",
             "fraction": "pct", "input_cost": "money"}
    shown = fmt.frame(pd.DataFrame(res["shares"]), kinds, {c: _pick(_HEADERS, c) for c in kinds})
    st.dataframe(shown, hide_index=True, width="stretch")
    st.caption(pick("金额单位：", "Amounts in ") + fmt.money_unit_label(cur))
    core = res.get("core") or {}
    if not core.get("checked"):
        st.info(_t("core_none"))
    elif core.get("in_core"):
        st.success(_t("core_ok"))
    else:
        st.warning(_t("core_bad", c="{" + ", ".join(core["coalition"]) + "}", e=core["excess"]))
    if core.get("least_core_excess") is not None:
        st.caption(_t("e_star", e=core["least_core_excess"],
                      s=_t("core_empty") if core.get("core_empty") else _t("core_nonempty")))
    for f in res.get("flags", []):
        msg = f"**{f['code']}** — {text_of(f, 'message')}（{flag_citations(f, lang())}）"
        (st.error if f["severity"] == "blocker" else st.warning if f["severity"] == "warning" else st.info)(msg)
    if res.get("ledger"):
        st.success(_t("recorded", r=res["ledger"]["record_id"], s=res["ledger"]["seq"]))
    with st.expander(_t("trace")):
        st.json(res.get("trace", []))


def sharing_page() -> None:
    st.title(_t("title"))
    spec = _spec_from_form(_example())
    r1, r2 = st.columns([1, 2])
    record = r1.checkbox(_t("record"), key="sh_record")
    ran_by = r2.text_input(_t("ran_by"), "", key="sh_ran_by", disabled=not record)
    if spec is not None and st.button(_t("compute"), type="primary", key="sh_compute"):
        try:
            with st.spinner(_t("computing")):
                st.session_state["share_result"] = api.share(spec, library=library_arg(), record=record,
                                                             ran_by=ran_by or "dashboard")
            st.session_state["share_spec"] = json.dumps(spec, sort_keys=True, default=str)
        except ValuationError as e:
            st.session_state.pop("share_result", None)
            st.error(e.message(lang()))
            for i in getattr(e, "issues", []):
                st.markdown("- " + i.message(lang()))
    res = st.session_state.get("share_result")
    if res and st.session_state.get("share_spec") != json.dumps(spec, sort_keys=True, default=str):
        # the form changed since the computation: its shares belong to another arrangement
        st.session_state.pop("share_result", None)
        res = None
    if res:
        _show(res)
        hist = api.share_history(res["arrangement_id"], library=library_arg())
        if len(hist):
            st.subheader(_t("history"))
            st.dataframe(hist, hide_index=True, width="stretch")
