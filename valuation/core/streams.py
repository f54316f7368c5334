"""Income streams as (assets × periods) arrays (docs/INTERCHANGE.md "Income streams").

A stream is given as a list of per-period amounts or as ``{base, growth, terminal_growth}``
expanded over ``income.periods`` (F_1 = base, F_t = F_{t-1}(1 + g_t)); flat tables give
numbered columns (``income_income_1`` …) or ``*_base`` / ``*_growth_k`` columns.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from .layout import _series_fields


def _grow(base: np.ndarray, growth: np.ndarray, periods: np.ndarray, nmax: int) -> np.ndarray:
    """Expand first amounts with per-period growth: F_1 = base, F_t = F_{t-1}(1+g_t).

    ``growth`` is (n, k) with NaN padding; where fewer than nmax-1 rates are given the last
    given rate repeats (growth stages); with none, growth is 0. F_t = base × Π_{s≤t}(1+g_s),
    the product taken period by period in order (a few periods, many assets: one pass over
    the assets per period, each period's values contiguous), NaN after an asset's periods.
    """
    n = len(base)
    out = np.empty((max(nmax, 0), n))
    k = min(growth.shape[1], nmax - 1) if growth.size else 0
    rate = np.zeros(n)                      # the last given rate, carried on
    factor = np.ones(n)
    for t in range(nmax):
        if t:
            if t - 1 < k:
                col = growth[:, t - 1]
                rate = np.where(np.isnan(col), rate, col)
            factor *= 1.0 + rate
        np.multiply(base, factor, out=out[t])
        out[t][periods < t + 1] = np.nan
    return out.T.copy()


_LIST_STREAMS = ("income.income", "income.base", "income.revenue", "income.nopat", "income.with",
                 "income.without", "income.savings")


def expand_stream_arrays(n: int, periods: np.ndarray, terminal_growth: np.ndarray,
                         raw: dict[str, list[Any]]) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Card streams and numeric lists (path → one value per asset) as (assets × periods 1..w)
    float arrays, NaN after an asset's last period.

    An explicit income list sets ``income_periods`` where it is not given; a ``{base, growth,
    terminal_growth}`` stream is expanded by :func:`_grow` over the periods and its
    ``terminal_growth`` fills ``income_terminal_growth`` where that is not given. Returns the
    arrays (``path.growth`` → the given rates, which start at period 2: its period-1 column
    is NaN) and the filled columns (``{"income_periods": …, "income_terminal_growth": …}``,
    only those that changed).
    """
    periods = np.array(periods, dtype=float)
    tg = np.array(terminal_growth, dtype=float)
    filled: dict[str, np.ndarray] = {}
    for path in _LIST_STREAMS:   # explicit income lists define the number of periods
        for i, v in enumerate(raw.get(path, [None] * n)):
            if isinstance(v, list) and np.isnan(periods[i]):
                periods[i] = len(v)
                filled["income_periods"] = periods
    out: dict[str, np.ndarray] = {}
    for path, vals in raw.items():
        if all(v is None for v in vals):
            continue
        lists = [v if isinstance(v, list) else None for v in vals]
        specs = [v if isinstance(v, dict) else None for v in vals]
        nmax = max([len(v) for v in lists if v is not None] +
                   [int(p) for p, s in zip(periods, specs) if s is not None and not np.isnan(p)] + [1])
        mat = np.full((n, nmax), np.nan)
        for i, v in enumerate(lists):
            if v is not None:
                mat[i, :len(v)] = v
        if any(s is not None for s in specs):
            sidx = np.array([i for i, s in enumerate(specs) if s is not None])
            base = np.array([specs[i]["base"] for i in sidx], dtype=float)
            gl = max(len(specs[i]["growth"]) for i in sidx)
            gm = np.full((len(sidx), gl), np.nan)
            for j, i in enumerate(sidx):
                g = specs[i]["growth"]
                gm[j, :len(g)] = g
                t = specs[i].get("terminal_growth")
                if t is not None and np.isnan(tg[i]):
                    tg[i] = t
                    filled["income_terminal_growth"] = tg
            p = np.nan_to_num(periods[sidx], nan=1.0)
            mat[sidx] = _grow(base, gm, p, nmax)
            if gl:
                gfull = np.full((n, gl + 1), np.nan)      # (period 1: no rate)
                gfull[sidx, 1:] = gm
                out[path + ".growth"] = gfull
        out[path] = mat
    for a in out.values():
        a.flags.writeable = False
    return out, filled


def wide_frame(path: str, values: np.ndarray, index: pd.Index) -> pd.DataFrame:
    """The wide frame of a stream array (columns = periods; a growth stream's from 2): the
    edge form of :func:`expand_stream_arrays`' arrays."""
    first = 2 if path.endswith(".growth") else 1
    return pd.DataFrame(values[:, first - 1:], index=index, columns=range(first, values.shape[1] + 1),
                        copy=True)        # (its own values: the arrays are read-only)


def stream_array(frame: pd.DataFrame) -> np.ndarray:
    """A wide stream frame as (assets × periods 1..w) floats: its columns placed by their period
    labels (a growth stream starts at period 2), NaN where not given."""
    values = np.asarray(frame.to_numpy(dtype=float, na_value=np.nan))
    periods = list(frame.columns)
    if periods == list(range(1, len(periods) + 1)):
        return values
    at = np.array([int(p) for p in periods], dtype=np.intp)
    out = np.full((len(values), int(max(at.max(initial=0), 0))), np.nan)
    keep = at >= 1
    out[:, at[keep] - 1] = values[:, keep]
    return out


def series_from_table(periods: np.ndarray, terminal_growth: np.ndarray, typed: Mapping[str, np.ndarray],
                      n: int) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    """Numbered columns → stream arrays; base/growth columns → expanded streams (vectorised).

    ``typed`` maps the table's stream columns (numbered, ``*_base``, ``*_growth`` …) to their
    ``n`` float values; ``periods`` and ``terminal_growth`` are the assets' ``income_periods``
    and ``income_terminal_growth``. Returns the streams as :func:`expand_stream_arrays` gives
    them (path → (assets × periods 1..w) float array, read-only; ``path.growth`` → the given
    rates, its period-1 column NaN) — the frames are made from them only when read
    (:func:`wide_frame`) — and both columns filled: the periods by the count of an explicit
    stream's numbered columns where not given, the terminal growth by a stream's
    ``*_terminal_growth`` column where not given (new arrays).
    """
    out: dict[str, np.ndarray] = {}
    periods = np.array(periods, dtype=float)
    tg = np.array(terminal_growth, dtype=float)
    for f in _series_fields():
        root = f.column
        numbered = sorted((c for c in typed if c.startswith(root + "_") and
                           c[len(root) + 1:].isdigit()), key=lambda c: int(c[len(root) + 1:]))
        if numbered:
            # (the numbered columns in their order are periods 1, 2 …, whatever their numbers)
            mat = _stack(typed, numbered, n)
            out[f.path] = mat
            if f.kind == "stream":
                cnt = (~np.isnan(mat)).sum(axis=1).astype(float)
                fill = np.isnan(periods) & (cnt > 0)
                periods[fill] = cnt[fill]
        if f.kind == "stream" and root + "_base" in typed:
            _expand_base(f, root, typed, periods, n, out)
            if root + "_terminal_growth" in typed:
                t = np.asarray(typed[root + "_terminal_growth"], dtype=float)
                tg = np.where(np.isnan(tg), t, tg)
    for a in out.values():
        a.flags.writeable = False
    return out, periods, tg


def _stack(typed: Mapping[str, np.ndarray], names: list[str], n: int) -> np.ndarray:
    """The columns ``names`` of ``typed`` side by side as a new (n × len(names)) float array."""
    mat = np.empty((n, len(names)))
    for j, c in enumerate(names):
        mat[:, j] = typed[c]
    return mat


def _expand_base(f: Any, root: str, typed: Mapping[str, np.ndarray], periods: np.ndarray, n: int,
                 out: dict[str, np.ndarray]) -> None:
    """A stream given as ``*_base`` with ``*_growth`` / ``*_growth_k`` columns, expanded over
    the periods into ``out`` (over the numbered columns where both are given)."""
    base = np.asarray(typed[root + "_base"], dtype=float)
    has = ~np.isnan(base)
    if not has.any():
        return
    gcols = sorted((c for c in typed if c.startswith(root + "_growth_")),
                   key=lambda c: int(c.rsplit("_", 1)[1]))
    if gcols:
        gm = _stack(typed, gcols, n)
    elif root + "_growth" in typed:
        gm = _stack(typed, [root + "_growth"], n)
    else:
        gm = np.zeros((n, 0))
    p = np.where(np.isnan(periods), 1.0, periods)
    nmax = int(np.nanmax(p[has]))
    exp = _grow(np.nan_to_num(base), gm, p, nmax)
    exp[~has] = np.nan
    prev = out.get(f.path)
    if prev is not None:           # numbered columns too: the base's rows over the wider of both
        width = max(prev.shape[1], nmax)
        merged = np.full((n, width), np.nan)
        merged[:, :prev.shape[1]] = prev
        merged[has, :] = np.nan
        merged[has, :nmax] = exp[has]
        exp = merged
    out[f.path] = exp
    if gm.shape[1]:
        g = np.full((n, gm.shape[1] + 1), np.nan)       # (period 1: no rate)
        g[:, 1:] = gm
        out[f.path + ".growth"] = g
