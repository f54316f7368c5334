"""Batch revaluation: every bad row accounted for, failures isolated, screening, results that do
not depend on partitioning, and equality with the engine itself."""
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from batch_helpers import AS_OF, comparable, defective_portfolio, small_portfolio

from valuation import api
from valuation.api import revalue
from valuation.batch.partition import FAIL_HOOK_ENV, evaluate_columns, run_snapshot
from valuation.core.errors import ValidationError
from valuation.core.portfolio import Portfolio
from valuation.engine import evaluate


@pytest.fixture
def db(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'runs.db'}"


def test_bad_rows_duplicates_and_missing_sections_are_accounted_for(tmp_path, db):
    a, recs, bad = defective_portfolio()
    s = revalue(a, tmp_path / "out.csv", records=recs, library="seed", db=db, as_of=AS_OF, workers=1,
                chunk_size=7)
    c = s.counts
    assert c["total"] == 30
    assert c["rejected"] == len(bad) == 5
    assert c["total"] == c["rejected"] + c["screened"] + c["screened_out"]
    assert c["valued"] + c["failed"] + c["no_estimate"] == c["screened"] == 25
    rej = pd.read_csv(tmp_path / "out.csv.rejects.csv")
    main = rej[rej["table"] == "assets"]
    assert set(main["row"]) == set(bad)
    for row, field in bad.items():
        r = main[main["row"] == row]
        assert field in set(r["field"]), (row, r)
        # bilingual reasons naming the global row
        assert r["reason_en"].str.contains(f"row {row}").all() and r["reason_zh"].str.contains(f"第 {row} 行").all()
    assert (main.loc[main["row"] == 4, "value"] == "lots").all()
    comps = rej[rej["table"] == "market.comparables"]
    # comparables of ids that are not in the main table: the invented one, and those of the two
    # rows whose id was overwritten (duplicate) or removed (missing) — 3 comparables each
    orphan = comps[comps["reason_en"].str.contains("not in the main table")]
    assert set(orphan["asset_id"]) == {"NO-SUCH-ASSET", "T-0000014", "T-0000017"}
    # and those of the three assets whose main-table row was rejected: not used, so rejected
    # too (issue 18: every records row is accounted for)
    unused = comps[comps["reason_en"].str.contains("was rejected; the row is not used")]
    assert set(unused["asset_id"]) == {"T-0000003", "T-0000007", "T-0000011"}
    assert len(orphan) == 7 and len(unused) == 9 and len(comps) == 16
    assert c["rejected_records"] == 16
    assert c["records_in"] == len(recs["market.comparables"]) == c["records_used"] + 16
    res = pd.read_csv(tmp_path / "out.csv")
    assert len(res) == 25 and res["asset_id"].is_unique
    no_income = a.loc[20, "asset_id"]
    no_cost = a.loc[21, "asset_id"]
    r20 = res.set_index("asset_id").loc[no_income]
    r21 = res.set_index("asset_id").loc[no_cost]
    assert np.isnan(r20["income_estimate"]) and r20["status"] == "ok"
    assert np.isnan(r21["cost_estimate"]) and r21["status"] == "ok"


def test_table_level_problems_refuse_the_run(tmp_path, db):
    a, _ = small_portfolio(3)
    with pytest.raises(ValidationError) as e:
        revalue(a.assign(colour="red"), tmp_path / "o.csv", library="seed", db=db)
    assert "colour" in e.value.message_en
    with pytest.raises(ValidationError):
        revalue(a.drop(columns=["valuation_date"]), tmp_path / "o.csv", library="seed", db=db)
    with pytest.raises(ValidationError):
        revalue(a, tmp_path / "o.csv", library="seed", db=db, only="premium")
    assert not (tmp_path / "o.csv").exists()


def test_one_failing_asset_becomes_a_failed_row_and_the_run_finishes(tmp_path, db, monkeypatch):
    a, recs = small_portfolio(12)
    victim = a.loc[5, "asset_id"]
    monkeypatch.setenv(FAIL_HOOK_ENV, victim)
    s = revalue(a, tmp_path / "out.parquet", records=recs, library="seed", db=db, as_of=AS_OF, workers=1,
                chunk_size=6)
    assert s.counts["failed"] == 1 and s.counts["valued"] == 11
    res = pd.read_parquet(tmp_path / "out.parquet").set_index("asset_id")
    f = res.loc[victim]
    assert f["status"] == "failed" and np.isnan(f["estimate"])
    assert "simulated failure" in f["reason_en"] and "估值失败" in f["reason_zh"]
    # the other assets of the failing partition were valued, with the same numbers as without
    monkeypatch.delenv(FAIL_HOOK_ENV)
    s2 = revalue(a, tmp_path / "ref.parquet", records=recs, library="seed", db=db, as_of=AS_OF, workers=1,
                 chunk_size=6, history=False)
    ref = pd.read_parquet(tmp_path / "ref.parquet").set_index("asset_id")
    others = res.index != victim
    np.testing.assert_array_equal(res.loc[others, "estimate"].to_numpy(), ref.loc[others, "estimate"].to_numpy())
    assert s2.counts["failed"] == 0


