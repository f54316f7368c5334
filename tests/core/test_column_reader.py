"""The Series-free column readers of core.portfolio equal the public pandas reads."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from valuation.core.frames import column_floats, column_list, column_values


def _table() -> pd.DataFrame:
    df = pd.DataFrame({
        "f": [1.5, np.nan, -2.0], "g": [0.0, 1.0, 2.0], "i": [1, 2, 3], "b": [True, False, True],
        "s": pd.array(["a", None, "c"], dtype="str"), "o": np.array(["x", None, 3], dtype=object),
        "d": pd.to_datetime(["2024-01-02", None, "2023-05-06"]),
        "n": pd.array([1, None, 3], dtype="Int64"),
    }, index=pd.Index(["A", "B", "C"], name="asset_id"))
    df["f"] = df["f"] * 2            # a written column (its own block)
    return df


@pytest.mark.parametrize("col", ["f", "g", "i", "b", "s", "o", "d", "n"])
def test_column_values_is_the_public_read(col):
    df = _table()
    v = column_values(df, col)
    s = df[col]
    if isinstance(s.dtype, np.dtype):
        assert isinstance(v, np.ndarray) and v.dtype == s.dtype and not v.flags.writeable
        np.testing.assert_array_equal(v, s.to_numpy())
    else:
        assert v.dtype == s.dtype and v.equals(s.array)
    assert column_list(df, col)[:1] == s.to_numpy(dtype=object).tolist()[:1]


def test_column_values_read_only_view_leaves_the_frame_writable():
    df = _table()
    v = column_values(df, "g")
    assert not v.flags.writeable
    df.loc["A", "g"] = 7.0          # the frame's own array is still writable (a view of ours)
    assert df["g"].tolist() == [7.0, 1.0, 2.0]


def test_column_values_sees_replaced_columns():
    df = _table()
    before = column_values(df, "g")
    df["g"] = np.array([9.0, 8.0, 7.0])
    assert column_values(df, "g").tolist() == [9.0, 8.0, 7.0]
    assert before.tolist() == [0.0, 1.0, 2.0]


def test_column_floats_and_list():
    df = _table()
    for col in ("f", "g", "i", "b"):
        got, want = column_floats(df, col), df[col].to_numpy(dtype=float)
        assert got.dtype == np.float64
        np.testing.assert_array_equal(got, want)
    assert column_list(df, "s") == ["a", None, "c"]
    assert column_list(df, "o") == ["x", None, 3]
    assert column_list(df, "g") == [0.0, 1.0, 2.0]
    with pytest.raises(KeyError):
        column_values(df, "absent")


def test_duplicated_labels_take_the_public_path():
    df = pd.DataFrame([[1.0, 2.0]], columns=["x", "x"])
    assert column_floats(df, "x").tolist() == df["x"].to_numpy(dtype=float).tolist() == [[1.0, 2.0]]
