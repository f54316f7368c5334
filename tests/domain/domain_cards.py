"""Cards and readers shared by the hand-computed checks of ``tests/domain`` (docs/DOMAIN.md).

Tolerance of those checks: the formulas are exact products, sums and powers of the inputs, so the
engine must agree with the hand arithmetic to float rounding — ``REL = 1e-9`` relative unless a
test says otherwise.
"""
from __future__ import annotations

from valuation import api

__all__ = ["INC", "REL", "VD", "Z80", "_appraise", "_asset", "_card", "_method", "_warning_codes"]

REL = 1e-9          # relative tolerance: float rounding only
VD = "2025-12-31"   # valuation date of every card (a year end: first period f = 1)

# z of a two-sided 80 % band, Φ⁻¹(0.90), from a normal table: 1.2815515655446008
Z80 = 1.2815515655446008


def _asset(**kw) -> dict:
    a = {"asset_id": "HC-1", "name": "手算核对资产", "holder_type": "enterprise",
         "rights": {"type": "processing_use", "exclusivity": "non_exclusive"}, "quality": {"score": 85}}
    a.update(kw)
    return a


def _appraise(card: dict) -> dict:
    return api.appraise(card, trace=False).to_dict()


def _card(purpose: str, **sections) -> dict:
    eng = {"valuation_date": VD, "purpose": purpose}
    eng.update(sections.pop("engagement", {}))
    return {"asset": sections.pop("asset", _asset()), "engagement": eng, **sections}


def _method(d: dict, m: str) -> dict:
    return d["methods"][m]


def _warning_codes(d: dict) -> list[str]:
    return [w.get("code") for w in d["warnings"]]


# pre-tax income discounted at a pre-tax rate (the bases must match, CAS 2023 art. 21(6))
INC = {"income_basis": "pre_tax", "rate_basis": "pre_tax"}
