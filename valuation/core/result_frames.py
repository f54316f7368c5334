"""The pricing layer's pandas edge: the approaches' result frames read as arrays, the
pricing results handed back as frames (the faces and the engine read frames), and the
labels, streams and records of the rows of perturbed inputs (``pricing/perturbed.py``).

The kernels (:mod:`valuation.pricing`, :mod:`valuation.methods`) import no pandas (issue 20,
docs/DESIGN.md §4): where they hand a frame on or read one, they call this module.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from .frames import frame_of_arrays

__all__ = ["aligned", "empty_frame", "estimates", "frame_of", "record_rows", "result_columns", "row_index",
           "stream_frame", "values_on"]


def _on(rows: pd.Index, index: pd.Index) -> bool:
    """Are ``rows`` already ``index`` (so a reindex would change nothing)?"""
    return rows is index or (rows.equals(index) and index.is_unique)


def aligned(frame: pd.DataFrame, index: pd.Index) -> pd.DataFrame:
    """``frame.reindex(index)``, or the frame itself when its index is already ``index``."""
    if _on(frame.index, index):
        return frame
    return frame.reindex(index)


def result_columns(res: Any, index: pd.Index) -> Any:
    """An approach's result on ``index``, read as arrays (``num``, ``flag``, ``txt``): the
    result itself when its rows are ``index`` already (every run of the engine and of the
    Monte Carlo), else one of its frame reindexed."""
    if _on(res.index, index):
        return res
    return type(res)(res.method, res.frame.reindex(index))   # (a MethodResult: core imports no methods)


def estimates(res: Any, index: pd.Index) -> np.ndarray:
    """An approach's estimates on ``index``, NaN where not applicable."""
    return result_columns(res, index).estimates()


def frame_of(cols: Mapping[str, Any], index: pd.Index | None = None) -> pd.DataFrame:
    """The frame of the columns ``cols`` (arrays, one value a row) on ``index`` (the text
    columns converted at once, :func:`.frames.frame_of_arrays`, as the
    approaches build their result frames)."""
    if index is None:
        return pd.DataFrame(dict(cols))
    return frame_of_arrays(cols, index)


def empty_frame(names: Sequence[str]) -> pd.DataFrame:
    """A frame with the columns ``names`` and no rows."""
    return pd.DataFrame(columns=list(names))


def values_on(y: Any, index: pd.Index) -> np.ndarray:
    """A value function's answer as floats aligned with ``index``: a Series is reindexed, an
    array taken as it is."""
    if isinstance(y, pd.Series):
        y = y.reindex(index)
    return np.asarray(y, dtype=float)


# ------------------------------------------------------------------ rows of perturbed inputs
def row_index(n: int, name: Any) -> pd.Index:
    """The labels ``0 … n − 1`` of the rows of perturbed inputs (``pricing/perturbed.py``)."""
    return pd.RangeIndex(n, name=name)


def stream_frame(values: np.ndarray, index: pd.Index, like: pd.DataFrame) -> pd.DataFrame:
    """A stream of the rows: the (rows × periods) ``values`` with the periods of ``like``."""
    return pd.DataFrame(values, index=index, columns=like.columns)


def record_rows(records: pd.DataFrame, rows: np.ndarray, asset_ids: np.ndarray) -> pd.DataFrame:
    """The record rows ``rows`` of a ragged table, in that order, with new ``asset_id``s."""
    if not len(records):
        return records.copy()
    out = records.iloc[rows].reset_index(drop=True)
    out["asset_id"] = asset_ids
    return out
