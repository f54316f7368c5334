"""Hand-computed checks of the cost and income approaches against docs/DOMAIN.md §2–§3 (task rdomain).

Each test builds one card, works the expected answer out by hand in its comments (plain
arithmetic a reviewer can redo with a calculator; no engine helper is called) and compares it
with the engine's public answer: ``valuation.api.appraise(card).to_dict()`` or
``valuation.api.book(card)``.

Tolerance: the formulas are exact products, sums and powers of the inputs, so the engine must
agree with the hand arithmetic to float rounding — ``REL = 1e-9`` relative unless a test says
otherwise (published figures rounded to 2 decimals are checked to half a unit of that
rounding). Where the engine disagrees with DOMAIN.md the test is ``xfail(strict=True)`` with
the clause, so that the disagreement stays visible until the lead decides.
"""
from __future__ import annotations

import copy

import pytest
from domain_cards import INC, REL, Z80, _appraise, _asset, _card, _method, _warning_codes

# =============================================================================== cost approach
# DOMAIN §2.2: P = C × δ; C = 前期费用 + 直接成本 + 间接成本 + 机会成本 + 相关税费;
# §2.3 δ bases; §8.2 F1.

F1_COST = {"components": {"preliminary": 200_000, "direct": 2_000_000, "indirect": 300_000, "taxes": 0},
           "opportunity_rate": 0.05,
           "adjustment": {"basis": "combined", "years_used": 2, "years_remaining": 3}}
F1_ASSET = _asset(quality={"score": 87.4357})


def test_cost_f1_combined_delta_quality_times_life():
    # DOMAIN §8.2 F1 (amounts ×10,000 元): subtotal 20 + 200 + 30 = 250 万 = 2,500,000;
    # opportunity cost 5 % × 2,500,000 = 125,000 → C = 2,625,000.
    # δ_q = 87.4357 / 100 = 0.874357; δ_life = 3 / (2 + 3) = 0.6; δ = 0.874357 × 0.6 = 0.5246142.
    # P = 2,625,000 × 0.5246142 = 1,377,112.275 (F1: 137.71 万).
    d = _appraise(_card("accounting", asset=F1_ASSET, cost=F1_COST))
    c = _method(d, "cost")
    assert c["details"]["replacement_cost"] == pytest.approx(2_625_000, rel=REL)
    assert c["details"]["cost_opportunity"] == pytest.approx(125_000, rel=REL)
    assert c["details"]["delta"] == pytest.approx(0.5246142, rel=REL)
    assert c["estimate"] == pytest.approx(1_377_112.275, rel=REL)
    # purpose accounting → cost weight 1 (models/reconcile.yaml): the conclusion is P itself
    assert d["estimate"] == pytest.approx(1_377_112.275, rel=REL)


def test_cost_f1_publication_rounds_the_quality_score_first():
    # F1 note: with Q rounded to 87.44 first, δ = 0.8744 × 0.6 = 0.52464;
    # P = 2,625,000 × 0.52464 = 1,377,180.0 (F1: 137.72 万, not 137.71).
    d = _appraise(_card("accounting", asset=F1_ASSET, cost=F1_COST,
                        engagement={"rounding": "publication"}))
    assert _method(d, "cost")["estimate"] == pytest.approx(1_377_180.0, rel=REL)


def test_cost_delta_band_when_only_the_cost_approach_applies():
    # The cost approach's own band moves δ by ± z × 10 % (delta_relative_sd 0.10, 80 % → z =
    # 1.2815515655446008), the upper δ capped at max(δ, δ_max = 1):
    # low  = 2,625,000 × 0.5246142 × (1 − 0.12815515655446) = 1,200,628.2358
    # high = 2,625,000 × 0.5246142 × (1 + 0.12815515655446) = 1,553,596.3142 (δ 0.5918 < 1)
    # Only one approach applies (no income, no market): its weight is 1 and the conclusion is
    # its value; the guided range (Monte Carlo over the approach's parameters) must contain it.
    d = _appraise(_card("accounting", asset=F1_ASSET, cost=F1_COST))
    c = _method(d, "cost")
    assert c["low"] == pytest.approx(2_625_000 * 0.5246142 * (1 - Z80 * 0.10), rel=1e-9)
    assert c["high"] == pytest.approx(2_625_000 * 0.5246142 * (1 + Z80 * 0.10), rel=1e-9)
    assert c["low"] == pytest.approx(1_200_628.2358, abs=0.01)
    assert c["high"] == pytest.approx(1_553_596.3142, abs=0.01)
    assert c["weight"] == 1.0
    assert not _method(d, "income")["applicable"] and not _method(d, "market")["applicable"]
    assert d["estimate"] == pytest.approx(1_377_112.275, rel=REL)
    assert d["low"] < d["estimate"] < d["high"]


