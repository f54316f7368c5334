"""pandas at the edge of the core: frames built from arrays and columns read without Series.

The portfolio's public tables are pandas frames (docs/DESIGN.md §2); the engine works on
arrays (:mod:`valuation.core.columns`). These helpers convert between the two cheaply:
:func:`frame_of_arrays` / :func:`frame_of_columns` assemble a frame from 1-D arrays, :func:`str_arrays`
turns many text columns into pandas "str" arrays by one Arrow conversion, and the readers
:func:`column_values`, :func:`column_floats`, :func:`column_list` read one column of a frame
(or of an :class:`~valuation.core.columns.AssetTable`) without building its Series.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa
from pandas.arrays import ArrowStringArray

if TYPE_CHECKING:
    from .columns import AssetTable

__all__ = ["arrow_str_array", "asset_columns", "frame_of_arrays", "frame_of_columns", "str_arrays", "column_values",
           "column_floats", "column_list", "label_codes", "text_positions"]


def text_positions(values: Any, ids: Any) -> np.ndarray:
    """The position in ``ids`` (unique text: an array, or a pandas column — an Arrow-stored one
    read as it is stored) of each of ``values`` (a pandas column, read as ``astype("str")``
    reads it, or an array of text; missing → -1, as is a value not in ``ids``), by Arrow's hash
    look-up (``pyarrow.compute.index_in``): a records table's asset ids matched to the assets
    without making a Python string of each id (as a pandas ``Index`` look-up of the record
    ids does; ``benchmarks/bench_partition.py`` measures a partition)."""
    import pyarrow.compute as pc

    if isinstance(values, pd.Series) and not isinstance(values.dtype, pd.StringDtype):
        values = values.astype("str")        # (ids typed as numbers read as their text)
    keys = pa.array(values, type=pa.string(), from_pandas=True)
    if isinstance(ids, pd.Series) and isinstance(ids.dtype, pd.StringDtype) and ids.dtype.storage == "pyarrow":
        look = pa.array(ids.array).cast(pa.string())   # (Arrow-stored ids: no Python string each)
    else:
        look = pa.array(np.asarray(ids, dtype=object), type=pa.string(), from_pandas=True)
    return pc.index_in(keys, value_set=look).fill_null(-1).to_numpy().astype(np.intp, copy=False)


def label_codes(s: pd.Series, labels: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray | None] | None:
    """The position in ``labels`` of each value of an Arrow-stored text column, by Arrow's hash
    look-up (``pyarrow.compute.index_in``: one pass in Arrow, instead of factorising the
    column and then looking up each distinct value in Python): ``(codes, missing)`` — int16 codes, -1
    where missing, and which rows are missing (None when none is) — when every value given
    is one of ``labels`` as it stands. None for another column (not Arrow-stored, or a value
    not matched as it stands: the caller reads it its own way, value by value)."""
    if not (isinstance(s.dtype, pd.StringDtype) and s.dtype.storage == "pyarrow"):
        return None
    import pyarrow.compute as pc

    arr = pa.array(s.array)
    look = _LABEL_SETS.get((labels, arr.type))
    if look is None:
        look = _LABEL_SETS[(labels, arr.type)] = pa.array(labels, arr.type)
    at = pc.index_in(arr, value_set=look)
    if at.null_count != arr.null_count:           # (a value not matched as it stands)
        return None
    if not arr.null_count:
        return np.asarray(at.to_numpy(zero_copy_only=False), dtype=np.int16), None
    codes = np.asarray(at.fill_null(-1).to_numpy(zero_copy_only=False), dtype=np.int16)
    return codes, np.asarray(arr.is_null(), dtype=bool)


_LABEL_SETS: dict[tuple[tuple[str, ...], Any], pa.Array] = {}


def frame_of_columns(out: dict[str, Any], index: pd.Index) -> pd.DataFrame:
    """``pd.DataFrame(out, index=index)`` for fresh 1-D columns of the final dtypes (float,
    bool, object or datetime64[ns] ndarrays, "str" ArrowStringArrays, DatetimeArrays), through
    the public constructor only. Object columns stay object (the constructor would infer "str"
    from an object ndarray — callers pass those only where the old path had object Series)."""
    return pd.DataFrame({k: pd.Series(v, index=index, dtype=object, copy=False)
                         if isinstance(v, np.ndarray) and v.dtype == object else v
                         for k, v in out.items()}, index=index)


def frame_of_arrays(cols: Mapping[str, Any], index: pd.Index) -> pd.DataFrame:
    """``pd.DataFrame(cols, index=index)`` for the result columns a method builds: numpy
    arrays of numbers or bools, and of text (unicode arrays, or object arrays holding str
    only), which that constructor turns into "str" columns one Arrow conversion each, a fixed
    cost per column. Here the text of all columns is converted at once and the frame assembled by
    :func:`frame_of_columns`: the same frame, dtypes and blocks included. Anything else (another
    column type, an object array holding None or numbers, no rows) goes to the constructor.
    """
    n = len(index)
    out: dict[str, Any] = {}
    text: list[tuple[str, list[Any]]] = []
    for k, v in cols.items():
        if type(v) is not np.ndarray or v.ndim != 1 or len(v) != n or not n or type(k) is not str:
            return pd.DataFrame(cols, index=index)
        kind = v.dtype.kind
        if kind in "biuf":
            out[k] = v                   # (stacked into the frame's blocks: a copy)
            continue
        vals = v.tolist()
        if kind != "U" and not (kind == "O" and all(type(x) is str for x in vals)):
            return pd.DataFrame(cols, index=index)
        out[k] = None                    # filled below
        text.append((k, vals))
    for (k, _), arr in zip(text, str_arrays([vals for _, vals in text], n)):
        out[k] = arr
    return frame_of_columns(out, index)


def asset_columns(table: AssetTable, names: Sequence[str]) -> dict[str, Any]:
    """The columns ``names`` of an asset table as the ``Portfolio.assets`` frame holds them
    (:meth:`~valuation.core.columns.AssetTable.to_frame`): numbers float64 and bools as
    stored, dates datetime64[ns], text and enum labels pandas "str" (all text converted at
    once; missing NaN)."""
    n = len(table)
    out: dict[str, Any] = {}
    texts: list[tuple[str, list[Any]]] = []
    for name in names:
        a, kind = table[name], table.spec(name).kind
        if kind in ("number", "bool"):
            out[name] = a                     # (a frame's blocks are copies)
        elif kind == "date":
            out[name] = a.astype("datetime64[ns]")
        else:
            out[name] = None                  # filled below, all text at once
            texts.append((name, (table.decode(name) if kind == "enum" else a).tolist()))
    if n:
        for (name, _), arr in zip(texts, str_arrays([v for _, v in texts], n)):
            out[name] = arr
    else:
        for name, _ in texts:
            out[name] = pd.array(pa.array([], type=pa.large_string()), dtype="str")
    return out


def str_arrays(texts: Sequence[list[Any]], n: int) -> list[pd.api.extensions.ExtensionArray]:
    """A "str" array of each list of ``n`` str values, all converted by ONE Arrow call and
    sliced: a conversion per column has a fixed cost a slice does not, and a method's result
    frame has ~10 text columns."""
    if not texts:
        return []
    big = pa.array([x for vals in texts for x in vals], type=pa.large_string())
    return [arrow_str_array(big.slice(i * n, n)) for i in range(len(texts))]


def arrow_str_array(values: pa.Array) -> pd.api.extensions.ExtensionArray:
    """The pandas "str" array over a large_string Arrow array (what ``pd.array(vals, dtype="str")``
    builds for str/None values, at a tenth of the cost). A dtype object of its own, as there:
    the frame constructor groups extension columns into blocks by dtype identity."""
    try:
        return ArrowStringArray(pa.chunked_array([values]), dtype=pd.StringDtype("pyarrow", na_value=np.nan))
    except (TypeError, ValueError):  # pragma: no cover - another pandas: the public, slower way
        return pd.array(values.to_pylist(), dtype="str")


_EXTENSION_ARRAY = pd.api.extensions.ExtensionArray


def column_values(a: pd.DataFrame | AssetTable, name: str) -> np.ndarray | pd.api.extensions.ExtensionArray:
    """The values of column ``name`` of ``a`` as stored, without building its Series.

    For an :class:`~valuation.core.columns.AssetTable` (e.g. ``Portfolio.columns``): its
    array (enums as codes; text an object array, None missing).

    A read-only numpy view for a numpy column (what ``a[name].to_numpy()`` gives), the
    extension array (``a[name].array``) otherwise, through public pandas only (a frame's
    private block manager changes between releases; the typed way to read many columns
    cheaply is ``Portfolio.columns``). Raises KeyError for an absent column, as ``a[name]``.
    """
    if not isinstance(a, pd.DataFrame):   # an AssetTable: the stored array (enums as codes)
        return a[name]
    loc = a.columns.get_loc(name)
    if isinstance(loc, int):   # a unique label; duplicated labels take the public path
        v = a.iloc[:, loc].array  # public; the ExtensionArray or NumpyExtensionArray
        if isinstance(v, pd.arrays.NumpyExtensionArray):
            v = v.to_numpy()
        if type(v) is np.ndarray:  # most reads: a numpy column (no ExtensionArray ABC check)
            if v.ndim == 1 and len(v) == len(a):
                v = v.view()
                v.flags.writeable = False
                return v
        elif isinstance(v, _EXTENSION_ARRAY) and isinstance(v.dtype, np.dtype):
            v = np.asarray(v)      # datetime64 / timedelta64 columns: their numpy values
        if isinstance(v, np.ndarray) and v.ndim == 1 and len(v) == len(a):
            v = v.view()           # our own view: the flag must not touch the frame's array
            v.flags.writeable = False
            return v
        if isinstance(v, pd.api.extensions.ExtensionArray) and len(v) == len(a):
            return v
    s = a[name]                    # (a frame for a duplicated label: its 2-D values)
    return s.to_numpy() if isinstance(s, pd.DataFrame) or isinstance(s.dtype, np.dtype) else s.array


def column_floats(a: pd.DataFrame | AssetTable, name: str) -> np.ndarray:
    """``a[name].to_numpy(dtype=float)`` (read-only), straight from the block for a float64
    column (every number column of a portfolio); a table's number column as stored."""
    if not isinstance(a, pd.DataFrame):
        return a.floats(name)
    v = column_values(a, name)
    if isinstance(v, np.ndarray) and v.dtype == np.float64:
        return v
    return a[name].to_numpy(dtype=float)


def column_list(a: pd.DataFrame | AssetTable, name: str) -> list[Any]:
    """The values of a column as a list of Python objects: Arrow text by Arrow's
    ``to_pylist`` (missing → None; pandas' ``to_numpy`` has a fixed cost filling the missing
    values, even of a one-row column), other columns ``a[name].to_numpy(dtype=object).tolist()``;
    a table's text and enum labels with None missing (:meth:`AssetTable.values_list`)."""
    if not isinstance(a, pd.DataFrame):   # an AssetTable: text and enum labels, None missing
        return a.values_list(name)
    v = column_values(a, name)
    if isinstance(v.dtype, pd.StringDtype) and v.dtype.storage == "pyarrow":
        return pa.array(v).to_pylist()
    if isinstance(v, np.ndarray) and v.dtype == object:
        return v.tolist()
    return a[name].to_numpy(dtype=object).tolist()
