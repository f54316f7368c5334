"""Cost approach P = C × δ against docs/DOMAIN.md fixtures F1 (with F3 quality), E1 and hand checks.

Tolerances: money to half a unit of the printed 2 decimals (0.005); Q 1e-4; identities 1e-12.
"""
import copy

import numpy as np
import pytest
from cost_cards import e1_card, f1_card

from valuation.core.portfolio import Portfolio
from valuation.methods import cost


def row(card, params=None, **kw):
    return cost.appraise(Portfolio.from_card(card), params, **kw).frame.iloc[0]


def test_f1_exact():
    r = row(f1_card())
    assert r["cost_preliminary"] == 20 and r["cost_direct"] == 200 and r["cost_indirect"] == 30
    assert r["cost_opportunity"] == pytest.approx(12.5) and r["cost_taxes"] == 0
    assert r["replacement_cost"] == pytest.approx(262.5, abs=1e-12)
    assert r["quality_score"] == pytest.approx(87.4357, abs=1e-4)
    assert r["delta_quality"] == pytest.approx(0.874357, abs=1e-6)
    assert r["delta_life"] == pytest.approx(0.6, abs=1e-15)
    assert r["estimate"] == pytest.approx(137.71, abs=0.005)
    assert r["estimate"] == pytest.approx(262.5 * 0.8743567650064493 * 0.6, rel=1e-12)
    q = row(f1_card("quality"))
    assert q["estimate"] == pytest.approx(229.52, abs=0.005)


def test_f1_publication_rounds_q_to_two_decimals_before_use():
    r = row(f1_card("combined", "publication"))
    assert r["quality_score"] == 87.44
    assert r["estimate"] == pytest.approx(262.5 * 0.8744 * 0.6, rel=1e-12)
    assert r["estimate"] == pytest.approx(137.72, abs=0.005)
    assert row(f1_card("quality", "publication"))["estimate"] == pytest.approx(229.53, abs=0.005)


def test_e1_published_example():
    r = row(e1_card())
    assert r["replacement_cost"] == pytest.approx(155.0, abs=1e-12)
    assert r["estimate"] == pytest.approx(108.5, abs=1e-9)
    assert r["delta"] == 0.7 and r["model"] == "cas"


def test_components_price_index_allocation_profit_and_taxes_by_hand():
    card = {"asset": {"asset_id": "X", "name": "X"}, "engagement": {"valuation_date": "2025-12-31"},
            "cost": {"price_index_valuation": 110, "profit_rate": 0.10, "opportunity_rate": 0.04,
                     "components": {"preliminary": 10, "taxes": 6},
                     "lines": [{"category": "direct", "amount": 100, "price_index": 100},
                               {"category": "indirect", "amount": 200, "allocation_share": 0.25},
                               {"category": "taxes", "amount": 4}],
                     "adjustment": {"basis": "given", "value": 0.5}}}
    res = cost.appraise(Portfolio.from_card(card))
    r = res.frame.iloc[0]
    # direct 100 × 110/100 = 110; indirect 200 × 0.25 = 50; OC = 4 % × (10 + 110 + 50) = 6.8
    assert (r["cost_direct"], r["cost_indirect"], r["cost_taxes"]) == pytest.approx((110, 50, 10))
    assert r["cost_opportunity"] == pytest.approx(6.8)
    c = (10 + 110 + 50 + 6.8) * 1.10 + 10   # profit on the pre-tax cost; taxes (6 + 4) added after
    assert r["replacement_cost"] == pytest.approx(c, rel=1e-12)
    assert r["estimate"] == pytest.approx(0.5 * c, rel=1e-12)
    # taxes given as total and as a line → summed, with a double-counting warning
    assert any(w["code"] == "COST_DOUBLE_COUNT_RISK" for w in res.warnings["X"])


def test_given_opportunity_cost_is_not_recomputed_and_missing_rate_is_noted():
    card = f1_card("given")
    card["cost"]["adjustment"]["value"] = 1.0
    card["cost"]["lines"].append({"category": "opportunity", "amount": 7})
    assert row(card)["replacement_cost"] == pytest.approx(257.0)
    del card["cost"]["opportunity_rate"]
    card["cost"]["lines"].pop()
    res = cost.appraise(Portfolio.from_card(card), trace=True)
    assert res.frame.iloc[0]["replacement_cost"] == pytest.approx(250.0)
    assert any(w["code"] == "OPPORTUNITY_COST_NOT_MEASURED" for w in res.warnings["F1"])
    opp = next(s for s in res.traces["F1"] if s["step"] == "cost_opportunity")
    assert "ENG.default" in opp["clauses"] and opp["note_en"]