def test_cost_expert_basis_and_default_zero_profit():
    # δ = 1 − (d_func + d_econ) = 1 − (0.10 + 0.15) = 0.75 (DOMAIN §2.3 item 4);
    # P = 2,625,000 × 0.75 = 1,968,750.
    cost = copy.deepcopy(F1_COST)
    cost["adjustment"] = {"basis": "expert", "functional_obsolescence": 0.10, "economic_obsolescence": 0.15}
    c = _method(_appraise(_card("accounting", asset=F1_ASSET, cost=cost)), "cost")
    assert c["estimate"] == pytest.approx(1_968_750.0, rel=REL)


def test_cost_given_delta_with_profit_on_pre_tax_cost():
    # DOMAIN §2.2 note: a reasonable profit is optional (default 0). The engine's convention:
    # profit on (前期 + 直接 + 间接 + 机会成本), taxes added after it:
    # C = (100,000 + 600,000 + 200,000 + 50,000) × 1.10 + 30,000 = 1,045,000 + 30,000 = 1,075,000
    # P = 1,075,000 × 0.8 = 860,000.
    cost = {"components": {"preliminary": 100_000, "direct": 600_000, "indirect": 200_000,
                           "opportunity": 50_000, "taxes": 30_000},
            "profit_rate": 0.10, "adjustment": {"basis": "given", "value": 0.8}}
    c = _method(_appraise(_card("accounting", cost=cost)), "cost")
    assert c["details"]["replacement_cost"] == pytest.approx(1_075_000, rel=REL)
    assert c["estimate"] == pytest.approx(860_000.0, rel=REL)


def test_cost_quality_benchmark_above_one_refused_without_override():
    # δ_q = Q / Q_benchmark = 87.4357 / 80 = 1.09294625 > 1: DOMAIN §2.3 guardrail — δ > 1
    # only with an explicit override and justification → not applicable without one.
    cost = copy.deepcopy(F1_COST)
    cost["adjustment"] = {"basis": "quality", "quality_benchmark": 80}
    c = _method(_appraise(_card("accounting", asset=F1_ASSET, cost=cost)), "cost")
    assert not c["applicable"] and "1.0929" in c["reason_en"]


def test_cost_quality_benchmark_above_one_with_override():
    # With override + reason: P = 2,625,000 × 1.09294625 = 2,868,983.90625; the band's high δ
    # is capped at max(δ, 1) = δ, so high = P.
    cost = copy.deepcopy(F1_COST)
    cost["adjustment"] = {"basis": "quality", "quality_benchmark": 80, "override": True,
                          "override_reason": "第三方质量评价报告证明高于基准"}
    d = _appraise(_card("accounting", asset=F1_ASSET, cost=cost))
    c = _method(d, "cost")
    assert c["estimate"] == pytest.approx(2_868_983.90625, rel=REL)
    assert c["high"] == pytest.approx(2_868_983.90625, rel=REL)
    assert "DELTA_OVER_1" in _warning_codes(d)


def test_cost_life_edge_no_remaining_life_is_refused():
    # Edge of the life bound: n_u = 4, n_r = 0 → δ_life = 0 / 4 = 0; DOMAIN §2.3 asks 0 < δ ≤ 1,
    # so P = 0 is not offered as a value (not applicable, reason names δ).
    cost = copy.deepcopy(F1_COST)
    cost["adjustment"] = {"basis": "life", "years_used": 4, "years_remaining": 0}
    c = _method(_appraise(_card("accounting", asset=F1_ASSET, cost=cost)), "cost")
    assert not c["applicable"] and "δ = 0.0000" in c["reason_en"]


def test_cost_life_edge_new_asset_delta_one():
    # Other edge: n_u = 0, n_r = 5 → δ_life = 5 / (0 + 5) = 1 → P = C = 2,625,000.
    cost = copy.deepcopy(F1_COST)
    cost["adjustment"] = {"basis": "life", "years_used": 0, "years_remaining": 5}
    c = _method(_appraise(_card("accounting", asset=F1_ASSET, cost=cost)), "cost")
    assert c["estimate"] == pytest.approx(2_625_000.0, rel=REL)


def test_cost_life_remaining_capped_at_rights_term():
    # Rights end 2028-12-31: 3 years after the valuation date 2025-12-31. n_u = 2, n_r = 8
    # claimed, no renewal documented → n_r = min(8, 3) = 3; δ_life = 3 / (2 + 3) = 0.6;
    # P = 1,000,000 × 0.6 = 600,000.
    asset = _asset(rights={"type": "processing_use", "exclusivity": "non_exclusive", "term_end": "2028-12-31"})
    cost = {"components": {"direct": 1_000_000}, "adjustment": {"basis": "life", "years_used": 2, "years_remaining": 8}}
    c = _method(_appraise(_card("accounting", asset=asset, cost=cost)), "cost")
    assert c["estimate"] == pytest.approx(600_000.0, rel=REL)


