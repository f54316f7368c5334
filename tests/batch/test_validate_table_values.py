"""Validation of a flat portfolio table (docs/INTERCHANGE.md "Portfolio tables") reads enum,
bool and date columns per distinct value. What a row gets is the domain's rule for its cell,
whatever else the column holds: a label of the field's enumeration (blank → the default),
yes/no text for a bool, a ``YYYY-MM-DD`` date within 1900-01-01 … 2199-12-31, and an issue
naming row, asset, field and value for anything else. Expectations are written out by hand."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from valuation.core.columns import MISSING_CODE, AssetTable
from valuation.core.portfolio import Portfolio
from valuation.core.validate_table import validate_table

# holder_type (default enterprise): enterprise 0, soe 1, administrative 2, public_institution 3
# use_category (no default): public_governance 0, public_welfare 1, industry 2, sector 3


def _table(**cols) -> pd.DataFrame:
    n = len(next(iter(cols.values())))
    base = {"asset_id": [f"A{i}" for i in range(n)], "name": ["x"] * n, "valuation_date": ["2025-06-30"] * n}
    return pd.DataFrame({**base, **cols})


@pytest.mark.parametrize("dtype", [object, "str"])
def test_enum_cells_by_hand(dtype):
    holder = pd.Series([" soe", "enterprise", None, "", "SOE", "soe", "  "], dtype=dtype)
    use = pd.Series(["industry", None, "sector ", "industry", "industry", "bogus", "sector"], dtype=dtype)
    pf = Portfolio.from_table(_table(holder_type=holder, use_category=use), strict=False)
    # row 4 ("SOE": labels are case-sensitive) and row 5 ("bogus") refused, each named
    assert sorted((i.row, i.asset_id, i.field, i.value) for i in pf.rejected) == [
        (4, "A4", "holder_type", "SOE"), (5, "A5", "use_category", "bogus")]
    t = pf.columns
    assert t.ids.tolist() == ["A0", "A1", "A2", "A3", "A6"]
    # blanks and missing take holder_type's default (enterprise 0); stripped " soe" is soe 1
    assert t["holder_type"].tolist() == [1, 0, 0, 0, 0]
    assert t["use_category"].tolist() == [2, MISSING_CODE, 3, 2, 3]


def test_enum_given_as_numbers_reads_whole_numbers_as_text():
    """A numeric column is read as its text, a whole number without ".0": no label is a number,
    so each present cell is refused naming its value, a missing one takes the default."""
    _, issues = validate_table(_table(holder_type=[1.0, np.nan, 2.5]))
    assert [(i.row, i.value) for i in issues] == [(0, 1.0), (2, 2.5)]
    assert "'1'" not in issues[0].message_en      # the value shown is the cell as given


def test_bool_cells_by_hand():
    pledged = pd.Series(["yes", " 否 ", None, "TRUE", "1.0", "maybe", "n", ""], dtype=object)
    typed, issues = validate_table(_table(pledged=pledged))
    assert [(i.row, i.field, i.value) for i in issues] == [(5, "pledged", "maybe")]
    # missing, blank and the refused cell take the default False
    assert typed["pledged"].tolist() == [True, False, False, True, True, False, False, False]
    typed, issues = validate_table(_table(pledged=[1.0, 0.0, np.nan]))     # numbers: 1 / 0
    assert not issues and typed["pledged"].tolist() == [True, False, False]


def test_date_cells_by_hand():
    """Each distinct date text parsed once; the first 10 characters count; out of range or not
    a calendar date → an issue naming the row (a required date missing too)."""
    vd = ["2025-06-30", "2025-06-30T08:00", " 2024-02-29", "2023-02-29", None, "2200-01-01",
          "2025-06-30", "1900-01-01"]
    typed, issues = validate_table(_table(valuation_date=vd))
    assert sorted((i.row, i.value) for i in issues) == [(3, "2023-02-29"), (4, None), (5, "2200-01-01")]
    got = typed["valuation_date"].to_numpy().astype("datetime64[D]")
    want = np.array(["2025-06-30", "2025-06-30", "2024-02-29", "NaT", "NaT", "NaT", "2025-06-30",
                     "1900-01-01"], dtype="datetime64[D]")
    np.testing.assert_array_equal(got, want)


def test_many_rows_few_values_same_as_each_alone():
    """A column of 3,000 rows holding four distinct cells gives each row what that cell gives
    in a one-row table (the per-distinct-value reading does not depend on the neighbours)."""
    cells = ["soe", None, "administrative ", "x"]
    col = [cells[i % 4] for i in range(3000)]
    typed, issues = validate_table(_table(holder_type=col))
    assert [i.row for i in issues] == list(range(3, 3000, 4))
    alone = [validate_table(_table(holder_type=[c]))[0]["holder_type"].iloc[0] for c in cells]
    assert typed["holder_type"].iloc[:4].tolist()[:3] == alone[:3] == ["soe", "enterprise", "administrative"]
    # the enum column leaves validation coded: the asset table reads soe 1, enterprise 0,
    # administrative 2; the refused "x" is left missing, i.e. the default (its row is rejected)
    codes = AssetTable.from_series(typed["asset_id"].tolist(), typed)["holder_type"]
    assert codes[:8].tolist() == [1, 0, 2, 0, 1, 0, 2, 0]


def test_categorical_column_refused_at_its_first_row_outside_the_enumeration():
    """A Categorical column read by the asset table: each category looked up once, the row
    named is the first row holding a category outside the field's enumeration."""
    from valuation.core.errors import ValidationError

    s = pd.Series(pd.Categorical(["soe", None, "martian", "soe"], categories=["soe", "martian"]))
    with pytest.raises(ValidationError) as e:
        AssetTable.from_series(["A", "B", "C", "D"], {"holder_type": s})
    (issue,) = e.value.issues
    assert (issue.field, issue.value, issue.row) == ("asset.holder_type", "martian", 2)
    ok = pd.Series(pd.Categorical(["soe", None, "soe"], categories=["soe", "martian"]))
    assert AssetTable.from_series(["A", "B", "C"], {"holder_type": ok})["holder_type"].tolist() == [1, 0, 1]
