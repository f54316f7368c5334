"""The asset table (core/columns.py): typed numpy columns generated from the schema table.

Expectations are written out by hand from the cards below and the schema's enumerations
(docs/INTERCHANGE.md): e.g. ``rights_type`` labels are (holding, processing_use,
product_operation), so ``processing_use`` is code 1.
"""
from __future__ import annotations

import dataclasses
import datetime

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from valuation.core.columns import MISSING_CODE, AssetTable, asset_specs
from valuation.core.errors import ValidationError
from valuation.core.portfolio import Portfolio
from valuation.core.schema import fields_for

A = {"asset": {"asset_id": "A1", "name": "交通数据", "holder_type": "soe",
               "rights": {"type": "processing_use", "term_end": "2030-12-31"},
               "impairment_indicators": ["x", "y"], "pledged": True},
     "engagement": {"valuation_date": "2025-06-30", "purpose": "licensing", "currency": "CNY"},
     "cost": {"components": {"direct": 120.5}},
     "income": {"model": "royalty", "periods": 3, "discount_rate": 0.1, "income": [1.0, 2.0, 3.0]}}
B = {"asset": {"asset_id": "B2", "name": "登记数据"},
     "engagement": {"valuation_date": "2024-01-01"}}


def _table() -> AssetTable:
    return AssetTable.from_cards([A, B])


def test_columns_are_generated_from_the_schema_table():
    scalar = [f for f in fields_for("card") if not f.in_records
              and f.kind in ("str", "int", "number", "bool", "date", "enum", "list_str")]
    specs = asset_specs()
    assert [s.name for s in specs] == [f.column for f in scalar] + ["has_cost", "has_income", "has_market"]
    t = _table()
    for s in specs:
        assert t[s.name].dtype == {"number": np.float64, "date": np.dtype("datetime64[D]"),
                                   "enum": np.int16, "text": object, "bool": bool}[s.kind]
    # every bool field has a default, so a bool column never needs a third state
    assert all(f.default is not None for f in scalar if f.kind == "bool")


def test_values_codes_and_missing_by_hand():
    t = _table()
    assert t.ids.tolist() == ["A1", "B2"]
    # enums: codes into ENUMS; a missing enum with a schema default takes the default's code
    assert t.labels("rights_type") == ("holding", "processing_use", "product_operation")
    assert t["rights_type"].tolist() == [1, MISSING_CODE]
    assert t.decode("rights_type").tolist() == ["processing_use", None]
    # holder_type: (enterprise, soe, ...); B2 gives none → default "enterprise" (code 0)
    assert t["holder_type"].tolist() == [1, 0]
    assert t.decode("purpose").tolist() == ["licensing", "other"]
    # numbers: float64, NaN missing, default filled (engagement.coverage defaults to 0.8)
    np.testing.assert_array_equal(t["cost_direct"], [120.5, np.nan])
    assert t["coverage"].tolist() == [0.8, 0.8]
    assert t["income_periods"].tolist()[0] == 3.0 and np.isnan(t["income_periods"][1])
    # dates: datetime64[D], NaT missing
    assert t["valuation_date"].tolist() == [np.datetime64("2025-06-30", "D").item(),
                                            np.datetime64("2024-01-01", "D").item()]
    assert t["rights_term_end"][0] == np.datetime64("2030-12-31") and np.isnat(t["rights_term_end"][1])
    # text: object arrays of str, None missing (never "" or NaN); list_str joined by "; "
    assert t["name"].tolist() == ["交通数据", "登记数据"]
    assert t["impairment_indicators"].tolist() == ["x; y", None]
    assert t["currency"].tolist() == ["CNY", "CNY"]             # default of engagement.currency
    # bools: the default fills; section flags say which sections the card has
    assert t["pledged"].tolist() == [True, False]
    assert t["has_cost"].tolist() == [True, False] and t["has_market"].tolist() == [False, False]


