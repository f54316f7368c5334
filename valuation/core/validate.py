"""Validation of JSON documents and portfolio tables against the schema table.

Every problem is collected (never only the first) with the row, the field, the value and what
is allowed, in Chinese and English. Unknown fields are errors (docs/INTERCHANGE.md).
"""
from __future__ import annotations

import datetime as _dt
import math
import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from .checks import currency_issues, rights_term_issues
from .errors import Issue, ValidationError
from .gate import IDENTIFIER_PATHS, check_tree, table_text_issues
from .schema import SECTIONS, STREAM_KEYS, Field, column_of, field_by_path, fields_for, object_paths

__all__ = ["validate_document", "check_document", "validate_table", "table_columns",
           "issue_for", "unknown_issue", "missing_issue"]


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


# ------------------------------------------------------------------ documents
def check_document(doc: Any, kind: str = "card") -> tuple[dict[str, Any], list[Issue]]:
    """Validate a nested document; returns (normalised copy with defaults, issues)."""
    issues: list[Issue] = []
    if not isinstance(doc, dict):
        issues.append(Issue(field="", value=_jsonable(doc), allowed="a JSON object",
                            message_zh="请求应为 JSON 对象", message_en="the request must be a JSON object"))
        return {}, issues
    gate_issues = check_tree(doc)     # size, depth, duplicate keys, big ints, bad text
    if gate_issues:
        return {}, gate_issues
    objs = object_paths(kind)
    out = _walk("", doc, kind, objs, issues)
    if kind == "card":
        for sec in ("asset", "engagement"):
            if sec not in doc:
                f = field_by_path(f"{sec}.asset_id" if sec == "asset" else "engagement.valuation_date")
                assert f is not None
                issues.append(missing_issue(f, sec))
        _cross_checks_card(out, issues)
        issues += currency_issues(out, "engagement.currency") + rights_term_issues(out)
    elif kind == "product":
        issues += currency_issues(out, "product.currency")
    return out, issues


def validate_document(doc: Any, kind: str = "card") -> dict[str, Any]:
    """Validate and normalise; raise :class:`ValidationError` listing every problem."""
    out, issues = check_document(doc, kind)
    if issues:
        raise ValidationError(issues)
    return out


@lru_cache(maxsize=512)
def _allowed_keys(kind: str, prefix: str, objs: frozenset[str]) -> list[str]:
    """The keys an object at ``prefix`` may hold (for the unknown-field message)."""
    if not prefix:
        return list(SECTIONS[kind])
    return sorted({p[len(prefix) + 1:].split(".")[0]
                   for p in [f.path.replace("[]", "") for f in fields_for(kind)] + list(objs)
                   if p.startswith(prefix + ".")})


@lru_cache(maxsize=512)
def _leaves(kind: str, prefix: str) -> tuple[tuple[Field, str], ...]:
    """(field, key) of the leaves directly under the object at ``prefix`` — the schema table is
    constant, so each object's list is worked out once, not once per card."""
    out = []
    for f in fields_for(kind):
        if f.in_records and not prefix.endswith("[]"):
            continue
        parent, _, name = f.path.rpartition(".")
        if parent == prefix:
            out.append((f, name))
    return tuple(out)


def _walk(prefix: str, obj: dict, kind: str, objs: frozenset[str], issues: list[Issue]) -> dict:
    out: dict[str, Any] = {}
    keys = _key_plan(kind, prefix, objs)
    for key, v in obj.items():
        plan = keys.get(key) if type(key) is str else None
        if plan is None:
            plan = _plan_key(kind, prefix, objs, key)
            if type(key) is str and len(keys) < 256:  # unknown keys of odd cards: a bounded memo
                keys[key] = plan
        path, what, f, fast = plan
        if what is _SCALAR:
            x = fast(v)
            out[key] = _check_scalar(f, path, v, issues) if x is _SLOW else x
        elif what is _OBJECT:
            if v is None:
                out[key] = None
            elif not isinstance(v, dict):
                issues.append(issue_for(None, path, v, allowed_zh="JSON 对象", allowed_en="a JSON object"))
            else:
                out[key] = _walk(path, v, kind, objs, issues)
        elif what is _RECORDS:
            out[key] = _walk_records(f, path, v, kind, objs, issues)
        else:
            issues.append(unknown_issue(path, v, known=_allowed_keys(kind, prefix, objs)))
    # required leaves and defaults of this object (a leaf given, even as null, does neither)
    for f, name in _absent_leaves(kind, prefix):
        if name not in obj:
            if f.required:
                issues.append(missing_issue(f, f.path))
            else:
                out[name] = f.default
    return out


