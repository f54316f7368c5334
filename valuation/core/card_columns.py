"""The asset table's columns from validated cards, built a storage kind at a time
(docs/DESIGN.md §2; issue 20 step 6).

:meth:`~valuation.core.columns.AssetTable.from_cards` reads ~150 scalar fields of each card.
Built a column at a time, a single appraisal paid one numpy construction per column (~150)
for a card that gives perhaps thirty values. Here the fields are grouped by storage kind
(number, bool, date, enum, text): one flat list of every card's values of a kind, one array
conversion, reshaped to (fields × cards); each column is a row of that block (a read-only
view). The conversions are those of a column at a time — ``None`` → NaN / NaT / the schema
default / code -1 — so the table is the same (``tests/core/test_columns.py``).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import schema as _schema
from .layout import _card_plan, _get_parts

__all__ = ["card_columns"]

_EMPTY: dict[str, Any] = {}
_UNMATCHED = -2      # (as in core/columns.py: a label outside the enumeration)


@dataclass(frozen=True)
class _Group:
    """The columns of one storage kind: their specs, where each value sits in a card (parent
    prefix number, leaf key) and their defaults as an array over the columns."""

    kind: str
    specs: tuple[Any, ...]
    names: tuple[str, ...]
    where: tuple[tuple[int, str], ...]
    default: np.ndarray          # per column: the default in storage form (NaN/NaT/-1 when none)


_PLANS: list[tuple[Any, tuple[_Group, ...], tuple[str, ...]]] = []


def _plan() -> tuple[tuple[_Group, ...], tuple[str, ...]]:
    """The kind groups in a fixed order, and the names of the columns built here in the
    schema's order (the section flags, which have no path, are the caller's); derived once
    per schema field list."""
    if _PLANS and _PLANS[0][0] is _schema.FIELDS:
        return _PLANS[0][1], _PLANS[0][2]
    from .columns import MISSING_CODE, asset_specs

    scal = _card_plan()[0]
    by: dict[str, list[tuple[Any, tuple[int, str]]]] = {}
    for spec, (_, pi, leaf, _col) in zip(asset_specs(), scal):
        by.setdefault(spec.kind, []).append((spec, (pi, leaf)))
    empty = {"number": np.nan, "date": np.datetime64("NaT", "D"), "enum": MISSING_CODE,
             "bool": False, "text": None}
    out = []
    for kind, items in by.items():
        specs = tuple(s for s, _ in items)
        dflt = [empty[kind] if s.default is None else s.default for s in specs]
        arr = np.empty(len(dflt), dtype=object)
        arr[:] = dflt
        out.append(_Group(kind, specs, tuple(s.name for s in specs), tuple(w for _, w in items),
                          arr if kind == "text" else arr.astype(specs[0].dtype)))
    groups, order = tuple(out), tuple(s.name for s in asset_specs() if s.path)
    _PLANS[:] = [(_schema.FIELDS, groups, order)]
    return groups, order


def _parent(card: Mapping[str, Any], pre: tuple[str, ...]) -> Mapping[str, Any]:
    """The object of a card at ``pre`` (absent: empty)."""
    p = _get_parts(card, pre)
    return p if type(p) is dict else _EMPTY if p is None or not isinstance(p, Mapping) else p


def card_columns(cards: Sequence[Mapping[str, Any]]) -> dict[str, np.ndarray]:
    """Every scalar column of the asset table from validated cards (schema order kept per
    kind; the section flags are the caller's). Enum labels outside their enumeration raise
    the :class:`~valuation.core.errors.ValidationError` of a column read alone."""
    n = len(cards)
    parents = [[_parent(c, pre) for c in cards] for pre in _card_plan()[1]]
    cols: dict[str, np.ndarray] = {}
    groups, order = _plan()
    for g in groups:
        k = len(g.specs)
        # column after column: the values of one field over the cards
        vals = [[p.get(leaf) for p in parents[pi]] for pi, leaf in g.where]
        block = _BUILD[g.kind](g, vals, n, k)
        block.flags.writeable = False            # (and so each row of it: a column)
        cols.update(zip(g.names, block))
    return {name: cols[name] for name in order}   # the schema's column order


def _flat(vals: list[list[Any]]) -> list[Any]:
    return [v for col in vals for v in col]


def _missing(flat: list[Any], n: int, k: int) -> np.ndarray:
    """(fields × cards) mask of the values not given."""
    return np.fromiter((v is None for v in flat), dtype=bool, count=n * k).reshape(k, n)


def _numbers(g: _Group, vals: list[list[Any]], n: int, k: int) -> np.ndarray:
    a = np.array(_flat(vals), dtype=float).reshape(k, n)    # None → NaN (numpy's own conversion)
    return np.where(np.isnan(a), g.default[:, None], a)


def _dates(g: _Group, vals: list[list[Any]], n: int, k: int) -> np.ndarray:
    a = np.array(["NaT" if v is None else v for col in vals for v in col], dtype="datetime64[D]").reshape(k, n)
    return np.where(np.isnat(a), g.default[:, None], a)


def _bools(g: _Group, vals: list[list[Any]], n: int, k: int) -> np.ndarray:
    flat = _flat(vals)
    a = np.fromiter((v is not None and bool(v) for v in flat), dtype=bool, count=n * k).reshape(k, n)
    return np.where(_missing(flat, n, k), g.default[:, None], a)


def _texts(g: _Group, vals: list[list[Any]], n: int, k: int) -> np.ndarray:
    for j, s in enumerate(g.specs):
        if s.list_text:                          # a list_str is its items joined by "; "
            vals[j] = ["; ".join(v) if v else None for v in vals[j]]
    flat = _flat(vals)
    a = np.empty(n * k, dtype=object)
    a[:] = flat
    return np.where(_missing(flat, n, k), g.default[:, None], a.reshape(k, n))


def _enums(g: _Group, vals: list[list[Any]], n: int, k: int) -> np.ndarray:
    looks = [(s._codes, int(d)) for s, d in zip(g.specs, g.default)]
    codes = np.fromiter((d if v is None else look.get(v, _UNMATCHED)
                         for (look, d), col in zip(looks, vals) for v in col),
                        dtype=np.int16, count=n * k).reshape(k, n)
    for j, i in np.argwhere(codes == _UNMATCHED).tolist():   # column first, then card
        v = vals[j][i]
        if v == v:                               # not NaN: a label outside the enumeration
            from .columns import _bad_value

            raise _bad_value(g.specs[j], v, i)
        codes[j, i] = looks[j][1]
    return codes


_BUILD = {"number": _numbers, "date": _dates, "bool": _bools, "text": _texts, "enum": _enums}
