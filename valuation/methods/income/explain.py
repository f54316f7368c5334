"""Reasons, warnings and traces of the income approach (CAS 2023 art. 21, 27; annex): the
bilingual refusal naming the values, the warnings per asset, the calculation steps.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from ...core.ragged import item_specs
from .. import typed
from ..base import Explanation, LazyWarnings, Values, step
from .inputs import IncomeInputs
from .kernel import rows_any
from .rates import LABELS, PREMIA
from .term import term_warnings

EXTRA_COLUMNS = ("model", "timing", "discount_rate", "discount_method", "life", "life_requested", "life_bound",
                 "rights_years_remaining", "pv_explicit", "pv_terminal", "split_rate", "growth_max",
                 "terminal_beyond_rights", "income_basis", "rate_basis", "forecast_model", "reason_code",
                 "tail_years")
__all__ = ["income_explain"]

MODEL_CLAUSE = {"direct": "CAS2023.annex.income", "split": "CAS2023.annex.income",
                "excess": "LIT.excess", "incremental": "CAS2023.annex.income", "royalty": "LIT.royalty"}
MODEL_FORMULA = {"direct": "F_t = R_t（息税前利润 EBIT）", "split": "F_t = R_t × K",
                 "excess": "F_t = NOPAT_t − Σ_i CAC_it",
                 "incremental": "F_t = R_t − R'_t（或成本节约）",
                 "royalty": "F_t = 收入_t × 许可费率 × (1 − 税率)"}
def _warnings(ids, ok, periods, horizon, life, bound, rights, g, tv_on, ib, rb, forecasts, beyond, rr, K, model):
    out: dict[str, list[dict[str, str]]] = {}
    where = {a: i for i, a in enumerate(ids.tolist())} if forecasts else {}

    def add(i: int, code: str, zh: str, en: str) -> None:
        out.setdefault(ids[i], []).append({"code": code, "message_zh": zh, "message_en": en})

    for i in np.flatnonzero(ok & (bound == "rights")):
        add(i, "LIFE_TRUNCATED_TO_RIGHTS",
            f"收益期 {horizon[i]:.2f} 年超过剩余权利期限 {rights[i]:.2f} 年且未证明可续期，已截断至权利期限（第二十一条第七项）",
            f"the income period of {horizon[i]:.2f} years exceeds the remaining rights term of {rights[i]:.2f} years "
            f"and renewal is not documented: cut to the rights term (art. 21(7))")
    for i in np.flatnonzero(ok & (bound != "periods") & (bound != "rights")):
        add(i, "LIFE_TRUNCATED", f"收益期截断为 {life[i]:.2f} 年（约束：{bound[i]}）",
            f"the income period was cut to {life[i]:.2f} years (bound: {bound[i]})")
    for i in np.flatnonzero(ok & ~np.isnan(g) & ~tv_on):
        add(i, "TERMINAL_DROPPED", "收益期受有限期限约束，不计永续期价值",
            "the income period is limited by a finite term: no terminal value")
    for i in np.flatnonzero(ok & beyond):
        add(i, "TERMINAL_BEYOND_RIGHTS",
            f"永续期价值假定收益永续，但剩余权利期限仅 {rights[i]:.2f} 年且未证明可续期（第二十一条）",
            f"the terminal value assumes perpetual income but only {rights[i]:.2f} years of rights remain and "
            "renewal is not documented (art. 21)")
    for i in np.flatnonzero(ok & (rb == "") & (ib != "")):
        add(i, "RATE_BASIS_ASSUMED", f"未声明折现率口径，假定与收益口径（{ib[i]}）一致（第二十一条第六项）",
            f"the discount-rate basis is not stated; assumed to match the income basis ({ib[i]}) (art. 21(6))")
    for i in np.flatnonzero(ok & rr.risk_free_default):
        add(i, "RISK_FREE_DEFAULT", f"累加法未给出无风险利率，采用模型库默认值 {rr.risk_free[i]:.4%}（10 年期国债收益率，须核实）",
            f"the build-up gives no risk-free rate; the model-library default {rr.risk_free[i]:.4%} "
            "(10-year CGB yield, to be checked) is used")
    for i in np.flatnonzero(ok & (model == "split") & (K > 0.5)):
        add(i, "SPLIT_RATE_HIGH", f"分成率 K = {K[i]:.2%} 超过 50%，须说明理由", f"split rate K = {K[i]:.2%} exceeds 50 %: justify it")
    for aid, fc in forecasts.items():
        i = where[aid]
        if ok[i]:
            add(i, "FORECAST_FROM_HISTORY", f"收入由历史数据预测（{fc.model}，AIC {fc.aic:.2f}）",
                f"revenue forecast from history ({fc.model}, AIC {fc.aic:.2f})")
    return out


def _records_by_asset(ids: np.ndarray, pos: np.ndarray, cols: dict[str, list[Any]]) -> dict[Any, list[dict[str, Any]]]:
    """The record rows of each asset as dicts (``{column: value}``, columns in order), rows in
    order; ``pos`` the asset position of each row."""
    out: dict[Any, list[dict[str, Any]]] = {}
    names = list(cols)
    for k, i in enumerate(pos.tolist()):
        out.setdefault(ids[i], []).append({c: cols[c][k] for c in names})
    return out


def _item_lists(rec: Any) -> dict[str, list[Any]]:
    """The item columns of records (:class:`~valuation.core.ragged.Ragged`) as lists of values,
    in schema order, enums as their labels (None missing)."""
    out = {}
    for spec in item_specs(rec.path):
        a = rec[spec.name]
        if spec.kind == "enum":
            a = typed.labels_of(spec, a)
        out[spec.name] = a.tolist()
    return out


def _trace(i: int, c: dict[str, Any]) -> list:
    """The calculation steps of asset ``i`` (art. 21, 27; annex)."""
    s = _trace_flows(i, c)
    return s + _trace_rate(i, c) + _trace_discount(i, c)


def _trace_flows(i: int, c: dict[str, Any]) -> list:
    """Forecast, scenarios or the model's income F_t, contributory charges, split rate, attrition."""
    t, m = c["t"], c["model"][i] or ""
    w = c["weights"][i]
    keep = w > 0
    s = []
    aid = c["ids"][i]
    if aid in c["forecasts"]:
        fc = c["forecasts"][aid]
        s.append(step("forecast", "历史收入预测", "Forecast from history",
                      "ETS / ARIMA，按 AIC 选择（auto）", {"model": fc.model, "aic": fc.aic, "candidates": fc.candidates,
                                                      "lower": fc.lower, "upper": fc.upper, "coverage": fc.coverage},
                      fc.mean, ["CAS2023.art21"], note_zh=f"{fc.coverage:.0%} 预测区间",
                      note_en=f"{fc.coverage:.0%} prediction interval"))
    if c["use_scen"][i]:
        s.append(step("scenarios", "多场景收益", "Application scenarios", "P = Σ_k j_k Σ_t F_kt / (1 + r_k)^t",
                      {"scenarios": c["scen_recs"].get(aid, [])}, c["scen_value"][i],
                      ["CAS2023.art18", "CAS2023.art21"], unit="currency"))
    else:
        st = c["st"]
        if m == "excess":
            s.append(step("contributory", "贡献资产回报", "Contributory asset charges",
                          "CAC_it = r_i × V_i 或 r_i × 收入_t × 占比 × (1 − 税率)",
                          {"assets": c["cac_recs"].get(aid, [])}, st.cac[i][keep],
                          ["LIT.excess", "CAS2023.art21"], unit="currency"))
        if m == "split":
            s.append(step("split_rate", "分成率 K", "Split rate K",
                          {"equivalent_investment": "K = I_d(1+p_d) / (I_d(1+p_d) + I_o(1+p_o))",
                           "marginal": "K = PV(追加利润) / PV(总利润)"}.get(str(c["split_method"][i]), "K 给定"),
                          {"method": c["split_method"][i]}, st.K[i], ["CAS2023.annex.income"]))
        s.append(step("income", "资产收益 F_t", "Income attributable F_t", MODEL_FORMULA.get(m, m),
                      {"model": m, "income_basis": c["ib"][i] or None}, st.F[i][keep],
                      ["CAS2023.art21", MODEL_CLAUSE.get(m, "CAS2023.annex.income")], unit="currency"))
        if c["show_attrition"][i]:
            s.append(step("attrition", "流失率调整", "Attrition", "F_t × S_t，S_t = Π (1 − a)",
                          {"a": t["income_attrition_rate"][i], "start_period": t["income_attrition_start_period"][i],
                           "survival": c["S"][i][keep]}, c["Fs"][i][keep], ["LIT.attrition"], unit="currency"))
    return s


