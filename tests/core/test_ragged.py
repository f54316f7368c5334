"""A portfolio as arrays (core/ragged.py): streams as (assets × periods) arrays, records as
offsets + item columns. Expectations written out by hand from the cards below."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from valuation.core.columns import MISSING_CODE
from valuation.core.portfolio import Portfolio
from valuation.core.ragged import Ragged


def _card(aid: str, lines: list[dict], income: list[float] | None = None) -> dict:
    c = {"asset": {"asset_id": aid, "name": aid}, "engagement": {"valuation_date": "2025-06-30"},
         "cost": {"lines": lines}}
    if income is not None:
        c["income"] = {"model": "direct", "discount_rate": 0.1, "income": income}
    return c


def _pf() -> Portfolio:
    return Portfolio.from_cards(_CARDS)


_CARDS = ([
    _card("A", [{"category": "direct", "amount": 10.0}, {"category": "taxes", "amount": 2.0,
                                                          "date_incurred": "2024-03-01"}], [1.0, 2.0, 3.0]),
    _card("B", []),
    _card("C", [{"category": "preliminary", "amount": 5.0, "allocation_share": 0.5}], [4.0]),
])
PF = _pf()


def test_records_as_offsets_and_item_columns():
    arr = PF.arrays
    r = arr.records["cost.lines"]
    # A has 2 lines, B none, C one: offsets 0,2,2,3
    assert r.offsets.tolist() == [0, 2, 2, 3] and r.counts.tolist() == [2, 0, 1]
    assert r.owner.tolist() == [0, 0, 2]
    np.testing.assert_array_equal(r["amount"], [10.0, 2.0, 5.0])
    # cost_category labels: preliminary 0, direct 1, indirect 2, opportunity 3, taxes 4
    assert r["category"].tolist() == [1, 4, 0]
    # allocation_share defaults to 1.0 (schema); subcategory text missing → None
    assert r["allocation_share"].tolist() == [1.0, 1.0, 0.5]
    assert r["subcategory"].tolist() == [None, None, None]
    assert r["date_incurred"].dtype == np.dtype("datetime64[D]")
    assert np.isnat(r["date_incurred"][0]) and r["date_incurred"][1] == np.datetime64("2024-03-01")


def test_streams_are_assets_by_periods():
    s = PF.arrays.streams["income.income"]
    assert s.shape == (3, 3)
    np.testing.assert_array_equal(s, [[1.0, 2.0, 3.0], [np.nan] * 3, [4.0, np.nan, np.nan]])


def test_take_keeps_items_with_their_assets():
    t = PF.arrays.take([2, 0])
    assert t.assets.ids.tolist() == ["C", "A"]
    r = t.records["cost.lines"]
    assert r.offsets.tolist() == [0, 1, 3] and r["amount"].tolist() == [5.0, 10.0, 2.0]
    np.testing.assert_array_equal(t.streams["income.income"][0], [4.0, np.nan, np.nan])


def test_ragged_frame_round_trip_groups_rows_by_asset():
    long = pd.DataFrame({"asset_id": ["C", "A", "X", "A"], "category": ["direct", "taxes", "direct", None],
                         "amount": [1.0, 2.0, 3.0, 4.0]})
    r = Ragged.from_frame("cost.lines", long, np.array(["A", "B", "C"], dtype=object))
    # X is not in the portfolio; A's rows keep their order (taxes then missing), then C's
    assert r.offsets.tolist() == [0, 2, 2, 3]
    assert r["amount"].tolist() == [2.0, 4.0, 1.0]
    assert r["category"].tolist() == [4, MISSING_CODE, 1]
    back = r.to_frame(np.array(["A", "B", "C"], dtype=object))
    assert back["asset_id"].tolist() == ["A", "A", "C"]
    assert back["category"].tolist() == ["taxes", None, "direct"]
    with pytest.raises(ValueError):
        Ragged("cost.lines", np.array([0, 2]), {"amount": np.zeros(3)})


def _same_columns(a: Ragged, b: Ragged) -> None:
    assert a.path == b.path and a.offsets.tolist() == b.offsets.tolist()
    assert list(a.columns) == list(b.columns)
    for k in a.columns:
        x, y = a[k], b[k]
        assert x.dtype == y.dtype, (a.path, k, x.dtype, y.dtype)
        if x.dtype.kind in "fM":
            np.testing.assert_array_equal(x, y)          # (NaN / NaT compare equal here)
        else:
            assert x.tolist() == y.tolist(), (a.path, k)


def test_records_from_the_cards_items_equal_those_of_the_records_frame():
    """Ragged straight from the cards (no frame) is what the frame path gives, for every
    records path every example card fills, dtypes, missing values and defaults included."""
    import json
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    cards = [json.loads(p.read_text("utf-8")) for p in sorted((root / "examples" / "cards").glob("*.json"))]
    pf = Portfolio.from_cards(cards + [c for c in [PF.card("A"), PF.card("C")]])
    paths = list(pf.records)
    assert {"cost.lines", "market.comparables"} <= set(paths)
    for path in paths:
        direct = pf.ragged(path)
        assert direct is not None and direct is pf.ragged(path)       # made once
        _same_columns(direct, Ragged.from_frame(path, pf.records[path], pf.columns.ids))
    assert pf.ragged("income.scenarios") is None or "income.scenarios" in paths


def test_ragged_from_cards_builds_no_records_frame_and_pickles():
    import pickle

    pf = Portfolio.from_cards([_card("A", [{"category": "direct", "amount": 10.0}]), _card("B", [])])
    r = pf.ragged("cost.lines")
    assert r.offsets.tolist() == [0, 1, 1] and r["amount"].tolist() == [10.0]
    assert pf.records._done == {}                      # the frame is an edge, never built here
    back = pickle.loads(pickle.dumps(r))
    _same_columns(back, r)
    assert pickle.loads(pickle.dumps(pf)).ragged("cost.lines")["category"].tolist() == [1]


def test_subset_takes_the_items_of_its_rows_and_cuts_frames_only_when_read():
    pf = _pf()                                       # (a fresh one: no frame built yet)
    sub = pf.subset(["C", "A"])
    assert sub._assets is None and sub.records._done == {}
    r = sub.ragged("cost.lines")                     # C's one line, then A's two
    assert r.offsets.tolist() == [0, 1, 3] and r["amount"].tolist() == [5.0, 10.0, 2.0]
    assert pf.subset(["B"]).ragged("cost.lines") is None
    assert sub.record("cost.lines")["asset_id"].tolist() == ["A", "A", "C"]   # (the frame's order)
    _same_columns(r, Ragged.from_frame("cost.lines", sub.record("cost.lines"), sub.columns.ids))


def test_records_frame_of_cards_is_the_frame_of_their_items():
    """The records frame of a portfolio of cards (the edge form) by hand: asset ids, numbers
    float64 with the schema default, enum labels and text None when missing, dates
    datetime64 NaT when missing."""
    fr = _pf().records["cost.lines"]
    assert fr["asset_id"].tolist() == ["A", "A", "C"]
    assert fr["category"].tolist() == ["direct", "taxes", "preliminary"]
    assert fr["amount"].tolist() == [10.0, 2.0, 5.0] and fr["amount"].dtype == np.float64
    assert fr["date_incurred"].dtype.kind == "M"
    assert fr["date_incurred"].isna().tolist() == [True, False, True]
    assert fr["date_incurred"].iloc[1] == pd.Timestamp("2024-03-01")
    assert fr["allocation_share"].tolist() == [1.0, 1.0, 0.5]      # the schema default 1.0


def test_text_positions_match_ids_as_text():
    """Each value's position among the ids (-1 missing or unknown): text as stored (Arrow or
    Python "str", object), numbers read as their text — what ``astype("str")`` gives."""
    from valuation.core.frames import text_positions

    ids = np.array(["A", "B", "7"], dtype=object)
    for vals in (pd.Series(["B", "x", None, "A"], dtype=object), pd.Series(["B", "x", None, "A"], dtype="str"),
                 np.array(["B", "x", None, "A"], dtype=object)):
        assert text_positions(vals, ids).tolist() == [1, -1, -1, 0]
    assert text_positions(pd.Series([7, 8]), ids).tolist() == [2, -1]
    assert text_positions(pd.Series([], dtype=object), ids).tolist() == []


def test_text_positions_with_ids_as_an_arrow_column():
    """The ids given as an Arrow-stored pandas column (as a validated table holds them) are
    matched as the same ids held as Python strings."""
    from valuation.core.frames import text_positions

    ids = ["A", "B", "7"]
    vals = pd.Series(["B", "x", None, "A", "7"], dtype="str")
    arrow = pd.Series(ids, dtype=pd.StringDtype("pyarrow", na_value=np.nan))
    assert text_positions(vals, arrow).tolist() == text_positions(vals, np.array(ids, dtype=object)).tolist() \
        == [1, -1, -1, 0, 2]


def test_ragged_of_a_frame_already_in_the_assets_order():
    """A records frame whose every row is an asset's, in the assets' order (read as it is, not
    copied), gives the items the same frame shuffled gives."""
    ids = np.array(["A", "B", "C"], dtype=object)
    long = pd.DataFrame({"asset_id": ["A", "A", "C"], "category": ["taxes", None, "direct"],
                         "amount": [2.0, 4.0, 1.0]}, index=[10, 11, 12])
    r = Ragged.from_frame("cost.lines", long, ids)
    assert r.offsets.tolist() == [0, 2, 2, 3] and r["amount"].tolist() == [2.0, 4.0, 1.0]
    assert r["category"].tolist() == [4, MISSING_CODE, 1]
    _same_columns(r, Ragged.from_frame("cost.lines", long.iloc[[2, 0, 1]], ids))
