"""The market approach over a portfolio: ``appraise(pf, params=None, *, trace=False, cases=None)``,
the :class:`MarketApproach` of the approach contract (:mod:`valuation.methods.base`).

中评协〔2023〕17号 art. 23 and annex (docs/DOMAIN.md §4)::

    P_i = Q_i × X1_i × X2_i × X3_i × X4_i × X5_i,     P = Σ_i w_i P_i

Comparables (per asset):

* **explicit** — ``market.comparables`` on the card; comparables whose price mode or rights type
  differs from the subject's are left out (never mixed) with a warning; capacity X4 in ratio
  form by default (``capacity_explicit``);
* **library** — when ``market.use_library`` and there are no explicit comparables: hard
  filters (rights type, price mode, price unit), then k nearest neighbours
  (:mod:`.select`); X3 from the yearly price trend (the hedonic model's, or ``date_growth``),
  X4 with the elasticity β (``capacity_library = elasticity``; β = the hedonic coefficient of
  ln records, clipped to ``capacity_elasticity_bounds``).

Evidence: only cases of ``provenance = real`` stand behind a value; a library of synthetic
cases only makes the approach not applicable ("only synthetic evidence in the case library"),
unless the card is a demonstration (``market.demonstration``: synthetic cases allowed, the
rules raise the blocker ``SYNTHETIC_EVIDENCE``). Columns ``n_real_comparables`` and
``n_synthetic_comparables`` count them.

Value on the library path (``library_estimate``, default ``learned``): the per-mode learned
model of :mod:`.learned` when its group has enough cases, else the hedonic / grid value.

Range (``low``/``high``, coverage 80 % by default) — stated in column ``range_basis``:

* ``conformal_cv`` (library path, learned model): split-conformal range calibrated on the case
  library's leave-one-out / cross-validated residuals (:mod:`.learned`);

* ``hedonic_prediction_interval`` (library path, hedonic model of the price mode fitted): the
  hedonic 80 % prediction interval of ln P, re-centred on the estimate:
  ``low = P × exp(ln L − ŷ)``, ``high = P × exp(ln H − ŷ)``;
* ``comparable_dispersion`` (explicit comparables, or no hedonic model): a prediction-type
  interval from the dispersion of the adjusted prices,
  ``P × exp(∓ t_{0.90, n−1} · s_ln · √(1 + 1/n))`` with s_ln the sd of ln P_i.

Guardrails (engineering defaults, ``models/market_grid.yaml``): fewer than ``refuse_below`` (2)
comparables → not applicable; fewer than ``min_comparables`` (3) → warning; single coefficient
outside [0.70, 1.30], product outside [0.50, 1.50], spread max/min > 1.20 → warnings with the
numbers, in Chinese and English.

One concept per module: :mod:`.params` (defaults and library entries), :mod:`.inputs` (the
subjects and explicit comparables as arrays), :mod:`.fit` (the case library prepared once),
:mod:`.pairs` (subject × comparable pairs), :mod:`.grid` / :mod:`.hedonic` / :mod:`.learned`
and :mod:`.value` (the arithmetic, range and refusals), :mod:`.explain` (warnings, traces).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..base import Approach, Explanation, LazyWarnings, MethodResult, Params, Values
from ..fx import apply_market_currency, fx_table
from .explain import market_traces, market_warnings
from .fit import LibraryFit, fit_library
from .inputs import MarketInputs, market_inputs
from .outputs import value_subjects
from .params import resolve_params
from .value import _value

__all__ = ["LibraryFit", "MARKET", "MarketApproach", "MarketParams", "appraise", "fit_library", "value_subjects"]


@dataclass(frozen=True, eq=False)
class MarketParams(Params):
    """Resolved market parameters, the case library (a frame in the case schema, or None) and
    the currency table (``fx.rates``; None: results are not converted — the module-level
    :func:`appraise` and the pricing layer's runs)."""

    cases: Any = None
    fx: Mapping[str, Any] | None = None


class MarketApproach(Approach):
    """P = Σ w_i Q_i ΠX (CAS 2023 art. 23 and annex) under the approach contract."""

    name = "market"
    section = "market"
    Params = MarketParams

    def params(self, library: Mapping[str, Any] | None = None, *, cases: Any = None,
               fx: Mapping[str, Any] | None = None) -> MarketParams:
        return MarketParams(resolve_params(library), cases=cases, fx=fx)

    def params_of(self, snapshot: Any) -> MarketParams:
        """The snapshot's market entries, its case library and its ``fx.rates`` table: library
        evidence in CNY is converted for a card in another currency, or refused (issue 17)."""
        return self.params(snapshot.params_for(self.name), cases=snapshot.cases, fx=fx_table(snapshot))

    def inputs(self, pf, params: MarketParams) -> MarketInputs:
        return market_inputs(pf, params)

    def value(self, inputs: MarketInputs, params: MarketParams) -> Values:
        p = {**params, "allow_synthetic": inputs.allow_synthetic}
        out = _value(inputs.subjects, cases=params.cases, comparables=inputs.comparables, p=p, codes=inputs.codes)
        cols = dict(out["_cols"])
        six = [cols.pop(k) for k in ("estimate", "low", "high", "applicable", "reason_zh", "reason_en")]
        return Values(*six, extra=cols, work=out)

    def explain(self, inputs: MarketInputs, params: MarketParams, values: Values, *, trace: bool = False
                ) -> Explanation:
        ids, out = inputs.subjects.index, values.work
        return Explanation(market_traces(ids, out) if trace else {}, LazyWarnings(lambda: market_warnings(ids, out)))

    def appraise(self, pf, params: MarketParams, *, trace: bool = False) -> MethodResult:
        """The contract's run; a portfolio mixing demonstration and other assets is run in the
        two parts (an asset's result never depends on its portfolio), then converted to the
        card's currency where ``params.fx`` is given."""
        res = self._run(pf, params, trace)
        return res if params.fx is None else apply_market_currency(res, pf, None, table=params.fx)

    def _run(self, pf, params: MarketParams, trace: bool) -> MethodResult:
        demo = pf.columns["market_demonstration"]
        if demo.any() and not demo.all():
            return self._mixed(pf, params, trace, demo)
        values, ex, used = self._part(pf, params, trace)
        return self._result(values.columns(), pf.index, ex.traces, used, ex.warnings)

    def _result(self, cols: dict[str, Any], index: Any, traces: dict[str, Any], used: dict[str, Any],
                warnings: Any) -> MethodResult:
        """The result of the columns (:data:`RESULT_COLUMNS` first), as :meth:`Approach.appraise`
        gives one: its frame (:meth:`Approach.frame` of the same columns) is built only when a
        face asks for it."""
        return MethodResult("market", None, traces, used, warnings, columns=cols, index=index)

    def _part(self, pf, params: MarketParams, trace: bool) -> tuple[Values, Explanation, dict[str, Any]]:
        inputs = self.inputs(pf, params)
        values = self.value(inputs, params)
        ex = self.explain(inputs, params, values, trace=trace)
        used = {k: v for k, v in values.work["params"].items() if k not in ("title_keywords",)}
        return values, ex, used

    def _mixed(self, pf, params: MarketParams, trace: bool, demo: np.ndarray) -> MethodResult:
        """The other assets and the demonstrations valued apart (an asset's result never
        depends on its portfolio), their columns put back in the portfolio's order."""
        parts = [np.flatnonzero(~demo), np.flatnonzero(demo)]
        ids = pf.columns.ids
        runs = [self._part(pf.subset(ids[idx].tolist()), params, trace) for idx in parts]
        order = np.concatenate(parts)
        back = np.empty_like(order)
        back[order] = np.arange(len(order))
        a, b = (r[0].columns() for r in runs)
        cols = {k: np.concatenate([np.asarray(a[k]), np.asarray(b[k])])[back] for k in a}
        ea, eb = runs[0][1], runs[1][1]
        return self._result(cols, pf.index, {**ea.traces, **eb.traces}, runs[1][2],
                            LazyWarnings(lambda: {**dict(ea.warnings), **dict(eb.warnings)}))


MARKET = MarketApproach()


def appraise(pf, params: Mapping[str, Any] | None = None, *, trace: bool = False,
             cases: Any = None) -> MethodResult:
    """Market approach for every asset of ``pf`` (see the module docstring).

    Parameters
    ----------
    pf : Portfolio
    params : flat overrides of ``models/market_grid.yaml`` / ``market_hedonic.yaml`` parameters,
        or ``{"models": {...}}`` from a library snapshot.
    trace : add per-asset calculation steps (CAS2023.art23, CAS2023.annex.market).
    cases : the case library as a DataFrame in the case schema (``valuation.library.cases``).

    Returns
    -------
    MethodResult ``"market"`` with extra columns ``n_comparables``, ``spread``, ``weighting``,
    ``hedonic_estimate``, ``hedonic_low``, ``hedonic_high``, ``grid_estimate``, ``range_basis``,
    ``comparables_source``, ``price_mode``, ``price_unit``; warnings per asset (no currency
    conversion: the engine's run of :data:`MARKET` does it).
    """
    return MARKET.appraise(pf, MARKET.params(params, cases=cases), trace=trace)
