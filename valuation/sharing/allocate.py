"""Allocation arithmetic: cost shares, agreed fractions, game shares scaled to the
distributable amount, hybrids, floors and caps, and rounding to the cent.

Formulas (docs/sharing.md)::

    cost basis   c_i = Σ_stage w_stage · cost_i,stage   (or input_cost_i without stages)
                 × (1 + r)^(years from cost_date to valuation_date)   when indexed
    cost share   x_i = D · c_i / Σ c                    大财资〔2025〕325号 item 16
    agreement    x_i = D · a_i,  Σ a = 1 (refused otherwise)   财资〔2024〕167号 (四)
    game         x_i = D · φ_i / v(N)                   φ = Shapley, Banzhaf, least core, nucleolus
    hybrid       D ≤ Σc: x = D · c / Σc;  else x = c + (D − Σc) · ψ / Σψ,
                 ψ = the game method on the net game v(S) − c(S)
    floors/caps  clamp, then share the rest among the unclamped by their fractions, repeated
    rounding     cents by largest remainder: Σ amounts = D to the cent
"""
from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping

import numpy as np

from ..core.errors import Issue, RefusedError, ValidationError
from .spec import STAGES, ShareSpec

__all__ = ["cost_basis", "indexed_costs", "cost_share", "agreement", "scale", "apply_bounds",
           "round_cents"]


def indexed_costs(spec: ShareSpec) -> tuple[np.ndarray, np.ndarray]:
    """``(input cost indexed to the valuation date, index factor)`` per participant.

    factor = (1 + annual_rate)^(days/365.25) from ``cost_date`` to ``cost_index.valuation_date``;
    1 when no index or no cost date is given."""
    f = np.ones(spec.n)
    ci = spec.cost_index
    if ci:
        vd = _dt.date.fromisoformat(str(ci["valuation_date"]))
        r = float(ci["annual_rate"])
        for i, d in enumerate(spec.cost_dates):
            if d:
                f[i] = (1.0 + r) ** ((vd - _dt.date.fromisoformat(str(d))).days / 365.25)
    return spec.input_cost * f, f


def cost_basis(spec: ShareSpec, library_weights: Mapping[str, float] | None = None
               ) -> tuple[np.ndarray, dict[str, float]]:
    """Weighted, indexed cost per participant and the stage weights used.

    Stage weights come from the spec, else the models library (``sharing.default``), else 1.
    A participant without ``costs_by_stage`` counts its ``input_cost`` at weight 1; one with
    stages must have them add up to its ``input_cost`` (to the cent)."""
    w = {s: 1.0 for s in STAGES}
    w.update({k: float(x) for k, x in (library_weights or {}).items() if k in STAGES})
    w.update(spec.stage_weights or {})
    issues = []
    for i, st in enumerate(spec.costs_by_stage):
        if st and abs(sum(st.values()) - spec.input_cost[i]) > 0.005:
            issues.append(Issue(f"participants[{i}].costs_by_stage", round(sum(st.values()), 2),
                                f"sums to input_cost = {spec.input_cost[i]:,.2f}",
                                f"participants[{i}].costs_by_stage 合计 {sum(st.values()):,.2f} ≠ 投入成本 "
                                f"{spec.input_cost[i]:,.2f}",
                                f"participants[{i}].costs_by_stage adds up to {sum(st.values()):,.2f}, "
                                f"not the input cost {spec.input_cost[i]:,.2f}"))
    if issues:
        raise ValidationError(issues)
    cost, factor = indexed_costs(spec)
    weighted = np.array([sum(w[s] * a for s, a in st.items()) if st else spec.input_cost[i]
                         for i, st in enumerate(spec.costs_by_stage)], dtype=float) * factor
    return weighted, {s: w[s] for s in STAGES}


def cost_share(basis: np.ndarray) -> np.ndarray:
    """Fractions by cost basis; refused when every cost is 0."""
    tot = float(basis.sum())
    if tot <= 0:
        raise RefusedError("全部参与方投入成本为 0，无法按投入成本分配",
                           "every input cost is 0: nothing to share by",
                           field="participants[].input_cost", value=0, allowed="at least one cost > 0")
    return basis / tot


