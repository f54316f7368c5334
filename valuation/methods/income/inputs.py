"""What the income approach reads from a portfolio, as arrays (docs/DESIGN.md §2): the asset
table (:func:`valuation.methods.typed.table` — numbers float64 NaN missing, dates
datetime64[D] NaT, enums int16 codes with -1 missing, text object with **None** missing), the
``income.*`` streams as (assets × periods) arrays, the ``income.contributory`` and
``income.scenarios`` records as :class:`~valuation.core.ragged.Ragged`, and the statsmodels
forecasts of revenue history (:mod:`.forecast`), fitted once per distinct history (CAS 2023
art. 21; docs/DOMAIN.md §3).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ...core.errors import RefusedError
from .. import typed
from .forecast import Forecast, forecast_history
from .kernel import rows_all

__all__ = ["IncomeInputs", "income_inputs"]

# the stream each model projects from history when it has no projection of its own
_NEED = {"direct": "income.income", "royalty": "income.revenue", "split": "income.base",
         "excess": "income.revenue"}


# --------------------------------------------------------------------------- forecasts
def _forecasts(t: Any, streams: Mapping[str, np.ndarray], periods: np.ndarray, p: Mapping[str, Any]
               ) -> tuple[dict[str, Forecast], dict[str, str], list[tuple[Forecast, np.ndarray]]]:
    """Per-asset statsmodels fits for assets with history and no projection of their model:
    ({asset_id: forecast}, {asset_id: why it failed}, [(forecast, its rows)]).

    The fit is a pure function of (history, horizon, method, coverage, frequency), so rows
    sharing them — the copies of an asset in a replicated portfolio (hundreds of rows, the
    history is never perturbed) — share ONE fit (the same :class:`Forecast`, read-only here)
    or the same failure message, instead of a statsmodels fit per row; the rows are grouped
    by array operations, not row by row."""
    H = streams.get("income.history.values")
    if H is None:
        return {}, {}, []
    has_hist = ~rows_all(np.isnan(H))
    if not has_hist.any():
        return {}, {}, []
    # rows of a model that needs a stream and has none given (a projection wins over history)
    fit = np.zeros(len(H), bool)
    for m, path in _NEED.items():
        s = streams.get(path)
        given = ~rows_all(np.isnan(s)) if s is not None else np.zeros(len(H), bool)
        fit |= typed.is_label(t, "income_model", m) & ~given
    rows = np.flatnonzero(has_hist & fit)
    if not len(rows):
        return {}, {}, []
    meth, freq = t["income_history_method"], t["income_history_frequency"]   # int16 codes
    meth_l, freq_l = typed.decode(t, "income_history_method"), typed.decode(t, "income_history_frequency")
    # one key per row: the history, the periods and the two enums' codes, compared as bytes
    key = np.column_stack([H[rows], periods[rows], meth[rows], freq[rows]])
    key = np.ascontiguousarray(key, dtype=float).view(np.dtype((np.void, 8 * key.shape[1]))).ravel()
    _, first, inv = np.unique(key, return_index=True, return_inverse=True)
    done = np.empty(len(first), dtype=object)      # a Forecast or the failure's message
    for g in np.argsort(first).tolist():           # fitted in row order, as row by row
        i = int(rows[first[g]])
        h = int(periods[i]) if not np.isnan(periods[i]) else int(p["default_periods"])
        try:
            done[g] = forecast_history(H[i], h, meth_l[i] or "auto", float(p["coverage"]), freq_l[i] or "yearly")
        except (RefusedError, ValueError) as e:  # ValidationError is a ValuationError
            done[g] = getattr(e, "message_en", str(e))
        except Exception as e:  # noqa: BLE001 - statsmodels failures become a reason, batch goes on
            done[g] = str(e)
    failed = np.array([isinstance(d, str) for d in done], dtype=bool)
    ids = t.ids
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
    """The income approach's reads of a portfolio, as arrays aligned with its assets.

    ``t`` is the typed asset table (read as ``t[column]``; text None missing); ``streams`` the
    portfolio's ``income.*`` streams, path → (n × periods) float64 (NaN after an asset's last
    period); ``contributory`` and ``scenarios`` the records of those paths (None: none given).
    """

    ids: np.ndarray                  # asset ids (object array of str)
    t: Any                           # the asset table (an AssetTable; for perturbed rows, Rows.columns)
    streams: Mapping[str, np.ndarray]
    contributory: Any                # Ragged of income.contributory, or None
    scenarios: Any                   # Ragged of income.scenarios, or None
    has: np.ndarray                  # the card has an income section
    model: np.ndarray                # income.model labels (None where none)
    periods: np.ndarray              # income.periods (NaN where none)
    forecasts: dict[str, Forecast]   # per asset forecast from history
    fc_errors: dict[str, str]        # per asset why the forecast failed
    fc_groups: list[tuple[Forecast, np.ndarray]]

    def __len__(self) -> int:
        return len(self.ids)

    def stream(self, path: str, T: int) -> np.ndarray:
        """(n, T) values of periods 1..T of a stream (NaN where absent or beyond its width)."""
        out = np.full((len(self), T), np.nan)
        s = self.streams.get(path)
        if s is not None:
            k = min(T, s.shape[1])
            out[:, :k] = s[:, :k]
        return out

    def rows_of(self, ids: Any) -> np.ndarray:
        """Positions of the given asset ids."""
        where = {a: i for i, a in enumerate(self.ids.tolist())}
        return np.array([where[a] for a in ids], dtype=np.intp)

    def take(self, pos: np.ndarray, columns: Mapping[str, np.ndarray] | None = None,
             factors: Mapping[str, Sequence[np.ndarray]] | None = None) -> IncomeInputs:
        """The inputs of the rows ``pos`` — row r a copy of asset ``pos[r]``, labelled ``"r"`` —
        with the asset-table ``columns`` given at the rows (one value a row) and each stream of
        ``factors`` multiplied by its factors (one a row, in their order): the perturbed inputs
        the pricing layer's Monte Carlo draws and tornados value with ``value`` (issue 20 step
        4; docs/DESIGN.md §3), without reading a portfolio again. The table is the assets' rows
        (``AssetTable.take``: their own ids; ``ids`` label the rows, as the forecasts and
        refusals are keyed); the records are each asset's, repeated per row; the forecasts the
        assets' own (a history is never perturbed)."""
        pos = np.asarray(pos, dtype=np.intp)
        ids = np.array([str(r) for r in range(len(pos))], dtype=object)
        table = self.t.take(pos)
        if columns:
            table = table.with_columns(**columns)
        streams = {}
        for k, s in self.streams.items():
            v = s[pos]
            for f in (factors or {}).get(k, ()):      # one product per factor, in their order
                v = v * f[:, None]
            streams[k] = v
        groups = [(fc, np.flatnonzero(np.isin(pos, rows))) for fc, rows in self.fc_groups]
        groups = [(fc, rows) for fc, rows in groups if len(rows)]
        forecasts = {ids[r]: fc for fc, rows in groups for r in rows.tolist()}
        at = dict(zip(self.rows_of(self.fc_errors).tolist(), self.fc_errors.values())) if self.fc_errors else {}
        errors = {ids[r]: at[i] for r, i in enumerate(pos.tolist()) if i in at} if at else {}
        taken = lambda r: None if r is None else r.take(pos)  # noqa: E731
        return IncomeInputs(ids, table, streams, taken(self.contributory), taken(self.scenarios),
                            self.has[pos], self.model[pos], self.periods[pos], forecasts, errors, groups)


def income_inputs(pf: Any, p: Mapping[str, Any]) -> IncomeInputs:
    """Read the portfolio for the income approach (``p``: resolved parameters — the forecasts'
    coverage and default horizon)."""
    t = typed.table(pf)
    streams = {k: typed.stream(pf, k) for k in list(pf.series) if k.startswith("income.")}
    periods = t["income_periods"]
    forecasts, fc_errors, fc_groups = _forecasts(t, streams, periods, p)
    return IncomeInputs(t.ids, t, streams, typed.records(pf, "income.contributory"),
                        typed.records(pf, "income.scenarios"), t["has_income"],
                        typed.decode(t, "income_model"), periods, forecasts, fc_errors, fc_groups)
