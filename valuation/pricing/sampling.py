"""Random numbers and distributions of the Monte Carlo (docs/DOMAIN.md §6; issue 16).

Random numbers come from a counter-based generator (SplitMix64 of seed, draw and stream), so
an asset's draws depend only on its own ``engagement.seed`` — never on which other assets share
the batch, nor on the asset's id or name (issue 16: renaming an asset moved its guided range by
~1.3 %, Monte Carlo noise keyed on the id). Assets of one seed therefore share the same
stratified uniforms (common random numbers): their ranges differ only through their inputs;
the Monte Carlo standard error of each bound is stated with the range
(:mod:`valuation.pricing.uncertainty`).

Distributions are those of the model library: ``fixed``, ``uniform``, ``triangular``,
``normal``, ``lognormal``, ``relative_normal`` (:func:`quantile_u`, the inverse CDF).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence, Sized
from typing import Any

import numpy as np
from scipy import special

from ..core.errors import RefusedError

__all__ = [
    "DIST_TYPES",
    "asset_keys",
    "centre",
    "quantile_u",
    "uniforms",
    "uniforms_lhs",
    "uniforms_lhs_many",
]

DIST_TYPES = ("fixed", "uniform", "triangular", "normal", "lognormal", "relative_normal")


# --------------------------------------------------------------------------- random numbers
def _splitmix(x: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        x = x + np.uint64(0x9E3779B97F4A7C15)
        z = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def asset_keys(index: Sized, seeds: np.ndarray | int | None = None) -> np.ndarray:
    """One uint64 key per asset from its seed (``engagement.seed``) only: the asset's id and
    name never enter its draws (see the module docstring; ``index`` — the assets' ids or any
    sized thing — gives only the count)."""
    s = np.broadcast_to(np.asarray(0 if seeds is None else seeds), (len(index),))
    s = np.nan_to_num(np.asarray(s, dtype=float), nan=0.0).astype(np.uint64)
    return _splitmix(_splitmix(s) ^ np.uint64(0x5EED5EED5EED5EED))


_C1, _C2, _C3 = np.uint64(0x9E3779B97F4A7C15), np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)
_S30, _S27, _S31, _S11 = np.uint64(30), np.uint64(27), np.uint64(31), np.uint64(11)


def _splitmix_inplace(x: np.ndarray) -> np.ndarray:
    """:func:`_splitmix` written into ``x`` (a uint64 array the caller owns): the same bits
    with one scratch array instead of ~8 temporaries (a numpy call has a fixed cost even on a
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
    instead of one per parameter (~20 calls of fixed cost each, 6–9 parameters a
    reconciliation)."""
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


def centre(dist: Mapping[str, Any]) -> float:
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
