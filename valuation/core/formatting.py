"""One formatting layer for every number a user reads (dashboard, reports, working papers, text).

Money is shown in 元 or 万元 (10,000 元) with thousands separators and fixed decimals, in the
engagement's currency; percentages, rates, ratios and dates the same way in both languages.
Locale-aware grouping and decimal signs come from Babel (CLDR data), not from hand-written
``f"{x:,.2f}"`` strings scattered over the faces.

Conventions (see ``docs/DOMAIN.md`` for where appraisal reports use them):

* ``unit="yuan"``: ``1,234,567.89 元`` / ``CNY 1,234,567.89``;
* ``unit="wan"``: ``123.46 万元`` / ``CNY 123.46 ten-thousand`` — the unit of Chinese appraisal
  report summaries (评估结论以万元列示);
* a missing or non-finite value is shown as ``—`` (never ``None`` or ``nan``).
"""
from __future__ import annotations

import datetime as _dt
import math
from typing import Any

from babel.numbers import format_decimal

__all__ = ["money", "amount", "percent", "rate", "ratio", "date", "number", "unit_label",
           "CURRENCY_ZH", "MONEY_UNITS", "is_missing"]

MISSING = "—"
MONEY_UNITS = ("yuan", "wan")
WAN = 10_000.0

#: currency names a Chinese reader expects beside an amount
CURRENCY_ZH = {"CNY": "元", "USD": "美元", "EUR": "欧元", "HKD": "港元", "JPY": "日元", "GBP": "英镑"}


def _locale(lang: str) -> str:
    return "en" if str(lang).lower().startswith("en") else "zh_CN"


def is_missing(x: Any) -> bool:
    """True for None, NaN, ±inf and values that are not numbers."""
    if x is None:
        return True
    try:
        return not math.isfinite(float(x))
    except (TypeError, ValueError):
        return True


def number(x: Any, decimals: int = 2, lang: str = "zh") -> str:
    """``x`` with thousands separators and exactly ``decimals`` decimals (half-even per CLDR)."""
    if is_missing(x):
        return MISSING
    pattern = "#,##0" + ("." + "0" * decimals if decimals > 0 else "")
    return format_decimal(float(x), format=pattern, locale=_locale(lang))


def unit_label(currency: str = "CNY", unit: str = "yuan", lang: str = "zh") -> str:
    """The unit written after (zh) or before (en) an amount: ``万元``, ``元``, ``CNY 10k``."""
    _check_unit(unit)
    cur = (currency or "CNY").upper()
    if lang == "en":
        return f"{cur} '0000" if unit == "wan" else cur
    name = CURRENCY_ZH.get(cur, cur)
    if unit == "wan":
        return "万" + name if cur in CURRENCY_ZH else f"万 {cur}"
    return name


def amount(x: Any, unit: str = "yuan", decimals: int = 2, lang: str = "zh") -> str:
    """The number part of a money amount in ``unit`` (yuan or wan), without the currency."""
    _check_unit(unit)
    if is_missing(x):
        return MISSING
    value = float(x) / WAN if unit == "wan" else float(x)
    return number(value, decimals, lang)


def money(x: Any, currency: str = "CNY", unit: str = "yuan", decimals: int = 2,
          lang: str = "zh") -> str:
    """A money amount for reading: ``4,889,179.46 元``, ``488.92 万元``, ``CNY 4,889,179.46``.

    Parameters
    ----------
    x : number or None
        Amount in the currency's base unit (元 for CNY).
    currency : str
        ISO 4217 code of the engagement (``CNY`` default).
    unit : {"yuan", "wan"}
        ``wan`` divides by 10,000 and labels the amount 万元 (report summaries).
    decimals : int
        Fixed number of decimals shown.
    lang : {"zh", "en"}
    """
    text = amount(x, unit, decimals, lang)
    if text == MISSING:
        return MISSING
    label = unit_label(currency, unit, lang)
    if lang == "en":
        if unit == "wan":
            return f"{(currency or 'CNY').upper()} {text} ten-thousand"
        return f"{label} {text}"
    return f"{text} {label}"


def percent(x: Any, decimals: int = 1, lang: str = "zh") -> str:
    """A share or ratio as a percentage: ``0.1234 → 12.3%``."""
    if is_missing(x):
        return MISSING
    return number(float(x) * 100.0, decimals, lang) + "%"


def rate(x: Any, decimals: int = 2, lang: str = "zh") -> str:
    """A discount, growth or profit rate (percent with two decimals by default: ``8.25%``)."""
    return percent(x, decimals, lang)


def ratio(x: Any, decimals: int = 4, lang: str = "zh") -> str:
    """A dimensionless factor (δ, adjustment coefficients, weights as factors)."""
    return number(x, decimals, lang)


def date(d: Any, lang: str = "zh") -> str:
    """A date: ``2024年12月31日`` (zh) or ``2024-12-31`` (en, ISO 8601)."""
    if d is None or (isinstance(d, float) and math.isnan(d)):
        return MISSING
    if isinstance(d, str):
        try:
            d = _dt.date.fromisoformat(d[:10])
        except ValueError:
            return d
    if isinstance(d, _dt.datetime):
        d = d.date()
    if not isinstance(d, _dt.date):
        return str(d)
    if lang == "en":
        return d.isoformat()
    return f"{d.year}年{d.month}月{d.day}日"


def _check_unit(unit: str) -> None:
    if unit not in MONEY_UNITS:
        raise ValueError(f"money unit {unit!r} is not one of {MONEY_UNITS}")
