"""What the income approach reads from a portfolio (the pandas edge of the approach): the assets
columns through :class:`.columns.Columns`, and the statsmodels forecasts of revenue history
(:mod:`.forecast`), fitted once per distinct history (CAS 2023 art. 21; docs/DOMAIN.md §3).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ...core.errors import RefusedError
from ...core.portfolio import Portfolio
from .columns import Columns, columns
from .forecast import Forecast, forecast_history
from .kernel import (
    rows_all,
)
from .streams import col, txt

__all__ = ["IncomeInputs", "income_inputs"]

# --------------------------------------------------------------------------- forecasts
def _forecasts(pf: Portfolio, periods: np.ndarray, p: Mapping[str, Any], cols: Columns | None = None
               ) -> tuple[dict[str, Forecast], dict[str, str], list[tuple[Forecast, np.ndarray]]]:
    """Per-asset statsmodels fits for assets with history and no projection of their model:
    ({asset_id: forecast}, {asset_id: why it failed}, [(forecast, its rows)]).

    The fit is a pure function of (history, horizon, method, coverage, frequency), so rows
    sharing them — the copies of an asset in a replicated portfolio (hundreds of rows, the
    history is never perturbed) — share ONE fit (the same :class:`Forecast`, read-only here)
    or the same failure message, instead of a ~0.1–0.5 s fit per row; the rows are grouped
    by array operations, not row by row."""
    hist = pf.series.get("income.history.values")
    out: dict[str, Forecast] = {}
    errs: dict[str, str] = {}
    if hist is None:
        return out, errs, []
    a = columns(pf.assets) if cols is None else cols
    need = {"direct": "income.income", "royalty": "income.revenue", "split": "income.base",
            "excess": "income.revenue"}
    H = hist.to_numpy(dtype=float, na_value=np.nan)
    has_hist = ~rows_all(np.isnan(H))
    if not has_hist.any():
        return out, errs, []
    # rows of a model that needs a stream and has none given (a projection wins over history)
    fit = np.zeros(len(H), bool)
    for m, path in need.items():
        given = pf.series[path].notna().any(axis=1).to_numpy() if path in pf.series else np.zeros(len(H), bool)
        fit |= a.eq("income_model", m) & ~given
    rows = np.flatnonzero(has_hist & fit)
    if not len(rows):
        return out, errs, []
    meth = txt(a, "income_history_method")
    freq = txt(a, "income_history_frequency")
    # one key per row: the history, the periods and the two texts' codes, compared as bytes
    key = np.column_stack([H[rows], periods[rows], pd.factorize(meth[rows])[0], pd.factorize(freq[rows])[0]])
    key = np.ascontiguousarray(key, dtype=float).view(np.dtype((np.void, 8 * key.shape[1]))).ravel()
    _, first, inv = np.unique(key, return_index=True, return_inverse=True)
    done = np.empty(len(first), dtype=object)      # a Forecast or the failure's message
    for g in np.argsort(first).tolist():           # fitted in row order, as row by row
        i = int(rows[first[g]])
        h = int(periods[i]) if not np.isnan(periods[i]) else int(p["default_periods"])
        try:
            done[g] = forecast_history(H[i], h, meth[i] or "auto", float(p["coverage"]), freq[i] or "yearly")
        except (RefusedError, ValueError) as e:  # ValidationError is a ValuationError
            done[g] = getattr(e, "message_en", str(e))
        except Exception as e:  # noqa: BLE001 - statsmodels failures become a reason, batch goes on
            done[g] = str(e)
    failed = np.array([isinstance(d, str) for d in done], dtype=bool)
    ids = pf.index.to_numpy(dtype=object)
    row_failed = failed[inv]
    # in row order, as the assets come
    out = dict(zip(ids[rows[~row_failed]].tolist(), done[inv[~row_failed]].tolist()))
    errs = dict(zip(ids[rows[row_failed]].tolist(), done[inv[row_failed]].tolist()))
    groups = [(done[g], rows[inv == g]) for g in np.flatnonzero(~failed).tolist()]
    return out, errs, groups


def _forecast_models(groups: list[tuple[Forecast, np.ndarray]], n: int) -> np.ndarray:
    """The name of each row's forecast model ("" for a row without a forecast)."""
    out = np.full(n, "", dtype=object)
    for fc, rows in groups:
        out[rows] = fc.model
    return out




@dataclass(frozen=True, eq=False)
class IncomeInputs:
    """The income approach's reads of a portfolio. ``cols``: the assets columns, each converted
    once (read-only arrays); the streams and records stay in the portfolio (``pf``), which
    :mod:`.streams` and :mod:`.scenarios` read as (assets × periods) arrays."""

    pf: Portfolio
    cols: Columns
    has: np.ndarray                  # the card has an income section
    model: np.ndarray                # income.model ("" where none)
    periods: np.ndarray              # income.periods (NaN where none)
    forecasts: dict[str, Forecast]   # per asset forecast from history
    fc_errors: dict[str, str]        # per asset why the forecast failed
    fc_groups: list[tuple[Forecast, np.ndarray]]


def income_inputs(pf: Portfolio, p: Mapping[str, Any]) -> IncomeInputs:
    """Read the portfolio for the income approach (``p``: resolved parameters — the forecasts'
    coverage and default horizon)."""
    a = columns(pf.assets)   # every column read once, shared by the steps
    has = a.flag("has_income")
    a.codes("income_model")   # text read as codes: compared and written out with no str per row
    model = txt(a, "income_model")
    periods = col(a, "income_periods")
    forecasts, fc_errors, fc_groups = _forecasts(pf, periods, p, a)
    return IncomeInputs(pf, a, has, model, periods, forecasts, fc_errors, fc_groups)
