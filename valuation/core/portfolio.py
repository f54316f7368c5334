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
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
from pandas.arrays import ArrowStringArray

from . import schema as _schema
from .errors import Issue, ValidationError
from .schema import Field, fields_for
from .validate import check_document, validate_table

__all__ = ["Portfolio", "card_hash", "SECTION_FLAGS", "frame_of_arrays"]

SECTION_FLAGS = {"cost": "has_cost", "income": "has_income", "market": "has_market"}

_SCALAR_KINDS = ("str", "int", "number", "bool", "date", "enum", "list_str")


def _scalar_fields() -> list[Field]:
    return [f for f in fields_for("card") if not f.in_records and f.kind in _SCALAR_KINDS]


def _series_fields() -> list[Field]:
    return [f for f in fields_for("card") if not f.in_records and f.kind in ("stream", "list_number")]


_RECORD_FIELDS: list[tuple[Any, dict[str, list[Field]]]] = []


def _record_fields() -> dict[str, list[Field]]:
    """Records path → its item fields (read-only; derived once per schema field list — the
    scan is quadratic in the ~300 fields and ran on every ``record()`` of an absent path)."""
    if _RECORD_FIELDS and _RECORD_FIELDS[0][0] is _schema.FIELDS:
        return _RECORD_FIELDS[0][1]
    fields = fields_for("card")
    out: dict[str, list[Field]] = {}
    for f in fields:
        if f.kind == "records" and not f.in_records:
            out[f.path] = [g for g in fields if g.path.startswith(f.path + "[].")]
    _RECORD_FIELDS[:] = [(_schema.FIELDS, out)]
    return out


