"""Identities and invariants of the cost approach (hypothesis), vectorised = one-at-a-time, and
bad input refused with the field and value named."""
import copy

import numpy as np
import pytest
from cost_cards import f1_card, random_cards
from hypothesis import example, given, settings
from hypothesis import strategies as st

from valuation.core.errors import ValidationError
from valuation.core.portfolio import Portfolio
from valuation.core.ragged import Ragged
from valuation.methods import cost
from valuation.methods.cost.lines import category_labels, component_totals, line_amounts


def _scaled(card, k):
    c = copy.deepcopy(card)
    for key, v in (c["cost"].get("components") or {}).items():
        c["cost"]["components"][key] = v * k
    for ln in c["cost"].get("lines") or []:
        ln["amount"] *= k
    return c


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**32 - 1), st.floats(0.01, 1000))
def test_scaling_every_cost_scales_p(seed, k):
    """Doubling (scaling) every cost scales P, C, low and high by the same factor; δ is unchanged."""
    cards = random_cards(10, seed)
    a = cost.appraise(Portfolio.from_cards(cards)).frame
    b = cost.appraise(Portfolio.from_cards([_scaled(c, k) for c in cards])).frame
    assert (a["applicable"] == b["applicable"]).all()
    for col in ("estimate", "low", "high", "replacement_cost"):
        np.testing.assert_allclose(b[col].to_numpy(float), k * a[col].to_numpy(float), rtol=1e-12)
    np.testing.assert_allclose(b["delta"].to_numpy(float), a["delta"].to_numpy(float), rtol=0, atol=0)


def test_doubling_f1_doubles_p():
    a = cost.appraise(Portfolio.from_card(f1_card())).frame.iloc[0]
    b = cost.appraise(Portfolio.from_card(_scaled(f1_card(), 2))).frame.iloc[0]
    assert b["estimate"] == pytest.approx(2 * a["estimate"], rel=1e-12)


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_delta_one_gives_replacement_cost_and_delta_le_one_gives_at_most_c(seed):
    cards = random_cards(10, seed)
    fr = cost.appraise(Portfolio.from_cards(cards)).frame
    cas = fr["model"] == "cas"
    assert (fr.loc[cas & fr["applicable"], "estimate"] <= fr.loc[cas & fr["applicable"], "replacement_cost"] * (1 + 1e-12)).all()
    ones = copy.deepcopy(cards)
    for c in ones:
        c["cost"]["adjustment"] = {"basis": "given", "value": 1.0}
        c["cost"].pop("variant", None)
    f1 = cost.appraise(Portfolio.from_cards(ones)).frame
    np.testing.assert_allclose(f1["estimate"], f1["replacement_cost"], rtol=1e-15)
    assert ((f1["low"] <= f1["estimate"]) & (f1["high"] == f1["estimate"])).all()


@settings(max_examples=30, deadline=None)
@given(st.floats(0, 100), st.floats(0, 100))
@example(1.0, 5e-324)   # CI found this one: q/100 underflows to δ = 0
def test_value_is_monotone_in_quality(q1, q2):
    def est(q):
        c = f1_card("quality")
        c["asset"]["quality"] = {"score": q}
        return cost.appraise(Portfolio.from_card(c)).frame.iloc[0]
    lo, hi = sorted((q1, q2))
    a, b = est(lo), est(hi)
    if a["delta"] > 0:
        assert a["applicable"] and b["applicable"]
        assert a["estimate"] <= b["estimate"] + 1e-9
    else:
        # δ = 0 (q = 0, or a subnormal q/100 that underflows to 0) is refused (0 < δ ≤ 1)
        assert not a["applicable"] and np.isnan(a["estimate"])