@pytest.mark.parametrize(("renewal", "want"), [
    # documented with its evidence, open-ended: no cap → δ_life = 8 / (2 + 8) = 0.8, P = 800,000
    ({"renewal_documented": True, "renewal_evidence": "合同第 9 条自动续期"}, 800_000.0),
    # documented with evidence, renewed to 2030-12-31 (5 years): n_r = min(8, 5) = 5 → δ = 5/7
    ({"renewal_documented": True, "renewal_evidence": "合同第 9 条", "renewal_term_end": "2030-12-31"},
     1_000_000 * 5 / 7),
    # claimed without evidence: not relied on (art. 21(7)) → the term's 3 years: δ = 0.6
    ({"renewal_documented": True}, 600_000.0),
])
def test_cost_life_cap_follows_a_documented_renewal(renewal, want):
    # DOMAIN §1.3(b): the rights term bounds the life unless renewal is documented; the cost
    # approach reads the renewal as the income approach does (methods/income/term.py).
    rights = {"type": "processing_use", "exclusivity": "non_exclusive", "term_end": "2028-12-31", **renewal}
    cost = {"components": {"direct": 1_000_000}, "adjustment": {"basis": "life", "years_used": 2, "years_remaining": 8}}
    c = _method(_appraise(_card("accounting", asset=_asset(rights=rights), cost=cost)), "cost")
    assert c["estimate"] == pytest.approx(want, rel=REL)


def test_cost_quality_dimensions_default_to_equal_weights():
    # DOMAIN §5.3 names no authoritative weights; the engine's default is equal weights:
    # Q = (90 + 88 + 86 + 89 + 90 + 92) / 6 = 535 / 6 = 89.1666…; δ_q = 0.891666…;
    # C = 400,000 + 3,100,000 + 900,000 + 150,000 + 80,000 = 4,630,000; P = 4,630,000 × 535/600
    #   = 4,128,416.666…
    asset = _asset(quality={"normativeness": 90, "completeness": 88, "accuracy": 86, "consistency": 89,
                            "timeliness": 90, "accessibility": 92})
    cost = {"components": {"preliminary": 400_000, "direct": 3_100_000, "indirect": 900_000,
                           "opportunity": 150_000, "taxes": 80_000}, "adjustment": {"basis": "quality"}}
    c = _method(_appraise(_card("accounting", asset=asset, cost=cost)), "cost")
    assert c["estimate"] == pytest.approx(4_630_000 * 535 / 600, rel=REL)


def test_cost_quality_from_sub_indicators_with_an_inverse_one():
    # DOMAIN §5.1/§5.3: s_j = 100 × X'; inverse indicators X' = 1 − A/B.
    #   duplicate_rate A/B = 50/1000 → X' = 0.95 → 95; content_correctness 900/1000 → 90
    #   accuracy = mean of the sub-indicators given = (95 + 90) / 2 = 92.5
    #   Q = (90 × 5 + 92.5) / 6 = 542.5 / 6 = 90.41666…  (equal dimension weights)
    # P = C × Q/100 = 1,000,000 × 0.9041666… = 904,166.6667
    q = {"normativeness": 90, "completeness": 90, "consistency": 90, "timeliness": 90, "accessibility": 90,
         "indicators": [{"indicator": "duplicate_rate", "a": 50, "b": 1000},
                        {"indicator": "accuracy.content_correctness", "a": 900, "b": 1000}]}
    cost = {"components": {"direct": 1_000_000}, "adjustment": {"basis": "quality"}}
    c = _method(_appraise(_card("accounting", asset=_asset(quality=q), cost=cost)), "cost")
    assert c["details"]["quality_score"] == pytest.approx(542.5 / 6, rel=REL)
    assert c["estimate"] == pytest.approx(904_166.6667, abs=0.001)


def test_cost_lines_indexed_and_allocated():
    # DOMAIN §2.2 notes: C_t = C_hist × I_valuation / I_incurred, × the allocation share:
    #   direct 100,000 × 100 / 80 = 125,000; indirect 200,000 × 0.5 = 100,000 → C = 225,000
    # δ given 1.0 → P = 225,000
    cost = {"lines": [{"category": "direct", "amount": 100_000, "price_index": 80},
                      {"category": "indirect", "amount": 200_000, "allocation_share": 0.5}],
            "price_index_valuation": 100, "adjustment": {"basis": "given", "value": 1.0}}
    c = _method(_appraise(_card("accounting", cost=cost)), "cost")
    assert c["details"]["cost_direct"] == pytest.approx(125_000.0, rel=REL)
    assert c["details"]["cost_indirect"] == pytest.approx(100_000.0, rel=REL)
    assert c["estimate"] == pytest.approx(225_000.0, rel=REL)


