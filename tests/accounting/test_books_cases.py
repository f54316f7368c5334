"""Hand-computed cases of the books (财会〔2023〕11号; CAS 6, CAS 1, CAS 8).

The pure module is fed a card's portfolio and chosen income (value in use) and market (fair
value) estimates, so each figure below is checked against arithmetic done by hand in the
comments. Tolerance: 0.01 元 absolute (amounts are exact sums/products of the inputs; the
only rounding is float arithmetic).
"""
from __future__ import annotations

import copy
import json
from pathlib import Path

import numpy as np
import pytest
import yaml

from valuation.accounting import book_portfolio
from valuation.accounting.flags import FLAG_REFERENCES
from valuation.core.portfolio import Portfolio

ROOT = Path(__file__).resolve().parents[2]
TOL = 0.01  # 元


def _card(accounting: dict, valuation_date: str = "2025-12-31", **asset) -> dict:
    return {"asset": {"asset_id": "A1", "name": "测试数据资源", **asset},
            "engagement": {"valuation_date": valuation_date}, "accounting": accounting}


def _book(accounting: dict, viu: float = np.nan, market: float = np.nan, **kw):
    pf = Portfolio.from_card(_card(accounting, **kw))
    b = book_portfolio(pf.assets, pf.series, pf.records, np.array([viu]), np.array([market]))
    assert not b.issues[0], [i.message_en for i in b.issues[0]]
    return b, b.answer(0)


PURCHASED = {"intent": "own_use", "acquired_by": "purchase", "acquisition_date": "2024-07-01",
             "available_for_use": "2024-07-15", "useful_life_years": 5,
             "balance_sheet_date": "2024-12-31",
             "costs": [{"category": "购买价款", "amount": 1_150_000, "phase": "acquisition"},
                       {"category": "清洗脱敏", "amount": 50_000, "phase": "acquisition"}]}


def test_straight_line_partial_period_by_months():
    # cost = 1,150,000 + 50,000 = 1,200,000; available 2024-07-15 → the months Jul..Dec count
    # (当月增加当月摊销): 6 months of 60 → 1,200,000 × 6 / 60 = 120,000; carrying 1,080,000.
    # value in use 2,000,000 ≥ carrying → no impairment.
    _, a = _book(PURCHASED, viu=2_000_000, market=1_500_000)
    assert a["classification"] == "intangible_asset"
    assert a["cost"] == pytest.approx(1_200_000, abs=TOL)
    assert a["accumulated_amortisation"] == pytest.approx(120_000, abs=TOL)
    assert a["carrying_amount"] == pytest.approx(1_080_000, abs=TOL)
    assert a["impairment_loss"] == 0.0
    # schedule: 2024 120,000; 2025–2028 240,000 each; 2029 Jan–Jun 120,000 → carrying 0
    sched = {r["period_end"]: r for r in a["schedule"]}
    assert sched["2024-12-31"]["amortisation"] == pytest.approx(120_000, abs=TOL)
    assert sched["2025-12-31"]["amortisation"] == pytest.approx(240_000, abs=TOL)
    assert sched["2029-12-31"]["amortisation"] == pytest.approx(120_000, abs=TOL)
    assert sched["2029-12-31"]["carrying_amount"] == pytest.approx(0, abs=TOL)
    assert a["provenance"]["amortisation_convention"]["key"] == "months"


def test_straight_line_partial_period_by_days():
    # days 2024-07-15..2024-12-31, both counted: 17 + 31 + 30 + 31 + 30 + 31 = 170;
    # 1,200,000 × 170 / (365 × 5) = 204,000,000 / 1,825 = 111,780.8219
    _, a = _book({**PURCHASED, "amortisation_convention": "days"}, viu=2_000_000)
    assert a["accumulated_amortisation"] == pytest.approx(111_780.82, abs=TOL)
    assert a["carrying_amount"] == pytest.approx(1_200_000 - 111_780.8219, abs=TOL)


def test_units_of_production():
    # (1,000,000 − 0) × 2,500,000 / 10,000,000 calls = 250,000
    acc = {**PURCHASED, "costs": None, "capitalised_cost": 1_000_000, "amortisation_method": "units",
           "units": {"total": 10_000_000, "used": 2_500_000}}
    _, a = _book(acc, viu=5_000_000)
    assert a["accumulated_amortisation"] == pytest.approx(250_000, abs=TOL)
    assert a["carrying_amount"] == pytest.approx(750_000, abs=TOL)