def card_hash(card: Mapping[str, Any]) -> str:
    """sha256 of the canonical JSON of a card (the ``input_hash`` of provenance)."""
    blob = json.dumps(card, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def _member(values: Any, members: Any) -> np.ndarray:
    """``values ∈ members`` as a bool array, by one hash lookup on object arrays (pandas' isin on
    Arrow strings with a Python set walks the set in Python: ~30 ms per call at 50,000 rows)."""
    look = pd.Index(np.asarray(members, dtype=object)).unique()
    return look.get_indexer(np.asarray(values, dtype=object)) >= 0


_MISSING = object()
_PARTS: dict[str, tuple[str, ...]] = {}


def _get_parts(d: Any, parts: Sequence[str]) -> Any:
    """``d[p0][p1]...`` or None where a step is missing or not a mapping (plain dicts by one
    ``dict.get`` a step, other mappings as before)."""
    cur: Any = d
    for part in parts:
        if type(cur) is dict:
            cur = cur.get(part, _MISSING)
            if cur is _MISSING:
                return None
        elif isinstance(cur, Mapping) and part in cur:
            cur = cur[part]
        else:
            return None
    return cur


def _get(d: Mapping[str, Any] | None, path: str) -> Any:
    parts = _PARTS.get(path)
    if parts is None:
        parts = _PARTS[path] = tuple(path.split("."))
    return _get_parts(d, parts)


_PLAN: list[tuple[Any, Any]] = []


def _card_plan() -> tuple[list[tuple[Field, int, str, str]], list[tuple[str, ...]], list[Field],
                          list[Field], list[tuple[str, list[Field], list[str]]]]:
    """What :meth:`Portfolio._build_from_norm` reads, derived once per schema field list:
    scalar fields as (field, parent prefix number, leaf key, column) with the distinct parent prefixes
    (each card's section dicts are looked up once, not once per field), series fields, matrix
    fields and records paths with their item fields and item keys."""
    if _PLAN and _PLAN[0][0] is _schema.FIELDS:
        return _PLAN[0][1]
    prefixes: list[tuple[str, ...]] = []
    where: dict[tuple[str, ...], int] = {}
    scal = []
    for f in _scalar_fields():
        parts = tuple(f.path.split("."))
        pre = parts[:-1]
        if pre not in where:
            where[pre] = len(prefixes)
            prefixes.append(pre)
        scal.append((f, where[pre], parts[-1], f.column))
    mats = [f for f in fields_for("card") if f.kind == "matrix"]
    recs = [(rpath, rfields, [g.path.rsplit(".", 1)[1] for g in rfields])
            for rpath, rfields in _record_fields().items()]
    plan = (scal, prefixes, _series_fields(), mats, recs)
    _PLAN[:] = [(_schema.FIELDS, plan)]
    return plan


@dataclass
class Portfolio:
    assets: pd.DataFrame
    series: dict[str, pd.DataFrame] = field(default_factory=dict)
    records: dict[str, pd.DataFrame] = field(default_factory=dict)
    matrices: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)

    # ---------------------------------------------------------------- basics
    @property
    def index(self) -> pd.Index:
        return self.assets.index

    def __len__(self) -> int:
        return len(self.assets)

    def stream(self, path: str) -> pd.DataFrame:
        """Wide frame of a stream/list (all-NaN with one column when absent)."""
        s = self.series.get(path)
        if s is None:
            return pd.DataFrame({1: np.full(len(self), np.nan)}, index=self.index)
        return s

    def record(self, path: str) -> pd.DataFrame:
        r = self.records.get(path)
        if r is None:
            cols = ["asset_id"] + [f.path.rsplit(".", 1)[1] for f in _record_fields().get(path, [])]
            return pd.DataFrame({c: pd.Series([], dtype=object) for c in cols})
        return r

    def subset(self, ids: Iterable[str] | np.ndarray | pd.Index) -> Portfolio:
        idx = pd.Index(list(ids) if not isinstance(ids, pd.Index) else ids)
        keep = set(idx)
        return Portfolio(
            assets=self.assets.loc[idx],
            series={k: v.loc[idx] for k, v in self.series.items()},
            records={k: v[v["asset_id"].isin(keep)].reset_index(drop=True)
                     for k, v in self.records.items()},
            matrices={k: {a: m for a, m in v.items() if a in keep} for k, v in self.matrices.items()},
        )

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
        ids = [c["asset"]["asset_id"] for c in cards]
        scal, prefixes, sfields, mfields, rplan = _card_plan()
        parents = [[_get_parts(c, pre) for c in cards] for pre in prefixes]
        cols: dict[str, list[Any]] = {}
        for f, pi, leaf, col in scal:
            vals = [p.get(leaf) if type(p) is dict else None if p is None else _get_parts(p, (leaf,))
                    for p in parents[pi]]
            if f.kind == "list_str":
                vals = ["; ".join(v) if v else None for v in vals]
            cols[col] = vals
        for sec, flag in SECTION_FLAGS.items():
            cols[flag] = [isinstance(c.get(sec), dict) for c in cards]
        raw_series: dict[str, list[Any]] = {f.path: [_get(c, f.path) for c in cards] for f in sfields}
        records: dict[str, pd.DataFrame] = {}
        for rpath, rfields, names in rplan:
            aids: list[Any] = []
            items: list[Any] = []
            for aid, c in zip(ids, cards):
                for item in _get(c, rpath) or []:
                    aids.append(aid)
                    items.append(item)
            if items:
                fr = _typed_records_from_items(aids, items, rfields, names)
                if fr is None:
                    rows = []
                    for aid, item in zip(aids, items):
                        row = {"asset_id": aid}
                        for name in names:
                            row[name] = item.get(name)
                        rows.append(row)
                    fr = _typed_records(pd.DataFrame(rows), rfields)
                records[rpath] = fr
        matrices: dict[str, dict[str, np.ndarray]] = {}
        for f in mfields:
            m = {aid: np.asarray(_get(c, f.path), dtype=float)
                 for aid, c in zip(ids, cards) if _get(c, f.path) is not None}
            if m:
                matrices[f.path] = m
        index = pd.Index(ids, name="asset_id")
        assets = _typed_assets_from_values(cols, index)
        if assets is None:
            assets = _typed_assets(pd.DataFrame(cols, index=index))
        series = _expand_series(assets, raw_series)
        return cls(assets, series, records, matrices)

    # ---------------------------------------------------------------- from flat tables
    @classmethod
    def from_table(cls, df: pd.DataFrame, records: Mapping[str, pd.DataFrame] | None = None, *,
                   strict: bool = True) -> Portfolio:
        """Validate a flat portfolio table (vectorised) and build the tables.

        ``records`` maps a records path (``cost.lines``, ``market.comparables`` ...) to a long
        frame with ``asset_id`` and item columns (e.g. an Excel sheet). With ``strict=False``
        bad rows are dropped and reported in ``pf.rejected`` (Issue list); the rest is built.
        """
        typed, issues = validate_table(df, "card")
        table_level = [i for i in issues if i.row is None]
        if table_level:
            raise ValidationError(table_level + [i for i in issues if i.row is not None])
        bad_rows = sorted({i.row for i in issues if i.row is not None})
        if issues and strict:
            raise ValidationError(issues)
        keep = np.ones(len(df), dtype=bool)
        keep[bad_rows] = False
        typed = typed.loc[keep]
        raw = df.loc[keep.tolist()] if len(df) else df
        sf = {f.column: f for f in _scalar_fields()}
        cols = {c: typed[c] for c in sf if c in typed.columns}
        for sec, flag in SECTION_FLAGS.items():
            present = [c for c in df.columns if c.startswith(sec + "_")]
            cols[flag] = (raw[present].notna().any(axis=1).to_numpy() if present
                          else np.zeros(len(typed), dtype=bool))
        ids = typed["asset_id"].astype(str).to_numpy()
        frame = pd.DataFrame({k: (v.array if isinstance(v, pd.Series) else v)
                              for k, v in cols.items()}, index=pd.Index(ids, name="asset_id"))
        assets = _typed_assets(frame)
        series = _series_from_table(assets, typed)
        recs: dict[str, pd.DataFrame] = {}
        rfields = _record_fields()
        for path, frame in (records or {}).items():
            if path not in rfields:
                raise ValidationError([Issue(field=path, value=None, allowed=", ".join(rfields),
                                             message_zh=f"未知明细表 {path}", message_en=f"unknown records table {path}")])
            fr = frame[_member(frame["asset_id"].astype(str), ids)].copy()
            recs[path] = _typed_records(fr, rfields[path])
        for path, fr in recs.items():
            flag = SECTION_FLAGS.get(path.split(".")[0])
            if flag is not None and len(fr):
                assets[flag] = assets[flag].to_numpy(bool) | _member(assets.index, fr["asset_id"])
        pf = cls(assets, series, recs, {})
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


