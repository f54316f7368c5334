"""The asset table: one typed numpy column per scalar field of the ONE schema table.

docs/DESIGN.md §2 (a portfolio is aligned tables keyed by ``asset_id``); issue 20 step 2.
The columns and their types are generated from :mod:`valuation.core.schema` (through
:mod:`valuation.core.layout`), never listed by hand:

=============================  ==============================  =============================
schema kind                    array                           missing
=============================  ==============================  =============================
``number``, ``int``            ``float64``                     ``NaN``
``date``                       ``datetime64[D]``               ``NaT``
``enum``                       ``int16`` codes into the        ``-1`` (:data:`MISSING_CODE`)
                               field's labels (``ENUMS``)
``str``, ``list_str``          ``object`` (Python ``str``;     ``None`` — the ONE text
                               a ``list_str`` joined by        convention (never ``""``,
                               ``"; "`` as in the frame)       never ``NaN``)
``bool``                       ``bool``                        the field's default (every
                                                               bool field has one)
section flags ``has_cost`` …   ``bool``                        ``False``
=============================  ==============================  =============================

A field's schema default fills its missing values, as validation does for cards. The table
is a frozen dataclass over read-only arrays: :meth:`AssetTable.take` and
:meth:`AssetTable.with_columns` return new tables. pandas appears only at the edges:
:meth:`AssetTable.from_frame` and :meth:`AssetTable.to_frame` (the ``Portfolio.assets`` frame,
dtypes included: numbers float64, dates datetime64[ns], text and enums pandas "str").
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from . import schema as _schema
from .card_columns import card_columns
from .errors import Issue, ValidationError
from .frames import asset_columns, frame_of_columns
from .layout import SECTION_FLAGS, _card_plan
from .validate import check_document

__all__ = ["AssetTable", "ColumnSpec", "MISSING_CODE", "asset_specs", "text_has"]

#: the code of a missing enum value
MISSING_CODE = -1

_KIND = {"number": "number", "int": "number", "date": "date", "enum": "enum", "str": "text",
         "list_str": "text", "bool": "bool"}
_DTYPE = {"number": np.dtype(np.float64), "date": np.dtype("datetime64[D]"),
          "enum": np.dtype(np.int16), "text": np.dtype(object), "bool": np.dtype(bool)}


@dataclass(frozen=True)
class ColumnSpec:
    """One column of the asset table: its name, storage kind, enum labels and default.

    ``kind`` is one of ``number``, ``date``, ``enum``, ``text``, ``bool``; ``labels`` the
    enum's allowed values (code i ↔ ``labels[i]``); ``default`` the schema default in storage
    form (a float, a code, a str, a bool, a ``datetime64[D]``) or None; ``path`` the schema
    path ("" for a section flag); ``list_text`` marks a ``list_str`` field.
    """

    name: str
    kind: str
    path: str = ""
    labels: tuple[str, ...] | None = None
    default: Any = None
    list_text: bool = False

    @property
    def dtype(self) -> np.dtype:
        return _DTYPE[self.kind]

    @cached_property
    def _codes(self) -> dict[str, int]:
        return {v: i for i, v in enumerate(self.labels or ())}

    def code(self, label: str) -> int:
        """The code of an enum label; ValueError naming the allowed labels otherwise."""
        try:
            return self._codes[label]
        except KeyError:
            raise ValueError(label) from None

    def missing(self, n: int) -> np.ndarray:
        """A column of n missing values (the default where the schema gives one)."""
        if self.kind == "number":
            return np.full(n, np.nan if self.default is None else self.default)
        if self.kind == "date":
            return np.full(n, np.datetime64("NaT") if self.default is None else self.default,
                           dtype="datetime64[D]")
        if self.kind == "enum":
            return np.full(n, MISSING_CODE if self.default is None else self.default, dtype=np.int16)
        if self.kind == "bool":
            return np.full(n, bool(self.default))
        out = np.empty(n, dtype=object)
        out[:] = self.default
        return out


_SPECS: list[tuple[Any, tuple[ColumnSpec, ...]]] = []


def _spec_of(f: _schema.Field) -> ColumnSpec:
    kind = _KIND[f.kind]
    labels = f.allowed if kind == "enum" else None
    default = f.default
    if default is not None:
        if kind == "number":
            default = float(default)
        elif kind == "enum":
            default = labels.index(default)
        elif kind == "date":
            default = np.datetime64(default, "D")
    elif kind == "bool":   # (a test holds the schema to this: a bool is never left unknown)
        raise ValueError(f"bool field {f.path} has no default")
    return ColumnSpec(f.column, kind, f.path, labels, default, f.kind == "list_str")


def asset_specs() -> tuple[ColumnSpec, ...]:
    """The asset table's columns in frame order: the scalar schema fields, then the section
    flags (derived once per schema field list)."""
    if _SPECS and _SPECS[0][0] is _schema.FIELDS:
        return _SPECS[0][1]
    specs = tuple(_spec_of(f) for f, _, _, _ in _card_plan()[0]) + tuple(
        ColumnSpec(flag, "bool", "", None, False) for flag in SECTION_FLAGS.values())
    _SPECS[:] = [(_schema.FIELDS, specs)]
    return specs


_SPEC_MAP: list[tuple[Any, dict[str, ColumnSpec]]] = []


def _spec_map() -> dict[str, ColumnSpec]:
    """Column name → spec (derived once per schema field list; checked against that list
    itself, as :func:`asset_specs` is: an approach reads a spec a few dozen times a call)."""
    if _SPEC_MAP and _SPEC_MAP[0][0] is _schema.FIELDS:
        return _SPEC_MAP[0][1]
    specs = asset_specs()
    _SPEC_MAP[:] = [(_schema.FIELDS, {s.name: s for s in specs})]
    return _SPEC_MAP[0][1]


def _bad_value(spec: ColumnSpec, value: Any, row: int | None) -> ValidationError:
    allowed = ", ".join(spec.labels or ()) if spec.kind == "enum" else spec.kind
    return ValidationError([Issue(
        field=spec.path or spec.name, value=value, allowed=allowed, row=row,
        message_zh=f"字段 {spec.path or spec.name} 的值 {value!r} 不在允许范围内（允许：{allowed}）",
        message_en=f"{spec.path or spec.name}: {value!r} is not allowed (allowed: {allowed})")])


#: a code no enumeration uses: marks a value the look-up did not match
_UNMATCHED = -2


def _codes_of(spec: ColumnSpec, labels: Sequence[Any] | np.ndarray | pd.Series) -> np.ndarray:
    """Enum labels (None/NaN missing → the default or -1) as int16 codes, read by position; a
    label outside the field's enumeration is refused with a ValidationError naming field,
    value (the first such, by position) and allowed."""
    miss = MISSING_CODE if spec.default is None else spec.default
    if isinstance(labels, pd.Series) and isinstance(labels.dtype, pd.CategoricalDtype):
        return _category_codes(spec, labels, miss)
    n = len(labels)
    vals = labels.to_numpy(dtype=object) if isinstance(labels, pd.Series) else labels
    look = spec._codes
    # one dictionary look-up per value; what it misses (NaN, or a label outside the enumeration)
    # is sorted out afterwards, position by position — there are none in a valid table
    out = np.fromiter((miss if v is None else look.get(v, _UNMATCHED) for v in vals),
                      dtype=np.int16, count=n)
    for i in np.flatnonzero(out == _UNMATCHED).tolist():
        v = vals[i]
        if v is not None and v == v and v is not pd.NA:   # not missing: outside the enumeration
            raise _bad_value(spec, v, i)
        out[i] = miss
    return out


def _category_codes(spec: ColumnSpec, labels: pd.Series, miss: int) -> np.ndarray:
    """The codes of a pandas Categorical column (e.g. an enum column of
    :func:`~valuation.core.validate_table.validate_table`): each category looked up once, the
    rows read through the Categorical's own codes (-1 missing → the default or -1)."""
    # (the dtype's categories and the Categorical's codes: the ``.cat`` accessor makes a new
    # Series per read, most of the cost of reading an enum column)
    return _distinct_codes(spec, labels.dtype.categories.tolist(), labels.array.codes, miss, labels)


