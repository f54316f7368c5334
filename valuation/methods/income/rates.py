"""Discount rate of the income approach and the WARA check.

* given: ``income.discount_rate``;
* build-up (累加法): i = r_f + 管理风险 + 流通风险 + 数据安全风险 + 监管风险 + 其他 (CAS 2023 art. 21(5));
  a missing r_f takes the model-library default (10-year CGB yield, a user input), a missing
  premium counts 0 — both recorded with their source;
* WACC + premium: i = WACC + data-asset premium, checked with WARA (LIT.wara, docs/DOMAIN.md §3.4).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ...core.errors import Issue, RefusedError, ValidationError
from .. import typed
from .frame import labels
from .kernel import fill_nan

__all__ = ["METHODS", "PREMIA", "RateResolution", "discount_rates", "wara"]

METHODS = ("given", "build_up", "wacc", "none")
PREMIA = ("management", "circulation", "security", "regulation", "other")
LABELS = {"risk_free": ("无风险利率", "risk-free rate"), "management": ("管理风险溢价", "management risk"),
          "circulation": ("流通风险溢价", "circulation risk"), "security": ("数据安全风险溢价", "data security risk"),
          "regulation": ("监管风险溢价", "regulatory risk"), "other": ("其他风险溢价", "other premium"),
          "wacc": ("加权平均资本成本", "WACC"), "premium": ("数据资产风险溢价", "data-asset premium")}


@dataclass(frozen=True)
class RateResolution:
    rate: np.ndarray            # (n,) resolved discount rate (NaN: none)
    method: np.ndarray          # (n,) "given" | "build_up" | "wacc" | "none"
    risk_free: np.ndarray       # (n,) r_f used by the build-up
    risk_free_default: np.ndarray  # (n,) bool: r_f taken from the model library
    method_code: np.ndarray | None = None  # (n,) position of ``method`` in :data:`METHODS`


def discount_rates(t: Any, risk_free_default: float = float("nan")) -> RateResolution:
    """Resolve i for every asset: given → build-up → WACC + premium.

    Parameters
    ----------
    t : the asset table (``Portfolio.columns``, :class:`~valuation.core.columns.AssetTable`).
    risk_free_default : r_f used when a build-up card omits it (model library, e.g. 0.0175).
    """
    given = t["income_discount_rate"]
    build_up = typed.is_label(t, "income_discount_method", "build_up")
    by_wacc = typed.is_label(t, "income_discount_method", "wacc")
    rf_card = t["income_discount_risk_free"]
    rf_def = np.isnan(rf_card) & build_up
    rf = np.where(np.isnan(rf_card), risk_free_default, rf_card)
    # each method's rate is worked out only when some asset names that method (a given rate
    # is the usual case); where no row takes it np.where below never reads it
    build: Any = (rf + sum(fill_nan(t[f"income_discount_{k}"]) for k in PREMIA)) if build_up.any() else np.nan
    wacc: Any = (t["income_discount_wacc"] + fill_nan(t["income_discount_premium"])) if by_wacc.any() else np.nan
    has = ~np.isnan(given)
    rate = np.where(has, given, np.where(build_up, build, np.where(by_wacc, wacc, np.nan)))
    code = np.where(has, 0, np.where(build_up, 1, np.where(by_wacc, 2, 3)))
    return RateResolution(rate, labels(METHODS, code), rf, rf_def & ~has, code)


def wara(weights: Any, returns: Any, wacc: float | None = None, tolerance: float = 0.01) -> dict[str, Any]:
    """Weighted average return on assets, compared with WACC (LIT.wara, docs/DOMAIN.md §3.4).

    WARA = Σ_k w_k r_k over working capital, fixed assets, other intangibles and the data
    asset, with w_k their fair-value shares (Σ w_k = 1). The discount rate of the data asset is
    reasonable when WARA ≈ WACC (|WARA − WACC| ≤ tolerance).

    Parameters
    ----------
    weights : shares of the asset classes (non-negative, summing to 1).
    returns : required return of each class (same length).
    wacc : the entity WACC to compare with (None: only WARA is returned).
    tolerance : accepted gap (default 1 percentage point, engineering default).

    Returns
    -------
    dict with ``wara``, ``wacc``, ``gap`` (WARA − WACC), ``ok`` and bilingual ``message_zh/en``.

    Raises
    ------
    ValidationError
        when the lengths differ, a weight is negative or the weights do not sum to 1.
    """
    w = np.asarray(weights, float).ravel()
    r = np.asarray(returns, float).ravel()
    if w.shape != r.shape or w.size == 0:
        raise ValidationError([Issue("wara.returns", list(r), f"{w.size} numbers",
                                     f"回报率个数（{r.size}）须与权重个数（{w.size}）相同",
                                     f"{r.size} returns given for {w.size} weights; they must match")])
    if (w < 0).any() or abs(w.sum() - 1.0) > 1e-6 or not np.isfinite(w).all():
        raise ValidationError([Issue("wara.weights", list(w), "non-negative, sum = 1",
                                     f"各类资产权重须非负且合计为 1，当前合计 {w.sum():.6g}",
                                     f"asset weights must be non-negative and sum to 1, got sum {w.sum():.6g}")])
    v = float(w @ r)
    out: dict[str, Any] = {"wara": v, "wacc": wacc, "gap": None, "ok": None, "tolerance": tolerance}
    if wacc is None:
        out["message_zh"] = f"WARA = {v:.4%}"
        out["message_en"] = f"WARA = {v:.4%}"
        return out
    if not np.isfinite(wacc):
        raise RefusedError("WACC 须为有限数值", "WACC must be a finite number", field="wacc", value=wacc,
                           allowed="a finite rate")
    gap = v - float(wacc)
    ok = abs(gap) <= tolerance + 1e-12
    out.update(gap=gap, ok=ok)
    verdict_zh = "通过" if ok else "未通过，应复核数据资产折现率或各类资产回报率"
    verdict_en = "passes" if ok else "fails: review the data-asset rate or the class returns"
    out["message_zh"] = f"WARA = {v:.4%}，WACC = {wacc:.4%}，差异 {gap:+.4%}（容差 ±{tolerance:.2%}）：{verdict_zh}"
    out["message_en"] = f"WARA = {v:.4%}, WACC = {wacc:.4%}, gap {gap:+.4%} (tolerance ±{tolerance:.2%}): {verdict_en}"
    return out