def test_indefinite_life_is_not_amortised_and_tested_every_year():
    # life null → no amortisation (CAS 6 art. 19): carrying = cost 800,000; VIU 900,000 → no loss
    acc = {"intent": "own_use", "acquired_by": "purchase", "acquisition_date": "2023-01-01",
           "available_for_use": "2023-01-01", "useful_life_years": None, "capitalised_cost": 800_000}
    _, a = _book(acc, viu=900_000)
    assert a["accumulated_amortisation"] == 0.0
    assert a["carrying_amount"] == pytest.approx(800_000, abs=TOL)
    assert a["impairment_loss"] == 0.0 and a["schedule"] == []
    assert "ANNUAL_IMPAIRMENT_TEST" in [f["code"] for f in a["flags"]]


TEN_YEARS = {"intent": "own_use", "acquired_by": "purchase", "acquisition_date": "2021-01-01",
             "available_for_use": "2021-01-01", "useful_life_years": 10, "capitalised_cost": 1_000_000,
             "disposal_costs": 20_000}


def test_impairment_where_value_in_use_decides():
    # 2021-01..2025-12 = 60 of 120 months → accumulated 500,000, carrying 500,000.
    # FVLCD = 300,000 − 20,000 = 280,000; VIU = 380,000 → recoverable = max = 380,000 (VIU);
    # loss = 500,000 − 380,000 = 120,000; carrying after = 380,000.
    _, a = _book(TEN_YEARS, viu=380_000, market=300_000)
    assert a["carrying_amount_before_impairment"] == pytest.approx(500_000, abs=TOL)
    assert a["fair_value_less_costs_of_disposal"] == pytest.approx(280_000, abs=TOL)
    assert a["recoverable_amount"] == pytest.approx(380_000, abs=TOL)
    assert a["impairment_loss"] == pytest.approx(120_000, abs=TOL)
    assert a["carrying_amount"] == pytest.approx(380_000, abs=TOL)
    f = next(f for f in a["flags"] if f["code"] == "IMPAIRMENT_LOSS")
    assert f["values"]["basis"] == "value_in_use" and "120,000.00" in f["message_zh"]
    # after the loss the remaining 380,000 is spread over the 60 months left (CAS 8 art. 16):
    # 380,000 / 60 × 12 = 76,000 a year
    sched = {r["period_end"]: r for r in a["schedule"]}
    assert sched["2026-12-31"]["amortisation"] == pytest.approx(76_000, abs=TOL)
    assert sched["2030-12-31"]["carrying_amount"] == pytest.approx(0, abs=TOL)


def test_impairment_where_fair_value_decides():
    # VIU 250,000; FVLCD = 420,000 − 20,000 = 400,000 → recoverable 400,000 (fair value);
    # loss = 500,000 − 400,000 = 100,000
    _, a = _book(TEN_YEARS, viu=250_000, market=420_000)
    assert a["recoverable_amount"] == pytest.approx(400_000, abs=TOL)
    assert a["impairment_loss"] == pytest.approx(100_000, abs=TOL)
    assert a["carrying_amount"] == pytest.approx(400_000, abs=TOL)
    f = next(f for f in a["flags"] if f["code"] == "IMPAIRMENT_LOSS")
    assert f["values"]["basis"] == "fair_value_less_costs_of_disposal"


def test_no_impairment_when_recoverable_reaches_carrying():
    # VIU 500,000 = carrying 500,000 → recoverable ≥ carrying → no loss, no IMPAIRMENT_LOSS flag
    _, a = _book(TEN_YEARS, viu=500_000, market=100_000)
    assert a["impairment_loss"] == 0.0 and a["carrying_amount"] == pytest.approx(500_000, abs=TOL)
    assert "IMPAIRMENT_LOSS" not in [f["code"] for f in a["flags"]]


def test_earlier_impairment_is_never_reversed():
    # allowance already 200,000: carrying before = 1,000,000 − 500,000 − 200,000 = 300,000;
    # recoverable 900,000 is higher, but the allowance stays (CAS 8 art. 17): loss 0, carrying 300,000
    _, a = _book({**TEN_YEARS, "accumulated_impairment": 200_000}, viu=900_000)
    assert a["carrying_amount"] == pytest.approx(300_000, abs=TOL)
    assert a["impairment_loss"] == 0.0
    assert a["disclosure"]["impairment_allowance"] == pytest.approx(200_000, abs=TOL)


INVENTORY = {"intent": "sale", "acquired_by": "self_developed", "acquisition_date": "2025-03-01",
             "costs": [{"category": "原始数据采购", "amount": 300_000, "phase": "acquisition"},
                       {"category": "清洗标注", "amount": 100_000, "phase": "development"}],
             "expected_selling_price": 420_000, "costs_to_complete": 30_000, "selling_costs": 25_000}