def _distinct_codes(spec: ColumnSpec, distinct: list[Any], codes: np.ndarray, miss: int,
                    labels: pd.Series) -> np.ndarray:
    """The int16 codes of a column given as its ``distinct`` values and each row's position
    among them (``codes``, -1 missing → ``miss``): each distinct value looked up once; a value
    outside the enumeration is refused naming the first row of ``labels`` that holds it."""
    look = spec._codes
    by_value = np.array([look.get(v, _UNMATCHED) for v in distinct] + [miss], dtype=np.int16)
    out = by_value[codes]
    unmatched = np.flatnonzero(out == _UNMATCHED)
    if len(unmatched):
        i = int(unmatched[0])
        raise _bad_value(spec, labels.iloc[i], i)
    return out


def _text_column(spec: ColumnSpec, a: np.ndarray) -> np.ndarray:
    """A text column from an object array (None missing): the spec's default where missing."""
    if spec.default is not None:
        a[a == None] = spec.default  # noqa: E711 - elementwise: the missing cells
    return a


def _readonly(a: np.ndarray) -> np.ndarray:
    a.flags.writeable = False
    return a


def _checked(columns: Mapping[str, np.ndarray], n: int) -> dict[str, np.ndarray]:
    """Columns checked against their specs (known name, ndarray of the spec's dtype and length
    n), made read-only."""
    specs = _spec_map()
    cols: dict[str, np.ndarray] = {}
    for name, a in columns.items():
        spec = specs.get(name)
        if spec is None:
            raise KeyError(f"{name!r} is not an asset column of the schema table")
        if not isinstance(a, np.ndarray) or a.dtype != spec.dtype or a.shape != (n,):
            raise TypeError(f"column {name!r}: expected {spec.dtype} of shape ({n},), got "
                            f"{getattr(a, 'dtype', type(a))} {getattr(a, 'shape', '')}")
        cols[name] = _readonly(a)
    return cols


