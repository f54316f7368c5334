"""The cost approach's arithmetic over all assets at once: P = C × δ (CAS 2023 art. 22 and
annex), the literature model P = TC × (1 + R) × U (labelled NOT the CAS model), the δ-only band
and the refusals — pure numpy over :class:`.inputs.CostInputs` (docs/DOMAIN.md §2.2–2.4).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import special

from ..base import Values, nan_to_num, text_where
from .inputs import CostInputs, basis_masks
from .kernel import (
    COMPONENTS,
    delta_expert,
    delta_life,
    delta_quality,
    life_within_rights,
    literature_value,
    opportunity_cost,
    replacement_cost_value,
    select_delta,
)

__all__ = ["CostWork", "cost_values", "replacement_columns"]


def replacement_columns(comp: np.ndarray, both: np.ndarray, has_lines: np.ndarray, rate_card: np.ndarray,
                        profit_card: np.ndarray, p: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """Resolved components and C per asset (the columns of :func:`.approach.replacement_cost`):
    C = (前期 + 直接 + 间接 + 机会成本) × (1 + 合理利润率) + 税费; the opportunity cost, when
    not given, = rate × (前期 + 直接 + 间接)."""
    has_data = ~np.isnan(comp).all(axis=1)
    comp_of = {c: comp[:, j] for j, c in enumerate(COMPONENTS)}
    rate = np.where(np.isnan(rate_card), float(p["opportunity_rate"]), rate_card)
    opp_given = comp_of["opportunity"]
    opp = opportunity_cost(comp_of["preliminary"], comp_of["direct"], comp_of["indirect"], opp_given, rate)
    profit = np.where(np.isnan(profit_card), float(p["profit_rate"]), profit_card)
    filled = nan_to_num(comp)          # the five components at once (columns read, not written)
    vals = {c: filled[:, j] for j, c in enumerate(COMPONENTS)}
    vals["opportunity"] = opp
    c = replacement_cost_value(vals["preliminary"], vals["direct"], vals["indirect"], opp, vals["taxes"], profit)
    cols: dict[str, Any] = {f"cost_{k}": np.where(has_data, x, np.nan) for k, x in vals.items()}
    cols.update(profit_rate=profit, opportunity_rate=np.where(np.isnan(opp_given), rate, np.nan),
                opportunity_measured=~np.isnan(opp_given) | (rate > 0),
                replacement_cost=np.where(has_data, c, np.nan),
                total_cost=np.where(has_data, sum(vals.values()), np.nan),
                has_cost_data=has_data, has_lines=has_lines, double_count_risk=both)
    return cols


class _Verdict:
    """Applicability per asset as arrays (first reason wins), turned into frame columns at the end."""

    def __init__(self, n: int):
        self.zh = np.full(n, "", dtype=object)
        self.en = np.full(n, "", dtype=object)
        self.open = np.ones(n, bool)     # no reason yet (kept as a mask: no text compare per add)

    def add(self, mask: np.ndarray, zh: Any, en: Any) -> None:
        """The reason (text, per-row texts, or a function giving them: called only when some
        row without a reason yet is in ``mask``) for those rows."""
        m = np.asarray(mask, bool) & self.open
        if m.any():
            zh, en = (zh(), en()) if callable(zh) else (zh, en)
            self.zh[m] = zh if isinstance(zh, str) else np.asarray(zh, dtype=object)[m]
            self.en[m] = en if isinstance(en, str) else np.asarray(en, dtype=object)[m]
            self.open &= ~m

    @property
    def applicable(self) -> np.ndarray:
        return self.open.copy()


def _msg(mask: np.ndarray, values: np.ndarray, template: str) -> np.ndarray:
    """Per-row message ``template.format(v=value)`` built only for the rows in ``mask``."""
    out = np.full(len(values), "", dtype=object)
    for i in np.flatnonzero(mask):
        out[i] = template.format(v=values[i])
    return out


@dataclass(frozen=True, eq=False)
class CostWork:
    """Intermediate arrays of :func:`cost_values` that the warnings and traces read."""

    rc: Mapping[str, np.ndarray]          # :func:`replacement_columns`
    quality_used: np.ndarray              # Q after publication rounding
    benchmark: np.ndarray
    d_q: np.ndarray
    n_r: np.ndarray                       # remaining life used by δ_life (≤ the rights term)
    d_l: np.ndarray
    d_x: np.ndarray
    delta: np.ndarray
    literature: tuple[np.ndarray, ...]    # (R, α, β, l, r, U)
    estimate: np.ndarray                  # before the refusals
    overridden: np.ndarray                # δ > δ_max accepted with a written reason
    z: float
    sd: float


def _delta(x: CostInputs, p: Mapping[str, Any]) -> tuple[np.ndarray, ...]:
    """(Q used, Q benchmark, δ_q, n_r used, δ_life, δ_expert, δ) by the asset's basis (annex)."""
    qs = x.quality["quality_score"]
    qs_used = np.where(x.publication, np.round(qs, int(p["quality_decimals"])), qs)
    bench = np.where(np.isnan(x.benchmark), float(p["quality_benchmark"]), x.benchmark)
    d_q = delta_quality(qs_used, bench)
    n_r = life_within_rights(x.years_remaining, x.rights_years_left)
    d_l = delta_life(x.years_used, n_r)
    d_x = delta_expert(x.functional, x.economic)
    delta = select_delta(x.basis, d_q, d_l, d_x, x.delta_given, is_basis=basis_masks(x))
    return qs_used, bench, d_q, n_r, d_l, d_x, delta