# ============================================================================= income approach
# DOMAIN §3.2 P = Σ F_t / (1 + i)^t (end) or (1 + i)^(t − ½) (mid); §3.3 the four models; §3.4
# excess earnings with CAC and attrition; §8.2 F5, F6.

def _income(d: dict) -> dict:
    return _method(d, "income")


def _f5_card(timing: str) -> dict:
    # F5 in 元 (×10,000): NOPAT 300, 320, 330, 330, 320 万; revenue 1000, 1080, 1120, 1120, 1090 万
    inc = {"model": "excess", "periods": 5, "timing": timing,
           "nopat": [3_000_000, 3_200_000, 3_300_000, 3_300_000, 3_200_000],
           "revenue": [10_000_000, 10_800_000, 11_200_000, 11_200_000, 10_900_000],
           "contributory": [{"asset_class": "working_capital", "rate": 0.04, "revenue_share": 0.2},
                            {"asset_class": "fixed_assets", "rate": 0.06, "value": 5_000_000},
                            {"asset_class": "workforce", "rate": 0.10, "value": 4_000_000},
                            {"asset_class": "other_intangibles", "rate": 0.03, "revenue_share": 1.0,
                             "tax_rate": 0.25}],
           "attrition": {"rate": 0.10, "start_period": 2},
           "income_basis": "post_tax", "rate_basis": "post_tax", "discount_rate": 0.16}
    return _card("financing", income=inc)


def test_income_excess_f5_mid_year():
    # CAC_t = 4 % × 20 % × rev + 6 % × 500 万 + 10 % × 400 万 + 3 % × rev × 0.75
    #   year 1 (万): 0.008 × 1000 + 30 + 40 + 0.0225 × 1000 = 100.5; then 102.94, 104.16, 104.16, 103.245
    # excess = NOPAT − CAC: 199.5, 217.06, 225.84, 225.84, 216.755
    # survival (1 − 10 %)^(t−1): 1, 0.9, 0.81, 0.729, 0.6561 → F: 199.5, 195.354, 182.9304,
    #   164.63736, 142.2129555
    # mid-year: Σ F_t / 1.16^(t − 0.5) = 638.67576 万 (F5: 638.6758) → 6,386,757.5969 元
    d = _appraise(_f5_card("mid"))
    assert _income(d)["estimate"] == pytest.approx(6_386_757.5969, abs=0.01)
    # financing → income weight 1; the conclusion is the income value
    assert d["estimate"] == pytest.approx(6_386_757.5969, abs=0.01)


def test_income_excess_f5_end_year():
    # same flows, Σ F_t / 1.16^t = 592.99556 万 (F5: 592.9956) → 5,929,955.5591 元
    assert _income(_appraise(_f5_card("end")))["estimate"] == pytest.approx(5_929_955.5591, abs=0.01)


@pytest.mark.parametrize("timing,expected", [("end", 203.54818727), ("mid", 217.32999236)])
def test_income_incremental_f6(timing, expected):
    # F6: increments (with − without) 50, 60, 65, 65, 60 at i = 14 %:
    # end Σ ΔF_t / 1.14^t = 43.8596 + 46.1681 + 43.8731 + 38.4852 + 31.1621 = 203.5482 (F6: 203.55)
    # mid = end × 1.14^0.5 = 217.3300 (F6: 217.33)
    inc = {"model": "incremental", "periods": 5, "timing": timing, "with": [150, 160, 165, 165, 160],
           "without": [100, 100, 100, 100, 100], "discount_rate": 0.14,
           "income_basis": "post_tax", "rate_basis": "post_tax"}
    assert _income(_appraise(_card("licensing", income=inc)))["estimate"] == pytest.approx(expected, rel=1e-9)


def test_income_royalty_relief():
    # DOMAIN §3.3 许可费节省: F_t = revenue × royalty × (1 − tax) = rev × 0.05 × 0.75
    #   F = 75,000, 82,500, 90,000; i = 12 %:
    #   66,964.2857 + 65,768.4949 + 64,060.2223 = 196,793.0029
    inc = {"model": "royalty", "periods": 3, "revenue": [2_000_000, 2_200_000, 2_400_000], "royalty_rate": 0.05,
           "tax_rate": 0.25, "discount_rate": 0.12, "income_basis": "post_tax", "rate_basis": "post_tax"}
    assert _income(_appraise(_card("licensing", income=inc)))["estimate"] == pytest.approx(196_793.0029, abs=0.001)


