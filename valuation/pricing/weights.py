"""Weights of the approaches per asset (CAS 2023 art. 24).

Weights come from ``models/reconcile.yaml`` by engagement purpose and value type (the first
matching rule wins; e.g. accounting → cost, transfer → market, licensing / financing /
pledge → income). Only applicable approaches keep weight; weights are renormalised; when no
weighted approach is applicable the rule's ``fallback`` order names the approach used. A card
may override the weights (``engagement.weights.cost|income|market``) only together with
``engagement.weights_reason`` — art. 24 forbids mechanical averaging without justification.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ..core.columns import MISSING_CODE, AssetTable
from ..core.errors import Issue, RefusedError, ValidationError
from ..core.portfolio import Portfolio
from ..core.schema import column_of
from ..methods.base import MethodFn
from .perturbed import ApproachRun

__all__ = ["LABELS", "METHODS", "default_methods", "weights"]

METHODS = ("cost", "income", "market")
LABELS = {"cost": ("成本法", "cost approach"), "income": ("收益法", "income approach"),
          "market": ("市场法", "market approach")}


def default_methods(snap: Any = None, names: tuple[str, ...] = METHODS) -> dict[str, MethodFn]:
    """The registered approaches named in ``names`` with the snapshot's parameters resolved
    (its file defaults without a snapshot), as :class:`~.perturbed.ApproachRun`: called on a
    portfolio, the engine's own run without traces; on rows of perturbed inputs, the
    approach's contract (inputs read once, ``value`` on them taken at the rows)."""
    from ..methods.registry import APPROACHES, params_of

    return {name: ApproachRun(ap, params_of(ap, snap) if snap is not None else ap.params(None))
            for name, ap in APPROACHES.items() if name in names}


def _is_any(a: Any, key: str, want: Sequence[str]) -> np.ndarray:
    """Rows whose enum column ``key`` (``purpose``, ``value_type``: enumerations of the schema)
    is one of the labels ``want`` ("" stands for a missing value), by its int16 codes (one
    ``isin`` over small integers), never by its labels' text."""
    ws = set(want)
    codes = [i for i, lab in enumerate(a.spec(key).labels or ()) if lab in ws]
    if "" in ws:
        codes.append(MISSING_CODE)
    return np.isin(a[key], codes)


def _rule_match(a: Any, n: int, rule: Mapping[str, Any]) -> np.ndarray:
    """Rows the rule applies to, from the assets' ``purpose`` and ``value_type``."""
    m = np.ones(n, dtype=bool)
    for key in ("purpose", "value_type"):
        if key in rule and key in a:
            m &= _is_any(a, key, rule[key] if isinstance(rule[key], list) else [rule[key]])
    return m


class _Codes(dict):
    """Enum code columns by name, read as the asset table's (``spec`` of the schema table)."""

    spec = staticmethod(AssetTable.spec)