# what _walk does with a key: check a scalar, walk an object or records, report it unknown
_SCALAR, _OBJECT, _RECORDS, _UNKNOWN = "scalar", "object", "records", "unknown"


def _plan_key(kind: str, prefix: str, objs: frozenset[str], key: Any) -> tuple[str, str, Any, Any]:
    """(path, what, field, fast check) of a key of the object at ``prefix``."""
    path = f"{prefix}.{key}" if prefix else str(key)
    f = field_by_path(path)
    if f is not None and f.kind == "records":
        return path, _RECORDS, f, None
    if f is not None and f.doc == kind:
        return path, _SCALAR, f, _fast_check(f)
    if path in objs:
        return path, _OBJECT, None, None
    return path, _UNKNOWN, None, None


@lru_cache(maxsize=512)
def _key_plan(kind: str, prefix: str, objs: frozenset[str]) -> dict[str, tuple[str, str, Any, Any]]:
    """Plans of the keys seen in objects at ``prefix`` (filled by :func:`_walk`): a card's
    ~120 keys are classified once, not once per card."""
    return {}


@lru_cache(maxsize=512)
def _absent_leaves(kind: str, prefix: str) -> tuple[tuple[Field, str], ...]:
    """The leaves of :func:`_leaves` whose absence does something: required or defaulted."""
    return tuple((f, name) for f, name in _leaves(kind, prefix)
                 if f.required or f.default is not None)


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


def _walk_records(f: Field, path: str, v: Any, kind: str, objs: frozenset[str],
                  issues: list[Issue]) -> list[dict] | None:
    if v is None:
        if f.required:
            issues.append(missing_issue(f, path))
        return None
    if not isinstance(v, list):
        issues.append(issue_for(f, path, v))
        return None
    if len(v) > (f.max_items or 0):     # refused before any item is looked at: bounded work
        issues.append(_too_many(f, path, v))
        return None
    items = []
    for i, item in enumerate(v):
        if not isinstance(item, dict):
            issues.append(issue_for(f, f"{path}[{i}]", item, allowed_zh="JSON 对象", allowed_en="a JSON object"))
            continue
        sub: list[Issue] = []
        norm = _walk(path + "[]", item, kind, objs, sub)
        for s in sub:  # rewrite item paths with the index
            p = s.field.replace(path + "[]", f"{path}[{i}]", 1)
            issues.append(Issue(field=p, value=s.value, allowed=s.allowed,
                                message_zh=s.message_zh.replace(path + "[]", f"{path}[{i}]"),
                                message_en=s.message_en.replace(path + "[]", f"{path}[{i}]"),
                                row=s.row, asset_id=s.asset_id))
        items.append(norm)
    return items


def _cross_checks_card(card: dict, issues: list[Issue]) -> None:
    eng = card.get("engagement") or {}
    w = eng.get("weights") or {}
    given = {k: x for k, x in w.items() if x is not None}
    if given:
        s = sum(given.values())
        if abs(s - 1.0) > 1e-6:
            issues.append(issue_for(field_by_path("engagement.weights.cost"), "engagement.weights",
                                    given, reason_zh=f"权重合计 {s:.6g} ≠ 1", reason_en=f"weights sum to {s:.6g}, not 1",
                                    allowed_zh="合计为 1 的权重", allowed_en="weights summing to 1"))
        if not eng.get("weights_reason"):
            issues.append(missing_issue(field_by_path("engagement.weights_reason"),
                                        "engagement.weights_reason"))  # type: ignore[arg-type]
    q = ((card.get("asset") or {}).get("quality") or {})
    qw = q.get("weights")
    if qw is not None:
        if len(qw) != 6 or abs(sum(qw) - 1.0) > 1e-6 or any(x < 0 for x in qw):
            issues.append(issue_for(field_by_path("asset.quality.weights"), "asset.quality.weights", qw,
                                    reason_zh="应为 6 个非负权重且合计为 1",
                                    reason_en="must be 6 non-negative weights summing to 1"))
    inc = card.get("income")
    if isinstance(inc, dict) and inc.get("model"):
        if inc.get("discount_rate") is None and not (inc.get("discount") or {}).get("method") \
                and not inc.get("scenarios"):
            issues.append(missing_issue(field_by_path("income.discount_rate"), "income.discount_rate"))  # type: ignore[arg-type]
        n = inc.get("periods")
        for key in ("income", "base", "revenue", "nopat", "with", "without", "savings"):
            s = inc.get(key)
            if isinstance(s, list) and n is not None and len(s) < n:
                issues.append(issue_for(field_by_path(f"income.{key}"), f"income.{key}", s,
                                        reason_zh=f"只有 {len(s)} 期，少于收益期 {n}",
                                        reason_en=f"{len(s)} periods given, fewer than periods = {n}",
                                        allowed_zh=f"至少 {n} 个数值", allowed_en=f"at least {n} numbers"))
            if isinstance(s, dict) and n is None:
                issues.append(missing_issue(field_by_path("income.periods"), "income.periods"))  # type: ignore[arg-type]
    from .signs import check_card  # negative revenue / loss without the explicit field (issue 17)

    check_card(card, issues)