def _typed_assets(df: pd.DataFrame) -> pd.DataFrame:
    n = len(df)
    out = {}
    for f in _scalar_fields():
        c = f.column
        s = df[c] if c in df.columns else None
        if s is not None and s.dtype == object and n and s.isna().all():
            s = None
        if f.kind in ("int", "number"):
            if s is None:
                out[c] = np.full(n, np.nan if f.default is None else float(f.default))
                continue
            x = s.to_numpy(dtype=float, na_value=np.nan) if pd.api.types.is_numeric_dtype(s) \
                else pd.to_numeric(s, errors="coerce").to_numpy(dtype=float)
            if f.default is not None:
                x = np.where(np.isnan(x), float(f.default), x)
            out[c] = x
        elif f.kind == "date":
            if s is None:
                d = np.empty(n, dtype="datetime64[ns]")
                d[:] = np.datetime64("NaT")
                out[c] = d
            else:
                out[c] = pd.to_datetime(s, errors="coerce").to_numpy(dtype="datetime64[ns]")
        elif f.kind == "bool":
            if s is None:
                out[c] = (np.full(n, bool(f.default)) if f.default is not None
                          else pd.array([pd.NA] * n, dtype="boolean"))
                continue
            b = pd.Series(s).astype("boolean") if not pd.api.types.is_bool_dtype(s.dtype) else s
            out[c] = b.fillna(bool(f.default)).to_numpy(dtype=bool) if f.default is not None else b.array
        else:  # str, enum, list_str: pandas "str" dtype, NaN when missing
            if s is None:
                out[c] = (pd.Series(np.full(n, f.default, dtype=object), dtype="str")
                          if f.default is not None else _null_str(n)).array
                continue
            o = pd.Series(s.to_numpy() if not isinstance(s, pd.Series) else s.array).astype("str")
            if f.default is not None:
                o = o.fillna(f.default)
            out[c] = o.array
    for flag in SECTION_FLAGS.values():
        out[flag] = df[flag].to_numpy(dtype=bool) if flag in df.columns else np.zeros(n, dtype=bool)
    return pd.DataFrame(out, index=df.index)