@settings(max_examples=1, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_vectorised_equals_one_at_a_time_on_1000_random_assets(seed):
    cards = random_cards(1000, seed)
    pf = Portfolio.from_cards(cards)
    whole = cost.appraise(pf).frame
    assert whole["applicable"].mean() > 0.9
    for aid in pf.index:
        one = cost.appraise(pf.subset([aid])).frame.iloc[0]
        w = whole.loc[aid]
        assert bool(one["applicable"]) == bool(w["applicable"]), aid
        for col in ("estimate", "low", "high", "replacement_cost", "delta"):
            x, y = w[col], one[col]
            assert (np.isnan(x) and np.isnan(y)) or x == pytest.approx(y, rel=1e-12), (aid, col)
    # and through independent one-card portfolios for a sample
    for c in cards[:25]:
        one = cost.appraise(Portfolio.from_card(c)).frame.iloc[0]
        x = whole.loc[c["asset"]["asset_id"], "estimate"]
        assert (np.isnan(x) and np.isnan(one["estimate"])) or one["estimate"] == pytest.approx(x, rel=1e-12)


def test_negative_costs_are_refused_naming_field_and_value():
    card = f1_card()
    card["cost"]["lines"][0]["amount"] = -5
    with pytest.raises(ValidationError) as ei:
        Portfolio.from_card(card)
    assert any(i.field == "cost.lines[0].amount" and i.value == -5 for i in ei.value.issues)
    card = f1_card()
    card["cost"]["components"] = {"direct": -1.5}
    with pytest.raises(ValidationError) as ei:
        Portfolio.from_card(card)
    assert any(i.field == "cost.components.direct" and i.value == -1.5 for i in ei.value.issues)
    # the kernels refuse them too (tables that did not pass through the card validator)
    comps = np.full((2, 5), np.nan)
    comps[:, 1] = [10.0, -3.0]                  # direct
    with pytest.raises(ValidationError) as ei:
        component_totals(comps, ["A", "B"])
    iss = ei.value.issues[0]
    assert (iss.field, iss.value, iss.asset_id) == ("cost.components.direct", -3.0, "B")
    assert "negative" in iss.message_en and "负" in iss.message_zh
    lines = _lines([0, 0], ["direct", "direct"], [5.0, -2.0], [1.0, 1.0], [np.nan, np.nan])
    with pytest.raises(ValidationError) as ei:
        line_amounts(lines, ["A"], np.array([100.0]))
    assert (ei.value.issues[0].field, ei.value.issues[0].value) == ("cost.lines[1].amount", -2.0)
    lines = _lines([0, 0], ["direct", "taxes"], [5.0, 2.0], [1.0, 0.0], [np.nan, np.nan])
    with pytest.raises(ValidationError) as ei:
        line_amounts(lines, ["A"], np.array([100.0]))
    iss = ei.value.issues[0]
    assert (iss.field, iss.value, iss.asset_id) == ("cost.lines[1].allocation_share", 0.0, "A")


def _lines(owner, cats, amount, share, index):
    """cost.lines records of assets 0 … max(owner) (owner sorted)."""
    labels = category_labels()
    n = max(owner) + 1 if owner else 0
    counts = np.bincount(owner, minlength=n)
    return Ragged("cost.lines", np.concatenate([[0], np.cumsum(counts)]), {
        "category": np.array([labels.index(c) for c in cats], dtype=np.int16),
        "amount": np.array(amount, float), "allocation_share": np.array(share, float),
        "price_index": np.array(index, float)})


def test_component_totals_by_hand():
    """Totals + lines indexed to the valuation date (art. 16, 22), computed by hand:
    asset A: direct total 10 + line 40 × 0.5 × (110 / 100) = 22 → 32 (double count);
             taxes line 3 (no index at incurrence → factor 1) → 3; preliminary nothing → NaN.
    asset B: no lines; preliminary total 7.
    asset C: one direct line with a missing amount → 0, but the category is stated."""
    comps = np.full((3, 5), np.nan)
    comps[0, 1], comps[1, 0] = 10.0, 7.0
    lines = _lines([0, 0, 2], ["direct", "taxes", "direct"], [40.0, 3.0, np.nan], [0.5, 1.0, 1.0],
                   [100.0, np.nan, 100.0])
    comp, both, has = component_totals(comps, ["A", "B", "C"], lines, np.array([110.0, 100.0, 100.0]))
    assert comp[0, 1] == pytest.approx(32.0, rel=1e-15) and comp[0, 4] == 3.0 and np.isnan(comp[0, 0])
    assert comp[1, 0] == 7.0 and np.isnan(comp[1, 1:]).all()
    assert comp[2, 1] == 0.0 and np.isnan(comp[2, [0, 2, 3, 4]]).all()
    assert both.tolist() == [True, False, False] and has.tolist() == [True, False, True]


def test_card_weights_and_scores_errors_name_field_and_value():
    card = f1_card()
    card["asset"]["quality"]["accuracy"] = 120
    with pytest.raises(ValidationError) as ei:
        Portfolio.from_card(card)
    assert any(i.field == "asset.quality.accuracy" and i.value == 120 for i in ei.value.issues)
    card = f1_card()
    card["asset"]["quality"]["weights"] = [0.2] * 6
    with pytest.raises(ValidationError) as ei:
        Portfolio.from_card(card)
    assert any(i.field == "asset.quality.weights" and i.value == [0.2] * 6 for i in ei.value.issues)
    with pytest.raises(ValidationError) as ei:
        cost.appraise(Portfolio.from_card(f1_card()), {"quality_weights": [0.3] * 6})
    assert ei.value.issues[0].field == "weights" and "1.8" in ei.value.issues[0].message_en


def test_kernels_by_hand():
    from valuation.methods.cost import (
        delta_expert,
        delta_life,
        delta_quality,
        opportunity_cost,
        replacement_cost_value,
    )
    np.testing.assert_allclose(delta_life([2, 0, 1], [3, 5, 0]), [0.6, 1.0, 0.0])
    assert np.isnan(delta_life(0, 0))
    np.testing.assert_allclose(delta_quality([87.44, 72], [100, 80]), [0.8744, 0.9])
    np.testing.assert_allclose(delta_expert([0.1, np.nan], [0.2, 0.3]), [0.7, 0.7])
    assert np.isnan(delta_expert(np.nan, np.nan))
    assert opportunity_cost(20, 200, 30, np.nan, 0.05) == pytest.approx(12.5)
    assert replacement_cost_value(20, 200, 30, 12.5, 5, 0.1) == pytest.approx(262.5 * 1.1 + 5)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.sampled_from(["preliminary", "direct", "indirect", "opportunity",
                                                              "taxes"]),
                          st.floats(0, 1e6), st.floats(0.01, 1), st.one_of(st.none(), st.floats(50, 200))),
                max_size=12), st.randoms(use_true_random=False))
