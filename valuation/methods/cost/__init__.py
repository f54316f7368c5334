"""Cost approach (成本法) of 中评协〔2023〕17号 art. 22 and its annex: P = C × δ.

C, the replacement cost (重置成本) = 前期费用 + 直接成本 + 间接成本 + 机会成本 + 相关税费
(+ an optional reasonable profit, default 0); δ, the value adjustment coefficient
(价值调整系数), from quality, remaining economic life, both, expert obsolescence, or given;
0 < δ ≤ 1 unless explicitly overridden with a reason. The literature variant
P = TC × (1 + R) × U is available but labelled as NOT the CAS model (DOMAIN.md §2.4).
"""
from __future__ import annotations

from typing import Any, Mapping

import numpy as np
import pandas as pd

from ...core.portfolio import Portfolio
from ...quality.scores import composite_scores
from ..base import MethodResult, empty_frame, not_applicable, step

__all__ = ["appraise", "COMPONENTS", "replacement_cost"]

COMPONENTS = ("preliminary", "direct", "indirect", "opportunity", "taxes")
COMPONENT_LABELS = {"preliminary": ("前期费用", "preliminary cost"), "direct": ("直接成本", "direct cost"),
                    "indirect": ("间接成本", "indirect cost"), "opportunity": ("机会成本", "opportunity cost"),
                    "taxes": ("相关税费", "related taxes")}
CLAUSES = ["CAS2023.art22", "CAS2023.annex.cost"]
DEFAULTS = {"delta_relative_sd": 0.10, "coverage": 0.80}


def replacement_cost(pf: Portfolio) -> pd.DataFrame:
    """Components of C per asset from component totals plus cost lines indexed to the
    valuation date: amount × allocation_share × (I_valuation / I_incurred)."""
    a = pf.assets
    comp = pd.DataFrame({c: a[f"cost_{c}"].to_numpy(float) for c in COMPONENTS}, index=pf.index)
    given = ~comp.isna()
    lines = pf.records.get("cost.lines")
    has_lines = pd.Series(False, index=pf.index)
    if lines is not None and len(lines):
        iv = a["cost_price_index_valuation"].reindex(lines["asset_id"]).to_numpy(float)
        ii = lines["price_index"].to_numpy(float)
        factor = np.where(np.isnan(ii), 1.0, iv / ii)
        amt = lines["amount"].to_numpy(float) * lines["allocation_share"].fillna(1.0).to_numpy(float) * factor
        by = pd.DataFrame({"asset_id": lines["asset_id"].to_numpy(), "category": lines["category"].astype("str").to_numpy(),
                           "amount": amt}).groupby(["asset_id", "category"])["amount"].sum().unstack()
        by = by.reindex(index=pf.index, columns=list(COMPONENTS))
        comp = comp.fillna(0.0).add(by.fillna(0.0)).where(given | by.notna())
        has_lines = pd.Series(pf.index.isin(set(lines["asset_id"])), index=pf.index)
    # opportunity cost as a rate on the other components when not given (F1: 5 % of subtotal)
    rate = a["cost_opportunity_rate"].to_numpy(float)
    others = comp[["preliminary", "direct", "indirect"]].sum(axis=1, min_count=1).to_numpy(float)
    opp = comp["opportunity"].to_numpy(float)
    comp["opportunity"] = np.where(np.isnan(opp) & ~np.isnan(rate), np.nan_to_num(others) * rate, opp)
    comp["has_lines"] = has_lines.to_numpy()
    return comp