# ------------------------------------------------------------------ tables
_STREAM_COL = re.compile(r"^(?P<base>.+?)_(?P<n>\d+)$")


def table_columns(kind: str = "card") -> dict[str, Field]:
    """Scalar columns a portfolio table may carry (numbered stream/list columns excluded)."""
    return {f.column: f for f in fields_for(kind)
            if not f.in_records and f.kind not in ("records", "matrix", "stream", "list_number")}


def _series_fields(kind: str = "card") -> dict[str, Field]:
    return {f.column: f for f in fields_for(kind) if f.kind in ("stream", "list_number")}


_IDENT_COLUMNS = frozenset(column_of(p) for p in IDENTIFIER_PATHS if "[]" not in p)


def validate_table(df: pd.DataFrame, kind: str = "card") -> tuple[pd.DataFrame, list[Issue]]:
    """Vectorised validation of a flat portfolio table (one row per asset).

    Returns the coerced table (typed columns) and every issue found, each naming its row,
    asset and column. Numbered columns ``income_revenue_1..n`` carry explicit streams;
    ``income_revenue_base`` / ``income_revenue_growth`` (or ``_growth_1..``) carry a stream
    given as a first amount with growth; ``income_history_values_1..`` carry lists.
    """
    issues: list[Issue] = []
    cols = table_columns(kind)
    sfields = _series_fields(kind)
    ids = df["asset_id"].astype("str") if "asset_id" in df.columns else pd.Series(
        [None] * len(df), dtype="str")
    ids_list = ids.tolist()
    out: dict[str, Any] = {}
    for c in df.columns:
        if c in cols:
            continue
        m = _STREAM_COL.match(str(c))
        base = m.group("base") if m else None
        ok = False
        for root, f in sfields.items():
            if c == root + "_base" or c == root + "_growth" or c == root + "_terminal_growth":
                ok = f.kind == "stream"
            elif base is not None and (base == root or base == root + "_growth"):
                ok = True
            if ok:
                break
        if not ok:
            issues.append(unknown_issue(str(c), None, known=list(cols)[:40]))
    n = len(df)
    # a section's required fields are required only on rows that carry that section
    sec_rows: dict[str, np.ndarray] = {}
    for sec in ("cost", "income", "market"):
        present = [c for c in df.columns if str(c).startswith(sec + "_")]
        sec_rows[sec] = (df[present].notna().any(axis=1).to_numpy() if present else np.zeros(n, bool))
    for c, f in cols.items():
        sec = f.path.split(".")[0]
        if c not in df.columns:
            if f.required and (sec not in sec_rows or sec_rows[sec].any()):
                issues.append(missing_issue(f, c))
            continue
        s = df[c]
        out[c] = _coerce_column(f, c, s, ids_list, issues, sec_rows.get(sec))
    # numbered numeric columns: numeric, finite
    for c in df.columns:
        if c in cols:
            continue
        s = df[c]
        x = pd.to_numeric(s, errors="coerce")
        bad = x.isna() & s.notna()
        if not pd.api.types.is_numeric_dtype(s):
            bad &= (s.astype("str").str.strip() != "")
        for r in np.flatnonzero(bad.to_numpy()):
            issues.append(issue_for(None, str(c), s.iloc[r], row=int(r), asset_id=ids_list[r],
                                    allowed_zh="数值", allowed_en="a number"))
        out[c] = x.astype(float)
    # control characters and lone surrogates in identifier columns (the input gate)
    issues += table_text_issues({c: df[c].tolist() for c in df.columns if c in _IDENT_COLUMNS and (
        df[c].dtype == object or pd.api.types.is_string_dtype(df[c].dtype))}, ids_list)
    from .signs import check_table  # negative revenue / loss without the explicit field (issue 17)

    check_table(out, ids_list, issues)
    # duplicate ids
    if "asset_id" in df.columns:
        dup = ids.duplicated(keep="first") & ids.notna()
        for r in np.flatnonzero(dup.to_numpy()):
            issues.append(Issue(field="asset_id", value=ids_list[r], allowed="unique ids",
                                message_zh=f"第 {r + 1} 行：资产编号 {ids_list[r]!r} 重复（与前面的行相同）",
                                message_en=f"row {r + 1}: duplicate asset_id {ids_list[r]!r}",
                                row=int(r), asset_id=ids_list[r]))
    return pd.DataFrame(out, index=pd.RangeIndex(n)), issues


