"""More income-approach cases: an independently computed relief-from-royalty reference (Python
decimal, separate loop), life bounds and attrition cut-off, build-up defaults and their
sources, single-asset refusals, WARA, forecasts from a synthetic trend.
Tolerances stated per test."""
import copy
from decimal import Decimal as D
from decimal import getcontext

import numpy as np
import pytest

from valuation.core.errors import RefusedError, ValidationError
from valuation.core.portfolio import Portfolio
from valuation.methods import income
from valuation.methods.income import appraise_one, wara
from valuation.methods.income.forecast import forecast_history

BASE = {"asset": {"asset_id": "X", "name": "X"}, "engagement": {"valuation_date": "2025-12-31"}}


def card(inc, asset=None, **eng):
    c = copy.deepcopy(BASE)
    c["income"] = copy.deepcopy(inc)
    c["asset"].update(asset or {})
    c["engagement"].update(eng)
    return c


def row(c, **kw):
    return income.appraise(Portfolio.from_card(c), **kw).frame.iloc[0]


# ---------------------------------------------------------------- independent reference
STAGED = {"model": "royalty", "periods": 6,
          "revenue": {"base": 2_400_000, "growth": [0.25, 0.25, 0.12, 0.08], "terminal_growth": 0.025},
          "royalty_rate": 0.045, "tax_rate": 0.15, "discount_rate": 0.135,
          "income_basis": "post_tax", "rate_basis": "post_tax"}


def _decimal_reference(mid: bool) -> D:
    """Relief from royalty, growth stages 25 %, 25 %, 12 %, 8 % (8 % repeats in year 6), a
    Gordon tail at 2.5 %, computed with 40-digit decimals in a plain loop (not the engine):

        revenue_1 = 2,400,000; revenue_t = revenue_{t-1} × (1 + g_t)
        F_t = revenue_t × 4.5 % × (1 − 15 %)
        P = Σ F_t / 1.135^t + F_6 × 1.025 / (0.135 − 0.025) / 1.135^6    (end of period)
        mid period: every exponent − 0.5 (the tail too).

    By hand: revenue 2,400,000; 3,000,000; 3,750,000; 4,200,000; 4,536,000; 4,898,880;
    F = revenue × 0.03825 = 91,800; 114,750; 143,437.5; 160,650; 173,502; 187,382.16;
    PV explicit ≈ 80,881 + 89,078 + 98,104 + 96,806 + 92,118 + 87,657 ≈ 544,644;
    TV = 187,382.16 × 1.025 / 0.11 = 1,746,061.04, / 1.135^6 (2.13717) ≈ 816,989;
    P ≈ 1,361,370 (the decimal loop gives 1,361,368.3156; mid = that × 1.135^0.5 = 1,450,352.5050).
    """
    getcontext().prec = 40
    growth = [D("0.25"), D("0.25"), D("0.12"), D("0.08"), D("0.08")]
    rev = [D(2_400_000)]
    for g in growth:
        rev.append(rev[-1] * (1 + g))
    i, gt = D("0.135"), D("0.025")
    shift = D("0.5") if mid else D(0)
    total = D(0)
    for t, r in enumerate(rev, start=1):
        f = r * D("0.045") * (1 - D("0.15"))
        total += f / (1 + i) ** (D(t) - shift) if not mid else f / ((1 + i) ** t / (1 + i).sqrt())
    f6 = rev[-1] * D("0.045") * (1 - D("0.15"))
    tv = f6 * (1 + gt) / (i - gt)
    total += tv / (1 + i) ** 6 * ((1 + i).sqrt() if mid else 1)
    return total


def test_staged_royalty_with_tail_matches_decimal_reference_to_the_cent():
    # frozen from _decimal_reference(False) / (True): 1,361,368.32 and 1,450,352.51
    end_ref, mid_ref = _decimal_reference(False), _decimal_reference(True)
    assert round(float(end_ref), 2) == 1361368.32
    assert round(float(mid_ref), 2) == 1450352.51
    assert round(row(card(STAGED))["estimate"], 2) == 1361368.32
    assert round(row(card(dict(STAGED, timing="mid")))["estimate"], 2) == 1450352.51


# ---------------------------------------------------------------- life
def test_life_is_the_smallest_bound_and_reported():
    inc = {"model": "direct", "periods": 8, "income": [100.0] * 8, "discount_rate": 0.1,
           "life": {"contract_years": 6, "timeliness_years": 4, "product_years": 7}}
    r = row(card(inc))
    assert r["life_bound"] == "timeliness" and r["life"] == 4
    assert r["estimate"] == pytest.approx(100 * (1 - 1.1 ** -4) / 0.1, rel=1e-12)


