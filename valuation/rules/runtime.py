"""What a compiled rule condition runs: the whitelisted functions, the element-wise operators
and :class:`CompiledExpr`, which evaluates a condition over a table of facts (one asset or a
million). Built only by :func:`valuation.rules.compiler.compile_expr`, which walks the
expression's syntax tree against the whitelist (docs/DESIGN.md §7).

Missing values: a missing number is NaN, a missing category is ``""``; every comparison
involving NaN is False; ``isnull`` is true for NaN and for ``""``.
"""
from __future__ import annotations

import ast
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["CompiledExpr", "FUNCTIONS", "text_equal", "text_member", "text_missing"]

Env = Mapping[str, Any]
Fn = Callable[[Env], Any]


# ----------------------------------------------------------------------------- functions
def text_missing(x: np.ndarray) -> np.ndarray:
    """Missing entries of a text (object) array: None, NaN and the empty text — numpy's
    element-wise comparisons of objects, one pass each over all assets."""
    x = np.asarray(x, dtype=object)
    return np.equal(x, "") | np.equal(x, None) | np.not_equal(x, x)   # (NaN ≠ NaN)


def text_equal(x: np.ndarray, value: Any) -> np.ndarray:
    """``x == value`` element-wise for a text (object) array and one value."""
    return np.asarray(np.equal(np.asarray(x, dtype=object), value), dtype=bool)


def text_member(x: np.ndarray, values: Any) -> np.ndarray:
    """Rows of a text (object) array equal to one of ``values``: one element-wise pass per
    value (the lists are short, and ``np.isin`` sorts object arrays)."""
    x = np.asarray(x, dtype=object)
    out = np.zeros(x.shape, bool)
    for v in values:
        out |= text_equal(x, v)
    return out


def _isnull(x: Any) -> Any:
    """NaN, None and the empty text are missing."""
    if isinstance(x, np.ndarray) and x.ndim == 0:
        x = x.item()
    if isinstance(x, np.ndarray):
        if x.dtype.kind in "fc":
            return np.isnan(x)
        if x.dtype.kind in "OUT":
            return text_missing(x)
        return np.zeros(x.shape, bool)
    return np.bool_(x is None or (isinstance(x, str) and x == "") or (isinstance(x, float) and x != x))


def _coalesce(x: Any, default: Any) -> Any:
    return np.where(_isnull(x), default, x)


def _fmin(*a: Any) -> Any:
    out = np.asarray(a[0], float)
    for x in a[1:]:
        out = np.minimum(out, np.asarray(x, float))  # NaN propagates: min(NaN, 1) is missing
    return out


def _fmax(*a: Any) -> Any:
    out = np.asarray(a[0], float)
    for x in a[1:]:
        out = np.maximum(out, np.asarray(x, float))
    return out


# name: (min args, max args, implementation)
FUNCTIONS: dict[str, tuple[int, int, Callable[..., Any]]] = {
    "abs": (1, 1, lambda x: np.abs(np.asarray(x, float))),
    "min": (2, 8, _fmin),
    "max": (2, 8, _fmax),
    "isnull": (1, 1, _isnull),
    "isnan": (1, 1, _isnull),
    "notnull": (1, 1, lambda x: np.logical_not(_isnull(x))),
    "coalesce": (2, 2, _coalesce),
    "clip": (3, 3, lambda x, lo, hi: np.clip(np.asarray(x, float), lo, hi)),
}

_CMP = {ast.Eq: np.equal, ast.NotEq: np.not_equal, ast.Lt: np.less, ast.LtE: np.less_equal,
        ast.Gt: np.greater, ast.GtE: np.greater_equal}
_BIN = {ast.Add: np.add, ast.Sub: np.subtract, ast.Mult: np.multiply, ast.Div: np.divide}
def _as_float(x: Any) -> Any:
    return np.asarray(x, float)


@dataclass(frozen=True)
class CompiledExpr:
    """A compiled rule condition.

    ``names`` are the facts it reads, ``kinds`` their declared types. Call it with a
    mapping ``name -> array`` (``n`` rows); it returns a boolean
    array of length ``n``. A fact absent from the table is treated as missing (NaN / "" /
    False), so rules run before every approach produces its facts.
    """

    source: str
    names: frozenset[str]
    fn: Fn = field(repr=False)
    kinds: Mapping[str, str] = field(default_factory=dict, repr=False)

    def env(self, facts: Any, n: int | None = None) -> tuple[dict[str, Any], int | None]:
        """The arrays this expression reads, taken from ``facts`` (a mapping)."""
        if n is None:
            for k in self.names:
                if k in facts:
                    n = np.asarray(facts[k]).shape[0] if np.ndim(facts[k]) else 1
                    break
        out: dict[str, Any] = {}
        for k in self.names:
            if k in facts:
                out[k] = np.asarray(facts[k])
            else:
                out[k] = _missing(self.kinds.get(k, "number"), 1 if n is None else n)
        return out, n

    def __call__(self, facts: Any, n: int | None = None) -> np.ndarray:
        env, n = self.env(facts, n)
        with np.errstate(all="ignore"):
            return self.mask(env, n)

    def mask(self, env: Env, n: int | None) -> np.ndarray:
        """The condition over ``env``, which holds an array for every name read (a rule set
        builds it once for all its rules and evaluates them under one ``np.errstate``)."""
        arr = np.asarray(self.fn(env))
        if arr.dtype != bool:
            arr = _truth(arr)
        if arr.shape == () and n is not None:
            arr = np.full(n, bool(arr))
        return arr


def _missing(kind: str, n: int) -> np.ndarray:
    if kind == "category":
        return np.full(n, "", dtype=object)
    if kind == "bool":
        return np.zeros(n, bool)
    return np.full(n, np.nan)


def _truth(a: Any) -> np.ndarray:
    """Truth of a value used as a condition: missing (NaN, None, "") is False."""
    a = np.asarray(a)
    if a.dtype == bool:
        return a
    if a.dtype.kind in "fc":
        return np.nan_to_num(a, nan=0.0) != 0
    if a.dtype.kind in "iu":
        return a != 0
    if a.dtype.kind in "OUT":
        o = a.astype(object, copy=False)
        return ~(text_missing(o) | np.asarray(np.equal(o, 0), bool) | np.asarray(np.equal(o, False), bool))
    return a.astype(bool)
