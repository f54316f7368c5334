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
    conformal_q,
)
from valuation.methods.market.learned import fit_learned, seen_level


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


def test_mondrian_quantile_per_level_and_exchange_by_hand():
    """With σ constant (neighbour sd and distance 0: σ = a of the form, every form gives the
    same half-width q·σ = the rank statistic of |r|) the half-width per level is the
    ⌈(n + 1)·0.8⌉-th smallest |r| of that level's calibration cases, and per (level, exchange)
    of that exchange's cases when it has ≥ MONDRIAN_MIN of them."""
    n = 20
    zeros = {k: np.zeros((n, 2)) for k in (3, 5, 10)}
    plat = np.array(["A"] * 10 + ["B"] * 10, dtype=object)
    # level 0: |r| = 0.01…0.20; A holds 0.01…0.10, B 0.11…0.20
    r0 = np.arange(1, 21) / 100.0
    # level 1: fewer than MONDRIAN_MIN calibration cases → takes level 2's form and quantile
    m1 = np.zeros(n, bool)
    m1[:MONDRIAN_MIN - 1] = True
    # level 2: |r| = 0.1…2.0 on every case
    r2 = np.arange(1, 21) / 10.0
    levels = [(r0, zeros, np.ones(n, bool)), (r0, zeros, m1), (r2, zeros, np.ones(n, bool))]
    forms, q_level, q_by = calibrate(levels, plat, 0.8)
    a0, a2 = forms[0][0], forms[2][0]     # σ = a of each level's form
    assert forms[0] == LEVEL0_FORMS[0]    # level 0: constant σ
    assert forms[2] == SIGMA_FORMS[0]     # all forms as narrow: the first is kept
    # pooled, n = 20: ⌈21 · 0.8⌉ = 17 → |r| = 0.17 (level 0), 1.7 (level 2)
    assert np.isclose(q_level[0] * a0, 0.17) and np.isclose(q_level[2] * a2, 1.7)
    assert q_level[1] == q_level[2] and forms[1] == forms[2]
    # per exchange, n = 10: ⌈8.8⌉ = 9 → A: 0.09, B: 0.19 (level 0); A: 0.9, B: 1.9 (level 2)
    assert np.isclose(q_by[(0, "A")] * a0, 0.09) and np.isclose(q_by[(0, "B")] * a0, 0.19)
    assert np.isclose(q_by[(2, "A")] * a2, 0.9) and np.isclose(q_by[(2, "B")] * a2, 1.9)
    assert (1, "A") not in q_by            # level 1 had too few cases


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
    left-out family's do)."""
    both = _series(80, range(2020, 2024), seed=5)
    year = both["title"].str.extract(r"(\d{4})年")[0].astype(int)
    lib, sib = both[year < 2023].reset_index(drop=True), both[year == 2023].reset_index(drop=True)
    new = _series(160, range(2021, 2022), seed=6, first=1000)
    model = fit_learned(lib, coverage=0.80)
    assert model is not None
    got = {}
    for name, u, lvl in (("sibling", sib, 0), ("new", new, 2)):
        assert (seen_level(u, len(u), model.families, model.providers) == lvl).all()
        p = model.predict(u, len(u))
        y = u["price"].to_numpy(float)
        got[name] = (float(((y >= p["low"]) & (y <= p["high"])).mean()), float(np.median(p["high"] / p["low"])))
    return got


@pytest.mark.slow
def test_mondrian_range_of_a_sibling_is_calibrated_on_unseen_listings(unseen_by_level):
    """CALIBRATION test, seen level 0: a σ from the neighbours' spread under-covered the 4th
    year (0.43 measured before LEVEL0_FORMS); with a constant σ 0.81 (band 0.68–0.92: binomial
    sd ≈ 4.5 pp at n = 80, plus the calibration draw's), and the ranges are far narrower than
    a new family's (a single pooled quantile would give both the same scale)."""
    got = unseen_by_level
    assert 0.68 <= got["sibling"][0] <= 0.92, got
    assert got["sibling"][1] > np.exp(2 * MIN_HALF) and got["sibling"][1] * 5 < got["new"][1], got


@pytest.mark.slow
@pytest.mark.xfail(strict=True, reason="known: new families (seen level 2) are covered 0.60, not 0.80, on this "
                   "synthetic design; suspected cause: the σ form is chosen as the narrowest on the same "
                   "calibration residuals that set q (selection bias) — open, see the README back-test section")
def test_mondrian_range_of_a_new_family_is_calibrated_on_unseen_listings(unseen_by_level):
    """CALIBRATION test, seen level 2 (n = 160: binomial sd ≈ 3.2 pp; band 0.70–0.90)."""
    assert 0.70 <= unseen_by_level["new"][0] <= 0.90, unseen_by_level
