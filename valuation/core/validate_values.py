"""Checks of single values against their schema field, and the bilingual issues they raise.

Every problem names the field, the value and what is allowed, in Chinese and English
(docs/INTERCHANGE.md; the error shape of :mod:`valuation.core.errors`). The per-field fast
checks (:func:`_fast_check`) accept exactly the plain values :func:`_check_scalar` accepts.
"""
from __future__ import annotations

import datetime as _dt
import math
import re
from collections.abc import Iterable
from typing import Any

import numpy as np

from .errors import Issue
from .schema import STREAM_KEYS, Field


# ------------------------------------------------------------------ messages
def issue_for(f: Field | None, path: str, value: Any, *, row: int | None = None,
              asset_id: str | None = None, reason_zh: str = "", reason_en: str = "",
              allowed_zh: str | None = None, allowed_en: str | None = None) -> Issue:
    label_zh = f.label_zh if f else path
    label_en = f.label_en if f else path
    a_zh = allowed_zh if allowed_zh is not None else (f.allowed_text("zh") if f else "")
    a_en = allowed_en if allowed_en is not None else (f.allowed_text("en") if f else "")
    where_zh = f"第 {row + 1} 行（资产 {asset_id}）" if row is not None else ""
    where_en = f"row {row + 1} (asset {asset_id}): " if row is not None else ""
    zh = f"{where_zh}字段 {path}（{label_zh}）的值 {_show(value)} 无效{('：' + reason_zh) if reason_zh else ''}；允许：{a_zh}"
    en = (f"{where_en}field {path} ({label_en}): value {_show(value)} is not allowed"
          f"{(' — ' + reason_en) if reason_en else ''}; allowed: {a_en}")
    return Issue(field=path, value=_jsonable(value), allowed=a_en, message_zh=zh, message_en=en,
                 row=row, asset_id=asset_id)


def unknown_issue(path: str, value: Any, *, row: int | None = None,
                  asset_id: str | None = None, known: Iterable[str] = ()) -> Issue:
    known = sorted(known)
    hint = ", ".join(known[:12]) + (" …" if len(known) > 12 else "")
    where_zh = f"第 {row + 1} 行：" if row is not None else ""
    where_en = f"row {row + 1}: " if row is not None else ""
    return Issue(field=path, value=_jsonable(value), allowed=hint,
                 message_zh=f"{where_zh}未知字段 {path}：不属于数据交换格式；此处允许的字段：{hint}",
                 message_en=f"{where_en}unknown field {path}: not part of the interchange format; "
                            f"fields allowed here: {hint}",
                 row=row, asset_id=asset_id)


def missing_issue(f: Field, path: str, *, row: int | None = None,
                  asset_id: str | None = None) -> Issue:
    where_zh = f"第 {row + 1} 行（资产 {asset_id}）" if row is not None else ""
    where_en = f"row {row + 1} (asset {asset_id}): " if row is not None else ""
    return Issue(field=path, value=None, allowed=f.allowed_text("en"),
                 message_zh=f"{where_zh}缺少必填字段 {path}（{f.label_zh}）；应为：{f.allowed_text('zh')}",
                 message_en=f"{where_en}required field {path} ({f.label_en}) is missing; "
                            f"expected: {f.allowed_text('en')}",
                 row=row, asset_id=asset_id)


def _show(v: Any) -> str:
    s = repr(v)
    return s if len(s) <= 60 else s[:57] + "..."


def _jsonable(v: Any) -> Any:
    if isinstance(v, (str, int, float, bool, type(None))):
        if isinstance(v, float) and not math.isfinite(v):
            return str(v)
        return v
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v][:20]
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in list(v.items())[:20]}
    return str(v)


def _too_many(f: Field, path: str, v: list) -> Issue:
    n = f.max_items
    return issue_for(f, path, f"{len(v):,} items", reason_zh=f"共 {len(v):,} 项，超过上限 {n}",
                     reason_en=f"{len(v):,} items, more than the limit of {n}",
                     allowed_zh=f"不超过 {n} 项（每次请求的计算量有界）",
                     allowed_en=f"at most {n} items (bounded work per request)")


# ------------------------------------------------------------------ scalar checks
def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool) and \
        math.isfinite(float(v))


