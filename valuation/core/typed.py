"""Typed portfolio tables from loosely typed frames and card values (docs/DESIGN.md §2).

:func:`_typed_records` and :func:`_typed_records_from_items` type the long records tables
(item fields of a records list) by the schema table (numbers float64, dates datetime64[ns],
text pandas "str"); the field defaults of the schema fill missing values. The asset columns are
typed by :class:`~valuation.core.columns.AssetTable` (the carrier).
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from functools import partial
from typing import Any

import numpy as np
import pandas as pd

from .frames import _frame
from .layout import _get
from .ragged import Ragged
from .schema import Field

_MAX_EXACT_INT = 2 ** 53
_ISO_DATE = re.compile(r"(19|20|21)\d\d-\d\d-\d\d")


def _iso_dates(vals: list[str | None], unit: str = "ns") -> np.ndarray | None:
    """``pd.to_datetime(pd.Series(vals), errors="coerce")`` as datetime64[unit] when every value
    is None or a plain ``YYYY-MM-DD`` date in 1900–2199 (then both read the same calendar day
    at midnight); None — the caller takes pandas — otherwise, or for an impossible day."""
    if not all(v is None or _ISO_DATE.fullmatch(v) for v in vals):
        return None
    try:
        return np.array(["NaT" if v is None else v for v in vals], dtype="datetime64[D]").astype(f"datetime64[{unit}]")
    except ValueError:
        return None


def _typed_records(df: pd.DataFrame, rfields: list[Field]) -> pd.DataFrame:
    df = df.reset_index(drop=True)
    out = {"asset_id": df["asset_id"].astype(str).astype(object)}
    for g in rfields:
        name = g.path.rsplit(".", 1)[1]
        s = df[name] if name in df.columns else pd.Series([None] * len(df))
        if g.kind in ("int", "number"):
            x = pd.to_numeric(s, errors="coerce").astype(float)
            if g.default is not None:
                x = x.fillna(float(g.default))
            out[name] = x
        elif g.kind == "date":
            out[name] = pd.to_datetime(s, errors="coerce")
        elif g.kind == "list_number":
            out[name] = s.astype(object)
        else:
            o = s.astype(object).where(s.notna(), None)
            if g.default is not None:
                o = o.where(o.notna(), g.default)
            out[name] = o
    return pd.DataFrame(out)


_RECORD_KINDS = ("int", "number", "date", "list_number", "str", "enum")


def _typed_records_from_items(aids: list[Any], items: list[Any], rfields: list[Field],
                              names: list[str]) -> pd.DataFrame | None:
    """:func:`_typed_records` of the frame of rows ``{"asset_id": aid, name: item.get(name)...}``
    built column by column from the item values (~40 pandas coercions of a few rows each
    otherwise). None — the caller takes the general path — when a value is not of the plain
    types validated cards carry, so the result is the same frame, dtypes included."""
    if len(set(names)) != len(names) or "asset_id" in names or \
            any(g.kind not in _RECORD_KINDS for g in rfields):
        return None
    if not all(type(a) is str for a in aids) or not all(type(it) is dict for it in items):
        return None
    n = len(items)
    ida = np.empty(n, dtype=object)
    ida[:] = aids
    out: dict[str, Any] = {"asset_id": ida}
    for g, name in zip(rfields, names):
        vals = [it.get(name) for it in items]
        if g.kind in ("int", "number"):
            if not all(v is None or type(v) is float or (type(v) is int and -_MAX_EXACT_INT < v < _MAX_EXACT_INT)
                       for v in vals):
                return None
            x = np.array([np.nan if v is None else float(v) for v in vals], dtype=float)
            if g.default is not None:
                x = np.where(np.isnan(x), float(g.default), x)
            out[name] = x
        elif g.kind == "date":
            if not all(v is None or type(v) is str for v in vals):
                return None
            d = _iso_dates(vals, "us")
            if d is None:
                out[name] = pd.to_datetime(pd.Series(vals), errors="coerce").array
            elif all(v is None for v in vals):  # pandas reads an all-missing column as [s]
                out[name] = pd.array(d.astype("datetime64[s]"))
            else:
                out[name] = pd.array(d)
        elif g.kind == "list_number":
            if not all(v is None or type(v) is list for v in vals):
                return None
            o = np.empty(n, dtype=object)
            for i, v in enumerate(vals):
                o[i] = v
            out[name] = o
        else:  # str, enum: object, None when missing
            if not all(v is None or type(v) is str for v in vals):
                return None
            if g.default is not None:
                vals = [g.default if v is None else v for v in vals]
            o = np.empty(n, dtype=object)
            o[:] = vals
            out[name] = o
    return _frame(out, pd.RangeIndex(n))


class LazyFrames(Mapping[str, Any]):
    """path → frame (or another table), each built on first read (a records path no reader asks for — the
    accounting costs in an appraisal — costs nothing); a plain dict when pickled."""

    def __init__(self, makers: dict[str, Callable[[], pd.DataFrame]]):
        self._makers, self._done = makers, {}

    def __getitem__(self, key: str) -> pd.DataFrame:
        fr = self._done.get(key)
        if fr is None:
            fr = self._done[key] = self._makers[key]()
        return fr

    def __contains__(self, key: object) -> bool:
        return key in self._makers      # (Mapping's own would build the frame to answer)

    def __iter__(self) -> Iterator[str]:
        return iter(self._makers)

    def __len__(self) -> int:
        return len(self._makers)

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        return dict, (dict(self.items()),)


#: a records path's items in validated cards: item fields, item keys, the owner id of each
#: item, the items (dicts) and the count per card
CardItems = tuple[list[Field], list[str], list[Any], list[Any], list[int]]


def card_items(ids: list[str], cards: list[dict[str, Any]],
               rplan: list[tuple[str, list[Field], list[str]]]) -> dict[str, CardItems]:
    """Records path → its items in validated cards (:data:`CardItems`), for every records list
    some card fills (``rplan`` from :func:`~valuation.core.layout._card_plan`)."""
    out: dict[str, CardItems] = {}
    for rpath, rfields, names in rplan:
        aids: list[Any] = []
        items: list[Any] = []
        counts: list[int] = []
        for aid, c in zip(ids, cards):
            given = _get(c, rpath) or []
            counts.append(len(given))
            for item in given:
                aids.append(aid)
                items.append(item)
        if items:
            out[rpath] = (rfields, names, aids, items, counts)
    return out


def records_from_cards(items: Mapping[str, CardItems]) -> Mapping[str, pd.DataFrame]:
    """Records path → long typed frame (``asset_id`` + item fields) of :func:`card_items`,
    each frame built when first read (:class:`LazyFrames`): the edge form (faces, books)."""
    return LazyFrames({rpath: partial(_records_frame, aids, its, rfields, names)
                       for rpath, (rfields, names, aids, its, _) in items.items()})


def ragged_from_cards(items: Mapping[str, CardItems]) -> Mapping[str, Any]:
    """Records path → :class:`~valuation.core.ragged.Ragged` of :func:`card_items` (the
    kernels' form, made from the items with no frame), each built when first read."""
    return LazyFrames({rpath: partial(Ragged.from_items, rpath, counts, its)
                       for rpath, (_, _, _, its, counts) in items.items()})


def _records_frame(aids: list[Any], items: list[Any], rfields: list[Field], names: list[str]) -> pd.DataFrame:
    fr = _typed_records_from_items(aids, items, rfields, names)
    if fr is None:
        rows = [{"asset_id": aid, **{name: item.get(name) for name in names}}
                for aid, item in zip(aids, items)]
        fr = _typed_records(pd.DataFrame(rows), rfields)
    return fr