def test_life_beyond_rights_truncated_with_warning_and_terminal_dropped():
    inc = {"model": "royalty", "periods": 6, "revenue": [1000.0] * 6, "royalty_rate": 0.1, "discount_rate": 0.1,
           "terminal_growth": 0.02}
    c = card(inc, {"rights": {"type": "processing_use", "term_end": "2028-06-30"}})
    res = income.appraise(Portfolio.from_card(c))
    r = res.frame.iloc[0]
    rights = (np.datetime64("2028-06-30") - np.datetime64("2025-12-31")).astype(int) / 365
    assert r["life_bound"] == "rights" and r["life"] == pytest.approx(rights, abs=1e-12)
    # two full years plus the share (rights − 2) of year 3, no perpetuity beyond the rights
    expected = 100 / 1.1 + 100 / 1.21 + (rights - 2) * 100 / 1.331
    assert r["estimate"] == pytest.approx(expected, rel=1e-12) and r["pv_terminal"] == 0
    codes = [w["code"] for w in res.warnings["X"]]
    assert "LIFE_TRUNCATED_TO_RIGHTS" in codes and "TERMINAL_DROPPED" in codes
    msg = next(w for w in res.warnings["X"] if w["code"] == "LIFE_TRUNCATED_TO_RIGHTS")
    assert "剩余权利期限" in msg["message_zh"] and "rights term" in msg["message_en"]


def test_expired_rights_not_applicable():
    c = card({"model": "direct", "periods": 3, "income": [1, 2, 3], "discount_rate": 0.1},
             {"rights": {"type": "holding", "term_end": "2025-06-30"}})
    r = row(c)
    assert not r["applicable"] and r["reason_code"] == "no_life" and "art. 21(7)" in r["reason_en"]


def test_attrition_cutoff_stops_income_and_is_the_bound():
    """a = 50 % from period 2: S = 1, 0.5, 0.25, 0.125, 0.0625, 0.03125 → below 5 % in period 6."""
    inc = {"model": "direct", "periods": 8, "income": [100.0] * 8, "discount_rate": 0.1,
           "attrition": {"rate": 0.5, "start_period": 2}}
    r = row(card(inc))
    assert r["life_bound"] == "attrition" and r["life"] == 5
    expected = sum(100 * 0.5 ** (t - 1) / 1.1 ** t for t in range(1, 6))
    assert r["estimate"] == pytest.approx(expected, rel=1e-12)


# ---------------------------------------------------------------- discount rate
def test_build_up_uses_model_default_risk_free_with_source_in_trace():
    inc = {"model": "direct", "periods": 2, "income": [100, 100],
           "discount": {"method": "build_up", "management": 0.03, "circulation": 0.02, "security": 0.02}}
    res = income.appraise(Portfolio.from_card(card(inc)), trace=True)
    assert res.frame.iloc[0]["discount_rate"] == pytest.approx(0.0175 + 0.07, abs=1e-15)
    st = next(s for s in res.traces["X"] if s["step"] == "discount_rate")
    assert st["inputs"]["risk_free"]["value"] == 0.0175
    assert "CGB" in st["inputs"]["risk_free"]["source"]
    assert st["inputs"]["regulation"] == {"value": 0.0, "label": "regulatory risk", "source": "not given (0)"}
    assert "RISK_FREE_DEFAULT" in [w["code"] for w in res.warnings["X"]]
    # a parameter override replaces the library default
    assert income.appraise(Portfolio.from_card(card(inc)), {"risk_free": 0.02}).frame.iloc[0]["discount_rate"] \
        == pytest.approx(0.09, abs=1e-15)


def test_wara_check_against_wacc():
    chk = wara([0.2, 0.3, 0.3, 0.2], [0.04, 0.06, 0.12, 0.16], wacc=0.09)
    assert chk["wara"] == pytest.approx(0.094, abs=1e-15) and chk["ok"]   # 0.008 + 0.018 + 0.036 + 0.032
    bad = wara([0.5, 0.5], [0.04, 0.30], wacc=0.10)
    assert bad["gap"] == pytest.approx(0.07) and not bad["ok"] and "未通过" in bad["message_zh"]
    with pytest.raises(ValidationError):
        wara([0.5, 0.6], [0.1, 0.1], wacc=0.1)


