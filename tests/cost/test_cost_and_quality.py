"""Cost approach P = C × δ and quality weights against DOMAIN.md fixtures F1, F3, F4 and E1.

Tolerances: weights and ratios 1e-4 (the fixtures print 4 decimals); money 0.005 (2 decimals).
"""
import copy

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from valuation.core.errors import RefusedError, ValidationError
from valuation.core.portfolio import Portfolio
from valuation.methods import cost
from valuation.quality import ahp, ahp_geometric, combine_weights, entropy_weights, fuzzy_evaluation

F3 = np.array([[1, 1 / 2, 1 / 3, 1, 2, 3], [2, 1, 1 / 2, 2, 3, 4], [3, 2, 1, 3, 4, 5],
               [1, 1 / 2, 1 / 3, 1, 2, 3], [1 / 2, 1 / 3, 1 / 4, 1 / 2, 1, 2],
               [1 / 3, 1 / 4, 1 / 5, 1 / 3, 1 / 2, 1]])
F3_SCORES = {"normativeness": 92, "completeness": 88, "accuracy": 85, "consistency": 90,
             "timeliness": 80, "accessibility": 95}
F1_LINES = [("preliminary", 20), ("direct", 60), ("direct", 25), ("direct", 45), ("direct", 30),
            ("direct", 10), ("direct", 12), ("direct", 18), ("indirect", 30)]


def f1_card(basis="combined", rounding="exact"):
    adj = {"basis": basis}
    if basis in ("combined", "life"):
        adj.update(years_used=2, years_remaining=3)
    return {"asset": {"asset_id": "F1", "name": "F1", "quality": {**F3_SCORES, "ahp_matrix": F3.tolist()}},
            "engagement": {"valuation_date": "2025-12-31", "rounding": rounding},
            "cost": {"lines": [{"category": c, "amount": a} for c, a in F1_LINES],
                     "opportunity_rate": 0.05, "adjustment": adj}}


def value(card, **kw):
    return cost.appraise(Portfolio.from_card(card), **kw).frame.iloc[0]


def test_f3_ahp_weights_lambda_ci_cr_and_q():
    r = ahp(F3)
    np.testing.assert_allclose(r.weights, [0.1357, 0.2311, 0.3657, 0.1357, 0.0803, 0.0515], atol=1e-4)
    assert r.lambda_max == pytest.approx(6.0732, abs=1e-4)
    assert r.ci == pytest.approx(0.0146, abs=1e-4)
    assert r.ri == 1.24 and r.cr == pytest.approx(0.0118, abs=1e-4)
    np.testing.assert_allclose(ahp_geometric(F3), [0.1364, 0.2317, 0.3639, 0.1364, 0.0803, 0.0512], atol=1e-4)
    np.testing.assert_allclose(ahp_geometric(F3), r.weights, atol=1e-2)
    assert float(r.weights @ np.array(list(F3_SCORES.values()))) == pytest.approx(87.4357, abs=1e-4)


def test_inconsistent_matrix_refused_unless_overridden():
    m = np.array([[1, 9, 1 / 9], [1 / 9, 1, 9], [9, 1 / 9, 1]])
    with pytest.raises(RefusedError) as ei:
        ahp(m)
    assert "CR" in ei.value.message_zh and "0.10" in ei.value.message_en
    assert ahp(m, override_reason="expert panel accepted").cr > 0.1


def test_non_reciprocal_matrix_refused_with_cell():
    m = F3.copy()
    m[0, 1] = 3.0
    with pytest.raises(RefusedError) as ei:
        ahp(m)
    assert "a[1,2]" in ei.value.message_en and "互反" in ei.value.message_zh


def test_f4_entropy_weights():
    x = np.array([[0.95, 0.90, 0.88], [0.80, 0.97, 0.91], [0.99, 0.85, 0.70], [0.90, 0.92, 0.95]])
    w, e = entropy_weights(x)
    np.testing.assert_allclose(e, [0.7691, 0.7450, 0.7860], atol=1e-4)
    np.testing.assert_allclose(w, [0.3299, 0.3644, 0.3058], atol=1e-4)


def test_combined_and_fuzzy():
    a, b = np.array([0.5, 0.3, 0.2]), np.array([0.2, 0.3, 0.5])
    np.testing.assert_allclose(combine_weights(a, b, alpha=0.5), [0.35, 0.3, 0.35])
    np.testing.assert_allclose(combine_weights(a, b, method="product"), [0.1 / 0.29, 0.09 / 0.29, 0.1 / 0.29])
    bvec, score = fuzzy_evaluation([0.5, 0.5], [[1, 0, 0, 0], [0, 0, 1, 0]])
    assert score == pytest.approx(0.5 * 95 + 0.5 * 70)


def test_f1_cost_approach_exact_and_publication():
    r = value(f1_card())
    assert r["replacement_cost"] == pytest.approx(262.5)
    assert r["quality_score"] == pytest.approx(87.4357, abs=1e-4)
    assert r["estimate"] == pytest.approx(137.71, abs=0.005)
    assert value(f1_card("quality"))["estimate"] == pytest.approx(229.52, abs=0.005)
    assert value(f1_card("combined", "publication"))["estimate"] == pytest.approx(137.72, abs=0.005)
    assert value(f1_card("quality", "publication"))["estimate"] == pytest.approx(229.53, abs=0.005)


def test_e1_published_example():
    card = {"asset": {"asset_id": "E1", "name": "数据平台"}, "engagement": {"valuation_date": "2025-12-31"},
            "cost": {"lines": [{"category": "direct", "subcategory": "采集", "amount": 50},
                               {"category": "direct", "subcategory": "清洗加工", "amount": 30},
                               {"category": "direct", "subcategory": "存储 3 年", "amount": 10 * 3},
                               {"category": "indirect", "subcategory": "管理 3 年", "amount": 15 * 3}],
                     "adjustment": {"basis": "given", "value": 0.70}}}
    r = value(card)
    assert r["replacement_cost"] == pytest.approx(155.0)
    assert r["estimate"] == pytest.approx(108.5, abs=1e-9)


