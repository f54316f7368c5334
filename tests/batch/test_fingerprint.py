"""The input fingerprint of a run from frames (``batch.io.frame_sha256``): a resumed run reuses
checkpoints only if it is equal, so any change of content must change it."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from valuation.batch.io import frame_sha256


def _assets() -> pd.DataFrame:
    return pd.DataFrame({"asset_id": ["A1", "A2", "A3"], "book_value": [1.0, np.nan, 3.0],
                         "records": [10, 20, 30], "purpose": pd.Categorical(["transfer", "licensing", "transfer"]),
                         "valuation_date": pd.to_datetime(["2026-01-01", "2026-02-01", "2026-03-01"])})


def _comparables() -> dict[str, pd.DataFrame]:
    return {"market.comparables": pd.DataFrame({"asset_id": ["A1", "A1"], "price": [5.0, 6.0]})}


def test_equal_content_gives_the_same_fingerprint():
    assert frame_sha256(_assets(), _comparables()) == frame_sha256(_assets().copy(), _comparables())


@pytest.mark.parametrize("change", [
    lambda a, r: a.loc.__setitem__((1, "book_value"), 2.0),                 # a missing value filled
    lambda a, r: a.loc.__setitem__((0, "records"), 11),                    # one integer
    lambda a, r: a.loc.__setitem__((2, "asset_id"), "A4"),                 # one text
    lambda a, r: a.__setitem__("purpose", a["purpose"].cat.rename_categories(["l", "t"])),  # categories only
    lambda a, r: a.__setitem__("valuation_date", a["valuation_date"] + pd.Timedelta(days=1)),
    lambda a, r: a.insert(2, "n", a.pop("records")),                        # a column name
    lambda a, r: a.__setitem__("records", a["records"].astype(float)),      # a type
    lambda a, r: setattr(a, "index", pd.Index([5, 6, 7])),                 # the index
    lambda a, r: r["market.comparables"].loc.__setitem__((1, "price"), 6.5),  # a records table
])
def test_any_change_of_content_changes_the_fingerprint(change):
    a, r = _assets(), _comparables()
    before = frame_sha256(a, r)
    change(a, r)
    assert frame_sha256(a, r) != before


def test_mixed_object_columns_are_hashed_and_told_apart():
    """A column Arrow cannot take (numbers and text mixed) still gets a fingerprint."""
    one, two = pd.DataFrame({"x": [1, "a", None]}), pd.DataFrame({"x": [1, "b", None]})
    assert frame_sha256(one) == frame_sha256(one.copy())
    assert frame_sha256(one) != frame_sha256(two)


def test_rows_moved_between_tables_change_the_fingerprint():
    """The boundary between the assets and a records table is part of the content."""
    a = _assets()
    assert frame_sha256(a.iloc[:2], _comparables()) != frame_sha256(a, _comparables())
    assert frame_sha256(a, {}) != frame_sha256(a, _comparables())
