"""Cooperative-game allocations against answers from the literature and by hand."""
from __future__ import annotations

import numpy as np
import pytest
from games_helpers import bankruptcy, game, glove
from scipy import sparse
from scipy.optimize import linprog

from valuation.core.errors import RefusedError
from valuation.sharing.games import (
    banzhaf,
    coalition_sums,
    core_excess,
    popcount,
    shapley_exact,
    shapley_sampling,
)
from valuation.sharing.lp import least_core, nucleolus
from valuation.sharing.valuemodels import members_of_masks, table_from_function, value_function


def test_popcount_and_coalition_sums_match_their_definition():
    n = 5
    pc = popcount(n)
    x = np.array([1.0, 2.0, 4.0, 8.0, 16.0])
    for m in range(2 ** n):
        assert pc[m] == bin(m).count("1")
    assert np.array_equal(coalition_sums(x), np.arange(32, dtype=float))    # x_j = 2**j → x(S) = mask


def test_symmetric_game_splits_equally():
    # v(S) = |S|^2: every player is symmetric → φ = v(N)/n = 16/4 = 4 each; Banzhaf likewise
    v = game(4, lambda S: len(S) ** 2)
    assert shapley_exact(v) == pytest.approx([4.0] * 4, abs=1e-12)
    assert banzhaf(v) == pytest.approx([4.0] * 4, abs=1e-12)
    assert nucleolus(v).x == pytest.approx([4.0] * 4, abs=1e-7)


def test_additive_game_gives_each_its_own_value():
    w = [3.0, 5.0, 7.0]
    v = game(3, lambda S: sum(w[j] for j in S))
    for f in (shapley_exact, banzhaf):
        assert f(v) == pytest.approx(w, abs=1e-12)
    lc = least_core(v)                               # the core is the single point w, e* = 0
    assert lc.x == pytest.approx(w, abs=1e-7) and lc.excess == pytest.approx(0.0, abs=1e-7)


def test_dummy_player_gets_its_standalone_value():
    # player 2 is a dummy worth 10 alone; players 0, 1 create 60 together (unanimity)
    v = game(3, lambda S: (60 if {0, 1} <= set(S) else 0) + (10 if 2 in S else 0))
    assert shapley_exact(v) == pytest.approx([30, 30, 10], abs=1e-12)
    assert banzhaf(v) == pytest.approx([30, 30, 10], abs=1e-12)   # raw β = (30, 30, 10), Σ = 70 = v(N)


def test_glove_game_literature_values():
    # one left glove (player 0), two right gloves: Shapley (2/3, 1/6, 1/6) (e.g. Maschler,
    # Solan & Zamir, Game Theory, ch. 18); the core and the nucleolus are (1, 0, 0)
    v = glove(1, 2)
    assert shapley_exact(v) == pytest.approx([2 / 3, 1 / 6, 1 / 6], abs=1e-12)
    # raw Banzhaf: player 0 pivotal in {1},{2},{1,2} → 3/4; players 1, 2 in {0} only → 1/4; Σ = 5/4
    assert banzhaf(v, normalised=False) == pytest.approx([0.75, 0.25, 0.25])
    assert banzhaf(v) == pytest.approx([0.6, 0.2, 0.2])
    assert nucleolus(v).x == pytest.approx([1, 0, 0], abs=1e-7)
    assert least_core(v).excess == pytest.approx(0.0, abs=1e-9)     # core = {(1, 0, 0)}, not empty


def test_three_player_shapley_by_hand():
    # v: singletons 0; {0,1} = 70, {0,2} = 10, {1,2} = 0; N = 100 (units of 10 000 yuan)
    # φ_0 = 1/6·70 + 1/6·10 + 1/3·(100 − 0) = 13.333 + 33.333 = 46.667
    # φ_1 = 1/6·70 + 1/6·0 + 1/3·(100 − 10) = 11.667 + 30 = 41.667
    # φ_2 = 1/6·10 + 1/6·0 + 1/3·(100 − 70) = 1.667 + 10 = 11.667
    v = game(3, lambda S: {(0, 1): 70, (0, 2): 10, (0, 1, 2): 100}.get(S, 0))
    assert shapley_exact(v) == pytest.approx([140 / 3, 125 / 3, 35 / 3], abs=1e-12)


@pytest.mark.parametrize("estate, talmud", [(100, [100 / 3] * 3), (200, [50, 75, 75]), (300, [50, 100, 150])])
def test_nucleolus_of_bankruptcy_games_is_the_talmud_rule(estate, talmud):
    # Aumann & Maschler (1985): the nucleolus of the bankruptcy game is the Talmud division;
    # claims 100, 200, 300 with estates 100, 200, 300 are the Mishna's three cases
    assert nucleolus(bankruptcy(estate, [100, 200, 300])).x == pytest.approx(talmud, abs=1e-6)


def _lp_feasible(v: np.ndarray, e: float) -> bool:
    n = int(np.log2(len(v)))
    masks = np.arange(1, 2 ** n - 1)
    A = members_of_masks(masks, n).astype(float)
    res = linprog(np.zeros(n), A_ub=sparse.csr_matrix(-A), b_ub=-(v[masks] - e), A_eq=np.ones((1, n)),
                  b_eq=[v[-1]], bounds=[(None, None)] * n, method="highs")
    return res.status == 0


