"""Hand-computed checks of the conventions the engine chose where docs/DOMAIN.md is silent
(task rdomain, deliverable 3): each test states the choice, computes its consequence by hand and
pins it, so that a change of convention is a visible decision, not a drift.

Tolerance as in the other files: float rounding (``REL = 1e-9``) or 0.001 元 on amounts worked
out to 4 decimals in the comments.
"""
from __future__ import annotations

import pytest
from domain_cards import INC, REL, _appraise, _card, _method, _warning_codes


def test_mid_year_gordon_tail_discounted_with_the_last_mid_factor():
    # Mid-period convention with a Gordon tail (DOMAIN §3.2 gives the mid option, not the tail's
    # timing). Engine: the tail's flows fall at n + ½, n + 1½, … so TV is discounted with the last
    # period's mid factor v_n = 1.1^−2.5:
    #   explicit: 1,000,000 × (1.1^−0.5 + 1.1^−1.5 + 1.1^−2.5)
    #           = 1,000,000 × (0.9534626 + 0.8667842 + 0.7879856) = 2,608,232.3722
    #   tail:     1,020,000 / (0.10 − 0.02) × 1.1^−2.5 = 12,750,000 × 0.78798561 = 10,046,816.5396
    #   P = 12,655,048.9118
    inc = {"model": "direct", "periods": 3, "timing": "mid", "income": [1_000_000] * 3,
           "discount_rate": 0.10, "terminal_growth": 0.02, **INC}
    r = _method(_appraise(_card("licensing", income=inc)), "income")
    assert r["details"]["pv_terminal"] == pytest.approx(10_046_816.5396, abs=0.001)
    assert r["estimate"] == pytest.approx(12_655_048.9118, abs=0.001)


def test_cut_period_discounted_at_its_full_period_point():
    # A life that ends inside a period (contract 2.5 years, mid-period timing): the engine weights
    # the cut period's flow by the share inside the life (0.5) but keeps the period's own mid
    # point τ = 2.5 (not the middle of the half period actually inside the life, 2.25):
    #   P = 1,000,000 × 1.1^−0.5 + 1,000,000 × 1.1^−1.5 + 0.5 × 1,000,000 × 1.1^−2.5
    #     = 953,462.5892 + 866,784.1720 + 393,992.8055 = 2,214,239.5668
    #   (at τ = 2.25 it would be 2,223,740.1868; under the end convention the same choice discounts a
    #    cut period at its full period end, see test_income_life_cut_by_rights_term_inside_a_period)
    inc = {"model": "direct", "periods": 5, "timing": "mid", "income": [1_000_000] * 5,
           "discount_rate": 0.10, **INC, "life": {"contract_years": 2.5}}
    r = _method(_appraise(_card("licensing", income=inc)), "income")
    assert r["estimate"] == pytest.approx(2_214_239.5668, abs=0.001)


def test_opportunity_cost_defaults_to_zero_with_a_warning():
    # DOMAIN §2.2 suggests r = 1-year LPR or 10-year CGB "as user input"; the engine ships no
    # rate: without cost.opportunity_rate or cost.components.opportunity the opportunity cost is 0
    # and OPPORTUNITY_COST_NOT_MEASURED is raised. C = 1,000,000 + 0 → P = 1,000,000 × 0.9.
    cost = {"components": {"direct": 1_000_000}, "adjustment": {"basis": "given", "value": 0.9}}
    d = _appraise(_card("accounting", cost=cost))
    c = _method(d, "cost")
    assert c["details"]["cost_opportunity"] == 0.0
    assert c["estimate"] == pytest.approx(900_000.0, rel=REL)
    assert "OPPORTUNITY_COST_NOT_MEASURED" in _warning_codes(d)
