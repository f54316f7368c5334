"""Mondrian split-conformal ranges of the learned market model (issue 16, calibrated ranges).

The quantile is the plain finite-sample one (no inflation), computed per seen level (the
subject's listing family in the library / only its provider / neither) and per exchange, on
residuals computed as such a subject meets the library. Hand-checked numbers on tiny inputs,
then a calibration test on synthetic listings the ranges never saw (synthetic data: a unit
test of the logic, not evidence about any market)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from valuation.methods.market.conformal import (
    LEVEL0_FORMS,
    MIN_HALF,
    MONDRIAN_MIN,
    SIGMA_FORMS,
    calibrate,
    choice_half,
    conformal_q,
)
from valuation.methods.market.learned import (
    _Features,
    _knn_value,
    _membership,
    _neighbours,
    fit_learned,
    seen_level,
)


def test_plain_conformal_quantile_by_hand():
    """q = the ⌈(n + 1)·c⌉-th smallest score, c = 0.8 (exact: order statistics of integers)."""
    one = lambda n: np.ones(n)  # noqa: E731  (σ = 1: scores = |r|)
    # n = 10: ⌈11 · 0.8⌉ = ⌈8.8⌉ = 9 → the 9th smallest of 1…10 = 9 (the old numpy 'higher'
    # quantile at level 9/10 took 10)
    assert conformal_q(np.arange(1.0, 11.0), one(10), 0.8) == 9.0
    # n = 14: (n + 1)·c = 12 exactly (15 · 0.8 is 12.000000000000002 in floating point) → 12th
    assert conformal_q(np.arange(1.0, 15.0), one(14), 0.8) == 12.0
    # n = 50: ⌈40.8⌉ = 41 → 41
    assert conformal_q(np.arange(1.0, 51.0), one(50), 0.8) == 41.0
    # ties (list-price stacks): 9 zeros of 10 → the 9th smallest is 0: the range is the floor;
    # 8 zeros and two 5s → the 9th smallest is 5
    assert conformal_q(np.r_[np.zeros(9), 5.0], one(10), 0.8) == 0.0
    assert conformal_q(np.r_[np.zeros(8), 5.0, 5.0], one(10), 0.8) == 5.0
    # scores are |r| / σ: halving σ doubles them
    assert conformal_q(np.arange(1.0, 11.0), np.full(10, 0.5), 0.8) == 18.0
    # n = 3: ⌈3.2⌉ = 4 > n — the conformal set is unbounded; the largest score stands for it
    assert conformal_q(np.array([1.0, 2.0, 3.0]), one(3), 0.8) == 3.0


# listing families whose CRC-32 is even (the half that chooses the σ form) / odd (the half that
# sets q): checked with zlib.crc32(name.encode()) % 2 when the test was written
_CHOICE = ["f0", "f1", "f2", "f3", "f8", "f9", "f10", "f11", "f12", "f13", "f18", "f19", "f24", "f25",
           "f26", "f27", "f30", "f31", "f32", "f33"]
_QUANT = ["f4", "f5", "f6", "f7", "f14", "f15", "f16", "f17", "f20", "f21", "f22", "f23", "f28", "f29",
          "f34", "f35", "f36", "f37", "f40", "f41"]


def test_choice_half_is_the_crc32_parity_of_the_family():
    groups = np.array(_CHOICE + _QUANT, dtype=object)
    assert choice_half(groups).tolist() == [True] * 20 + [False] * 20
    # stable under a permutation of the rows (no dependence on row order)
    perm = np.random.default_rng(0).permutation(40)
    assert choice_half(groups[perm]).tolist() == choice_half(groups)[perm].tolist()


def _levels_by_hand(r_choice: float):
    """40 calibration cases, one family each: rows 0–19 in the choice half, 20–39 in the
    quantile half; exchange A = rows 0–9 and 20–29, B = rows 10–19 and 30–39. Neighbour sd and
    distance 0, so σ = a of the form and q·σ is a rank statistic of |r| whatever the form."""
    n = 40
    zeros = {k: np.zeros((n, 2)) for k in (3, 5, 10)}
    plat = np.array((["A"] * 10 + ["B"] * 10) * 2, dtype=object)
    groups = np.array(_CHOICE + _QUANT, dtype=object)
    r0 = np.arange(1, 41) / 100.0                     # level 0: 0.01 … 0.40
    m1 = np.zeros(n, bool)
    m1[:MONDRIAN_MIN - 1] = True                       # level 1: too few → level 2's
    r2 = np.r_[np.full(20, r_choice), np.arange(1, 21) / 10.0]   # quantile half: 0.1 … 2.0
    levels = [(r0, zeros, np.ones(n, bool)), (r0, zeros, m1), (r2, zeros, np.ones(n, bool))]
    return calibrate(levels, plat, 0.8, groups)


def test_mondrian_quantile_per_level_and_exchange_by_hand():
    """Level 0 (constant σ, no form chosen): q on all its cases; level 2: the form chosen on
    the choice half, q from the quantile half alone — pooled and per (level, exchange) when
    the exchange has ≥ MONDRIAN_MIN quantile cases."""
    forms, q_level, q_by = _levels_by_hand(5.0)
    a0, a2 = forms[0][0], forms[2][0]     # σ = a of each level's form
    assert forms[0] == LEVEL0_FORMS[0]    # level 0: constant σ
    assert forms[2] == SIGMA_FORMS[0]     # all forms as narrow on the choice half: the first
    # level 0, n = 40: ⌈41 · 0.8⌉ = ⌈32.8⌉ = 33 → |r| = 0.33
    assert np.isclose(q_level[0] * a0, 0.33)
    # level 0 per exchange, n = 20 each: ⌈16.8⌉ = 17th smallest; A holds 0.01…0.10 and
    # 0.21…0.30 → 0.27; B holds 0.11…0.20 and 0.31…0.40 → 0.37
    assert np.isclose(q_by[(0, "A")] * a0, 0.27) and np.isclose(q_by[(0, "B")] * a0, 0.37)
    # level 2, quantile half n = 20 (0.1…2.0): 17th → 1.7; the choice half's 5.0s play no part
    assert np.isclose(q_level[2] * a2, 1.7)
    # level 2 per exchange, quantile half n = 10 each: ⌈8.8⌉ = 9th → A (0.1…1.0): 0.9,
    # B (1.1…2.0): 1.9
    assert np.isclose(q_by[(2, "A")] * a2, 0.9) and np.isclose(q_by[(2, "B")] * a2, 1.9)
    assert q_level[1] == q_level[2] and forms[1] == forms[2]
    assert (1, "A") not in q_by            # level 1 had too few cases
    # the choice half never sets q: other residuals there, the same quantiles
    assert _levels_by_hand(0.0)[1:] == (q_level, q_by)


def test_a_level_too_small_to_cut_takes_the_constant_form_and_all_its_cases():
    """12 calibration cases (< 2 · MONDRIAN_MIN): no form is chosen (constant σ, so nothing is
    selected on the cases that set q) and q uses all 12: ⌈13 · 0.8⌉ = ⌈10.4⌉ = 11th → 1.1."""
    n = 12
    zeros = {k: np.zeros((n, 2)) for k in (3, 5, 10)}
    r = np.arange(1, 13) / 10.0
    lv = (r, zeros, np.ones(n, bool))
    forms, q_level, _ = calibrate([lv, lv, lv], np.array(["A"] * n, dtype=object), 0.8,
                                  np.array(_CHOICE[:6] + _QUANT[:6], dtype=object))
    assert forms[2] == LEVEL0_FORMS[0] and np.isclose(q_level[2] * forms[2][0], 1.1)


def test_neighbours_share_ties_with_the_kth_by_hand():
    """k = 3, distances 0.1, 0.2, then three cases at 0.3 and one at 0.4: the two nearer cases
    weigh 1, the three tied share the one slot left (1/3 each), the farthest 0; sum = k."""
    d = np.array([[0.1, 0.2, 0.3, 0.3, 0.3, 0.4]])
    assert np.allclose(_membership(d, 3), [[1, 1, 1 / 3, 1 / 3, 1 / 3, 0]])
    # no tie at the k-th: the plain k nearest
    assert np.allclose(_membership(np.array([[0.1, 0.2, 0.3, 0.5]]), 3), [[1, 1, 1, 0]])


def test_knn_estimate_does_not_depend_on_the_order_of_tied_cases():
    """Six cases with the same text, exchange and category (all at one distance from a subject
    like them) and ln P = 0…5: knn_mean_5 weighs the six equally (5/6 each, same distance), so
    the estimate is their mean ln P = 2.5 — in any row order. Cut by row order it was the
    mean of the first five (2.0 in this order, 3.0 in the reverse)."""
    lib = pd.DataFrame({"title": ["铝指数数据"] * 6, "description": "", "platform": "A", "provider": "",
                        "category": "finance", "update_frequency": "monthly", "records": np.nan,
                        "fields": np.nan, "size_bytes": np.nan})
    y = np.arange(6.0)
    for order in (np.arange(6), np.arange(6)[::-1]):
        feat = _Features(lib.iloc[order])
        X = feat.sparse(lib.iloc[order], 6)
        Xq = feat.sparse(lib.iloc[:1], 1)
        assert np.isclose(_knn_value("knn_mean_5", y[order], *_neighbours(X, Xq, 5))[0], 2.5)


def _series(n_families: int, years: range, seed: int, first: int = 0) -> pd.DataFrame:
    """Listing families of one exchange: family f (its own provider, title 系列<char> <year>
    年数据) has a base log price ~ N(ln 1000, 1.5²); each year's price = base · e^{N(0, 0.3²)}.
    Family text says nothing about the base, so a new family is hard (σ ≈ 1.5) and a sibling
    year easy (σ ≈ 0.3·√2)."""
    rng = np.random.default_rng(seed)
    rows = []
    for f in range(first, first + n_families):
        base = np.log(1000.0) + 1.5 * rng.standard_normal()
        for y in years:
            rows.append({"title": f"系列{chr(0x4e00 + 3 * f)}{chr(0x5e00 + 5 * f)} {y}年数据", "description": "",
                         "platform": "Exchange A", "provider": f"卖方{f}", "category": "finance",
                         "update_frequency": "monthly", "records": np.nan, "fields": np.nan,
                         "size_bytes": np.nan, "price": float(np.exp(base + 0.3 * rng.standard_normal()))})
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def unseen_by_level() -> dict[str, tuple[float, float]]:
    """Coverage and median width (high / low) of the 80 % ranges on listings the ranges never
    saw: the library holds 3 years of 80 families; unseen are (a) the 4th year of each family
    (seen level 0: a sibling is in the library; n = 80) and (b) 160 new families listed in
    2021 (level 2; a year the library holds, so their titles' n-grams meet the library as a
    left-out family's do), also (c) queried as cards: title, category and update only."""
    both = _series(80, range(2020, 2024), seed=5)
    year = both["title"].str.extract(r"(\d{4})年")[0].astype(int)
    lib, sib = both[year < 2023].reset_index(drop=True), both[year == 2023].reset_index(drop=True)
    new = _series(160, range(2021, 2022), seed=6, first=1000)
    model = fit_learned(lib, coverage=0.80)
    assert model is not None
    got = {}
    # a card names no exchange, provider or description: the blind quantile
    card = new.drop(columns=["platform", "provider", "description"])
    for name, u, lvl in (("sibling", sib, 0), ("new", new, 2), ("card", card, 2)):
        assert (seen_level(u, len(u), model.families, model.providers) == lvl).all()
        p = model.predict(u, len(u))
        y = u["price"].to_numpy(float)
        got[name] = (float(((y >= p["low"]) & (y <= p["high"])).mean()), float(np.median(p["high"] / p["low"])))
    return got


@pytest.mark.slow
def test_mondrian_range_of_a_sibling_is_calibrated_on_unseen_listings(unseen_by_level):
    """CALIBRATION test, seen level 0 (n = 80 unseen 4th years): a σ from the neighbours'
    spread under-covered (0.43 measured before LEVEL0_FORMS); measured now 0.80. Band: 0.8 ±
    3 binomial sd, sd = √(0.8 · 0.2 / 80) = 0.0447 → 0.666–0.934. The ranges are far narrower
    than a new family's (a single pooled quantile would give both the same scale)."""
    got = unseen_by_level
    assert 0.666 <= got["sibling"][0] <= 0.934, got
    assert got["sibling"][1] > np.exp(2 * MIN_HALF) and got["sibling"][1] * 5 < got["new"][1], got


@pytest.mark.slow
def test_mondrian_range_of_a_new_family_is_calibrated_on_unseen_listings(unseen_by_level):
    """CALIBRATION test, seen level 2 (n = 160 unseen new families). Was 0.60 (a strict xfail):
    the k nearest were cut by row order among the many cases tied at one distance (every new
    family then had the same arbitrary neighbours: 0.60–0.975 by permuting the library's
    rows), the calibration features held the left-out family's own n-grams (distances 0.46 vs
    0.30 at prediction), and the σ form was chosen on the cases that set q. Measured now
    0.775. Band: 0.8 ± 3 binomial sd, sd = √(0.8 · 0.2 / 160) = 0.0316 → 0.705–0.895."""
    assert 0.705 <= unseen_by_level["new"][0] <= 0.895, unseen_by_level


@pytest.mark.slow
def test_blind_range_of_a_new_family_card_is_calibrated_on_unseen_listings(unseen_by_level):
    """CALIBRATION test, a card (no exchange, provider or description) of a new family, n = 160.
    Was 0.46: the blind quantile was calibrated with only the row left out, so a case's
    siblings (other years of its series) stayed in the library and its residuals were a
    sibling's, not a stranger's. Now its provider (else family) is left out, features refitted:
    measured 0.8125 (and 0.8125 on a second draw, seeds 15/16). Band: 0.8 ± 3 binomial sd,
    sd = √(0.8 · 0.2 / 160) = 0.0316 → 0.705–0.895."""
    assert 0.705 <= unseen_by_level["card"][0] <= 0.895, unseen_by_level
