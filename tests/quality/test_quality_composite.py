"""Composite quality score Q = Σ w s: single (with trace) and per asset of a portfolio."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from valuation.core.errors import RefusedError, ValidationError
from valuation.core.portfolio import Portfolio
from valuation.quality import DIMENSIONS, ahp, composite, composite_columns


class ScoresById:
    """The composite's columns read by asset id: ``q[aid, column]``, ``q[column]``."""

    def __init__(self, pf, *args, **kw):
        self.cols = composite_columns(pf, *args, **kw)
        self.row = {a: i for i, a in enumerate(pf.columns.ids.tolist())}

    def __getitem__(self, key):
        if isinstance(key, tuple):
            return self.cols[key[1]][self.row[key[0]]]
        return self.cols[key]



F3 = np.array([[1, 1 / 2, 1 / 3, 1, 2, 3], [2, 1, 1 / 2, 2, 3, 4], [3, 2, 1, 3, 4, 5],
               [1, 1 / 2, 1 / 3, 1, 2, 3], [1 / 2, 1 / 3, 1 / 4, 1 / 2, 1, 2],
               [1 / 3, 1 / 4, 1 / 5, 1 / 3, 1 / 2, 1]])
F3_SCORES = dict(zip(DIMENSIONS, [92, 88, 85, 90, 80, 95]))


def card(aid="Q1", **quality):
    return {"asset": {"asset_id": aid, "name": aid, "quality": quality},
            "engagement": {"valuation_date": "2025-12-31"}}


def test_composite_single_with_trace():
    q, steps = composite(F3_SCORES, ahp(F3).weights, trace=True)
    assert q == pytest.approx(87.4357, abs=1e-4)
    assert [s["step"] for s in steps] == ["quality_weights", "quality_score"]
    assert steps[1]["formula"] == "Q = Σ_j w_j × s_j" and "GBT36344" in steps[1]["clauses"]
    assert composite(F3_SCORES) == pytest.approx(sum(F3_SCORES.values()) / 6)
    assert "ENG.default" in composite(F3_SCORES, trace=True)[1][0]["clauses"]


def test_weights_not_summing_to_one_name_field_and_value():
    with pytest.raises(ValidationError) as ei:
        composite(F3_SCORES, [0.2] * 6)
    iss = ei.value.issues[0]
    assert iss.field == "asset.quality.weights" and iss.value == [0.2] * 6
    assert "1.2" in iss.message_en and "≠ 1" in iss.message_zh
    composite(F3_SCORES, [1 / 6] * 5 + [1 / 6 + 5e-7])          # within 1e-6: accepted
    with pytest.raises(ValidationError):
        composite(F3_SCORES, [1 / 6] * 5 + [1 / 6 + 5e-6])


def test_scores_outside_0_100_name_dimension_and_value():
    with pytest.raises(ValidationError) as ei:
        composite({**F3_SCORES, "accuracy": 120})
    iss = ei.value.issues[0]
    assert iss.field == "asset.quality.accuracy" and iss.value == 120.0 and "outside 0–100" in iss.message_en
    with pytest.raises(ValidationError) as ei:
        composite([50, -1, 50, 50, 50, 50])
    assert ei.value.issues[0].value == -1.0