def _coerce_column(f: Field, c: str, s: pd.Series, ids: list, issues: list[Issue],
                   rows_needing: np.ndarray | None = None) -> pd.Series:
    present = s.notna()
    if s.dtype == object or pd.api.types.is_string_dtype(s.dtype):
        present = present & (_as_str(s).str.strip() != "")
    pres = present.to_numpy(dtype=bool)
    if f.required:
        need = ~pres if rows_needing is None else (~pres & rows_needing)
        for r in np.flatnonzero(need):
            issues.append(missing_issue(f, c, row=int(r), asset_id=ids[r]))
    k = f.kind
    if k in ("int", "number"):
        x = pd.to_numeric(s, errors="coerce").astype(float)
        xv = x.to_numpy()
        bad = pres & ~np.isfinite(xv)
        ok = pres & np.isfinite(xv)
        if k == "int":
            bad |= ok & (np.floor(np.where(ok, xv, 0)) != np.where(ok, xv, 0))
        inb = np.ones(len(x), dtype=bool)
        with np.errstate(invalid="ignore"):
            if f.minimum is not None:
                inb &= (xv > f.minimum) if f.exclusive_minimum else (xv >= f.minimum)
            if f.maximum is not None:
                inb &= (xv < f.maximum) if f.exclusive_maximum else (xv <= f.maximum)
        bad |= ok & ~inb
        for r in np.flatnonzero(bad):
            issues.append(issue_for(f, c, s.iloc[r], row=int(r), asset_id=ids[r]))
        xv = np.where(bad, np.nan, xv)
        if f.default is not None:
            xv = np.where(~pres, float(f.default), xv)
        return pd.Series(xv, index=s.index)
    if k == "bool":
        if pd.api.types.is_bool_dtype(s.dtype) and not s.isna().any():
            return s.astype(bool)
        t = _as_str(s).str.strip().str.lower()
        mapping = {"true": True, "1": True, "yes": True, "是": True, "y": True, "1.0": True,
                   "false": False, "0": False, "no": False, "否": False, "n": False, "0.0": False}
        v = t.map(mapping)
        bad = pres & v.isna().to_numpy()
        for r in np.flatnonzero(bad):
            issues.append(issue_for(f, c, s.iloc[r], row=int(r), asset_id=ids[r]))
        res = v.astype("boolean")
        if f.default is not None:
            res = res.fillna(bool(f.default)).astype(bool)
        return res
    if k == "date":
        if pd.api.types.is_datetime64_any_dtype(s.dtype):
            return s
        t = _as_str(s).str.strip().str.slice(0, 10)
        d = pd.to_datetime(t, format="%Y-%m-%d", errors="coerce")
        out_of_range = ((d < pd.Timestamp(DATE_MIN)) | (d > pd.Timestamp(DATE_MAX))).to_numpy(bool)
        d = d.mask(out_of_range)
        bad = pres & d.isna().to_numpy()
        for r in np.flatnonzero(bad):
            issues.append(issue_for(f, c, s.iloc[r], row=int(r), asset_id=ids[r]))
        return d
    if k == "enum":
        t = _as_str(s).str.strip()
        bad = pres & ~t.isin(list(f.allowed or ())).to_numpy(dtype=bool)
        for r in np.flatnonzero(bad):
            issues.append(issue_for(f, c, s.iloc[r], row=int(r), asset_id=ids[r]))
        t = t.where(pres & ~bad)
        if f.default is not None:
            t = t.where(pres, f.default)
        return t
    if k == "list_str":
        return _as_str(s).where(present)
    # str
    t = _as_str(s).str.strip()
    if f.pattern:
        okp = t.str.fullmatch(f.pattern).fillna(False).to_numpy(dtype=bool)
        for r in np.flatnonzero(pres & ~okp):
            issues.append(issue_for(f, c, s.iloc[r], row=int(r), asset_id=ids[r],
                                    allowed_zh=f"匹配 {f.pattern}", allowed_en=f"matching {f.pattern}"))
    res = t.where(pres)
    if f.default is not None:
        res = res.where(pres, f.default)
    return res


def _as_str(s: pd.Series) -> pd.Series:
    """Text view of a column in pandas' ``str`` dtype (missing stays missing)."""
    if isinstance(s.dtype, pd.StringDtype) and s.dtype.na_value is np.nan:
        return s
    if pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype):
        # 1.0 → "1" so numeric codes in spreadsheets compare as text
        out = s.map(lambda v: None if pd.isna(v) else (str(int(v)) if float(v).is_integer() else str(v)))
        return out.astype("str")
    return s.astype("str")


def column_for_path(path: str) -> str:
    return column_of(path)
