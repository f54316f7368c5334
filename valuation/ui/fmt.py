"""Numbers as the dashboard shows them: every amount, percentage, rate and date of the pages,
tables and charts goes through :mod:`valuation.core.formatting` with the session's language
and money unit (元 or 万元, chosen in the sidebar). Nothing here computes; it only writes.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import pandas as pd
import streamlit as st

from ..core import formatting as F
from .i18n import lang
from .labels import enum_label

__all__ = ["unit", "money", "amount", "pct", "rate", "ratio", "number", "date", "frame",
           "money_unit_label", "value_text", "scale"]


def unit() -> str:
    """The money unit chosen in the sidebar: ``yuan`` (default) or ``wan``."""
    u = st.session_state.get("money_unit", "yuan")
    return u if u in F.MONEY_UNITS else "yuan"


def scale() -> float:
    """Divisor that turns 元 into the chosen unit (charts plot in the unit they label)."""
    return F.WAN if unit() == "wan" else 1.0


def money(x: Any, currency: str | None = "CNY", decimals: int = 2) -> str:
    return F.money(x, currency or "CNY", unit(), decimals, lang())


def amount(x: Any, decimals: int = 2) -> str:
    return F.amount(x, unit(), decimals, lang())


def money_unit_label(currency: str | None = "CNY") -> str:
    return F.unit_label(currency or "CNY", unit(), lang())


def pct(x: Any, decimals: int = 1) -> str:
    return F.percent(x, decimals, lang())


def rate(x: Any, decimals: int = 2) -> str:
    return F.rate(x, decimals, lang())


def ratio(x: Any, decimals: int = 4) -> str:
    return F.ratio(x, decimals, lang())


def number(x: Any, decimals: int = 0) -> str:
    return F.number(x, decimals, lang())


def date(x: Any) -> str:
    return F.date(x, lang())


def _num_text(v: float) -> str:
    """A number of unknown meaning: integers plain, others with at most 4 significant decimals."""
    if float(v).is_integer() and abs(v) < 1e15:
        return F.number(v, 0, lang())
    return F.number(v, 4 if abs(v) < 1 else 2, lang())


def value_text(v: Any, kind: str = "") -> str:
    """One value of a trace, a flag or an input: money for ``currency``, percent for
    ``ratio``/``rate``, enum labels for codes, lists and small mappings item by item."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return F.MISSING
    if isinstance(v, bool):
        return ("是", "yes")[lang() == "en"] if v else ("否", "no")[lang() == "en"]
    if isinstance(v, (int, float)):
        if kind == "currency" or (len(kind) == 3 and kind.isupper()):
            return money(v, kind if kind != "currency" else "CNY")
        if kind in ("ratio", "rate", "percent"):
            return pct(v, 2)
        return _num_text(float(v))
    if isinstance(v, str):
        return enum_label(v)
    if isinstance(v, Mapping) and "value" in v:  # a documented input {value, label, source}
        return value_text(v["value"], kind)
    if isinstance(v, Mapping) and "standard" in v:  # a figure taken from the standards library
        return str(v["standard"])
    if isinstance(v, Mapping):
        return "；".join(f"{k}: {value_text(x, kind)}" for k, x in list(v.items())[:12])
    if isinstance(v, (list, tuple)):
        items = [value_text(x, kind) for x in v[:12]]
        return "、".join(items) + ("…" if len(v) > 12 else "") if lang() != "en" \
            else ", ".join(items) + (", …" if len(v) > 12 else "")
    return str(v)


def frame(df: pd.DataFrame, kinds: Mapping[str, str], headers: Mapping[str, str] | None = None) -> pd.DataFrame:
    """A display copy of ``df``: columns named in ``kinds`` written as text by kind
    (``money``, ``pct``, ``rate``, ``ratio``, ``int``, ``date``, ``enum``, ``bool``), then
    renamed by ``headers`` (already translated); other columns are left out unless listed
    with kind ``text``."""
    out = {}
    for col, kind in kinds.items():
        if col not in df:
            continue
        s = df[col]
        fn = {"money": money, "pct": pct, "rate": rate, "ratio": ratio, "date": date,
              "int": lambda x: number(x, 0), "enum": lambda x: enum_label(x) if isinstance(x, str) else F.MISSING,
              "bool": lambda x: value_text(bool(x)) if x is not None and x == x else F.MISSING,
              "text": lambda x: F.MISSING if x is None or (isinstance(x, float) and math.isnan(x)) else str(x),
              }[kind]
        out[(headers or {}).get(col, col)] = [fn(x) for x in s.tolist()]
    return pd.DataFrame(out)
