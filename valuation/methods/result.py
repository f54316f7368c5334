"""What one approach gives for a portfolio: result columns as arrays, traces, parameters and
warnings (issue 20 step 3; docs/DESIGN.md §3).

A :class:`MethodResult` made by :meth:`~valuation.methods.base.Approach.appraise` carries the
approach's :class:`~valuation.methods.base.Values` as numpy columns in the portfolio's order
(``estimate``, ``low``, ``high``, ``applicable``, ``reason_zh``, ``reason_en``, then the
approach's own); the engine, the pricing layer, the rules' facts and a result's rows read
those arrays. The pandas ``frame`` is built only when a face or a report asks for it (the
approach's own frame builder, :meth:`~valuation.methods.base.Approach.frame`). A result made
from a frame (an approach's own composition, a test) converts the frame's columns to arrays
once, on first read (:func:`frame_arrays`), and is read as any other.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from ..core.frames import frame_of_arrays

__all__ = ["MethodResult", "frame_arrays", "plain_columns"]


def plain_columns(cols: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """Result columns as 1-D numpy arrays: a text column given as ``(names, codes)`` (what
    an approach's frame builder also understands) becomes its object array of labels."""
    out: dict[str, np.ndarray] = {}
    for k, v in cols.items():
        if isinstance(v, tuple):
            names, codes = v
            v = np.asarray(names, dtype=object)[np.asarray(codes, dtype=np.intp)]
        out[k] = np.asarray(v)
    return out


def frame_arrays(frame: Any) -> dict[str, np.ndarray]:
    """The columns of a result frame as read-only 1-D arrays, each converted once by public
    pandas: numpy columns (numbers, bools, dates) as stored, every other column (text, …) an
    object array with None where missing."""
    out: dict[str, np.ndarray] = {}
    for name in frame.columns:
        s = frame[name]
        a = s.to_numpy() if isinstance(s.dtype, np.dtype) else s.to_numpy(dtype=object, na_value=None)
        a = a.view()             # (our own view: the flag must not touch the frame's array)
        a.flags.writeable = False
        out[name] = a
    return out


def _text(v: np.ndarray) -> np.ndarray:
    """Text with "" for missing (None or NaN)."""
    out = np.array(v, dtype=object)               # (a copy: the column stays as it is)
    # element-wise in numpy's loop, not a Python comprehension's step per row
    out[np.equal(out, None) | np.not_equal(out, out)] = ""   # (NaN ≠ NaN)
    return out


class MethodResult:
    """Output of one approach over a portfolio (read-only once made).

    Parameters
    ----------
    method : the approach's name.
    frame : the result frame (indexed by ``asset_id``), or None when ``columns`` are given.
    traces, params, warnings : per-asset traces, the parameters used, per-asset warnings.
    columns : the result columns (arrays in the order of ``index``).
    index : the assets' ids (the portfolio's ``index``), with ``columns``.
    build : makes the frame of ``columns`` on first use (default: one frame of the arrays).
    """

    __slots__ = ("method", "traces", "params", "warnings", "_frame", "_cols", "_index", "_build", "_rows")

    def __init__(self, method: str, frame: Any = None, traces: dict[str, list[Any]] | None = None,
                 params: dict[str, Any] | None = None, warnings: Mapping[str, list[dict[str, Any]]] | None = None,
                 *, columns: Mapping[str, Any] | None = None, index: Any = None,
                 build: Callable[[], Any] | None = None):
        if frame is None and columns is None:
            raise TypeError("MethodResult needs its frame or its columns")
        self.method = method
        self.traces = traces if traces is not None else {}
        self.params = params if params is not None else {}
        self.warnings = warnings if warnings is not None else {}
        self._frame, self._build, self._rows = frame, build, None
        self._cols = plain_columns(columns) if columns is not None else None
        self._index = index if frame is None else frame.index
        if self._cols is not None:
            for v in self._cols.values():
                v.flags.writeable = False

    def __repr__(self) -> str:
        return f"MethodResult({self.method!r}, {len(self)} assets, columns={list(self.columns)})"

    def __len__(self) -> int:
        return len(self._index)

    # ------------------------------------------------------------------ reading
    @property
    def index(self) -> Any:
        """The assets' ids (the frame's index)."""
        return self._index

    @property
    def frame(self) -> Any:
        """The result as a pandas frame indexed by ``asset_id`` (built on first use)."""
        if self._frame is None:
            self._frame = self._build() if self._build is not None else frame_of_arrays(self._cols, self._index)
            self._build = None
        return self._frame

    @property
    def columns(self) -> Mapping[str, np.ndarray]:
        """The result columns as read-only arrays (text: str, None where missing)."""
        if self._cols is None:
            self._cols = frame_arrays(self._frame)    # (converted once, on first use)
        return self._cols

    def num(self, name: str) -> np.ndarray:
        """A column as floats (all NaN when the result has no such column)."""
        v = self.columns.get(name)
        if v is None:
            return np.full(len(self), np.nan)
        return v if v.dtype == np.float64 else v.astype(float)

    def flag(self, name: str) -> np.ndarray:
        """A column as booleans (all False when absent)."""
        v = self.columns.get(name)
        if v is None:
            return np.zeros(len(self), dtype=bool)
        return v if v.dtype == np.bool_ else np.array([bool(x) for x in v.tolist()], dtype=bool)

    def txt(self, name: str) -> np.ndarray:
        """A text column as str, "" where missing (all "" when absent)."""
        v = self.columns.get(name)
        return np.full(len(self), "", dtype=object) if v is None else _text(v)

    def estimates(self) -> np.ndarray:
        """The estimates, NaN where the approach does not apply."""
        return np.where(self.flag("applicable"), self.num("estimate"), np.nan)

    # ------------------------------------------------------------------ new results
    def refused(self, mask: np.ndarray, reason_zh: str, reason_en: str, code: str | None = None, *,
                first: bool = False) -> MethodResult:
        """This result with the ``mask`` rows not applicable (no estimate, low or high) with the
        reason (``first``: only rows without a reason yet — the first reason wins); ``code``
        goes into ``reason_code`` where the result has that column. Itself when no row is
        refused."""
        m = np.asarray(mask, dtype=bool)
        if not m.any():
            return self
        if first:
            m = m & (self.txt("reason_zh") == "")
            if not m.any():
                return self
        cols = dict(self.columns)
        for c in ("estimate", "low", "high"):
            if c in cols:
                cols[c] = np.where(m, np.nan, self.num(c))
        cols["applicable"] = self.flag("applicable") & ~m
        for c, text in (("reason_zh", reason_zh), ("reason_en", reason_en)) + (
                (("reason_code", code),) if code is not None and "reason_code" in cols else ()):
            v = np.array(cols[c], dtype=object) if c in cols else np.full(len(self), "", dtype=object)
            v[m] = text
            cols[c] = v
        return MethodResult(self.method, None, self.traces, self.params, self.warnings, columns=cols,
                            index=self._index)

    # ------------------------------------------------------------------ rows
    def row(self, asset_id: str) -> dict[str, Any]:
        """One asset's row as plain values: numbers and bools as Python scalars (NaN kept),
        text as str (None missing), dates as ISO text, anything else through ``_plain``. Every
        column is converted once, on the first row read (a result's rows are read for every
        asset of a portfolio)."""
        if self._rows is None:
            self._rows = _column_rows(self.columns, self._index)
        get_loc, names, plain, lazy = self._rows
        i = get_loc(asset_id)
        if not isinstance(i, (int, np.integer)):
            raise KeyError(f"asset_id {asset_id!r} is not unique in the result")
        if not lazy:
            return {k: pl[i] for k, pl in zip(names, plain)}
        from .base import _plain

        return {k: (_plain(lz[i]) if pl is None else pl[i]) for k, pl, lz in zip(names, plain, lazy)}


def _column_rows(cols: Mapping[str, np.ndarray], index: Any) -> tuple[Any, list[str], list[Any], Any]:
    """``(get_loc, names, plain, lazy)``: numbers, bools, text (str or None) and dates (ISO
    text or None) as Python values once; any other column's values (lists, objects) passed
    through ``_plain`` on access (``lazy``: None when there is none)."""
    plain: list[Any] = []
    lazy: list[Any] = []
    for v in cols.values():
        kind = v.dtype.kind
        if kind in "fiub":
            plain.append(v.tolist())
            lazy.append(None)
        elif kind == "M":
            plain.append([None if d is None else d.isoformat() for d in v.astype("datetime64[D]").tolist()])
            lazy.append(None)
        else:
            vals = v.tolist() if kind == "O" else None
            text = vals is not None and all(x is None or type(x) is str for x in vals)
            plain.append(vals if text else None)
            lazy.append(None if text else v)
    return index.get_loc, list(cols), plain, lazy if any(x is not None for x in lazy) else None
