"""A portfolio as arrays: the asset table, (assets × periods) streams and ragged records.

docs/DESIGN.md §2; issue 20 step 2. :class:`PortfolioArrays` is the array form of a
:class:`~valuation.core.portfolio.Portfolio`:

- ``assets``   :class:`~valuation.core.columns.AssetTable` (one row per asset);
- ``streams``  path → float64 array (assets × periods), NaN after an asset's last period;
- ``records``  path → :class:`Ragged`: the items of a list-of-objects field (cost lines,
  comparables, contributory assets, scenarios, quality indicators …) as one table of item
  columns with ``offsets`` — asset i's items are rows ``offsets[i]:offsets[i + 1]``, in the
  order given;
- ``matrices`` path → asset_id → ndarray (AHP pairwise matrices).

Item columns follow the asset table's conventions (:mod:`valuation.core.columns`): numbers
float64 NaN, dates datetime64[D] NaT, enums int16 codes (-1 missing), text object None; a
bool item without a default and a list of numbers are object arrays (None missing).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .columns import (
    MISSING_CODE,
    AssetTable,
    ColumnSpec,
    _codes_of,
    _distinct_codes,
    _readonly,
    _spec_of,
    _text,
    _text_column,
)
from .frames import label_codes, text_positions
from .layout import record_fields

if TYPE_CHECKING:
    from .portfolio import Portfolio

__all__ = ["Ragged", "PortfolioArrays", "item_specs"]


def item_specs(path: str) -> tuple[ColumnSpec, ...]:
    """The item columns of a records path, named by the item key (``price``, ``category`` …);
    derived once per path and schema field list."""
    fields = record_fields()[path]
    got = _ITEM_SPECS.get(path)
    if got is not None and got[0] is fields:
        return got[1]
    specs = _item_specs(fields)
    _ITEM_SPECS[path] = (fields, specs)
    return specs


_ITEM_SPECS: dict[str, tuple[Any, tuple[ColumnSpec, ...]]] = {}


def _item_specs(fields: Sequence[Any]) -> tuple[ColumnSpec, ...]:
    out = []
    for g in fields:
        leaf = g.path.rsplit(".", 1)[1]
        if g.kind == "list_number" or (g.kind == "bool" and g.default is None):
            out.append(ColumnSpec(leaf, "object", g.path))
        else:
            s = _spec_of(g)
            out.append(ColumnSpec(leaf, s.kind, g.path, s.labels, s.default, s.list_text))
    return tuple(out)


def _item_column(spec: ColumnSpec, s: pd.Series) -> np.ndarray:
    if spec.kind == "number":
        a = pd.to_numeric(s, errors="coerce").to_numpy(dtype=float, na_value=np.nan).copy()
        if spec.default is not None:
            a[np.isnan(a)] = spec.default
        return a
    if spec.kind == "date":
        return pd.to_datetime(s, errors="coerce").to_numpy().astype("datetime64[D]")
    if spec.kind == "enum":   # each distinct label looked up once (a records file's text column)
        return _factor_codes(spec, s)
    if spec.kind == "text":   # one conversion to objects, missing None (then the default)
        return _text_column(spec, s.to_numpy(dtype=object, na_value=None, copy=True))
    return _plain_column(spec, s.astype(object).where(s.notna(), None).tolist())


def _factor_codes(spec: ColumnSpec, s: pd.Series) -> np.ndarray:
    """The int16 codes of an enum item column: its distinct values (``pd.factorize``, missing
    → -1) looked up once each — what ``_codes_of(spec, s.astype("category"))`` gives, without
    building the Categorical; a label outside the enumeration is refused naming the first row
    that holds it. An Arrow-stored column of labels as they stand is coded by Arrow
    (:func:`~valuation.core.frames.label_codes`), the same codes."""
    fast = label_codes(s, spec.labels or ())
    if fast is not None:
        out, missing = fast
        if missing is not None and spec.default is not None:
            out[missing] = spec.default
        return out
    codes, uniq = pd.factorize(s)
    return _distinct_codes(spec, uniq.tolist(), codes, MISSING_CODE if spec.default is None else spec.default, s)


def _item_values(spec: ColumnSpec, vals: list[Any]) -> np.ndarray:
    """One item column from the plain values of validated cards (None missing): what
    :func:`_item_column` gives for the frame of those values."""
    if spec.kind == "number":
        a = np.array(vals, dtype=float)                   # None → NaN (numpy's own conversion)
        if spec.default is not None:
            a[np.isnan(a)] = spec.default
        return a
    if spec.kind == "date":   # ISO day text (validated), day precision as the frame path gives
        return np.array(["NaT" if v is None else v for v in vals], dtype="datetime64[D]")
    if spec.kind == "enum":
        return _codes_of(spec, vals)
    return _plain_column(spec, vals)


def _absent(spec: ColumnSpec, n: int) -> np.ndarray:
    """An item column no row gives: :func:`_item_values` of n missing values, made from one
    (its missing value, or the spec's default, repeated — not n values converted one by one:
    a records file names a few of a path's ~16 item columns)."""
    return np.repeat(_item_values(spec, [None]), n)


def _plain_column(spec: ColumnSpec, vals: list[Any]) -> np.ndarray:
    """A bool, text or object item column from plain values (None missing), for both sources."""
    n = len(vals)
    if spec.kind == "bool":
        d = bool(spec.default)
        return np.array([d if v is None else bool(v) for v in vals], dtype=bool)
    if spec.kind == "text":
        return _text(spec, vals, n)
    out = np.empty(n, dtype=object)
    for i, v in enumerate(vals):                  # (one by one: numpy would nest lists)
        out[i] = v
    return out


@dataclass(frozen=True, eq=False)
class Ragged:
    """The items of one records path for n assets: ``columns`` of ``offsets[-1]`` rows,
    asset i's at ``offsets[i]:offsets[i + 1]`` (``offsets``: int64, length n + 1, from 0,
    non-decreasing)."""

    path: str
    offsets: np.ndarray
    columns: Mapping[str, np.ndarray]

    def __post_init__(self) -> None:
        off = np.asarray(self.offsets, dtype=np.int64)
        if off.ndim != 1 or not len(off) or off[0] != 0 or np.any(np.diff(off) < 0):
            raise ValueError(f"{self.path}: offsets must start at 0 and not decrease")
        for k, a in self.columns.items():
            if len(a) != off[-1]:
                raise ValueError(f"{self.path}.{k}: {len(a)} rows, offsets say {off[-1]}")
            _readonly(a)
        object.__setattr__(self, "offsets", _readonly(off))
        object.__setattr__(self, "columns", MappingProxyType(dict(self.columns)))

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        """Pickled as its parts (a read-only mapping proxy does not pickle)."""
        return Ragged, (self.path, np.array(self.offsets), {k: np.array(v) for k, v in self.columns.items()})

    @property
    def counts(self) -> np.ndarray:
        """Items per asset."""
        return np.diff(self.offsets)

    @property
    def owner(self) -> np.ndarray:
        """Asset position of each item row."""
        return np.repeat(np.arange(len(self.offsets) - 1), self.counts)

    def __getitem__(self, name: str) -> np.ndarray:
        return self.columns[name]

    def take(self, rows: Sequence[int] | np.ndarray) -> Ragged:
        """The items of the given asset positions, in that order."""
        idx = np.asarray(rows, dtype=np.int64)
        counts = self.counts[idx]
        starts = self.offsets[idx]
        # item rows: for each chosen asset its range start..start+count
        item = np.repeat(starts - np.concatenate([[0], np.cumsum(counts)[:-1]]), counts) + \
            np.arange(int(counts.sum()))
        return Ragged(self.path, np.concatenate([[0], np.cumsum(counts)]),
                      {k: v[item] for k, v in self.columns.items()})

    @classmethod
    def from_items(cls, path: str, counts: Sequence[int], items: Sequence[Mapping[str, Any]]) -> Ragged:
        """Items of validated cards straight into item columns (no frame): asset i's items are
        the next ``counts[i]`` of ``items`` (dicts keyed by item field, the values
        :func:`~valuation.core.validate.check_document` leaves: numbers, ISO date text, enum
        labels, text, lists). The same columns as :meth:`from_frame` of the cards' records
        frame (a test holds the two to that)."""
        cols = {spec.name: _item_values(spec, [it.get(spec.name) for it in items])
                for spec in item_specs(path)}
        off = np.zeros(len(counts) + 1, dtype=np.int64)
        np.cumsum(np.asarray(counts, dtype=np.int64), out=off[1:])
        return cls(path, off, cols)

    @classmethod
    def from_frame(cls, path: str, frame: pd.DataFrame, ids: np.ndarray, pos: np.ndarray | None = None
                   ) -> Ragged:
        """Items of a long frame (``asset_id`` + item columns) grouped by the position of their
        asset in ``ids`` (rows of other assets are left out; the given order kept within an
        asset); an absent item column is all missing. ``pos``: each row's asset position
        (-1: none) when the caller has matched the ids already
        (:func:`~valuation.core.frames.text_positions`)."""
        if pos is None:
            pos = text_positions(frame["asset_id"], ids) if len(frame) else np.zeros(0, np.intp)
        keep = np.flatnonzero(pos >= 0)
        if len(keep) == len(pos) and (pos[1:] >= pos[:-1]).all():
            sub = frame            # (every row an asset's, in the assets' order: not copied)
        else:
            sub = frame.iloc[keep[np.argsort(pos[keep], kind="stable")]].reset_index(drop=True)
        cols = {}
        for spec in item_specs(path):
            cols[spec.name] = (_item_column(spec, sub[spec.name]) if spec.name in sub.columns
                               else _absent(spec, len(sub)))
        counts = np.bincount(pos[keep], minlength=len(ids))
        return cls(path, np.concatenate([[0], np.cumsum(counts)]), cols)

    def to_frame(self, ids: np.ndarray) -> pd.DataFrame:
        """The long frame: ``asset_id`` then the item columns (numbers float64 NaN, enum labels
        and text object None, dates datetime64 NaT, other items object None) — the records
        frame of a portfolio of cards, an edge form (faces, books)."""
        out: dict[str, Any] = {"asset_id": np.asarray(ids, dtype=object)[self.owner]}
        for spec in item_specs(self.path):
            a = self.columns[spec.name]
            if spec.kind == "enum":
                a = np.array((*(spec.labels or ()), None), dtype=object)[a]
            elif spec.kind == "date":   # pandas' reading of ISO day text (an all-missing column: [s])
                a = a.astype("datetime64[s]" if np.isnat(a).all() else "datetime64[us]")
            out[spec.name] = a
        # object columns stay object with None (the constructor would infer "str" with NaN)
        return pd.DataFrame({k: pd.Series(v, dtype=object) if v.dtype == object else v
                             for k, v in out.items()})


@dataclass(frozen=True, eq=False)
class PortfolioArrays:
    """A portfolio as arrays (see the module docstring); all parts aligned on ``assets``."""

    assets: AssetTable
    streams: Mapping[str, np.ndarray]
    records: Mapping[str, Ragged]
    matrices: Mapping[str, Mapping[str, np.ndarray]]

    def __len__(self) -> int:
        return len(self.assets)

    def take(self, rows: Sequence[int] | np.ndarray) -> PortfolioArrays:
        """The portfolio of the given asset positions, in that order."""
        idx = np.asarray(rows, dtype=np.int64)
        keep = set(self.assets.ids[idx].tolist())
        return PortfolioArrays(self.assets.take(idx), {k: v[idx] for k, v in self.streams.items()},
                               {k: r.take(idx) for k, r in self.records.items()},
                               {k: {a: m for a, m in v.items() if a in keep} for k, v in self.matrices.items()})

    @classmethod
    def from_portfolio(cls, pf: Portfolio) -> PortfolioArrays:
        """The arrays of a :class:`~valuation.core.portfolio.Portfolio` (its ``columns``, each
        series frame's values, each records frame grouped by asset)."""
        table = pf.columns
        streams = {k: _readonly(v.reindex(pf.index).to_numpy(dtype=float).copy())
                   for k, v in pf.series.items()}
        known = record_fields()
        records = {k: pf.ragged(k) or Ragged.from_frame(k, v, table.ids)
                   for k, v in pf.records.items() if k in known}
        return cls(table, MappingProxyType(streams), MappingProxyType(records),
                   MappingProxyType({k: dict(v) for k, v in pf.matrices.items()}))