def test_expert_and_benchmark_bases_and_param_fallbacks():
    card = f1_card("expert")
    card["cost"]["adjustment"].update(functional_obsolescence=0.1, economic_obsolescence=0.15)
    assert row(card)["estimate"] == pytest.approx(262.5 * 0.75, rel=1e-12)
    card = f1_card("quality")
    card["asset"]["quality"] = {"score": 72.0}
    card["cost"]["adjustment"]["quality_benchmark"] = 80
    r = row(card)
    assert r["delta"] == pytest.approx(0.9) and r["quality_basis"] == "given"
    # the model's profit_rate is a fallback when the card has none
    assert row(card, {"profit_rate": 0.1})["replacement_cost"] == pytest.approx(262.5 * 1.1)
    card["cost"]["profit_rate"] = 0.0
    assert row(card, {"profit_rate": 0.1})["replacement_cost"] == pytest.approx(262.5)


def test_delta_above_one_needs_override_and_reason():
    card = f1_card("given")
    card["cost"]["adjustment"]["value"] = 1.2
    r = row(card)
    assert not r["applicable"] and np.isnan(r["estimate"])
    assert "δ = 1.2000 > 1" in r["reason_en"] and "override" in r["reason_en"] and "δ = 1.2000" in r["reason_zh"]
    card["cost"]["adjustment"]["override"] = True
    r = row(card)
    assert not r["applicable"] and "without a reason" in r["reason_en"]
    card["cost"]["adjustment"]["override_reason"] = "稀缺许可续期溢价 / scarce licence renewed at a premium"
    res = cost.appraise(Portfolio.from_card(card), trace=True)
    r = res.frame.iloc[0]
    assert r["applicable"] and r["estimate"] == pytest.approx(262.5 * 1.2)
    assert any(w["code"] == "DELTA_OVER_1" and "scarce" in w["message_en"] for w in res.warnings["F1"])
    assert r["high"] >= r["estimate"] >= r["low"]


def test_not_applicable_reasons():
    base = {"asset": {"asset_id": "N", "name": "N"}, "engagement": {"valuation_date": "2025-12-31"}}
    r = row({**base, "cost": {"components": {"direct": 100}, "adjustment": {"basis": "quality"}}})
    assert not r["applicable"] and "质量" in r["reason_zh"] and "quality" in r["reason_en"]
    r = row({**base, "cost": {"adjustment": {"basis": "given", "value": 0.5}}})
    assert not r["applicable"] and "no cost" in r["reason_en"] and "重置成本" in r["reason_zh"]
    r = row({**base, "income": {"model": "direct", "periods": 1, "income": [1], "discount_rate": 0.1}})
    assert not r["applicable"] and "no cost section" in r["reason_en"]
    r = row({**base, "cost": {"components": {"direct": 100}, "adjustment": {"basis": "life", "years_used": 2}}})
    assert not r["applicable"] and "remaining" in r["reason_en"]
    r = row({**base, "cost": {"components": {"direct": 100}, "adjustment": {"basis": "given"}}})
    assert not r["applicable"] and "no δ value" in r["reason_en"]
    r = row({**base, "cost": {"components": {"direct": 100}, "adjustment": {"basis": "expert",
            "functional_obsolescence": 0.6, "economic_obsolescence": 0.5}}})
    assert not r["applicable"] and "≤ 0" in r["reason_en"]


def test_inconsistent_ahp_makes_quality_basis_not_applicable_with_cr():
    card = f1_card("quality")
    card["asset"]["quality"]["ahp_matrix"] = [[1, 9, 1 / 9, 1, 1, 1], [1 / 9, 1, 9, 1, 1, 1], [9, 1 / 9, 1, 1, 1, 1],
                                             [1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 1, 1]]
    r = row(card)
    assert not r["applicable"] and "CR = " in r["reason_en"] and "0.10" in r["reason_en"]
    life = copy.deepcopy(card)
    life["cost"]["adjustment"] = {"basis": "life", "years_used": 2, "years_remaining": 3}
    assert row(life)["estimate"] == pytest.approx(262.5 * 0.6)     # quality not needed: no refusal


