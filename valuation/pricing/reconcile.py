"""Reconciliation of the approaches into one conclusion per asset (CAS 2023 art. 24).

Weights come from ``models/reconcile.yaml`` by engagement purpose and value type (the first
matching rule wins; e.g. accounting → cost, transfer → market, licensing / financing /
pledge → income). Only applicable approaches keep weight; weights are renormalised; when no
weighted approach is applicable the rule's ``fallback`` order names the approach used. A card
may override the weights (``engagement.weights.cost|income|market``) only together with
``engagement.weights_reason`` — art. 24 forbids mechanical averaging without justification.

Conclusion: ``estimate = Σ_m w_m × P_m`` (with one weight of 1 it *is* that approach's value).
Range: the Monte Carlo guided range of :mod:`valuation.pricing.uncertainty` (parameter
uncertainty, comparable dispersion, mixture over approaches by weight) when assets × draws
is within ``mc_max_rows``; for larger batches the analytic mixture of the approaches' own
ranges. :func:`explain` gives the art. 24 explanation per asset.
"""
from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable, Mapping
from math import isfinite
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
from pandas.arrays import ArrowStringArray

from ..core.errors import Issue, RefusedError, ValidationError
from ..core.portfolio import Portfolio, _frame, _str_array
from ..core.schema import column_of
from ..methods.base import MethodResult
from ._sampling import (
    _aligned,
    _column,
    _index_at,
    _text,
    _text_is_arrow,
    _values,
    asset_keys,
    copy_index,
    evaluate_rows,
    uniforms_lhs_many,
)
from .config import reconcile_config, setting
from .sensitivity import _tornado_columns, _value_range, method_value, tornado, tornado_many
from .uncertainty import (
    DISPERSION_METHODS,
    _check_coverage,
    _guided_columns,
    band,
    default_params,
    mixture_quantiles,
)

__all__ = [
    "LABELS",
    "METHODS",
    "combine",
    "default_methods",
    "explain",
    "reconcile",
    "weights_for",
]

METHODS = ("cost", "income", "market")
LABELS = {"cost": ("成本法", "cost approach"), "income": ("收益法", "income approach"),
          "market": ("市场法", "market approach")}
PURPOSE_ZH = {"transfer": "转让", "licensing": "许可使用", "financing": "融资", "pledge": "质押",
              "accounting": "会计入账", "impairment_test": "减值测试", "capital_contribution": "作价出资",
              "public_pricing": "公共数据定价", "internal_management": "内部管理", "other": "其他"}
VALUE_TYPE_ZH = {"market": "市场价值", "investment": "投资价值", "in_use": "在用价值",
                 "liquidation": "清算价值", "other": "其他价值类型"}
MethodFn = Callable[[Portfolio], MethodResult]


# --------------------------------------------------------------------------- methods
def default_methods(snap: Any = None, names: tuple[str, ...] = METHODS) -> dict[str, MethodFn]:
    """The real approaches (``valuation.methods.<m>.appraise``) with the snapshot's
    parameters and cases bound; approaches not installed are left out."""
    out: dict[str, MethodFn] = {}
    for m in names:
        try:
            mod = importlib.import_module(f"valuation.methods.{m}")
        except ImportError:
            continue
        fn = getattr(mod, "appraise", None)
        if fn is None:
            continue
        params = snap.params_for(m) if snap is not None and hasattr(snap, "params_for") else None
        kw: dict[str, Any] = {}
        if m == "market" and snap is not None:
            kw["cases"] = getattr(snap, "cases", None)

        def bound(pf: Portfolio, _fn=fn, _p=params, _kw=kw) -> MethodResult:
            return _fn(pf, _p, trace=False, **_kw)
        if "values_only" in (getattr(inspect.unwrap(fn), "__kwdefaults__", None) or {}):
            # the approach's run for estimate and applicable only (income), for the Monte
            # Carlo's replicated rows, which read nothing else (see _evaluate_together)
            bound.values_only = lambda pf, _fn=fn, _p=params, _kw=kw: _fn(pf, _p, trace=False, values_only=True, **_kw)
        out[m] = bound
    return out


# --------------------------------------------------------------------------- weights
def _rule_match(a: Mapping[str, pd.Series], n: int, rule: Mapping[str, Any],
                _text: dict[str, list[Any]] | None = None) -> np.ndarray:
    """Rows the rule applies to, from the assets' ``purpose`` and ``value_type`` columns (those
    present, read once for all the rules); ``_text`` caches a text column's values across the
    rules."""
    m = np.ones(n, dtype=bool)
    for key, col in (("purpose", "purpose"), ("value_type", "value_type")):
        if key in rule and col in a:
            want = rule[key] if isinstance(rule[key], list) else [rule[key]]
            s = a[col]
            if len(s) <= 4096 and isinstance(s.dtype, pd.StringDtype) and all(type(w) is str for w in want):
                # text against text: a set lookup per value (isin on Arrow strings ~0.5 ms a call)
                ws = set(want)
                if _text is None or col not in _text:
                    vals = s.to_numpy(dtype=object, na_value=None).tolist()
                    if _text is not None:
                        _text[col] = vals
                else:
                    vals = _text[col]
                m &= np.array([x in ws for x in vals], dtype=bool)
            else:
                m &= (s if isinstance(s, pd.Series) else pd.Series(s)).isin(want).to_numpy(bool)
    return m


