"""The income approach's result columns as a frame: the output edge (until results carry
arrays, docs/DESIGN.md §2). Text columns come as (names, codes) — a constant column (no refusals,
the copies of one card) written by one Arrow repeat, not a str per row — or as object arrays of
str; they become pandas "str" columns by Arrow (pandas' inference looks at every element in
Python), through :mod:`valuation.core.frames`' public constructors.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa

from ...core.frames import arrow_str_array, frame_of_columns, str_arrays

__all__ = ["SMALL", "coded_str", "frame", "labels", "str_array"]

# rows up to which the text of every column is converted by ONE Arrow call and sliced
SMALL = 64


def labels(names: tuple[str, ...], codes: np.ndarray) -> np.ndarray:
    """``np.asarray(names, dtype=object)[codes]``: an object array of str whose equal values
    are the same objects — what ``np.where(c, "a", "b").astype(object)`` gives, without a
    new str per element (and :func:`str_array` then finds a constant column at once)."""
    return np.asarray(names, dtype=object)[codes]


def str_array(values: np.ndarray) -> Any:
    """The "str" array ``pd.DataFrame`` infers from an object array of str (None: missing).

    pandas infers it element by element in Python; here it is one
    Arrow conversion, or one Arrow repeat when every value is the same (the reasons of a batch
    without refusals, the text columns of a portfolio replicated from one card).
    """
    values = np.asarray(values, dtype=object)
    # list.count compares by identity first: a column of one repeated str object (np.full,
    # :func:`labels`) is recognised without the comparisons an elementwise == makes
    if len(values) >= 64 and values.tolist().count(values[0]) == len(values):
        # (a short column: one conversion is cheaper)
        return arrow_str_array(pa.repeat(pa.scalar(values[0], type=pa.large_string()), len(values)))
    return arrow_str_array(pa.array(values, type=pa.large_string()))


def coded_str(names: tuple[str, ...], codes: np.ndarray) -> Any:
    """``str_array(labels(names, codes))``; a constant column (the usual case: no refusals, the
    copies of one card) found by its codes, not by comparing a str per row, and one Arrow repeat
    (an Arrow take costs more than converting the labels)."""
    codes = np.asarray(codes)
    if len(codes) and (codes == codes[0]).all():
        return arrow_str_array(pa.repeat(pa.scalar(names[codes[0]], type=pa.large_string()), len(codes)))
    return arrow_str_array(pa.array(labels(names, codes), type=pa.large_string()))


def frame(columns: dict[str, Any], index: Any) -> Any:
    """``pd.DataFrame(columns, index=index)`` for fresh 1-D numpy columns, object columns
    holding only str, without its per-column sanitising: the same dtypes, values and blocks
    (object columns become "str" columns as the constructor infers them — except when empty:
    it keeps those object). A column given as (names, codes) is ``labels(names, codes)``."""
    n = len(index)
    if not n or n >= SMALL:
        out = {k: (coded_str(*v) if len(v[1]) else labels(*v)) if isinstance(v, tuple)
               else str_array(v) if v.dtype == object and len(v) else v
               for k, v in columns.items()}
        return frame_of_columns(out, index)
    # a few rows: the text of every text column converted by ONE Arrow call and sliced (a
    # conversion or repeat per column has a fixed cost a slice does not; ~10 text columns a call)
    out, text = {}, []
    for k, v in columns.items():
        if isinstance(v, tuple):
            text.append((k, labels(*v).tolist()))
        elif v.dtype == object:
            text.append((k, v.tolist()))
        else:
            out[k] = v
            continue
        out[k] = None      # filled below, in its place
    for (k, _), arr in zip(text, str_arrays([vals for _, vals in text], n)):
        out[k] = arr
    return frame_of_columns(out, index)
