"""Signs of amounts (issue 17 item 5): negative revenues, costs and prices are refused, naming
the field; a loss is valued only when the card says so.

* Revenue (``income.revenue``, ``income.history.values``) is never negative.
* The profit-like streams (``income.income`` F_t, ``income.base`` R_t, ``income.nopat``,
  ``income.with`` / ``income.without``, ``income.savings``) may be negative only when
  ``income.loss_making`` is true — the explicit statement that the asset is loss-making; the rules
  then raise LOSS_MAKING so the result is never read as an ordinary one.
* Costs and prices already have ``minimum: 0`` in the schema table (cost components and lines,
  comparables, proposed price, declared value, 65号 items).

Used by :mod:`valuation.core.validate` for cards (:func:`check_card`) and portfolio tables
(:func:`check_table`).
"""
from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

from .errors import Issue

__all__ = ["NEVER_NEGATIVE", "LOSS_STREAMS", "check_card", "check_table"]

NEVER_NEGATIVE = ("revenue",)
LOSS_STREAMS = ("income", "base", "nopat", "with", "without", "savings")


def _issue(path: str, value: Any, loss_ok: bool, row: int | None = None, asset_id: str | None = None) -> Issue:
    where_zh = f"第 {row + 1} 行（资产 {asset_id}）" if row is not None else ""
    where_en = f"row {row + 1} (asset {asset_id}): " if row is not None else ""
    if loss_ok:
        zh = (f"{where_zh}字段 {path} 的值 {value} 为负：亏损资产须在卡片上声明 income.loss_making = true 后方可按负收益评估")
        en = (f"{where_en}field {path}: value {value} is negative — a loss-making asset is valued on negative "
              "amounts only when the card states income.loss_making = true")
        allowed = "≥ 0 (or income.loss_making: true)"
    else:
        zh = f"{where_zh}字段 {path} 的值 {value} 为负：营业收入不能为负数"
        en = f"{where_en}field {path}: value {value} is negative — revenue cannot be negative"
        allowed = "≥ 0"
    return Issue(field=path, value=value, allowed=allowed, message_zh=zh, message_en=en, row=row,
                 asset_id=asset_id)


def _negatives(s: Any) -> list[tuple[str, float]]:
    """(suffix, value) of the negative amounts of a stream (list, or object with ``base``)."""
    if isinstance(s, list):
        return [(f"[{k}]", float(x)) for k, x in enumerate(s) if isinstance(x, (int, float)) and x < 0]
    if isinstance(s, dict) and isinstance(s.get("base"), (int, float)) and s["base"] < 0:
        return [(".base", float(s["base"]))]
    return []


def check_card(card: dict, issues: list[Issue]) -> None:
    """Append an issue per negative amount of a (normalised) card."""
    inc = card.get("income")
    if not isinstance(inc, dict):
        return
    loss = inc.get("loss_making") is True
    for key in NEVER_NEGATIVE + LOSS_STREAMS:
        ok_neg = loss and key in LOSS_STREAMS
        if ok_neg:
            continue
        for suffix, v in _negatives(inc.get(key))[:5]:
            issues.append(_issue(f"income.{key}{suffix}", v, key in LOSS_STREAMS))
    hist = (inc.get("history") or {}).get("values")
    for suffix, v in _negatives(hist)[:5]:
        issues.append(_issue(f"income.history.values{suffix}", v, False))


_COL = re.compile(r"^income_(?P<key>revenue|income|base|nopat|with|without|savings|history_values)_(?P<n>\d+|base)$")


def check_table(out: dict[str, pd.Series], ids: list, issues: list[Issue]) -> None:
    """Append an issue per negative amount in the numbered stream columns of a coerced table
    (``out``: column → Series), vectorised per column."""
    loss = out.get("income_loss_making")
    loss_rows = (loss.fillna(False).astype(bool).to_numpy() if loss is not None
                 else np.zeros(len(ids), bool))
    for c, s in out.items():
        m = _COL.match(str(c))
        if m is None:
            continue
        key = m.group("key")
        x = pd.to_numeric(s, errors="coerce").to_numpy(dtype=float)
        with np.errstate(invalid="ignore"):
            neg = x < 0
        if key in LOSS_STREAMS:
            neg &= ~loss_rows
        for r in np.flatnonzero(neg)[:50]:
            issues.append(_issue(str(c), float(x[r]), key in LOSS_STREAMS, row=int(r), asset_id=ids[r]))
