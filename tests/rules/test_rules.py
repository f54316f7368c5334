"""Seed rules: every rule triggers on its fixture and stays silent just outside it; F8; flags."""
import numpy as np
import pytest
import yaml

from valuation.rules import compile_rules, flags_for, is_final, load_seed_rules
from valuation.rules.engine import SEED_FILE
from valuation.rules.facts import empty_facts

SEED = load_seed_rules()
RS = compile_rules(SEED)


def facts(**kw):
    f = empty_facts(1)
    for k, v in kw.items():
        assert k in f, k
        f[k] = np.array([v], dtype=f[k].dtype)
    return f


def codes(**kw):
    return set(RS.evaluate(facts(**kw)).code)


# per seed rule: fact sets that trigger it, and fact sets (just outside) that do not
CASES = {
    "HIGH_PREMIUM": ([{"premium_ratio": 1.6, "estimate": 260, "book_value": 100}, {"premium_ratio": 1.0}],
                     [{"premium_ratio": 0.99}, {}]),
    # CAS 8 binds an asset carried at a book value (seed revision 3, tests/rules/test_clause_binding.py)
    "HIGH_IMPAIRMENT": ([{"impairment_ratio": 0.35, "book_value": 100}, {"impairment_ratio": 0.3, "book_value": 100},
                         {"n_impairment_indicators": 1, "book_value": 100}],
                        [{"impairment_ratio": 0.29, "n_impairment_indicators": 0, "book_value": 100}, {},
                         {"n_impairment_indicators": 1},
                         {"holder_type": "administrative", "impairment_ratio": 0.5, "book_value": 100}]),
    "OVER_VALUATION": ([{"declared_value": 130, "high": 120}, {"proposed_price": 121, "high": 120}],
                       [{"declared_value": 120, "high": 120, "proposed_price": 100}, {"declared_value": 130}]),
    "UNDER_VALUATION": ([{"declared_value": 70, "low": 80}, {"proposed_price": 79.99, "low": 80},
                         {"holder_type": "administrative", "proposed_price": 79.99, "low": 80}],
                        [{"declared_value": 80, "low": 80, "proposed_price": 90}, {"low": 80},
                         {"holder_type": "enterprise", "declared_value": 70, "low": 80},
                         {"holder_type": "administrative", "use_category": "public_governance", "proposed_price": 0,
                          "low": 80}]),
    "BELOW_90": ([{"proposed_price": 233.99, "estimate": 260}, {"holder_type": "soe", "proposed_price": 1, "estimate": 2}],
                 [{"proposed_price": 234, "estimate": 260}, {"estimate": 260},
                  {"holder_type": "enterprise", "proposed_price": 100, "estimate": 260},
                  {"holder_type": "administrative", "proposed_price": 100, "estimate": 260},
                  {"holder_type": "soe", "public_data": True, "use_category": "public_governance",
                   "proposed_price": 0, "estimate": 260}]),
    "STALE_RESULT": ([{"days_since_valuation": 366}], [{"days_since_valuation": 365}, {}]),
    "METHOD_DIVERGENCE": ([{"method_spread": 0.31}], [{"method_spread": 0.3}, {}]),
    "INCOME_BEYOND_RIGHTS": ([{"life_vs_rights": 0.5}, {"terminal_beyond_rights": True}],
                             [{"life_vs_rights": 0.0}, {"life_vs_rights": -1.0}]),
    "AGGRESSIVE_ASSUMPTIONS": ([{"growth": 0.5}, {"discount_rate": 0.05}, {"split_rate": 0.6},
                                {"royalty_rate": 0.12}, {"life": 12}, {"terminal_growth": 0.06}],
                               [{"growth": 0.3, "discount_rate": 0.08, "split_rate": 0.5, "royalty_rate": 0.1,
                                 "life": 10, "terminal_growth": 0.05}, {}]),
    "THIN_MARKET": ([{"market_used": True, "n_comparables": 2}],
                    [{"market_used": True, "n_comparables": 3}, {"market_used": False, "n_comparables": 2}]),
    "QUALITY_OVER_1": ([{"delta": 1.1}, {"x1_max": 1.31}],
                       [{"delta": 1.1, "delta_override": True}, {"delta": 1.0, "x1_max": 1.3}]),
    "PUBLIC_FREE_CHARGED": ([{"public_data": True, "use_category": "public_governance", "proposed_price": 10},
                             {"public_data": True, "use_category": "public_welfare", "price": 0.01}],
                            [{"public_data": True, "use_category": "industry", "proposed_price": 10},
                             {"public_data": True, "use_category": "public_welfare", "price": 0.0},
                             {"public_data": False, "use_category": "public_welfare", "price": 5.0}]),
    "CAP_BREACH": ([{"public_data": True, "cap_ratio": 1.2}, {"public_data": True, "mar_ratio": 1.01}],
                   [{"public_data": True, "cap_ratio": 1.0, "mar_ratio": 0.95}, {}, {"cap_ratio": 1.2}]),
    "ADMIN_GUARANTEE": ([{"holder_type": "administrative", "pledged": True},
                         {"holder_type": "public_institution", "pledged": True}],
                        [{"holder_type": "enterprise", "pledged": True},
                         {"holder_type": "administrative", "pledged": False}]),
    # 财资〔2024〕1号 binds public bodies only, public data or not (seed revision 3)
    "FISCAL_INFLATION": ([{"holder_type": "public_institution", "fiscal_revenue": True},
                          {"holder_type": "administrative", "public_data": True, "fiscal_revenue": True}],
                         [{"holder_type": "soe", "fiscal_revenue": True},
                          {"holder_type": "soe", "public_data": True, "fiscal_revenue": True},
                          {"holder_type": "administrative", "fiscal_revenue": False}]),
    "SYNTHETIC_EVIDENCE": ([{"market_used": True, "market_synthetic_cases": 5}],
                           [{"market_used": True, "market_synthetic_cases": 0}, {"market_used": False}, {}]),
    # issue 17: the holder's own variants (a missing holder type reads as an SOE)
    "BELOW_90_MARKET": ([{"holder_type": "enterprise", "proposed_price": 233.99, "estimate": 260}],
                        [{"holder_type": "enterprise", "proposed_price": 234, "estimate": 260},
                         {"proposed_price": 100, "estimate": 260},
                         {"holder_type": "enterprise", "use_category": "public_governance", "proposed_price": 0,
                          "estimate": 260}]),
    "BELOW_90_STATE_UNIT": ([{"holder_type": "administrative", "proposed_price": 100, "estimate": 260},
                             {"holder_type": "public_institution", "proposed_price": 100, "estimate": 260}],
                            [{"holder_type": "soe", "proposed_price": 100, "estimate": 260},
                             {"holder_type": "administrative", "use_category": "public_welfare", "proposed_price": 0,
                              "estimate": 260}]),
    "UNDER_VALUATION_MARKET": ([{"holder_type": "enterprise", "declared_value": 70, "low": 80}],
                               [{"holder_type": "soe", "declared_value": 70, "low": 80},
                                {"holder_type": "enterprise", "declared_value": 80, "low": 80}]),
    "LOSS_MAKING": ([{"loss_making": True}], [{"loss_making": False}, {}]),
    "VALUE_SWING": ([{"change_since_previous": -0.6, "previous_value": 100}, {"change_since_previous": 0.51}],
                    [{"change_since_previous": 0.5}, {"change_since_previous": -0.2}, {}]),
}


