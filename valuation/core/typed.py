"""Typed portfolio tables from loosely typed frames and card values (docs/DESIGN.md §2).

:func:`_typed_assets` types a frame of asset columns by the schema table (numbers float64,
dates datetime64[ns], text pandas "str"); :func:`_typed_records` and
:func:`_typed_records_from_items` do the same for the long records tables (item fields of a
records list). The field defaults of the schema fill missing values.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from .frames import _frame, _null_str, _str_array
from .layout import SECTION_FLAGS, _card_plan, _scalar_fields
from .schema import Field


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
