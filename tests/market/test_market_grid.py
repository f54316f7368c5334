"""Adjustment grid of the market approach: fixture F2 (docs/DOMAIN.md §8.2), identities, guardrails."""
import numpy as np
import pytest
from scipy import stats

from valuation.core.portfolio import Portfolio
from valuation.methods.market import appraise


def card(comparables, *, records=5_000_000, quality=86, date_index=104, weighting=None, **market):
    m = {"date_index": date_index, "comparables": comparables, **market}
    if weighting:
        m["weighting"] = weighting
    return {"asset": {"asset_id": "F2", "name": "F2 fixture", "records": records, "quality": {"score": quality},
                      "rights": {"type": "product_operation", "exclusivity": "non_exclusive"}},
            "engagement": {"valuation_date": "2025-12-31"}, "market": m}


F2 = [
    {"case_id": "A", "price": 120, "quality": 80, "date_index": 100, "records": 4_000_000,
     "exclusivity": "exclusive", "x2": 1.00, "x5": 0.90},
    {"case_id": "B", "price": 150, "quality": 90, "date_index": 102, "records": 6_000_000, "x2": 0.95},
    {"case_id": "C", "price": 100, "quality": 85, "date_index": 103, "records": 4_500_000, "x2": 1.05},
]


def _codes(res, aid="F2"):
    return [w["code"] for w in res.warnings.get(aid, [])]


def test_f2_adjusted_prices_mean_and_spread():
    res = appraise(Portfolio.from_card(card(F2)), trace=True)
    steps = {s["step"]: s for s in res.traces["F2"]}
    p = [steps[f"comparable_{c}"]["value"] for c in "ABC"]
    assert p == pytest.approx([150.93, 115.70, 119.19], abs=0.005)
    row = res.frame.loc["F2"]
    assert row["estimate"] == pytest.approx(128.60, abs=0.005)
    assert row["spread"] == pytest.approx(1.3045, abs=5e-5)
    assert row["n_comparables"] == 3 and bool(row["applicable"])
    # coefficient by coefficient (independent hand numbers of docs/DOMAIN.md F2)
    a = steps["comparable_A"]["inputs"]
    assert (a["X1"], a["X3"], a["X4"], a["X5"]) == pytest.approx((1.075, 1.04, 1.25, 0.90), abs=1e-9)
    b = steps["comparable_B"]["inputs"]
    assert b["product"] == pytest.approx(0.7713, abs=5e-5)
    assert steps["comparable_C"]["inputs"]["product"] == pytest.approx(1.1919, abs=5e-5)
    assert "MARKET_SPREAD" in _codes(res)
    assert "CAS2023.art23" in steps["market_value"]["clauses"]


@pytest.mark.parametrize("limit", [1.20, 1.30])
def test_f2_spread_warning_at_default_and_looser_setting(limit):
    res = appraise(Portfolio.from_card(card(F2)), {"spread_max": limit})
    w = [w for w in res.warnings["F2"] if w["code"] == "MARKET_SPREAD"]
    assert len(w) == 1
    assert "1.3045" in w[0]["message_zh"] and "1.3045" in w[0]["message_en"]
    assert f"{limit:.2f}" in w[0]["message_en"]
    assert "MARKET_SPREAD" not in _codes(appraise(Portfolio.from_card(card(F2)), {"spread_max": 1.31}))


def test_f2_exclusivity_table_gives_the_same_x5_without_override():
    comps = [dict(c) for c in F2]
    comps[0].pop("x5")
    res = appraise(Portfolio.from_card(card(comps)))
    assert res.frame.loc["F2", "estimate"] == pytest.approx(128.60, abs=0.005)


def test_f2_range_from_comparable_dispersion():
    res = appraise(Portfolio.from_card(card(F2)))
    r = res.frame.loc["F2"]
    p = np.array([150.93, 115.697222, 119.185185])
    s = np.std(np.log(p), ddof=1)
    half = stats.t.ppf(0.9, 2) * s * np.sqrt(1 + 1 / 3)
    assert r["range_basis"] == "comparable_dispersion"
    assert r["low"] == pytest.approx(r["estimate"] * np.exp(-half), rel=1e-4)
    assert r["high"] == pytest.approx(r["estimate"] * np.exp(half), rel=1e-4)