def test_portfolio_sources_of_weights_and_scores():
    cards = [card("AHP", **F3_SCORES, ahp_matrix=F3.tolist()),
             card("DEF", **F3_SCORES),
             card("W", **F3_SCORES, weights=[0.2, 0.2, 0.15, 0.15, 0.15, 0.15]),
             card("GIVEN", score=77.5),
             card("IND", **{d: 80 for d in DIMENSIONS if d != "accuracy"},
                  indicators=[{"indicator": "accuracy.duplicate_rate", "a": 10, "b": 100},
                              {"indicator": "GBT36344.accuracy.uniqueness", "score": 70}]),
             card("NONE", accuracy=90)]
    q = ScoresById(Portfolio.from_cards(cards))
    assert q["AHP", "quality_score"] == pytest.approx(87.4357, abs=1e-4)
    assert q["AHP", "weights_source"] == "ahp" and q["AHP", "ahp_cr"] == pytest.approx(0.0118, abs=1e-4)
    assert q["DEF", "quality_score"] == pytest.approx(530 / 6) and q["DEF", "weights_source"] == "default"
    assert q["W", "quality_score"] == pytest.approx(0.2 * 92 + 0.2 * 88 + 0.15 * (85 + 90 + 80 + 95))
    assert (q["GIVEN", "quality_score"], q["GIVEN", "quality_basis"]) == (77.5, "given")
    assert q["IND", "s_accuracy"] == pytest.approx(80.0)          # (90 + 70) / 2
    assert q["IND", "quality_basis"] == "indicators" and q["IND", "quality_score"] == pytest.approx(80.0)
    assert np.isnan(q["NONE", "quality_score"]) and q["NONE", "quality_basis"] == "none"
    # an explicit weights argument overrides the card for every asset
    eq = ScoresById(Portfolio.from_cards(cards[:3]), dict(zip(DIMENSIONS, [0, 0, 1, 0, 0, 0])))
    assert (eq["quality_score"] == 85.0).all() and (eq["weights_source"] == "argument").all()
    arrays = composite_columns(Portfolio.from_cards(cards).arrays)   # the array form reads the same
    assert np.array_equal(arrays["quality_score"], q["quality_score"], equal_nan=True)
    assert arrays["weights_source"].tolist() == q["weights_source"].tolist()
    with pytest.raises(ValidationError) as ei:
        ScoresById(Portfolio.from_cards(cards[:3]), [0.5] * 6)
    assert ei.value.issues[0].field == "weights" and "3" in ei.value.issues[0].message_en


def test_portfolio_cr_refusal_raise_or_mark():
    bad = np.array([[1, 9, 1 / 9, 1, 1, 1], [1 / 9, 1, 9, 1, 1, 1], [9, 1 / 9, 1, 1, 1, 1],
                    [1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 1, 1]])
    pf = Portfolio.from_cards([card("BAD", **F3_SCORES, ahp_matrix=bad.tolist()),
                               card("OK", **F3_SCORES, ahp_matrix=F3.tolist())])
    with pytest.raises(RefusedError) as ei:
        ScoresById(pf)
    assert "CR = " in ei.value.message_en and "BAD" in ei.value.message_en
    m = ScoresById(pf, errors="mark")
    assert np.isnan(m["BAD", "quality_score"]) and "CR" in m["BAD", "problem_en"]
    assert m["OK", "quality_score"] == pytest.approx(87.4357, abs=1e-4)
    ok = ScoresById(Portfolio.from_card(card("BAD", **F3_SCORES, ahp_matrix=bad.tolist(),
                                                   cr_override_reason="panel decision")))
    assert ok["BAD", "ahp_cr"] > 0.1 and ok["BAD", "ahp_override_reason"] == "panel decision"


def test_portfolio_non_reciprocal_matrix_named():
    m = F3.copy()
    m[2, 0] = 2.0
    pf = Portfolio.from_card(card("NR", **F3_SCORES, ahp_matrix=m.tolist()))
    with pytest.raises(ValidationError) as ei:
        ScoresById(pf)
    iss = ei.value.issues[0]
    assert iss.field == "asset.quality.ahp_matrix[1,3]" and iss.value == [1 / 3, 2.0] and iss.asset_id == "NR"


@settings(max_examples=5, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_vectorised_equals_one_at_a_time(seed):
    rng = np.random.default_rng(seed)
    cards = []
    for i in range(40):
        q = {d: float(rng.uniform(0, 100)) for d in DIMENSIONS}
        kind = i % 3
        if kind == 1:
            w = rng.uniform(0.1, 1, 6)
            m = w[:, None] / w[None, :]
            q["ahp_matrix"] = m.tolist()
        elif kind == 2:
            w = rng.dirichlet(np.ones(6))
            w[-1] = 1 - w[:-1].sum()
            q["weights"] = w.tolist()
        cards.append(card(f"A{i}", **q))
    pf = Portfolio.from_cards(cards)
    whole = ScoresById(pf)
    for aid in pf.columns.ids.tolist():
        one = ScoresById(pf.subset([aid]))
        assert one[aid, "quality_score"] == pytest.approx(whole[aid, "quality_score"], rel=1e-12)
    assert ((whole["quality_score"] >= 0) & (whole["quality_score"] <= 100 + 1e-9)).all()