def test_inventory_written_down_to_net_realisable_value():
    # cost = 300,000 + 100,000 (processing) = 400,000;
    # NRV = 420,000 − 30,000 − 25,000 = 365,000 < cost → write-down 35,000, carrying 365,000
    _, a = _book(INVENTORY)
    assert a["classification"] == "inventory"
    assert a["cost"] == pytest.approx(400_000, abs=TOL)
    assert a["net_realisable_value"] == pytest.approx(365_000, abs=TOL)
    assert a["impairment_loss"] == pytest.approx(35_000, abs=TOL)
    assert a["carrying_amount"] == pytest.approx(365_000, abs=TOL)
    assert a["recoverable_amount"] is None and a["value_in_use"] is None
    assert a["disclosure"]["source_zh"] == "自行加工"


def test_recognition_typed_on_the_card_is_checked():
    _, a = _book(INVENTORY, recognised_as="intangible")
    f = next(f for f in a["flags"] if f["code"] == "RECOGNITION_DIFFERS")
    assert f["values"] == {"recognised_as": "intangible", "classification": "inventory"}
    _, a = _book(INVENTORY, recognised_as="inventory")
    assert "RECOGNITION_DIFFERS" not in [f["code"] for f in a["flags"]]


def test_inventory_without_a_price_stays_at_cost_and_says_so():
    # no selling price, no market approach: NRV unknown → carrying = cost 400,000, flag
    _, a = _book({**INVENTORY, "expected_selling_price": None})
    assert a["net_realisable_value"] is None and a["carrying_amount"] == pytest.approx(400_000, abs=TOL)
    assert "NRV_NOT_ESTIMABLE" in [f["code"] for f in a["flags"]]
    # the market approach's one-off price stands in for the selling price: 380,000 − 55,000 = 325,000
    _, a = _book({**INVENTORY, "expected_selling_price": None}, market=380_000)
    assert a["net_realisable_value"] == pytest.approx(325_000, abs=TOL)
    assert a["impairment_loss"] == pytest.approx(75_000, abs=TOL)


def test_inventory_write_down_reverses_within_the_earlier_allowance():
    # allowance booked 10,000; NRV = 430,000 − 30,000 − 5,000 = 395,000 → needed 5,000 →
    # the period reverses 5,000 (CAS 1 art. 19); carrying = 400,000 − 5,000 = 395,000
    _, a = _book({**INVENTORY, "accumulated_impairment": 10_000, "expected_selling_price": 430_000,
                  "selling_costs": 5_000})
    assert a["impairment_loss"] == pytest.approx(-5_000, abs=TOL)
    assert a["carrying_amount"] == pytest.approx(395_000, abs=TOL)


SELF_DEV = {"intent": "own_use", "acquired_by": "self_developed", "acquisition_date": "2024-01-01",
            "available_for_use": None, "useful_life_years": 5,
            "costs": [{"category": "需求调研", "amount": 200_000, "phase": "research"},
                      {"category": "开发加工", "amount": 600_000, "phase": "development"},
                      {"category": "外购原始数据", "amount": 150_000, "phase": "acquisition"}]}


def test_research_development_split_with_criteria_met():
    # research 200,000 expensed (CAS 6 art. 8); development 600,000 + acquisition 150,000
    # capitalised = 750,000; not yet available → development expenditure, not amortised
    _, a = _book({**SELF_DEV, "development_criteria_met": True}, viu=1_000_000)
    assert a["classification"] == "development_expenditure"
    assert a["cost"] == pytest.approx(750_000, abs=TOL)
    assert a["expensed"] == pytest.approx(200_000, abs=TOL)
    assert a["accumulated_amortisation"] == 0.0 and a["schedule"] == []
    codes = [f["code"] for f in a["flags"]]
    assert "RESEARCH_COSTS_EXPENSED" in codes and "DEVELOPMENT_COSTS_EXPENSED" not in codes


def test_research_development_split_without_criteria():
    # the criteria not met: only acquisition 150,000 capitalised; 200,000 + 600,000 = 800,000 expensed
    _, a = _book(SELF_DEV, viu=1_000_000)
    assert a["cost"] == pytest.approx(150_000, abs=TOL)
    assert a["expensed"] == pytest.approx(800_000, abs=TOL)
    assert "DEVELOPMENT_COSTS_EXPENSED" in [f["code"] for f in a["flags"]]


def test_all_five_evidence_fields_meet_the_criteria():
    crit = dict.fromkeys(("technical_feasibility", "intention", "economic_benefits", "resources",
                          "measurable"), True)
    _, a = _book({**SELF_DEV, "development_criteria": crit}, viu=1_000_000)
    assert a["cost"] == pytest.approx(750_000, abs=TOL)
    crit["measurable"] = False
    _, a = _book({**SELF_DEV, "development_criteria": crit}, viu=1_000_000)
    assert a["cost"] == pytest.approx(150_000, abs=TOL)