def test_inverse_adjustment_weighting_by_hand():
    res = appraise(Portfolio.from_card(card(F2, weighting="inverse_adjustment")), trace=True)
    x = {"A": [86 / 80, 1.0, 1.04, 1.25, 0.9], "B": [86 / 90, 0.95, 104 / 102, 5 / 6, 1.0],
         "C": [86 / 85, 1.05, 104 / 103, 5 / 4.5, 1.0]}
    price = {"A": 120, "B": 150, "C": 100}
    tot = {k: sum(abs(np.log(v)) for v in xs) for k, xs in x.items()}
    w = {k: (1 / t) / sum(1 / u for u in tot.values()) for k, t in tot.items()}
    want = sum(w[k] * price[k] * np.prod(x[k]) for k in x)
    assert res.frame.loc["F2", "estimate"] == pytest.approx(want, rel=1e-12)
    assert res.frame.loc["F2", "weighting"] == "inverse_adjustment"


def test_identical_comparables_return_their_price():
    same = [{"case_id": c, "price": 250.0, "quality": 86, "date_index": 104, "records": 5_000_000,
             "exclusivity": "non_exclusive", "price_mode": "one_off"} for c in "XYZ"]
    r = appraise(Portfolio.from_card(card(same))).frame.loc["F2"]
    assert r["estimate"] == pytest.approx(250.0, rel=1e-12)
    assert r["low"] == pytest.approx(250.0) and r["high"] == pytest.approx(250.0)
    assert r["spread"] == pytest.approx(1.0)


def test_fewer_than_two_comparables_not_applicable_with_reason():
    res = appraise(Portfolio.from_card(card(F2[:1])))
    r = res.frame.loc["F2"]
    assert not r["applicable"] and np.isnan(r["estimate"])
    assert "1" in r["reason_zh"] and "2" in r["reason_zh"]
    assert "fewer than 2" in r["reason_en"]


def test_two_comparables_warn():
    res = appraise(Portfolio.from_card(card(F2[:2])))
    assert bool(res.frame.loc["F2", "applicable"])
    w = [w for w in res.warnings["F2"] if w["code"] == "MARKET_FEW_COMPARABLES"]
    assert w and "2" in w[0]["message_zh"] and "3" in w[0]["message_en"]


def test_other_price_mode_or_rights_never_mixed_in():
    comps = [dict(c) for c in F2] + [
        {"case_id": "SUB", "price": 9e6, "price_mode": "subscription_year"},
        {"case_id": "HOLD", "price": 9e6, "rights_type": "holding"}]
    res = appraise(Portfolio.from_card(card(comps)), trace=True)
    assert res.frame.loc["F2", "estimate"] == pytest.approx(128.60, abs=0.005)
    assert res.frame.loc["F2", "n_comparables"] == 3
    w = [w for w in res.warnings["F2"] if w["code"] == "MARKET_COMPARABLES_EXCLUDED"]
    assert w and "SUB" in w[0]["message_en"] and "HOLD" in w[0]["message_en"]


def test_band_warnings_name_case_coefficient_and_numbers():
    comps = [{"case_id": "BIG", "price": 100, "records": 2_000_000}, {"case_id": "OK1", "price": 100},
             {"case_id": "OK2", "price": 100}]
    res = appraise(Portfolio.from_card(card(comps)))
    ws = res.warnings["F2"]
    band = [w for w in ws if w["code"] == "MARKET_COEFFICIENT_BAND"]
    assert band and "BIG" in band[0]["message_zh"] and "X4" in band[0]["message_en"] and "2.5000" in band[0]["message_en"]
    prod = [w for w in ws if w["code"] == "MARKET_PRODUCT_BAND"]
    assert prod and "2.5000" in prod[0]["message_zh"]


@pytest.mark.parametrize("mode", ["free", "negotiated"])
def test_free_and_negotiated_have_no_market_price(mode):
    res = appraise(Portfolio.from_card(card(F2, price_mode=mode)))
    r = res.frame.loc["F2"]
    assert not r["applicable"] and ("免费" in r["reason_zh"] or "面议" in r["reason_zh"])


def test_no_comparables_and_no_library():
    c = card([])
    c["market"].pop("comparables")
    r = appraise(Portfolio.from_card(c)).frame.loc["F2"]
    assert not r["applicable"] and "use_library" in r["reason_en"]


def test_bad_parameter_is_refused_naming_it():
    from valuation.core.errors import RefusedError

    with pytest.raises(RefusedError) as e:
        appraise(Portfolio.from_card(card(F2)), {"weighting": "median"})
    assert e.value.field == "weighting" and "inverse_adjustment" in e.value.message_en