def test_identities_double_costs_and_delta_one():
    base = f1_card()
    doubled = copy.deepcopy(base)
    for ln in doubled["cost"]["lines"]:
        ln["amount"] *= 2
    assert value(doubled)["estimate"] == pytest.approx(2 * value(base)["estimate"], rel=1e-12)
    one = copy.deepcopy(base)
    one["cost"]["adjustment"] = {"basis": "given", "value": 1.0}
    r = value(one)
    assert r["estimate"] == pytest.approx(r["replacement_cost"], rel=1e-12)


def test_price_index_and_allocation():
    card = {"asset": {"asset_id": "X", "name": "X"}, "engagement": {"valuation_date": "2025-12-31"},
            "cost": {"price_index_valuation": 110,
                     "lines": [{"category": "direct", "amount": 100, "price_index": 100},
                               {"category": "indirect", "amount": 200, "allocation_share": 0.25}],
                     "adjustment": {"basis": "given", "value": 0.5}}}
    assert value(card)["estimate"] == pytest.approx((100 * 1.1 + 50) * 0.5)


def test_delta_above_one_needs_override_with_reason():
    card = f1_card()
    card["cost"]["adjustment"] = {"basis": "given", "value": 1.2}
    r = value(card)
    assert not r["applicable"] and "δ > 1" in r["reason_en"]
    card["cost"]["adjustment"].update(override=True, override_reason="scarce licence renewed at premium")
    assert value(card)["estimate"] == pytest.approx(262.5 * 1.2)


def test_literature_model_is_labelled():
    card = f1_card()
    card["cost"]["variant"] = "literature"
    card["cost"]["literature"] = {"return_rate": 0.1, "quality": 0.9, "circulation": 1.0, "scarcity": 0.2, "risk": 0.1}
    res = cost.appraise(Portfolio.from_card(card), trace=True)
    r = res.frame.iloc[0]
    assert r["model"] == "literature"
    assert r["estimate"] == pytest.approx(262.5 * 1.1 * 0.9 * 1.0 * 1.2 * 0.9)
    assert any(w["code"] == "LITERATURE_MODEL" for w in res.warnings["F1"])


def test_bad_inputs_are_refused_with_field_and_value():
    card = f1_card()
    card["cost"]["lines"][0]["amount"] = -5
    with pytest.raises(ValidationError) as ei:
        Portfolio.from_card(card)
    assert any(i.field == "cost.lines[0].amount" and i.value == -5 for i in ei.value.issues)
    card = f1_card()
    card["asset"]["quality"]["accuracy"] = 120
    with pytest.raises(ValidationError) as ei:
        Portfolio.from_card(card)
    assert any(i.field == "asset.quality.accuracy" and "<= 100" in i.allowed for i in ei.value.issues)
    card = f1_card()
    card["asset"]["quality"]["weights"] = [0.2, 0.2, 0.2, 0.2, 0.2, 0.2]
    with pytest.raises(ValidationError) as ei:
        Portfolio.from_card(card)
    assert any(i.field == "asset.quality.weights" for i in ei.value.issues)
    card = f1_card()
    m = F3.copy()
    m[2, 0] = 2.0
    card["asset"]["quality"]["ahp_matrix"] = m.tolist()
    with pytest.raises(RefusedError):
        cost.appraise(Portfolio.from_card(card))


def test_not_applicable_reasons():
    card = {"asset": {"asset_id": "N", "name": "N"}, "engagement": {"valuation_date": "2025-12-31"},
            "cost": {"components": {"direct": 100}, "adjustment": {"basis": "quality"}}}
    r = value(card)
    assert not r["applicable"] and "质量" in r["reason_zh"] and "quality" in r["reason_en"]


def test_trace_cites_clauses():
    res = cost.appraise(Portfolio.from_card(f1_card()), trace=True)
    steps = res.traces["F1"]
    assert [s["step"] for s in steps][-1] == "value"
    assert all(s["clauses"] for s in steps)
    assert "CAS2023.art22" in steps[0]["clauses"]


@settings(max_examples=1, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_vectorised_equals_one_at_a_time_on_1000_random_assets(seed):
    rng = np.random.default_rng(seed)
    cards = []
    for i in range(1000):
        basis = rng.choice(["quality", "life", "combined", "given"])
        adj = {"basis": str(basis)}
        if basis in ("life", "combined"):
            adj.update(years_used=float(rng.uniform(0, 5)), years_remaining=float(rng.uniform(0.5, 8)))
        if basis == "given":
            adj["value"] = float(rng.uniform(0.1, 1))
        cards.append({"asset": {"asset_id": f"R{i}", "name": "r",
                                "quality": {d: float(rng.uniform(50, 100)) for d in F3_SCORES}},
                      "engagement": {"valuation_date": "2025-12-31"},
                      "cost": {"components": {k: float(rng.uniform(0, 1e6)) for k in
                                              ("preliminary", "direct", "indirect", "taxes")},
                               "opportunity_rate": float(rng.uniform(0, 0.1)),
                               "profit_rate": float(rng.uniform(0, 0.2)), "adjustment": adj}})
    whole = cost.appraise(Portfolio.from_cards(cards)).frame["estimate"]
    for c in cards:
        one = cost.appraise(Portfolio.from_card(c)).frame["estimate"].iloc[0]
        assert whole.loc[c["asset"]["asset_id"]] == pytest.approx(one, rel=1e-12)
