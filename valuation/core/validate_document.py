"""Validation of JSON documents (cards, public-data products) against the schema table.

Every problem is collected (never only the first); unknown fields are errors
(docs/INTERCHANGE.md). The walk plans each object's keys once per schema (:func:`_key_plan`).
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any

from .checks import currency_issues, rights_term_issues
from .errors import Issue, ValidationError
from .gate import check_tree
from .schema import SECTIONS, Field, field_by_path, fields_for, object_paths
from .validate_values import (
    _SLOW,
    _check_scalar,
    _fast_check,
    _jsonable,
    _too_many,
    issue_for,
    missing_issue,
    unknown_issue,
)


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
