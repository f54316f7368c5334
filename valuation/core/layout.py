"""Where each schema field lives in a portfolio (docs/DESIGN.md §2), derived once from the
ONE schema table (:mod:`valuation.core.schema`): scalar fields → asset columns, streams and
numeric lists → (assets × periods) series, lists of objects → records, matrices.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from . import schema as _schema
from .schema import Field, fields_for

SECTION_FLAGS = {"cost": "has_cost", "income": "has_income", "market": "has_market"}

_SCALAR_KINDS = ("str", "int", "number", "bool", "date", "enum", "list_str")


def _scalar_fields() -> list[Field]:
    return [f for f in fields_for("card") if not f.in_records and f.kind in _SCALAR_KINDS]


def _series_fields() -> list[Field]:
    return [f for f in fields_for("card") if not f.in_records and f.kind in ("stream", "list_number")]


_RECORD_FIELDS: list[tuple[Any, dict[str, list[Field]]]] = []


def record_fields() -> dict[str, list[Field]]:
    """Records path → its item fields (read-only; derived once per schema field list — the
    scan is quadratic in the ~300 fields and ran on every ``record()`` of an absent path).

    Public: the batch's records side files are checked against the same fields
    (:mod:`valuation.batch.records_check`, docs/INTERCHANGE.md)."""
    if _RECORD_FIELDS and _RECORD_FIELDS[0][0] is _schema.FIELDS:
        return _RECORD_FIELDS[0][1]
    fields = fields_for("card")
    out: dict[str, list[Field]] = {}
    for f in fields:
        if f.kind == "records" and not f.in_records:
            out[f.path] = [g for g in fields if g.path.startswith(f.path + "[].")]
    _RECORD_FIELDS[:] = [(_schema.FIELDS, out)]
    return out


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
            for rpath, rfields in record_fields().items()]
    plan = (scal, prefixes, _series_fields(), mats, recs)
    _PLAN[:] = [(_schema.FIELDS, plan)]
    return plan
