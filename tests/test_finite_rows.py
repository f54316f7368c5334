"""The finite-result decisions of issue 17 item 5 as numpy over result columns (methods/finite.py)."""
import numpy as np

from valuation.methods.finite import MAX_AMOUNT, negative_rows, overflow_rows


def test_overflow_rows_are_applicable_rows_with_a_non_finite_or_huge_amount():
    app = np.array([True, True, True, True, False])
    est = np.array([1.0, np.inf, 2.0, -2 * MAX_AMOUNT, np.nan])
    high = np.array([2.0, 3.0, np.nan, 1.0, np.nan])
    assert overflow_rows(app, est, high).tolist() == [False, True, True, True, False]


def test_negative_rows_need_a_stated_loss():
    app = np.array([True, True, True, False])
    est = np.array([-1.0, -1.0, 0.0, -5.0])
    loss = np.array([False, True, False, False])
    assert negative_rows(app, est, loss).tolist() == [True, False, False, False]