def test_income_split_given_rate():
    # F_t = R_t × K = base × 0.2 = 400,000, 440,000, 480,000; i = 12 %:
    #   357,142.8571 + 350,765.3061 + 341,654.5190 = 1,049,562.6822
    inc = {"model": "split", "periods": 3, "base": [2_000_000, 2_200_000, 2_400_000], "split_rate": 0.2,
           "discount_rate": 0.12, **INC}
    assert _income(_appraise(_card("licensing", income=inc)))["estimate"] == pytest.approx(1_049_562.6822, abs=0.001)


def test_income_split_rate_by_equivalent_investment():
    # DOMAIN §3.5 item 1: K = data × (1 + r_d) / (data × (1 + r_d) + other × (1 + r_o))
    #   = 2,000,000 × 1.1 / (2,200,000 + 6,000,000 × 1.2) = 2.2 / 9.4 = 0.234042553
    # P = K × 1,000,000 × (1/1.1 + 1/1.21) = 234,042.553 × 1.73553719 = 406,189.5551
    inc = {"model": "split", "periods": 2, "base": [1_000_000, 1_000_000], "discount_rate": 0.10, **INC,
           "split": {"method": "equivalent_investment", "data_investment": 2_000_000, "data_profit_rate": 0.10,
                     "other_investment": 6_000_000, "other_profit_rate": 0.20}}
    r = _income(_appraise(_card("licensing", income=inc)))
    assert r["details"]["split_rate"] == pytest.approx(2.2 / 9.4, rel=REL)
    assert r["estimate"] == pytest.approx(406_189.5551, abs=0.001)


def test_income_scenarios_each_with_its_share_and_rate():
    # DOMAIN §3.5 item 5: P = Σ_k Σ_t R_kt × j_k / (1 + r_k)^t
    #   k = 1: 0.3 × (1,000,000/1.1 + 1,200,000/1.21) = 0.3 × 1,900,826.4463 = 570,247.9339
    #   k = 2 (own rate 15 %): 0.2 × (2,000,000/1.15 + 2,000,000/1.3225) = 0.2 × 3,251,417.7694
    #        = 650,283.5539
    #   P = 1,220,531.4878
    inc = {"model": "direct", "periods": 2, "discount_rate": 0.10, **INC,
           "scenarios": [{"name": "营销", "share": 0.3, "income": [1_000_000, 1_200_000]},
                         {"name": "风控", "share": 0.2, "discount_rate": 0.15, "income": [2_000_000, 2_000_000]}]}
    assert _income(_appraise(_card("licensing", income=inc)))["estimate"] == pytest.approx(1_220_531.4878, abs=0.001)


def test_income_build_up_discount_rate():
    # DOMAIN §3.6: i = r_f + 管理 + 流通 + 安全 + 监管 = 0.025 + 0.03 + 0.02 + 0.03 + 0.02 = 0.125
    # P = 1,000,000 / 1.125 + 1,000,000 / 1.265625 = 888,888.8889 + 790,123.4568 = 1,679,012.3457
    inc = {"model": "direct", "periods": 2, "income": [1_000_000, 1_000_000], **INC,
           "discount": {"method": "build_up", "risk_free": 0.025, "management": 0.03, "circulation": 0.02,
                        "security": 0.03, "regulation": 0.02}}
    r = _income(_appraise(_card("licensing", income=inc)))
    assert r["details"]["discount_rate"] == pytest.approx(0.125, rel=REL)
    assert r["estimate"] == pytest.approx(1_679_012.3457, abs=0.001)


def test_income_wacc_plus_premium_discount_rate():
    # DOMAIN §3.4/§3.6: i = WACC + premium = 0.09 + 0.04 = 0.13
    # P = 1,000,000 / 1.13 + 1,000,000 / 1.2769 = 884,955.7522 + 783,146.6834 = 1,668,102.4356
    inc = {"model": "direct", "periods": 2, "income": [1_000_000, 1_000_000], **INC,
           "discount": {"method": "wacc", "wacc": 0.09, "premium": 0.04}}
    assert _income(_appraise(_card("licensing", income=inc)))["estimate"] == pytest.approx(1_668_102.4356, abs=0.001)


