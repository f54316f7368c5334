"""To whom a rule applies (issue 17): the ``applies_to`` block of a rule and ``binds`` of a standard.

A clause binds some holders and not others: the SASAC 90 % rules (国资委令第12号、第32号) bind
state-owned enterprises, 财资〔2024〕1号 binds administrative units and public institutions, the
CAS 2023 guidance binds every appraisal. A rule therefore declares, as data, where it applies::

    applies_to:
      holder_types: [soe]                       # schema enum holder_type; absent → every holder
      public_data: true                         # true / false; absent → either
      purposes: [transfer, licensing]           # schema enum purpose; absent → every purpose
      use_categories: [industry, sector]        # schema enum use_category; absent → every use
      except:                                   # optional: where ALL of these hold, the rule does not apply
        use_categories: [public_governance, public_welfare]

The mask is computed for all assets at once (:func:`applies_mask`). A missing holder type is read
as ``soe``, the holder with the strictest (blocker) checks: a state-asset check is never skipped
for want of a field (a card without ``holder_type`` is an ``enterprise`` by the schema default, so
this only matters for fact tables built by hand). Other missing dimensions do not exclude a rule. The choices are written in
``docs/POLICY_CHOICES.md``.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from ..core.errors import Issue
from ..core.schema import ENUMS
from .runtime import text_equal

__all__ = ["DIMENSIONS", "APPLIES_FACTS", "check_applies_to", "applies_mask", "STATE_HOLDERS"]

# key of the block → (fact read, schema enum or None for a bool)
DIMENSIONS: dict[str, tuple[str, str | None]] = {
    "holder_types": ("holder_type", "holder_type"),
    "purposes": ("purpose", "purpose"),
    "use_categories": ("use_category", "use_category"),
    "public_data": ("public_data", None),
}
APPLIES_FACTS = frozenset(f for f, _ in DIMENSIONS.values())
STATE_HOLDERS = ("soe", "administrative", "public_institution")


def check_applies_to(block: Any, where: str, *, nested: bool = False) -> list[Issue]:
    """Every problem of an ``applies_to`` (or ``binds``) block, as issues naming the field."""
    issues: list[Issue] = []

    def bad(f: str, v: Any, allowed: str, zh: str, en: str) -> None:
        issues.append(Issue(f"{where}.{f}", v, allowed, f"{where}.{f} {zh}（允许：{allowed}）",
                            f"{where}.{f} {en} (allowed: {allowed})"))

    if not isinstance(block, Mapping):
        bad("", block, "a mapping", "必须是映射", "must be a mapping")
        return issues
    keys = set(DIMENSIONS) | (set() if nested else {"except"})
    for k, v in block.items():
        if k not in keys:
            bad(str(k), v, ", ".join(sorted(keys)), "是未知字段", "is an unknown field")
        elif k == "except":
            issues += check_applies_to(v, f"{where}.except", nested=True)
        elif DIMENSIONS[k][1] is None:
            if not isinstance(v, bool):
                bad(k, v, "true or false", "必须是布尔值", "must be true or false")
        else:
            allowed = ENUMS[DIMENSIONS[k][1]]
            if not isinstance(v, (list, tuple)) or not v or not all(isinstance(x, str) and x in allowed for x in v):
                bad(k, v, ", ".join(allowed), "必须是非空的取值列表", "must be a non-empty list of allowed values")
    return issues


class _Equal:
    """``text_equal(facts[fact], value)`` once per fact and value (rules' ``applies_to``
    blocks ask for the same few: the missing holder, "soe", "administrative" … — 37 passes
    over the assets for the seed rules, 8 distinct). The masks are shared: read, never
    written."""

    def __init__(self, facts: Mapping[str, np.ndarray]):
        self.facts = facts
        self.done: dict[tuple[str, Any], np.ndarray] = {}

    def __call__(self, fact: str, value: Any) -> np.ndarray:
        key = (fact, value)
        m = self.done.get(key)
        if m is None:
            m = self.done[key] = text_equal(np.asarray(self.facts[fact], dtype=object), value)
        return m

    def member(self, fact: str, values: Any) -> np.ndarray:
        """:func:`~valuation.rules.runtime.text_member` of the fact (a new array)."""
        out = np.zeros(len(self.facts[fact]), bool)
        for v in values:
            out |= self(fact, v)
        return out


def _match(block: Mapping[str, Any], facts: Mapping[str, np.ndarray], n: int, eq: _Equal) -> np.ndarray:
    """Rows where every dimension of ``block`` holds."""
    ok = np.ones(n, bool)
    for key, (fact, enum) in DIMENSIONS.items():
        if key not in block:
            continue
        v = facts.get(fact)
        if v is None:
            continue          # the fact is not there at all: the dimension does not exclude
        if enum is None:
            ok &= np.asarray(v, dtype=bool) == bool(block[key])
            continue
        hit = eq.member(fact, block[key])
        missing = eq(fact, "") | eq(fact, None)
        if key == "holder_types":   # missing holder → read as an SOE (prudence)
            hit |= missing & ("soe" in block[key])
        else:
            hit |= missing
        ok &= hit
    return ok


def applies_mask(applies_to: Mapping[str, Any] | None, facts: Mapping[str, np.ndarray], n: int,
                 equal: _Equal | None = None) -> np.ndarray | None:
    """Rows (of ``n``) where a rule with this ``applies_to`` binds; None = everywhere.
    ``equal``: the text comparisons of the same facts made for other rules (a rule set
    evaluating its rules shares one)."""
    if not applies_to:
        return None
    eq = equal if equal is not None else _Equal(facts)
    ok = _match(applies_to, facts, n, eq)
    exc = applies_to.get("except")
    if exc:
        # an exception holds only where its dimensions are all present and match
        hit = np.ones(n, bool)
        for key, (fact, enum) in DIMENSIONS.items():
            if key not in exc:
                continue
            v = facts.get(fact)
            if v is None:
                hit[:] = False
                continue
            hit &= (np.asarray(v, dtype=bool) == bool(exc[key])) if enum is None else eq.member(fact, exc[key])
        ok &= ~hit
    return ok


def validate_standard(content: Mapping[str, Any]) -> None:
    """Store validator for the standards library (issue 17): the keys the engine reads — ``binds``
    (whom the clause binds, the dimensions of ``applies_to``) and ``limits`` (numbers the clause
    fixes, e.g. ``premium_over_cgb10y_max`` of 65号) — are well formed. Other keys are text and
    left to the importer. Raises ValidationError listing every problem."""
    from ..core.errors import ValidationError

    sid = content.get("id") if isinstance(content, Mapping) else None
    where = f"standards[{sid if isinstance(sid, str) else '?'}]"
    issues: list[Issue] = []
    if not isinstance(content, Mapping):
        raise ValidationError([Issue("standard", str(content)[:80], "a mapping", "标准条目必须是映射",
                                     "a standard must be a mapping")])
    if content.get("binds") is not None:
        issues += check_applies_to(content["binds"], f"{where}.binds", nested=True)
    lim = content.get("limits")
    if lim is not None:
        if not isinstance(lim, Mapping):
            issues.append(Issue(f"{where}.limits", lim, "a mapping name → number",
                                f"{where}.limits 必须是映射", f"{where}.limits must be a mapping"))
        else:
            for k, v in lim.items():
                if k == "unit":
                    continue
                if isinstance(v, bool) or not isinstance(v, (int, float)) or not np.isfinite(v) or v < 0:
                    issues.append(Issue(f"{where}.limits.{k}", v, "a finite number ≥ 0",
                                        f"{where}.limits.{k} 必须是有限的非负数",
                                        f"{where}.limits.{k} must be a finite number ≥ 0"))
    if issues:
        raise ValidationError(issues)
