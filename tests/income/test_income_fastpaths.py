"""Fast paths of the income approach equal the plain numpy forms they replace, bit for bit."""
from __future__ import annotations

import numpy as np
import pytest

from valuation.methods.income import _survival, survival
from valuation.methods.income.kernel import row_sum


def _bits(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, float)
    return np.where(np.isnan(x), 0.0, x).view(np.int64)


@pytest.mark.parametrize("T", range(1, 13))
def test_row_sum_is_numpys_row_sum(T):
    rng = np.random.default_rng(T)
    for _ in range(5):
        x = rng.standard_normal((3000, T)) * 10.0 ** rng.integers(-10, 11, (3000, T))
        x[rng.random(x.shape) < 0.2] = 0.0
        x[rng.random(x.shape) < 0.4] *= -1.0
        x[rng.random(x.shape) < 0.02] = np.nan
        x[rng.random(x.shape) < 0.02] = -np.inf
        x[:50] = -0.0
        ref, got = x.sum(axis=1), row_sum(x)
        assert np.array_equal(np.isnan(ref), np.isnan(got))
        assert np.array_equal(_bits(ref), _bits(got))
    # the products the kernel sums: flows × factors, T small
    F = rng.uniform(-1e7, 1e7, (2000, T)) * (rng.random((2000, T)) < 0.9)
    v = (1.0 + rng.uniform(0.01, 0.3, (2000, 1))) ** -np.arange(0.5, T, 1.0)[:T]
    assert np.array_equal(_bits((F * v).sum(axis=1)), _bits(row_sum(F * v)))


def test_survival_skips_rows_without_attrition_bit_for_bit():
    rng = np.random.default_rng(7)
    n, T = 500, 6
    att = rng.uniform(0, 0.5, n)
    att[rng.random(n) < 0.4] = np.nan
    att[rng.random(n) < 0.2] = 0.0
    start = rng.integers(-1, 5, n).astype(float)
    k = np.clip(np.arange(1, T + 1)[None, :] - start[:, None] + 1, 0, None)
    ref = (1 - np.nan_to_num(att))[:, None] ** k
    S, rows = _survival(att, start, T)
    assert np.array_equal(_bits(S), _bits(ref))
    assert np.array_equal(rows, np.flatnonzero(np.nan_to_num(att) != 0))
    assert np.array_equal(_bits(survival(att, start, T)), _bits(ref))
    S0, rows0 = _survival(np.full(4, np.nan), np.full(4, 2.0), 3)
    assert not len(rows0) and (S0 == 1).all()