def agreement(shares: np.ndarray, *, tol: float) -> np.ndarray:
    """Agreed fractions: every participant needs one and they must sum to 1 (± tol)."""
    missing = np.flatnonzero(np.isnan(shares))
    if len(missing):
        raise ValidationError([Issue(f"participants[{i}].agreed_share", None, "a number in [0, 1]",
                                     f"participants[{i}].agreed_share：按协议分配时必填",
                                     f"participants[{i}].agreed_share is required by the agreement method")
                               for i in missing])
    s = float(shares.sum())
    if abs(s - 1.0) > tol:
        raise ValidationError([Issue("participants[].agreed_share", round(s, 10), f"a sum of 1 (± {tol:g})",
                                     f"约定分成比例合计为 {s:.6f}，应为 1（财资〔2024〕167号（四））",
                                     f"the agreed shares sum to {s:.6f}, not 1 (MOF [2024] No. 167 (4))")])
    return shares / s


def scale(values: np.ndarray, what: str) -> np.ndarray:
    """Fractions ``values / Σ values`` of a game allocation (Σ = v(N)); refused when v(N) ≤ 0."""
    tot = float(values.sum())
    if tot <= 0:
        raise RefusedError(f"{what}：全体联盟价值 v(N) = {tot:,.2f} ≤ 0，无法分配",
                           f"{what}: the grand coalition's value v(N) = {tot:,.2f} ≤ 0",
                           field="coalition_values", value=tot, allowed="v(N) > 0")
    return values / tot


def apply_bounds(x: np.ndarray, frac: np.ndarray, D: float, floor: np.ndarray, cap: np.ndarray
                 ) -> tuple[np.ndarray, list[str]]:
    """Proportional shares within floors and caps: x_i = clip(λ · f_i, floor_i, cap_i) with the
    one λ that makes Σ x = D (Σ clip is non-decreasing in λ; found by bisection, the last
    rounding residue given to the unclamped by their fractions). Without binding bounds this is
    ``x`` itself. Refused when Σ floors > D, or when the caps of the participants with a share
    (plus the others' floors) cannot reach D."""
    lo = np.where(np.isnan(floor), 0.0, floor)
    hi = np.where(np.isnan(cap), np.inf, cap)
    f = np.clip(np.asarray(frac, float), 0.0, None)
    f = np.where(f > 1e-12 * max(float(f.max(initial=0.0)), 1e-300), f, 0.0)   # denormal shares count as 0
    f = f / f.sum() if f.sum() > 0 else np.full(len(f), 1.0 / max(len(f), 1))
    if lo.sum() > D + 0.005:
        raise RefusedError(f"保底金额合计 {lo.sum():,.2f} 超过可分配收益 {D:,.2f}",
                           f"the floors add up to {lo.sum():,.2f}, more than the distributable {D:,.2f}",
                           field="participants[].floor", value=float(lo.sum()), allowed=f"<= {D}")
    reach = float(np.where(f > 0, hi, lo).sum())
    if reach < D - 0.005:
        raise RefusedError(f"封顶金额合计 {reach:,.2f} 低于可分配收益 {D:,.2f}",
                           f"the caps (of the participants with a share) add up to {reach:,.2f}, less than the "
                           f"distributable {D:,.2f}", field="participants[].cap", value=reach, allowed=f">= {D}")
    if np.all((x >= lo - 1e-9) & (x <= hi + 1e-9)):
        return x, []
    pos = f > 0
    top = np.where(np.isfinite(hi[pos]), hi[pos], D + lo.sum()) / f[pos]
    a, b = 0.0, float(top.max()) * (1 + 1e-12) + 1.0
    for _ in range(200):                      # bisection on λ: Σ clip(λ f, lo, hi) = D
        mid = 0.5 * (a + b)
        if np.clip(mid * f, lo, hi).sum() < D:
            a = mid
        else:
            b = mid
    out = np.clip(b * f, lo, hi)
    free = (out > lo + 1e-9) & (out < hi - 1e-9) & pos
    if free.any():
        out[free] += (D - out.sum()) * f[free] / f[free].sum()
    notes = [f"floor:{i}" for i in np.flatnonzero(out <= lo + 1e-9) if lo[i] > 0] + \
            [f"cap:{i}" for i in np.flatnonzero(out >= hi - 1e-9)]
    return out, notes


def round_cents(x: np.ndarray, D: float) -> np.ndarray:
    """Amounts in cents (int64) by the largest-remainder method, Σ = round(D × 100).
    Ties go to the earlier participant (stable order)."""
    total = int(round(D * 100))
    raw = np.asarray(x, float) * 100.0
    base = np.floor(raw + 1e-7).astype(np.int64)
    rem = raw - base
    k = total - int(base.sum())
    order = np.argsort(-rem, kind="stable")
    if k > 0:
        base[order[:k % len(x)]] += 1
        base += k // len(x)
    while k < 0:                          # float excess: take cents back, smallest remainders first
        for i in order[::-1]:
            if k < 0 and base[i] > 0:
                base[i] -= 1
                k += 1
    return base
