"""Cross-field checks the schema table cannot express field by field (issue 18, "silently
accepted"): a currency that is no ISO 4217 code, a rights term that ends before it starts.

Each check appends :class:`~valuation.core.errors.Issue` s naming the field, the value and
what is allowed (Chinese and English) to the validation's list, so a card with either is
refused with every other problem it has (:func:`valuation.core.validate.check_document`).
"""
from __future__ import annotations

from functools import cache
from typing import Any

from .errors import Issue

__all__ = ["currency_issues", "rights_term_issues", "known_currencies"]


@cache
def known_currencies() -> frozenset[str]:
    """ISO 4217 codes known to the CLDR data Babel ships (current and historical; the test and
    no-currency codes XTS and XXX excluded)."""
    from babel.numbers import list_currencies

    return frozenset(c for c in list_currencies() if c not in ("XTS", "XXX"))


def currency_issues(doc: dict[str, Any], path: str) -> list[Issue]:
    """An issue when the currency at ``path`` (``engagement.currency``, ``product.currency``)
    is given but is no ISO 4217 code (``XYZ`` matched the ``[A-Z]{3}`` pattern and was taken
    as a currency, its amounts summed with yuan)."""
    sec, _, key = path.partition(".")
    v = (doc.get(sec) or {}).get(key) if isinstance(doc.get(sec), dict) else None
    if v is None or not isinstance(v, str) or v in known_currencies():
        return []
    return [Issue(field=path, value=v, allowed="an ISO 4217 currency code (CNY, USD, EUR, HKD …)",
                  message_zh=f"字段 {path}（币种）的值 {v!r} 不是 ISO 4217 币种代码；允许：CNY、USD、EUR、HKD 等",
                  message_en=f"field {path} (currency): {v!r} is not an ISO 4217 currency code; "
                             "allowed: CNY, USD, EUR, HKD …")]


def rights_term_issues(card: dict[str, Any]) -> list[Issue]:
    """An issue when ``asset.rights.term_end`` is before ``term_start`` (both ISO dates after
    validation): no income period fits in such a term (CAS 2023 art. 21: the income period may
    not exceed the remaining rights term)."""
    rights = (card.get("asset") or {}).get("rights") if isinstance(card.get("asset"), dict) else None
    if not isinstance(rights, dict):
        return []
    start, end = rights.get("term_start"), rights.get("term_end")
    if not (isinstance(start, str) and isinstance(end, str)) or start <= end:
        return []
    return [Issue(field="asset.rights.term_end", value=end, allowed=f"a date on or after {start}",
                  message_zh=f"字段 asset.rights.term_end（权利终止日）{end} 早于权利起始日 {start}；"
                             f"允许：不早于 {start} 的日期",
                  message_en=f"field asset.rights.term_end (rights term end) {end} is before the "
                             f"term start {start}; allowed: a date on or after {start}")]