def appraise(pf: Portfolio, params: Mapping[str, Any] | None = None, *, trace: bool = False
             ) -> MethodResult:
    """P = C × δ for every asset of the portfolio (CAS 2023 art. 22, annex).

    Parameters
    ----------
    pf : the portfolio; uses ``cost_*`` columns and ``cost.lines`` records.
    params : ``delta_relative_sd`` (spread of δ for the range, default 0.10), ``coverage``.
    """
    p = {**DEFAULTS, **(params or {})}
    a = pf.assets
    fr = empty_frame(pf.index)
    comp = replacement_cost(pf)
    subtotal = comp[list(COMPONENTS)].sum(axis=1, min_count=1).to_numpy(float)
    profit_rate = np.nan_to_num(a["cost_profit_rate"].to_numpy(float))
    literature = (a["cost_variant"] == "literature").to_numpy(bool)
    # reasonable profit applies to the cost before taxes; taxes are added after (convention)
    pre_tax = comp[["preliminary", "direct", "indirect", "opportunity"]].sum(axis=1, min_count=1).to_numpy(float)
    taxes = np.nan_to_num(comp["taxes"].to_numpy(float))
    c = np.where(np.isnan(pre_tax), subtotal, np.nan_to_num(pre_tax) * (1 + profit_rate) + taxes)

    q = composite_scores(pf)
    rounding_pub = (a["rounding"] == "publication").to_numpy(bool)
    qs = q["quality_score"].to_numpy(float)
    qs_used = np.where(rounding_pub, np.round(qs, 2), qs)  # publication: scores rounded first (F1)
    bench = a["cost_adjustment_quality_benchmark"].to_numpy(float)
    d_q = qs_used / bench
    nu = a["cost_adjustment_years_used"].to_numpy(float)
    nr = a["cost_adjustment_years_remaining"].to_numpy(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        d_life = nr / (nu + nr)
    d_exp = 1.0 - (np.nan_to_num(a["cost_adjustment_functional_obsolescence"].to_numpy(float))
                   + np.nan_to_num(a["cost_adjustment_economic_obsolescence"].to_numpy(float)))
    basis = a["cost_adjustment_basis"].fillna("").astype("str").to_numpy(dtype=object).astype(str)
    d_given = a["cost_adjustment_value"].to_numpy(float)
    delta = np.select([basis == "quality", basis == "life", basis == "combined", basis == "expert",
                       basis == "given"], [d_q, d_life, d_q * d_life, d_exp, d_given], np.nan)

    # literature model: P = TC × (1+R) × U, U = α β (1+l)(1−r)
    lit_r = np.nan_to_num(a["cost_literature_return_rate"].to_numpy(float))
    alpha = a["cost_literature_quality"].to_numpy(float)
    alpha = np.where(np.isnan(alpha), d_q, alpha)
    beta = np.nan_to_num(a["cost_literature_circulation"].to_numpy(float), nan=1.0)
    mono = np.nan_to_num(a["cost_literature_scarcity"].to_numpy(float))
    risk = np.nan_to_num(a["cost_literature_risk"].to_numpy(float))
    u = alpha * beta * (1 + mono) * (1 - risk)

    est = np.where(literature, subtotal * (1 + lit_r) * u, c * delta)
    fr["estimate"] = est
    sd = float(p["delta_relative_sd"])
    z = 1.2815515655446004 if abs(float(p["coverage"]) - 0.8) < 1e-9 else float(
        __import__("scipy.stats").stats.norm.ppf(0.5 + float(p["coverage"]) / 2))
    fr["low"] = est * np.maximum(1 - z * sd, 0.0)
    fr["high"] = est * (1 + z * sd)
    fr["applicable"] = True
    fr["replacement_cost"] = c
    fr["delta"] = np.where(literature, np.nan, delta)
    fr["delta_quality"] = d_q
    fr["delta_life"] = d_life
    fr["quality_score"] = qs
    fr["model"] = np.where(literature, "literature", "cas")
    for k in COMPONENTS:
        fr[f"cost_{k}"] = comp[k].to_numpy(float)

    override = a["cost_adjustment_override"].to_numpy(bool)
    reason = a["cost_adjustment_override_reason"].fillna("").astype("str").to_numpy()
    not_applicable(fr, ~a["has_cost"].to_numpy(bool), "未提供成本法数据（cost 部分缺失）",
                   "no cost data (the cost section is absent)")
    not_applicable(fr, np.isnan(subtotal) | (np.nan_to_num(subtotal) <= 0),
                   "未给出形成数据资产的成本（五项成本合计为空或为 0），无法确定重置成本（第二十二条）",
                   "no cost of forming the asset is given (the five components are empty or zero); "
                   "the replacement cost cannot be determined (art. 22)")
    need_q = ~literature & np.isin(basis, ["quality", "combined"]) & np.isnan(qs)
    not_applicable(fr, need_q, "价值调整系数以质量为依据，但卡片未给出质量评分（GB/T 36344 六个维度或综合得分）",
                   "δ rests on quality but the card gives no quality score (GB/T 36344 dimensions or a composite)")
    need_life = ~literature & np.isin(basis, ["life", "combined"]) & np.isnan(d_life)
    not_applicable(fr, need_life, "价值调整系数以剩余经济寿命为依据，但缺少已使用年限或剩余年限",
                   "δ rests on remaining life but years used or years remaining is missing")
    not_applicable(fr, ~literature & (basis == "given") & np.isnan(d_given),
                   "调整依据为“给定”，但未给出 δ 值", "basis 'given' but no δ value is given")
    over = ~literature & (delta > 1) & ~(override & (reason != ""))
    not_applicable(fr, over, "价值调整系数 δ > 1：成本法无法证明价值高于重置成本；如确需，请设置 override 并说明理由",
                   "δ > 1: the cost approach cannot evidence a value above replacement cost; set override "
                   "with a reason if it is truly justified")
    not_applicable(fr, ~literature & (delta <= 0), "价值调整系数 δ ≤ 0，不合理", "δ ≤ 0 is not meaningful")

    warnings: dict[str, list[dict[str, str]]] = {}
    for i in np.flatnonzero(fr["applicable"].to_numpy(bool)):
        aid = pf.index[i]
        w = [{"code": "COST_VALUE_CORRELATION",
              "message_zh": "数据资产价值与成本的相关性可能较弱，尤其是产生收入的数据；请结合收益法、市场法判断（第二十二条）",
              "message_en": "value may correlate weakly with cost, especially for income-generating data; "
                            "check against the income and market approaches (art. 22)"}]
        if literature[i]:
            w.append({"code": "LITERATURE_MODEL", "message_zh": "使用文献模型 P=TC×(1+R)×U，非中评协指导意见模型",
                      "message_en": "literature model P = TC×(1+R)×U in use — not the CAS guidance model"})
        if delta[i] > 1 and override[i]:
            w.append({"code": "DELTA_OVER_1", "message_zh": f"δ = {delta[i]:.4f} > 1，已按理由覆盖：{reason[i]}",
                      "message_en": f"δ = {delta[i]:.4f} > 1 accepted by override: {reason[i]}"})
        warnings[aid] = w

    traces: dict[str, list] = {}
    if trace:
        for i, aid in enumerate(pf.index):
            if not fr["applicable"].iloc[i]:
                continue
            traces[aid] = _trace(i, comp, c, profit_rate, qs, qs_used, bench, nu, nr, d_q, d_life,
                                 d_exp, delta, basis, literature, subtotal, lit_r, u, est, q)
    return MethodResult("cost", fr, traces, dict(p), warnings)


def _trace(i, comp, c, profit_rate, qs, qs_used, bench, nu, nr, d_q, d_life, d_exp, delta, basis,
           literature, subtotal, lit_r, u, est, q) -> list:
    s = []
    parts = {COMPONENT_LABELS[k][0]: comp[k].iloc[i] for k in COMPONENTS}
    if literature[i]:
        s.append(step("total_cost", "总成本 TC", "Total cost TC", "TC = Σ 成本项", parts, subtotal[i],
                      ["LIT.cost_tc"], note_zh="文献模型，非协会模型", note_en="literature model, not the CAS model"))
        s.append(step("utility", "数据效用 U", "Data utility U", "U = α × β × (1 + l) × (1 − r)", {}, u[i], ["LIT.cost_tc"]))
        s.append(step("value", "评估值", "Value", "P = TC × (1 + R) × U",
                      {"TC": subtotal[i], "R": lit_r[i], "U": u[i]}, est[i], ["LIT.cost_tc"]))
        return s
    s.append(step("replacement_cost", "重置成本 C", "Replacement cost C",
                  "C = (前期费用 + 直接成本 + 间接成本 + 机会成本) × (1 + 合理利润率) + 相关税费",
                  {**parts, "合理利润率": profit_rate[i], "含成本明细": bool(comp["has_lines"].iloc[i])},
                  c[i], ["CAS2023.art22", "CAS2023.art16", "CAS2023.annex.cost"]))
    if basis[i] in ("quality", "combined"):
        s.append(step("quality_score", "数据质量综合得分 Q", "Composite quality score Q",
                      "Q = Σ w_j × s_j（GB/T 36344 六个维度）", {"Q": qs[i], "Q（使用值）": qs_used[i],
                      "依据": q["quality_basis"].iloc[i]}, qs_used[i], ["GBT36344", "CAS2023.art17"]))
        s.append(step("delta_quality", "质量调整系数 δ_q", "Quality coefficient δ_q", "δ_q = Q / Q_基准",
                      {"Q": qs_used[i], "Q_基准": bench[i]}, d_q[i], ["CAS2023.art22"]))
    if basis[i] in ("life", "combined"):
        s.append(step("delta_life", "剩余经济寿命系数 δ_life", "Remaining-life coefficient δ_life",
                      "δ_life = n_r / (n_u + n_r)", {"n_u": nu[i], "n_r": nr[i]}, d_life[i], ["CAS2023.art22"]))
    if basis[i] == "expert":
        s.append(step("delta_expert", "专家评价调整系数", "Expert coefficient", "δ = 1 − (d_功能 + d_经济)", {},
                      d_exp[i], ["CAS2023.art22", "CAS2019.guide9"]))
    s.append(step("delta", "价值调整系数 δ", "Value adjustment coefficient δ",
                  {"quality": "δ = δ_q", "life": "δ = δ_life", "combined": "δ = δ_q × δ_life",
                   "expert": "δ = 1 − (d_func + d_econ)", "given": "δ 给定"}[str(basis[i])],
                  {"basis": basis[i]}, delta[i], ["CAS2023.art22"]))
    s.append(step("value", "成本法评估值", "Cost approach value", "P = C × δ", {"C": c[i], "δ": delta[i]},
                  est[i], ["CAS2023.annex.cost"]))
    return s
