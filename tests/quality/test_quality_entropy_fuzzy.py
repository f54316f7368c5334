"""Entropy weights against fixture F4, combined weights and fuzzy comprehensive evaluation.

Tolerances: 1e-4 for F4 (4 printed decimals); identities exact to 1e-12.
"""
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from valuation.core.errors import ValidationError
from valuation.quality import combine_weights, entropy_weights, fuzzy_evaluation

F4 = np.array([[0.95, 0.90, 0.88], [0.80, 0.97, 0.91], [0.99, 0.85, 0.70], [0.90, 0.92, 0.95]])


def test_f4_entropy():
    r = entropy_weights(F4)
    np.testing.assert_allclose(r.entropy, [0.7691, 0.7450, 0.7860], atol=1e-4)
    np.testing.assert_allclose(r.weights, [0.3299, 0.3644, 0.3058], atol=1e-4)
    # 0·ln 0 := 0: each column has a zero after min–max normalisation
    assert (r.normalised == 0).sum(axis=0).tolist() == [1, 1, 1]


def test_entropy_by_hand_two_rows():
    # two objects: normalised column (0, 1) → p = (0, 1) → e = 0 for every column → equal weights
    r = entropy_weights([[1.0, 5.0], [2.0, 3.0]])
    np.testing.assert_allclose(r.entropy, [0.0, 0.0], atol=1e-15)
    np.testing.assert_allclose(r.weights, [0.5, 0.5])


def test_entropy_dataframe_inverse_and_constant_column():
    df = pd.DataFrame(F4, columns=["a", "b", "c"])
    df["const"] = 0.9
    r = entropy_weights(df)
    assert r.weights[3] == 0.0 and r.entropy[3] == 1.0 and list(r.by_column()) == ["a", "b", "c", "const"]
    np.testing.assert_allclose(r.weights[:3], [0.3299, 0.3644, 0.3058], atol=1e-4)
    # an inverse indicator is normalised as (max − x)/(max − min) = benefit of −x
    inv = entropy_weights(F4, inverse=[True, False, False])
    neg = entropy_weights(F4 * np.array([-1, 1, 1]))
    np.testing.assert_allclose(inv.weights, neg.weights, atol=1e-12)


def test_entropy_needs_two_rows_and_finite_values():
    with pytest.raises(ValidationError) as ei:
        entropy_weights([[0.9, 0.8]])
    assert ei.value.issues[0].field == "indicators" and ei.value.issues[0].value == [1, 2]
    with pytest.raises(ValidationError) as ei:
        entropy_weights([[0.9, np.nan], [0.8, 0.7]])
    assert ei.value.issues[0].field == "indicators[0,1]"


@settings(max_examples=50, deadline=None)
@given(arrays(float, st.tuples(st.integers(2, 12), st.integers(1, 6)), elements=st.floats(0, 1)))
def test_entropy_weights_are_a_distribution(x):
    w = entropy_weights(x).weights
    assert np.all(w >= -1e-12) and w.sum() == pytest.approx(1.0, abs=1e-9)


def test_combined_weights():
    a, b = np.array([0.5, 0.3, 0.2]), np.array([0.2, 0.3, 0.5])
    np.testing.assert_allclose(combine_weights(a, b), [0.35, 0.3, 0.35])
    np.testing.assert_allclose(combine_weights(a, b, alpha=1.0), a)
    np.testing.assert_allclose(combine_weights(a, b, method="multiplicative"), [0.1 / 0.29, 0.09 / 0.29, 0.1 / 0.29])
    with pytest.raises(ValidationError) as ei:
        combine_weights([0.5, 0.3, 0.3], b)
    iss = ei.value.issues[0]
    assert iss.field == "w_ahp" and iss.value == [0.5, 0.3, 0.3] and "1.1" in iss.message_en
    with pytest.raises(ValidationError) as ei:
        combine_weights(a, b, alpha=1.5)
    assert ei.value.issues[0].field == "alpha" and ei.value.issues[0].value == 1.5


def test_fuzzy_evaluation_by_hand():
    w = [0.6, 0.4]
    r = [[0.6, 0.3, 0.1, 0.0], [0.1, 0.4, 0.4, 0.1]]
    res = fuzzy_evaluation(w, r)
    np.testing.assert_allclose(res.membership, [0.40, 0.34, 0.22, 0.04])
    assert res.score == pytest.approx(84.3, abs=1e-12)   # 38 + 28.9 + 15.4 + 2
    assert res.grade == "优"
    _b, score = res
    assert score == res.score
    with pytest.raises(ValidationError) as ei:
        fuzzy_evaluation(w, [[0.5, 0.3, 0.3, 0.0], [0.1, 0.4, 0.4, 0.1]])
    assert ei.value.issues[0].field == "fuzzy.membership[0]"
