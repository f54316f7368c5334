"""Typed portfolio tables from loosely typed frames and card values (docs/DESIGN.md §2).

:func:`_typed_records` types the long records tables of flat portfolios (item fields of a
records list) by the schema table; the field defaults of the schema fill missing values. The
items of cards go straight into :class:`~valuation.core.ragged.Ragged` (:func:`card_items`,
:func:`ragged_from_cards`), whose frame (:meth:`Ragged.to_frame`) is the records frame of a
portfolio of cards. The asset columns are typed by :class:`~valuation.core.columns.AssetTable`.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from functools import partial
from typing import Any

import pandas as pd

from .layout import _get
from .ragged import Ragged
from .schema import Field


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


#: a records path's items in validated cards: the items (dicts) and the count per card
CardItems = tuple[list[Any], list[int]]


def card_items(cards: list[dict[str, Any]], rplan: list[tuple[str, list[Field], list[str]]]
               ) -> dict[str, CardItems]:
    """Records path → its items in validated cards (:data:`CardItems`), for every records list
    some card fills (``rplan`` from :func:`~valuation.core.layout._card_plan`)."""
    out: dict[str, CardItems] = {}
    for rpath, _, _ in rplan:
        items: list[Any] = []
        counts: list[int] = []
        for c in cards:
            given = _get(c, rpath) or []
            counts.append(len(given))
            items.extend(given)
        if items:
            out[rpath] = (items, counts)
    return out


def ragged_from_cards(items: Mapping[str, CardItems]) -> LazyFrames:
    """Records path → :class:`~valuation.core.ragged.Ragged` of :func:`card_items` (the
    kernels' form, made from the items with no frame), each built when first read."""
    return LazyFrames({rpath: partial(Ragged.from_items, rpath, counts, its)
                       for rpath, (its, counts) in items.items()})


def records_of_ragged(ragged: Mapping[str, Ragged], ids: Any) -> LazyFrames:
    """Records path → the long frame (``asset_id`` + item columns) of each :class:`Ragged` of
    ``ragged`` over the assets ``ids``: the edge form (faces, books), built when first read."""
    return LazyFrames({rpath: partial(_frame_of, ragged, rpath, ids) for rpath in ragged})


def _frame_of(ragged: Mapping[str, Ragged], rpath: str, ids: Any) -> pd.DataFrame:
    return ragged[rpath].to_frame(ids)
