"""A flat portfolio table goes straight into the typed carrier (issue 20): ``from_table`` builds
the ``AssetTable`` from the validated columns (no assets frame), fills periods and terminal
growth from the streams, sets the section flags from the columns and records given, reads
the records as ``Ragged`` from the given sheet, and rejects bad rows as before. Expectations
are written out by hand from the table below."""
from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest

from valuation.core.columns import MISSING_CODE
from valuation.core.errors import ValidationError
from valuation.core.portfolio import Portfolio


def _table() -> pd.DataFrame:
    return pd.DataFrame({
        "asset_id": ["A", "B", "C", "D"],
        "name": ["a", "b", "c", "d"],
        "valuation_date": ["2025-06-30"] * 4,
        "update_frequency": ["daily", None, "hourly", "monthly"],        # C: not a frequency
        "cost_direct": [100.0, None, 5.0, None],
        "income_model": [None, "direct", None, "royalty"],
        "income_discount_rate": [None, 0.1, None, 0.12],
        "income_income_1": [None, 1.0, None, None],
        "income_income_2": [None, 2.0, None, None],
        "income_revenue_base": [None, None, None, 100.0],
        "income_revenue_growth": [None, None, None, 0.1],
        "income_revenue_terminal_growth": [None, None, None, 0.02],
        "income_periods": [None, None, None, 3],
    })


def test_flat_table_into_the_typed_table_by_hand():
    lines = pd.DataFrame({"asset_id": ["D", "A", "X", "D"], "category": ["direct", "taxes", "direct", None],
                          "amount": [1.0, 2.0, 3.0, 4.0]})
    pf = Portfolio.from_table(_table(), {"cost.lines": lines}, strict=False)
    assert pf._assets is None                                  # no frame was built
    t = pf.columns
    # C's update_frequency is refused: C left out, the issue names row 3, field and value
    assert t.ids.tolist() == ["A", "B", "D"]
    (bad,) = pf.rejected
    assert (bad.row, bad.asset_id, bad.value) == (2, "C", "hourly") and "update_frequency" in bad.field
    # update_frequency labels: real-time 0, daily 1, weekly 2, monthly 3; B's is missing
    assert t["update_frequency"].tolist() == [1, MISSING_CODE, 3]
    np.testing.assert_array_equal(t["cost_direct"], [100.0, np.nan, np.nan])
    # periods: B's two numbered incomes give 2; D gives 3; A none
    np.testing.assert_array_equal(t["income_periods"], [np.nan, 2.0, 3.0])
    np.testing.assert_array_equal(t["income_terminal_growth"], [np.nan, np.nan, 0.02])
    # D's revenue 100 growing 10 %: 100, 110, 121
    np.testing.assert_allclose(pf.series["income.revenue"].loc["D"].to_numpy(), [100.0, 110.0, 121.0], rtol=1e-15)
    np.testing.assert_array_equal(pf.series["income.income"].loc["B"].to_numpy(), [1.0, 2.0])
    # flags: A has cost columns; D has cost only through its lines; B income only
    assert t["has_cost"].tolist() == [True, False, True]
    assert t["has_income"].tolist() == [False, True, True]
    assert t["has_market"].tolist() == [False, False, False]
    # lines of A and D as Ragged (X is not in the portfolio), in the given order within D
    r = pf.ragged("cost.lines")
    assert r.offsets.tolist() == [0, 1, 1, 3] and r["amount"].tolist() == [2.0, 1.0, 4.0]
    assert r["category"].tolist() == [4, 1, MISSING_CODE]      # taxes 4, direct 1, missing
    assert pf.records._done == {}                               # the frame: only if asked
    assert pf.record("cost.lines")["asset_id"].tolist() == ["D", "A", "D"]   # (as given)
    # the edge frame is the table's, and a portfolio pickles with its table
    pd.testing.assert_frame_equal(pf.assets, t.to_frame())
    back = pickle.loads(pickle.dumps(pf))
    assert back.columns["update_frequency"].tolist() == [1, MISSING_CODE, 3]


def test_strict_table_refuses_with_every_issue():
    with pytest.raises(ValidationError) as e:
        Portfolio.from_table(_table())
    assert [i.asset_id for i in e.value.issues] == ["C"]
    with pytest.raises(ValidationError) as e:
        Portfolio.from_table(_table(), {"cost.nope": pd.DataFrame({"asset_id": ["A"]})}, strict=False)
    assert e.value.issues[0].field == "cost.nope"


def test_rows_are_read_by_position_whatever_the_index():
    """A table cut from a larger one keeps its row labels (``iloc`` of a partition): the
    validated columns are read by position, so a table labelled 10.. gives the portfolio of
    the same rows labelled 0.. (ids, numbers, rejects by position) — the columns were once
    aligned on 0.. and came out missing."""
    lines = pd.DataFrame({"asset_id": ["D", "A"], "category": ["direct", "taxes"], "amount": [1.0, 2.0]})
    shifted = _table().set_axis(pd.RangeIndex(10, 14))
    a = Portfolio.from_table(_table(), {"cost.lines": lines}, strict=False)
    b = Portfolio.from_table(shifted, {"cost.lines": lines}, strict=False)
    assert b.columns.ids.tolist() == ["A", "B", "D"]
    assert [(i.row, i.asset_id) for i in b.rejected] == [(2, "C")]
    for name in ("cost_direct", "income_periods", "update_frequency", "has_cost", "valuation_date"):
        np.testing.assert_array_equal(b.columns[name], a.columns[name])
    np.testing.assert_array_equal(b.ragged("cost.lines")["amount"], [2.0, 1.0])


def test_records_ids_given_as_numbers_match_their_text():
    """Records whose ``asset_id`` column holds numbers (a spreadsheet's ids "1", "2" read as
    numbers) are matched by their text, as the items are: the asset has the section."""
    t = _table().assign(asset_id=["1", "2", "3", "4"], update_frequency="daily")
    lines = pd.DataFrame({"asset_id": [2, 4, 9], "category": ["direct", "taxes", "direct"], "amount": [1.0, 2.0, 3.0]})
    pf = Portfolio.from_table(t, {"cost.lines": lines})
    assert pf.ragged("cost.lines").offsets.tolist() == [0, 0, 1, 1, 2]
    assert pf.columns["has_cost"].tolist() == [True, True, True, True]   # (cost_direct given: A, C; lines: B, D)


@pytest.mark.parametrize("storage", ["pyarrow", "python", None])
def test_a_control_character_in_a_name_rejects_its_row_however_the_text_is_stored(storage):
    """The input gate reads identifier columns stored by Arrow (joined by Arrow), by Python or as
    objects alike: the row holding U+0007 is rejected naming row, asset and column."""
    t = _table().assign(update_frequency="daily")
    t["name"] = ["a", "b\x07", "c", "d"]
    if storage is not None:
        t["name"] = t["name"].astype(pd.StringDtype(storage, na_value=np.nan))
    else:
        t["name"] = t["name"].astype(object)
    pf = Portfolio.from_table(t, strict=False)
    assert pf.columns.ids.tolist() == ["A", "C", "D"]
    (bad,) = pf.rejected
    assert (bad.row, bad.asset_id, bad.field) == (1, "B", "name") and "U+0007" in bad.message_en