@dataclass(frozen=True, eq=False)
class AssetTable:
    """Assets × scalar fields as ``{column: ndarray}`` (see the module docstring for types).

    Parameters
    ----------
    ids
        ``asset_id`` of each row (object array of str), unique.
    columns
        Column name → 1-D array of ``len(ids)``, one per :func:`asset_specs` entry, of the
        spec's dtype. Arrays are made read-only.
    """

    ids: np.ndarray
    columns: Mapping[str, np.ndarray]

    def __post_init__(self) -> None:
        cols = _checked(self.columns, len(self.ids))
        missing = [s.name for s in asset_specs() if s.name not in cols]
        if missing:
            raise KeyError(f"asset columns missing: {', '.join(missing)}")
        object.__setattr__(self, "ids", _readonly(np.asarray(self.ids, dtype=object)))
        object.__setattr__(self, "columns", MappingProxyType(cols))

    @classmethod
    def _of(cls, ids: np.ndarray, cols: dict[str, np.ndarray], *, readonly: bool = False) -> AssetTable:
        """A table of columns built here by spec (every column, the spec's dtype, fresh
        arrays): made read-only (``readonly``: they are already) without the checks of the
        public constructor, which cost more than building a one-card table."""
        table = object.__new__(cls)
        for a in () if readonly else cols.values():
            a.flags.writeable = False
        object.__setattr__(table, "ids", _readonly(ids))
        object.__setattr__(table, "columns", MappingProxyType(cols))
        return table

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        """Pickled as its ids and columns (a read-only mapping proxy does not pickle): a
        portfolio holding its table goes to a worker process as it is."""
        return _unpickle, (np.array(self.ids), {k: np.array(v) for k, v in self.columns.items()})

    # ------------------------------------------------------------------ reading
    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, name: str) -> np.ndarray:
        return self.columns[name]

    def __contains__(self, name: object) -> bool:
        return name in self.columns

    @staticmethod
    def spec(name: str) -> ColumnSpec:
        """The :class:`ColumnSpec` of a column (KeyError for an unknown name)."""
        return _spec_map()[name]

    def labels(self, name: str) -> tuple[str, ...]:
        """The labels of an enum column: code i stands for ``labels(name)[i]``."""
        spec = self.spec(name)
        if spec.kind != "enum":
            raise TypeError(f"{name!r} is not an enum column")
        return spec.labels or ()

    def decode(self, name: str) -> np.ndarray:
        """An enum column as an object array of its labels (None where missing)."""
        return _label_array(self.spec(name))[self.columns[name]]

    def floats(self, name: str) -> np.ndarray:
        """A number or bool column as float64 (read-only; numbers as stored, NaN missing)."""
        a = self.columns[name]
        if a.dtype == np.float64:
            return a
        if a.dtype == bool:
            return _readonly(a.astype(float))
        raise TypeError(f"{name!r} is a {self.spec(name).kind} column, not a number")

    def number(self, name: str) -> np.ndarray:
        """:meth:`floats`, or all NaN when the table has no such column (a parameter of an
        approach registered at run time, with no schema field)."""
        if name not in self.columns:
            return np.full(len(self), np.nan)
        return self.floats(name)

    def text(self, name: str) -> np.ndarray:
        """A text or enum column as an object array of str, "" where missing (all "" when
        the table has no such column): for comparing with a label or writing it into a
        sentence."""
        if name not in self.columns:
            return np.full(len(self), "", dtype=object)
        spec = self.spec(name)
        if spec.kind == "enum":   # the labels by code, "" for the missing code −1 (the last one)
            return np.array((*(spec.labels or ()), ""), dtype=object)[self.columns[name].astype(np.intp)]
        out = np.array(self.columns[name], dtype=object)   # (a copy: the column stays as it is)
        out[np.equal(out, None)] = ""
        return out

    def values_list(self, name: str) -> list[Any]:
        """A column as Python objects: enum labels and text (None missing), floats (NaN
        missing), bools, dates as ``datetime.date`` (None missing)."""
        if self.spec(name).kind == "enum":
            return self.decode(name).tolist()
        return self.columns[name].tolist()

    # ------------------------------------------------------------------ new tables
    def take(self, rows: Sequence[int] | np.ndarray) -> AssetTable:
        """The table of the given row positions (or a boolean mask), in that order."""
        idx = np.asarray(rows)
        if idx.dtype == bool:
            idx = np.flatnonzero(idx)
        return AssetTable._of(self.ids[idx], {k: v[idx] for k, v in self.columns.items()})

    def with_columns(self, **cols: np.ndarray) -> AssetTable:
        """A new table with the given columns replaced (same rows)."""
        return AssetTable._of(self.ids, {**self.columns, **_checked(cols, len(self))})

    # ------------------------------------------------------------------ from cards
    @classmethod
    def from_cards(cls, cards: Sequence[Mapping[str, Any]], *, checked: bool = False) -> AssetTable:
        """The table of validated cards, or of raw cards checked here (``checked=False``:
        :func:`~valuation.core.validate.check_document`; any issue raises ValidationError)."""
        if not checked:
            norm, issues = [], []
            for c in cards:
                out, iss = check_document(c, "card")
                norm.append(out)
                issues.extend(iss)
            if issues:
                raise ValidationError(issues)
            cards = norm
        n = len(cards)
        cols = card_columns(cards)        # (core/card_columns.py: a storage kind at a time)
        for sec, flag in SECTION_FLAGS.items():
            cols[flag] = _readonly(np.array([isinstance(c.get(sec), dict) for c in cards], dtype=bool))
        ids = np.empty(n, dtype=object)
        ids[:] = [c["asset"]["asset_id"] for c in cards]
        return cls._of(ids, cols, readonly=True)     # (card_columns' columns are read-only)

    # ------------------------------------------------------------------ frames (the edge)
    @classmethod
    def from_frame(cls, frame: pd.DataFrame) -> AssetTable:
        """The table of an assets frame (index ``asset_id``, columns named by the schema; an
        absent column is all missing). Enum values outside their enumeration are refused."""
        return cls.from_series(frame.index.astype(str).tolist(), frame)

    @classmethod
    def from_series(cls, ids: Sequence[str], columns: Mapping[str, pd.Series] | pd.DataFrame
                    ) -> AssetTable:
        """The table of columns given as pandas Series (or a frame) of ``len(ids)`` values,
        read by position (e.g. the validated columns of a flat table, :func:`~valuation.core.
        validate.validate_table`); an absent column is all missing, a missing value takes the
        field's default. Enum values outside their enumeration are refused."""
        n = len(ids)
        cols: dict[str, np.ndarray] = {}
        present = set(columns.keys())
        # an absent column is one read-only array shared by every absent column of its kind
        # and default (a table gives ~30 of ~150 fields: ~120 arrays filled a partition)
        absent: dict[tuple[str, Any], np.ndarray] = {}
        for spec in asset_specs():
            if spec.name not in present:
                key = (spec.kind, spec.default)
                a = absent.get(key)
                cols[spec.name] = a if a is not None else absent.setdefault(key, _readonly(spec.missing(n)))
                continue
            s = columns[spec.name]
            if spec.kind == "number":
                cols[spec.name] = _fill(spec, s.to_numpy(dtype=float, na_value=np.nan).copy())
            elif spec.kind == "date":
                naive = isinstance(s.dtype, np.dtype) and s.dtype.kind == "M"   # (datetime64 already)
                d = s.to_numpy() if naive else pd.to_datetime(s).to_numpy()
                cols[spec.name] = _fill(spec, d.astype("datetime64[D]"))
            elif spec.kind == "bool":
                cols[spec.name] = s.fillna(bool(spec.default)).to_numpy(dtype=bool).copy()
            elif spec.kind == "enum":
                cols[spec.name] = _codes_of(spec, s)
            else:                                      # (a list_str is joined text here)
                cols[spec.name] = _text_column(spec, s.to_numpy(dtype=object, na_value=None, copy=True))
        out = np.empty(n, dtype=object)
        out[:] = list(ids)
        return cls._of(out, cols)

    def to_frame(self, index: pd.Index | None = None) -> pd.DataFrame:
        """The ``Portfolio.assets`` frame: index ``asset_id`` (``index`` when given: the ids
        as a pandas index already built); numbers float64, dates datetime64[ns], bools bool,
        text and enum labels pandas "str" (missing NaN, pandas' own convention at this edge)."""
        out = asset_columns(self, [spec.name for spec in asset_specs()])
        return frame_of_columns(out, pd.Index(self.ids.tolist(), name="asset_id") if index is None else index)