def _trace_rate(i: int, c: dict[str, Any]) -> list:
    """The discount rate i and its components (art. 21(5), LIT.wara)."""
    t, res, s = c["t"], c["res"], []
    rr = c["rr"]
    how = str(rr.method[i])
    comps: dict[str, Any] = {}
    src = c["sources"][i]
    if how == "build_up":
        rf_src = (c["p"]["risk_free_source_en"] if rr.risk_free_default[i] else (src or "card"))
        comps["risk_free"] = {"value": rr.risk_free[i], "label": LABELS["risk_free"][1], "source": rf_src}
        for k in PREMIA:
            v = t[f"income_discount_{k}"][i]
            comps[k] = {"value": 0.0 if np.isnan(v) else float(v), "label": LABELS[k][1],
                        "source": "not given (0)" if np.isnan(v) else (src or "card")}
    elif how == "wacc":
        for k in ("wacc", "premium"):
            v = t[f"income_discount_{k}"][i]
            comps[k] = {"value": None if np.isnan(v) else float(v), "label": LABELS[k][1], "source": src or "card"}
    else:
        comps["given"] = {"value": t["income_discount_rate"][i], "source": src or "card"}
    s.append(step("discount_rate", "折现率 i", "Discount rate i",
                  {"given": "i 给定", "build_up": "i = r_f + 管理 + 流通 + 数据安全 + 监管 + 其他风险溢价",
                   "wacc": "i = WACC + 数据资产风险溢价（以 WARA 复核）"}.get(how, "i"),
                  {**comps, "rate_basis": c["rb"][i] or None}, res.rate[i],
                  ["CAS2023.art21", "LIT.wara"] if how == "wacc" else ["CAS2023.art21"], unit="ratio",
                  note_zh="出版口径：百分比保留 2 位小数" if c["pub"][i] else "",
                  note_en="publication rounding: per cent to 2 dp" if c["pub"][i] else ""))
    return s


