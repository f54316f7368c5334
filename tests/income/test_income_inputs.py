"""The income approach's inputs are arrays (no portfolio inside): a perturbed input is a
``dataclasses.replace`` of them, and the kernel gives what a card with that input gives."""
import copy
import json
from dataclasses import fields, replace

import numpy as np
import pytest

from valuation.core.portfolio import Portfolio
from valuation.core.ragged import Ragged
from valuation.methods.income import INCOME


def _e01():
    return json.load(open("examples/cards/E01_soe_transport_licensing.json", encoding="utf-8"))


def test_inputs_hold_arrays_not_the_portfolio():
    pf = Portfolio.from_card(_e01())
    x = INCOME.inputs(pf, INCOME.params())
    for f in fields(x):
        v = getattr(x, f.name)
        assert not isinstance(v, Portfolio), f.name
        assert v is None or isinstance(v, (np.ndarray, dict, list, Ragged)) or f.name in ("t", "streams"), f.name
    assert x.t is pf.columns                              # the typed asset table itself
    assert all(isinstance(a, np.ndarray) and a.dtype == float for a in x.streams.values())
    assert x.model.tolist() == ["royalty"]


def test_replaced_rate_is_the_card_with_that_rate():
    """E01 (royalty, build-up rate 1.75 % + 3 + 3 + 2.5 + 2 % = 12.25 %): the kernel on the inputs
    with the given rate replaced by 9 % equals the card that gives i = 9 %; a rate given on the
    card wins over the build-up (art. 21(5))."""
    p = INCOME.params()
    x = INCOME.inputs(Portfolio.from_card(_e01()), p)
    base = INCOME.value(x, p)
    t = x.t.with_columns(income_discount_rate=np.array([0.09]))
    got = INCOME.value(replace(x, t=t), p)
    card = copy.deepcopy(_e01())
    del card["income"]["discount"]
    card["income"]["discount_rate"] = 0.09
    want = INCOME.appraise(Portfolio.from_card(card), p)
    assert want.frame["discount_rate"].iloc[0] == 0.09
    assert got.estimate[0] == pytest.approx(want.frame["estimate"].iloc[0], rel=1e-12)
    assert got.estimate[0] > base.estimate[0]             # a lower rate, a higher value


def test_royalty_value_by_hand():
    """Relief from royalty, F_t = revenue_t × 8 % × (1 − 25 %), mid-period, i = 10 %, no tail:
    revenue 100, 110 → F = 6, 6.6; P = 6 / 1.1^0.5 + 6.6 / 1.1^1.5 = 5.72078 + 5.72078 = 11.44155."""
    card = _e01()
    card["income"] = {"model": "royalty", "periods": 2, "timing": "mid", "revenue": [100.0, 110.0],
                      "royalty_rate": 0.08, "tax_rate": 0.25, "income_basis": "post_tax",
                      "rate_basis": "post_tax", "discount_rate": 0.10}
    p = INCOME.params()
    v = INCOME.value(INCOME.inputs(Portfolio.from_card(card), p), p)
    want = 6 / 1.1 ** 0.5 + 6.6 / 1.1 ** 1.5
    assert v.estimate[0] == pytest.approx(want, rel=1e-12)
    assert want == pytest.approx(11.44155, abs=1e-5)


def test_one_appraisal_reads_the_income_inputs_once(monkeypatch):
    """The engine's income run and the Monte Carlo's runs on perturbed rows of the same
    portfolio share one read of the inputs (``Approach.inputs_of``): E01's single appraisal
    draws its range by Monte Carlo, which read them a second time before."""
    from valuation import api
    from valuation.methods.income import approach

    before = api.appraise(_e01()).to_dict()
    reads = []
    real = approach.income_inputs
    monkeypatch.setattr(approach, "income_inputs", lambda pf, p: reads.append(1) or real(pf, p))
    res = api.appraise(_e01())
    assert res.to_dict() == before
    assert res.to_dict()["coverage_basis"]["guided_range"]["method"] == "monte_carlo"
    assert len(reads) == 1
