"""Portfolio: many assets as aligned tables keyed by ``asset_id`` (docs/DESIGN.md §2, §3).

One card is a portfolio of one. Methods compute on these tables for all assets at once.

- ``assets``   one row per asset, one column per scalar schema field (``column_of(path)``);
- ``series``   path → wide float frame (columns 1..n) for streams and numeric lists, streams
               given as ``{base, growth, terminal_growth}`` already expanded over ``income.periods``;
- ``records``  path → long frame (``asset_id`` + item fields) for lists of objects;
- ``matrices`` path → {asset_id: ndarray} (AHP pairwise matrices).
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from functools import partial
from typing import Any

import numpy as np
import pandas as pd

from . import typed as _typed
from .columns import AssetTable, _readonly
from .errors import Issue, ValidationError

# the column readers and frame builders the Portfolio uses (frame_of_arrays re-exported: `__all__`)
from .frames import (
    column_floats,
    frame_of_arrays,
    text_positions,
)
from .layout import (
    SECTION_FLAGS,
    _card_plan,
    _get,
    _scalar_fields,
    record_fields,
)
from .ragged import PortfolioArrays, Ragged
from .streams import (
    expand_stream_arrays,
    series_from_table,
    stream_array,
    wide_frame,
)
from .typed import LazyFrames, _typed_records
from .validate import check_document
from .validate_table import validate_columns

__all__ = ["Portfolio", "card_hash", "SECTION_FLAGS", "frame_of_arrays"]


def card_hash(card: Mapping[str, Any]) -> str:
    """sha256 of the canonical JSON of a card (the ``input_hash`` of provenance)."""
    blob = json.dumps(card, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


class Portfolio:
    """A portfolio of assets (see the module docstring).

    The carrier is the typed asset table (:attr:`columns`, an
    :class:`~valuation.core.columns.AssetTable`) with the streams, records and matrices
    beside it. ``assets`` — the same table as a pandas frame — is built from the table when
    someone asks for it (a face, a report, a reader not yet on the typed columns): a
    portfolio built from cards never builds it otherwise (issue 20 step 2).

    ``Portfolio(assets, series, records, matrices)`` wraps given frames (the table is then
    read from ``assets`` on first use); ``Portfolio(table=..., series=...)`` starts from a
    table. A portfolio is read-only once built: assigning ``assets`` replaces the table too.
    """

    def __init__(self, assets: Any = None, series: Mapping[str, pd.DataFrame] | None = None,
                 records: Mapping[str, pd.DataFrame] | None = None,
                 matrices: Mapping[str, dict[str, np.ndarray]] | None = None, *,
                 table: AssetTable | None = None):
        if assets is None and table is None:
            raise TypeError("Portfolio needs its assets (a frame) or its table (an AssetTable)")
        self._assets = assets
        self._table = table            # None: read from ``assets`` on first use
        self._index: pd.Index | None = None
        self._arrays: PortfolioArrays | None = None
        # records as Ragged: made from the cards' items when built from cards (``_items``),
        # else from the ``records`` frames; each path once (``_ragged``)
        self._items: Mapping[str, Ragged] | None = None
        # streams as (assets × periods 1..w) arrays when built from cards (``series``: their
        # frames, made when read); else read from the ``series`` frames
        self._streams: Mapping[str, np.ndarray] | None = None
        self._ragged: dict[str, Ragged | None] = {}
        self._memo: dict[Any, Any] = {}        # (see memo)
        self.series = series if series is not None else {}
        self.records = records if records is not None else {}
        self.matrices = matrices if matrices is not None else {}

    def __repr__(self) -> str:
        return (f"Portfolio({len(self)} assets, series={list(self.series)}, "
                f"records={list(self.records)}, matrices={list(self.matrices)})")

    # ---------------------------------------------------------------- basics
    @property
    def assets(self) -> pd.DataFrame:
        """The assets as a pandas frame (one row per asset, one column per scalar field): the
        edge form, built from :attr:`columns` on first use when the portfolio has a table."""
        if self._assets is None:
            assert self._table is not None
            self._assets = self._table.to_frame(self.index)
        return self._assets

    @assets.setter
    def assets(self, frame: Any) -> None:
        self._assets, self._table, self._index, self._arrays = frame, None, None, None
        self._items, self._ragged = None, {}      # (item rows follow the ids of the new frame)
        self._streams, self._memo = None, {}

    @property
    def columns(self) -> AssetTable:
        """The assets as typed numpy columns (:class:`~valuation.core.columns.AssetTable`:
        enums as codes, dates datetime64[D], text None when missing).

        A portfolio built from cards owns its table (``assets`` is made from it, if ever);
        otherwise the table is read from ``assets`` on first use and kept. Writing into
        ``assets`` in place after reading ``columns`` is not seen by the kept table — build
        a new portfolio instead.
        """
        if self._table is None:
            self._table = AssetTable.from_frame(self._assets)
        return self._table

    @property
    def arrays(self) -> PortfolioArrays:
        """The portfolio as arrays (:class:`~valuation.core.ragged.PortfolioArrays`): the asset
        table, the streams as (assets × periods) arrays, records as offsets + item columns;
        made once (a portfolio is read-only once built)."""
        if self._arrays is None:
            self._arrays = PortfolioArrays.from_portfolio(self)
        return self._arrays

    def ragged(self, path: str) -> Ragged | None:
        """The items of the records ``path`` grouped by the assets of :attr:`columns`, as a
        :class:`~valuation.core.ragged.Ragged` (None when no asset gives any): from a
        portfolio of cards straight from the cards' items (no frame), else from the
        ``records`` frame; made once per path."""
        if path in self._ragged:
            return self._ragged[path]
        r: Ragged | None
        if self._items is not None:
            r = self._items.get(path)
        else:
            fr = self.records.get(path)
            r = None if fr is None or not len(fr) else Ragged.from_frame(path, fr, self.columns.ids)
        if r is not None and not r.offsets[-1]:
            r = None
        self._ragged[path] = r
        return r

    @property
    def index(self) -> pd.Index:
        """The assets' ids (``asset_id``), the index of ``assets`` and of the result frames."""
        if self._assets is not None:
            return self._assets.index
        if self._index is None:
            assert self._table is not None
            self._index = pd.Index(self._table.ids.tolist(), name="asset_id")
        return self._index

    def __len__(self) -> int:
        return len(self._table) if self._assets is None else len(self._assets)

    def number(self, name: str) -> np.ndarray:
        """A number column as float64 (read-only): the table's for a schema field; for a
        portfolio made from a frame, also a column of that frame that is no schema field (a
        model's own input, e.g. a sensitivity study's); all NaN when absent."""
        table = self.columns
        if name in table or self._assets is None or name not in self._assets.columns:
            return table.number(name)
        return column_floats(self._assets, name)

    def __getstate__(self) -> dict[str, Any]:
        """Pickled without the memo (derived values, keyed by this process's objects)."""
        return {**self.__dict__, "_memo": {}}

    def memo(self, key: Any, make: Any) -> Any:
        """``make()`` once per ``key`` for this portfolio (a portfolio is read-only once built):
        what several approaches derive alike from it, e.g. the composite quality scores that
        the cost and the market approach both read. The caller keys by everything the value
        depends on besides the portfolio, and must not change what it gets."""
        if key not in self._memo:
            self._memo[key] = make()
        return self._memo[key]

    def stream_values(self, path: str) -> np.ndarray | None:
        """The stream ``path`` as float64 (assets × periods 1..w; read-only), NaN after an
        asset's last period (a growth stream's period 1 is NaN); None when no asset gives it.
        From the cards' arrays, no frame; else from the ``series`` frame."""
        if self._streams is not None:
            return self._streams.get(path)
        s = self.series.get(path)
        if s is None:
            return None
        return stream_array(s if s.index.equals(self.index) else s.reindex(self.index))

    def stream(self, path: str) -> pd.DataFrame:
        """Wide frame of a stream/list (all-NaN with one column when absent)."""
        s = self.series.get(path)
        if s is None:
            return pd.DataFrame({1: np.full(len(self), np.nan)}, index=self.index)
        return s

    def record(self, path: str) -> pd.DataFrame:
        r = self.records.get(path)
        if r is None:
            cols = ["asset_id"] + [f.path.rsplit(".", 1)[1] for f in record_fields().get(path, [])]
            return pd.DataFrame({c: pd.Series([], dtype=object) for c in cols})
        return r

    def subset(self, ids: Iterable[str] | np.ndarray | pd.Index) -> Portfolio:
        idx = pd.Index(list(ids) if not isinstance(ids, pd.Index) else ids)
        keep = set(idx)
        matrices = {k: {a: m for a, m in v.items() if a in keep} for k, v in self.matrices.items()}
        if self._assets is None:      # the table's rows; the frame stays unbuilt
            pos = self.index.get_indexer(idx)
            if (pos < 0).any():
                raise KeyError(f"unknown asset ids: {list(idx[pos < 0])}")
            # records: the frames cut when first read; the Ragged items taken at the rows
            lazy = LazyFrames({k: partial(_records_cut, self.records, k, keep) for k in self.records})
            streams = None if self._streams is None else {k: _readonly(v[pos]) for k, v in self._streams.items()}
            series = {k: v.loc[idx] for k, v in self.series.items()} if streams is None else \
                _wide_frames(streams, pd.Index(self.columns.ids[pos].tolist(), name="asset_id"))
            sub = Portfolio(None, series, lazy, matrices, table=self.columns.take(pos))
            sub._streams = streams
            if self._items is not None:
                sub._items = LazyFrames({k: partial(_ragged_rows, self, k, pos) for k in self._items})
            return sub
        series = {k: v.loc[idx] for k, v in self.series.items()}
        records = {k: _records_cut(self.records, k, keep) for k in self.records}
        return Portfolio(self.assets.loc[idx], series, records, matrices)

    def partitions(self, size: int) -> Iterable[Portfolio]:
        for start in range(0, len(self), size):
            yield self.subset(self.index[start:start + size])

    @staticmethod
    def concat(parts: Sequence[Portfolio]) -> Portfolio:
        assets = pd.concat([p.assets for p in parts])
        keys = {k for p in parts for k in p.series}
        series = {k: pd.concat([p.stream(k) for p in parts]).reindex(assets.index) for k in keys}
        rkeys = {k for p in parts for k in p.records}
        records = {k: pd.concat([p.record(k) for p in parts], ignore_index=True) for k in rkeys}
        mkeys = {k for p in parts for k in p.matrices}
        matrices = {k: {a: m for p in parts for a, m in p.matrices.get(k, {}).items()} for k in mkeys}
        return Portfolio(assets, series, records, matrices)

    # ---------------------------------------------------------------- from JSON cards
    @classmethod
    def from_card(cls, card: Mapping[str, Any]) -> Portfolio:
        return cls.from_cards([card])

    @classmethod
    def from_cards(cls, cards: Sequence[Mapping[str, Any]], *, strict: bool = True
                   ) -> Portfolio:
        """Validate cards (every issue of every card) and build the tables.

        With ``strict=False`` invalid cards are dropped and their issues kept in
        ``pf.rejected`` (list of Issue) — batches report failed rows and finish the rest.
        """
        norm: list[dict[str, Any]] = []
        issues: list[Issue] = []
        rejected: list[Issue] = []
        seen: set[str] = set()
        for i, c in enumerate(cards):
            out, iss = check_document(c, "card")
            aid = _get(out, "asset.asset_id")
            if aid is not None and aid in seen:
                iss.append(Issue(field="asset.asset_id", value=aid, allowed="unique ids",
                                 message_zh=f"资产编号 {aid!r} 重复", message_en=f"duplicate asset_id {aid!r}"))
            if iss:
                iss = [Issue(field=x.field, value=x.value, allowed=x.allowed,
                             message_zh=(f"第 {i + 1} 张卡片：" if len(cards) > 1 else "") + x.message_zh,
                             message_en=(f"card {i + 1}: " if len(cards) > 1 else "") + x.message_en,
                             row=i if len(cards) > 1 else None,
                             asset_id=aid if isinstance(aid, str) else None) for x in iss]
                (issues if strict else rejected).extend(iss)
                continue
            seen.add(aid)
            norm.append(out)
        if issues:
            raise ValidationError(issues)
        pf = cls._build_from_norm(norm)
        pf.rejected = rejected  # type: ignore[attr-defined]
        return pf

    @classmethod
    def _build_from_norm(cls, cards: list[dict[str, Any]]) -> Portfolio:
        """The tables of validated cards: the asset table (:class:`AssetTable`) first, the
        streams expanded over its periods, then the frames at the edge."""
        table = AssetTable.from_cards(cards, checked=True)
        ids = table.ids.tolist()
        _, _, sfields, mfields, rplan = _card_plan()
        raw_series: dict[str, list[Any]] = {f.path: [_get(c, f.path) for c in cards] for f in sfields}
        items = _typed.ragged_from_cards(_typed.card_items(cards, rplan))
        records = _typed.records_of_ragged(items, table.ids)   # (frames: the edge, when read)
        matrices: dict[str, dict[str, np.ndarray]] = {}
        for f in mfields:
            m = {aid: np.asarray(_get(c, f.path), dtype=float)
                 for aid, c in zip(ids, cards) if _get(c, f.path) is not None}
            if m:
                matrices[f.path] = m
        index = pd.Index(ids, name="asset_id")
        streams, filled = expand_stream_arrays(len(ids), table["income_periods"],
                                               table["income_terminal_growth"], raw_series)
        if filled:
            table = table.with_columns(**filled)
        pf = cls(None, _wide_frames(streams, index), records, matrices, table=table)
        pf._index, pf._streams = index, streams
        pf._items = items
        return pf

    # ---------------------------------------------------------------- from flat tables
    @classmethod
    def from_table(cls, df: pd.DataFrame, records: Mapping[str, pd.DataFrame] | None = None, *,
                   strict: bool = True) -> Portfolio:
        """Validate a flat portfolio table (vectorised) and build the tables.

        ``records`` maps a records path (``cost.lines``, ``market.comparables`` ...) to a long
        frame with ``asset_id`` and item columns (e.g. an Excel sheet). With ``strict=False``
        bad rows are dropped and reported in ``pf.rejected`` (Issue list); the rest is built.
        """
        typed, issues, given = validate_columns(df, "card")     # (columns read by position)
        table_level = [i for i in issues if i.row is None]
        if table_level:
            raise ValidationError(table_level + [i for i in issues if i.row is not None])
        bad_rows = sorted({i.row for i in issues if i.row is not None})
        if issues and strict:
            raise ValidationError(issues)
        keep = np.ones(len(df), dtype=bool)
        keep[bad_rows] = False
        if bad_rows:
            typed = {c: s[keep] for c, s in typed.items()}
        aid = typed["asset_id"]        # (a "str" column: coerce_column reads every str field as text)
        ids = aid.to_numpy(dtype=object)
        index = pd.Index(ids, name="asset_id")
        # the validated columns straight into the typed table (no assets frame: an edge)
        scalar = {f.column for f in _scalar_fields()}
        table = AssetTable.from_series(ids, {c: s for c, s in typed.items() if c in scalar})
        # the stream columns (numbered, base, growth …: the columns no scalar field names) as
        # arrays, the streams made from them as arrays; their frames only when read (the edge)
        streams, periods, tg = series_from_table(
            table["income_periods"], table["income_terminal_growth"],
            {c: s.to_numpy() for c, s in typed.items() if c not in scalar}, len(ids))
        flags = {flag: given[sec][keep] for sec, flag in SECTION_FLAGS.items()}
        given_by, recs, items = _table_records(records or {}, ids, aid)
        for path, has in given_by.items():     # an asset with items has the section
            flag = SECTION_FLAGS.get(path.split(".")[0])
            if flag is not None:
                flags[flag] = flags[flag] | has
        table = table.with_columns(income_periods=periods, income_terminal_growth=tg, **flags)
        pf = cls(None, _wide_frames(streams, index), recs, {}, table=table)
        pf._index, pf._items, pf._streams = index, items, streams
        pf.rejected = [i for i in issues if i.row is not None]  # type: ignore[attr-defined]
        return pf

    # ---------------------------------------------------------------- views
    def card(self, asset_id: str) -> dict[str, Any]:
        """The nested card of one asset rebuilt from the tables (scalars, series, records)."""
        row = self.assets.loc[asset_id]
        out: dict[str, Any] = {}
        for f in _scalar_fields():
            v = row.get(f.column)
            if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NaT:
                continue
            if isinstance(v, pd.Timestamp):
                v = v.date().isoformat()
            elif isinstance(v, (np.floating,)):
                v = float(v)
            elif isinstance(v, (np.bool_,)):
                v = bool(v)
            if f.kind == "int":
                v = int(v)
            if f.kind == "list_str":
                v = [s for s in str(v).split("; ") if s]
            sec = f.path.split(".")[0]
            if sec in SECTION_FLAGS and not bool(row.get(SECTION_FLAGS[sec])):
                continue
            _set(out, f.path, v)
        for path, fr in self.series.items():
            vals = fr.loc[asset_id].dropna().tolist()
            if vals and not path.endswith(".growth"):
                _set(out, path, vals)
        for path, fr in self.records.items():
            sub = fr[fr["asset_id"] == asset_id].drop(columns="asset_id")
            if len(sub):
                _set(out, path, [{k: _py(v) for k, v in r.items() if _py(v) is not None}
                                 for r in sub.to_dict("records")])
        return out