@pytest.mark.parametrize("v", [glove(2, 3), bankruptcy(250, [100, 200, 300]),
                               game(3, lambda S: 1.0 if len(S) >= 2 else 0.0),      # majority: core empty
                               game(4, lambda S: len(S) ** 1.5)])
def test_least_core_meets_the_lp_optimality_conditions(v):
    lc = least_core(v)
    n = int(np.log2(len(v)))
    xs = coalition_sums(lc.x)
    masks = np.arange(1, 2 ** n - 1)
    assert np.all(xs[masks] + lc.excess >= v[masks] - 1e-7)              # feasibility
    assert lc.x.sum() == pytest.approx(v[-1], abs=1e-7)                  # efficiency
    assert not _lp_feasible(v, lc.excess - 1e-4)                         # no smaller e is feasible
    assert _lp_feasible(v, lc.excess + 1e-9)
    assert lc.core_empty == (lc.excess > 1e-9)


def test_majority_game_has_an_empty_core_with_e_star_one_third():
    # v(S) = 1 for |S| ≥ 2: x_i + x_j + e ≥ 1 for all pairs, Σx = 1 → x = 1/3 each, e* = 1/3
    v = game(3, lambda S: 1.0 if len(S) >= 2 else 0.0)
    lc = least_core(v)
    assert lc.excess == pytest.approx(1 / 3, abs=1e-9) and lc.core_empty
    e, mask = core_excess(v, np.array([1 / 3] * 3))
    assert e == pytest.approx(1 / 3) and bin(mask).count("1") == 2


def test_synergy_model_sampling_agrees_with_the_closed_form():
    # quadratic game: φ_i = standalone_i + ½ Σ pair synergies of i (known answer, n = 30)
    rng = np.random.default_rng(3)
    n = 30
    ids = [f"P{i}" for i in range(n)]
    sa = rng.uniform(0, 100, n)
    pairs = [(int(a), int(b), float(w)) for a, b, w in zip(rng.integers(0, n, 40), rng.integers(0, n, 40),
                                                          rng.uniform(0, 50, 40)) if a != b]
    model = {"kind": "synergy", "standalone": dict(zip(ids, sa.tolist())),
             "pairs": [{"members": [ids[a], ids[b]], "value": w} for a, b, w in pairs]}
    fn = value_function(model, ids, ["x"] * n)
    exact = sa.copy()
    for a, b, w in pairs:
        exact[a] += w / 2
        exact[b] += w / 2
    r = shapley_sampling(fn, n, tolerance=1.0, seed=1)
    assert r.converged and r.values.sum() == pytest.approx(fn(np.ones((1, n), bool))[0], rel=1e-12)
    assert np.all(np.abs(r.values - exact) <= 5 * r.std_error + 1e-9)       # within 5 SE
    assert r.std_error.max() <= 1.0 and r.permutations < 20_000   # stopped by the rule


def test_sampling_converges_to_exact_on_a_table_game():
    v = game(6, lambda S: len(S) ** 2 + (5 if 0 in S else 0))
    weights = 1 << np.arange(6)
    r = shapley_sampling(lambda m: v[m.astype(np.int64) @ weights], 6, tolerance=0.05, seed=0)
    assert np.all(np.abs(r.values - shapley_exact(v)) <= 5 * r.std_error + 1e-9)


def test_complements_model_is_a_glove_type_game():
    # the product needs a collector and a processor; 2 collectors, 1 processor, revenue 90
    fn = value_function({"kind": "complements", "revenue": 90, "required_roles": ["collection", "processing"]},
                        ["A", "B", "C"], ["collection", "collection", "processing"])
    v = table_from_function(fn, 3)
    # masks: C alone (4) → 0; A+C (5) → 90; B+C (6) → 90; all (7) → 90; A+B (3) → 0
    assert v[4] == 0 and v[5] == 90 and v[6] == 90 and v[7] == 90 and v[3] == 0
    assert shapley_exact(v) == pytest.approx([15, 15, 60])       # glove(2 right, 1 left) × 90: 1/6, 1/6, 2/3


def test_exact_refuses_more_than_twenty_players():
    with pytest.raises(RefusedError) as ei:
        shapley_exact(np.zeros(2 ** 21))
    assert ei.value.field == "participants"


@pytest.mark.parametrize("model, roles", [
    ({"kind": "synergy", "standalone": {"A": 1.0, "C": 5.0, "F": 2.5},
      "pairs": [{"members": ["A", "B"], "value": 3.0}, {"members": ["H", "C"], "value": 7.0},
                {"members": ["B", "A"], "value": 1.0}]}, ["x"] * 8),
    ({"kind": "complements", "revenue": 100.0, "required_roles": ["collection", "processing"],
      "standalone": {"A": 4.0, "D": 9.0}}, ["collection", "processing", "x", "collection"] * 2)])
def test_model_tables_equal_the_function_evaluated_per_coalition(model, roles):
    ids = list("ABCDEFGH")
    fn = value_function(model, ids, roles)
    fast = table_from_function(fn, 8)
    slow = fn(members_of_masks(np.arange(2 ** 8), 8))
    slow[0] = 0.0
    assert np.allclose(fast, slow, rtol=0, atol=1e-12)