def _trace_discount(i: int, c: dict[str, Any]) -> list:
    """Economic life, discounting, the terminal tail and the value (art. 21(7), annex)."""
    res, w, s = c["res"], c["weights"][i], []
    keep = w > 0
    s.append(step("life", "收益期限", "Economic life",
                  "n = min(预测期, 剩余权利期限, 合同, 法定, 时效性, 产品寿命, 流失截断)",
                  {"bound": c["bound"][i], "rights_years_remaining": c["rights"][i],
                   "renewal_relied_on": bool(c["renewed"][i]),
                   "renewal_evidence": (c["evidence"][i] or "").strip() or None,
                   "first_period_fraction": c["frac"][i], "weights": w[keep]}, c["life"][i],
                  ["CAS2023.art21"], unit="years"))
    if not c["use_scen"][i]:
        s.append(step("discount", "折现", "Discounting",
                      "P = Σ w_t F_t / (1 + i)^τ_t" + ("（期中，τ_t = t − 0.5）" if c["mid"][i] else "（期末，τ_t = t）"),
                      {"tau": res.tau[i][keep], "factors": res.factors[i][keep], "flows": c["Fs"][i][keep]},
                      res.pv_explicit[i], ["CAS2023.annex.income"], unit="currency",
                      note_zh="出版口径：折现系数保留 4 位小数" if c["pub"][i] else "",
                      note_en="publication rounding: factors to 4 dp" if c["pub"][i] else ""))
        if c["tv_on"][i]:
            L = float(c["L_tail"][i])
            s.append(step("terminal", "永续期价值", "Terminal value",
                          "TV = F_n (1 + g) / (i − g) × v_n" if np.isinf(L) else
                          "TV = F_n (1 + g) / (i − g) × v_n × [(1 − q^K) + r (1 − q) q^K]，q = (1+g)/(1+i)，K + r = L",
                          {"g": c["g"][i], "g_after_attrition": c["g_tail"][i],
                           "tail_years": None if np.isinf(L) else L}, res.pv_terminal[i],
                          ["CAS2023.annex.income", "CAS2023.art21"], unit="currency",
                          **_tail_note(L, c["g_tail"][i] != c["g"][i])))
    s.append(step("value", "收益法评估值", "Income approach value", "P",
                  {"low": c["lo"][i], "high": c["hi"][i]}, c["value"][i], ["CAS2023.art21", "CAS2023.annex.income"],
                  unit="currency"))
    return s