# ---------------------------------------------------------------- refusals
def test_single_asset_api_refuses_with_typed_bilingual_errors():
    base = {"model": "royalty", "periods": 3, "revenue": [100, 100, 100], "royalty_rate": 0.05,
            "tax_rate": 0.25, "discount_rate": 0.12}
    with pytest.raises(RefusedError) as e:
        appraise_one(card(dict(base, rate_basis="pre_tax")))       # royalty after tax is post-tax
    assert e.value.field == "income.rate_basis" and e.value.value == "pre_tax"
    assert "税后" in e.value.message_zh and "post-tax" in e.value.message_en
    with pytest.raises(RefusedError) as e:
        appraise_one(card(dict(base, terminal_growth=0.15)))
    assert e.value.field == "income.terminal_growth" and "i = 12.0000%" in e.value.message_en
    with pytest.raises(RefusedError) as e:
        appraise_one(card({"model": "split", "periods": 2, "base": [1, 2], "discount_rate": 0.1}))
    assert e.value.field == "income.split_rate" and "分成" in e.value.message_zh
    ok = appraise_one(card(base))
    assert ok.frame.iloc[0]["applicable"] and ok.traces["X"]


def test_batch_rows_carry_reasons_instead_of_raising():
    cards = []
    for k, inc in enumerate([
            {"model": "direct", "periods": 2, "income": [1, 1], "discount_rate": 0.1, "rate_basis": "post_tax"},
            {"model": "excess", "periods": 2, "revenue": [1, 1], "discount_rate": 0.1},
            {"model": "direct", "periods": 2, "income": [1, 1], "discount_rate": 0.1, "terminal_growth": 0.1}]):
        c = card(inc)
        c["asset"]["asset_id"] = f"A{k}"
        cards.append(c)
    c = copy.deepcopy(BASE)
    c["asset"]["asset_id"] = "A3"
    cards.append(c)
    fr = income.appraise(Portfolio.from_cards(cards)).frame
    assert list(fr["reason_code"]) == ["basis_mismatch", "missing_stream", "terminal_growth", "no_income"]
    assert not fr["applicable"].any() and fr["estimate"].isna().all()
    assert "income.nopat" in fr.loc["A1", "reason_en"] and "g = 10.0000%" in fr.loc["A2", "reason_en"]
    assert (fr["reason_zh"].str.len() > 0).all()


# ---------------------------------------------------------------- forecasts
def test_forecast_of_a_synthetic_trend_is_close_and_intervals_contain_the_truth():
    rng = np.random.default_rng(11)
    t = np.arange(12)
    hist = 500 + 40 * t + rng.normal(0, 8, 12)
    fc = forecast_history(hist, 4)
    truth = 500 + 40 * np.arange(12, 16)
    np.testing.assert_allclose(fc.mean, truth, rtol=0.05)
    assert (fc.lower <= truth).all() and (truth <= fc.upper).all()
    assert (fc.upper - fc.lower > 0).all() and fc.coverage == 0.8 and len(fc.candidates) >= 2
    arima = forecast_history(hist, 4, method="arima")
    assert arima.model.startswith("arima")


def test_quarterly_history_projects_yearly_sums():
    rng = np.random.default_rng(5)
    q = 100 + 5 * np.arange(16) + rng.normal(0, 2, 16)
    fc = forecast_history(q, 2, frequency="quarterly")
    truth = np.array([sum(100 + 5 * k for k in range(16 + 4 * y, 20 + 4 * y)) for y in range(2)])
    np.testing.assert_allclose(fc.mean, truth, rtol=0.05)
    assert (fc.lower <= truth).all() and (truth <= fc.upper).all()


def test_history_cards_direct_needs_a_margin_royalty_uses_revenue():
    hist = [100, 108, 118, 125, 134, 142, 151, 160]
    r = row(card({"model": "direct", "periods": 3, "discount_rate": 0.1, "history": {"values": hist}}))
    assert not r["applicable"] and "income.history.margin" in r["reason_en"]
    r = row(card({"model": "direct", "periods": 3, "discount_rate": 0.1,
                  "history": {"values": hist, "margin": 0.2}}))
    fc = forecast_history(np.array(hist, float), 3)
    assert r["estimate"] == pytest.approx(sum(0.2 * m / 1.1 ** (k + 1) for k, m in enumerate(fc.mean)), rel=1e-12)
    assert r["low"] < r["estimate"] < r["high"] and r["forecast_model"] == fc.model
    with pytest.raises(ValidationError):
        forecast_history([1, 2, 3], 2)
