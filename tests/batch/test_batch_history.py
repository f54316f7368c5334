"""Run history: a second run with changed inputs reports the value change and the flags that
are new and cleared; history per asset, runs list/show/diff."""
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from batch_helpers import AS_OF, small_portfolio

from valuation.api import revalue
from valuation.batch import history, run_show, runs_diff, runs_list
from valuation.core.errors import NotFoundError


def test_second_run_reports_changes_and_new_and_cleared_flags(tmp_path: Path):
    db = f"sqlite:///{tmp_path / 'runs.db'}"
    a, recs = small_portfolio(20, seed=5)
    s1 = revalue(a, tmp_path / "r1.csv", records=recs, library="seed", db=db, as_of=AS_OF, workers=1)
    r1 = pd.read_csv(tmp_path / "r1.csv").set_index("asset_id")
    assert r1["previous_run_id"].isna().all() and r1["flags_new"].isna().all()

    # second run: asset 0's book value collapses (→ HIGH_PREMIUM appears), asset 1's book value
    # rises far above its value (a HIGH_PREMIUM it had is cleared, HIGH_IMPAIRMENT appears), and
    # asset 2's royalty rate doubles (value changes). The HIGH_IMPAIRMENT asset is an enterprise
    # (row 4): CAS 8 binds enterprises, not administrative units (issue 17 applicability)
    assert a.loc[4, "holder_type"] in ("enterprise", "soe")
    x0, x1, x2 = a.loc[0, "asset_id"], a.loc[4, "asset_id"], a.loc[2, "asset_id"]
    b = a.copy()
    b.loc[0, "book_value"] = r1.loc[x0, "estimate"] / 5
    b.loc[4, "book_value"] = r1.loc[x1, "estimate"] * 3
    b.loc[2, "income_royalty_rate"] = a.loc[2, "income_royalty_rate"] * 2
    s2 = revalue(b, tmp_path / "r2.csv", records=recs, library="seed", db=db, as_of=AS_OF, workers=1)
    r2 = pd.read_csv(tmp_path / "r2.csv", keep_default_na=False, na_values=[""]).set_index("asset_id")
    assert (r2["previous_run_id"] == s1.run_id).all()
    np.testing.assert_allclose(r2["previous_estimate"], r1.loc[r2.index, "estimate"], rtol=1e-12)
    np.testing.assert_allclose(r2["change"], r2["estimate"] - r2["previous_estimate"], rtol=1e-9, atol=1e-6)
    assert "HIGH_PREMIUM" in r2.loc[x0, "flags_new"].split(";")
    assert "HIGH_PREMIUM" not in str(r1.loc[x0, "flags"]).split(";")
    assert "HIGH_IMPAIRMENT" in r2.loc[x1, "flags_new"].split(";")
    was = set(str(r1.loc[x1, "flags"]).split(";")) - {"nan", ""}
    now = set(str(r2.loc[x1, "flags"]).split(";")) - {"nan", ""}
    assert set(str(r2.loc[x1, "flags_cleared"]).split(";")) - {"nan", ""} == was - now
    # the income approach moved for asset 2 (its reconciled value moves only if income is weighted)
    assert r2.loc[x2, "income_estimate"] > r1.loc[x2, "income_estimate"] * 1.5
    unchanged = r2.index.difference([x0, x1, x2])
    assert (r2.loc[unchanged, "change"].abs() < 1e-6).all()
    assert (r2.loc[unchanged, "flags_new"].isna() | (r2.loc[unchanged, "flags_new"] == "")).all()

    # history of one asset across the runs, in order
    h = history(x2, db=db)
    assert h["run_id"].tolist() == [s1.run_id, s2.run_id]
    np.testing.assert_allclose(h["estimate"], [r1.loc[x2, "estimate"], r2.loc[x2, "estimate"]], rtol=1e-12)
    # runs list / show / diff
    lst = runs_list(db=db)
    assert lst["id"].tolist() == [s2.run_id, s1.run_id]
    assert (lst["status"] == "finished").all() and lst["total"].tolist() == [20, 20]
    shown = run_show(s2.run_id, db=db)
    assert shown["snapshot_id"] == s2.snapshot_id and shown["input_hash"] == s2.input_hash
    assert shown["counts"]["valued"] == 20 and "partitions" in shown["timings"]
    assert shown["input_hash"] != s1.input_hash
    d = runs_diff(s1.run_id, s2.run_id, db=db).set_index("asset_id")
    assert "HIGH_PREMIUM" in d.loc[x0, "flags_new"].split(";")
    np.testing.assert_allclose(d.loc[x2, "change"], r2.loc[x2, "change"], rtol=1e-9)
    with pytest.raises(NotFoundError):
        run_show("nope", db=db)


def test_history_on_both_databases(store_factory, tmp_path: Path):
    """Runs, per-asset rows and batch_latest (filled inside the database) on SQLite and on a real
    PostgreSQL: the second run diffs against the first."""
    db = store_factory()          # an open store: the history tables live in its database
    a, recs = small_portfolio(8, seed=9)
    s1 = revalue(a, tmp_path / "h1.csv", records=recs, library="seed", db=db, as_of=AS_OF, workers=1)
    s2 = revalue(a, tmp_path / "h2.csv", records=recs, library="seed", db=db, as_of=AS_OF, workers=1)
    r2 = pd.read_csv(tmp_path / "h2.csv")
    assert (r2["previous_run_id"] == s1.run_id).all() and (r2["change"].abs() < 1e-9).all()
    assert runs_list(db=db)["id"].tolist() == [s2.run_id, s1.run_id]
    h = history(str(a.loc[0, "asset_id"]), db=db)
    assert h["run_id"].tolist() == [s1.run_id, s2.run_id]
