"""Guided price range (指导价区间) by Monte Carlo, and the base-price floating band.

The range is the central band of stated coverage (``engagement.coverage``, default 80 %) of
the distribution of the reconciled value, combining

* **parameter uncertainty**: the uncertain inputs of each approach (:class:`Param`, defaults
  in ``models/reconcile.yaml`` ``uncertainty``; distributions of the model library override)
  are drawn ``D`` times per asset;
* **comparable dispersion**: for approaches whose own ``low``/``high`` measure the spread of
  the evidence (the market approach: the spread of the adjusted comparable prices), each draw
  also samples from that band (two-piece lognormal through low, estimate, high);
* **disagreement between approaches**: each draw comes from one approach chosen with
  probability equal to its weight (a mixture over methods), so approaches that disagree widen
  the range (CAS 2023 art. 24 asks for the difference to be explained, not hidden).

Vectorised over assets × draws: each draw of an asset is a row of perturbed inputs
(:func:`valuation.pricing.perturbed.evaluate`: the drawn inputs as arrays, no copy of the
assets table), each approach runs **once** over all rows, and the result is reshaped to
(assets × draws). Draws are Latin-hypercube stratified per parameter (lower noise of the range
for a given number of draws) and reproducible: a pure function of the engagement seed, the
parameter's stream and the draw number — never of the other assets in the batch, nor of the
asset's id (:mod:`.sampling`).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import special

from ..core.errors import RefusedError
from ..core.portfolio import Portfolio
from ..core.result_frames import frame_of
from ..methods.base import MethodFn
from .config import reconcile_config, setting
from .params import Param, params_from_config
from .perturbed import Run, evaluate
from .sampling import asset_keys, uniforms_lhs

__all__ = [
    "DISPERSION_METHODS",
    "band",
    "default_params",
    "guided_range",
    "method_draws",
    "mixture_quantiles",
    "row_quantiles",
    "two_piece_quantile",
]

DISPERSION_METHODS = ("market",)


@dataclass(frozen=True)
class Drawn:
    """The Monte Carlo draws of one approach already run (with the art. 24 tornado, by
    :mod:`.together`): values (len(rows), D) on the asset positions ``rows``; for an approach
    dispersed by its own band, that band at the draws and its coverage."""

    rows: np.ndarray
    values: np.ndarray
    band: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
    coverage: float = 0.8


_PARSED: dict[tuple[int, int], tuple[Any, Any, list[Param]]] = {}


def default_params(config: Mapping[str, Any] | None = None, models: Mapping[str, Any] | None = None,
                   method: str | None = None) -> list[Param]:
    """Uncertain parameters of ``models/reconcile.yaml`` (optionally of one approach). Parsed
    once per (``uncertainty`` list, model library) object — a snapshot's, read-only — and kept
    (the cache holds both, so their ids are not reused while cached); a new list each call."""
    cfg = config if config is not None else reconcile_config()
    entries = cfg.get("uncertainty") or []
    key = (id(entries), id(models))
    kept = _PARSED.get(key)
    if kept is None or kept[0] is not entries or kept[1] is not models:
        if len(_PARSED) > 32:
            _PARSED.clear()
        kept = _PARSED[key] = (entries, models, params_from_config(entries, models))
    return [p for p in kept[2] if method is None or p.method == method]


# --------------------------------------------------------------------------- floating band
def band(base: Any, d_up: float | None = None, d_down: float | None = None, *,
         config: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Base price ± floating band: ``[base × (1 − d_down), base × (1 + d_up)]``.

    The national 65号 mechanism is a price cap, not base ± float; localities that use a
    floating band set ``d_up``/``d_down``. Default ±10 % is an engineering default
    (``models/reconcile.yaml`` band_up / band_down, ENG.default), not regulation.
    Works on scalars and arrays.
    """
    cfg = config if config is not None else reconcile_config()
    up = float(setting(cfg, "band_up") if d_up is None else d_up)
    down = float(setting(cfg, "band_down") if d_down is None else d_down)
    for name, v in (("d_up", up), ("d_down", down)):
        if not (0.0 <= v <= 1.0) or np.isnan(v):
            raise RefusedError(f"浮动幅度 {name}={v} 须在 0 到 1 之间", f"floating band {name}={v} must be within 0..1",
                               field=name, value=v, allowed="0 ≤ d ≤ 1")
    b = np.asarray(base, dtype=float)
    lo, hi = b * (1 - down), b * (1 + up)
    scalar = np.ndim(base) == 0
    return {"base": float(b) if scalar else b, "low": float(lo) if scalar else lo,
            "high": float(hi) if scalar else hi, "d_up": up, "d_down": down,
            "references": ["ENG.default"]}