def income_explain(x: IncomeInputs, p: Mapping[str, Any], v: Values, *, trace: bool = False) -> Explanation:
    """Warnings (built when read: a run only for its values never does) and, when ``trace``,
    the steps of every applicable asset."""
    w = v.work
    ids = x.ids
    ok, beyond = x.has & ~w.na, v.extra["terminal_beyond_rights"]
    warnings = LazyWarnings(lambda: term_warnings(
        _warnings(ids, ok, w.periods_eff, w.horizon, w.life, w.bound, w.rights, w.g, w.tv_on, w.ib, w.rb,
                  x.forecasts, beyond, w.rr, w.st.K, x.model), ids, ok, w.tv_on, w.L_tail, w.renewal_claimed, w.g))
    traces: dict[str, list] = {}
    if trace:
        t = x.t
        det = w.scen_detail
        ctx = dict(t=t, model=x.model, st=w.st, S=w.S, Fs=w.Fs, rr=w.rr, life=w.life, bound=w.bound,  # noqa: C408
                   rights=w.rights, res=w.res, L_tail=w.L_tail, renewed=w.renewed,
                   g=w.g, g_tail=w.g_tail, tv_on=w.tv_on, mid=w.mid, frac=w.frac, weights=w.weights,
                   use_scen=w.use_scen, scen_value=w.scen_value, scen_detail=w.scen_detail, forecasts=x.forecasts,
                   p=p, ib=w.ib, rb=w.rb, value=w.value, lo=w.lo, hi=w.hi, pub=w.pub, ids=ids,
                   scen_recs=_records_by_asset(ids, det["pos"], {k: np.asarray(det[k]).tolist() for k in
                                                                 ("name", "share", "discount_rate", "pv", "contribution")})
                   if det is not None else {},
                   cac_recs=_records_by_asset(ids, x.contributory.owner, _item_lists(x.contributory))
                   if x.contributory is not None and (x.model == "excess").any() else {},
                   split_method=typed.decode(t, "income_split_method"),
                   evidence=t["rights_renewal_evidence"],
                   # (S_t < 1 on a period inside the life) and the rate's source (None: not given)
                   show_attrition=rows_any((w.S < 1) & (w.weights > 0)), sources=t["income_discount_source"])
        # the trace reads columns converted once and record dicts grouped once, not a row Series
        # or a filtered frame per asset
        ids = ctx["ids"]
        for i in np.flatnonzero(~w.na):
            traces[ids[i]] = _trace(i, ctx)
    return Explanation(traces, warnings)


def _tail_note(L: float, attrition: bool) -> dict[str, str]:
    """The terminal step's note on a finite tail: ended by a term, or — with attrition — by a
    term or the survival falling below the cut-off (docs/DOMAIN.md §3.4)."""
    if np.isinf(L):
        return {"note_zh": "", "note_en": ""}
    if attrition:
        return {"note_zh": f"预测期后 {L:.2f} 年权利/合同等期限届满或留存率降至截止值以下：仅计该期间的增长年金，不计其后的收益",
                "note_en": f"{L:.2f} years after the forecast the term ends or the survival falls below the attrition "
                           "cut-off: only a growing annuity over those years, nothing beyond"}
    return {"note_zh": f"权利/合同等期限在预测期后 {L:.2f} 年届满：仅计该期间的增长年金，不计期限之后的收益",
            "note_en": f"the term ends {L:.2f} years after the forecast: only a growing annuity over those years, "
                       "nothing beyond the term"}