def _unpickle(ids: np.ndarray, cols: dict[str, np.ndarray]) -> AssetTable:
    return AssetTable._of(ids, cols)


_LABELS: dict[tuple[str, ...], np.ndarray] = {}


def _label_array(spec: ColumnSpec) -> np.ndarray:
    """The labels of an enum spec then None, as an object array indexed by code (code -1 →
    the last: None); one per enumeration."""
    if spec.kind != "enum":
        raise TypeError(f"{spec.name!r} is not an enum column")
    lab = _LABELS.get(spec.labels or ())
    if lab is None:
        lab = _LABELS[spec.labels or ()] = _readonly(np.array((*(spec.labels or ()), None), dtype=object))
    return lab


def _fill(spec: ColumnSpec, a: np.ndarray) -> np.ndarray:
    """Missing numbers/dates replaced by the spec's default (when it has one)."""
    if spec.default is not None:
        a[np.isnan(a)] = spec.default
    return a


def _text(spec: ColumnSpec, vals: list[Any], n: int) -> np.ndarray:
    """A text column: object array of str, None missing (or the spec's default)."""
    out = np.empty(n, dtype=object)
    out[:] = vals
    return _text_column(spec, out)


def text_has(values: np.ndarray) -> np.ndarray:
    """Whether each text value (None missing) has text other than whitespace."""
    out = np.zeros(len(values), dtype=bool)
    given = np.flatnonzero(np.not_equal(values, None))     # (most are missing: tested in C)
    if len(given):
        out[given] = [type(v) is str and v.strip() != "" for v in values[given].tolist()]
    return out