def test_income_life_cut_by_rights_term_inside_a_period():
    # Rights end 2028-06-30: 912 days after 2025-12-31 → 912 / 365 = 2.498630137 years
    # (art. 21(7), DOMAIN §1.3(b)): periods 1, 2 whole; period 3 weighted 0.498630137; 4, 5 dropped.
    # The engine discounts the cut period's flow at its full period end (τ = 3):
    # P = 1,000,000/1.1 + 1,000,000/1.21 + 0.498630137 × 1,000,000/1.331
    #   = 909,090.9091 + 826,446.2810 + 374,628.2021 = 2,110,165.3922
    asset = _asset(rights={"type": "processing_use", "exclusivity": "non_exclusive", "term_end": "2028-06-30"})
    inc = {"model": "direct", "periods": 5, "income": [1_000_000] * 5, "discount_rate": 0.10, **INC}
    d = _appraise(_card("licensing", asset=asset, income=inc))
    r = _income(d)
    assert r["details"]["life"] == pytest.approx(912 / 365, rel=REL)
    assert r["details"]["life_bound"] == "rights"
    assert r["estimate"] == pytest.approx(2_110_165.3922, abs=0.001)
    assert "LIFE_TRUNCATED_TO_RIGHTS" in _warning_codes(d)


def test_income_life_ends_on_the_fifth_anniversary():
    # Rights end 2030-12-31, the fifth anniversary of 2025-12-31: life = 5 years exactly, period 6
    # (2030-12-31 → 2031-12-31) lies wholly after the term.
    # P = 1,000,000 × Σ_{t=1..5} 1.1^−t = 3,790,786.7694
    asset = _asset(rights={"type": "processing_use", "exclusivity": "non_exclusive", "term_end": "2030-12-31"})
    inc = {"model": "direct", "periods": 6, "income": [1_000_000] * 6, "discount_rate": 0.10, **INC}
    r = _method(_appraise(_card("licensing", asset=asset, income=inc)), "income")
    assert r["estimate"] == pytest.approx(3_790_786.7694, abs=0.001)


def test_income_attrition_cutoff_ends_the_life():
    # DOMAIN §3.4: survival (1 − 0.5)^(t−1) = 1, 0.5, 0.25, 0.125, 0.0625, 0.03125; stop when
    # survival < 5 % → period 6 (0.03125) is dropped, life = 5.
    # P = 1,000,000 × (1/1.1 + 0.5/1.21 + 0.25/1.331 + 0.125/1.4641 + 0.0625/1.61051)
    #   = 909,090.9091 + 413,223.1405 + 187,828.7002 + 85,376.6819 + 38,807.5827 = 1,634,327.0144
    inc = {"model": "direct", "periods": 6, "income": [1_000_000] * 6, "discount_rate": 0.10, **INC,
           "attrition": {"rate": 0.5, "start_period": 2}}
    r = _income(_appraise(_card("licensing", income=inc)))
    assert r["details"]["life"] == 5.0 and r["details"]["life_bound"] == "attrition"
    assert r["estimate"] == pytest.approx(1_634_327.0144, abs=0.001)


def test_income_attrition_carries_into_the_growth_tail():
    # Tail with attrition 10 % a year: the tail's flows keep losing users, growth
    # (1 + g)(1 − a) − 1 = 1.02 × 0.9 − 1 = −0.082, and the tail stops when the survival falls
    # below the 5 % cut-off (DOMAIN §3.4):
    #   explicit: 1,000,000 × Σ 0.9^(t−1) / 1.1^t = 909,090.9091 + 743,801.6529 + 608,564.9887
    #             + 497,916.8090 + 407,386.4801 = 3,166,760.8397
    #   survival S_5 = 0.9^4 = 0.6561; tail year k survives 0.6561 × 0.9^k ≥ 0.05 for k ≤ 24
    #   (k = 24: 0.05233; k = 25: 0.04710), i.e. k ≤ ln(0.05 / 0.6561) / ln(0.9) = 24.43
    #   tail: Σ_{k=1..24} 656,100 × 0.918^k / 1.1^(5+k) = 656,100 / 1.61051 × 0.8345454…
    #         × (1 − 0.8345454…^24) / (1 − 0.8345454…) = 2,028,073.8474 (0.918 / 1.1 = 0.8345454…)
    #   P = 5,194,834.6871 (a perpetual tail would give 5,221,600.3381)
    inc = {"model": "direct", "periods": 5, "income": [1_000_000] * 5, "discount_rate": 0.10,
           "terminal_growth": 0.02, **INC, "attrition": {"rate": 0.10, "start_period": 2}}
    r = _income(_appraise(_card("licensing", income=inc)))
    assert r["details"]["pv_explicit"] == pytest.approx(3_166_760.8397, abs=0.001)
    assert r["estimate"] == pytest.approx(5_194_834.6871, abs=0.001)