def test_only_research_costs_are_an_expense():
    _, a = _book({**SELF_DEV, "costs": [{"amount": 90_000, "phase": "research"}]})
    assert a["classification"] == "expense" and a["cost"] == 0.0
    assert a["expensed"] == pytest.approx(90_000, abs=TOL)


def test_indicators_from_the_data():
    # price −25 % ≤ −20 %; actual 70 < 80 % × 100; rights end 2027 before the end of life 2030;
    # updates stopped → four indicators, each citing its item of CAS 8 art. 5
    _, a = _book({**TEN_YEARS, "indicators": {"comparable_price_change": -0.25, "planned": 100,
                                              "actual": 70}},
                 viu=900_000, update_frequency="no-update",
                 rights={"term_end": "2027-12-31"})
    f = next(f for f in a["flags"] if f["code"] == "IMPAIRMENT_INDICATORS")
    assert set(f["values"]["indicators"]) == {"MARKET_PRICE_DECLINE", "PERFORMANCE_BELOW_PLAN",
                                              "RIGHTS_TERM_SHORTENED", "DATA_OBSOLETE"}
    _, a = _book({**TEN_YEARS, "indicators": {"comparable_price_change": -0.10}}, viu=900_000)
    assert "IMPAIRMENT_INDICATORS" not in [f["code"] for f in a["flags"]]


def test_fair_value_needs_a_one_off_price():
    card = _card(TEN_YEARS)
    card["market"] = {"price_mode": "subscription_year"}
    pf = Portfolio.from_card(card)
    b = book_portfolio(pf.assets, pf.series, pf.records, np.array([np.nan]), np.array([420_000.0]))
    a = b.answer(0)
    assert a["fair_value_less_costs_of_disposal"] is None and a["recoverable_amount"] is None
    assert "RECOVERABLE_NOT_ESTIMABLE" in [f["code"] for f in a["flags"]]


def _standard_ids() -> set[str]:
    seed = ROOT / "valuation" / "library" / "seed" / "standards.yaml"
    return {e["id"] for e in yaml.safe_load(seed.read_text("utf-8"))}


def test_every_reference_resolves_in_the_standards_library():
    ids = _standard_ids()
    refs = {r for rs in FLAG_REFERENCES.values() for r in rs}
    for acc, kw in ((TEN_YEARS, dict(viu=380_000, market=300_000)), (INVENTORY, {}),
                    ({**SELF_DEV, "development_criteria_met": True}, dict(viu=1.0)), (PURCHASED, dict(viu=1e7))):
        _, a = _book(acc, **kw)
        refs |= {c for s in a["trace"] for c in s["clauses"]}
        refs |= {r for f in a["flags"] for r in f["references"]}
        refs |= set(a["disclosure"]["references"])
    assert refs and refs <= ids, refs - ids


def test_columnar_equals_one_by_one():
    cards = []
    for k, (acc, viu, mkt) in enumerate(((TEN_YEARS, 380_000, 300_000), (INVENTORY, np.nan, np.nan),
                                          (PURCHASED, 2e6, 1.5e6), (SELF_DEV, 1e6, np.nan))):
        c = _card(copy.deepcopy(acc))
        c["asset"]["asset_id"] = f"A{k}"
        cards.append((c, viu, mkt))
    pf = Portfolio.from_cards([c for c, _, _ in cards])
    b = book_portfolio(pf.assets, pf.series, pf.records, np.array([v for _, v, _ in cards]),
                       np.array([m for _, _, m in cards]))
    for k, (c, viu, mkt) in enumerate(cards):
        one = Portfolio.from_card(c)
        a1 = book_portfolio(one.assets, one.series, one.records, np.array([viu]), np.array([mkt])).answer(0)
        ak = b.answer(k)
        assert json.dumps(ak["trace"], default=str) == json.dumps(a1["trace"], default=str)
        assert {x: ak[x] for x in ("cost", "carrying_amount", "impairment_loss")} == \
               {x: a1[x] for x in ("cost", "carrying_amount", "impairment_loss")}
    # the register's flag codes (vectorised) are those of each answer
    reg = b.register().set_index("asset_id")
    for k in range(len(cards)):
        a = b.answer(k)
        assert reg.loc[a["asset_id"], "flags"].split(";") == [f["code"] for f in a["flags"]] or \
            (reg.loc[a["asset_id"], "flags"] == "" and not a["flags"])


def test_benchmark_script_runs():
    import subprocess
    import sys

    p = subprocess.run([sys.executable, "benchmarks/bench_books.py", "--n", "2000"], cwd=ROOT,
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr[-2000:]
    assert "books: 2000 assets in" in p.stdout