def _literature(x: CostInputs, p: Mapping[str, Any], tc: np.ndarray, d_q: np.ndarray) -> tuple[np.ndarray, ...]:
    """(P, R, α, β, l, r, U) of the literature model (NOT the CAS model): card values, else the
    model defaults; α defaults to δ_q."""
    def dflt(v: np.ndarray, key: str) -> np.ndarray:
        return np.where(np.isnan(v), float(p[key]), v)
    l_r = dflt(x.lit_return_rate, "literature_return_rate")
    l_alpha = np.where(np.isnan(x.lit_quality), d_q, x.lit_quality)
    l_beta = dflt(x.lit_circulation, "literature_circulation")
    l_l = dflt(x.lit_scarcity, "literature_scarcity")
    l_risk = dflt(x.lit_risk, "literature_risk")
    p_lit, u = literature_value(tc, l_r, l_alpha, l_beta, l_l, l_risk)
    return p_lit, l_r, l_alpha, l_beta, l_l, l_risk, u


def _refusals(x: CostInputs, rc: Mapping[str, np.ndarray], delta: np.ndarray, d_l: np.ndarray,
              d_x: np.ndarray, dmax: float) -> _Verdict:
    """Applicability per asset, first reason wins (art. 17, 22)."""
    lit, c, tc = x.literature, rc["replacement_cost"], rc["total_cost"]
    isb = basis_masks(x)
    no = np.zeros(len(lit), dtype=bool)
    basis = lambda b: isb.get(b, no)  # noqa: E731 - the assets of one δ basis
    v = _Verdict(len(lit))
    v.add(~x.has_cost, "评估请求未包含成本法数据（cost 部分缺失），成本法不适用",
          "the request has no cost section: the cost approach is not applicable")
    v.add(~rc["has_cost_data"],
          "未提供形成数据资产的成本（五项成本或成本明细均为空），无法确定重置成本（第二十二条）",
          "no cost of forming the data asset is given (no component totals, no cost lines): the "
          "replacement cost cannot be determined (art. 22)")
    v.add(~(c > 0) & ~lit | ~(tc > 0) & lit, "成本合计为 0，无法以成本法评估（第二十二条）",
          "the costs add up to 0: the cost approach cannot value the asset (art. 22)")
    q = x.quality
    prob_zh, prob_en = q["problem_zh"], q["problem_en"]
    need_q = ((basis("quality") | basis("combined")) & ~lit) | (lit & np.isnan(x.lit_quality))
    no_q = need_q & np.isnan(q["quality_score"])
    v.add(no_q & (prob_zh != ""),
          lambda: "价值调整系数需要数据质量评分，但质量输入有误：" + prob_zh.astype(str).astype(object),
          lambda: "δ needs the quality score but the quality input is invalid: " + prob_en.astype(str).astype(object))
    v.add(no_q, "价值调整系数以数据质量为依据，但卡片未给出质量评分（GB/T 36344 六个维度、子指标或综合得分，第十七条）",
          "δ rests on data quality but the card gives no quality score (GB/T 36344 dimensions, "
          "sub-indicators or a composite score; art. 17)")
    need_life = (basis("life") | basis("combined")) & ~lit
    v.add(need_life & np.isnan(d_l),
          "价值调整系数以剩余经济寿命为依据，但缺少已使用年限或剩余经济寿命（或二者之和为 0）",
          "δ rests on the remaining economic life but years used or years remaining is missing (or both are 0)")
    v.add(~lit & basis("expert") & np.isnan(d_x),
          "调整依据为专家评价，但未给出功能性或经济性贬值率", "basis 'expert' but no functional or economic obsolescence is given")
    v.add(~lit & basis("given") & np.isnan(x.delta_given), "调整依据为“给定”，但未给出 δ 值（cost.adjustment.value）",
          "basis 'given' but no δ value is given (cost.adjustment.value)")
    nonpos = ~lit & ~(delta > 0) & ~np.isnan(delta)
    v.add(nonpos, lambda: _msg(nonpos, delta, "价值调整系数 δ = {v:.4f} ≤ 0，不合理（应 0 < δ ≤ 1）"),
          lambda: _msg(nonpos, delta, "value adjustment coefficient δ = {v:.4f} ≤ 0 is not meaningful (0 < δ ≤ 1 expected)"))
    over = ~lit & (delta > dmax)
    m = over & ~x.override
    v.add(m, lambda: _msg(m, delta, "价值调整系数 δ = {v:.4f} > " + f"{dmax:g}" + "：成本法无法证明价值高于重置成本（第二十二条）；"
                  "如确有依据，请设置 cost.adjustment.override 并在 cost.adjustment.override_reason 中说明理由"),
          lambda: _msg(m, delta, "value adjustment coefficient δ = {v:.4f} > " + f"{dmax:g}" + ": the cost approach cannot "
                  "evidence a value above replacement cost (art. 22); if truly justified set cost.adjustment.override "
                  "and give cost.adjustment.override_reason"))
    m = over & x.override & ~x.has_override_reason
    v.add(m, lambda: _msg(m, delta, "δ = {v:.4f} > 1 已设置 override，但缺少理由（cost.adjustment.override_reason）"),
          lambda: _msg(m, delta, "δ = {v:.4f} > 1 with override but without a reason (cost.adjustment.override_reason)"))
    return v