def test_results_do_not_depend_on_partitioning_and_equal_the_engine(tmp_path):
    a, recs = small_portfolio(40)
    s1 = revalue(a, tmp_path / "a.parquet", records=recs, library="seed", as_of=AS_OF, workers=1,
                 chunk_size=7, history=False)
    s2 = revalue(a, tmp_path / "b.parquet", records=recs, library="seed", as_of=AS_OF, workers=1,
                 chunk_size=1000, history=False)
    assert s1.partitions == 6 and s2.partitions == 1 and s1.range_method == "monte_carlo"
    comparable(pd.read_parquet(tmp_path / "a.parquet"), pd.read_parquet(tmp_path / "b.parquet"))
    # the engine on the whole portfolio at once gives the same conclusion and range
    import datetime as dt

    pf = Portfolio.from_table(a, recs)
    ev = evaluate(pf, api.snapshot("seed"), as_of=dt.date.fromisoformat(AS_OF))
    got = pd.read_parquet(tmp_path / "a.parquet").set_index("asset_id")
    for c in ("estimate", "low", "high"):
        np.testing.assert_allclose(got[c].to_numpy(), ev.frame.loc[got.index, c].to_numpy(), rtol=0, atol=0)
    codes = [";".join(f["code"] for f in ev.flags.get(x, [])) for x in got.index]
    assert got["flags"].fillna("").tolist() == codes


def test_fast_flag_codes_equal_the_engines_flag_lists():
    import datetime as dt

    a, recs = small_portfolio(600, seed=7)  # above the Monte Carlo limit: mixture ranges
    pf = Portfolio.from_table(a, recs)
    snap, rm = run_snapshot(api.snapshot("seed"), len(pf))
    assert rm == "mixture"
    day = dt.date.fromisoformat(AS_OF)
    fast = pd.DataFrame(evaluate_columns(pf, snap, as_of=day))
    slow = pd.DataFrame(evaluate_columns(pf, snap, as_of=day, flag_messages=True))
    pd.testing.assert_frame_equal(fast, slow, check_exact=True)
    assert fast["flags"].str.len().gt(0).any()


def test_screening_high_premium_and_high_impairment(tmp_path):
    a, recs = small_portfolio(40, seed=3)
    a = a.copy()
    a.loc[0, "previous_value"] = np.nan          # unknown last value: decided after valuation
    a.loc[1, "impairment_indicators"] = "authorisation lost"
    ratio = (a["previous_value"] - a["book_value"]) / a["book_value"]
    s = revalue(a, tmp_path / "hp.csv", records=recs, library="seed", as_of=AS_OF, workers=1,
                only="high-premium", history=False)
    res = pd.read_csv(tmp_path / "hp.csv")
    pre = set(a.loc[ratio >= 1.0, "asset_id"])           # threshold of HIGH_PREMIUM in the seed rules
    assert pre and pre <= set(res["asset_id"])
    assert (res.loc[res["asset_id"].isin(pre), "screen_basis"] == "previous_value").all()
    extra = set(res["asset_id"]) - pre
    assert extra <= {a.loc[0, "asset_id"]}
    for x in extra:  # kept only because its new value raises HIGH_PREMIUM
        assert "HIGH_PREMIUM" in res.set_index("asset_id").loc[x, "flags"]
    assert s.counts["screened"] + s.counts["screened_out"] == 40
    s2 = revalue(a, tmp_path / "hi.csv", records=recs, library="seed", as_of=AS_OF, workers=1,
                 only="high-impairment", history=False)
    res2 = pd.read_csv(tmp_path / "hi.csv")
    want = set(a.loc[-ratio >= 0.3, "asset_id"]) | {a.loc[1, "asset_id"]}
    assert want <= set(res2["asset_id"])
    assert s2.counts["screened"] + s2.counts["screened_out"] == 40