def _wide_frames(streams: Mapping[str, np.ndarray], index: pd.Index) -> LazyFrames:
    """The ``series`` frames of stream arrays, each made when first read (the edge form)."""
    return LazyFrames({k: partial(wide_frame, k, v, index) for k, v in streams.items()})


def _records_cut(records: Mapping[str, pd.DataFrame], path: str, keep: set[Any]) -> pd.DataFrame:
    """The rows of a records frame whose asset is in ``keep`` (the given order)."""
    v = records[path]
    return v[v["asset_id"].isin(keep)].reset_index(drop=True)


def _ragged_rows(pf: Portfolio, path: str, pos: np.ndarray) -> Ragged | None:
    """The items of ``pf``'s records ``path`` for its asset rows ``pos`` (in that order)."""
    r = pf.ragged(path)
    return None if r is None else r.take(pos)


def _table_records(records: Mapping[str, pd.DataFrame], ids: np.ndarray, id_column: Any = None
                   ) -> tuple[dict[str, np.ndarray], Mapping[str, pd.DataFrame], Mapping[str, Ragged]]:
    """The records tables of a flat portfolio (path → long frame of ``asset_id`` + item
    columns) cut to the portfolio's assets: which assets have items (path → bool per asset),
    the frames (typed when first read: the edge, e.g. the books) and their items as
    :class:`Ragged` (read straight from the given columns). Each table's ids are matched to
    the assets once (:func:`~valuation.core.frames.text_positions`; ``id_column``: the same ids
    as the table's validated column, read by Arrow as they are stored), for all three."""
    rfields = record_fields()
    given: dict[str, np.ndarray] = {}
    frames: dict[str, Any] = {}
    items: dict[str, Any] = {}
    for path, frame in records.items():
        if path not in rfields:
            raise ValidationError([Issue(field=path, value=None, allowed=", ".join(rfields),
                                         message_zh=f"未知明细表 {path}", message_en=f"unknown records table {path}")])
        pos = text_positions(frame["asset_id"], ids if id_column is None else id_column) if len(frame) \
            else np.zeros(0, np.intp)
        ours = pos >= 0
        fr = frame if ours.all() else frame[ours]         # (every row an asset's: not copied)
        given[path] = np.bincount(pos[ours], minlength=len(ids)) > 0
        frames[path] = partial(_typed_records, fr, rfields[path])
        items[path] = partial(Ragged.from_frame, path, fr, ids, pos[ours])
    return given, LazyFrames(frames), LazyFrames(items)


def _py(v: Any) -> Any:
    if v is None or v is pd.NaT or (isinstance(v, float) and np.isnan(v)):
        return None
    if isinstance(v, pd.Timestamp):
        return v.date().isoformat()
    if isinstance(v, np.generic):
        return v.item()
    return v


def _set(d: dict, path: str, v: Any) -> None:
    parts = path.split(".")
    for p in parts[:-1]:
        d = d.setdefault(p, {})
    d[parts[-1]] = v
