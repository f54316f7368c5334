"""``frame_of_arrays`` (core/frames.py), the edge that turns a result's arrays into the frame
faces and reports read: the frame ``pd.DataFrame(cols, index=index)`` gives."""
from __future__ import annotations


def test_frame_of_arrays_equals_the_dict_constructor():
    """frame_of_arrays(cols, index) is pd.DataFrame(cols, index=index) — values, dtypes and
    blocks — for the columns methods build (numbers, bools, text as unicode or object arrays of
    str) and, by the constructor itself, for any other column (object arrays holding None or
    numbers, datetimes, lists, no rows)."""
    import numpy as np
    import pandas as pd

    from valuation.core.portfolio import frame_of_arrays

    idx = pd.Index(["a", "b", "c"], name="asset_id")
    base = {"x": np.array([1.0, np.nan, 3.0]), "ok": np.array([True, False, True]),
            "n": np.array([1, 2, 3]), "why": np.array(["", "无", "x y"], dtype=object),
            "basis": np.where([True, False, True], "quality", ""), "y": np.array([0.5, 2.0, -1.0])}
    odd = [np.array(["a", None, "c"], dtype=object), np.array([1, "a", 2.0], dtype=object),
           np.array(["2025-01-01", "NaT", "2025-01-03"], dtype="datetime64[ns]"), [1.0, 2.0, 3.0],
           np.array([1 + 2j, 0, 1])]
    cases = [base] + [{**base, "odd": v} for v in odd]
    for cols in cases:
        a, b = frame_of_arrays(cols, idx), pd.DataFrame(cols, index=idx)
        pd.testing.assert_frame_equal(a, b, check_exact=True)
    assert frame_of_arrays(base, idx)["why"].dtype == "str"
    empty = {k: v[:0] for k, v in base.items()}
    pd.testing.assert_frame_equal(frame_of_arrays(empty, idx[:0]), pd.DataFrame(empty, index=idx[:0]))
    # the arrays are copied into the frame, as by the constructor
    cols = {k: v.copy() for k, v in base.items()}
    fr = frame_of_arrays(cols, idx)
    cols["x"][0] = 99.0
    assert fr["x"].iloc[0] == 1.0
