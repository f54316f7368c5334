"""The methods' nan_to_num takes one np.where for float arrays without infinities; it must
give exactly what np.nan_to_num gives (values, signs of zeros, dtype, shape, type)."""
from __future__ import annotations

import numpy as np
import pytest

from valuation.methods.base import nan_to_num

INPUTS = [
    np.array([1.0, np.nan, -0.0, 0.0, 3.5, -np.nan]),
    np.array([np.inf, np.nan, -np.inf, 2.0]),
    np.array([], dtype=float),
    np.array([[1.0, np.nan], [np.nan, -0.0]]),
    np.arange(12, dtype=float).reshape(3, 4)[:, 1],          # a strided column view
    np.array([np.nan] * 5),
    np.array(np.nan), np.array(2.5),                          # 0-d: np.nan_to_num gives a scalar
    np.array([1, 2, 3]), np.array([True, False]), np.array([1.5, np.nan], dtype=np.float32),
    np.array([1.0, None, np.nan], dtype=object),
    np.nan, 3.0, 4, np.float64(np.nan), -np.inf,
]


@pytest.mark.parametrize("x", INPUTS, ids=range(len(INPUTS)))
def test_nan_to_num_is_numpys(x):
    got, want = nan_to_num(x), np.nan_to_num(x)
    assert type(got) is type(want)
    assert np.asarray(got).dtype == np.asarray(want).dtype and np.shape(got) == np.shape(want)
    g, w = np.asarray(got), np.asarray(want)
    assert repr(g.tolist()) == repr(w.tolist()) if g.dtype == object else np.array_equal(g, w)
    if g.dtype.kind == "f":
        assert np.array_equal(np.signbit(g), np.signbit(w))
    if isinstance(x, np.ndarray):
        assert got is not x      # a new array, as np.nan_to_num (copy=True)