def weights_for(pf: Portfolio, applicable: pd.DataFrame, config: Mapping[str, Any] | None = None,
                names: tuple[str, ...] = METHODS) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Weights (assets × approaches) and per-asset metadata (source, rule reason, notes).

    Raises
    ------
    RefusedError
        When a card overrides weights without ``engagement.weights_reason``, or its weights
        sum to 0.
    """
    cfg = config if config is not None else reconcile_config()
    if applicable.index.equals(pf.index) and list(applicable.columns) == list(names) \
            and all(isinstance(t, np.dtype) and t.kind == "b" for t in applicable.dtypes):
        app = applicable.to_numpy(bool)     # already aligned booleans (reindex + fillna: ~1 ms)
    else:
        app = applicable.reindex(index=pf.index, columns=list(names)).fillna(False).to_numpy(bool)
    Wn, meta = _weights(pf, app, cfg, names)
    return (pd.DataFrame(Wn, index=pf.index, columns=list(names)),
            pd.DataFrame(meta, index=pf.index))


def _weights(pf: Portfolio, app: np.ndarray, cfg: Mapping[str, Any], names: tuple[str, ...]
             ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """:func:`weights_for` on the (assets × approaches) applicable booleans ``app``, as arrays:
    the weights and the metadata columns (the frames are built by :func:`weights_for` only)."""
    a = pf.assets
    n, M = len(pf), len(names)
    rules = list(cfg.get("weights") or [])
    W = np.full((n, M), np.nan)
    rank = np.full((n, M), 99.0)
    rule_no = np.full(n, -1)
    text: dict[str, list[Any]] = {}
    match_cols = {c: _text(a, c) for c in ("purpose", "value_type") if c in a.columns}
    for k, r in enumerate(rules):
        hit = _rule_match(match_cols, n, r, text) & (rule_no < 0)
        if not hit.any():
            continue
        rule_no[hit] = k
        w = r.get("weights") or {}
        W[hit] = [float(w.get(m, 0.0)) for m in names]
        fb = list(r.get("fallback") or [])
        rank[hit] = [fb.index(m) if m in fb else (50 + j if w.get(m, 0) else 99) for j, m in enumerate(names)]
    none = rule_no < 0
    W[none] = 1.0
    rank[none] = np.arange(M)
    # card override (engagement.weights.<m>) with a mandatory reason
    wcols = [column_of(f"engagement.weights.{m}") for m in names]
    rcol = column_of("engagement.weights_reason")
    given = np.column_stack([_floats_na(_column(a, c)) if c in a.columns
                             else np.full(n, np.nan) for c in wcols]) if M else np.zeros((n, 0))
    over = ~np.isnan(given).all(axis=1)
    reason = (_stripped(_text(a, rcol)) if rcol in a.columns else np.full(n, ""))
    bad = over & (reason == "")
    if bad.any():
        ids = list(pf.index[bad].astype(str))
        raise ValidationError([Issue(
            field="engagement.weights_reason", value=None, allowed="non-empty text / 非空说明",
            message_zh=f"资产 {aid}：给出了方法权重但未说明理由（engagement.weights_reason）；"
                       "第二十四条要求说明结论形成的理由，不得无理由机械加权",
            message_en=f"asset {aid}: method weights are given without engagement.weights_reason; "
                       "art. 24 requires the reason for the conclusion — weights need a justification",
            asset_id=aid) for aid in ids])
    gw = np.nan_to_num(given)
    zero = over & (gw.sum(axis=1) <= 0)
    if zero.any():
        aid = str(pf.index[np.flatnonzero(zero)[0]])
        raise RefusedError(f"资产 {aid}：方法权重之和为 0", f"asset {aid}: the method weights sum to 0",
                           field="engagement.weights", value=0.0, allowed="weights summing to > 0")
    W = np.where(over[:, None], gw, W)
    Wa = np.where(app, W, 0.0)
    tot = Wa.sum(axis=1)
    fallback = (tot <= 0) & app.any(axis=1)
    if fallback.any():
        r = np.where(app, rank, np.inf)
        first = np.argmin(r, axis=1)
        Wa[fallback] = 0.0
        Wa[np.flatnonzero(fallback), first[fallback]] = 1.0
        tot = Wa.sum(axis=1)
    Wn = np.divide(Wa, tot[:, None], out=np.zeros_like(Wa), where=tot[:, None] > 0)
    src = np.where(over, "card", "model")
    src = np.where(fallback, src + "+fallback", src)
    # per rule once, then gathered by rule number (the last slot is "no rule")
    at = np.where(rule_no >= 0, rule_no, len(rules))
    rz = np.array([r.get("reason_zh", "") for r in rules] + [""], dtype=object)[at]
    re_ = np.array([r.get("reason_en", "") for r in rules] + [""], dtype=object)[at]
    per_rule_refs = np.empty(len(rules) + 1, dtype=object)
    for k, r in enumerate([*rules, {}]):
        per_rule_refs[k] = list(r.get("references") or [])
    refs = per_rule_refs[at]          # rows of one rule share its (read-only) list
    meta = {"weights_source": src, "rule": rule_no, "rule_reason_zh": rz, "rule_reason_en": re_,
            "rule_references": refs, "weights_reason": reason}
    return Wn, meta


def _filled(s: Any) -> np.ndarray:
    """``s.fillna("").astype(str).to_numpy()`` of a Series or its text array (:func:`_text`); a
    small text column in Python."""
    if len(s) <= 4096 and isinstance(s.dtype, pd.StringDtype):
        vals = s.to_numpy(dtype=object, na_value=None).tolist()
        if all(type(x) is str or x is None for x in vals):
            out = np.empty(len(vals), dtype=object)
            out[:] = [x if x is not None else "" for x in vals]
            return out
    return (s if isinstance(s, pd.Series) else pd.Series(s)).fillna("").astype(str).to_numpy()


def _stripped(s: Any) -> np.ndarray:
    """``s.fillna("").astype(str).str.strip().to_numpy()`` of a Series or its text array
    (:func:`_text`); a small text column in Python (the pandas string pipeline costs ~0.5 ms a
    call whatever the length)."""
    if len(s) <= 4096 and isinstance(s.dtype, pd.StringDtype):
        vals = s.to_numpy(dtype=object, na_value=None).tolist()
        if all(type(x) is str or x is None for x in vals):
            out = np.empty(len(vals), dtype=object)
            out[:] = [x.strip() if x is not None else "" for x in vals]
            return out
    return (s if isinstance(s, pd.Series) else pd.Series(s)).fillna("").astype(str).str.strip().to_numpy()


# --------------------------------------------------------------------------- combine
def combine(pf: Portfolio, results: Mapping[str, MethodResult], snap: Any = None, *,
            config: Mapping[str, Any] | None = None, methods: Mapping[str, MethodFn] | None = None,
            range_method: str | None = None, draws: int | None = None) -> pd.DataFrame:
    return _combine(pf, results, snap, config=config, methods=methods, range_method=range_method,
                    draws=draws)[0]


def _names(results: Mapping[str, Any]) -> tuple[str, ...]:
    """The approaches of ``results``: the known ones in their order, then the others."""
    return tuple(m for m in METHODS if m in results) + tuple(m for m in results if m not in METHODS)


def _approaches(pf: Portfolio, results: Mapping[str, MethodResult], names: tuple[str, ...]
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[str, tuple[Any, Any]]]:
    """Each approach's result read once, aligned with the portfolio: (applicable — and with an
    estimate —, estimate, low, high), each (assets × approaches) with NaN where not
    applicable, and per approach its (reason_zh, reason_en) texts ("" where none)."""
    n = len(pf)
    est = np.full((n, len(names)), np.nan)
    lo = np.full((n, len(names)), np.nan)
    hi = np.full((n, len(names)), np.nan)
    app = np.zeros((n, len(names)), dtype=bool)
    reasons = {}
    for j, m in enumerate(names):
        f = _aligned(results[m].frame, pf.index)
        s = _column(f, "applicable")
        e = _floats(_column(f, "estimate"))
        a = (s if type(s) is np.ndarray and s.dtype == bool
             else f["applicable"].fillna(False).to_numpy(bool)) & ~np.isnan(e)
        app[:, j] = a
        est[:, j] = np.where(a, e, np.nan)
        lo[:, j] = np.where(a, _floats(_column(f, "low")), np.nan)
        hi[:, j] = np.where(a, _floats(_column(f, "high")), np.nan)
        reasons[m] = (_filled(_text(f, "reason_zh")), _filled(_text(f, "reason_en")))
    return app, est, lo, hi, reasons


def _floats(s: np.ndarray | pd.Series) -> np.ndarray:
    """``Series.to_numpy(float)`` of a column of :func:`_column` (an array or a Series)."""
    return np.asarray(s, dtype=float) if type(s) is np.ndarray else s.to_numpy(float)


def _floats_na(s: np.ndarray | pd.Series) -> np.ndarray:
    """``Series.to_numpy(dtype=float, na_value=np.nan)`` of a column of :func:`_column`."""
    return np.array(s, dtype=float) if type(s) is np.ndarray else s.to_numpy(dtype=float, na_value=np.nan)


def _combine(pf: Portfolio, results: Mapping[str, MethodResult], snap: Any = None, *,
             config: Mapping[str, Any] | None = None, methods: Mapping[str, MethodFn] | None = None,
             range_method: str | None = None, draws: int | None = None,
             evaluated: Mapping[str, tuple[Any, ...]] | None = None,
             weights: tuple[np.ndarray, dict[str, np.ndarray]] | None = None,
             table: tuple[Any, ...] | None = None, keys: np.ndarray | None = None,
             params: list[Any] | None = None
             ) -> tuple[pd.DataFrame, dict[str, np.ndarray], dict[str, Any]]:
    """One row per asset: ``estimate``, ``low``, ``high``, ``coverage``, ``range_method``,
    ``band_low``/``band_high`` (floating band around the estimate), and per approach
    ``<m>_estimate``, ``<m>_low``, ``<m>_high``, ``<m>_weight``, ``<m>_applicable``,
    ``<m>_reason_zh``, ``<m>_reason_en``.

    ``estimate = Σ w_m P_m`` over applicable approaches (CAS 2023 art. 24); with
    ``point: median`` in the configuration the Monte Carlo median instead.

    Returns the frame, the weights metadata (columns as arrays) and the frame's columns as
    arrays. ``table`` (:func:`_approaches`), ``weights`` (:func:`_weights`), ``keys`` (the
    assets' random keys) and ``params`` (the uncertain parameters): already computed by the
    caller.
    """
    cfg = config if config is not None else reconcile_config(snap)
    names = _names(results)
    n = len(pf)
    cols: dict[str, Any] = {}   # the frame is built once at the end (~30 columns)
    app, est, lo, hi, reasons = table if table is not None else _approaches(pf, results, names)
    covm = np.full(len(names), float(setting(cfg, "coverage")))
    for j, m in enumerate(names):
        covm[j] = float((results[m].params or {}).get("coverage", covm[j]))
    Wv, meta = weights if weights is not None else _weights(pf, app, cfg, names)
    point = np.where(app.any(axis=1), np.nansum(np.where(Wv > 0, Wv * np.nan_to_num(est), 0.0), axis=1), np.nan)
    a = pf.assets
    cov = _floats(_column(a, "coverage")) if "coverage" in a.columns else np.full(n, np.nan)
    cov = np.where(np.isnan(cov), float(setting(cfg, "coverage")), cov)
    D = int(draws if draws is not None else setting(cfg, "draws"))
    rm = range_method or "auto"
    fns = dict(methods) if methods is not None else None
    if rm == "auto":
        rm = "monte_carlo" if n * D <= int(setting(cfg, "mc_max_rows")) else "mixture"
    if rm == "monte_carlo":
        if fns is None:
            fns = default_methods(snap, names)
        needed = [m for j, m in enumerate(names) if (Wv[:, j] > 0).any()]
        if any(m not in fns for m in needed):
            rm = "mixture"
    low = high = np.full(n, np.nan)
    med = np.full(n, np.nan)
    cols["low_se"] = cols["high_se"] = np.full(n, np.nan)   # Monte Carlo SE of the bounds (issue 16)
    if rm == "monte_carlo" and n:
        _check_coverage(cov)
        if keys is None:
            keys = _asset_keys(pf)
        ps = params if params is not None else default_params(cfg, getattr(snap, "models", None))
        on = [j for j, m in enumerate(names) if m in fns]  # type: ignore[operator]
        gr = _guided_columns(pf, {names[j]: fns[names[j]] for j in on},  # type: ignore[index]
                             np.nan_to_num(Wv[:, on]), cov, D, keys, ps, evaluated=evaluated, medians=False)
        low, high, med = gr["low"], gr["high"], gr["median"]
        cols["low_se"], cols["high_se"] = gr["low_se"], gr["high_se"]
    elif rm == "mixture" and n:
        low, high = mixture_quantiles(est, lo, hi, covm, Wv, [(1 - cov) / 2, (1 + cov) / 2])
        med = mixture_quantiles(est, lo, hi, covm, Wv, [np.full(n, 0.5)])[0]
    elif rm not in ("monte_carlo", "mixture"):
        raise RefusedError(f"区间方法 {rm!r} 不受支持", f"range method {rm!r} is not supported",
                           field="range_method", value=rm, allowed="auto, monte_carlo, mixture")
    if setting(cfg, "point") == "median":
        point = np.where(np.isnan(point), np.nan, med)
    cols["estimate"] = point
    cols["low"] = np.where(np.isnan(point), np.nan, low)
    cols["high"] = np.where(np.isnan(point), np.nan, high)
    cols["coverage"] = np.where(np.isnan(point), np.nan, cov)
    cols["median"] = med
    cols["range_method"] = np.where(np.isnan(point), "", rm)
    b = band(point, config=cfg)
    cols["band_low"], cols["band_high"] = b["low"], b["high"]
    cols["weights_source"] = np.asarray(meta["weights_source"], dtype=object)
    none = ~app.any(axis=1)
    cols["reason_zh"] = np.where(none, "没有适用的评估方法，无法形成结论（第二十条）", "")
    cols["reason_en"] = np.where(none, "no applicable approach: no conclusion can be formed (art. 20)", "")
    for j, m in enumerate(names):
        cols[f"{m}_estimate"] = est[:, j]
        cols[f"{m}_low"] = lo[:, j]
        cols[f"{m}_high"] = hi[:, j]
        cols[f"{m}_weight"] = np.where(app[:, j], Wv[:, j], np.nan)
        cols[f"{m}_applicable"] = app[:, j]
        cols[f"{m}_reason_zh"], cols[f"{m}_reason_en"] = reasons[m]
    return _frame_of(cols, pf.index), meta, cols


def _frame_of(cols: Mapping[str, Any], index: pd.Index) -> pd.DataFrame:
    """``pd.DataFrame(cols, index=index)`` with the text columns (arrays of str) converted
    straight to what the frame infers for them (:func:`_as_text`): the inference and
    conversion cost ~70–100 µs a column, ten text columns a reconciled frame. When every
    column is then of its final kind (float or bool arrays, "str" arrays: always, but for
    text with a missing value or no rows), the frame is assembled without the constructor's
    per-column checks (:func:`~valuation.core.portfolio._frame`, the same blocks; ~0.5 ms of
    ~1 a call)."""
    out = {c: _as_text(v) for c, v in cols.items()}
    n = len(index)
    if all(type(v) is ArrowStringArray if not isinstance(v, np.ndarray)
           else v.ndim == 1 and v.dtype.kind in "fb" for v in out.values()) \
            and all(len(v) == n for v in out.values()):
        return _frame(out, index)
    return pd.DataFrame(out, index=index)


def _as_text(v: Any) -> Any:
    """A non-empty 1-D array of str as the Arrow string array (large_string, dtype ``str``)
    pandas infers for it, built by one pyarrow call; anything else as it is. Each column gets
    its own dtype instance, as the inference gives: the frame's blocks are formed in the
    same order."""
    if not (isinstance(v, np.ndarray) and v.ndim == 1 and v.dtype.kind in "OU" and len(v)) \
            or not _text_is_arrow():
        return v
    vals = v.tolist()
    if not all(type(x) is str for x in vals):
        return v
    return _str_array(pa.array(vals, type=pa.large_string()))


def _asset_keys(pf: Portfolio) -> np.ndarray:
    """The assets' random keys from their ids and ``engagement.seed``."""
    a = pf.assets
    return asset_keys(pf.index, _floats(_column(a, "seed")) if "seed" in a.columns else np.zeros(len(pf)))


def reconcile(pf: Portfolio, results: Mapping[str, MethodResult], snap: Any = None, *,
              explain: bool = False, config: Mapping[str, Any] | None = None,
              methods: Mapping[str, MethodFn] | None = None, range_method: str | None = None,
              draws: int | None = None) -> tuple[pd.DataFrame, dict[str, dict[str, Any]]]:
    """Engine entry point: (reconciled frame, {asset_id: art. 24 explanation} when
    ``explain``). Without ``methods``, ``results`` must be the snapshot's approaches run on
    ``pf`` (as :func:`valuation.engine.evaluate` runs them): the explanation reads its
    unperturbed runs from them instead of running the approaches again."""
    cfg = config if config is not None else reconcile_config(snap)
    fns = dict(methods) if methods is not None else None
    mc: dict[str, tuple[Any, ...]] = {}
    tor: dict[str, tuple[np.ndarray, dict[str, np.ndarray]]] = {}
    # what the range and the explanation both need, derived once
    names = _names(results)
    table = _approaches(pf, results, names)
    weights = _weights(pf, table[0], cfg, names)
    params = keys = None
    if explain:
        params = default_params(cfg, getattr(snap, "models", None))
        reuse = fns is None
        if fns is None:
            fns = default_methods(snap, tuple(results))
        keys = _asset_keys(pf) if len(pf) else None
        mc, tor = _evaluate_together(pf, results, snap, cfg, fns, range_method, draws, table[0], weights[0],
                                     reuse, keys=keys, params=params)
    fr, meta, cols = _combine(pf, results, snap, config=cfg, methods=fns, range_method=range_method,
                              draws=draws, evaluated=mc, weights=weights, table=table, keys=keys, params=params)
    if not explain:
        return fr, {}
    return fr, _explain(pf, results, fr, methods=fns, config=cfg, snap=snap, meta=meta, _tornados=tor,
                        _columns=cols, _params=params)


def _read_by(pf: Portfolio, ms: list[str]) -> Portfolio:
    """``pf`` with only the series, records and matrices the real approaches ``ms`` read (the
    paths starting with a prefix of their module's ``READS``; all of them when an approach
    does not declare it): a run on copies of the rows then copies no other approach's data
    (the market comparables were ~40 % of the replication for the income approach's draws)."""
    prefixes = _declared(ms, "READS")
    if prefixes is None:
        return pf
    keep = tuple(prefixes)
    return Portfolio(pf.assets, {k: v for k, v in pf.series.items() if k.startswith(keep)},
                     {k: v for k, v in pf.records.items() if k.startswith(keep)},
                     {k: v for k, v in pf.matrices.items() if k.startswith(keep)})


# copy only the assets columns the approaches declare they read (``ASSET_COLUMNS``) when running
# them on copies of the rows; the tests switch it off to check the values do not change
_TRIM_ASSETS = True


def _columns_read_by(ms: list[str]) -> list[str] | None:
    """The assets columns the real approaches ``ms`` read (their module's ``ASSET_COLUMNS``);
    None — every column — when an approach does not declare them or the trimming is off. A
    copy of 413 rows per card then copies ~45 of the ~125 columns (the text ones were ~6 % of
    an explained batch)."""
    return _declared(ms, "ASSET_COLUMNS") if _TRIM_ASSETS else None


def _declared(ms: list[str], attr: str) -> list[str] | None:
    """The names the approaches ``ms`` declare in their module's ``attr`` (``READS``,
    ``ASSET_COLUMNS``), together; None when one of them declares none (read everything)."""
    out: list[str] = []
    for m in ms:
        try:
            names = getattr(importlib.import_module(f"valuation.methods.{m}"), attr, None)
        except ImportError:
            names = None
        if names is None:
            return None
        out.extend(names)
    return out


def _evaluate_together(pf: Portfolio, results: Mapping[str, MethodResult], snap: Any,
                       cfg: Mapping[str, Any], fns: Mapping[str, MethodFn], range_method: str | None,
                       draws: int | None, app: np.ndarray, W: np.ndarray, reuse: bool = False, *,
                       keys: np.ndarray | None = None, params: list[Any] | None = None
                       ) -> tuple[dict[str, tuple[Any, ...]],
                                  dict[str, tuple[np.ndarray, dict[str, np.ndarray]]]]:
    """The Monte Carlo draws of the range and the art. 24 tornados of every approach in ONE
    run of the approach, on one replication straight from the portfolio (no subsets): the D
    draw copies of each asset it weighs (rows ``<id>~0`` … ``<id>~{D−1}``, exactly the Monte
    Carlo's), then the tornado's 1 + 2P copies of each asset where it applies. Approaches
    that only need tornados and apply on the same assets share one replication (as
    :func:`tornado_many`). The approaches are row-wise, so each row's value is the one the
    separate runs give; this saves a run of each approach, replications and subsets.
    Returns ({approach: (draw values, run, asset rows[, band of the draw rows])},
    {approach: (applicable mask, tornado columns)}); nothing when the range is not by Monte
    Carlo. ``reuse``: ``fns`` are the snapshot's approaches that produced ``results`` (the
    engine's runs), so a run on the portfolio itself is read from ``results``. ``keys``,
    ``params``: the assets' random keys and the uncertain parameters, when already derived."""
    names = _names(results)
    n = len(pf)
    if not n:
        return {}, {}
    D = int(draws if draws is not None else setting(cfg, "draws"))
    rm = range_method or "auto"
    if rm == "auto":
        rm = "monte_carlo" if n * D <= int(setting(cfg, "mc_max_rows")) else "mixture"
    if rm != "monte_carlo":
        return {}, {}
    Wv = np.nan_to_num(W)
    if any(m not in fns for j, m in enumerate(names) if (Wv[:, j] > 0).any()):
        return {}, {}
    if keys is None:
        keys = _asset_keys(pf)
    params_all = params if params is not None else default_params(cfg, getattr(snap, "models", None))
    ids = pf.index.astype(str).to_numpy(dtype=object)
    nominal: dict[int, np.ndarray] = {}

    def nom(p: Any) -> np.ndarray:
        if id(p) not in nominal:
            nominal[id(p)] = p.nominal(pf)
        return nominal[id(p)]

    def copy_ids(*blocks: tuple[np.ndarray, int, int]) -> Callable[[], pd.Index]:
        """The index of the copies ``<id>~k0`` … ``<id>~{k0+K−1}`` of each asset of ``rows``, for
        each block (rows, k0, K) in turn (:func:`copy_index`) — built when called: an approach
        whose copies are identical rows runs on the portfolio itself and needs none."""
        return lambda: copy_index(ids, blocks, pf.index.name or "asset_id")

    def value_fn(fn: MethodFn, holder: dict[str, MethodResult], done: MethodResult | None = None,
                 values_only: bool = False) -> Callable[[Portfolio], np.ndarray]:
        # ``values_only``: the run's frame is read for its estimate and applicable columns
        # only, so the approach's values-only run will do where it has one
        run = getattr(fn, "values_only", fn) if values_only else fn

        def f(big: Portfolio) -> np.ndarray:
            # on the portfolio itself, the engine's own run of the approach (same function,
            # parameters and rows; traces only added) is the run — not a second one
            res = done if done is not None and big is pf else run(big)
            holder["r"] = res
            return _values(res.frame, big.index)
        return f

    def evaluate(fs: list[Callable[[Portfolio], np.ndarray]], pos: np.ndarray,
                 rids: Callable[[], pd.Index], ps: list[Any], vals: list[np.ndarray], ms: list[str]
                 ) -> tuple[list[np.ndarray], Any]:
        """:func:`evaluate_rows` of the approaches ``ms`` on the rows ``pos`` with the ids
        ``rids()``; when every parameter acts on the
        output only (cost, market), the copies of an asset are identical rows, so each asset
        runs once (as its first copy) and its value is spread over its copies, times the output
        factors formed exactly as :func:`evaluate_rows` forms them. Returns (values per
        function, (run ids, row → run row) or None)."""
        if any(p.kind != "output" for p in ps):
            src, cols = (_read_by(pf, ms), _columns_read_by(ms)) if reuse else (pf, None)
            return evaluate_rows(fs, src, pos, rids(), ps, vals, columns=cols), None
        _, first, inv = np.unique(pos, return_index=True, return_inverse=True)
        if len(first) == n:     # every asset, in order: the portfolio itself (nothing is perturbed)
            ys = [np.asarray(f(pf), dtype=float) for f in fs]
            run_ids = pf.index
        else:
            run_ids = rids()[first]
            ys = evaluate_rows(fs, pf, pos[first], run_ids, [], [])
        mult = np.ones(len(pos))
        for v in vals:
            mult = mult * np.where(np.isnan(v), 1.0, v)
        return [y[inv] * mult for y in ys], (run_ids, inv)

    def tornado_slots(rows: np.ndarray, ps: list[Any], k0: int, K: int, off: int, total: int
                      ) -> tuple[list[np.ndarray], list[tuple[np.ndarray, np.ndarray]], list[np.ndarray]]:
        """Tornado nominals, ranges and flat values (``total`` rows, the tornado's
        n × K block at ``off``): parameter i low / high in slots k0 + 1 + 2i, k0 + 2 + 2i."""
        noms, ranges, vals = [], [], []
        for i, p in enumerate(ps):
            x = nom(p)[rows]
            lo, hi = _value_range(p, x, (0.10, 0.90), None)
            noms.append(x)
            ranges.append((lo, hi))
            v = np.full((len(rows), K), np.nan)
            v[:, k0 + 1 + 2 * i] = lo
            v[:, k0 + 2 + 2 * i] = hi
            full = np.full(total, np.nan)
            full[off:] = v.ravel()
            vals.append(full)
        return noms, ranges, vals

    mc: dict[str, tuple[Any, ...]] = {}
    tor: dict[str, tuple[np.ndarray, dict[str, np.ndarray]]] = {}
    only_tornado: dict[bytes, list[tuple[str, list[Any]]]] = {}
    for j, m in enumerate(names):
        if m not in fns:
            continue
        rows_mc = np.flatnonzero(Wv[:, j] > 0)
        ps_t = [p for p in params_all if p.method == m]
        rows_t = np.flatnonzero(app[:, j]) if ps_t else np.zeros(0, dtype=np.intp)
        if not len(rows_mc):
            if len(rows_t):
                only_tornado.setdefault(app[:, j].tobytes(), []).append((m, ps_t))
            continue
        ps_mc = [p for p in params_all if p.method in (m, None)]
        K = 1 + 2 * len(ps_t)
        pos_mc, pos_t = np.repeat(rows_mc, D), np.repeat(rows_t, K)
        off, total = len(pos_mc), len(pos_mc) + len(pos_t)
        vals = []
        U = uniforms_lhs_many(keys[rows_mc], D, [p.stream for p in ps_mc])    # (P, assets, D)
        for p, u in zip(ps_mc, U):
            full = np.full(total, np.nan)
            full[:off] = p.values_at(nom(p)[rows_mc], u).ravel()
            vals.append(full)
        noms, ranges, tvals = tornado_slots(rows_t, ps_t, 0, K, off, total)
        # a parameter of both the draws and the tornado is applied once: its values there are
        # on disjoint rows (NaN elsewhere), and applying them in turn is applying them merged
        ps_all, vals_all = list(ps_mc), list(vals)
        for p, v in zip(ps_t, tvals):
            k = next((i for i, q in enumerate(ps_all) if q is p), None)
            if k is None:
                ps_all.append(p)
                vals_all.append(v)
            else:
                vals_all[k] = np.where(np.isnan(v), vals_all[k], v)
        holder: dict[str, MethodResult] = {}
        # the run is read for more than its values only for the band of an approach run once
        # per asset (output parameters only, as ``evaluate`` decides) or dispersed by its band
        bare = any(p.kind != "output" for p in ps_all) and m not in DISPERSION_METHODS
        (Y,), once = evaluate([value_fn(fns[m], holder, results[m] if reuse else None, bare)],
                              np.concatenate([pos_mc, pos_t]), copy_ids((rows_mc, 0, D), (rows_t, D, K)),
                              ps_all, vals_all, [m])
        if once is None:
            mc[m] = (Y[:off].reshape(len(rows_mc), D), holder["r"], rows_mc)
        else:
            # the approach's own band of every draw row, read from the one row its asset ran as
            run_ids, inv = once
            fr = _aligned(holder["r"].frame, run_ids if isinstance(run_ids, pd.Index) else pd.Index(run_ids))
            band = tuple(fr[c].to_numpy(float)[inv[:off]].reshape(len(rows_mc), D)
                         for c in ("estimate", "low", "high"))
            mc[m] = (Y[:off].reshape(len(rows_mc), D), holder["r"], rows_mc, band)
        if len(rows_t):
            tor[m] = (app[:, j].copy(), _tornado_columns(_index_at(pf.index, rows_t), ps_t, noms, ranges,
                                                          Y[off:].reshape(len(rows_t), K)))
    for group in only_tornado.values():
        allp = [p for _, ps in group for p in ps]
        if len({id(p) for p in allp}) < len(allp):     # a parameter shared by two approaches
            group_runs = [[g] for g in group]
        else:
            group_runs = [group]
        for run in group_runs:
            j = names.index(run[0][0])
            rows_t = np.flatnonzero(app[:, j])
            allp = [p for _, ps in run for p in ps]
            K = 1 + 2 * len(allp)
            pos_t = np.repeat(rows_t, K)
            noms, ranges, tvals = tornado_slots(rows_t, allp, 0, K, 0, len(pos_t))
            Ys, _ = evaluate([value_fn(fns[m], {}, results[m] if reuse else None, True) for m, _ in run],
                             pos_t, copy_ids((rows_t, 0, K)), allp, tvals, [m for m, _ in run])
            start = 0
            for (m, ps), Y in zip(run, Ys):
                Y = Y.reshape(len(rows_t), K)
                cols = [0] + [c for i in range(start, start + len(ps)) for c in (1 + 2 * i, 2 + 2 * i)]
                tor[m] = (app[:, j].copy(), _tornado_columns(_index_at(pf.index, rows_t), ps, noms[start:start + len(ps)],
                                                              ranges[start:start + len(ps)], Y[:, cols]))
                start += len(ps)
    return mc, tor


# --------------------------------------------------------------------------- art. 24
def _isna(x: Any) -> bool:
    """``pd.isna(x)`` of a scalar; a Python float or None (the explanation's table values)
    decided here, anything else by pandas (~1 µs a call, ~30 per asset)."""
    if type(x) is float:
        return x != x
    return x is None or bool(pd.isna(x))


def _fmt(x: float) -> str:
    # math's isfinite: numpy's costs ~1 µs on a Python float (~10 numbers an asset)
    return "—" if x is None or not isfinite(x) else f"{x:,.2f}"


def explain(pf: Portfolio, results: Mapping[str, MethodResult], frame: pd.DataFrame | None = None,
            *, methods: Mapping[str, MethodFn] | None = None, config: Mapping[str, Any] | None = None,
            snap: Any = None, rel: float | None = None, meta: pd.DataFrame | None = None,
            _tornados: Mapping[str, tuple[np.ndarray, Mapping[str, np.ndarray]]] | None = None,
            _columns: Mapping[str, Any] | None = None, _params: list[Any] | None = None
            ) -> dict[str, dict[str, Any]]:
    """The art. 24 explanation of every asset.

    Returns ``{asset_id: {...}}`` with ``table`` (each approach: estimate, low, high, weight,
    applicable, reasons, ``difference_pct`` = P_m / conclusion − 1), ``conclusion``,
    ``spread_pct`` ((max − min) / conclusion over applicable approaches), ``drivers`` (the
    one-at-a-time sensitivity of each approach's own inputs: parameter, swing in % of the
    conclusion, and whether its plausible range reaches the conclusion), ``largest_driver``
    (text) and ``largest_driver_detail``, ``reason_zh`` / ``reason_en`` and ``references``.
    """
    cfg = config if config is not None else reconcile_config(snap)
    if frame is None:
        frame, meta, _columns = _combine(pf, results, snap, config=cfg, methods=methods, range_method="mixture")
    fr = frame
    names = [m for m in results]
    fns = dict(methods) if methods is not None else default_methods(snap, tuple(names))
    # ``_columns``: the frame's columns as arrays, rows in the portfolio's order (as _combine
    # builds them); else read from the frame (by position when its index is the portfolio's)
    if _columns is None and fr.index.equals(pf.index) and fr.index.is_unique:
        _columns = _FrameColumns(fr)
    col = _columns.__getitem__ if _columns is not None else None
    if meta is None:
        app = pd.DataFrame({m: fr[f"{m}_applicable"].to_numpy(bool) for m in names}, index=pf.index)
        meta = weights_for(pf, app, cfg, tuple(names))[1]
    params_all = _params if _params is not None else default_params(cfg, getattr(snap, "models", None))
    applicable = {m: np.asarray(col(f"{m}_applicable") if col else fr[f"{m}_applicable"], dtype=bool)
                  for m in names}
    # one tornado per approach over the assets where it applies (vectorised over assets);
    # approaches applicable on the same assets share one replicated portfolio
    plan: dict[str, tuple[np.ndarray, list[Any]]] = {}
    for m in names:
        app = applicable[m]
        if not app.any():
            continue
        ps = [p for p in params_all if p.method == m]
        if m in fns and ps:
            plan[m] = (app, ps)
    # tornados computed with the Monte Carlo run (reconcile → _evaluate_together; default
    # quantiles, no rel, the same assets) are taken as they are
    shared: dict[str, Any] = {m: t for m, (at, t) in (_tornados or {}).items()
                              if m in plan and rel is None and np.array_equal(at, plan[m][0])}
    together = [m for m, (app, _) in plan.items() if app.all() and m not in shared]
    if len(together) > 1:
        shared.update(zip(together, tornado_many([(method_value(fns[m]), plan[m][1]) for m in together],
                                                 pf, rel=rel)))
    # the tornado rows of every approach (present parameters only) and the dispersion rows, in
    # that order, as Python lists per column — what a concatenated frame would give, without it
    tcols: dict[str, list[Any]] = {c: [] for c in _DRIVER_COLUMNS}

    def add(cols: Mapping[str, Any], keep: np.ndarray | None = None) -> None:
        for c in _DRIVER_COLUMNS:
            v = cols[c] if keep is None else cols[c][keep]
            tcols[c].extend(v.tolist() if isinstance(v, np.ndarray) else v)

    for m in names:
        app = applicable[m]
        if not app.any():
            continue
        idx = pf.index if app.all() else pf.index[app]
        if m in plan:
            if m in shared:
                t = shared[m]
            else:
                t = tornado(method_value(fns[m]), pf if app.all() else pf.subset(idx), plan[m][1], rel=rel)
            if isinstance(t, pd.DataFrame):
                t = {c: t[c].to_numpy() for c in ("present", *_DRIVER_COLUMNS)}
            add(t, np.asarray(t["present"], dtype=bool))
        if m in DISPERSION_METHODS:
            if col:     # the frame's rows are the portfolio's: the rows of idx by position
                lo, hi = (np.asarray(col(f"{m}_{c}"), dtype=float)[app] for c in ("low", "high"))
            else:
                lo = fr.loc[idx, f"{m}_low"].to_numpy(float)
                hi = fr.loc[idx, f"{m}_high"].to_numpy(float)
            ok = ~np.isnan(lo) & ~np.isnan(hi)
            k = int(ok.sum())
            add({"asset_id": np.asarray(idx.astype(str), dtype=object)[ok], "parameter": ["market_dispersion"] * k,
                 "method": [m] * k, "label_zh": ["可比案例离散度（调整后价格区间）"] * k,
                 "label_en": ["dispersion of the adjusted comparable prices"] * k,
                 "value_at_low": lo[ok], "value_at_high": hi[ok],
                 "references": [["CAS2023.art23"]] * k})
    # per asset, the positions of its rows (in order, like a groupby)
    by_asset: dict[str, list[int]] = {}
    for k, aid in enumerate(tcols["asset_id"]):
        by_asset.setdefault(aid, []).append(k)
    # the drivers' numbers as columns, once for all rows: the loop per asset below only compares
    # and divides Python floats (numpy's scalar isfinite, ~1 µs a call, was 3 calls a driver)
    vlo = np.asarray(tcols["value_at_low"], dtype=float)
    vhi = np.asarray(tcols["value_at_high"], dtype=float)
    span = vhi - vlo
    d_both = (np.isfinite(vlo) & np.isfinite(vhi)).tolist()     # both ends finite: "reaches" tested
    d_span = np.where(np.isfinite(span), np.abs(span), np.nan).tolist()   # |high − low|, NaN: no swing
    d_min, d_max = np.minimum(vlo, vhi).tolist(), np.maximum(vlo, vhi).tolist()
    vlo_l, vhi_l = vlo.tolist(), vhi.tolist()
    t_method, t_param, t_zh, t_en, t_refs = (tcols[c] for c in ("method", "parameter", "label_zh", "label_en",
                                                                 "references"))
    ml = {m: LABELS.get(m, (m, m)) for m in names}
    div = float(setting(cfg, "divergence"))
    out: dict[str, dict[str, Any]] = {}
    ids = pf.index.astype(str)
    rows = _rows_at(fr, ids, ["estimate", "low", "high", "coverage"] + [
        f"{m}_{c}" for m in names for c in ("estimate", "low", "high", "weight", "applicable", "reason_zh",
                                            "reason_en")], _columns)
    mcols = ["weights_source", "weights_reason", "rule_reason_zh", "rule_reason_en", "rule_references"]
    if isinstance(meta, Mapping):   # the arrays of _weights, rows in the portfolio's order
        mrows = _rows_at(fr, ids, mcols, _meta_columns(meta, pf.index))
    else:
        mrows = _rows_at(meta, ids, mcols) if meta is not None else None
    acols = [c for c in ("purpose", "value_type") if c in pf.assets.columns]
    arows = _rows_at(pf.assets, ids, acols, {c: _text(pf.assets, c).tolist() for c in acols})
    for i, aid in enumerate(ids):
        row = rows[i]
        mrow = mrows[i] if mrows is not None else None
        concl = float(row["estimate"]) if not _isna(row["estimate"]) else np.nan
        table = []
        used = []
        for m in names:
            e = row[f"{m}_estimate"]
            w = row[f"{m}_weight"]
            diff = (float(e) / concl - 1) if not _isna(e) and isfinite(concl) and concl != 0 else None
            table.append({"method": m, "label_zh": LABELS.get(m, (m, m))[0], "label_en": LABELS.get(m, (m, m))[1],
                          "estimate": None if _isna(e) else float(e),
                          "low": None if _isna(row[f"{m}_low"]) else float(row[f"{m}_low"]),
                          "high": None if _isna(row[f"{m}_high"]) else float(row[f"{m}_high"]),
                          "weight": None if _isna(w) else float(w),
                          "applicable": bool(row[f"{m}_applicable"]),
                          "reason_zh": row[f"{m}_reason_zh"], "reason_en": row[f"{m}_reason_en"],
                          "difference_pct": diff})
            if not _isna(w) and w > 0:
                used.append((m, float(w)))
        vals = [t["estimate"] for t in table if t["applicable"] and t["estimate"] is not None]
        spread = (max(vals) - min(vals)) / abs(concl) if len(vals) > 1 and isfinite(concl) and concl else 0.0
        drivers = []
        g = by_asset.get(aid)
        if g is not None and isfinite(concl) and concl:
            ac = abs(concl)
            for k in g:
                sp = d_span[k]
                drivers.append({"method": t_method[k], "parameter": t_param[k],
                                "label_zh": t_zh[k], "label_en": t_en[k],
                                "value_at_low": vlo_l[k], "value_at_high": vhi_l[k],
                                "swing_pct": sp / ac if sp == sp else None,
                                "reaches_conclusion": d_both[k] and d_min[k] <= concl <= d_max[k],
                                "references": list(t_refs[k])})
            drivers.sort(key=lambda d: -(d["swing_pct"] or 0.0))
        top = drivers[0] if drivers else None
        top_zh = f"{ml[top['method']][0]}的{top['label_zh']}" if top else ""
        top_en = f"{top['label_en']} ({ml[top['method']][1]})" if top else ""
        src = mrow["weights_source"] if mrow is not None else "model"
        a = arows[i]
        purpose, vtype = str(a.get("purpose", "other")), str(a.get("value_type", "market"))
        zh, en = [], []
        if not used:
            zh.append("没有适用的评估方法，未形成结论。")
            en.append("No approach is applicable; no conclusion is formed.")
        else:
            wz = "、".join(f"{ml[m][0]}（权重 {w:.0%}）" for m, w in used)
            we = ", ".join(f"{ml[m][1]} (weight {w:.0%})" for m, w in used)
            if str(src).startswith("card"):
                zh.append(f"结论采用{wz}，权重由评估人员指定，理由：{mrow['weights_reason']}。")
                en.append(f"The conclusion uses the {we}; the weights were set by the appraiser because: "
                          f"{mrow['weights_reason']}.")
            else:
                zh.append(f"评估目的为{PURPOSE_ZH.get(purpose, purpose)}、价值类型为{VALUE_TYPE_ZH.get(vtype, vtype)}，"
                          f"结论采用{wz}：{mrow['rule_reason_zh'] if mrow is not None else ''}。")
                en.append(f"Purpose {purpose}, value type {vtype}: the conclusion uses the {we} — "
                          f"{mrow['rule_reason_en'] if mrow is not None else ''}.")
            if "fallback" in str(src):
                zh.append("首选方法不适用，按模型库的备选顺序改用上述方法。")
                en.append("The preferred approach is not applicable; the library's fallback order was used.")
            zh.append(f"评估结论为 {_fmt(concl)}，指导价区间 {_fmt(row['low'])} – {_fmt(row['high'])}"
                      f"（覆盖率 {float(row['coverage']):.0%}）。")
            en.append(f"Conclusion {_fmt(concl)}; guided range {_fmt(row['low'])} – {_fmt(row['high'])} "
                      f"({float(row['coverage']):.0%} coverage).")
            for t in table:
                if t["applicable"] and t["difference_pct"] is not None and not (t["weight"] or 0) >= 0.999:
                    zh.append(f"{t['label_zh']}结果 {_fmt(t['estimate'])}，与结论相差 {t['difference_pct']:+.1%}"
                              + ("，差异较大" if abs(t["difference_pct"]) > div else "") + "。")
                    en.append(f"The {t['label_en']} gives {_fmt(t['estimate'])}, {t['difference_pct']:+.1%} from "
                              f"the conclusion" + (" — a large difference" if abs(t["difference_pct"]) > div else "") + ".")
                    if abs(t["difference_pct"]) > div and not any(
                            d["method"] == t["method"] and d["reaches_conclusion"] for d in drivers):
                        zh.append("该差异不能由该方法自身参数的合理变动解释，反映了各方法计量基础（成本、收益、市场）的不同，"
                                  "结论依据上述权重理由形成。")
                        en.append("This gap is not explained by plausible changes of that approach's own inputs; it "
                                  "reflects the different bases (cost, income, market) of the approaches, and the "
                                  "conclusion follows the weighting reason above.")
                if not t["applicable"]:
                    zh.append(f"{t['label_zh']}不适用：{t['reason_zh'] or '—'}。")
                    en.append(f"The {t['label_en']} is not applicable: {t['reason_en'] or '—'}.")
            if top and top.get("swing_pct") is not None:
                zh.append(f"对结果影响最大的参数是{top_zh}：在其合理区间（10%–90% 分位）内变动使结果变化约"
                          f"结论的 {top['swing_pct']:.0%}。")
                en.append(f"The largest driver is the {top_en}: over its plausible range (10–90 % quantiles) it moves "
                          f"the value by about {top['swing_pct']:.0%} of the conclusion.")
            elif top:
                # a zero or non-finite conclusion has no meaningful relative swing
                zh.append(f"对结果影响最大的参数是{top_zh}（结论为零或无有限值，不计算相对变动）。")
                en.append(f"The largest driver is the {top_en} (the conclusion is zero or not finite, so no "
                          "relative swing is given).")
        refs = ["CAS2023.art24"]
        if mrow is not None:
            refs += [r for r in mrow["rule_references"] if r not in refs]
        out[aid] = {"conclusion": None if not isfinite(concl) else concl, "table": table,
                    "spread_pct": spread, "weights_source": str(src),
                    "drivers": drivers, "largest_driver": (f"{top_zh} / {top_en}" if top else None),
                    "largest_driver_detail": top, "reason_zh": "".join(zh), "reason_en": " ".join(en),
                    "references": refs}
    return out


_explain = explain


_DRIVER_COLUMNS = ("asset_id", "method", "parameter", "label_zh", "label_en", "value_at_low", "value_at_high",
                   "references")


def _rows_at(frame: pd.DataFrame, ids: pd.Index, cols: list[str],
             columns: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
    """``frame.loc[aid, c]`` for every id (in order) and column as one dict per id, read from
    the columns once (numbers as Python scalars, which every use above converts anyway).
    ``columns``: the frame's columns as arrays (or lists) in its row order, when at hand (they
    are read from the arrays, not from the frame)."""
    if frame.index.is_unique:
        # the frame's own rows in order (the common case): no lookup (~25 µs a call)
        pos = np.arange(len(ids)) if ids.equals(frame.index) else frame.index.get_indexer(ids)
        if (pos < 0).any():
            frame.loc[ids[pos < 0][0]]          # the KeyError of the row lookup
    else:
        pos = np.array([frame.index.get_loc(a) for a in ids], dtype=np.intp)
    if columns is None:
        vals = [frame[c].tolist() for c in cols]
    else:
        vals = [v if type(v) is list else np.asarray(v).tolist() for v in (columns[c] for c in cols)]
    return [{c: v[p] for c, v in zip(cols, vals)} for p in pos.tolist()]


class _FrameColumns:
    """``frame[c]`` as arrays (``.to_numpy()``), read once per column."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self.frame, self.cache = frame, {}

    def __getitem__(self, c: str) -> Any:
        v = self.cache.get(c)
        if v is None:
            v = self.cache[c] = self.frame[c].tolist()
        return v


_META_TEXT = ("weights_source", "rule_reason_zh", "rule_reason_en", "weights_reason")


def _meta_columns(meta: Mapping[str, Any], index: pd.Index) -> dict[str, list[Any]]:
    """The columns of the weights metadata frame of :func:`weights_for` as lists, from the
    arrays of :func:`_weights` — the same values, as long as every text is a str (else the
    frame's text dtype turns None into NaN: then read back through the frame)."""
    cols = {c: np.asarray(v).tolist() for c, v in meta.items()}
    if all(type(x) is str for c in _META_TEXT for x in cols[c]):
        return cols
    fr = pd.DataFrame(dict(meta), index=index)
    return {c: fr[c].tolist() for c in fr.columns}
