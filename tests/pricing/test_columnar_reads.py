"""The reconciliation's reads without a Python step per asset (CAS 2023 art. 24): weight rules
matched by enum code, the analytic mixture's quantiles in one call, text columns with one
missing convention."""
import numpy as np
import pytest
from pricing_standins import card

from valuation.core.portfolio import Portfolio
from valuation.methods.base import text_where
from valuation.methods.result import MethodResult
from valuation.pricing.uncertainty import mixture_quantiles
from valuation.pricing.weights import weights

NAMES = ("cost", "income", "market")


def test_weight_rules_match_purpose_and_value_type_by_code():
    # rule 0: purpose licensing or an unknown label (matches nothing by itself); rule 1: value
    # type investment; rule 2: purpose transfer AND value type liquidation; no rule: equal
    # weights. By hand: A licensing → rule 0 (income); B other/investment → rule 1 (cost);
    # C transfer/liquidation → rule 2 (market); D transfer/market → none (1/3 each).
    rules = [{"purpose": ["licensing", "no_such_purpose"], "weights": {"income": 1.0}},
             {"value_type": "investment", "weights": {"cost": 1.0}},
             {"purpose": "transfer", "value_type": "liquidation", "weights": {"market": 1.0}}]
    pf = Portfolio.from_cards([card("A", purpose="licensing"), card("B", value_type="investment"),
                               card("C", purpose="transfer", value_type="liquidation"),
                               card("D", purpose="transfer")])
    W, meta = weights(pf, np.ones((4, 3), bool), {"weights": rules}, NAMES)
    assert meta["rule"].tolist() == [0, 1, 2, -1]
    assert W.tolist() == [[0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [1 / 3, 1 / 3, 1 / 3]]
    assert meta["weights_source"].tolist() == ["model"] * 4


def test_mixture_quantiles_of_one_approach_are_its_band_and_one_call_gives_each():
    # row 0: all weight on one approach (est 100, band [80, 125] at coverage 0.8): its 0.1 and
    # 0.9 quantiles are the band's ends and its median the estimate (by construction of the
    # two-piece distribution; 1e-12 relative). Row 1 mixes two approaches (bisection). Asking
    # for the three quantiles at once gives what three calls give (the same numbers exactly).
    est = np.array([[100.0, np.nan], [100.0, 200.0]])
    low = np.array([[80.0, np.nan], [80.0, 150.0]])
    high = np.array([[125.0, np.nan], [125.0, 260.0]])
    cov = np.array([0.8, 0.8])
    w = np.array([[1.0, 0.0], [0.5, 0.5]])
    probs = [np.full(2, 0.1), np.full(2, 0.9), np.full(2, 0.5)]
    lo, hi, med = mixture_quantiles(est, low, high, cov, w, probs)
    assert [lo[0], hi[0], med[0]] == pytest.approx([80.0, 125.0, 100.0], rel=1e-12)
    assert lo[1] < med[1] < hi[1] and 80.0 < med[1] < 260.0
    for p, got in zip(probs, (lo, hi, med)):
        assert np.array_equal(mixture_quantiles(est, low, high, cov, w, [p])[0], got)


def test_text_columns_have_one_missing_convention():
    # None and NaN are missing (""), text stays as it is; a column without text is all ""
    v = np.array(["理由", None, float("nan"), "", "x"], dtype=object)
    r = MethodResult("m", None, columns={"reason_zh": v}, index=list("abcde"))
    assert r.txt("reason_zh").tolist() == ["理由", "", "", "", "x"]
    assert r.txt("absent").tolist() == [""] * 5
    assert text_where(np.array([True, False, True]), "yes", "").tolist() == ["yes", "", "yes"]
