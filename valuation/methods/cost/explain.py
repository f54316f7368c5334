"""Warnings and traces of the cost approach (CAS 2023 art. 22, 27): the bilingual warnings per
asset and the calculation steps — formulas, inputs and clauses — from the component costs to
P = C × δ (docs/DOMAIN.md §2)."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from ..base import Explanation, LazyWarnings, Values, step
from .inputs import CostInputs
from .kernel import COMPONENT_LABELS, COMPONENTS
from .lines import category_labels
from .value import CostWork

__all__ = ["cost_explain", "cost_warnings"]


_W_CORR = {"code": "COST_VALUE_CORRELATION", "severity": "warning",
           "message_zh": "该数据资产能够产生收入，其价值与成本的相关性可能较弱；成本法结果须结合收益法、市场法分析（第二十二条第一款）",
           "message_en": "this data asset generates income, so its value may correlate weakly with its cost; weigh the "
                         "cost approach against the income and market approaches (art. 22(1))",
           "references": ["CAS2023.art22", "CAS2023.art24"]}
_W_LIT = {"code": "LITERATURE_MODEL", "severity": "warning",
          "message_zh": "使用文献模型 P = TC × (1 + R) × U，不是中评协〔2023〕17号的成本法模型 P = C × δ",
          "message_en": "literature model P = TC × (1 + R) × U in use — NOT the CAS 2023 cost model P = C × δ",
          "references": ["LIT.cost_tc"]}
_W_DOUBLE = {"code": "COST_DOUBLE_COUNT_RISK", "severity": "warning",
             "message_zh": "同一成本类别既给出合计又给出明细，已相加；请确认没有重复计算",
             "message_en": "a cost category is given both as a total and as lines; they were added — check for double counting",
             "references": ["CAS2023.art22"]}
_W_OPP = {"code": "OPPORTUNITY_COST_NOT_MEASURED", "severity": "info",
          "message_zh": "未给出机会成本或机会成本率，机会成本按 0 计（第二十二条列有机会成本）",
          "message_en": "no opportunity cost or rate given; opportunity cost counted as 0 (art. 22 lists it)",
          "references": ["CAS2023.art22", "ENG.default"]}


def cost_warnings(x: CostInputs, w: CostWork, app: np.ndarray) -> dict[str, list[dict[str, Any]]]:
    """Warnings per applicable asset (art. 14, 22, 24)."""
    ids = x.ids
    out: dict[str, list[dict[str, Any]]] = {}
    lit = x.literature

    def add(mask, warning):
        for i in np.flatnonzero(np.asarray(mask, bool) & app).tolist():
            out.setdefault(ids[i], []).append(warning)

    add(x.has_income, _W_CORR)
    add(lit, _W_LIT)
    add(w.rc["double_count_risk"], _W_DOUBLE)
    add(~w.rc["opportunity_measured"] & ~lit, _W_OPP)
    add((x.years_remaining > x.rights_years_left + 1e-9) & ~lit, {
        "code": "LIFE_EXCEEDS_RIGHTS_TERM", "severity": "warning",
        "message_zh": "剩余经济寿命超过剩余权利期限：按剩余经济寿命法计算时以权利期限为上限（续期有据的，按续期后期限）",
        "message_en": "the remaining economic life exceeds the remaining rights term: the remaining-life basis "
                      "caps it at the term (the renewed term where a renewal is documented)",
        "references": ["CAS2023.art14", "CAS2023.art22"]})
    delta, reason = w.delta, x.override_reason
    for i in np.flatnonzero(w.overridden & app).tolist():
        out.setdefault(ids[i], []).append({
            "code": "DELTA_OVER_1", "severity": "warning",
            "message_zh": f"δ = {delta[i]:.4f} > 1，已按理由接受：{reason[i]}",
            "message_en": f"δ = {delta[i]:.4f} > 1 accepted by override: {reason[i]}",
            "references": ["CAS2023.art22"]})
    return out


def _row_dicts(cols: Mapping[str, np.ndarray], rows: np.ndarray, keys: list, columns: list | None = None) -> dict:
    """Per traced asset, ``{column: value}`` of the result columns (arrays), with the Python
    values ``DataFrame.to_dict(orient="index")`` of their frame gives for numeric and boolean
    columns (text columns give their ``str``; a missing text is None here where the frame
    would give NaN — both are shown as null in a trace)."""
    names = list(cols) if columns is None else list(columns)
    vals = [np.asarray(cols[c]).tolist() for c in names]
    return {k: dict(zip(names, [v[i] for v in vals], strict=True)) for k, i in zip(keys, rows, strict=True)}


class _TraceContext:
    """Per-asset rows of the result tables for the traced assets, computed once (fast lookups)."""

    def __init__(self, x: CostInputs, rc, q, fr, rows):
        self.index = x.ids
        rows = np.asarray(rows, dtype=int)
        keys = [self.index[i] for i in rows]
        self.rc = _row_dicts(rc, rows, keys)
        self.q = _row_dicts(q, rows, keys)
        self.fr = _row_dicts(fr, rows, keys, ["low", "high", "delta_low", "delta_high"])
        self.lines: dict[str, dict[str, float]] = {}
        self.n_lines: dict[str, int] = {}
        ln = x.lines
        if ln is not None:
            labels = category_labels()
            for i in rows.tolist():
                a, b = int(ln.offsets[i]), int(ln.offsets[i + 1])
                if b == a:
                    continue
                aid = str(self.index[i])
                self.n_lines[aid] = b - a
                amt, cat = ln["amount"][a:b], ln["category"][a:b]
                # raw amounts per category, categories in alphabetical order; a missing amount adds 0
                self.lines[aid] = {labels[c]: float(np.nansum(amt[cat == c]))
                                   for c in sorted(set(cat.tolist()) - {-1}, key=lambda c: labels[c])}
        self.piv = x.price_index


def _trace(i: int, ctx: _TraceContext, p: Mapping[str, Any], x: CostInputs, w: CostWork) -> list:
    """The calculation steps of asset ``i`` (art. 16, 17, 22, 27; annex)."""
    s = _trace_cost(i, ctx, x, w)
    if x.literature[i]:
        return s
    return s + _trace_delta(i, ctx, p, x, w)


def _trace_cost(i: int, ctx: _TraceContext, x: CostInputs, w: CostWork) -> list:
    """Steps from the cost lines to C (or, literature model, to its value)."""
    aid = ctx.index[i]
    r = ctx.rc[aid]
    s = []
    if bool(r["has_lines"]):
        s.append(step("cost_lines", "成本明细换算至基准日并按类别汇总", "Cost lines indexed to the valuation date, summed per category",
                      "Σ 金额 × 分摊比例 × (I_基准日 / I_发生时)",
                      {"lines": int(ctx.n_lines.get(str(aid), 0)),
                       "I_valuation": None if ctx.piv is None else ctx.piv[i],
                       **ctx.lines.get(str(aid), {})},
                      {k: r[f"cost_{k}"] for k in COMPONENTS if k != "opportunity"},
                      ["CAS2023.art22", "CAS2023.art16", "CAS2023.annex.cost"],
                      note_zh="分组求和前的金额为原始金额；换算与分摊后计入各类别",
                      note_en="inputs are raw amounts per category; indexing and allocation are applied before summing"))
    for k in ("preliminary", "direct", "indirect"):
        s.append(step(f"cost_{k}", COMPONENT_LABELS[k][0], COMPONENT_LABELS[k][1].capitalize(), f"{COMPONENT_LABELS[k][0]} = Σ 该类成本",
                      {}, r[f"cost_{k}"], ["CAS2023.art22", "CAS2023.art16"], unit="currency"))
    opp_rate = r["opportunity_rate"]
    s.append(step("cost_opportunity", "机会成本", "Opportunity cost",
                  "给定" if np.isnan(opp_rate) else "OC = r × (前期费用 + 直接成本 + 间接成本)",
                  {"r": opp_rate, "base": r["cost_preliminary"] + r["cost_direct"] + r["cost_indirect"]},
                  r["cost_opportunity"], ["CAS2023.art22", "CAS2023.art16"] + ([] if not np.isnan(opp_rate) and opp_rate > 0
                                                                             else ["ENG.default"]), unit="currency",
                  note_zh="" if bool(r["opportunity_measured"]) else "未给出机会成本或机会成本率，按 0 计",
                  note_en="" if bool(r["opportunity_measured"]) else "no opportunity cost or rate given: counted as 0"))
    s.append(step("cost_taxes", "相关税费", "Related taxes", "不可抵扣税费", {}, r["cost_taxes"],
                  ["CAS2023.art22"], unit="currency"))
    if x.literature[i]:
        l_r, l_alpha, l_beta, l_l, l_risk, u = (v[i] for v in w.literature)
        note_zh, note_en = "文献模型，不是中评协〔2023〕17号的成本法模型", "literature model — NOT the CAS 2023 cost model"
        s.append(step("total_cost", "总成本 TC（文献模型）", "Total cost TC (literature model)", "TC = Σ 五项成本",
                      {k: r[f"cost_{k}"] for k in COMPONENTS}, r["total_cost"], ["LIT.cost_tc"], unit="currency",
                      note_zh=note_zh, note_en=note_en))
        s.append(step("utility", "数据效用 U（文献模型）", "Data utility U (literature model)", "U = α × β × (1 + l) × (1 − r)",
                      {"α": l_alpha, "β": l_beta, "l": l_l, "r": l_risk}, u, ["LIT.cost_tc"], note_zh=note_zh, note_en=note_en))
        s.append(step("value", "评估值（文献模型，非协会模型）", "Value (literature model, NOT the CAS model)",
                      "P = TC × (1 + R) × U", {"TC": r["total_cost"], "R": l_r, "U": u}, w.estimate[i], ["LIT.cost_tc"],
                      unit="currency", note_zh=note_zh, note_en=note_en))
        return s
    s.append(step("replacement_cost", "重置成本 C", "Replacement cost C",
                  "C = (前期费用 + 直接成本 + 间接成本 + 机会成本) × (1 + 合理利润率) + 相关税费",
                  {**{COMPONENT_LABELS[k][0]: r[f"cost_{k}"] for k in COMPONENTS}, "合理利润率": r["profit_rate"]},
                  r["replacement_cost"], ["CAS2023.art22", "CAS2023.annex.cost", "CAS2023.art16"]
                  + (["CAS2019.guide9"] if r["profit_rate"] > 0 else []), unit="currency",
                  note_zh="合理利润按税前成本（含机会成本）计，税费不计利润", note_en="profit on the pre-tax cost incl. opportunity cost; none on taxes"))
    return s


def _trace_delta(i: int, ctx: _TraceContext, p: Mapping[str, Any], x: CostInputs, w: CostWork) -> list:
    """Steps from the quality score or life to δ, P = C × δ and the δ-only band."""
    aid = ctx.index[i]
    r = ctx.rc[aid]
    qs, qs_used, pub, bench = x.quality["quality_score"], w.quality_used, x.publication, w.benchmark
    delta, z, sd = w.delta, w.z, w.sd
    s = []
    b = x.basis[i]
    if b in ("quality", "combined"):
        qi = ctx.q[aid]
        src = qi["weights_source"]
        w_inputs = {d: qi[f"w_{d}"] for d in ("normativeness", "completeness", "accuracy", "consistency",
                                              "timeliness", "accessibility")}
        if src == "ahp":
            w_inputs.update(lambda_max=qi["ahp_lambda_max"], CI=qi["ahp_ci"], RI=1.24, CR=qi["ahp_cr"],
                            override_reason=qi["ahp_override_reason"])
        s.append(step("quality_weights", "质量维度权重", "Quality dimension weights",
                      {"ahp": "w = 判断矩阵主特征向量（归一化）；CI = (λmax − n)/(n − 1)；CR = CI/RI < 0.10",
                       "card": "卡片给定权重，Σ w = 1", "argument": "参数给定权重，Σ w = 1",
                       "library": "w_j = 指标库维度权重（按其和归一化）",
                       "default": "w_j = 1/6（工程默认，非标准规定）"}[src],
                      w_inputs, [w_inputs[d] for d in list(w_inputs)[:6]],
                      ["GBT36344", "CAS2023.art17"] + (["ENG.default"] if src == "default" else [])))
        s.append(step("quality_score", "数据质量综合得分 Q", "Composite quality score Q",
                      "Q = Σ w_j × s_j" if qi["quality_basis"] != "given" else "Q 给定（asset.quality.score）",
                      {**{d: qi[f"s_{d}"] for d in ("normativeness", "completeness", "accuracy", "consistency",
                                                    "timeliness", "accessibility")}, "basis": qi["quality_basis"],
                       "Q": qs[i], "rounding": "publication" if pub[i] else "exact"},
                      qs_used[i], ["GBT36344", "CAS2023.art17", "CAS2023.art16"],
                      note_zh=f"发布舍入：Q 先保留 {int(p['quality_decimals'])} 位小数再使用" if pub[i] else "精确模式：Q 不舍入",
                      note_en=f"publication rounding: Q rounded to {int(p['quality_decimals'])} decimals before use"
                      if pub[i] else "exact mode: Q not rounded"))
        s.append(step("delta_quality", "质量调整系数 δ_q", "Quality coefficient δ_q", "δ_q = Q / Q_基准",
                      {"Q": qs_used[i], "Q_benchmark": bench[i]}, w.d_q[i], ["CAS2023.art22", "GBT36344"]))
    if b in ("life", "combined"):
        s.append(_life_step(x, w, i))
    if b == "expert":
        s.append(step("delta_expert", "专家评价调整系数", "Expert-scored coefficient", "δ = 1 − (d_func + d_econ)",
                      {"d_func": x.functional[i], "d_econ": x.economic[i]}, w.d_x[i], ["CAS2023.art22", "CAS2019.guide9"]))
    note_zh = note_en = ""
    if delta[i] > 1:
        reason = x.override_reason
        note_zh, note_en = f"δ > 1 按理由接受：{reason[i]}", f"δ > 1 accepted by override: {reason[i]}"
    s.append(step("delta", "价值调整系数 δ", "Value adjustment coefficient δ",
                  {"quality": "δ = δ_q", "life": "δ = δ_life", "combined": "δ = δ_q × δ_life",
                   "expert": "δ = 1 − (d_func + d_econ)", "given": "δ 给定"}[str(b)],
                  {"basis": b, "value_given": x.delta_given[i]} if b == "given" else {"basis": b}, delta[i],
                  ["CAS2023.art22", "CAS2023.annex.cost"], note_zh=note_zh, note_en=note_en))
    s.append(step("value", "成本法评估值", "Cost approach value", "P = C × δ",
                  {"C": r["replacement_cost"], "δ": delta[i]}, w.estimate[i], ["CAS2023.annex.cost", "CAS2023.art22"],
                  unit="currency"))
    s.append(step("range", "成本法简易区间（仅 δ 的不确定性）", "Simple band of the cost approach (δ uncertainty only)",
                  "δ_low = δ(1 − z·sd), δ_high = min(δ(1 + z·sd), max(δ, δ_max)); [C × δ_low, C × δ_high]",
                  {"z": z, "sd": sd, "coverage": p["coverage"], "delta_low": ctx.fr[aid]["delta_low"],
                   "delta_high": ctx.fr[aid]["delta_high"]},
                  [ctx.fr[aid]["low"], ctx.fr[aid]["high"]], ["ENG.default", "CAS2023.art22"], unit="currency",
                  note_zh="指导价区间由定价层综合全部参数确定", note_en="the guided range is set by the pricing layer over all parameters"))
    return s


def cost_explain(x: CostInputs, p: Mapping[str, Any], v: Values, *, trace: bool = False) -> Explanation:
    """Warnings (built when read) and, when ``trace``, the steps of every applicable asset."""
    w: CostWork = v.work
    app = v.applicable
    warnings = LazyWarnings(lambda: cost_warnings(x, w, app))
    traces: dict[str, list] = {}
    if trace:
        idx_app = np.flatnonzero(app)
        ctx = _TraceContext(x, w.rc, x.quality, v.columns(), idx_app)
        for i in idx_app:
            traces[x.ids[i]] = _trace(i, ctx, p, x, w)
    return Explanation(traces, warnings)


def _life_step(x: CostInputs, w: CostWork, i: int) -> Any:
    """δ_life's step; where the remaining life was capped at the rights term (docs/DOMAIN.md
    §2.3 item 1) it shows the life on the card and the years of rights left beside the n_r used."""
    n_r = float(w.n_r[i])
    inputs: dict[str, Any] = {"n_u": x.years_used[i], "n_r": n_r}
    note_zh = note_en = ""
    if n_r < x.years_remaining[i]:
        inputs.update(n_r_card=x.years_remaining[i], rights_years_remaining=x.rights_years_left[i])
        note_zh = f"卡片剩余经济寿命 {x.years_remaining[i]:g} 年超过剩余权利期限，按权利期限 {n_r:.4g} 年计"
        note_en = (f"the card's remaining life of {x.years_remaining[i]:g} years exceeds the rights term left: "
                   f"{n_r:.4g} years used")
    return step("delta_life", "剩余经济寿命系数 δ_life", "Remaining-life coefficient δ_life",
                "δ_life = n_r / (n_u + n_r)", inputs, w.d_l[i], ["CAS2023.art22"],
                note_zh=note_zh, note_en=note_en)
