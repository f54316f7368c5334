"""The conclusion of every asset from its approaches (CAS 2023 art. 24).

``estimate = Σ_m w_m × P_m`` over the applicable approaches (:mod:`.weights`; with one weight
of 1 it *is* that approach's value; with ``point: median`` in the configuration the Monte
Carlo median instead). Range: the Monte Carlo guided range of :mod:`.uncertainty` (parameter
uncertainty, comparable dispersion, mixture over approaches by weight) when assets × draws
is within ``mc_max_rows``; for larger batches the analytic mixture of the approaches' own
ranges.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..core.errors import RefusedError
from ..core.portfolio import Portfolio
from ..core.result_frames import result_columns
from ..methods.base import MethodFn, MethodResult, text_where
from .config import setting
from .uncertainty import (
    Drawn,
    _check_coverage,
    _guided_columns,
    asset_keys_of,
    band,
    coverage_of,
    default_params,
    mixture_quantiles,
)
from .weights import METHODS, default_methods, weights

__all__ = ["Table", "approach_table", "asset_keys_of", "combine_columns", "names_of", "range_method"]



def names_of(results: Mapping[str, Any]) -> tuple[str, ...]:
    """The approaches of ``results``: the known ones in their order, then the others."""
    return tuple(m for m in METHODS if m in results) + tuple(m for m in results if m not in METHODS)


@dataclass(frozen=True)
class Table:
    """Each approach's result read once, aligned with the portfolio: ``app`` (applicable and
    with an estimate), ``est``, ``lo``, ``hi`` — each (assets × approaches), NaN where not
    applicable — and per approach its (reason_zh, reason_en) texts ("" where none)."""

    app: np.ndarray
    est: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    reasons: dict[str, tuple[np.ndarray, np.ndarray]]


def approach_table(pf: Portfolio, results: Mapping[str, MethodResult], names: tuple[str, ...]) -> Table:
    """The :class:`Table` of the approaches ``names`` of ``results``."""
    n, M = len(pf), len(names)
    est, lo, hi = (np.full((n, M), np.nan) for _ in range(3))
    app = np.zeros((n, M), dtype=bool)
    reasons = {}
    for j, m in enumerate(names):
        c = result_columns(results[m], pf.index)
        e = c.num("estimate")
        a = c.flag("applicable") & ~np.isnan(e)
        app[:, j] = a
        est[:, j] = np.where(a, e, np.nan)
        lo[:, j] = np.where(a, c.num("low"), np.nan)
        hi[:, j] = np.where(a, c.num("high"), np.nan)
        reasons[m] = (c.txt("reason_zh"), c.txt("reason_en"))
    return Table(app, est, lo, hi, reasons)


def range_method(cfg: Mapping[str, Any], n: int, draws: int, asked: str | None) -> str:
    """``monte_carlo`` or ``mixture``: ``asked``, or by the size of the run (``mc_max_rows``)."""
    rm = asked or "auto"
    if rm == "auto":
        rm = "monte_carlo" if n * draws <= int(setting(cfg, "mc_max_rows")) else "mixture"
    if rm not in ("monte_carlo", "mixture"):
        raise RefusedError(f"区间方法 {rm!r} 不受支持", f"range method {rm!r} is not supported",
                           field="range_method", value=rm, allowed="auto, monte_carlo, mixture")
    return rm


def _range(pf: Portfolio, t: Table, Wv: np.ndarray, names: tuple[str, ...], covm: np.ndarray,
           cov: np.ndarray, D: int, rm: str, fns: Mapping[str, MethodFn] | None, snap: Any,
           cfg: Mapping[str, Any], evaluated: Mapping[str, Drawn] | None, keys: np.ndarray | None,
           params: list[Any] | None) -> tuple[str, dict[str, np.ndarray]]:
    """(the range method used, {low, high, median, low_se, high_se}) of every asset."""
    n = len(pf)
    nan = np.full(n, np.nan)
    out = {"low": nan, "high": nan, "median": nan, "low_se": nan, "high_se": nan}
    if rm == "monte_carlo":
        if fns is None:
            fns = default_methods(snap, names)
        if any(m not in fns for j, m in enumerate(names) if (Wv[:, j] > 0).any()):
            rm = "mixture"
    if not n:
        return rm, out
    if rm == "monte_carlo":
        _check_coverage(cov)
        keys = asset_keys_of(pf) if keys is None else keys
        ps = params if params is not None else default_params(cfg, getattr(snap, "models", None))
        on = [j for j, m in enumerate(names) if m in fns]  # type: ignore[operator]
        gr = _guided_columns(pf, {names[j]: fns[names[j]] for j in on},  # type: ignore[index]
                             np.nan_to_num(Wv[:, on]), cov, D, keys, ps, evaluated=evaluated, medians=False)
        out.update({k: gr[k] for k in out})
    else:
        # (the three quantiles in one call: the weights and the rows' kinds derived once)
        out["low"], out["high"], out["median"] = mixture_quantiles(
            t.est, t.lo, t.hi, covm, Wv, [(1 - cov) / 2, (1 + cov) / 2, np.full(n, 0.5)])
    return rm, out


def combine_columns(pf: Portfolio, results: Mapping[str, MethodResult], snap: Any, cfg: Mapping[str, Any], *,
                    methods: Mapping[str, MethodFn] | None = None, range_method_: str | None = None,
                    draws: int | None = None, evaluated: Mapping[str, Drawn] | None = None,
                    table: Table | None = None, weighted: tuple[np.ndarray, dict[str, np.ndarray]] | None = None,
                    keys: np.ndarray | None = None, params: list[Any] | None = None
                    ) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """One value an asset per column: ``estimate``, ``low``, ``high``, ``coverage``,
    ``range_method``, ``band_low``/``band_high`` (floating band around the estimate), the
    bounds' Monte Carlo standard errors, and per approach ``<m>_estimate``, ``<m>_low``,
    ``<m>_high``, ``<m>_weight``, ``<m>_applicable``, ``<m>_reason_zh``, ``<m>_reason_en``;
    and the weights metadata. ``table``, ``weighted`` (:func:`.weights.weights`), ``keys``
    and ``params``: already derived by the caller."""
    names = names_of(results)
    n = len(pf)
    t = table if table is not None else approach_table(pf, results, names)
    covm = np.array([float((results[m].params or {}).get("coverage", float(setting(cfg, "coverage"))))
                     for m in names])
    Wv, meta = weighted if weighted is not None else weights(pf, t.app, cfg, names)
    point = np.where(t.app.any(axis=1), np.nansum(np.where(Wv > 0, Wv * np.nan_to_num(t.est), 0.0), axis=1), np.nan)
    cov = coverage_of(pf, cfg)
    D = int(draws if draws is not None else setting(cfg, "draws"))
    rm = range_method(cfg, n, D, range_method_)
    rm, r = _range(pf, t, Wv, names, covm, cov, D, rm, dict(methods) if methods is not None else None,
                   snap, cfg, evaluated, keys, params)
    if setting(cfg, "point") == "median":
        point = np.where(np.isnan(point), np.nan, r["median"])
    none = np.isnan(point)
    b = band(point, config=cfg)
    cols: dict[str, Any] = {
        "low_se": r["low_se"], "high_se": r["high_se"], "estimate": point,
        "low": np.where(none, np.nan, r["low"]), "high": np.where(none, np.nan, r["high"]),
        "coverage": np.where(none, np.nan, cov), "median": r["median"],
        "range_method": text_where(~none, rm, ""), "band_low": b["low"], "band_high": b["high"],
        "weights_source": np.asarray(meta["weights_source"], dtype=object)}
    no_app = ~t.app.any(axis=1)
    cols["reason_zh"] = text_where(no_app, "没有适用的评估方法，无法形成结论（第二十条）", "")
    cols["reason_en"] = text_where(no_app, "no applicable approach: no conclusion can be formed (art. 20)", "")
    for j, m in enumerate(names):
        cols[f"{m}_estimate"], cols[f"{m}_low"], cols[f"{m}_high"] = t.est[:, j], t.lo[:, j], t.hi[:, j]
        cols[f"{m}_weight"] = np.where(t.app[:, j], Wv[:, j], np.nan)
        cols[f"{m}_applicable"] = t.app[:, j]
        cols[f"{m}_reason_zh"], cols[f"{m}_reason_en"] = t.reasons[m]
    return cols, meta