def test_round_trip_card_table_frame_table():
    t = _table()
    fr = t.to_frame()
    assert fr.index.name == "asset_id" and fr.index.tolist() == ["A1", "B2"]
    assert fr["rights_type"].dtype == "str" and pd.isna(fr.loc["B2", "rights_type"])
    assert fr["valuation_date"].dtype == "datetime64[ns]"
    back = AssetTable.from_frame(fr)
    assert back.ids.tolist() == t.ids.tolist()
    for name, a in t.columns.items():
        b = back[name]
        assert a.dtype == b.dtype, name
        if a.dtype == object:
            assert a.tolist() == b.tolist(), name
        else:
            np.testing.assert_array_equal(a, b, err_msg=name)     # NaN/NaT equal to themselves


def test_portfolio_frame_is_the_tables_frame():
    pf = Portfolio.from_cards([A, B])
    pd.testing.assert_frame_equal(pf.assets, pf.columns.to_frame(), check_exact=True)
    assert pf.columns.decode("income_model").tolist() == ["royalty", None]
    # a portfolio built from a flat table reads its table from the frame
    flat = Portfolio.from_table(pd.DataFrame({"asset_id": ["T1"], "name": ["n"],
                                              "valuation_date": ["2025-01-31"],
                                              "rights_type": ["holding"]}))
    assert flat.columns["rights_type"].tolist() == [0]
    assert flat.columns["valuation_date"].tolist() == [np.datetime64("2025-01-31", "D").item()]


def test_take_and_with_columns():
    t = _table()
    r = t.take([1, 0])
    assert r.ids.tolist() == ["B2", "A1"]
    assert r["rights_type"].tolist() == [MISSING_CODE, 1]
    assert r["name"].tolist() == ["登记数据", "交通数据"]
    m = t.take(np.array([False, True]))
    assert m.ids.tolist() == ["B2"] and len(m) == 1
    w = t.with_columns(cost_direct=np.array([1.0, 2.0]))
    assert w["cost_direct"].tolist() == [1.0, 2.0] and t["cost_direct"][0] == 120.5


def test_frozen_read_only_and_checked():
    t = _table()
    with pytest.raises(dataclasses.FrozenInstanceError):
        t.ids = np.array(["x"], dtype=object)  # type: ignore[misc]
    with pytest.raises(ValueError):
        t["cost_direct"][0] = 1.0                               # read-only arrays
    with pytest.raises(TypeError):
        t.with_columns(cost_direct=np.array([1, 2]))              # int64, not float64
    with pytest.raises(KeyError):
        t.with_columns(nonsense=np.zeros(2))


def test_unknown_enum_label_is_refused_naming_field_value_and_allowed():
    fr = _table().to_frame()
    fr["rights_type"] = pd.array(["holding", "lease"], dtype="str")
    with pytest.raises(ValidationError) as e:
        AssetTable.from_frame(fr)
    issue = e.value.issues[0]
    assert issue.field == "asset.rights.type" and issue.value == "lease" and issue.row == 1
    assert "product_operation" in issue.allowed


def test_from_cards_validates_raw_cards():
    with pytest.raises(ValidationError):
        AssetTable.from_cards([{"asset": {"asset_id": "X", "name": "n", "holder_type": "alien"},
                                "engagement": {"valuation_date": "2025-01-01"}}])
    empty = AssetTable.from_cards([])
    assert len(empty) == 0 and len(empty.to_frame().columns) == len(asset_specs())


def test_column_readers_read_the_table_with_none_for_missing_text():
    from valuation.core.frames import column_floats, column_list, column_values

    pf = Portfolio.from_cards([A, B])
    t = pf.columns
    assert column_list(t, "rights_type") == ["processing_use", None]
    assert column_list(pf.assets, "rights_type") == ["processing_use", None]   # the frame agrees
    assert column_list(t, "name") == ["交通数据", "登记数据"]
    assert column_values(t, "rights_type").tolist() == [1, MISSING_CODE]
    np.testing.assert_array_equal(column_floats(t, "cost_direct"), column_floats(pf.assets, "cost_direct"))
    assert column_floats(t, "pledged").tolist() == [1.0, 0.0]
    with pytest.raises(TypeError):
        column_floats(t, "name")