def test_income_attrition_cutoff_also_ends_the_tail():
    # survival 1, 0.5, 0.25, 0.125, 0.0625 in the forecast; the next year 0.03125 < 5 % → stop.
    # P = explicit only = 1,634,327.0144 (as in test_income_attrition_cutoff_ends_the_life)
    inc = {"model": "direct", "periods": 5, "income": [1_000_000] * 5, "discount_rate": 0.10,
           "terminal_growth": 0.02, **INC, "attrition": {"rate": 0.5, "start_period": 2}}
    r = _income(_appraise(_card("licensing", income=inc)))
    assert r["estimate"] == pytest.approx(1_634_327.0144, abs=0.001)


# 3 forecast years of 1,000,000 at 10 %, tail growth 2 %
TV_INC = {"model": "direct", "periods": 3, "income": [1_000_000] * 3, "discount_rate": 0.10,
          "terminal_growth": 0.02, **INC}
PV3 = 2_486_851.9910   # 1,000,000 × (1/1.1 + 1/1.21 + 1/1.331) = 909,090.9091 + 826,446.2810 + 751,314.8009


def test_income_terminal_value_gordon_without_a_term():
    # No finite term: TV = F_3 (1 + g) / (i − g) × v_3 = 1,020,000 / 0.08 / 1.331 = 9,579,263.7115
    # P = 2,486,851.9910 + 9,579,263.7115 = 12,066,115.7025
    r = _income(_appraise(_card("licensing", income=TV_INC)))
    assert r["details"]["pv_terminal"] == pytest.approx(9_579_263.7115, abs=0.001)
    assert r["estimate"] == pytest.approx(12_066_115.7025, abs=0.001)


def test_income_terminal_value_with_a_finite_rights_term():
    # Rights end 2032-12-31 = 7 calendar years after 2025-12-31 → L = 7 − 3 = 4 years of tail
    # (POLICY_CHOICES §3, art. 21(7)): nothing beyond the term, the four years after the forecast:
    #   1,020,000/1.1^4 + 1,040,400/1.1^5 + 1,061,208/1.1^6 + 1,082,432.16/1.1^7
    #   = 696,673.7245 + 646,006.5445 + 599,024.2504 + 555,458.8503 = 2,497,163.3697
    # (the hand sum, not the engine's closed form TV × (1 − q^4), q = 1.02/1.1)
    # P = 2,486,851.9910 + 2,497,163.3697 = 4,984,015.3607
    asset = _asset(rights={"type": "processing_use", "exclusivity": "non_exclusive", "term_end": "2032-12-31"})
    d = _appraise(_card("licensing", asset=asset, income=TV_INC))
    r = _income(d)
    assert r["details"]["tail_years"] == 4.0
    assert r["details"]["pv_terminal"] == pytest.approx(2_497_163.3697, abs=0.01)
    assert r["estimate"] == pytest.approx(4_984_015.3607, abs=0.01)
    assert "TERMINAL_LIMITED_TO_TERM" in _warning_codes(d)


def test_income_terminal_value_dropped_when_the_term_ends_with_the_forecast():
    # Rights end 2028-12-31 = the third anniversary: L = 3 − 3 = 0 → no tail; P = PV3.
    asset = _asset(rights={"type": "processing_use", "exclusivity": "non_exclusive", "term_end": "2028-12-31"})
    d = _appraise(_card("licensing", asset=asset, income=TV_INC))
    r = _income(d)
    assert r["details"]["pv_terminal"] == 0.0
    assert r["details"]["life"] == 3.0        # the forecast itself is not cut (1,096 days / 365 > 3)
    assert r["estimate"] == pytest.approx(PV3, abs=0.001)
    assert "TERMINAL_DROPPED" in _warning_codes(d)


def test_income_f6_publication_rounding_uses_four_decimal_factors():
    # DOMAIN §8.1/§9 publication mode: factors 1/1.14^t to 4 dp: 0.8772, 0.7695, 0.6750, 0.5921, 0.5194
    # P = 50 × 0.8772 + 60 × 0.7695 + 65 × 0.6750 + 65 × 0.5921 + 60 × 0.5194
    #   = 43.86 + 46.17 + 43.875 + 38.4865 + 31.164 = 203.5555 (exact mode: 203.5482)
    inc = {"model": "incremental", "periods": 5, "with": [150, 160, 165, 165, 160], "without": [100] * 5,
           "discount_rate": 0.14, "income_basis": "post_tax", "rate_basis": "post_tax"}
    d = _appraise(_card("licensing", income=inc, engagement={"rounding": "publication"}))
    assert _income(d)["estimate"] == pytest.approx(203.5555, abs=1e-9)


