"""Shapley axioms by hypothesis: efficiency, symmetry, null player, additivity; and the
normalised Banzhaf value's efficiency. Games are random tables of 1–7 players."""
from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from valuation.sharing.games import banzhaf, coalition_sums, shapley_exact

N = st.integers(1, 7)
VAL = st.floats(0, 1e6, allow_nan=False, allow_infinity=False)


@st.composite
def games(draw, n=None):
    n = draw(N) if n is None else n
    v = np.array(draw(st.lists(VAL, min_size=2 ** n, max_size=2 ** n)))
    v[0] = 0.0
    return v


def _n(v):
    return int(np.log2(len(v)))


@settings(max_examples=60, deadline=None)
@given(games())
def test_efficiency(v):
    assert abs(shapley_exact(v).sum() - v[-1]) <= 1e-9 * max(1.0, np.abs(v).max())


@settings(max_examples=60, deadline=None)
@given(games(), st.data())
def test_symmetry(v, data):
    # make players i and j interchangeable: v(S ∪ i) = v(S ∪ j) for S without both
    n = _n(v)
    if n < 2:
        return
    i, j = data.draw(st.permutations(range(n)))[:2]
    for m in range(2 ** n):
        if (m >> i) & 1 and not (m >> j) & 1:
            v[m - (1 << i) + (1 << j)] = v[m]
    phi = shapley_exact(v)
    assert abs(phi[i] - phi[j]) <= 1e-9 * max(1.0, np.abs(v).max())


@settings(max_examples=60, deadline=None)
@given(games(), st.data())
def test_null_player_gets_nothing(v, data):
    n = _n(v)
    k = data.draw(st.integers(0, n - 1))
    for m in range(2 ** n):                 # v(S ∪ k) = v(S): k adds nothing anywhere
        if (m >> k) & 1:
            v[m] = v[m - (1 << k)]
    assert abs(shapley_exact(v)[k]) <= 1e-9 * max(1.0, np.abs(v).max())
    if abs(banzhaf(v, normalised=False).sum()) > 1e-6:
        assert abs(banzhaf(v)[k]) <= 1e-9 * max(1.0, np.abs(v).max())


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_additivity(data):
    n = data.draw(N)
    v, w = data.draw(games(n)), data.draw(games(n))
    assert np.allclose(shapley_exact(v + w), shapley_exact(v) + shapley_exact(w), rtol=0,
                       atol=1e-9 * max(1.0, np.abs(v).max() + np.abs(w).max()))


@settings(max_examples=40, deadline=None)
@given(games())
def test_normalised_banzhaf_is_efficient_and_additive_games_are_reproduced(v):
    if abs(banzhaf(v, normalised=False).sum()) > 1e-6:
        assert abs(banzhaf(v).sum() - v[-1]) <= 1e-9 * max(1.0, np.abs(v).max())
    x = np.abs(v[1:_n(v) + 1]) if _n(v) else np.zeros(0)
    add = coalition_sums(x)                  # an additive game: both values return x
    assert np.allclose(shapley_exact(add), x, atol=1e-9 * max(1.0, x.sum()))


@settings(max_examples=30, deadline=None)
@given(st.data())
def test_nucleolus_lies_in_the_least_core_and_is_efficient(data):
    # the nucleolus minimises the largest excess first, so its largest excess is e* (MPS 1979)
    from valuation.sharing.games import core_excess
    from valuation.sharing.lp import least_core, nucleolus

    n = data.draw(st.integers(2, 5))
    v = data.draw(games(n))
    scale = max(1.0, np.abs(v).max())
    nu, lc = nucleolus(v), least_core(v)
    assert abs(nu.x.sum() - v[-1]) <= 1e-6 * scale
    assert abs(core_excess(v, nu.x)[0] - lc.excess) <= 1e-6 * scale
    assert abs(nu.excess - lc.excess) <= 1e-6 * scale
