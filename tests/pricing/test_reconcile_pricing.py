"""Reconciliation (CAS 2023 art. 24): weights by purpose / value type, overrides with a
reason, identity with one weight of 1, explanation naming the largest driver."""
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pricing_standins import STANDINS, card

from valuation.core.errors import ValidationError
from valuation.core.portfolio import Portfolio
from valuation.pricing.config import reconcile_config
from valuation.pricing.reconcile import explain, reconcile_columns
from valuation.pricing.weights import weights

REV = [100.0, 110.0, 120.0, 130.0]
COMPS = [(500.0, 1.0), (700.0, 1.1), (650.0, 0.9)]


def run(cards, **kw):
    pf = Portfolio.from_cards(cards)
    res = {m: f(pf) for m, f in STANDINS.items()}
    cols, ex = reconcile_columns(pf, res, None, methods=STANDINS, **kw)
    fr = pd.DataFrame(cols, index=pf.index)
    return pf, res, fr, ex


@pytest.mark.parametrize("purpose,value_type,expected", [
    ("accounting", "market", "cost"), ("transfer", "market", "market"), ("licensing", "market", "income"),
    ("financing", "market", "income"), ("pledge", "market", "income"), ("impairment_test", "market", "income"),
    ("other", "investment", "income"), ("other", "liquidation", "market"), ("other", "market", "market")])
def test_weights_by_purpose_and_value_type(purpose, value_type, expected):
    _, res, fr, _ = run([card(purpose=purpose, value_type=value_type, revenue=REV, comparables=COMPS)])
    assert fr[f"{expected}_weight"].iloc[0] == 1.0
    assert fr["estimate"].iloc[0] == pytest.approx(res[expected].frame["estimate"].iloc[0], rel=1e-12)


def test_only_applicable_methods_keep_weight_and_fallback_order():
    # accounting prefers cost; without a cost section the fallback order (market, income) applies
    _, _res, fr, _ = run([card("A", purpose="accounting", cost=None, revenue=REV, comparables=COMPS),
                         card("B", purpose="accounting", cost=None, revenue=REV)])
    assert fr.loc["A", "market_weight"] == 1.0 and fr.loc["A", "weights_source"] == "model+fallback"
    assert fr.loc["B", "income_weight"] == 1.0
    assert np.isnan(fr.loc["B", "market_weight"]) and not fr.loc["B", "market_applicable"]
    assert fr.loc["B", "market_reason_en"] == "fewer than 2 comparables"


def test_card_override_needs_a_reason_in_both_languages():
    with pytest.raises(ValidationError) as e:
        run([card(revenue=REV, comparables=COMPS, weights={"cost": 0.5, "market": 0.5})])
    iss = e.value.issues[0]
    assert iss.field == "engagement.weights_reason" and "理由" in iss.message_zh and "reason" in iss.message_en


def test_card_override_renormalises_over_applicable_methods():
    w = {"cost": 0.2, "income": 0.3, "market": 0.5}
    _, res, fr, ex = run([card(cost=1000, revenue=REV, comparables=COMPS, weights=w,
                               reason="三种方法证据质量相当 / evidence of similar quality")],
                         range_method="mixture", explain=True)
    est = {m: res[m].frame["estimate"].iloc[0] for m in w}
    assert fr["estimate"].iloc[0] == pytest.approx(sum(w[m] * est[m] for m in w), rel=1e-12)
    # market not applicable → its 0.5 is dropped and cost/income renormalised to 0.4/0.6
    _, _res2, fr2, _ = run([card(cost=1000, revenue=REV, comparables=COMPS[:1], weights=w, reason="x")],
                          range_method="mixture")
    assert fr2["cost_weight"].iloc[0] == pytest.approx(0.4) and fr2["income_weight"].iloc[0] == pytest.approx(0.6)
    assert "评估人员指定" in ex[fr.index[0]]["reason_zh"]


@settings(max_examples=25, deadline=None)
@given(m=st.sampled_from(["cost", "income", "market"]), cost=st.floats(1, 1e6), rate=st.floats(0.05, 0.3),
       p=st.floats(10, 1e5))
def test_one_weight_of_one_equals_that_method(m, cost, rate, p):
    w = {k: (1.0 if k == m else 0.0) for k in ("cost", "income", "market")}
    _pf, res, fr, _ = run([card(cost=cost, rate=rate, revenue=REV, comparables=[(p, 1.0), (1.3 * p, 1.0)],
                               weights=w, reason="单一方法 / single approach")], range_method="mixture")
    assert fr["estimate"].iloc[0] == res[m].frame["estimate"].iloc[0]          # exact identity
    assert fr[f"{m}_weight"].iloc[0] == 1.0