def test_portfolio_keeps_its_table_while_assets_is_the_same_frame():
    pf = Portfolio.from_cards([A, B])
    assert pf.columns is pf.columns
    pf.assets = pf.assets.iloc[[1]]               # a new frame: the table follows it
    assert pf.columns.ids.tolist() == ["B2"]


# ---------------------------------------------------------------- property: frame round trip
_TEXT = st.one_of(st.none(), st.text(alphabet="ab数据 ;", max_size=6))
_NUM = st.one_of(st.just(np.nan), st.floats(-1e12, 1e12, allow_nan=False))
_DAY = st.one_of(st.none(), st.dates(min_value=datetime.date(1900, 1, 1),
                                     max_value=datetime.date(2199, 12, 31)))
_RIGHTS = ("holding", "processing_use", "product_operation")


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(_TEXT, _NUM, _DAY, st.integers(-1, 2), st.booleans()), min_size=1, max_size=8))
def test_any_table_survives_the_frame_round_trip(rows):
    """to_frame then from_frame gives back every value: text (None kept apart from ""),
    numbers (NaN), dates (NaT), enum codes (-1 missing) and bools."""
    n = len(rows)
    base = AssetTable.from_cards([dict(B, asset=dict(B["asset"], asset_id=f"P{i}")) for i in range(n)])
    name = np.empty(n, dtype=object)
    name[:] = [r[0] for r in rows]
    days = np.array(["NaT" if r[2] is None else r[2].isoformat() for r in rows], dtype="datetime64[D]")
    t = base.with_columns(name=name, cost_direct=np.array([r[1] for r in rows]), rights_term_end=days,
                          rights_type=np.array([r[3] for r in rows], dtype=np.int16),
                          pledged=np.array([r[4] for r in rows]))
    back = AssetTable.from_frame(t.to_frame())
    assert back["name"].tolist() == [r[0] for r in rows]
    np.testing.assert_array_equal(back["cost_direct"], [r[1] for r in rows])
    np.testing.assert_array_equal(back["rights_term_end"], days)
    assert back.decode("rights_type").tolist() == [None if r[3] < 0 else _RIGHTS[r[3]] for r in rows]
    assert back["pledged"].tolist() == [r[4] for r in rows]


@pytest.mark.parametrize("n", [3, 200])        # a card's few values, and a table's many (in C)
def test_enum_codes_of_many_or_few_values_by_hand(n):
    """update_frequency (no default): real-time 0, daily 1 … ; holder_type (default
    enterprise = 0): soe 1. Missing values (None, NaN, pandas' NA in a "str" column) take the
    default or -1; the first label outside the enumeration is refused, naming its row."""
    from valuation.core.columns import _codes_of

    freq, holder = AssetTable.spec("update_frequency"), AssetTable.spec("holder_type")
    vals = (["daily", None, float("nan")] * n)[:n]
    want = ([1, MISSING_CODE, MISSING_CODE] * n)[:n]
    assert _codes_of(freq, vals).tolist() == want
    assert _codes_of(freq, pd.Series(vals, dtype="str")).tolist() == want
    assert _codes_of(holder, pd.Series((["soe", None] * n)[:n], dtype="str")).tolist() == ([1, 0] * n)[:n]
    bad = list(vals)
    bad[n - 1] = "hourly"
    with pytest.raises(ValidationError) as e:
        _codes_of(freq, pd.Series(bad, dtype="str"))
    (issue,) = e.value.issues
    assert (issue.field, issue.value, issue.row) == ("asset.update_frequency", "hourly", n - 1)
    mixed = list(vals)
    mixed[0] = 7                                   # not text: looked up one by one, refused
    with pytest.raises(ValidationError):
        _codes_of(freq, mixed)
