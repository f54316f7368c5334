"""The Monte Carlo draws of the range and the art. 24 tornados of every approach in ONE run of
the approach over all their rows of perturbed inputs (:func:`.perturbed.evaluate`).

Rows of one approach: the D draws of each asset it weighs (the Monte Carlo's), then the
tornado's 1 + 2P slots of each asset where it applies (slot 0 every parameter at the card's
value, slots 1 + 2i / 2 + 2i parameter i at its 10 % / 90 % quantile). Approaches that only need
tornados and apply on the same assets share one set of rows. The approaches are row-wise, so
each row's value is the one separate runs give; this saves a run of each approach.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ..core.portfolio import Portfolio
from ..core.result_frames import estimates
from ..methods.base import MethodFn, MethodResult
from .combine import asset_keys_of, names_of, range_method
from .config import setting
from .params import Param
from .perturbed import evaluate
from .sampling import uniforms_lhs_many
from .sensitivity import _tornado_columns, _value_range
from .uncertainty import DISPERSION_METHODS, Drawn, default_params

__all__ = ["evaluate_together"]

Tornados = dict[str, tuple[np.ndarray, dict[str, np.ndarray]]]


class _Context:
    """What every run of :func:`evaluate_together` shares: the portfolio, the approaches
    (``reuse``: they produced ``results``, so an unperturbed run on the portfolio is read from
    there), the applicable mask and the nominal value of each parameter (read once)."""

    def __init__(self, pf: Portfolio, results: Mapping[str, MethodResult], fns: Mapping[str, MethodFn],
                 app: np.ndarray, reuse: bool):
        self.pf, self.results, self.fns, self.app, self.reuse = pf, results, fns, app, reuse
        self._nominal: dict[int, np.ndarray] = {}

    def nom(self, p: Param) -> np.ndarray:
        if id(p) not in self._nominal:
            self._nominal[id(p)] = p.nominal(self.pf)
        return self._nominal[id(p)]

    def done(self, ms: Sequence[str]) -> list[Any] | None:
        """The engine's own runs of the approaches ``ms`` on the portfolio, as (values, result)."""
        if not self.reuse:
            return None
        return [(estimates(self.results[m], self.pf.index), self.results[m]) for m in ms]

    def index_at(self, rows: np.ndarray) -> Any:
        return self.pf.index if len(rows) == len(self.pf) else self.pf.index[rows]


def _tornado_slots(ctx: _Context, rows: np.ndarray, ps: Sequence[Param], K: int, off: int, total: int
                   ) -> tuple[list[np.ndarray], list[tuple[np.ndarray, np.ndarray]], list[np.ndarray]]:
    """Tornado nominals, ranges and flat values (``total`` rows, the tornado's len(rows) × K
    block at ``off``): parameter i low / high in slots 1 + 2i, 2 + 2i."""
    noms, ranges, vals = [], [], []
    for i, p in enumerate(ps):
        x = ctx.nom(p)[rows]
        lo, hi = _value_range(p, x, (0.10, 0.90), None)
        noms.append(x)
        ranges.append((lo, hi))
        v = np.full((len(rows), K), np.nan)
        v[:, 1 + 2 * i] = lo
        v[:, 2 + 2 * i] = hi
        full = np.full(total, np.nan)
        full[off:] = v.ravel()
        vals.append(full)
    return noms, ranges, vals


def _draws_and_tornado(ctx: _Context, j: int, m: str, rows_mc: np.ndarray, rows_t: np.ndarray,
                       ps_mc: list[Param], ps_t: list[Param], D: int, keys: np.ndarray,
                       mc: dict[str, Drawn], tor: Tornados) -> None:
    """One run of approach ``m`` over its draw rows and its tornado rows."""
    K = 1 + 2 * len(ps_t)
    pos = np.concatenate([np.repeat(rows_mc, D), np.repeat(rows_t, K)])
    off, total = len(rows_mc) * D, len(pos)
    vals = []
    U = uniforms_lhs_many(keys[rows_mc], D, [p.stream for p in ps_mc])    # (P, assets, D)
    for p, u in zip(ps_mc, U):
        full = np.full(total, np.nan)
        full[:off] = p.values_at(ctx.nom(p)[rows_mc], u).ravel()
        vals.append(full)
    noms, ranges, tvals = _tornado_slots(ctx, rows_t, ps_t, K, off, total)
    # a parameter of both the draws and the tornado is applied once: its values there are on
    # disjoint rows (NaN elsewhere)
    ps_all, vals_all = list(ps_mc), list(vals)
    for p, v in zip(ps_t, tvals):
        k = next((i for i, q in enumerate(ps_all) if q is p), None)
        if k is None:
            ps_all.append(p)
            vals_all.append(v)
        else:
            vals_all[k] = np.where(np.isnan(v), vals_all[k], v)
    disperse = m in DISPERSION_METHODS
    (run,) = evaluate([ctx.fns[m]], ctx.pf, pos, ps_all, vals_all, on_portfolio=ctx.done([m]))
    Y = run.values
    band = None
    if disperse:
        band = tuple(run.column(k)[:off].reshape(len(rows_mc), D) for k in ("estimate", "low", "high"))
    mc[m] = Drawn(rows_mc, Y[:off].reshape(len(rows_mc), D), band, run.coverage(0.8))  # type: ignore[arg-type]
    if len(rows_t):
        tor[m] = (ctx.app[:, j].copy(), _tornado_columns(ctx.index_at(rows_t), ps_t, noms, ranges,
                                                          Y[off:].reshape(len(rows_t), K)))


