"""The kernel's whole-array forms (per_row, fill_nan, the period grid built a column at a time)
give the broadcast formulas' results to the last bit, NaN and infinities included."""
import numpy as np
import pytest

from valuation.methods import income
from valuation.methods.income import kernel


def _bits(x: np.ndarray) -> bytes:
    return np.ascontiguousarray(x).tobytes()


def _sample(rng: np.random.Generator, n: int) -> np.ndarray:
    x = rng.uniform(-3, 3, n) * 10.0 ** rng.integers(-8, 8, n)
    x[rng.random(n) < 0.1] = np.nan
    x[rng.random(n) < 0.03] = np.inf
    x[rng.random(n) < 0.03] = -np.inf
    x[rng.random(n) < 0.03] = -0.0
    return x


@pytest.mark.parametrize("n,T", [(0, 3), (1, 1), (7, 5), (500, 12), (3, 0)])
def test_whole_array_forms_equal_the_broadcast_ones(n, T):
    rng = np.random.default_rng(n * 100 + T)
    x = _sample(rng, n)
    assert _bits(kernel.per_row(x, T)) == _bits(np.broadcast_to(x[:, None], (n, T)))
    for nan in (0.0, 2.0, 0.05):
        assert _bits(kernel.fill_nan(x, nan=nan)) == _bits(np.nan_to_num(x, nan=nan))
    assert _bits(kernel.fill_nan(x.reshape(-1, 1))) == _bits(np.nan_to_num(x.reshape(-1, 1)))
    f = np.clip(rng.uniform(0, 1.2, n), 1e-6, 1.0)
    t = np.arange(1, T + 1, dtype=float)[None, :]
    start, length = kernel.period_grid(T, f)
    assert _bits(start) == _bits(np.where(t == 1, 0.0, f[:, None] + t - 2))
    assert _bits(length) == _bits(np.where(t == 1, f[:, None], 1.0))
    mid = rng.random(n) < 0.5
    end = start + length
    assert _bits(kernel.exponents(T, f, mid)) == _bits(np.where(mid[:, None], end - 0.5 * length, end))
    life = rng.uniform(-1, T + 1, n)
    life[rng.random(n) < 0.2] = np.inf
    life[rng.random(n) < 0.1] = np.nan
    with np.errstate(invalid="ignore"):
        w = np.nan_to_num(np.clip((life[:, None] - start) / length, 0.0, 1.0), nan=0.0)
    assert _bits(kernel.life_weights(life, T, f)) == _bits(w)
    att = rng.uniform(0, 1, n)
    att[rng.random(n) < 0.3] = np.nan
    s = np.nan_to_num(rng.integers(-1, T + 2, n).astype(float) + rng.choice([0.0, 0.5, np.nan], n), nan=2.0)
    k = np.clip(np.arange(1, T + 1)[None, :] - s[:, None] + 1, 0, None)
    assert _bits(income.survival(att, s, T)) == _bits((1 - np.nan_to_num(att))[:, None] ** k)


@pytest.mark.parametrize("shape", [(0, 5), (3, 0), (1, 1), (7, 1), (10, 5), (4130, 5), (50, 40)])
def test_rows_all_and_any_are_the_row_reductions(shape):
    from valuation.methods.income.kernel import rows_all, rows_any

    rng = np.random.default_rng(shape[0] * 100 + shape[1])
    for p in (0.0, 0.1, 0.5, 0.9, 1.0):
        m = rng.random(shape) < p
        for got, want in ((rows_all(m), m.all(axis=1)), (rows_any(m), m.any(axis=1))):
            assert got.dtype == want.dtype and got.shape == want.shape and np.array_equal(got, want)