def _check_bounds(f: Field, x: float) -> bool:
    if f.minimum is not None and (x <= f.minimum if f.exclusive_minimum else x < f.minimum):
        return False
    if f.maximum is not None and (x >= f.maximum if f.exclusive_maximum else x > f.maximum):
        return False
    return True


#: Dates outside this range are refused: no data-asset engagement lies there, and the columnar
#: core keeps dates as datetime64[ns] (1677–2262), where year 9999 would overflow.
DATE_MIN, DATE_MAX = _dt.date(1900, 1, 1), _dt.date(2199, 12, 31)


def parse_date(v: Any) -> _dt.date | None:
    """A date in [DATE_MIN, DATE_MAX] from a date or ``YYYY-MM-DD`` text, else None."""
    d: _dt.date | None = None
    if isinstance(v, _dt.datetime):
        d = v.date()
    elif isinstance(v, _dt.date):
        d = v
    elif isinstance(v, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", v.strip()):
        try:
            d = _dt.date.fromisoformat(v.strip())
        except ValueError:
            return None
    if d is None or not (DATE_MIN <= d <= DATE_MAX):
        return None
    return d


def _check_scalar(f: Field, path: str, v: Any, issues: list[Issue]) -> Any:
    """Check one value; returns the normalised value (or None after recording an issue)."""
    if v is None:
        if not f.nullable or f.required:
            issues.append(missing_issue(f, path))
        return None
    k = f.kind
    if f.max_items is not None and isinstance(v, list) and len(v) > f.max_items:
        issues.append(_too_many(f, path, v))
        return None
    if k == "str":
        if not isinstance(v, str):
            issues.append(issue_for(f, path, v, reason_zh="应为文本", reason_en="must be text"))
            return None
        if f.pattern and not re.fullmatch(f.pattern, v):
            issues.append(issue_for(f, path, v, allowed_zh=f"匹配 {f.pattern}",
                                    allowed_en=f"matching {f.pattern}"))
            return None
        if f.required and not v.strip():
            issues.append(missing_issue(f, path))
            return None
        return v
    if k in ("int", "number"):
        if not _is_number(v) or (k == "int" and float(v) != int(float(v))):
            issues.append(issue_for(f, path, v))
            return None
        x = int(v) if k == "int" else float(v)
        if not _check_bounds(f, float(x)):
            issues.append(issue_for(f, path, v, reason_zh="超出范围", reason_en="out of bounds"))
            return None
        return x
    if k == "bool":
        if not isinstance(v, (bool, np.bool_)):
            issues.append(issue_for(f, path, v))
            return None
        return bool(v)
    if k == "date":
        d = parse_date(v)
        if d is None:
            issues.append(issue_for(f, path, v))
            return None
        return d.isoformat()
    if k == "enum":
        if v not in (f.allowed or ()):
            issues.append(issue_for(f, path, v))
            return None
        return v
    if k == "list_str":
        if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
            issues.append(issue_for(f, path, v))
            return None
        return list(v)
    if k == "list_number":
        if not isinstance(v, list) or not all(_is_number(x) for x in v):
            issues.append(issue_for(f, path, v))
            return None
        return [float(x) for x in v]
    if k == "matrix":
        ok = isinstance(v, list) and len(v) > 0 and all(
            isinstance(r, list) and len(r) == len(v) and all(_is_number(x) for x in r) for r in v)
        if not ok:
            issues.append(issue_for(f, path, v, reason_zh="应为方阵", reason_en="must be a square matrix"))
            return None
        return [[float(x) for x in r] for r in v]
    if k == "stream":
        return _check_stream(f, path, v, issues)
    raise AssertionError(k)  # pragma: no cover


def _check_stream(f: Field, path: str, v: Any, issues: list[Issue]) -> Any:
    if isinstance(v, list):
        if not v or not all(_is_number(x) for x in v):
            issues.append(issue_for(f, path, v))
            return None
        return [float(x) for x in v]
    if isinstance(v, dict):
        bad = False
        for key in v:
            if key not in STREAM_KEYS:
                issues.append(unknown_issue(f"{path}.{key}", v[key], known=STREAM_KEYS))
                bad = True
        base = v.get("base")
        if not _is_number(base):
            issues.append(issue_for(f, f"{path}.base", base, allowed_zh="数值（首期金额）",
                                    allowed_en="a number (first-period amount)"))
            bad = True
        g = v.get("growth", [])
        if _is_number(g):
            g = [float(g)]
        if isinstance(g, list) and len(g) > (f.max_items or 0):
            issues.append(_too_many(f, f"{path}.growth", g))
            return None
        if not isinstance(g, list) or not all(_is_number(x) and -1 < float(x) < 10 for x in g):
            issues.append(issue_for(f, f"{path}.growth", v.get("growth"),
                                    allowed_zh="增长率或增长率列表（每个 > -1）",
                                    allowed_en="a rate or list of rates (each > -1)"))
            bad = True
        tg = v.get("terminal_growth")
        if tg is not None and not (_is_number(tg) and -0.5 <= float(tg) <= 0.5):
            issues.append(issue_for(f, f"{path}.terminal_growth", tg, allowed_zh="-0.5 至 0.5 的数值",
                                    allowed_en="a number from -0.5 to 0.5"))
            bad = True
        if bad:
            return None
        return {"base": float(base), "growth": [float(x) for x in g],
                "terminal_growth": None if tg is None else float(tg)}
    issues.append(issue_for(f, path, v))
    return None


#: what a fast check returns for a value it does not vouch for: :func:`_check_scalar` decides
_SLOW = object()
_EXACT_INT = 2 ** 53
_ASCII_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _fast_check(f: Field) -> Any:
    """A check of the plain values a card usually holds for ``f``, returning what
    :func:`_check_scalar` returns for them (without issues), or ``_SLOW`` for any other value
    — errors, unusual types, edge cases — which :func:`_check_scalar` then handles, messages
    and all. Bounds and patterns are bound once per field."""
    k = f.kind
    nullable = f.nullable and not f.required
    if k in ("int", "number"):
        lo, hi = f.minimum, f.maximum
        exlo, exhi = f.exclusive_minimum, f.exclusive_maximum
        integral = k == "int"

        def check(v: Any) -> Any:
            t = type(v)
            if t is float and not integral:
                if not _isfinite(v):
                    return _SLOW
                x = v
            elif t is int and -_EXACT_INT < v < _EXACT_INT:
                x = float(v)
            else:
                return None if v is None and nullable else _SLOW
            if lo is not None and (x <= lo if exlo else x < lo):
                return _SLOW
            if hi is not None and (x >= hi if exhi else x > hi):
                return _SLOW
            return v if integral else x
        return check
    if k == "str":
        pattern = re.compile(f.pattern) if f.pattern else None
        required = f.required

        def check(v: Any) -> Any:
            if type(v) is not str:
                return None if v is None and nullable else _SLOW
            if pattern is not None and not pattern.fullmatch(v):
                return _SLOW
            if required and not v.strip():
                return _SLOW
            return v
        return check
    if k == "enum":
        allowed = frozenset(x for x in (f.allowed or ()) if type(x) is str)
        return lambda v: v if type(v) is str and v in allowed else \
            None if v is None and nullable else _SLOW
    if k == "bool":
        return lambda v: v if type(v) is bool else None if v is None and nullable else _SLOW
    if k == "date":
        def check(v: Any) -> Any:
            if type(v) is str and _ASCII_DATE.fullmatch(v):  # parse_date of such a text
                try:
                    d = _dt.date.fromisoformat(v)
                except ValueError:
                    return _SLOW
                return d.isoformat() if DATE_MIN <= d <= DATE_MAX else _SLOW
            return None if v is None and nullable else _SLOW
        return check
    most = f.max_items
    if k == "list_str":
        return lambda v: list(v) if type(v) is list and len(v) <= most and \
            all(type(x) is str for x in v) else None if v is None and nullable else _SLOW
    if k in ("list_number", "stream"):
        empty_ok = k == "list_number"

        def check(v: Any) -> Any:   # a list of plain numbers (a stream's object form: slow)
            if type(v) is list and (v or empty_ok) and len(v) <= most:
                for x in v:
                    t = type(x)
                    if not (t is float and _isfinite(x) or t is int and -_EXACT_INT < x < _EXACT_INT):
                        return _SLOW
                return [float(x) for x in v]
            return None if v is None and nullable else _SLOW
        return check
    return lambda v: None if v is None and nullable else _SLOW


_isfinite = math.isfinite