def test_income_generating_asset_gets_the_weak_correlation_warning():
    card = f1_card()
    card["income"] = {"model": "direct", "periods": 2, "income": [10, 10], "discount_rate": 0.1}
    res = cost.appraise(Portfolio.from_card(card))
    assert any(w["code"] == "COST_VALUE_CORRELATION" for w in res.warnings["F1"])
    plain = cost.appraise(Portfolio.from_card(f1_card())).warnings.get("F1", [])
    assert "COST_VALUE_CORRELATION" not in [w["code"] for w in plain]


def test_life_beyond_rights_term_is_warned():
    card = f1_card("life")
    card["asset"]["rights"] = {"type": "holding", "term_end": "2027-12-31"}
    res = cost.appraise(Portfolio.from_card(card))
    assert any(w["code"] == "LIFE_EXCEEDS_RIGHTS_TERM" for w in res.warnings["F1"])


def test_literature_model_is_labelled_and_computed():
    card = f1_card()
    card["cost"]["variant"] = "literature"
    card["cost"]["literature"] = {"return_rate": 0.1, "quality": 0.9, "circulation": 1.0, "scarcity": 0.2, "risk": 0.1}
    res = cost.appraise(Portfolio.from_card(card), trace=True)
    r = res.frame.iloc[0]
    assert r["model"] == "literature" and np.isnan(r["delta"])
    assert r["estimate"] == pytest.approx(262.5 * 1.1 * (0.9 * 1.0 * 1.2 * 0.9), rel=1e-12)
    assert r["utility"] == pytest.approx(0.9 * 1.2 * 0.9)
    assert any(w["code"] == "LITERATURE_MODEL" and "NOT" in w["message_en"] for w in res.warnings["F1"])
    steps = res.traces["F1"]
    assert steps[-1]["step"] == "value" and "NOT the CAS model" in steps[-1]["label_en"]
    assert all("LIT.cost_tc" in s["clauses"] for s in steps if s["step"] in ("total_cost", "utility", "value"))
    # α defaults to δ_q = Q/100 when not given
    del card["cost"]["literature"]["quality"]
    assert row(card)["estimate"] == pytest.approx(262.5 * 1.1 * 0.8743567650064493 * 1.2 * 0.9, rel=1e-12)


def test_band_from_delta_bounds():
    r = row(f1_card())
    z = 1.2815515655446004
    d = 0.8743567650064493 * 0.6
    assert r["delta_low"] == pytest.approx(d * (1 - z * 0.10), rel=1e-12)
    assert r["low"] == pytest.approx(262.5 * d * (1 - z * 0.10), rel=1e-12)
    assert r["high"] == pytest.approx(262.5 * d * (1 + z * 0.10), rel=1e-12)
    one = f1_card("given")
    one["cost"]["adjustment"]["value"] = 0.95
    r = row(one)
    assert r["delta_high"] == 1.0 and r["high"] == pytest.approx(262.5)   # capped at δ = 1


def test_trace_steps_formulas_and_clauses():
    res = cost.appraise(Portfolio.from_card(f1_card()), trace=True)
    steps = res.traces["F1"]
    ids = [s["step"] for s in steps]
    for needed in ("cost_lines", "cost_opportunity", "replacement_cost", "quality_weights", "quality_score",
                   "delta_quality", "delta_life", "delta", "value", "range"):
        assert needed in ids, needed
    by = {s["step"]: s for s in steps}
    assert by["replacement_cost"]["value"] == pytest.approx(262.5)
    assert {"CAS2023.art22", "CAS2023.annex.cost", "CAS2023.art16"} <= set(by["replacement_cost"]["clauses"])
    assert {"GBT36344", "CAS2023.art17"} <= set(by["quality_score"]["clauses"])
    assert by["quality_weights"]["inputs"]["CR"] == pytest.approx(0.0118, abs=1e-4)
    assert by["value"]["formula"] == "P = C × δ" and by["value"]["value"] == pytest.approx(137.71, abs=0.005)
    assert all(s["clauses"] and s["formula"] for s in steps)
    assert cost.appraise(Portfolio.from_card(f1_card())).traces == {}
