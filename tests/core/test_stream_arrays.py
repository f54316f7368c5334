"""Streams of a portfolio of cards as (assets × periods) arrays (core/streams.py): by hand,
taken by ``subset``, and their frames (the edge form) made only when read."""
from __future__ import annotations

import pickle

import numpy as np
import pytest

from valuation.core.portfolio import Portfolio


def _card(aid: str, income, **more) -> dict:
    return {"asset": {"asset_id": aid, "name": aid}, "engagement": {"valuation_date": "2025-06-30"},
            "income": {"model": "direct", "discount_rate": 0.1, "income": income, **more}}


CARDS = [_card("A", [1.0, 2.0, 3.0]), _card("B", {"base": 10.0, "growth": [0.5]}, periods=2),
         {"asset": {"asset_id": "C", "name": "C"}, "engagement": {"valuation_date": "2025-06-30"}}]


def test_stream_arrays_by_hand_and_no_frame_built():
    pf = Portfolio.from_cards(CARDS)
    s = pf.stream_values("income.income")
    # A as given; B over its 2 periods: F_1 = 10, F_2 = 10 × 1.5 = 15; C gives none
    assert s.shape == (3, 3) and not s.flags.writeable
    np.testing.assert_array_equal(s[0], [1.0, 2.0, 3.0])
    assert s[1, :2].tolist() == [10.0, 15.0] and np.isnan(s[1, 2]) and np.isnan(s[2]).all()
    g = pf.stream_values("income.income.growth")          # rates from period 2
    assert g.shape == (3, 2) and np.isnan(g[:, 0]).all() and g[1, 1] == 0.5
    assert pf.stream_values("income.revenue") is None
    assert pf.columns["income_periods"].tolist()[0] == 3.0   # filled from A's list
    assert pf.series._done == {}                           # no frame made by these reads
    with pytest.raises(ValueError):
        s[0, 0] = 9.0


def test_frames_are_the_arrays_with_period_labels():
    pf = Portfolio.from_cards(CARDS)
    fr, gr = pf.series["income.income"], pf.series["income.income.growth"]
    assert list(fr.columns) == [1, 2, 3] and list(gr.columns) == [2]
    assert fr.index.tolist() == ["A", "B", "C"]
    np.testing.assert_array_equal(fr.to_numpy(), pf.stream_values("income.income"))
    assert gr.loc["B", 2] == 0.5
    fr.loc["A", 1] = 99.0                                  # a frame of its own values
    assert pf.stream_values("income.income")[0, 0] == 1.0


def test_subset_takes_the_stream_rows_and_pickles():
    pf = Portfolio.from_cards(CARDS)
    sub = pf.subset(["C", "A"])
    s = sub.stream_values("income.income")
    assert np.isnan(s[0]).all() and s[1].tolist() == [1.0, 2.0, 3.0]
    assert sub.series["income.income"].index.tolist() == ["C", "A"]
    back = pickle.loads(pickle.dumps(sub))
    np.testing.assert_array_equal(back.stream_values("income.income"), s)


def test_a_portfolio_of_frames_reads_its_frames():
    pf = Portfolio.from_cards(CARDS)
    framed = Portfolio(pf.assets, {k: pf.series[k].iloc[::-1] for k in pf.series}, {}, {})
    np.testing.assert_array_equal(framed.stream_values("income.income"), pf.stream_values("income.income"))
    np.testing.assert_array_equal(framed.stream_values("income.income.growth"),
                                  pf.stream_values("income.income.growth"))


def test_a_flat_table_gives_its_streams_as_arrays():
    """Numbered, base + growth_k and both on one stream: the arrays by hand, no frame made."""
    import pandas as pd

    df = pd.DataFrame({
        "asset_id": ["A", "B", "C"], "name": ["A", "B", "C"], "valuation_date": ["2025-06-30"] * 3,
        "income_model": ["direct"] * 3, "income_discount_rate": [0.1] * 3,
        "income_periods": [None, 3, None],
        "income_income_1": [1.0, None, 4.0], "income_income_2": [2.0, None, None],
        "income_income_base": [None, 10.0, None],
        "income_income_growth_1": [None, 0.5, None], "income_income_growth_2": [None, 0.1, None],
    })
    pf = Portfolio.from_table(df)
    s = pf.stream_values("income.income")
    # A: its numbered columns; B: F_1 = 10, F_2 = 10 × 1.5 = 15, F_3 = 15 × 1.1 = 16.5 over its
    # 3 periods (wider than the 2 numbered columns); C: its one numbered value
    assert s.shape == (3, 3) and not s.flags.writeable
    np.testing.assert_array_equal(s[0], [1.0, 2.0, np.nan])
    np.testing.assert_allclose(s[1], [10.0, 15.0, 16.5], rtol=1e-15)
    np.testing.assert_array_equal(s[2], [4.0, np.nan, np.nan])
    g = pf.stream_values("income.income.growth")            # rates from period 2
    assert g.shape == (3, 3) and np.isnan(g[:, 0]).all() and g[1, 1:].tolist() == [0.5, 0.1]
    assert pf.columns["income_periods"].tolist()[::2] == [2.0, 1.0]   # counted from A's and C's
    assert pf.series._done == {}
    assert list(pf.series["income.income.growth"].columns) == [2, 3]
    np.testing.assert_array_equal(pf.series["income.income"].to_numpy(), s)


def test_grow_by_hand():
    """F_1 = base, F_t = F_{t-1}(1 + g_t); a missing rate carries the last given one, rates past
    the given ones repeat the last, none given is 0; NaN after an asset's periods (tolerance:
    the products of a few factors, 1e-15 relative)."""
    from valuation.core.streams import _grow

    base = np.array([100.0, 50.0, 10.0])
    growth = np.array([[0.1, np.nan, 0.2], [np.nan, np.nan, np.nan], [0.5, np.nan, np.nan]])
    got = _grow(base, growth, np.array([4.0, 2.0, 5.0]), 5)
    assert got.shape == (3, 5) and got.flags.c_contiguous
    # row 0: 100, 110, 110 × 1.1 = 121 (the 0.1 carried), 121 × 1.2 = 145.2, then past period 4
    np.testing.assert_allclose(got[0, :4], [100.0, 110.0, 121.0, 145.2], rtol=1e-15)
    assert np.isnan(got[0, 4])
    assert got[1, :2].tolist() == [50.0, 50.0] and np.isnan(got[1, 2:]).all()   # no rate: 0
    # row 2: 0.5 given once, then repeated: 10, 15, 22.5, 33.75, 50.625
    np.testing.assert_allclose(got[2], [10.0, 15.0, 22.5, 33.75, 50.625], rtol=1e-15)
    assert _grow(base, np.zeros((3, 0)), np.array([1.0, 1.0, 1.0]), 0).shape == (3, 0)