def test_component_totals_are_the_sum_of_indexed_lines_in_any_order(lines, rnd):
    """Σ amount × share × (I_valuation / I_incurred) per asset and category (art. 16, 22), summed
    in Python here; the order of an asset's lines does not matter."""
    lines = sorted(lines, key=lambda x: x[0])
    piv = np.array([100.0, 120.0, np.nan, 80.0])
    want = np.full((4, 5), np.nan)
    for o, c, a, s, i in lines:
        k = category_labels().index(c)
        f = 1.0 if i is None or np.isnan(piv[o]) else piv[o] / i
        want[o, k] = (0.0 if np.isnan(want[o, k]) else want[o, k]) + a * s * f

    def run(ls):
        owner = [x[0] for x in ls] or [3]
        rec = _lines([x[0] for x in ls], [x[1] for x in ls], [x[2] for x in ls], [x[3] for x in ls],
                     [np.nan if x[4] is None else x[4] for x in ls])
        if not ls:   # no lines: offsets of four empty assets
            rec = Ragged("cost.lines", np.zeros(5, np.int64), {k: v[:0] for k, v in rec.columns.items()})
        elif max(owner) < 3:   # offsets for all four assets
            off = np.concatenate([rec.offsets, np.full(3 - max(owner), rec.offsets[-1])])
            rec = Ragged("cost.lines", off, dict(rec.columns))
        return component_totals(np.full((4, 5), np.nan), ["A", "B", "C", "D"], rec, piv)

    comp, both, has = run(lines)
    np.testing.assert_allclose(comp, want, rtol=1e-12, equal_nan=True)
    assert has.tolist() == (~np.isnan(want)).any(axis=1).tolist() and not both.any()
    shuffled = sorted(lines, key=lambda x: (x[0], rnd.random()))   # reorder within each asset
    np.testing.assert_allclose(run(shuffled)[0], comp, rtol=1e-12, equal_nan=True)
