"""The cost approach over a portfolio: ``appraise(pf, params=None, *, trace=False)``, the
:class:`CostApproach` of the approach contract (:mod:`valuation.methods.base`).

CAS model (中评协〔2023〕17号 art. 22 and annex, docs/DOMAIN.md §2.2–2.3)::

    P = C × δ
    C = (前期费用 + 直接成本 + 间接成本 + 机会成本) × (1 + 合理利润率) + 相关税费
    δ = Q / Q_benchmark | n_r / (n_u + n_r) | δ_q × δ_life | 1 − (d_func + d_econ) | given,
        0 < δ ≤ 1 (δ > 1 only with cost.adjustment.override and a written reason → warning)

Literature model (``cost.variant = "literature"``, docs/DOMAIN.md §2.4; labelled NOT the CAS model)::

    P = TC × (1 + R) × U,  U = α β (1 + l)(1 − r),  TC = sum of the five components

Conventions (documented choices, not regulation):

* opportunity cost, when not given, = ``cost_opportunity_rate`` × (前期 + 直接 + 间接)
  (F1: 5 % × 250 = 12.5); rate from the card, else the model default 0;
* reasonable profit ``cost_profit_rate`` (default 0) applies to the pre-tax cost including
  the opportunity cost; taxes are added after it;
* a category given both as a component total and as cost lines is the sum of both (warning);
* rounding ``exact`` keeps full precision; ``publication`` rounds the composite quality score to
  2 decimals before δ_q is formed (F1: 137.71 / 229.52 exact, 137.72 / 229.53 publication);
* ``low``/``high``: a simple band from δ only — δ_low = δ(1 − z·sd), δ_high = min(δ(1 + z·sd),
  max(δ, δ_max)), sd = the relative sd of the model's δ distribution (10 %), z for the model's
  coverage (80 %). The guided range proper (all parameters, Monte Carlo) is the pricing layer's.

One concept per module: :mod:`.params` (defaults and library entries), :mod:`.inputs` (the
portfolio's columns and records as arrays), :mod:`.kernel` and :mod:`.value` (the arithmetic and
refusals), :mod:`.explain` (warnings and traces).
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from .. import typed
from ..base import Approach, Explanation, MethodResult, Values
from .explain import _row_dicts, cost_explain
from .inputs import CostInputs, component_inputs, cost_inputs
from .params import CLAUSES, CostParams, default_params, resolve_params
from .value import cost_values, replacement_columns

__all__ = ["CLAUSES", "COST", "CostApproach", "appraise", "default_params", "replacement_cost", "resolve_params"]
_ = _row_dicts   # (the trace's row reader, which the tests read through this module)


class CostApproach(Approach):
    """P = C × δ (CAS 2023 art. 22 and annex) under the approach contract."""

    name = "cost"
    section = "cost"
    Params = CostParams

    def params(self, library: Mapping[str, Any] | None = None) -> CostParams:
        return CostParams(resolve_params(library))

    def inputs(self, pf, params: CostParams) -> CostInputs:
        return cost_inputs(pf, params)

    def value(self, inputs: CostInputs, params: CostParams) -> Values:
        return cost_values(inputs, params)

    def explain(self, inputs: CostInputs, params: CostParams, values: Values, *, trace: bool = False
                ) -> Explanation:
        return cost_explain(inputs, params, values, trace=trace)

    def used(self, params: CostParams) -> dict[str, Any]:
        return dict(params, coverage=float(params["coverage"]))


COST = CostApproach()


def replacement_cost(pf, params: Mapping[str, Any] | None = None) -> dict[str, np.ndarray]:
    """Resolved components and C per asset, as arrays aligned with the portfolio's assets:
    ``cost_<component>``, ``profit_rate``, ``replacement_cost``, ``total_cost`` (sum of the
    five, the literature TC), ``has_cost_data``, ``has_lines``, ``double_count_risk``,
    ``opportunity_rate``, ``opportunity_measured``."""
    p = resolve_params(params)
    comp, both, has_lines = component_inputs(pf)
    t = typed.table(pf)
    return replacement_columns(comp, both, has_lines, t["cost_opportunity_rate"], t["cost_profit_rate"], p)


def appraise(pf, params: Mapping[str, Any] | None = None, *, trace: bool = False) -> MethodResult:
    """Cost approach P = C × δ for every asset of ``pf`` (see module docstring).

    Parameters
    ----------
    pf : Portfolio. Uses ``cost_*`` columns, ``cost.lines`` records, quality columns /
        records / matrices, ``rounding``, ``has_cost``, ``has_income``.
    params : overrides of :func:`default_params` (``profit_rate``, ``opportunity_rate``,
        ``quality_benchmark`` are fallbacks when the card has none; ``delta_relative_sd``,
        ``coverage``, ``delta_max``, ``quality_decimals``, ``quality_scale``,
        ``quality_weights``, ``literature_*``).
    trace : build the per-asset calculation steps with formulas and clauses.

    Returns
    -------
    MethodResult ``cost`` with columns estimate, low, high, applicable, reason_zh, reason_en,
    model, replacement_cost, delta, delta_basis, delta_quality, delta_life, delta_low,
    delta_high, quality_score, quality_basis, utility, profit_rate, cost_preliminary …
    cost_taxes.
    """
    return COST.appraise(pf, COST.params(params), trace=trace)
