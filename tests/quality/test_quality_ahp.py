"""AHP against fixture F3 (docs/DOMAIN.md §8.2) and Saaty's consistency rule.

Tolerances: weights, λmax, CI, CR and Q 1e-4 (the fixture prints 4 decimals); the
geometric-mean approximation agrees with the eigenvector to 1e-2.
"""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from valuation.core.errors import RefusedError, ValidationError
from valuation.quality import RI, ahp, ahp_batch, ahp_geometric, composite

F3 = np.array([[1, 1 / 2, 1 / 3, 1, 2, 3], [2, 1, 1 / 2, 2, 3, 4], [3, 2, 1, 3, 4, 5],
               [1, 1 / 2, 1 / 3, 1, 2, 3], [1 / 2, 1 / 3, 1 / 4, 1 / 2, 1, 2],
               [1 / 3, 1 / 4, 1 / 5, 1 / 3, 1 / 2, 1]])
F3_SCORES = [92, 88, 85, 90, 80, 95]


def test_f3_eigenvector_weights_lambda_ci_cr():
    r = ahp(F3)
    np.testing.assert_allclose(r.weights, [0.1357, 0.2311, 0.3657, 0.1357, 0.0803, 0.0515], atol=1e-4)
    assert r.weights.sum() == pytest.approx(1.0, abs=1e-12)
    assert r.lambda_max == pytest.approx(6.0732, abs=1e-4)
    assert r.ci == pytest.approx(0.0146, abs=1e-4)
    assert r.ri == 1.24
    assert r.cr == pytest.approx(0.0118, abs=1e-4)
    assert r.accepted and r.override_reason is None


def test_f3_geometric_mean_and_composite_q():
    g = ahp_geometric(F3)
    np.testing.assert_allclose(g, [0.1364, 0.2317, 0.3639, 0.1364, 0.0803, 0.0512], atol=1e-4)
    np.testing.assert_allclose(g, ahp(F3).weights, atol=1e-2)
    assert composite(F3_SCORES, ahp(F3).weights) == pytest.approx(87.4357, abs=1e-4)


def test_ri_table_is_saatys():
    assert RI == {1: 0.0, 2: 0.0, 3: 0.58, 4: 0.90, 5: 1.12, 6: 1.24, 7: 1.32, 8: 1.41, 9: 1.45, 10: 1.49}


def test_cr_at_or_above_limit_is_refused_with_cr_and_limit_named():
    m = np.array([[1, 9, 1 / 9], [1 / 9, 1, 9], [9, 1 / 9, 1]])
    with pytest.raises(RefusedError) as ei:
        ahp(m)
    e = ei.value
    cr = (np.max(np.linalg.eigvals(m).real) - 3) / 2 / 0.58
    assert e.field == "asset.quality.ahp_matrix" and e.value == pytest.approx(cr, abs=1e-6)
    assert f"CR = {cr:.4f}" in e.message_zh and f"CR = {cr:.4f}" in e.message_en
    assert "0.10" in e.message_zh and "0.10" in e.message_en and e.allowed == "CR < 0.10"
    assert "一致性" in e.message_zh and "consistency" in e.message_en
    r = ahp(m, override_reason="专家组复核后接受 / accepted by the panel")
    assert r.cr > 0.1 and not r.accepted and r.override_reason.startswith("专家组")
    with pytest.raises(RefusedError):
        ahp(m, override_reason="   ")  # a blank reason is no reason


def test_non_reciprocal_matrix_names_the_cells_and_values():
    m = F3.copy()
    m[0, 1] = 3.0
    with pytest.raises(ValidationError) as ei:
        ahp(m)
    iss = ei.value.issues[0]
    assert iss.field == "asset.quality.ahp_matrix[1,2]" and iss.value == [3.0, 2.0]
    assert "互反" in iss.message_zh and "not reciprocal" in iss.message_en and "a[1,2] = 3" in iss.message_en


@pytest.mark.parametrize("m,field,word", [
    (np.ones((2, 3)), "asset.quality.ahp_matrix", "square"),
    ([[1, -2], [-0.5, 1]], "asset.quality.ahp_matrix[1,2]", "positive"),
    ([[1, 0], [0, 1]], "asset.quality.ahp_matrix[1,2]", "positive"),
    ([[2, 2], [0.5, 1]], "asset.quality.ahp_matrix[1,1]", "diagonal"),
    (np.ones((11, 11)), "asset.quality.ahp_matrix", "exceeds 10"),
])
def test_bad_matrices_are_refused(m, field, word):
    with pytest.raises(ValidationError) as ei:
        ahp(m)
    assert ei.value.issues[0].field == field and word in ei.value.issues[0].message_en


def test_small_orders():
    assert ahp([[1]]).weights.tolist() == [1.0]
    r = ahp([[1, 3], [1 / 3, 1]])
    np.testing.assert_allclose(r.weights, [0.75, 0.25])
    assert r.cr == pytest.approx(0.0, abs=1e-12)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(0.05, 20), min_size=3, max_size=10))
def test_consistent_matrix_returns_its_weights(raw):
    """a_ij = w_i / w_j is perfectly consistent: eigenvector = w, λmax = n, CR = 0; the
    geometric mean is exact too."""
    w = np.array(raw) / sum(raw)
    m = w[:, None] / w[None, :]
    r = ahp(m)
    np.testing.assert_allclose(r.weights, w, atol=1e-9)
    np.testing.assert_allclose(ahp_geometric(m), w, atol=1e-12)
    assert r.lambda_max == pytest.approx(len(w), abs=1e-8) and abs(r.cr) < 1e-8


def test_batch_equals_one_at_a_time():
    rng = np.random.default_rng(7)
    mats = []
    for _ in range(50):
        w = rng.uniform(0.1, 1, 6)
        m = w[:, None] / w[None, :] * np.exp(np.triu(rng.normal(0, 0.1, (6, 6)), 1))
        m = np.triu(m) + np.triu(1 / m, 1).T
        np.fill_diagonal(m, 1.0)
        mats.append(m)
    w, lam, _ci, cr = ahp_batch(np.stack(mats))
    for k, m in enumerate(mats):
        r = ahp(m, override_reason="test")
        np.testing.assert_allclose(w[k], r.weights, atol=1e-12)
        assert lam[k] == pytest.approx(r.lambda_max, abs=1e-12) and cr[k] == pytest.approx(r.cr, abs=1e-12)