def _rule_weights(rules: Sequence[Mapping[str, Any]], a: AssetTable, n: int,
                  names: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(weights, fallback rank — each (assets × approaches) —, rule number or −1) of the first
    matching rule of every asset; equal weights in the approaches' order where none matches.
    The rules are matched once per combination of the two enum columns' codes — a few dozen —
    and the answers taken by the assets' codes."""
    keys = [k for k in ("purpose", "value_type") if k in a]
    if not keys:                      # (no column to match: every asset has the same first rule)
        return _first_rules(rules, a, n, names)
    sizes = tuple(len(a.labels(k)) + 1 for k in keys)     # (code −1, then 0 … L−1; enums only)
    grid = np.indices(sizes).reshape(len(keys), -1) - 1
    combos = _Codes({k: grid[i].astype(np.int16) for i, k in enumerate(keys)})
    W, rank, rule_no = _first_rules(rules, combos, grid.shape[1], names)
    at = np.ravel_multi_index(tuple(a[k].astype(np.intp) + 1 for k in keys), sizes)
    return W[at], rank[at], rule_no[at]


def _first_rules(rules: Sequence[Mapping[str, Any]], a: Any, n: int,
                 names: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`_rule_weights` of the ``n`` rows of ``a`` (an asset table, or code columns)."""
    M = len(names)
    W = np.full((n, M), np.nan)
    rank = np.full((n, M), 99.0)
    rule_no = np.full(n, -1)
    for k, r in enumerate(rules):
        if k and (rule_no >= 0).all():        # every asset has its rule: the later ones cannot win
            break
        hit = _rule_match(a, n, r) & (rule_no < 0)
        if not hit.any():
            continue
        rule_no[hit] = k
        w = r.get("weights") or {}
        W[hit] = [float(w.get(m, 0.0)) for m in names]
        fb = list(r.get("fallback") or [])
        rank[hit] = [fb.index(m) if m in fb else (50 + j if w.get(m, 0) else 99) for j, m in enumerate(names)]
    none = rule_no < 0
    W[none] = 1.0
    rank[none] = np.arange(M)
    return W, rank, rule_no


def _card_weights(a: AssetTable, ids: Any, names: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(the card's weights — NaN where none —, whether the card overrides, its reason).

    Raises
    ------
    ValidationError
        weights without ``engagement.weights_reason`` (art. 24).
    RefusedError
        weights summing to 0.
    """
    n = len(a)
    given = np.column_stack([a.number(column_of(f"engagement.weights.{m}")) for m in names]) if names \
        else np.zeros((n, 0))
    over = ~np.isnan(given).all(axis=1)
    reason = a.text(column_of("engagement.weights_reason"))    # (a new array: "" missing)
    given_at = np.flatnonzero(np.not_equal(reason, ""))         # (stripped where given: few)
    if len(given_at):
        reason[given_at] = [x.strip() for x in reason[given_at].tolist()]
    bad = over & (reason == "")
    if bad.any():
        raise ValidationError([Issue(
            field="engagement.weights_reason", value=None, allowed="non-empty text / 非空说明",
            message_zh=f"资产 {aid}：给出了方法权重但未说明理由（engagement.weights_reason）；"
                       "第二十四条要求说明结论形成的理由，不得无理由机械加权",
            message_en=f"asset {aid}: method weights are given without engagement.weights_reason; "
                       "art. 24 requires the reason for the conclusion — weights need a justification",
            asset_id=aid) for aid in (str(ids[i]) for i in np.flatnonzero(bad))])
    gw = np.nan_to_num(given)
    zero = over & (gw.sum(axis=1) <= 0)
    if zero.any():
        aid = str(ids[np.flatnonzero(zero)[0]])
        raise RefusedError(f"资产 {aid}：方法权重之和为 0", f"asset {aid}: the method weights sum to 0",
                           field="engagement.weights", value=0.0, allowed="weights summing to > 0")
    return gw, over, reason


def weights(pf: Portfolio, app: np.ndarray, cfg: Mapping[str, Any], names: tuple[str, ...]
            ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Weights (assets × approaches, rows summing to 1 over the applicable ones — ``app``, the
    (assets × approaches) booleans — or 0 where none applies) and the metadata columns
    (``weights_source``, ``rule``, ``rule_reason_zh|en``, ``rule_references``,
    ``weights_reason``) as arrays."""
    a = pf.columns
    n = len(pf)
    rules = list(cfg.get("weights") or [])
    W, rank, rule_no = _rule_weights(rules, a, n, names)
    gw, over, reason = _card_weights(a, pf.index, names)
    W = np.where(over[:, None], gw, W)
    Wa = np.where(app, W, 0.0)
    tot = Wa.sum(axis=1)
    fallback = (tot <= 0) & app.any(axis=1)
    if fallback.any():
        first = np.argmin(np.where(app, rank, np.inf), axis=1)
        Wa[fallback] = 0.0
        Wa[np.flatnonzero(fallback), first[fallback]] = 1.0
        tot = Wa.sum(axis=1)
    Wn = np.divide(Wa, tot[:, None], out=np.zeros_like(Wa), where=tot[:, None] > 0)
    # (the four sources by position: card or model, with or without the fallback)
    src = np.array(("model", "card", "model+fallback", "card+fallback"), dtype=object)[
        over.astype(np.intp) + 2 * fallback.astype(np.intp)]
    # per rule once, then gathered by rule number (the last slot is "no rule")
    at = np.where(rule_no >= 0, rule_no, len(rules))
    rz = np.array([r.get("reason_zh", "") for r in rules] + [""], dtype=object)[at]
    re_ = np.array([r.get("reason_en", "") for r in rules] + [""], dtype=object)[at]
    per_rule_refs = np.empty(len(rules) + 1, dtype=object)
    for k, r in enumerate([*rules, {}]):
        per_rule_refs[k] = list(r.get("references") or [])
    meta = {"weights_source": src, "rule": rule_no, "rule_reason_zh": rz, "rule_reason_en": re_,
            "rule_references": per_rule_refs[at], "weights_reason": reason}
    return Wn, meta