# --------------------------------------------------------------------------- distributions
def _z(coverage: np.ndarray | float) -> np.ndarray:
    return special.ndtri(0.5 + np.asarray(coverage, float) / 2)


def two_piece_quantile(est: np.ndarray, low: np.ndarray, high: np.ndarray,
                       coverage: np.ndarray | float, u: np.ndarray, *, z: np.ndarray | None = None) -> np.ndarray:
    """Quantile at ``u`` of the two-piece distribution with median ``est`` and central
    ``coverage`` band [low, high]: lognormal pieces when all are positive, normal pieces
    otherwise; a point mass at ``est`` when the band is missing. Shapes broadcast. ``z``: the
    normal quantile of the coverage (``_z(coverage)``) when the caller has it already."""
    est, low, high = (np.asarray(x, float) for x in (est, low, high))
    z = _z(coverage) if z is None else z
    zu = special.ndtri(np.clip(u, 1e-12, 1 - 1e-12))
    pos = (est > 0) & (low > 0) & (high > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        sl_log = np.log(est / low) / z
        sh_log = np.log(high / est) / z
        logq = est * np.exp(np.where(zu < 0, sl_log, sh_log) * zu)
    linq = est + np.where(zu < 0, (est - low) / z, (high - est) / z) * zu
    out = np.where(pos, logq, linq)
    return np.where(np.isnan(low) | np.isnan(high), est, out)


def _two_piece_cdf(x: np.ndarray, est: np.ndarray, low: np.ndarray, high: np.ndarray,
                   z: np.ndarray) -> np.ndarray:
    pos = (est > 0) & (low > 0) & (high > 0) & (x > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        zl = np.where(x < est, np.log(x / est) / (np.log(est / low) / z),
                      np.log(x / est) / (np.log(high / est) / z))
        zn = np.where(x < est, (x - est) / ((est - low) / z), (x - est) / ((high - est) / z))
    zz = np.where(pos, zl, zn)
    point = np.isnan(low) | np.isnan(high) | (high <= low)
    out = np.where(point, (x >= est).astype(float), special.ndtr(np.nan_to_num(zz, nan=0.0,
                                                                              posinf=np.inf, neginf=-np.inf)))
    return np.where(np.isnan(est), 0.0, out)


def mixture_quantiles(est: np.ndarray, low: np.ndarray, high: np.ndarray, cov: np.ndarray,
                      weights: np.ndarray, probs: Sequence[np.ndarray]) -> list[np.ndarray]:
    """Quantiles of the weighted mixture of the approaches' two-piece distributions
    (analytic fallback of the Monte Carlo for very large batches). Arrays are (n, M);
    ``cov`` is (M,) — the coverage of each approach's own band. Bisection, vectorised.
    Give every quantile wanted in one call (``probs``): the rows' set-up is shared."""
    n = est.shape[0]
    w = np.where(np.isnan(est), 0.0, np.nan_to_num(weights))
    tot = w.sum(axis=1, keepdims=True)
    w = np.divide(w, tot, out=np.zeros_like(w), where=tot > 0)
    # A row with all its weight on one approach (the default: weight 1 on the primary one) is
    # that approach's own two-piece distribution: its quantile is closed-form. Only the mixed
    # rows need the bisection (and its bracket).
    single = (w > 0).sum(axis=1) == 1
    j = np.argmax(w, axis=1)
    r = np.arange(n)
    e1, l1, h1 = est[r, j], low[r, j], high[r, j]
    single &= np.isnan(l1) | np.isnan(h1) | (l1 < h1)
    mixed = np.flatnonzero(~single)
    one = np.flatnonzero(single)
    e1, l1, h1 = e1[one], l1[one], h1[one]
    # the coverage's normal quantile once per approach, taken per row (not once per row and
    # quantile) and by the mixed rows' bracket and bisection
    zc = _z(cov)
    z1 = np.broadcast_to(zc, est.shape)[r[one], j[one]] if n else np.zeros(0)
    if len(mixed):
        wm, em, lm, hm = w[mixed], est[mixed], low[mixed], high[mixed]
        zm = zc[None, :] * np.ones((len(mixed), 1))
        lo_b = np.nanmin(np.where(wm > 0, two_piece_quantile(em, lm, hm, None, 1e-7, z=zm), np.nan), axis=1)
        hi_b = np.nanmax(np.where(wm > 0, two_piece_quantile(em, lm, hm, None, 1 - 1e-7, z=zm), np.nan), axis=1)
    out = []
    for p in probs:
        p = np.broadcast_to(np.asarray(p, float), (n,))
        q = np.full(n, np.nan)
        q[one] = two_piece_quantile(e1, l1, h1, None, p[one], z=z1)
        if len(mixed):
            a, b = lo_b.copy(), hi_b.copy()
            pm = p[mixed]
            for _ in range(80):
                mid = (a + b) / 2
                F = (wm * _two_piece_cdf(mid[:, None], em, lm, hm, zm)).sum(axis=1)
                below = F < pm
                a = np.where(below, mid, a)
                b = np.where(below, b, mid)
            q[mixed] = (a + b) / 2
        out.append(np.where(tot[:, 0] > 0, q, np.nan))
    return out


def row_quantiles(V: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Per-row quantile ``q[i]`` (linear interpolation) of (n, D) ignoring NaN."""
    return _sorted_quantiles(*_sorted_rows(V), q)


def quantile_se(S: np.ndarray, count: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Monte Carlo standard error of the per-row quantile ``q`` of sorted draws ``S`` (valid
    ``count`` per row): SE = √(q(1−q)/D) / f(x_q), the density from the spacing of the order
    statistics ±m = ⌈√D⌉ around it — 1/f ≈ D (x₍ₖ₊ₘ₎ − x₍ₖ₋ₘ₎) / (2m) (Maritz–Jarrett style,
    the i.i.d. formula: an upper bound for the Latin-hypercube draws). ``q``: one per row, or
    (k, rows) for k quantiles at once (then (k, rows) errors)."""
    n = S.shape[0]
    q = np.asarray(q, float)
    if q.ndim < 2:
        q = np.broadcast_to(q, (n,))
    out = np.full(q.shape, np.nan)
    for D in np.unique(count[count > 2]):
        rows = np.flatnonzero(count == D)
        D = int(D)
        m = max(1, int(np.ceil(np.sqrt(D))))
        qr = q[..., rows]
        k = np.clip(np.round(qr * (D - 1)).astype(int), 0, D - 1)
        a, b = np.clip(k - m, 0, D - 1), np.clip(k + m, 0, D - 1)
        span = S[rows, b] - S[rows, a]
        out[..., rows] = np.sqrt(qr * (1 - qr) / D) * D * span / np.maximum(b - a, 1)
    return out


def _sorted_rows(V: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(each row of ``V`` sorted, NaN last; its number of non-NaN values): what
    :func:`row_quantiles` needs, worked out once for several quantiles of the same rows."""
    return np.sort(V, axis=1), (~np.isnan(V)).sum(axis=1)


def _sorted_quantiles(S: np.ndarray, m: np.ndarray, q: np.ndarray) -> np.ndarray:
    """:func:`row_quantiles` from the rows of :func:`_sorted_rows`; ``q`` one per row, or
    (k, rows) for k quantiles of the same rows at once."""
    n = S.shape[0]
    pos = np.clip(np.asarray(q, float) * (m - 1), 0, None)
    lo = np.floor(pos).astype(int)
    hi = np.minimum(lo + 1, np.maximum(m - 1, 0))
    r = np.arange(n)
    frac = pos - lo
    with np.errstate(invalid="ignore"):
        val = S[r, np.minimum(lo, S.shape[1] - 1)] * (1 - frac) + S[r, np.minimum(hi, S.shape[1] - 1)] * frac
    return np.where(m > 0, val, np.nan)


# --------------------------------------------------------------------------- Monte Carlo
def draw_values(pf: Portfolio, params: Sequence[Param], draws: int, keys: np.ndarray) -> list[np.ndarray]:
    """The drawn values (n, draws) of each parameter (Latin hypercube, per-asset keys)."""
    return [p.values_at(p.nominal(pf), uniforms_lhs(keys, draws, p.stream)) for p in params]


def method_draws(pf: Portfolio, fn: MethodFn, params: Sequence[Param], draws: int,
                 keys: np.ndarray, *, dispersion: bool = False, coverage: float = 0.8,
                 stream: int = 500) -> np.ndarray:
    """(n, draws) values of one approach: its parameters drawn around the card's values,
    one run of ``fn`` over the n × draws rows of perturbed inputs; with ``dispersion`` each
    draw also samples the approach's own band (comparable dispersion)."""
    n = len(pf)
    vals = draw_values(pf, params, draws, keys)
    pos = np.repeat(np.arange(n), draws)
    (run,) = evaluate([fn], pf, pos, params, [v.ravel() for v in vals])
    V = run.values.reshape(n, draws)
    if not dispersion:
        return V
    return dispersed(V, run_band(run, n, draws), run.coverage(coverage), keys, draws, stream)


def run_band(run: Run, n: int, draws: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(estimate, low, high), each (n, draws), of the run's result at its rows."""
    return tuple(run.column(k).reshape(n, draws) for k in ("estimate", "low", "high"))  # type: ignore[return-value]


def dispersed(V: np.ndarray, band: tuple[np.ndarray, np.ndarray, np.ndarray], cov: float,
              keys: np.ndarray, draws: int, stream: int) -> np.ndarray:
    """Each draw ``V`` sampled from the approach's own band around it: the two-piece
    distribution through (V × low / estimate, V, V × high / estimate) at uniforms of
    ``stream`` (comparable dispersion, CAS 2023 art. 23)."""
    est0, low, high = band
    ratio_lo = (low / est0)
    ratio_hi = (high / est0)
    u = uniforms_lhs(keys, draws, stream)
    with np.errstate(invalid="ignore", divide="ignore"):
        return two_piece_quantile(V, V * ratio_lo, V * ratio_hi, cov, u)


def guided_range(pf: Portfolio, methods: Mapping[str, MethodFn],
                 weights: Any = None, *,
                 coverage: float | np.ndarray | None = None, draws: int | None = None,
                 seed: int | np.ndarray | None = None, params: Sequence[Param] | None = None,
                 point: str | None = None, config: Mapping[str, Any] | None = None,
                 dispersion_methods: Sequence[str] = DISPERSION_METHODS,
                 return_draws: bool = False,
                 evaluated: Mapping[str, Drawn] | None = None
                 ) -> Any:
    """Guided range of every asset by Monte Carlo (see module docstring).

    Parameters
    ----------
    methods : approach name → function ``pf -> MethodResult`` (e.g. ``cost.appraise`` with
        its parameters bound).
    weights : (assets × approaches) frame or one mapping for all assets; default equal over
        the approaches given. Rows are renormalised over the approaches with a value.
    coverage : stated coverage (default: ``engagement.coverage`` of each asset, else 80 %).
    seed : default ``engagement.seed`` of each asset.
    point : ``median`` (default) or ``mean``.

    Returns
    -------
    DataFrame indexed by asset with ``estimate`` (point), ``low``, ``high``, ``coverage``,
    ``median``, ``mean``, ``draws`` (valid draws) and ``<m>_median`` per approach.
    With ``return_draws`` also the (n, D) array of reconciled draws.
    """
    cfg = config if config is not None else reconcile_config()
    D = int(draws if draws is not None else setting(cfg, "draws"))
    n = len(pf)
    names = list(methods)
    cov = coverage_of(pf, cfg) if coverage is None else np.broadcast_to(np.asarray(coverage, float), (n,)).copy()
    _check_coverage(cov)
    keys = asset_keys_of(pf) if seed is None else asset_keys(pf.index, np.broadcast_to(np.asarray(seed, float), (n,)))
    allp = list(params) if params is not None else default_params(cfg)
    if weights is None:
        W = np.ones((n, len(names)))
    elif not isinstance(weights, Mapping):     # a frame (assets × approaches)
        W = weights.reindex(index=pf.index, columns=names).to_numpy(float)
    else:
        W = np.tile(np.array([float(weights.get(m, 0.0)) for m in names]), (n, 1))
    W = np.nan_to_num(W)
    cols = _guided_columns(pf, methods, W, cov, D, keys, allp, point=point,
                           dispersion_methods=dispersion_methods, evaluated=evaluated,
                           return_draws=return_draws)
    R = cols.pop("_draws", None)
    out = frame_of(cols, pf.index)
    return (out, R) if return_draws else out


def _mixture(per: Mapping[str, np.ndarray], names: Sequence[str], Wn: np.ndarray, keys: np.ndarray,
             D: int) -> np.ndarray:
    """(n, D): each draw of an asset taken from the approach it picks with probability equal
    to its weight (``Wn``, rows summing to 1 or 0): from the first approach whose cumulative
    weight reaches the draw's uniform of stream 999; an asset with one weighted approach takes
    every draw from it (the cumulative weight is 0 before it and 1 from it on: the pick is
    the same for any uniform in (0, 1), so its uniforms are not drawn)."""
    n, M = Wn.shape
    stack = np.stack([per.get(m, np.full((n, D), np.nan)) for m in names], axis=2) if names \
        else np.full((n, D, 1), np.nan)
    pick = np.repeat(np.argmax(Wn, axis=1)[:, None], D, axis=1) if M else np.zeros((n, D), dtype=np.intp)
    mixed = np.flatnonzero((Wn > 0).sum(axis=1) > 1)
    if len(mixed):
        u = uniforms_lhs(keys[mixed], D, 999)
        cum = np.cumsum(Wn[mixed], axis=1)
        pick[mixed] = np.minimum((u[:, :, None] > cum[:, None, :]).sum(axis=2), max(M - 1, 0))
    return np.take_along_axis(stack, pick[:, :, None], axis=2)[:, :, 0]


def coverage_of(pf: Portfolio, cfg: Mapping[str, Any]) -> np.ndarray:
    """Each asset's stated coverage (``engagement.coverage``), else the configured default."""
    cov = np.array(pf.columns.number("coverage"), dtype=float)
    return np.where(np.isnan(cov), float(setting(cfg, "coverage")), cov)


def asset_keys_of(pf: Portfolio) -> np.ndarray:
    """The assets' random keys from their ``engagement.seed`` (:func:`.sampling.asset_keys`)."""
    a = pf.columns
    return asset_keys(pf.index, np.array(a.number("seed")) if "seed" in a else np.zeros(len(pf)))


def _check_coverage(cov: np.ndarray) -> None:
    if np.any((cov <= 0) | (cov >= 1)):
        raise RefusedError("覆盖率须在 0 与 1 之间", "coverage must lie strictly between 0 and 1",
                           field="engagement.coverage", value=float(np.nanmin(cov)), allowed="0 < c < 1")


def _guided_columns(pf: Portfolio, methods: Mapping[str, MethodFn], W: np.ndarray, cov: np.ndarray,
                    D: int, keys: np.ndarray, allp: Sequence[Param], *, point: str | None = None,
                    dispersion_methods: Sequence[str] = DISPERSION_METHODS,
                    evaluated: Mapping[str, Drawn] | None = None,
                    return_draws: bool = False, medians: bool = True) -> dict[str, Any]:
    """The columns of :func:`guided_range` as arrays, from the resolved inputs: weights ``W``
    (assets × ``methods``, no NaN), coverage ``cov`` (checked), ``D`` draws, the assets' random
    keys and the uncertain parameters; with ``return_draws`` also ``"_draws"``, the (n, D)
    reconciled draws; without ``medians`` no ``<m>_median`` columns (a sort of each approach's
    draws: the reconciliation reads only the range and the median)."""
    n = len(pf)
    names = list(methods)
    per: dict[str, np.ndarray] = {}
    for j, m in enumerate(names):
        if not (W[:, j] > 0).any():
            continue
        sub_rows = np.flatnonzero(W[:, j] > 0)
        pre = (evaluated or {}).get(m)
        if pre is not None and np.array_equal(pre.rows, sub_rows):
            # already run (with the tornado of the explanation, the same draws)
            V = pre.values
            if m in dispersion_methods:
                V = dispersed(V, pre.band, pre.coverage, keys[sub_rows], D, 500 + j)
        else:
            sub = pf if len(sub_rows) == n else pf.subset(pf.index[sub_rows])
            ps = [p for p in allp if p.method in (m, None)]
            V = method_draws(sub, methods[m], ps, D, keys[sub_rows], dispersion=m in dispersion_methods,
                             stream=500 + j)
        full = np.full((n, D), np.nan)
        full[sub_rows] = V
        per[m] = full
    # mixture over approaches: each draw picks approach m with probability w_m (an asset with
    # one weighted approach draws only from it: its uniforms of stream 999 are not needed)
    avail = np.stack([~np.isnan(per[m]).all(axis=1) if m in per else np.zeros(n, bool) for m in names], axis=1) \
        if names else np.zeros((n, 0), bool)
    Wv = np.where(avail, W, 0.0)
    tot = Wv.sum(axis=1, keepdims=True)
    Wn = np.divide(Wv, tot, out=np.zeros_like(Wv), where=tot > 0)
    R = _mixture(per, names, Wn, keys, D)
    R = np.where(tot > 0, R, np.nan)
    S, count = _sorted_rows(R)          # sorted once for the three quantiles
    lo, hi, med = _sorted_quantiles(S, count, np.stack([(1 - cov) / 2, (1 + cov) / 2, np.full(n, 0.5)]))
    lo_se, hi_se = quantile_se(S, count, np.stack([(1 - cov) / 2, (1 + cov) / 2]))
    with np.errstate(invalid="ignore", divide="ignore"):
        # numpy's nanmean: the sum with NaN as 0 over the count of values (NaN for none)
        mean = np.where(np.isnan(R), 0.0, R).sum(axis=1) / count if D else np.full(n, np.nan)
    pt = point or "median"
    if pt not in ("median", "mean"):
        raise RefusedError(f"点估计方式 {pt!r} 不受支持", f"point estimate {pt!r} is not supported",
                           field="point", value=pt, allowed="median, mean")
    cols: dict[str, Any] = {"estimate": med if pt == "median" else mean, "low": lo, "high": hi,
                            "coverage": cov, "median": med, "mean": mean,
                            "draws": count, "low_se": lo_se, "high_se": hi_se}
    for m in names if medians else ():     # the frame is built once (not a column set per approach)
        cols[f"{m}_median"] = row_quantiles(per[m], np.full(n, 0.5)) if m in per else np.full(n, np.nan)
    if return_draws:
        cols["_draws"] = R
    return cols