@pytest.mark.parametrize("timing,expected", [
    # valuation 2025-06-30, first period ends 2025-12-31: f = 184 / 365 = 0.504109589 years
    # end: τ = f, f + 1, f + 2 → 1.1^−0.504110 = 0.953089, then ÷ 1.1 = 0.866445, ÷ 1.1 = 0.787677
    #   P = 1,000,000 × (0.953089 + 0.866445 + 0.787677) = 2,607,211 (to the nearest 元)
    ("end", 2_607_210.9650),
    # mid: τ = f/2, f + ½, f + 1½ = 0.252055, 1.004110, 2.004110 → 0.976263, 0.908735, 0.826123
    #   P = 2,711,120 (to the nearest 元)
    ("mid", 2_711_120.4150),
])
def test_income_partial_first_period_fractional_exponents(timing, expected):
    # DOMAIN §3.2 partial first period: t_k = days from the valuation date to the end / middle of
    # period k, / 365. The first period's flow is taken as given (the stub's income, not pro-rated).
    inc = {"model": "direct", "periods": 3, "timing": timing, "first_period_end": "2025-12-31",
           "income": [1_000_000] * 3, "discount_rate": 0.10, **INC}
    d = _appraise(_card("licensing", income=inc, engagement={"valuation_date": "2025-06-30"}))
    assert _income(d)["estimate"] == pytest.approx(expected, abs=0.5)
    f = 184 / 365
    taus = [f, f + 1, f + 2] if timing == "end" else [f / 2, f + 0.5, f + 1.5]
    assert _income(d)["estimate"] == pytest.approx(sum(1_000_000 / 1.1 ** t for t in taus), rel=1e-12)


def test_income_life_cut_by_a_contract_term():
    # DOMAIN §3.6: n = min(…, contract term, …) = min(5, 2.5) = 2.5
    # P = 1,000,000/1.1 + 1,000,000/1.21 + 0.5 × 1,000,000/1.331
    #   = 909,090.9091 + 826,446.2810 + 375,657.4005 = 2,111,194.5905
    inc = {"model": "direct", "periods": 5, "income": [1_000_000] * 5, "discount_rate": 0.10, **INC,
           "life": {"contract_years": 2.5}}
    r = _income(_appraise(_card("licensing", income=inc)))
    assert r["details"]["life_bound"] == "contract"
    assert r["estimate"] == pytest.approx(2_111_194.5905, abs=0.001)


def test_income_basis_mismatch_is_refused():
    # DOMAIN §3.1(6)/§3.6: the discount-rate basis must match the income basis (pre-tax income
    # discounted at a post-tax rate is refused, not valued).
    inc = {"model": "direct", "periods": 2, "income": [1_000_000] * 2, "discount_rate": 0.10,
           "income_basis": "pre_tax", "rate_basis": "post_tax"}
    assert not _income(_appraise(_card("licensing", income=inc)))["applicable"]


RENEWAL_INC = {"model": "direct", "periods": 5, "income": [1_000_000] * 5, "discount_rate": 0.10, **INC}


def test_income_documented_renewal_lifts_the_rights_bound():
    # Rights end 2028-06-30 but a renewal to 2031-12-31 is documented with its evidence
    # (POLICY_CHOICES §3, DOMAIN §1.3(b)): the 5 forecast years are all within the renewed term:
    # P = 1,000,000 × (1/1.1 + 1/1.21 + 1/1.331 + 1/1.4641 + 1/1.61051)
    #   = 909,090.9091 + 826,446.2810 + 751,314.8009 + 683,013.4554 + 620,921.3231 = 3,790,786.7694
    rights = {"type": "processing_use", "exclusivity": "non_exclusive", "term_end": "2028-06-30",
              "renewal_documented": True, "renewal_evidence": "授权协议第8条续期条款", "renewal_term_end": "2031-12-31"}
    r = _income(_appraise(_card("licensing", asset=_asset(rights=rights), income=RENEWAL_INC)))
    assert r["details"]["life"] == 5.0
    assert r["estimate"] == pytest.approx(3_790_786.7694, abs=0.001)


def test_income_renewal_without_evidence_is_not_relied_on():
    # Same card, renewal claimed without evidence: the term 2028-06-30 still binds (912 / 365
    # years) → P = 2,110,165.3922 as in test_income_life_cut_by_rights_term_inside_a_period.
    rights = {"type": "processing_use", "exclusivity": "non_exclusive", "term_end": "2028-06-30",
              "renewal_documented": True}
    d = _appraise(_card("licensing", asset=_asset(rights=rights), income=RENEWAL_INC))
    assert _income(d)["estimate"] == pytest.approx(2_110_165.3922, abs=0.001)
    assert "RENEWAL_WITHOUT_EVIDENCE" in _warning_codes(d)