def test_no_applicable_method_gives_no_number_but_a_reason():
    _, _, fr, _ = run([card(cost=None)])
    assert np.isnan(fr["estimate"].iloc[0]) and np.isnan(fr["low"].iloc[0])
    assert "no applicable approach" in fr["reason_en"].iloc[0]


def test_output_columns_and_range_contains_estimate():
    _, _, fr, _ = run([card("A", revenue=REV, comparables=COMPS), card("B", purpose="licensing", revenue=REV)])
    for c in ("estimate", "low", "high", "coverage", "band_low", "band_high"):
        assert c in fr.columns
    for m in ("cost", "income", "market"):
        for s in ("estimate", "low", "high", "weight", "applicable", "reason_zh", "reason_en"):
            assert f"{m}_{s}" in fr.columns
    assert (fr["low"] <= fr["estimate"]).all() and (fr["estimate"] <= fr["high"]).all()
    assert (fr["coverage"] == 0.8).all() and (fr["range_method"] == "monte_carlo").all()
    assert fr["band_high"].iloc[0] == pytest.approx(fr["estimate"].iloc[0] * 1.1)


def test_explanation_names_the_largest_driver():
    # income value ∝ 1 / (i − g) with i = 8 %, g = 5 %: the terminal growth (sd 1 pp, so its
    # 10/90 % values are 5 % ∓ 1.28 pp) moves i − g from 4.3 to 1.7 pp and dominates
    from pricing_standins import income_value
    _pf, res, fr, ex = run([card("A", purpose="licensing", cost=2000, revenue=[100 * r for r in REV], rate=0.08,
                                growth=0.05, comparables=COMPS)], explain=True)
    e = ex["A"]
    top = e["largest_driver_detail"]
    assert top["parameter"] == "income_terminal_growth"
    assert "永续增长率" in e["largest_driver"] and "terminal growth" in e["largest_driver"]
    assert "永续增长率" in e["reason_zh"] and "terminal growth" in e["reason_en"]
    # swing computed independently from the stand-in formula at g = 5 % ∓ z90 × 1 %
    z = 1.2815515655446004
    vals = []
    for g in (0.05 - z * 0.01, 0.05 + z * 0.01):
        pf2 = Portfolio.from_cards([card("A", revenue=[100 * r for r in REV], rate=0.08, growth=g)])
        vals.append(income_value(pf2)[0])
    concl = fr.loc["A", "estimate"]
    assert top["swing_pct"] == pytest.approx(abs(vals[1] - vals[0]) / concl, rel=1e-9)
    # second: the discount rate (relative sd 10 %)
    assert e["drivers"][1]["parameter"] == "income_discount_rate"
    # the table: one row per approach with its difference from the conclusion in %
    t = {r["method"]: r for r in e["table"]}
    assert t["cost"]["difference_pct"] == pytest.approx(res["cost"].frame.loc["A", "estimate"] / concl - 1)
    assert t["income"]["difference_pct"] == pytest.approx(0.0)
    sw = [d["swing_pct"] for d in e["drivers"]]
    assert sw == sorted(sw, reverse=True)
    assert "CAS2023.art24" in e["references"]


def test_explanation_when_the_largest_driver_is_in_another_method():
    # cost value dominated by δ; make δ's band wide via a stand-in parameter list
    from valuation.pricing.params import Param
    pf = Portfolio.from_cards([card("A", purpose="accounting", cost=1000, revenue=REV)])
    res = {m: f(pf) for m, f in STANDINS.items()}
    ex = explain(pf, res, methods=STANDINS)     # reconciled by the analytic mixture
    assert ex["A"]["largest_driver_detail"]["method"] in ("cost", "income")
    assert ex["A"]["table"][0]["weight"] == 1.0
    assert isinstance(Param, type)


def test_weights_are_vectorised_and_match_rules():
    pf = Portfolio.from_cards([card(f"A{i}", purpose=p, revenue=REV, comparables=COMPS)
                               for i, p in enumerate(["accounting", "transfer", "licensing"])])
    names = ("cost", "income", "market")
    W, _meta = weights(pf, np.ones((3, 3), dtype=bool), reconcile_config(), names)
    assert [names[j] for j in W.argmax(axis=1)] == ["cost", "market", "income"]
    assert np.allclose(W.sum(axis=1), 1.0, rtol=0, atol=1e-12)
