"""The income approach under the approach contract (:mod:`valuation.methods.base`):
:class:`IncomeApproach`, the module-level :func:`appraise` and
:func:`appraise_one` (CAS 2023 art. 21 and annex; docs/DOMAIN.md §3)."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ...core.errors import RefusedError
from ...core.portfolio import Portfolio
from ..base import Approach, Explanation, MethodResult, Params, Values
from .explain import EXTRA_COLUMNS, income_explain
from .frame import frame
from .inputs import IncomeInputs, income_inputs
from .kernel import terminal_refusal
from .params import merge_params
from .value import income_values

__all__ = ["EXTRA_COLUMNS", "INCOME", "IncomeApproach", "IncomeParams", "appraise",
           "appraise_one"]

@dataclass(frozen=True, eq=False)
class IncomeParams(Params):
    """Resolved income parameters (:func:`.params.merge_params`), frozen."""


class IncomeApproach(Approach):
    """P = Σ_t F_t / (1 + i)^t (+ TV) (CAS 2023 art. 21 and annex) under the approach contract."""

    name = "income"
    section = "income"
    Params = IncomeParams

    def params(self, library: Mapping[str, Any] | None = None) -> IncomeParams:
        return IncomeParams(merge_params(library))

    def inputs(self, pf: Portfolio, params: IncomeParams) -> IncomeInputs:
        return income_inputs(pf, params)

    def value(self, inputs: IncomeInputs, params: IncomeParams) -> Values:
        return income_values(inputs, params)

    def explain(self, inputs: IncomeInputs, params: IncomeParams, values: Values, *, trace: bool = False
                ) -> Explanation:
        return income_explain(inputs, params, values, trace=trace)

    def frame(self, values: Values, index: Any) -> Any:
        # the frame in one construction (not a pandas insert per column), its text columns
        # converted by Arrow (pandas infers them element by element)
        return frame(values.columns(), index)


INCOME = IncomeApproach()


# --------------------------------------------------------------------------- the method
def appraise(pf: Portfolio, params: Mapping[str, Any] | None = None, *, trace: bool = False) -> MethodResult:
    """Income approach for every asset of the portfolio (CAS 2023 art. 21, annex).

    Parameters
    ----------
    pf : Portfolio
    params : overrides of the model-library defaults (``models/income_*.yaml``): ``risk_free``
        (build-up r_f when the card omits it, 0.0175), ``coverage`` (0.80), ``rate_sd`` (relative
        sd of the discount rate for the low–high range, 0.10) or ``rate_dist`` per model,
        ``attrition_cutoff`` (0.05), ``default_periods`` (5, for history without periods).
    trace : build per-asset traces (formulas, inputs, clauses).

    Returns
    -------
    MethodResult
        frame columns: estimate, low, high, applicable, reason_zh, reason_en and
        :data:`EXTRA_COLUMNS` (discount_rate, life, life_bound, pv_explicit, pv_terminal, model,
        timing, ...). ``low``/``high`` are the values at the discount rate's two-sided
        ``coverage`` quantiles (rate distribution of the model library); for projections from
        history they are widened to the values at the forecast's prediction interval.

    Notes
    -----
    P = Σ_t F_t / (1 + i)^t (+ TV), CAS2023.art21, CAS2023.annex.income.
    """
    return INCOME.appraise(pf, INCOME.params(params), trace=trace)


# --------------------------------------------------------------------------- single asset
_FIELD = {"no_income": "income", "no_rate": "income.discount_rate", "basis_mismatch": "income.rate_basis",
          "terminal_growth": "income.terminal_growth", "no_life": "asset.rights.term_end",
          "first_period": "income.first_period_end", "forecast_failed": "income.history.values",
          "no_value": "income"}


def appraise_one(card: Mapping[str, Any] | Portfolio, params: Mapping[str, Any] | None = None, *,
                 trace: bool = True) -> MethodResult:
    """Income approach for one asset, refusing instead of returning a not-applicable row.

    Raises
    ------
    RefusedError
        with ``field``, ``value``, ``allowed`` and the bilingual reason (g ≥ i, basis mismatch,
        missing stream, no discount rate, no remaining life, no income section).
    """
    pf = card if isinstance(card, Portfolio) else Portfolio.from_card(card)
    if len(pf) != 1:
        raise RefusedError("单项评估只接受一项资产", "a single appraisal takes exactly one asset",
                           field="asset", value=len(pf), allowed="1")
    res = appraise(pf, params, trace=trace)
    row = res.frame.iloc[0]
    if not bool(row["applicable"]):
        code = str(row["reason_code"])
        if code == "terminal_growth":
            g = float(pf.columns["income_terminal_growth"][0])
            raise terminal_refusal(g, float(row["discount_rate"]))
        field = _FIELD.get(code, "income")
        value: Any = None
        allowed = None
        if code == "missing_stream":
            field = "income.model" if row["reason_en"].startswith("income model") else \
                row["reason_en"].split(" needs ")[-1].split(",")[0]
            allowed = "a value for the chosen model"
        elif code == "basis_mismatch":
            value, allowed = row["rate_basis"], f"{row['income_basis']} (the income basis)"
        elif code == "no_life":
            value, allowed = row["life"], "> 0 years"
        raise RefusedError(row["reason_zh"], row["reason_en"], field=field, value=value, allowed=allowed,
                           reason_code=code)
    return res