def cost_values(x: CostInputs, p: Mapping[str, Any]) -> Values:
    """P = C × δ (or the literature model) with its δ-only band and the refusals, for every
    asset (see :mod:`.approach` for the conventions)."""
    rc = replacement_columns(x.components, x.double_count, x.has_lines, x.opportunity_rate, x.profit_rate, p)
    c, lit = rc["replacement_cost"], x.literature
    qs_used, bench, d_q, n_r, d_l, d_x, delta = _delta(x, p)
    litp = _literature(x, p, rc["total_cost"], d_q)
    p_lit, u = litp[0], litp[-1]
    est = np.where(lit, p_lit, c * delta)
    z = float(special.ndtri(0.5 + float(p["coverage"]) / 2))
    sd, dmax, lsd = float(p["delta_relative_sd"]), float(p["delta_max"]), float(p["literature_relative_sd"])
    d_lo = np.maximum(delta * (1 - z * sd), 0.0)
    d_hi = np.minimum(delta * (1 + z * sd), np.maximum(delta, dmax))
    v = _refusals(x, rc, delta, d_l, d_x, dmax)
    app = v.applicable
    low = np.where(lit, p_lit * max(1 - z * lsd, 0.0), c * d_lo)
    high = np.where(lit, p_lit * (1 + z * lsd), c * d_hi)
    extra: dict[str, Any] = {
        "model": text_where(lit, "literature", "cas"),
        "replacement_cost": c, "delta": np.where(lit, np.nan, delta),
        "delta_basis": np.where(lit, "", x.basis).astype(object), "delta_quality": d_q, "delta_life": d_l,
        "delta_low": np.where(lit, np.nan, d_lo), "delta_high": np.where(lit, np.nan, d_hi),
        "quality_score": qs_used, "quality_basis": x.quality["quality_basis"],
        "utility": np.where(lit, u, np.nan), "profit_rate": rc["profit_rate"]}
    for k in COMPONENTS:
        extra[f"cost_{k}"] = rc[f"cost_{k}"]
    work = CostWork(rc=rc, quality_used=qs_used, benchmark=bench, d_q=d_q, n_r=n_r, d_l=d_l, d_x=d_x, delta=delta,
                    literature=litp[1:], estimate=est, overridden=~lit & (delta > dmax) & x.override
                    & x.has_override_reason, z=z, sd=sd)
    return Values(np.where(app, est, np.nan), np.where(app, low, np.nan), np.where(app, high, np.nan), app,
                  v.zh, v.en, extra, work)
