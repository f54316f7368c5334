"""发改价格〔2025〕65号: maximum allowed revenue, caps, free public uses, carry-over."""
import copy
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from valuation.core.errors import ValidationError
from valuation.pricing.public_data import next_period_mar, price

ROOT = Path(__file__).resolve().parents[2]
TOL = 1e-9


def f7(**period) -> dict:
    p = {"allowed_cost": 800, "profit_base": 2000, "cgb10y": 0.017, "taxes": 30}
    p.update(period)
    return {"product": {"product_id": "F7", "name": "F7 假设产品", "period": p,
                        "items": [{"item_id": "api", "use_category": "industry", "unit": "per_call",
                                   "expected_volume": 100}]}}


def test_f7_maximum_allowed_revenue():
    # docs/DOMAIN.md F7: 800 + 2000 × min(—, 1.7 % + 6 %) = 800 + 154 + 30 = 984 (万元)
    r = price(f7())
    assert r["rate_used"] == pytest.approx(0.077, abs=TOL)
    assert r["allowed_profit"] == pytest.approx(154.0, abs=1e-9)
    assert r["mar"] == pytest.approx(984.0, abs=1e-9)
    # one paid item takes the whole MAR: cap = 984 × 1 / 100
    assert r["items"][0]["cap"] == pytest.approx(9.84, abs=1e-12)
    assert r["flags"] == [] and r["ok"]


def test_user_rate_below_cap_is_used_and_above_is_capped():
    assert price(f7(profit_rate=0.05))["allowed_profit"] == pytest.approx(100.0)      # 2000 × 5 %
    assert price(f7(profit_rate=0.12))["rate_used"] == pytest.approx(0.077)           # capped


def test_subsidies_and_previous_excess_are_deducted():
    # (800 − 100) + 154 + 30 − 50 = 834
    r = price(f7(subsidies=100, previous_excess=50))
    assert r["mar"] == pytest.approx(834.0)
    assert next_period_mar(984.0, 16.0) == pytest.approx(968.0)


def test_carry_over_of_excess_revenue():
    r = price(f7(actual_revenue=1000))
    assert r["excess"] == pytest.approx(16.0) and r["carryover_next"] == pytest.approx(16.0)
    assert any(f["code"] == "REVENUE_ABOVE_MAR" for f in r["flags"])
    # feeding the excess into the next period deducts it
    assert price(f7(previous_excess=r["carryover_next"]))["mar"] == pytest.approx(968.0)
    assert price(f7(actual_revenue=900))["excess"] == 0.0


def test_cap_above_what_mar_allows_is_flagged_with_numbers():
    doc = f7()
    doc["product"]["items"][0]["cap"] = 10.0          # 10 × 100 = 1000 > 984
    r = price(doc)
    br = [f for f in r["flags"] if f["code"] == "CAP_BREACH"]
    assert len(br) == 1 and br[0]["severity"] == "blocker"
    assert br[0]["value"] == pytest.approx(1000.0) and br[0]["limit"] == pytest.approx(984.0)
    assert "1,000.00" in br[0]["message_zh"] and "984.00" in br[0]["message_en"]
    assert "NDRC2025-65.caps" in br[0]["references"]
    assert not r["ok"]
    doc["product"]["items"][0]["cap"] = 9.84          # exactly at MAR: fine
    assert not [f for f in price(doc)["flags"] if f["code"] == "CAP_BREACH"]


def test_price_above_cap_is_flagged():
    doc = f7()
    doc["product"]["items"][0]["price"] = 9.85
    r = price(doc)
    assert r["items"][0]["ok"] is False
    assert [f["item_id"] for f in r["flags"] if f["code"] == "CAP_BREACH"] == ["api"]


def test_cost_shares_split_the_mar():
    doc = f7()
    doc["product"]["items"] = [
        {"item_id": "a", "use_category": "industry", "unit": "per_call", "expected_volume": 1000, "cost_share": 0.25},
        {"item_id": "b", "use_category": "sector", "unit": "per_period", "expected_volume": 10},
        {"item_id": "c", "use_category": "sector", "unit": "per_period", "expected_volume": 5}]
    r = price(doc)
    caps = {i["item_id"]: i["cap"] for i in r["items"]}
    assert caps["a"] == pytest.approx(984 * 0.25 / 1000)
    assert caps["b"] == pytest.approx(984 * 0.375 / 10)     # remaining 75 % split equally
    assert caps["c"] == pytest.approx(984 * 0.375 / 5)
    assert r["revenue_at_caps"] == pytest.approx(984.0)


uses = st.sampled_from(["public_governance", "public_welfare", "industry", "sector"])
item = st.fixed_dictionaries({
    "use_category": uses, "unit": st.sampled_from(["per_call", "per_period", "per_product", "per_volume"]),
    "expected_volume": st.floats(0, 1e6, allow_nan=False),
    "price": st.one_of(st.none(), st.floats(0, 1e4, allow_nan=False)),
    "cap": st.one_of(st.none(), st.floats(0, 1e4, allow_nan=False))})


@settings(max_examples=60, deadline=None)
@given(items=st.lists(item, min_size=1, max_size=6), cost=st.floats(0, 1e7), base=st.floats(0, 1e7),
       cgb=st.floats(0, 0.1))
def test_public_governance_and_welfare_are_always_priced_zero(items, cost, base, cgb):
    doc = {"product": {"product_id": "P", "name": "P",
                       "period": {"allowed_cost": cost, "profit_base": base, "cgb10y": cgb},
                       "items": [{"item_id": f"i{k}", **{k2: v for k2, v in it.items() if v is not None}}
                                 for k, it in enumerate(items)]}}
    r = price(doc)
    for it_in, it in zip(items, r["items"]):
        if it_in["use_category"] in ("public_governance", "public_welfare"):
            assert it["free"] and it["price"] == 0.0 and it["cap"] == 0.0 and it["revenue_at_price"] == 0.0
            charged = (it_in["price"] or 0) > 0
            flagged = any(f["code"] == "PUBLIC_FREE_CHARGED" and f["item_id"] == it["item_id"] for f in r["flags"])
            assert charged == flagged
    # MAR never negative; the rate never above CGB + 6 pp
    assert r["mar"] >= 0 and r["rate_used"] <= cgb + 0.06 + 1e-12


def test_bad_product_lists_every_problem_bilingually():
    doc = copy.deepcopy(f7())
    doc["product"]["items"][0]["use_category"] = "tourism"
    doc["product"]["period"]["cgb10y"] = 2
    doc["product"]["colour"] = "red"
    with pytest.raises(ValidationError) as e:
        price(doc)
    fields = {i.field for i in e.value.issues}
    assert {"product.items[0].use_category", "product.period.cgb10y", "product.colour"} <= fields
    assert all(i.message_zh and i.message_en for i in e.value.issues)
    with pytest.raises(ValidationError):
        price({"product": {"product_id": "x", "name": "x", "items": []}})   # no period


def test_example_product_file():
    r = price(json.loads((ROOT / "examples" / "product_public_data.json").read_text(encoding="utf-8")))
    assert r["mar"] == pytest.approx(9_840_000.0)
    assert r["items"][2]["free"] and r["items"][2]["price"] == 0.0