def _tornados_only(ctx: _Context, names: Sequence[str], group: list[tuple[str, list[Param]]], tor: Tornados) -> None:
    """The tornados of approaches applicable on the same assets and weighed on none: one slot
    layout for all of them (one per approach when they share a parameter)."""
    allp = [p for _, ps in group for p in ps]
    runs = [[g] for g in group] if len({id(p) for p in allp}) < len(allp) else [group]
    for run in runs:
        j = names.index(run[0][0])
        rows_t = np.flatnonzero(ctx.app[:, j])
        allp = [p for _, ps in run for p in ps]
        K = 1 + 2 * len(allp)
        pos_t = np.repeat(rows_t, K)
        noms, ranges, tvals = _tornado_slots(ctx, rows_t, allp, K, 0, len(pos_t))
        start = 0
        for m, ps in run:
            # each approach with its own parameters only: the others' are NaN on every slot it reads
            own = slice(start, start + len(ps))
            (r,) = evaluate([ctx.fns[m]], ctx.pf, pos_t, ps, tvals[own],
                            on_portfolio=ctx.done([m]))
            Y = r.values.reshape(len(rows_t), K)
            cols = [0] + [c for i in range(start, start + len(ps)) for c in (1 + 2 * i, 2 + 2 * i)]
            tor[m] = (ctx.app[:, j].copy(), _tornado_columns(ctx.index_at(rows_t), ps, noms[start:start + len(ps)],
                                                              ranges[start:start + len(ps)], Y[:, cols]))
            start += len(ps)


def evaluate_together(pf: Portfolio, results: Mapping[str, MethodResult], snap: Any, cfg: Mapping[str, Any],
                      fns: Mapping[str, MethodFn], range_method_: str | None, draws: int | None,
                      app: np.ndarray, W: np.ndarray, reuse: bool = False, *, keys: np.ndarray | None = None,
                      params: list[Any] | None = None) -> tuple[dict[str, Drawn], Tornados]:
    """({approach: its Monte Carlo draws}, {approach: (applicable mask, tornado columns)});
    nothing when the range is not by Monte Carlo. ``app``, ``W``: the (assets × approaches)
    applicable booleans and weights; ``reuse``: ``fns`` produced ``results`` (the engine's
    runs); ``keys``, ``params``: the assets' random keys and the uncertain parameters."""
    names = names_of(results)
    n = len(pf)
    if not n:
        return {}, {}
    D = int(draws if draws is not None else setting(cfg, "draws"))
    if range_method(cfg, n, D, range_method_) != "monte_carlo":
        return {}, {}
    Wv = np.nan_to_num(W)
    if any(m not in fns for j, m in enumerate(names) if (Wv[:, j] > 0).any()):
        return {}, {}
    keys = asset_keys_of(pf) if keys is None else keys
    params_all = params if params is not None else default_params(cfg, getattr(snap, "models", None))
    ctx = _Context(pf, results, fns, app, reuse)
    mc: dict[str, Drawn] = {}
    tor: Tornados = {}
    only_tornado: dict[bytes, list[tuple[str, list[Param]]]] = {}
    for j, m in enumerate(names):
        if m not in fns:
            continue
        rows_mc = np.flatnonzero(Wv[:, j] > 0)
        ps_t = [p for p in params_all if p.method == m]
        rows_t = np.flatnonzero(app[:, j]) if ps_t else np.zeros(0, dtype=np.intp)
        if len(rows_mc):
            ps_mc = [p for p in params_all if p.method in (m, None)]
            _draws_and_tornado(ctx, j, m, rows_mc, rows_t, ps_mc, ps_t, D, keys, mc, tor)
        elif len(rows_t):
            only_tornado.setdefault(app[:, j].tobytes(), []).append((m, ps_t))
    for group in only_tornado.values():
        _tornados_only(ctx, names, group, tor)
    return mc, tor