_MAX_EXACT_INT = 2 ** 53
# value types a column may hold for the direct build (checked per column as a set of types)
_NONE: set[type] = {type(None)}
_NUMBER: set[type] = {float, int, type(None)}
_TEXT: set[type] = {str, type(None)}
_BOOL: set[type] = {bool, type(None)}


def _typed_assets_from_values(cols: Mapping[str, list[Any]], index: pd.Index) -> pd.DataFrame | None:
    """:func:`_typed_assets` of ``pd.DataFrame(cols, index=index)`` built straight from the
    card values, without the intermediate frame and its per-column pandas coercions (~25 ms
    for one card). Returns None — the caller takes the general path — as soon as a column
    holds a value outside the plain types validated cards carry (str, int, float, bool,
    None), so the result is the same frame, dtypes included."""
    n = len(index)
    out: dict[str, Any] = {}
    text: list[tuple[str, list[Any]]] = []   # (column, values) of the text columns
    for f, _, _, c in _card_plan()[0]:
        vals = cols.get(c)
        types = _NONE if vals is None else set(map(type, vals))
        missing = types <= _NONE
        if f.kind in ("int", "number"):
            if missing:
                out[c] = np.full(n, np.nan if f.default is None else float(f.default))
                continue
            if not types <= _NUMBER or (int in types and not all(
                    -_MAX_EXACT_INT < v < _MAX_EXACT_INT for v in vals if type(v) is int)):
                return None
            x = np.array(vals, dtype=float)  # None → NaN, ints exact (|v| < 2**53)
            if f.default is not None:
                x = np.where(np.isnan(x), float(f.default), x)
            out[c] = x
        elif f.kind == "date":
            if missing:
                d = np.empty(n, dtype="datetime64[ns]")
                d[:] = np.datetime64("NaT")
                out[c] = d
            else:
                if not types <= _TEXT:
                    return None
                out[c] = _iso_dates(vals)
                if out[c] is None:
                    out[c] = pd.to_datetime(pd.Series(vals), errors="coerce").to_numpy(dtype="datetime64[ns]")
        elif f.kind == "bool":
            if missing:
                if f.default is None:
                    return None
                out[c] = np.full(n, bool(f.default))
                continue
            if f.default is None or not types <= _BOOL:
                return None
            out[c] = np.array([bool(f.default) if v is None else v for v in vals], dtype=bool)
        else:  # str, enum, list_str
            if missing:
                if not n:
                    out[c] = (pd.Series(np.full(n, f.default, dtype=object), dtype="str")
                              if f.default is not None else _null_str(n)).array
                elif f.default is None or type(f.default) is str:
                    out[c] = None       # filled below, with the other text columns
                    text.append((c, [f.default] * n))
                else:
                    out[c] = pd.Series(np.full(n, f.default, dtype=object), dtype="str").array
                continue
            if not types <= _TEXT:
                return None
            if f.default is not None:
                if type(f.default) is not str:
                    return None
                vals = [f.default if v is None else v for v in vals]
            out[c] = None
            text.append((c, vals))
    if text:
        # the text columns as slices of one Arrow array: one conversion of all their values
        # (~40 columns; a conversion each cost ~4 µs more than a slice)
        big = pa.array([v for _, vals in text for v in vals], type=pa.large_string())
        for i, (c, _) in enumerate(text):
            out[c] = _str_array(big.slice(i * n, n))
    for flag in SECTION_FLAGS.values():
        v = cols.get(flag)
        out[flag] = np.array(v, dtype=bool) if v is not None else np.zeros(n, dtype=bool)
    return _frame(out, index)


