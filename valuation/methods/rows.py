"""One asset's row of a result frame as plain values, read from columns converted once.

``MethodResult.row`` and ``engine.Evaluation._row`` read every asset's row of every approach;
a ``.loc`` row costs ~0.3 ms, so a frame's columns are converted once (on the first rows
read) and each row is then a dict of the converted values — exactly what
``{k: _plain(v) for k, v in frame.loc[aid].items()}`` gives (tests/core/test_result_rows.py).
Public pandas only: the columns come from one ``DataFrame.to_numpy(dtype=object)`` (pandas
converts block by block, ~0.06 ms for a result frame; a Series per column costs ~20 µs each).
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = ["CONVERT_AT_ONCE", "row_columns"]

#: frames up to this many rows are converted on the first row read (see MethodResult.row)
CONVERT_AT_ONCE = 1000


def row_columns(frame: pd.DataFrame) -> Any:
    """Per column, what ``_plain(frame.loc[aid][col])`` gives: numeric / bool numpy columns as
    Python scalars once (``_plain`` of a numpy scalar is its ``tolist()`` value, NaN kept as
    a float), every other column as its object values (text: ``str`` or the dtype's missing
    value, timestamps, …) to be passed through ``_plain`` on access.

    Returns ``(get_loc, names, plain, lazy)`` or ``False`` when ``.loc`` would not give an
    object row of per-column scalars (empty frame, duplicated columns, one common numeric
    dtype that would cast the values)."""
    if not len(frame) or not frame.columns.is_unique:
        return False
    dtypes = frame.dtypes.tolist()
    if not _object_rows(frame, dtypes):
        return False
    values = frame.to_numpy(dtype=object)   # (rows × columns) of Python / pandas scalars
    plain, lazy = [], []
    for j, d in enumerate(dtypes):
        col = values[:, j]
        if isinstance(d, np.dtype) and d.kind in "fiub":
            plain.append(col.tolist())
            lazy.append(None)
        else:
            plain.append(None)
            lazy.append(col)
    return frame.index.get_loc, frame.columns.tolist(), plain, lazy


def _object_rows(frame: pd.DataFrame, dtypes: list[Any]) -> bool:
    """Whether a row of ``frame`` (``.loc``) is an object Series. Known without building one
    when a numpy bool and a numpy number column meet and every extension column is text:
    pandas' common type of bools and numbers is object, and text has no common type with
    either."""
    bools = numbers = False
    for d in dtypes:
        if isinstance(d, np.dtype):
            bools = bools or d.kind == "b"
            numbers = numbers or d.kind in "iufc"
        elif not isinstance(d, pd.StringDtype):
            break
    else:
        if bools and numbers:
            return True
    return frame.iloc[0].dtype == object
