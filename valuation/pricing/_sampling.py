"""Shared machinery of the pricing layer: uncertain parameters, reproducible draws and the
row-replication trick that evaluates a method once for many parameter values.

Every uncertain parameter is a :class:`Param`: *where* it acts on a portfolio (an assets
column, a set of income streams, or the output of the value function), *how* it varies (a
distribution of the model library: ``fixed``, ``uniform``, ``triangular``, ``normal``,
``lognormal``, ``relative_normal``) and whether the distribution is read around the value on
the card (``anchor="card"``: the draw minus the distribution's centre is added, or the
relative factor multiplies) or replaces it (``anchor="absolute"``).

Random numbers come from a counter-based generator (SplitMix64 of seed, draw and stream), so
an asset's draws depend only on its own ``engagement.seed`` — never on which other assets share
the batch, nor on the asset's id or name (issue 16: renaming an asset moved its guided range by
~1.3 %, Monte Carlo noise keyed on the id). Assets of one seed therefore share the same
stratified uniforms (common random numbers): their ranges differ only through their inputs;
the Monte Carlo standard error of each bound is stated with the range
(``pricing.uncertainty``).
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
from pandas.arrays import ArrowStringArray
from scipy import special

from ..core.errors import RefusedError
from ..core.portfolio import Portfolio, _str_array, column_values
from ..core.trimmed import mark_left_out

__all__ = [
    "DIST_TYPES",
    "Param",
    "asset_keys",
    "copy_index",
    "evaluate_rows",
    "evaluate_values",
    "evaluate_values_many",
    "income_discount_nominal",
    "params_from_config",
    "quantile_u",
    "replicate",
    "replicate_rows",
    "uniforms",
    "uniforms_lhs",
    "uniforms_lhs_many",
]

DIST_TYPES = ("fixed", "uniform", "triangular", "normal", "lognormal", "relative_normal")
_M64 = np.uint64(0xFFFFFFFFFFFFFFFF)


# --------------------------------------------------------------------------- random numbers
def _splitmix(x: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        x = x + np.uint64(0x9E3779B97F4A7C15)
        z = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def asset_keys(index: pd.Index, seeds: np.ndarray | int | None = None) -> np.ndarray:
    """One uint64 key per asset from its seed (``engagement.seed``) only: the asset's id and
    name never enter its draws (see the module docstring; ``index`` gives the length)."""
    s = np.broadcast_to(np.asarray(0 if seeds is None else seeds), (len(index),))
    s = np.nan_to_num(np.asarray(s, dtype=float), nan=0.0).astype(np.uint64)
    return _splitmix(_splitmix(s) ^ np.uint64(0x5EED5EED5EED5EED))


_C1, _C2, _C3 = np.uint64(0x9E3779B97F4A7C15), np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)
_S30, _S27, _S31, _S11 = np.uint64(30), np.uint64(27), np.uint64(31), np.uint64(11)


def _splitmix_inplace(x: np.ndarray) -> np.ndarray:
    """:func:`_splitmix` written into ``x`` (a uint64 array the caller owns): the same bits
    with one scratch array instead of ~8 temporaries (a numpy call costs 1–5 µs even on a
    few hundred numbers; the draws of one card are ~20 such calls)."""
    t = np.empty_like(x)
    np.add(x, _C1, out=x)
    np.right_shift(x, _S30, out=t)
    np.bitwise_xor(x, t, out=x)
    np.multiply(x, _C2, out=x)
    np.right_shift(x, _S27, out=t)
    np.bitwise_xor(x, t, out=x)
    np.multiply(x, _C3, out=x)
    np.right_shift(x, _S31, out=t)
    np.bitwise_xor(x, t, out=x)
    return x


_DRAW_HASH: dict[tuple[int, int], np.ndarray] = {}


def _draw_hash(draws: int, stream: int) -> np.ndarray:
    """``_splitmix(arange(draws) + stream × FNV prime)``: the part of the counter that does
    not depend on the asset, kept per (draws, stream) (a handful per model library; read-only)."""
    h = _DRAW_HASH.get((draws, stream))
    if h is None:
        with np.errstate(over="ignore"):
            h = _splitmix(np.arange(draws, dtype=np.uint64) + np.uint64(stream) * np.uint64(0x100000001B3))
        h.flags.writeable = False
        if len(_DRAW_HASH) < 256:
            _DRAW_HASH[(draws, stream)] = h
    return h


def _uniforms_of(keys: np.ndarray, draws: int, streams: Sequence[int]) -> np.ndarray:
    """(len(streams), n, draws) :func:`uniforms` of each stream, in one pass (elementwise, so
    the same bits as one call per stream)."""
    x = np.empty((len(streams), len(keys), draws), dtype=np.uint64)
    for i, s in enumerate(streams):
        np.bitwise_xor(keys[:, None], _draw_hash(draws, s)[None, :], out=x[i])
    with np.errstate(over="ignore"):
        z = _splitmix_inplace(_splitmix_inplace(x))
    np.right_shift(z, _S11, out=z)
    u = z.astype(np.float64)
    u += 0.5
    u *= 2.0 ** -53
    return u


def uniforms(keys: np.ndarray, draws: int, stream: int) -> np.ndarray:
    """(n, draws) uniforms in (0, 1), a pure function of (key, draw, stream)."""
    return _uniforms_of(np.asarray(keys, dtype=np.uint64), int(draws), [stream])[0]


def uniforms_lhs(keys: np.ndarray, draws: int, stream: int) -> np.ndarray:
    """(n, draws) Latin-hypercube uniforms: per asset and stream, exactly one draw falls in
    each of the ``draws`` equal strata of (0, 1), in a random order. Lower Monte Carlo noise
    of the range for the same number of draws; still a pure function of (key, stream)."""
    u, order = _uniforms_of(np.asarray(keys, dtype=np.uint64), int(draws), [stream, stream + 1_000_003])
    perm = np.argsort(order, axis=1)
    return (perm + u) / draws


def uniforms_lhs_many(keys: np.ndarray, draws: int, streams: Sequence[int]) -> np.ndarray:
    """(len(streams), n, draws): :func:`uniforms_lhs` of each stream, in one pass — the same
    bits (elementwise draws, each row's order sorted on its own), with one set of numpy calls
    instead of one per parameter (~20 calls of 1–5 µs each, 6–9 parameters a reconciliation)."""
    streams = list(streams)
    if not streams:
        return np.zeros((0, len(keys), int(draws)))
    x = _uniforms_of(np.asarray(keys, dtype=np.uint64), int(draws),
                     [t for s in streams for t in (s, s + 1_000_003)])
    perm = np.argsort(x[1::2], axis=-1)
    return (perm + x[0::2]) / draws


# --------------------------------------------------------------------------- distributions
def quantile_u(dist: Mapping[str, Any], u: np.ndarray) -> np.ndarray:
    """Inverse CDF of a model-library distribution at uniforms ``u`` (absolute values;
    ``relative_normal`` returns the relative factor 1 + sd·z)."""
    t = dist.get("type", "fixed")
    u = np.clip(np.asarray(u, float), 1e-12, 1 - 1e-12)
    if t == "fixed":
        return np.full_like(u, float(dist.get("value", np.nan)))
    if t == "uniform":
        lo, hi = float(dist["low"]), float(dist["high"])
        return lo + (hi - lo) * u
    if t == "triangular":
        a, c, b = float(dist["low"]), float(dist["mode"]), float(dist["high"])
        if b <= a:
            return np.full_like(u, c)
        fc = (c - a) / (b - a)
        return np.where(u < fc, a + np.sqrt(u * (b - a) * (c - a)),
                        b - np.sqrt((1 - u) * (b - a) * (b - c)))
    if t == "normal":
        return float(dist.get("mean", 0.0)) + float(dist["sd"]) * special.ndtri(u)
    if t == "lognormal":
        return np.exp(float(dist.get("mu", 0.0)) + float(dist["sigma"]) * special.ndtri(u))
    if t == "relative_normal":
        return 1.0 + float(dist["sd"]) * special.ndtri(u)
    raise RefusedError(f"未知的分布类型 {t!r}", f"unknown distribution type {t!r}",
                       field="distribution.type", value=t, allowed=", ".join(DIST_TYPES))


def _centre(dist: Mapping[str, Any]) -> float:
    t = dist.get("type", "fixed")
    if t == "uniform":
        return (float(dist["low"]) + float(dist["high"])) / 2
    if t == "triangular":
        return float(dist["mode"])
    if t == "normal":
        return float(dist.get("mean", 0.0))
    if t == "lognormal":
        return float(np.exp(float(dist.get("mu", 0.0))))
    return 0.0


# --------------------------------------------------------------------------- parameters
@dataclass(frozen=True)
class Param:
    """An uncertain input of a value function.

    kind
        ``column``: an assets column (e.g. ``income_royalty_rate``) takes the drawn value;
        ``series``: every stream in ``target`` (``income.revenue`` ...) is multiplied by the
        drawn factor; ``output``: the value function's result is multiplied by the factor
        (exact for inputs that enter the value linearly, e.g. δ in P = C × δ or a common
        coefficient of every comparable in P = Q × ΠX); ``discount``: the income discount
        rate (given, build-up or WACC) is set to the drawn value.
    """

    name: str
    kind: str
    label_zh: str
    label_en: str
    distribution: Mapping[str, Any]
    target: tuple[str, ...] = ()
    method: str | None = None
    anchor: str = "card"
    clip: tuple[float | None, float | None] = (None, None)
    references: tuple[str, ...] = ("ENG.default",)
    stream: int = 0
    extra: Mapping[str, Any] = field(default_factory=dict)

    # -- nominal value on the card (NaN = parameter absent → not perturbed)
    def nominal(self, pf: Portfolio) -> np.ndarray:
        if self.kind == "column":
            c = self.target[0]
            if c not in pf.assets.columns:
                return np.full(len(pf), np.nan)
            v = _column(pf.assets, c)     # the array of a numpy column (~1 µs, a Series ~20)
            return np.array(v, dtype=float) if type(v) is np.ndarray else v.to_numpy(dtype=float, na_value=np.nan)
        if self.kind == "discount":
            return income_discount_nominal(pf.assets)
        return np.ones(len(pf))

    def values_at(self, nominal: np.ndarray, u: np.ndarray) -> np.ndarray:
        """Parameter values (n, K) at uniforms u (n, K) around the nominal (n,)."""
        d = self.distribution
        t = d.get("type", "fixed")
        x = nominal[:, None]
        if t == "fixed":
            v = np.broadcast_to(x if "value" not in d or self.anchor == "card" else
                                float(d["value"]), u.shape).astype(float)
        elif self.kind in ("series", "output"):
            # factors: relative_normal → 1 + sd z; others are factors by construction
            v = quantile_u(d, u)
            if self.anchor == "card" and t in ("normal", "uniform", "triangular"):
                v = 1.0 + v - _centre(d)
            v = np.broadcast_to(v, u.shape) * np.ones_like(x)
        else:
            q = quantile_u(d, u)
            if t == "relative_normal":
                v = x * q
            elif self.anchor == "absolute":
                v = np.where(np.isnan(x), np.nan, q)
            elif t == "lognormal":
                v = x * q / _centre(d)
            else:
                v = x + (q - _centre(d))
        lo, hi = self.clip
        if lo is not None or hi is not None:
            v = np.clip(v, lo, hi)
        return np.asarray(v, dtype=float)

    def with_distribution(self, dist: Mapping[str, Any]) -> Param:
        return replace(self, distribution=dict(dist))

    def columns(self) -> tuple[str, ...]:
        """The assets columns :meth:`apply` reads or writes (a copy of the rows it is applied to
        needs at least these)."""
        if self.kind == "column":
            return self.target[:1]
        if self.kind == "discount":
            return ("income_terminal_growth", "income_discount_rate")
        return ()

    # -- apply drawn values to a (replicated) portfolio, in place on its copies
    def apply(self, pf: Portfolio, values: np.ndarray) -> None:
        ok = ~np.isnan(values)
        if self.kind == "column":
            c = self.target[0]
            if not _write_float_column(pf.assets, c, values, ok):
                cur = pf.assets[c].to_numpy(dtype=float, na_value=np.nan)
                pf.assets[c] = np.where(ok, values, cur)
        elif self.kind == "discount":
            a = pf.assets
            g = _num(a, "income_terminal_growth") if "income_terminal_growth" in a.columns \
                else np.full(len(a), np.nan)
            floor = np.where(np.isnan(g), 1e-4, g + 0.005)   # keep i > g (Gordon)
            v = np.where(ok, np.maximum(values, floor), np.nan)
            if not _write_float_column(a, "income_discount_rate", v, ok):
                cur = a["income_discount_rate"].to_numpy(dtype=float, na_value=np.nan)
                a["income_discount_rate"] = np.where(ok, v, cur)
        elif self.kind == "series":
            f = np.where(ok, values, 1.0)
            for path in self.target:
                s = pf.series.get(path)
                if s is None or _scale_float_rows(s, f):
                    continue
                if len(s.columns) and all(t == np.float64 for t in s.dtypes):
                    # the float product row by row, without the frame arithmetic (~0.2 ms)
                    pf.series[path] = pd.DataFrame(s.to_numpy(dtype=float) * f[:, None], index=s.index,
                                                   columns=s.columns)
                else:
                    pf.series[path] = s.mul(f, axis=0)
        elif self.kind == "output":
            pass  # applied to the value function's result
        else:  # pragma: no cover - static kinds
            raise ValueError(self.kind)


def _write_float_column(frame: pd.DataFrame, c: str, values: np.ndarray, ok: np.ndarray) -> bool:
    """``frame[c] = np.where(ok, values, frame[c])`` written into the frame's own float64
    block, when column ``c`` is in one that nothing else references (the replicated frames
    are new data: a column assignment and read cost ~50 µs, against ~5). False — nothing
    written — when the column is absent, of another kind or shared (e.g. a Series of it is
    alive), or this pandas lacks the internals used: then the caller assigns the column."""
    try:
        loc = frame.columns.get_loc(c)
        if not isinstance(loc, int):
            return False
        mgr = frame._mgr
        blk = mgr.blocks[mgr.blknos[loc]]
        arr = blk.values
        if type(arr) is not np.ndarray or arr.dtype != np.float64 or arr.ndim != 2 \
                or not arr.flags.writeable or blk.refs.has_reference():
            return False
        np.copyto(arr[mgr.blklocs[loc]], values, where=ok)
        return True
    except (KeyError, AttributeError):
        return False


def _scale_float_rows(frame: pd.DataFrame, f: np.ndarray) -> bool:
    """``frame.mul(f, axis=0)`` written into the frame's own data, when it is one float64 block
    (a series of the replicated portfolio: new data, ~3–7 a draw run) that nothing else
    references — the same products as the frame arithmetic, without a new frame (~50–100 µs
    each). False — nothing written — otherwise (the caller builds the product frame)."""
    try:
        mgr = frame._mgr
        if len(mgr.blocks) != 1 or not len(frame.columns):
            return False
        blk = mgr.blocks[0]
        arr = blk.values
        if type(arr) is not np.ndarray or arr.dtype != np.float64 or arr.ndim != 2 \
                or not arr.flags.writeable or blk.refs.has_reference() or arr.shape[1] != len(f):
            return False
        np.multiply(arr, f[None, :], out=arr)     # the block holds the frame transposed
        return True
    except AttributeError:  # pragma: no cover - a pandas without these internals
        return False


def income_discount_nominal(a: pd.DataFrame) -> np.ndarray:
    """Discount rate exactly as the income approach resolves it (given → build-up with the
    model library's default risk-free rate → WACC + premium; CAS 2023 art. 21)."""
    from ..methods.income.params import default_params as income_defaults
    from ..methods.income.rates import discount_rates

    return np.asarray(discount_rates(a, float(income_defaults().get("risk_free", np.nan))).rate, float)


def params_from_config(entries: Sequence[Mapping[str, Any]],
                       models: Mapping[str, Mapping[str, Any]] | None = None) -> list[Param]:
    """Params from the ``uncertainty`` list of ``models/reconcile.yaml``; a model-library entry
    of the same method that declares a distribution for ``model_parameter`` overrides the
    default distribution (re-centred on the card's value)."""
    out = []
    for i, e in enumerate(entries):
        dist = dict(e["distribution"])
        mp = e.get("model_parameter")
        if models and mp:
            for m in models.values():
                if m.get("method") != e.get("method"):
                    continue
                pd_ = (m.get("parameters") or {}).get(mp)
                if isinstance(pd_, Mapping) and isinstance(pd_.get("distribution"), Mapping) \
                        and pd_["distribution"].get("type") in DIST_TYPES:
                    dist = dict(pd_["distribution"])
                    break
        target = e.get("target", ())
        out.append(Param(
            name=e["name"], kind=e["kind"], label_zh=e.get("label_zh", e["name"]),
            label_en=e.get("label_en", e["name"]), distribution=dist,
            target=tuple([target] if isinstance(target, str) else target),
            method=e.get("method"), anchor=e.get("anchor", "card"),
            clip=tuple(e.get("clip", (None, None))),  # type: ignore[arg-type]
            references=tuple(e.get("references", ("ENG.default",))), stream=int(e.get("stream", i + 1))))
    return out


# --------------------------------------------------------------------------- replication
def _SUFFIX(D: int) -> np.ndarray:
    return np.array([f"~{k}" for k in range(D)], dtype=object)


def replicate(pf: Portfolio, draws: int) -> Portfolio:
    """The portfolio with every asset repeated ``draws`` times, asset-major.

    Row ``i * draws + k`` is draw ``k`` of asset ``i``; its id is ``"<asset_id>~<k>"``.
    Series rows and record rows are repeated accordingly (records keep their order within
    each copy), matrices are shared. A method run once on the result and reshaped with
    ``values.reshape(n, draws)`` gives every draw of every asset.
    """
    n, D = len(pf), int(draws)
    if D < 1:
        raise RefusedError("抽样次数须 ≥ 1", "draws must be ≥ 1", field="draws", value=draws, allowed=">= 1")
    ids = pf.index.astype(str).to_numpy(dtype=object)
    return replicate_rows(pf, np.repeat(np.arange(n), D), np.repeat(ids, D) + np.tile(_SUFFIX(D), n))


_SUFFIXES: dict[tuple[int, int], tuple[list[bytes], np.ndarray]] = {}


def _suffixes(k0: int, K: int) -> tuple[list[bytes], np.ndarray]:
    """(``[b"", b"~k0", …, b"~{k0+K−1}"]``, the suffixes' byte lengths), kept per (k0, K)."""
    s = _SUFFIXES.get((k0, K))
    if s is None:
        b = [f"~{k}".encode() for k in range(k0, k0 + K)]
        s = ([b"", *b], np.array([len(x) for x in b], dtype=np.int64))
        if len(_SUFFIXES) < 256:
            _SUFFIXES[(k0, K)] = s
    return s


def copy_index(ids: np.ndarray, blocks: Sequence[tuple[np.ndarray, int, int]], name: Any) -> pd.Index:
    """The index of the copies ``<id>~k0`` … ``<id>~{k0+K−1}`` of each asset ``ids[rows]``, for
    each block (rows, k0, K) in turn: ``pd.Index(np.concatenate([np.repeat(ids[rows], K) +
    np.tile(suffixes, len(rows)) …]), name=name)``, the same index ("str", large_string).
    Written straight as the Arrow array's buffers — one bytes join per asset (``id.join(["",
    "~0", "~1", …])`` is ``id~0id~1…``) —: the object concatenation and the index's text
    inference cost ~0.6 ms per 4,000 ids. The general way when an id is not a str, there are
    no rows or this pandas does not infer text as that array."""
    parts: list[bytes] = []
    lens: list[np.ndarray] = []
    try:
        for rows, k0, K in blocks:
            sufs, slen = _suffixes(int(k0), int(K))
            for a in np.asarray(ids, dtype=object)[rows].tolist():
                if type(a) is not str:
                    raise TypeError(type(a))
                b = a.encode()
                parts.append(b.join(sufs))
                lens.append(slen + len(b))
        total = sum(len(x) for x in lens)
        if not total or not _text_is_arrow():
            raise TypeError("no rows")
    except (TypeError, UnicodeEncodeError):
        out = [np.repeat(np.asarray(ids, dtype=object)[rows], K)
               + np.tile(np.array([f"~{k}" for k in range(k0, k0 + K)], dtype=object), len(rows))
               for rows, k0, K in blocks]
        return pd.Index(np.concatenate(out) if out else np.zeros(0, dtype=object), name=name)
    offsets = np.zeros(total + 1, dtype=np.int64)
    np.cumsum(np.concatenate(lens), out=offsets[1:])
    arr = pa.LargeStringArray.from_buffers(total, pa.py_buffer(offsets), pa.py_buffer(b"".join(parts)))
    return pd.Index(_str_array(arr), name=name)


_TEXT_IS_ARROW: list[bool] = []


def _text_is_arrow() -> bool:
    """Whether this pandas infers an index and a frame column of str as Arrow
    ``large_string`` with NaN as missing value (pandas 3's ``str``) — what :func:`copy_index`
    and ``reconcile._as_text`` build instead of letting pandas infer it; checked once."""
    if not _TEXT_IS_ARROW:
        text = np.array(["a"], dtype=object)
        refs = (pd.Index(text).array, pd.DataFrame({"t": text})["t"].array)
        _TEXT_IS_ARROW.append(all(isinstance(ref, ArrowStringArray)
                                  and ref.dtype == pd.StringDtype("pyarrow", na_value=np.nan)
                                  and ref._pa_array.type == pa.large_string() for ref in refs))
    return _TEXT_IS_ARROW[0]


def replicate_rows(pf: Portfolio, pos: np.ndarray, ids: np.ndarray | pd.Index,
                   columns: Sequence[str] | None = None) -> Portfolio:
    """The portfolio whose row ``r`` is a copy of row ``pos[r]`` of ``pf`` with id ``ids[r]``
    (object array of unique str, or their index, e.g. of :func:`copy_index`): :func:`replicate`
    with any number of copies per asset, in
    any order, straight from the whole portfolio (no subset first). Series rows are taken
    along; each record row of an asset is copied once per copy of the asset (record-major,
    like :func:`replicate`: within each copy the original order is kept); matrices are shared.
    ``columns``: copy only these assets columns (the others are left out), when the function
    run on the copies is known to read no other."""
    pos = np.asarray(pos, dtype=np.intp)
    n = len(pf)
    name = pf.index.name or "asset_id"
    if isinstance(ids, pd.Index):
        new_ids = ids if ids.name == name else ids.rename(name)
        # the ids' values are read below only for matrices, or records when not of "str"
        need = pf.matrices or (new_ids.dtype != _str_dtype() and any(len(r) for r in pf.records.values()))
        ids = new_ids.to_numpy(dtype=object) if need else None
    else:
        ids = np.asarray(ids, dtype=object)
        new_ids = pd.Index(ids, name=name)
    assets = _take_rows(pf.assets, pos, new_ids, columns)     # new data already, no .copy()
    series = {k: _take_rows(s, pos, new_ids) for k, s in pf.series.items()}
    # the copies of original row a are rows order[start[a]:start[a] + count[a]] (in pos order)
    order = np.argsort(pos, kind="stable")
    count = np.bincount(pos, minlength=n)
    start = np.cumsum(count) - count
    orig = pf.index.astype(str).to_numpy(dtype=object)
    orig_idx = pd.Index(orig) if any(len(r) for r in pf.records.values()) else None
    # the record rows' new ids are taken from the ids' text array (one Arrow take, instead of
    # a text array built from a list per record table) when it is the dtype pd.array gives
    id_text = new_ids.array if new_ids.dtype == _str_dtype() else None
    records = {}
    for k, r in pf.records.items():
        if not len(r):
            records[k] = r.copy()
            continue
        loc = orig_idx.get_indexer(r["asset_id"].astype(str).to_numpy())  # type: ignore[union-attr]
        kept = np.flatnonzero(loc >= 0)
        loc = loc[kept]
        c = count[loc]
        rep = np.repeat(np.arange(len(kept)), c)
        within = np.arange(len(rep)) - np.repeat(np.cumsum(c) - c, c)
        rr = _take_rows(r, kept[rep], pd.RangeIndex(len(rep)))
        at = order[start[loc[rep]] + within]
        rr["asset_id"] = id_text.take(at) if id_text is not None \
            else pd.array(ids[at].tolist(), dtype="str")  # type: ignore[index]
        records[k] = rr
    where = {a: i for i, a in enumerate(orig.tolist())}
    matrices = {k: {ids[order[t]]: m for a, m in v.items() if a in where  # type: ignore[index]
                    for t in range(start[where[a]], start[where[a]] + count[where[a]])}
                for k, v in pf.matrices.items()}
    return Portfolio(assets, series, records, matrices)


_STR_DTYPE: list[Any] = []


def _str_dtype() -> Any:
    """``pd.array([], dtype="str").dtype``, built once (~15 µs a call)."""
    if not _STR_DTYPE:
        _STR_DTYPE.append(pd.array([], dtype="str").dtype)
    return _STR_DTYPE[0]


def _take_rows(frame: pd.DataFrame, pos: np.ndarray, index: pd.Index,
               columns: Sequence[str] | None = None) -> pd.DataFrame:
    """``frame.iloc[pos]`` with ``index`` as its index, block by block: the numpy and datetime
    blocks by one numpy take each, all the text (Arrow) columns by ONE Arrow table take — the
    frame's take does one pandas take per text column (~65 µs each, ~40 on an assets frame).
    Same blocks, dtypes and values; the general take when the frame's blocks are of another
    kind or this pandas lacks the internals used.

    ``columns``: only these columns (names absent from the frame ignored), in the frame's
    order — ``frame.iloc[pos].loc[:, frame.columns.isin(columns)]``: the left-out columns are
    not copied at all (a row copy of the assets table is mostly text nobody reads)."""
    left: list[Any] | None = None      # the labels left out, when known
    try:
        from pandas.core.internals import BlockManager

        mgr = frame._mgr
        blocks, items = mgr.blocks, mgr.axes[0]
        plan = _kept_blocks(frame, columns) if columns is not None else None
        if plan is not None:
            items = _index_of(items, plan[0], plan[2])
        used = range(len(blocks)) if plan is None else list(plan[1])
        text = [k for k in used if type(blocks[k].values) is ArrowStringArray]
        new: dict[int, Any] = {}
        if text:
            taken = pa.Table.from_arrays([blocks[k].values._pa_array for k in text],
                                         names=[str(k) for k in text]).take(pos)
            for k, col in zip(text, taken.columns):
                new[k] = _same_class(blocks[k], blocks[k].values._from_pyarrow_array(col), plan, k)
        for k in used:
            if k not in new:
                b = blocks[k]
                if not isinstance(b.values, (np.ndarray, pd.arrays.DatetimeArray)) or b.values.ndim != 2:
                    raise TypeError(type(b.values))
                v = b.values
                if plan is not None and plan[1][k][0] != list(range(v.shape[0])):
                    v = v.take(plan[1][k][0], axis=0)     # (a list index of a DatetimeArray: ~0.1 ms)
                new[k] = _same_class(b, v.take(pos, axis=1), plan, k)
        out_mgr = BlockManager(tuple(new[k] for k in used), [items, index], verify_integrity=False)
        out = pd.DataFrame._from_mgr(out_mgr, axes=out_mgr.axes)
        if plan is not None:
            # the labels at the positions not kept (unique: a kept label is; Index.difference
            # of the ~125 text labels costs ~0.2 ms a call)
            left = np.delete(frame.columns.to_numpy(dtype=object), plan[0]).tolist()
    except (AttributeError, TypeError, ImportError):  # pragma: no cover - another pandas
        out = frame.iloc[pos]
        out.index = index
        if columns is not None:
            out = out.loc[:, frame.columns.isin(list(columns))]
        left = None
    if columns is not None and len(out.columns) < len(frame.columns):
        mark_left_out(out, left if left is not None else frame.columns.difference(out.columns, sort=False))
    return out


def _kept_blocks(frame: pd.DataFrame, columns: Sequence[str]
                 ) -> tuple[np.ndarray, dict[int, tuple[list[int], list[int]]], tuple[str, ...]] | None:
    """Which of the frame's columns ``columns`` keeps, as (the kept positions, in order; per block
    with a kept column, in block order: (its kept rows, their new positions); their labels);
    None when it keeps them all. Each name is looked up by the index's engine (``get_indexer`` or ``isin``
    on the ~125 text labels cost ~0.7–0.9 ms a call, a ``get_loc`` ~0.3 µs)."""
    items = frame.columns
    locs: dict[int, str] = {}
    for c in columns:
        if c in items:
            loc = items.get_loc(c)
            if not isinstance(loc, int):
                raise TypeError("duplicated column labels")
            locs[loc] = c
    if len(locs) == len(items):
        return None
    kept = np.array(sorted(locs), dtype=np.intp)
    mgr = frame._mgr
    per: dict[int, tuple[list[int], list[int]]] = {}
    for new, (blk, row) in enumerate(zip(mgr.blknos[kept].tolist(), mgr.blklocs[kept].tolist())):
        rows, at = per.setdefault(blk, ([], []))
        rows.append(row)
        at.append(new)
    return kept, dict(sorted(per.items())), tuple(locs[k] for k in kept.tolist())


_KEPT_INDEX: dict[tuple[Any, ...], pd.Index] = {}


def _index_of(items: pd.Index, kept: np.ndarray, names: tuple[Any, ...]) -> pd.Index:
    """``items[kept]``, the kept columns' labels ``names``. Kept per (labels, dtype, name) — a
    replicated run keeps the same ~45 assets columns every call, and an Arrow text index take
    costs ~50–100 µs —, each caller getting a view of its own (a name set on it stays there)."""
    if not all(type(x) is str for x in names):
        return items[kept]
    key = (names, str(items.dtype), items.name)
    idx = _KEPT_INDEX.get(key)
    if idx is None:
        idx = items[kept]
        if len(_KEPT_INDEX) >= 64:
            _KEPT_INDEX.clear()
        _KEPT_INDEX[key] = idx
    return idx._view()


def _same_class(block: Any, values: Any, plan: Any, k: int) -> Any:
    """A block of ``block``'s class with ``values``, at its own columns — or, with the ``plan``
    of :func:`_kept_blocks`, at the new positions of its kept ones."""
    if plan is None:
        return block.make_block_same_class(values)
    from pandas._libs.internals import BlockPlacement

    return block.make_block_same_class(values, placement=BlockPlacement(np.asarray(plan[1][k][1], dtype=np.intp)))


# --------------------------------------------------------------------------- evaluation
def _aligned(frame: pd.DataFrame, index: pd.Index) -> pd.DataFrame:
    """``frame.reindex(index)``, or the frame itself when its index is already ``index`` (the
    reindex copies the frame, ~0.3 ms a call)."""
    if frame.index is index or (frame.index.equals(index) and index.is_unique):
        return frame
    return frame.reindex(index)


def _column(frame: pd.DataFrame, c: str) -> np.ndarray | pd.Series:
    """``frame[c]``, as its numpy array when the column is a numpy number or bool one (read by
    pandas' private column getter, ~1 µs; a Series costs ~20 µs, and reconcile reads ~20
    columns a call); the Series for any other column, a duplicated name or a pandas without
    the getter."""
    try:
        loc = frame.columns.get_loc(c)
        if isinstance(loc, int):
            arr = frame._get_column_array(loc)
            if type(arr) is np.ndarray and arr.dtype.kind in "biuf":
                return arr
    except (AttributeError, KeyError, TypeError):
        pass
    return frame[c]


def _text(frame: pd.DataFrame, c: str) -> Any:
    """``frame[c]``, as its text array (``frame[c].array``: the same values, ``tolist`` and
    ``to_numpy``) when the column is a text one, read by
    :func:`~valuation.core.portfolio.column_values`; the Series for any other column or a
    duplicated name. A Series costs ~30–50 µs (half of it the label lookup in an Arrow text
    column index), and reconcile reads ~10 text columns a call."""
    v = column_values(frame, c)
    if isinstance(v, pd.api.extensions.ExtensionArray) and isinstance(v.dtype, pd.StringDtype):
        return v
    return frame[c]


def _num(frame: pd.DataFrame, c: str) -> np.ndarray:
    """``frame[c].to_numpy(dtype=float, na_value=np.nan)`` (an array of its own), without the
    Series for a numpy column (:func:`_column`)."""
    v = _column(frame, c)
    return np.array(v, dtype=float) if type(v) is np.ndarray else v.to_numpy(dtype=float, na_value=np.nan)


def _index_at(index: pd.Index, rows: np.ndarray) -> pd.Index:
    """``index[rows]`` for positions ``rows``; the index itself when they are all its positions
    in order (every asset weighs or applies: the common case) — a take of an Arrow text index
    costs ~90 µs, several per explained appraisal."""
    rows = np.asarray(rows)
    if rows.dtype.kind in "iu" and len(rows) == len(index) and np.array_equal(rows, np.arange(len(index))):
        return index
    return index[rows]


def _values(frame: pd.DataFrame, index: pd.Index) -> np.ndarray:
    """A method result's estimates on ``index``, NaN where not applicable: the values of
    ``fr["estimate"].where(fr["applicable"].astype(bool))`` of the aligned frame, as an array
    (the Series and its reindex by the caller cost ~0.3 ms a call)."""
    fr = _aligned(frame, index)
    s = _column(fr, "applicable")
    ok = s if type(s) is np.ndarray and s.dtype == bool else fr["applicable"].astype(bool).to_numpy()
    e = _column(fr, "estimate")
    return np.where(ok, np.asarray(e, dtype=float) if type(e) is np.ndarray else e.to_numpy(float), np.nan)


ValueFn = Callable[[Portfolio], "pd.Series | np.ndarray"]


def evaluate_values(f: ValueFn, pf: Portfolio, params: Sequence[Param],
                    values: Sequence[np.ndarray]) -> np.ndarray:
    """Evaluate ``f`` once on the portfolio replicated K times where parameter j takes
    ``values[j]`` (n, K) (NaN = leave the card's value). Returns (n, K)."""
    return evaluate_values_many([f], pf, params, values)[0]


def evaluate_values_many(fs: Sequence[ValueFn], pf: Portfolio, params: Sequence[Param],
                         values: Sequence[np.ndarray]) -> list[np.ndarray]:
    """:func:`evaluate_values` of several functions on ONE replicated, perturbed portfolio
    (each function is called once on it, in order; none may modify it)."""
    n = len(pf)
    K = values[0].shape[1] if values else 1
    flats = [np.asarray(v, float).reshape(n * K) for v in values]
    return [r.reshape(n, K) for r in _perturbed(fs, replicate(pf, K), params, flats)]


def evaluate_rows(fs: Sequence[ValueFn], pf: Portfolio, pos: np.ndarray, ids: np.ndarray,
                  params: Sequence[Param], values: Sequence[np.ndarray],
                  columns: Sequence[str] | None = None) -> list[np.ndarray]:
    """:func:`evaluate_values_many` on the rows of :func:`replicate_rows` (``pf`` row
    ``pos[r]`` as row ``r`` with id ``ids[r]``): parameter j takes ``values[j][r]`` on row
    ``r`` (NaN = leave the card's value). Returns one flat array (len(pos),) per function.
    ``columns``: the assets columns the functions read (:func:`replicate_rows`); the
    parameters' own (:meth:`Param.columns`) are added."""
    if columns is not None:
        columns = [*columns, *(c for p in params for c in p.columns())]
    return _perturbed(fs, replicate_rows(pf, pos, ids, columns), params, [np.asarray(v, float) for v in values])


def _perturbed(fs: Sequence[ValueFn], big: Portfolio, params: Sequence[Param],
               flats: Sequence[np.ndarray]) -> list[np.ndarray]:
    """Apply each parameter's flat values to the replicated portfolio ``big`` (NaN = leave the
    card's value; ``output`` parameters multiply the result instead), call each function once
    on it and return its values aligned with ``big``'s rows."""
    mult = np.ones(len(big))
    for p, flat in zip(params, flats):
        if p.kind == "output":
            mult = mult * np.where(np.isnan(flat), 1.0, flat)
        else:
            p.apply(big, flat)
    res = []
    for f in fs:
        out = f(big)
        arr = np.asarray(out.reindex(big.index) if isinstance(out, pd.Series) else out, dtype=float)
        res.append(arr * mult)
    return res