def _frame(out: dict[str, Any], index: pd.Index) -> pd.DataFrame:
    """``pd.DataFrame(out, index=index)`` for fresh 1-D columns of the final dtypes (float,
    bool, object or datetime64[ns] ndarrays, "str" ArrowStringArrays, DatetimeArrays), without
    the per-column sanitising of the dict constructor (~2 ms for the ~120 asset columns); the
    same consolidated blocks. Object columns stay object (the constructor would infer "str"
    from an object ndarray — callers pass those only where the old path had object Series)."""
    key = tuple(out)
    columns = _COLUMNS.get(key)
    if columns is None:
        if len(_COLUMNS) > 64:
            _COLUMNS.clear()
        columns = _COLUMNS[key] = pd.Index(list(out))
    try:
        return pd.DataFrame._from_arrays(list(out.values()), columns=columns.copy(), index=index,
                                         verify_integrity=False)
    except (AttributeError, TypeError):  # pragma: no cover - a pandas without this private helper
        # the public constructor, object columns kept object (it would infer "str" from them)
        return pd.DataFrame({k: pd.Series(v, index=index, dtype=object, copy=False)
                             if isinstance(v, np.ndarray) and v.dtype == object else v
                             for k, v in out.items()}, index=index)


def frame_of_arrays(cols: Mapping[str, Any], index: pd.Index) -> pd.DataFrame:
    """``pd.DataFrame(cols, index=index)`` for the result columns a method builds: numpy
    arrays of numbers or bools, and of text (unicode arrays, or object arrays holding str
    only), which that constructor turns into "str" columns one Arrow conversion each, ~30 µs
    a column. Here the text of all columns is converted at once and the frame assembled by
    :func:`_frame`: the same frame, dtypes and blocks included. Anything else (another
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
    return _frame(out, index)


def str_arrays(texts: Sequence[list[Any]], n: int) -> list[pd.api.extensions.ExtensionArray]:
    """A "str" array of each list of ``n`` str values, all converted by ONE Arrow call and
    sliced: a conversion per column costs ~10–30 µs more than a slice, and a method's result
    frame has ~10 text columns."""
    if not texts:
        return []
    big = pa.array([x for vals in texts for x in vals], type=pa.large_string())
    return [_str_array(big.slice(i * n, n)) for i in range(len(texts))]


# column labels → their Index (the same few label lists every build; an Index of ~120 labels
# costs ~0.1 ms to infer, its shallow copy a few µs — each frame gets its own copy)
_COLUMNS: dict[tuple[str, ...], pd.Index] = {}


def _str_array(values: pa.Array) -> pd.api.extensions.ExtensionArray:
    """The pandas "str" array over a large_string Arrow array (what ``pd.array(vals, dtype="str")``
    builds for str/None values, at a tenth of the cost). A dtype object of its own, as there:
    the frame constructor groups extension columns into blocks by dtype identity."""
    try:
        return ArrowStringArray(pa.chunked_array([values]), dtype=pd.StringDtype("pyarrow", na_value=np.nan))
    except (TypeError, ValueError):  # pragma: no cover - another pandas: the public, slower way
        return pd.array(values.to_pylist(), dtype="str")


_EXTENSION_ARRAY = pd.api.extensions.ExtensionArray


def column_values(a: pd.DataFrame, name: str) -> np.ndarray | pd.api.extensions.ExtensionArray:
    """The values of column ``name`` of ``a`` as stored, without building its Series.

    A read-only numpy view for a numpy column (what ``a[name].to_numpy()`` gives), the
    extension array (``a[name].array``) otherwise. ``a[name]`` costs ~30 µs on the ~120-column
    assets table whatever the number of rows (index copy, Series, finalize); reading the
    block directly ~2 µs — and the methods and facts read ~80 columns an appraisal. Public
    pandas when the private accessor is missing or gives something unexpected, or for a
    duplicated label. Raises KeyError for an absent column, as ``a[name]``.
    """
    loc = a.columns.get_loc(name)
    if isinstance(loc, int):   # a unique label; duplicated labels take the public path
        try:
            v = a._mgr.iget_values(loc)
        except AttributeError:  # pragma: no cover - a pandas without this private accessor
            v = None
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


def column_floats(a: pd.DataFrame, name: str) -> np.ndarray:
    """``a[name].to_numpy(dtype=float)`` (read-only), straight from the block for a float64
    column (every number column of a portfolio)."""
    v = column_values(a, name)
    if isinstance(v, np.ndarray) and v.dtype == np.float64:
        return v
    return a[name].to_numpy(dtype=float)


def column_list(a: pd.DataFrame, name: str) -> list[Any]:
    """The values of a column as a list of Python objects: Arrow text by Arrow's
    ``to_pylist`` (missing → None; pandas' ``to_numpy`` spends ~50 µs filling the missing
    values of a one-row column), other columns ``a[name].to_numpy(dtype=object).tolist()``."""
    v = column_values(a, name)
    if isinstance(v.dtype, pd.StringDtype) and v.dtype.storage == "pyarrow":
        return pa.array(v).to_pylist()
    if isinstance(v, np.ndarray) and v.dtype == object:
        return v.tolist()
    return a[name].to_numpy(dtype=object).tolist()


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


def _null_str(n: int) -> pd.Series:
    """An all-missing text column of length n, cheaply (no per-element Python objects)."""
    import pyarrow as pa

    return pd.Series(pa.nulls(n, pa.large_string()), dtype="str") if n else pd.Series([], dtype="str")


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


def _grow(base: np.ndarray, growth: np.ndarray, periods: np.ndarray, nmax: int) -> np.ndarray:
    """Expand first amounts with per-period growth: F_1 = base, F_t = F_{t-1}(1+g_t).

    ``growth`` is (n, k) with NaN padding; where fewer than nmax-1 rates are given the last
    given rate repeats (growth stages); with none, growth is 0.
    """
    n = len(base)
    g = np.zeros((n, max(nmax - 1, 0)))
    if growth.size and nmax > 1:
        k = growth.shape[1]
        gg = growth.copy()
        # forward-fill the last given rate across the padding
        last = np.zeros(n)
        for t in range(nmax - 1):
            col = gg[:, t] if t < k else np.full(n, np.nan)
            last = np.where(np.isnan(col), last, col)
            g[:, t] = last
    factors = np.concatenate([np.ones((n, 1)), np.cumprod(1.0 + g, axis=1)], axis=1) if nmax > 0 \
        else np.ones((n, 0))
    vals = base[:, None] * factors
    mask = np.arange(1, nmax + 1)[None, :] > periods[:, None]
    vals[mask] = np.nan
    return vals


def _expand_series(assets: pd.DataFrame, raw: dict[str, list[Any]]) -> dict[str, pd.DataFrame]:
    idx = assets.index
    n = len(idx)
    periods = assets["income_periods"].to_numpy(dtype=float).copy()
    # explicit income lists define the number of periods when not given
    filled = False
    for path in ("income.income", "income.base", "income.revenue", "income.nopat", "income.with",
                 "income.without", "income.savings"):
        for i, v in enumerate(raw.get(path, [None] * n)):
            if isinstance(v, list) and np.isnan(periods[i]):
                periods[i] = len(v)
                filled = True
    if filled:   # (setting a column splits the frame's float block: ~0.15 ms, only when needed)
        assets["income_periods"] = periods
    out: dict[str, pd.DataFrame] = {}
    tg = assets["income_terminal_growth"].to_numpy(dtype=float).copy()
    tg_filled = False
    for path, vals in raw.items():
        if all(v is None for v in vals):
            continue
        lists = [v if isinstance(v, list) else None for v in vals]
        specs = [v if isinstance(v, dict) else None for v in vals]
        nmax = max([len(v) for v in lists if v is not None] +
                   [int(p) for p, s in zip(periods, specs) if s is not None and not np.isnan(p)] + [1])
        mat = np.full((n, nmax), np.nan)
        for i, v in enumerate(lists):
            if v is not None:
                mat[i, :len(v)] = v
        if any(s is not None for s in specs):
            sidx = np.array([i for i, s in enumerate(specs) if s is not None])
            base = np.array([specs[i]["base"] for i in sidx], dtype=float)
            gl = max(len(specs[i]["growth"]) for i in sidx)
            gm = np.full((len(sidx), gl), np.nan)
            for j, i in enumerate(sidx):
                g = specs[i]["growth"]
                gm[j, :len(g)] = g
                t = specs[i].get("terminal_growth")
                if t is not None and np.isnan(tg[i]):
                    tg[i] = t
                    tg_filled = True
            p = np.nan_to_num(periods[sidx], nan=1.0)
            mat[sidx] = _grow(base, gm, p, nmax)
            if gl:
                gfull = np.full((n, gl), np.nan)
                gfull[sidx] = gm
                out[path + ".growth"] = pd.DataFrame(gfull, index=idx, columns=range(2, gl + 2))
        out[path] = pd.DataFrame(mat, index=idx, columns=range(1, nmax + 1))
    if tg_filled:
        assets["income_terminal_growth"] = tg
    return out


def _series_from_table(assets: pd.DataFrame, typed: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Numbered columns → wide series; base/growth columns → expanded streams (vectorised)."""
    idx = assets.index
    n = len(idx)
    out: dict[str, pd.DataFrame] = {}
    periods = assets["income_periods"].to_numpy(dtype=float).copy()
    for f in _series_fields():
        root = f.column
        numbered = sorted((c for c in typed.columns if c.startswith(root + "_") and
                           c[len(root) + 1:].isdigit()), key=lambda c: int(c[len(root) + 1:]))
        mats = []
        if numbered:
            mat = typed[numbered].to_numpy(dtype=float)
            out[f.path] = pd.DataFrame(mat, index=idx, columns=range(1, len(numbered) + 1))
            if f.kind == "stream":
                cnt = (~np.isnan(mat)).sum(axis=1).astype(float)
                fill = np.isnan(periods) & (cnt > 0)
                periods[fill] = cnt[fill]
            mats.append(mat)
        if f.kind == "stream" and root + "_base" in typed.columns:
            base = typed[root + "_base"].to_numpy(dtype=float)
            has = ~np.isnan(base)
            if has.any():
                gcols = sorted((c for c in typed.columns if c.startswith(root + "_growth_")),
                               key=lambda c: int(c.rsplit("_", 1)[1]))
                if gcols:
                    gm = typed[gcols].to_numpy(dtype=float)
                elif root + "_growth" in typed.columns:
                    gm = typed[[root + "_growth"]].to_numpy(dtype=float)
                else:
                    gm = np.zeros((n, 0))
                p = np.where(np.isnan(periods), 1.0, periods)
                nmax = int(np.nanmax(p[has])) if has.any() else 1
                exp = _grow(np.nan_to_num(base), gm, p, nmax)
                exp[~has] = np.nan
                prev = out.get(f.path)
                if prev is not None:
                    width = max(prev.shape[1], nmax)
                    a = prev.reindex(columns=range(1, width + 1)).to_numpy()
                    b = pd.DataFrame(exp, columns=range(1, nmax + 1)).reindex(
                        columns=range(1, width + 1)).to_numpy()
                    exp = np.where(has[:, None], b, a)
                    nmax = width
                out[f.path] = pd.DataFrame(exp, index=idx, columns=range(1, nmax + 1))
                if gm.shape[1]:
                    out[f.path + ".growth"] = pd.DataFrame(gm, index=idx, columns=range(2, gm.shape[1] + 2))
            if root + "_terminal_growth" in typed.columns:
                t = typed[root + "_terminal_growth"].to_numpy(dtype=float)
                cur = assets["income_terminal_growth"].to_numpy(dtype=float)
                assets["income_terminal_growth"] = np.where(np.isnan(cur), t, cur)
    assets["income_periods"] = periods
    return out
