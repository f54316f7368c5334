"""An approach on rows of perturbed inputs (issue 20 step 4): the income approach's inputs are
read once from the portfolio and valued taken at the rows with the drawn values set — no
portfolio of the rows, no explanation. A row's value is the appraisal of its card with that
input changed."""
import copy

import numpy as np
import pytest

from valuation.core.portfolio import Portfolio
from valuation.methods import income
from valuation.methods.income.approach import INCOME
from valuation.pricing import perturbed
from valuation.pricing.params import Param
from valuation.pricing.perturbed import ApproachRun, evaluate
from valuation.pricing.weights import default_methods

BASE = {"asset": {"asset_id": "A", "name": "A"}, "engagement": {"valuation_date": "2025-12-31"}}
RATE = Param("i", "discount", "i", "i", {"type": "fixed"})
ROYALTY = Param("k", "column", "k", "k", {"type": "fixed"}, target=("income_royalty_rate",))
REVENUE = Param("f", "series", "f", "f", {"type": "fixed"}, target=("income.revenue", "income.income"))


def _card(aid: str, **income_section) -> dict:
    c = copy.deepcopy(BASE)
    c["asset"]["asset_id"] = aid
    c["income"] = income_section
    return c


def _direct(aid: str = "A", rate: float = 0.1) -> dict:
    return _card(aid, model="direct", periods=3, income=[100.0, 100.0, 100.0], discount_rate=rate)


def _royalty(aid: str = "B") -> dict:
    return _card(aid, model="royalty", periods=4, revenue=[1000.0, 1100.0, 1200.0, 1300.0], royalty_rate=0.05,
                 tax_rate=0.25, discount_rate=0.12, terminal_growth=0.02)


@pytest.fixture
def guard(monkeypatch):
    """``guard()`` from then on counts the income approach's input reads and fails the test on
    its explanation or on a portfolio of the rows."""
    n = {"inputs": 0}
    inputs = type(INCOME).inputs

    def counting(self, pf, params):
        n["inputs"] += 1
        return inputs(self, pf, params)

    def arm() -> dict:
        monkeypatch.setattr(type(INCOME), "inputs", counting)
        monkeypatch.setattr(type(INCOME), "explain", lambda *a, **k: pytest.fail("explain on the rows"))
        monkeypatch.setattr(perturbed, "_rows", lambda *a, **k: pytest.fail("a portfolio of the rows"))
        return n
    return arm


def test_a_drawn_discount_rate_is_valued_by_hand(guard):
    """P = Σ 100 / (1 + i)^t, t = 1..3: at i = 0.2, 100/1.2 + 100/1.44 + 100/1.728 = 210.6481…;
    a NaN row keeps the card's 10 %: 100/1.1 + 100/1.21 + 100/1.331 = 248.6852…"""
    pf = Portfolio.from_cards([_direct()])
    run = default_methods(None, ("income",))["income"]
    counted = guard()
    (r,) = evaluate([run], pf, np.array([0, 0]), [RATE], [np.array([0.2, np.nan])])
    np.testing.assert_allclose(r.values, [210.64814814814815, 248.68519909842224], rtol=1e-12)
    assert counted["inputs"] == 1                       # read once, for all rows
    assert r.coverage(0.5) == 0.8                       # the income model's own band


def test_each_row_is_its_card_with_the_input_changed(guard):
    """Rows of two assets in any order, with a drawn rate, royalty rate and a factor on the
    revenue: each row's value is the income approach on the card carrying those inputs."""
    cards = [_direct("A", 0.1), _royalty("B")]
    pf = Portfolio.from_cards(cards)
    pos = np.array([1, 0, 1, 1, 0])
    rate = np.array([0.15, 0.08, np.nan, 0.01, np.nan])       # 0.01 < g + 0.5 pp: lifted to 0.025
    royalty = np.array([0.07, np.nan, np.nan, np.nan, np.nan])
    factor = np.array([np.nan, 1.1, 0.9, np.nan, 2.0])
    expected = []
    for k, p in enumerate(pos):
        c = copy.deepcopy(cards[p])
        inc = c["income"]
        if not np.isnan(rate[k]):
            inc["discount_rate"] = max(rate[k], 0.02 + 0.005) if "terminal_growth" in inc else rate[k]
        if not np.isnan(royalty[k]):
            inc["royalty_rate"] = royalty[k]
        if not np.isnan(factor[k]):
            key = "revenue" if "revenue" in inc else "income"
            inc[key] = [v * factor[k] for v in inc[key]]
        expected.append(float(income.appraise(Portfolio.from_card(c), trace=False).estimates()[0]))
    counted = guard()
    (r,) = evaluate([ApproachRun(INCOME, INCOME.params(None))], pf, pos, [RATE, ROYALTY, REVENUE],
                    [rate, royalty, factor])
    assert counted["inputs"] == 1
    np.testing.assert_allclose(r.values, expected, rtol=1e-12)
    assert r.values[0] != r.values[2]                     # the drawn inputs moved the values


def test_a_function_that_is_not_an_approach_gets_the_rows_portfolio():
    """A value function of a portfolio (a face's composite, a stand-in) still runs on the rows."""
    pf = Portfolio.from_cards([_direct()])
    seen = []

    def f(rows):
        seen.append(len(rows))
        return income.appraise(rows, trace=False).estimates()
    (r,) = evaluate([f], pf, np.array([0, 0]), [RATE], [np.array([0.2, np.nan])])
    assert seen == [2]
    np.testing.assert_allclose(r.values, [210.64814814814815, 248.68519909842224], rtol=1e-12)


def test_a_drawn_column_outside_the_asset_table_takes_the_rows_portfolio():
    """A model's own input (a column of a portfolio made from a frame, no schema field) is
    carried only by a portfolio of the rows: the approach's taken inputs would drop it."""
    pf = Portfolio.from_cards([_direct()])
    run = ApproachRun(INCOME, INCOME.params(None))
    pos = np.array([0, 0])
    assert run.on_rows(pf, pos, {"my_weight": np.array([1.0, 2.0])}, {}) is None
    r = run.on_rows(pf, pos, {"income_discount_rate": np.array([0.2, 0.1])}, {})
    np.testing.assert_allclose(r.values, [210.64814814814815, 248.68519909842224], rtol=1e-12)