def test_every_seed_rule_has_cases():
    assert {r["id"] for r in SEED} == set(CASES)


@pytest.mark.parametrize("code", sorted(CASES))
def test_seed_rule_triggers(code):
    for yes in CASES[code][0]:
        assert code in codes(**yes), yes


@pytest.mark.parametrize("code", sorted(CASES))
def test_seed_rule_does_not_trigger(code):
    for no in CASES[code][1]:
        assert code not in codes(**no), no


def test_all_missing_facts_raise_nothing():
    assert len(RS.evaluate(empty_facts(2))) == 0


def test_f8_high_premium_and_below_90():
    """docs/DOMAIN.md F8: book 100, appraised 260 → 增值率 160 %; proposed 230 < 0.9 × 260 = 234."""
    f = facts(estimate=260.0, book_value=100.0, premium_ratio=1.6, proposed_price=230.0,
              proposed_price_ratio=230 / 260)
    hits = RS.evaluate(f)
    assert set(hits.code) == {"HIGH_PREMIUM", "BELOW_90"}
    fl = flags_for(f, ["A"], hits, RS)["A"]
    assert [x["code"] for x in fl] == ["BELOW_90", "HIGH_PREMIUM"]  # blockers first
    msg = {x["code"]: x for x in fl}
    assert msg["HIGH_PREMIUM"]["message_zh"].startswith("增值率 160%（评估值 260.00，账面价值 100.00）≥ 100%")
    assert "appreciation 160% (estimate 260.00, book value 100.00) ≥ 100%" in msg["HIGH_PREMIUM"]["message_en"]
    assert "230.00" in msg["BELOW_90"]["message_en"] and "90%" in msg["BELOW_90"]["message_en"]
    assert "88.5%" in msg["BELOW_90"]["message_zh"]
    assert msg["BELOW_90"]["references"] == ["SASAC12.90pct", "SASAC32.90pct"]
    assert set(msg["HIGH_PREMIUM"]["references"]) >= {"EXCH.premium100", "MOF2023-141.15"}
    assert msg["HIGH_PREMIUM"]["values"] == {"premium_ratio": 1.6, "estimate": 260.0, "book_value": 100.0}
    assert msg["BELOW_90"]["params"] == {"ratio": 0.9}
    assert msg["BELOW_90"]["severity"] == "blocker" and msg["BELOW_90"]["title_en"]
    assert not is_final(fl)
    assert is_final([msg["HIGH_PREMIUM"]])


