"""Sensitivity analysis of any value function ``f(pf) -> Series of estimates``.

* :func:`tornado` — one-at-a-time: each parameter at its low and high value (10 % / 90 %
  quantiles of its distribution, or the card's value ± x %), the others at the card's values;
* :func:`grid` — two-way grid (e.g. discount rate × terminal growth);
* :func:`sobol` — global variance-based indices (Saltelli/Sobol' sampling and estimators of
  SALib). First-order S1 and total ST per asset and parameter.

Every evaluation is vectorised: each parameter value of each asset is a row of perturbed
inputs (:func:`valuation.pricing.perturbed.evaluate`) and ``f`` runs once over all rows.
Parameters are :class:`~valuation.pricing.params.Param` objects; names of the defaults of
``models/reconcile.yaml`` (``income_discount_rate`` ...) are accepted too.
These analyses support the disclosure of important parameters (CAS 2023 art. 27) and the
explanation of differences between approaches (art. 24).
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from ..core.errors import RefusedError
from ..core.portfolio import Portfolio
from ..core.result_frames import empty_frame, estimates, frame_of
from .params import Param
from .perturbed import evaluate
from .uncertainty import default_params

__all__ = ["grid", "method_value", "resolve_params", "sobol", "tornado", "tornado_columns",
           "tornado_many_columns"]

# values aligned with the rows (an array or a Series), or an approach's result (a MethodFn; an
# ApproachRun of weights.default_methods runs by its contract on the rows: pricing/perturbed.py)
ValueFn = Callable[[Portfolio], Any]


def evaluate_values_many(fs: Sequence[ValueFn], pf: Portfolio, params: Sequence[Param],
                         values: Sequence[np.ndarray]) -> list[np.ndarray]:
    """Each value function on the assets × K rows where parameter j takes ``values[j]`` (n, K)
    (NaN: the card's value), one run each; (n, K) values per function."""
    n = len(pf)
    K = values[0].shape[1] if len(values) else 1
    pos = np.repeat(np.arange(n), K)
    runs = evaluate(fs, pf, pos, params, [np.asarray(v, float).reshape(n * K) for v in values])
    return [r.values.reshape(n, K) for r in runs]


def evaluate_values(f: ValueFn, pf: Portfolio, params: Sequence[Param], values: Sequence[np.ndarray]) -> np.ndarray:
    """:func:`evaluate_values_many` of one value function."""
    return evaluate_values_many([f], pf, params, values)[0]


def method_value(fn: Callable[[Portfolio], Any]) -> ValueFn:
    """Wrap a method (``pf -> MethodResult``) as a value function (NaN where not applicable)."""
    def f(pf: Portfolio) -> np.ndarray:
        return estimates(fn(pf), pf.index)
    return f


def resolve_params(params: Sequence[Param | str] | None, *, method: str | None = None,
                   config: Mapping[str, Any] | None = None) -> list[Param]:
    defaults = {p.name: p for p in default_params(config)}
    if params is None:
        return [p for p in defaults.values() if method is None or p.method == method]
    out = []
    for p in params:
        if isinstance(p, Param):
            out.append(p)
        elif p in defaults:
            out.append(defaults[p])
        else:
            raise RefusedError(f"未知参数 {p!r}", f"unknown parameter {p!r}", field="parameter", value=p,
                               allowed=", ".join(defaults))
    return out


def _value_range(p: Param, nominal: np.ndarray, quantiles: tuple[float, float],
                 rel: float | None) -> tuple[np.ndarray, np.ndarray]:
    if rel is not None:
        base = nominal if p.kind in ("column", "discount") else np.ones_like(nominal)
        lo, hi = base * (1 - rel), base * (1 + rel)
        c_lo, c_hi = p.clip
        if c_lo is not None or c_hi is not None:
            lo, hi = np.clip(lo, c_lo, c_hi), np.clip(hi, c_lo, c_hi)
        return lo, hi
    u = np.repeat(np.array([[quantiles[0], quantiles[1]]]), len(nominal), axis=0)
    v = p.values_at(nominal, u)
    return v[:, 0], v[:, 1]


def tornado(f: ValueFn, pf: Portfolio, params: Sequence[Param | str] | None = None, *,
            quantiles: tuple[float, float] = (0.10, 0.90), rel: float | None = None,
            config: Mapping[str, Any] | None = None) -> Any:
    """One-at-a-time sensitivity (tornado) of ``f`` for every asset.

    Each parameter p takes its low and high value — the ``quantiles`` of its distribution
    around the card's value, or the card's value × (1 ∓ ``rel``) — while the others keep the
    card's values. One evaluation of ``f`` over the n × (1 + 2P) rows.

    Returns
    -------
    Long frame: asset_id, parameter, method, label_zh, label_en, base_value, low_input,
    high_input, value_at_low, value_at_high, swing = |value_at_high − value_at_low|,
    swing_pct = swing / |base_value|; sorted by asset and descending swing. Parameters absent
    on a card (NaN) have swing 0 and ``present`` False.
    """
    ps = resolve_params(params, config=config)
    if not len(ps):
        return empty_frame(["asset_id", "parameter", "swing", "swing_pct"])
    return frame_of(tornado_columns(f, pf, ps, quantiles=quantiles, rel=rel))


def tornado_columns(f: ValueFn, pf: Portfolio, ps: Sequence[Param], *,
                    quantiles: tuple[float, float] = (0.10, 0.90), rel: float | None = None
                    ) -> dict[str, np.ndarray]:
    """The columns of :func:`tornado`'s frame as arrays (``ps``: at least one parameter)."""
    nominals, ranges, vals = _slots(pf, ps, quantiles, rel)
    Y = evaluate_values(f, pf, ps, vals)
    return _tornado_columns(pf.index, ps, nominals, ranges, Y)


def tornado_many_columns(fs: Sequence[ValueFn], groups: Sequence[Sequence[Param]], pf: Portfolio, *,
                         quantiles: tuple[float, float] = (0.10, 0.90), rel: float | None = None
                         ) -> list[dict[str, np.ndarray]]:
    """:func:`tornado_columns` of several value functions (each with its own parameters) on the
    same portfolio, sharing ONE slot layout: every parameter of every function gets its low and
    high slot, each function runs once and reads its own slots. The values are those of
    separate :func:`tornado_columns` calls (the approaches are row-wise: a row's value does not
    depend on the other rows). No parameter shared by two functions; at least one parameter
    each. Functions must not modify the portfolio they are given (methods are pure)."""
    allp = [p for g in groups for p in g]
    nominals, ranges, vals = _slots(pf, allp, quantiles, rel)
    out, start = [], 0
    for f, g in zip(fs, groups):
        # each function with its own parameters only: the others' are NaN on every slot it reads
        Y = evaluate_values(f, pf, g, vals[start:start + len(g)])
        cols = [0] + [c for j in range(start, start + len(g)) for c in (1 + 2 * j, 2 + 2 * j)]
        out.append(_tornado_columns(pf.index, g, nominals[start:start + len(g)], ranges[start:start + len(g)],
                                    Y[:, cols]))
        start += len(g)
    return out


def _slots(pf: Portfolio, ps: Sequence[Param], quantiles: tuple[float, float],
           rel: float | None) -> tuple[list[np.ndarray], list[tuple[Any, Any]], list[np.ndarray]]:
    """Nominal values, (low, high) ranges and the (n, 1 + 2P) value grids of a tornado: slot 0
    keeps every parameter nominal, slots 1 + 2j and 2 + 2j set parameter j to its low / high."""
    n, K = len(pf), 1 + 2 * len(ps)
    nominals = [p.nominal(pf) for p in ps]
    ranges, vals = [], []
    for j, p in enumerate(ps):
        lo, hi = _value_range(p, nominals[j], quantiles, rel)
        ranges.append((lo, hi))
        v = np.full((n, K), np.nan)
        v[:, 1 + 2 * j] = lo
        v[:, 2 + 2 * j] = hi
        vals.append(v)
    return nominals, ranges, vals


def _per_asset(x: Any, n: int) -> np.ndarray:
    """``x`` as n floats (one value for every asset, or already one an asset)."""
    a = np.asarray(x, dtype=float)
    return a if a.shape == (n,) else np.full(n, a)


def _tornado_columns(index: Any, ps: Sequence[Param], nominals: Sequence[np.ndarray],
                     ranges: Sequence[tuple[np.ndarray, np.ndarray]], Y: np.ndarray
                     ) -> dict[str, np.ndarray]:
    """The columns of :func:`tornado`'s frame (P ≥ 1) as arrays, rows in the frame's order
    (the art. 24 explanation reads them without building the frame)."""
    n, P = len(index), len(ps)
    base = Y[:, 0]
    ids = [str(a) for a in index.tolist()]
    # one long frame, parameter-major like a concatenation of one block per parameter, built
    # in one construction (not a frame per parameter, a concat and a two-key sort)
    ylo, yhi = Y[:, 1::2].T, Y[:, 2::2].T                       # (P, n)
    present = ~np.isnan(np.stack(nominals))
    swing = np.where(present, np.abs(yhi - ylo), 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        pct = swing / np.abs(base)[None, :]
    rep = lambda xs: np.repeat(np.array(xs, dtype=object), n)  # noqa: E731
    refs = np.empty(n * P, dtype=object)
    refs[:] = [list(p.references) for p in ps for _ in range(n)]
    cols = {
        "asset_id": np.tile(np.asarray(ids, dtype=object), P), "parameter": rep([p.name for p in ps]),
        "method": rep([p.method or "" for p in ps]), "label_zh": rep([p.label_zh for p in ps]),
        "label_en": rep([p.label_en for p in ps]), "present": present.ravel(),
        "base_value": np.tile(base, P), "nominal": np.concatenate(nominals).astype(float),
        "low_input": np.concatenate([_per_asset(r[0], n) for r in ranges]),
        "high_input": np.concatenate([_per_asset(r[1], n) for r in ranges]),
        "value_at_low": ylo.ravel(), "value_at_high": yhi.ravel(), "swing": swing.ravel(),
        "swing_pct": pct.ravel(), "references": refs}
    # by asset (in portfolio order), then descending swing (NaN last), stable
    o = np.tile(np.arange(n), P)
    sw = swing.ravel()
    order = np.lexsort((np.where(np.isnan(sw), np.inf, -sw), np.isnan(sw), o))
    return {k: v[order] for k, v in cols.items()}


def grid(f: ValueFn, pf: Portfolio, p1: Param | str, values1: Sequence[float], p2: Param | str,
         values2: Sequence[float], *, config: Mapping[str, Any] | None = None) -> Any:
    """Two-way grid: ``f`` for every pair (v1, v2) of the two parameters' values (absolute
    values for columns and the discount rate; factors for streams and outputs), all assets
    at once. Returns a long frame asset_id, <p1>, <p2>, value; pivot one asset with
    ``df[df.asset_id == a].pivot(index=p1, columns=p2, values="value")``."""
    a, b = resolve_params([p1, p2], config=config)
    v1, v2 = np.asarray(values1, float), np.asarray(values2, float)
    g1, g2 = np.meshgrid(v1, v2, indexing="ij")
    g1, g2 = g1.ravel(), g2.ravel()
    n = len(pf)
    Y = evaluate_values(f, pf, [a, b], [np.tile(g1, (n, 1)), np.tile(g2, (n, 1))])
    K = len(g1)
    return frame_of({"asset_id": np.repeat(pf.index.astype(str).to_numpy(), K),
                     a.name: np.tile(g1, n), b.name: np.tile(g2, n), "value": Y.ravel()})


def sobol(f: ValueFn, pf: Portfolio, params: Sequence[Param | str] | None = None, *,
          n: int = 512, seed: int = 20231001, second_order: bool = False,
          num_resamples: int = 100, config: Mapping[str, Any] | None = None) -> Any:
    """Global Sobol' indices of ``f`` per asset (SALib: Sobol' sequence with Saltelli's
    scheme, Jansen/Saltelli estimators).

    The unit-hypercube sample of SALib is mapped through each parameter's inverse CDF
    (around each asset's card values), ``f`` is evaluated once over the ``n × (P + 2)`` rows
    of each asset, and the indices are estimated per asset.

    Returns
    -------
    Long frame asset_id, parameter, S1, S1_conf, ST, ST_conf.
    """
    from SALib.analyze import sobol as sobol_analyze
    from SALib.sample import sobol as sobol_sample

    ps = resolve_params(params, config=config)
    P = len(ps)
    if P < 2:
        raise RefusedError("Sobol 指数至少需要 2 个参数", "Sobol indices need at least 2 parameters",
                           field="params", value=P, allowed=">= 2")
    if n < 2 or (n & (n - 1)):
        raise RefusedError(f"样本量 n={n} 须为 2 的幂", f"sample size n={n} must be a power of 2",
                           field="n", value=n, allowed="2, 4, 8, ...")
    problem = {"num_vars": P, "names": [p.name for p in ps], "bounds": [[0.0, 1.0]] * P}
    U = sobol_sample.sample(problem, n, calc_second_order=second_order, scramble=True, seed=seed)
    U = np.clip(U, 1e-9, 1 - 1e-9)
    N = len(pf)
    vals = [p.values_at(p.nominal(pf), np.tile(U[:, j], (N, 1))) for j, p in enumerate(ps)]
    Y = evaluate_values(f, pf, ps, vals)
    rows = []
    for i, aid in enumerate(pf.index.astype(str)):
        y = Y[i]
        if np.isnan(y).any() or np.nanstd(y) == 0:
            for p in ps:
                rows.append({"asset_id": aid, "parameter": p.name, "S1": np.nan, "S1_conf": np.nan,
                             "ST": np.nan, "ST_conf": np.nan})
            continue
        Si = sobol_analyze.analyze(problem, y, calc_second_order=second_order,
                                   num_resamples=num_resamples, seed=seed, print_to_console=False)
        for j, p in enumerate(ps):
            rows.append({"asset_id": aid, "parameter": p.name, "S1": float(Si["S1"][j]),
                         "S1_conf": float(Si["S1_conf"][j]), "ST": float(Si["ST"][j]),
                         "ST_conf": float(Si["ST_conf"][j])})
    return frame_of({k: [r[k] for r in rows] for k in ("asset_id", "parameter", "S1", "S1_conf", "ST", "ST_conf")})
