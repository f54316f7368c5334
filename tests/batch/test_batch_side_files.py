"""Records side files of a batch validated with the card schema (issue 18, deliverable 3):
every bad records row is a reject naming table, row, field, value and reason; its asset is not
valued (as a card with that record would be refused); the counts balance for assets and
records, and the summary says so."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from batch_helpers import AS_OF, small_portfolio

from valuation import api
from valuation.api import revalue
from valuation.core.errors import ValidationError


@pytest.fixture
def db(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'runs.db'}"


def _with_bad_records():
    a, r = small_portfolio(12)
    comps = r["market.comparables"].copy().reset_index(drop=True)
    comps["price"] = comps["price"].astype(object)
    comps["quality"] = comps["quality"].astype(object)
    ids = list(dict.fromkeys(comps["asset_id"]))
    first = {aid: comps.index[comps["asset_id"] == aid][0] for aid in ids}
    bad = {  # records row (0-based) → (field, value)
        first[ids[0]]: ("price", -5.0),              # negative price: was silently dropped
        first[ids[1]]: ("price_mode", "auction"),    # unknown price mode
        first[ids[2]]: ("quality", "very good"),     # text where a score is needed
        first[ids[3]]: ("price", "1e400"),           # overflows to inf
        first[ids[4]]: ("price", None),              # required value missing
    }
    for row, (field, value) in bad.items():
        comps.loc[row, field] = value
    quality = pd.DataFrame({"asset_id": [ids[5], ids[6]], "indicator": ["accuracy", "accuracy"],
                            "a": [9, 9], "b": [10, 10], "score": ["high", 80]})
    return a, {"market.comparables": comps, "asset.quality.indicators": quality}, bad, ids


def test_every_bad_records_row_is_rejected_and_the_counts_add_up(tmp_path, db):
    a, recs, bad, ids = _with_bad_records()
    s = revalue(a, tmp_path / "out.csv", records=recs, library="seed", db=db, as_of=AS_OF,
                workers=1, chunk_size=5)
    rej = pd.read_csv(tmp_path / "out.csv.rejects.csv", dtype={"value": str})
    comps = rej[rej["table"] == "market.comparables"]
    for row, (field, value) in bad.items():
        hit = comps[(comps["row"] == row + 1) & (comps["field"] == f"market.comparables.{field}")]
        assert len(hit) == 1, (row, field, comps[["row", "field", "value"]])
        h = hit.iloc[0]
        if value is not None:
            assert str(value) in str(h["value"]) or h["value"] == str(float(value))
        assert "market.comparables" in h["reason_en"] and f"row {row + 1}" in h["reason_en"]
        assert "明细表" in h["reason_zh"] and f"第 {row + 1} 行" in h["reason_zh"]
    q = rej[rej["table"] == "asset.quality.indicators"]
    assert list(q["field"]) == ["asset.quality.indicators.score"] and list(q["row"]) == [1]
    # the six assets with a bad records row are not valued; each has one assets reject naming it
    hit_ids = set(ids[:6])
    main = rej[rej["table"] == "assets"]
    assert set(main["asset_id"]) == hit_ids
    assert main["reason_en"].str.contains("records row").all()
    res = pd.read_csv(tmp_path / "out.csv")
    assert not hit_ids & set(res["asset_id"]) and len(res) == 12 - 6
    # their remaining (valid) comparables are unused, so rejected as well
    c = s.counts
    n_rec = len(recs["market.comparables"]) + len(recs["asset.quality.indicators"])
    n_rej_rows = len(rej.loc[rej["table"] != "assets", ["table", "row"]].drop_duplicates())
    assert c["records_in"] == n_rec == c["records_used"] + c["rejected_records"]
    assert c["rejected_records"] == n_rej_rows
    used = recs["market.comparables"]["asset_id"].isin(set(res["asset_id"])).sum() + 1  # 1 quality row
    assert c["records_used"] == used
    assert c["total"] == c["valued"] + c["no_estimate"] + c["failed"] + c["screened_out"] + c["rejected"]
    assert c["rejected"] == 6
    text_en, text_zh = s.to_text("en"), s.to_text("zh")
    assert f"records: {n_rec} in = {used} used + {n_rej_rows} rejected" in text_en
    assert "DOES NOT ADD UP" not in text_en and "不平衡" not in text_zh and "明细行：输入" in text_zh


def test_side_files_on_disk_are_checked_too(tmp_path, db):
    a, recs, bad, ids = _with_bad_records()
    a.to_csv(tmp_path / "pf.csv", index=False)
    recs["market.comparables"].to_csv(tmp_path / "pf.market.comparables.csv", index=False)
    s = api.revalue(tmp_path / "pf.csv", tmp_path / "o.csv", library="seed", db=db, as_of=AS_OF,
                    workers=1)
    rej = pd.read_csv(tmp_path / "o.csv.rejects.csv")
    assert {f"market.comparables.{f}" for f, _ in bad.values()} <= set(rej["field"])
    assert s.counts["records_in"] == s.counts["records_used"] + s.counts["rejected_records"]


def test_unknown_or_missing_records_columns_refuse_the_run(tmp_path, db):
    a, r = small_portfolio(3)
    comps = r["market.comparables"]
    with pytest.raises(ValidationError) as e:
        revalue(a, tmp_path / "o.csv", records={"market.comparables": comps.assign(colour="red")},
                library="seed", db=db)
    assert "market.comparables.colour" in e.value.message_en
    with pytest.raises(ValidationError) as e:
        revalue(a, tmp_path / "o.csv", records={"market.comparables": comps.drop(columns="price")},
                library="seed", db=db)
    assert "market.comparables.price" in e.value.message_en
    assert not (tmp_path / "o.csv").exists()


def test_scenario_incomes_in_a_side_file_are_parsed_or_rejected():
    from valuation.batch.records_check import check_records

    fr = pd.DataFrame({"asset_id": ["A", "A", "B", "C"], "name": ["base", "up", "x", "y"],
                       "share": [0.5, 0.5, 1.0, 1.5], "income": ["100;110;120", "[1, 2]", "abc", "1,2"]})
    chk = check_records("income.scenarios", fr)
    assert chk.frame["income"].tolist()[:2] == [[100.0, 110.0, 120.0], [1.0, 2.0]]
    assert list(chk.bad) == [False, False, True, True]
    assert set(chk.rejects["field"]) == {"income.scenarios.income", "income.scenarios.share"}


@pytest.mark.parametrize("field, value", [("price", -5.0), ("price_mode", "auction"),
                                          ("quality", "very good"), ("price", None),
                                          ("supply_demand", 80), ("exclusivity", "shared")])
def test_a_side_file_row_is_refused_exactly_when_a_card_with_it_is(field, value):
    """Same schema as cards: the card with this comparable is refused on the same field."""
    import json

    from valuation.batch.records_check import check_records
    from valuation.core.validate import check_document

    root = Path(__file__).resolve().parents[2]
    card = json.loads((root / "examples" / "cards" / "E05_purchased_third_party.json").read_text("utf-8"))
    comp = dict(card["market"]["comparables"][0])
    _, ok_issues = check_document(card, "card")
    assert not ok_issues
    assert not check_records("market.comparables", pd.DataFrame([{"asset_id": "A", **comp}])).bad.any()
    comp[field] = value
    card["market"]["comparables"][0] = comp
    _, issues = check_document(card, "card")
    assert [i.field for i in issues] == [f"market.comparables[0].{field}"]
    chk = check_records("market.comparables", pd.DataFrame([{"asset_id": "A", **comp}]))
    assert list(chk.bad) == [True]
    assert list(chk.rejects["field"]) == [f"market.comparables.{field}"]
