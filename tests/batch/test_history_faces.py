"""Value over time reaches every face: the Python API (runs, run, runs_diff, history), the HTTP
service (GET /v1/runs/{id} finds a batch run in its database) and the dashboard's history page."""
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from batch_helpers import AS_OF, small_portfolio

from valuation import api
from valuation.core.errors import NotFoundError

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def two_runs(tmp_path):
    """Two recorded runs of 12 assets in a fresh SQLite file; the second with asset 0's royalty
    rate doubled."""
    db = f"sqlite:///{tmp_path / 'hist.db'}"
    a, recs = small_portfolio(12, seed=3)
    s1 = api.revalue(a, tmp_path / "r1.csv", records=recs, library="seed", db=db, as_of=AS_OF, workers=1)
    b = a.copy()
    b.loc[0, "income_royalty_rate"] = a.loc[0, "income_royalty_rate"] * 2
    s2 = api.revalue(b, tmp_path / "r2.csv", records=recs, library="seed", db=db, as_of=AS_OF, workers=1)
    r1 = pd.read_csv(tmp_path / "r1.csv").set_index("asset_id")
    r2 = pd.read_csv(tmp_path / "r2.csv").set_index("asset_id")
    return db, s1, s2, r1, r2, a.loc[0, "asset_id"]


def test_api_runs_history_and_diff(two_runs):
    db, s1, s2, r1, r2, x0 = two_runs
    lst = api.runs(library=db)
    assert lst["id"].tolist() == [s2.run_id, s1.run_id]
    assert api.run(s1.run_id, library=db)["input_hash"] == s1.input_hash
    h = api.history(x0, library=db)
    assert h["run_id"].tolist() == [s1.run_id, s2.run_id]
    np.testing.assert_allclose(h["estimate"], [r1.loc[x0, "estimate"], r2.loc[x0, "estimate"]], rtol=1e-12)
    d = api.runs_diff(s1.run_id, s2.run_id, library=db).set_index("asset_id")
    np.testing.assert_allclose(d["change"], r2.loc[d.index, "estimate"] - r1.loc[d.index, "estimate"],
                               rtol=1e-9, atol=1e-6)
    with pytest.raises(NotFoundError):
        api.run("no-such-run", library=db)


def test_service_finds_a_batch_run_in_its_database(two_runs, tmp_path):
    from fastapi.testclient import TestClient

    from valuation.service.app import create_app
    from valuation.service.keys import KeyStore
    from valuation.service.settings import Settings

    db, s1, s2, *_ = two_runs
    app = create_app(Settings(db_url=db, library="seed", runs_dir=str(tmp_path / "runs"),
                              rate_per_second=0.0, key_cache_seconds=0.0))
    key = KeyStore(db).create("hist", "viewer")[1]
    with TestClient(app) as c:
        r = c.get(f"/v1/runs/{s2.run_id}", headers={"X-API-Key": key})
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["source"] == "batch" and body["status"] == "done"
        assert body["n_assets"] == 12 and body["n_ok"] == s2.counts["valued"]
        assert body["library_snapshot"] == s2.snapshot_id
        assert c.get("/v1/runs/no-such-run", headers={"X-API-Key": key}).status_code == 404


def test_dashboard_history_page_shows_runs_and_the_value_over_time(two_runs, monkeypatch):
    from streamlit.testing.v1 import AppTest

    db, s1, s2, r1, r2, x0 = two_runs
    monkeypatch.chdir(ROOT)
    at = AppTest.from_string("from valuation.ui.pages import history_page\nhistory_page()\n",
                             default_timeout=120)
    at.session_state["lang"] = "en"
    at.session_state["library_url"] = db
    at.run()
    assert not at.exception, at.exception
    from valuation.core.formatting import money

    runs_shown = next(d.value for d in at.dataframe if "Run id" in d.value.columns and "Assets" in d.value.columns)
    assert runs_shown["Run id"].tolist() == [s2.run_id, s1.run_id]
    at.selectbox(key="history_asset").set_value(x0).run()
    assert not at.exception, at.exception
    h = next(d.value for d in at.dataframe if "Valuation date" in d.value.columns)
    # amounts as the reader sees them (CNY, two decimals), oldest valuation first
    assert h["Estimate"].tolist() == [money(r1.loc[x0, "estimate"], lang="en"),
                                      money(r2.loc[x0, "estimate"], lang="en")]
    at.button(key="diff_btn").click().run()
    assert not at.exception, at.exception
    assert any("New flags" in df.value.columns for df in at.dataframe)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(pytest.main([__file__, "-q"]))