def test_f8_at_the_boundary():
    # 234 = 0.9 × 260 exactly is not below 90 %
    assert "BELOW_90" not in codes(estimate=260.0, proposed_price=234.0)
    assert "BELOW_90" in codes(estimate=260.0, proposed_price=233.99)


def test_required_blockers():
    sev = {r["id"]: r["severity"] for r in SEED}
    for code in ("ADMIN_GUARANTEE", "PUBLIC_FREE_CHARGED", "CAP_BREACH"):
        assert sev[code] == "blocker"


def test_seed_references_exist_in_the_standards_library():
    std = yaml.safe_load((SEED_FILE.parent / "standards.yaml").read_text("utf-8"))
    ids = {s["id"] for s in (std if isinstance(std, list) else std.get("standards", []))}
    for r in SEED:
        assert r["references"] and set(r["references"]) <= ids, (r["id"], set(r["references"]) - ids)


def test_missing_values_show_as_dash_in_messages():
    f = facts(declared_value=130.0, high=120.0)
    fl = RS.flags(f, ["A"])["A"]
    over = next(x for x in fl if x["code"] == "OVER_VALUATION")
    assert "130.00" in over["message_en"] and "proposed price —" in over["message_en"]
    assert over["values"]["proposed_price"] is None


def test_vectorised_many_assets_match_single_evaluations():
    rng = np.random.default_rng(3)
    n = 2000
    f = empty_facts(n)
    ids = np.array([f"A{i}" for i in range(n)], dtype=object)
    f["premium_ratio"] = rng.normal(0.8, 0.6, n)
    f["proposed_price_ratio"] = rng.uniform(0.7, 1.1, n)
    f["estimate"] = rng.uniform(50, 500, n)
    f["proposed_price"] = f["estimate"] * f["proposed_price_ratio"]
    f["holder_type"] = rng.choice(np.array(["soe", "administrative", "enterprise", ""], dtype=object), n)
    f["pledged"] = rng.random(n) < 0.3
    f["change_since_previous"] = np.where(rng.random(n) < 0.2, np.nan, rng.normal(0, 0.5, n))
    hits = RS.evaluate(f)
    many = set(zip(ids[hits.rows], hits.code))
    one = set()
    for i in range(300):
        h = RS.evaluate({k: v[i:i + 1] for k, v in f.items()})
        one |= {(ids[i], c) for c in h.code}
    assert {x for x in many if int(x[0][1:]) < 300} == one
    flags = flags_for(f, ids, hits, RS)
    assert sum(len(v) for v in flags.values()) == len(hits)
