"""The typed reads of a portfolio that the approaches share (docs/DESIGN.md §2; issue 20).

The approaches read a portfolio through the typed containers only — the asset table
(:class:`~valuation.core.columns.AssetTable`: numbers float64 NaN, dates datetime64[D] NaT,
enums int16 codes with -1 missing, text object arrays with **None** missing, bools filled
with their schema default), the (assets × periods) streams and the ragged records
(:class:`~valuation.core.ragged.Ragged`). These three functions are where they are fetched:

* :func:`table` — ``pf.columns`` (the Monte Carlo's rows of perturbed inputs,
  ``pricing.perturbed.Rows``, give their own table);
* :func:`stream` — one stream as a float64 (assets × periods) array, or None;
* :func:`records` — one records path as a :class:`Ragged` over the table's assets, or None.

Only the path asked for is converted (``Portfolio.arrays`` converts every stream and records
path of the portfolio on each read).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..core.columns import MISSING_CODE, AssetTable, text_has
from ..core.ragged import Ragged
from ..core.streams import stream_array

__all__ = ["MISSING_CODE", "code_of", "coded", "codes_or", "decode", "is_label", "label_masks", "labels_of", "records",
           "stream", "table", "text_has"]


def table(pf: Any) -> AssetTable:
    """The asset table of ``pf`` (anything read as ``t[column]`` with the AssetTable's types)."""
    # (the pricing layer's rows of perturbed inputs answer with their own table; asking for
    # ``pf.assets`` first would build the pandas frame of a portfolio that has none)
    return pf.columns


def stream(pf: Any, path: str) -> np.ndarray | None:
    """The stream ``path`` as float64 (assets × periods 1, 2 …), NaN after an asset's last
    period; None when no asset gives it."""
    own = getattr(pf, "stream_values", None)
    if own is not None:           # a Portfolio: its arrays (core/streams.py), no frame
        return own(path)
    s = pf.series.get(path)
    return None if s is None else stream_array(s)


def records(pf: Any, path: str) -> Ragged | None:
    """The items of the records ``path`` grouped by the assets of :func:`table` (None when
    no asset gives any)."""
    made = getattr(pf, "ragged", None)
    if made is not None:          # a Portfolio: from its cards' items, no frame (core/ragged.py)
        return made(path)
    r = pf.records.get(path)
    if r is None or not len(r):
        return None
    return Ragged.from_frame(path, r, table(pf).ids)


def code_of(t: Any, name: str, label: str) -> int:
    """The int16 code of enum ``label`` in column ``name`` (ValueError for another label)."""
    return AssetTable.spec(name).code(label)


def codes_or(spec: Any, codes: np.ndarray, label: str) -> np.ndarray:
    """Enum ``codes`` (of an asset-table column's ``spec``) with ``label``'s code where missing
    (−1): a default put in the codes before they are decoded or compared (no text per value);
    ValueError for a label outside the enumeration."""
    c = np.asarray(codes)
    return np.where(c < 0, spec.code(label), c).astype(c.dtype, copy=False)


def labels_of(spec: Any, codes: np.ndarray) -> np.ndarray:
    """The int16 codes of an enum spec (an asset-table column's or a records item's) as an
    object array of its labels, None where missing (code -1)."""
    labels = np.array((*(spec.labels or ()), None), dtype=object)
    return labels[np.asarray(codes).astype(np.intp)]


def label_masks(spec: Any, codes: np.ndarray) -> dict[str, np.ndarray]:
    """``{label: labels_of(spec, codes) == label}`` for every label of an enum spec, by one
    integer comparison each (no text compared per value)."""
    c = np.asarray(codes)
    return {lab: c == i for i, lab in enumerate(spec.labels or ())}


def decode(t: Any, name: str) -> np.ndarray:
    """An enum column as an object array of its labels (None where missing)."""
    return labels_of(AssetTable.spec(name), t[name])


def coded(t: Any, name: str) -> tuple[tuple[str, ...], np.ndarray]:
    """An enum column as (names, codes) for a result's text column: the labels then "" (a
    missing value is written as "", the result frames' convention), codes as positions."""
    labels = AssetTable.spec(name).labels or ()
    c = np.asarray(t[name], dtype=np.intp)
    return (*labels, ""), np.where(c < 0, len(labels), c)


def is_label(t: Any, name: str, label: str) -> np.ndarray:
    """``column name == label`` for an enum column, as a bool array (missing: False)."""
    return t[name] == code_of(t, name, label)


