"""What the income approach keeps between calls gives what working it out again gives: the
model-library defaults (re-read when a file changes) and the history forecasts (fitted once per
distinct input, each caller with its own copy)."""
import copy
import os
import shutil

import numpy as np
import pytest

from valuation.core.models import models_dir
from valuation.core.portfolio import Portfolio
from valuation.methods import income
from valuation.methods.income import default_params
from valuation.methods.income import forecast as fc_mod
from valuation.methods.income import inputs as income_inputs
from valuation.methods.income.forecast import forecast_history

BASE = {"asset": {"asset_id": "X", "name": "X"}, "engagement": {"valuation_date": "2025-12-31"}}
HIST = [100, 108, 118, 125, 134, 142, 151, 160]


def test_default_params_follow_the_files(tmp_path, monkeypatch):
    shutil.copytree(models_dir(), tmp_path / "models")
    monkeypatch.setenv("VALUATION_SEED_ROOT", str(tmp_path))
    first = default_params()
    assert first["risk_free"] == 0.0175
    # a caller changing its copy changes nothing for the next caller
    first["rate_dist"]["direct"]["sd"] = 99.0
    first["coverage"] = 0.5
    again = default_params()
    assert again["rate_dist"]["direct"]["sd"] != 99.0 and again["coverage"] == 0.8
    # a changed file is read again (its mtime set apart, whatever the clock's resolution)
    path = tmp_path / "models" / "income_discount.yaml"
    path.write_text(path.read_text("utf-8").replace("risk_free: {default: 0.0175", "risk_free: {default: 0.021"),
                    "utf-8")
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 10_000_000_000))
    assert default_params()["risk_free"] == 0.021
    # a removed model file is no longer read (the folder changed)
    (tmp_path / "models" / "income_direct.yaml").unlink()
    os.utime(tmp_path / "models", ns=(st.st_atime_ns, st.st_mtime_ns + 20_000_000_000))
    assert default_params()["rate_dist"]["direct"] == income.params.FALLBACK["rate_dist"]["direct"]
    # no folder: the fallbacks
    monkeypatch.setenv("VALUATION_SEED_ROOT", str(tmp_path / "absent"))
    assert default_params() == {**income.params.FALLBACK, "rate_dist": dict(income.params.FALLBACK["rate_dist"])}


def test_a_kept_forecast_equals_a_new_fit_and_is_a_copy():
    y = np.array(HIST, float)
    fc_mod._CACHE.clear()
    a = forecast_history(y, 3)
    b = forecast_history(y, 3)
    fresh = fc_mod._fit(y, 3, "auto", 0.8, "yearly")
    for got in (a, b):
        for k in ("mean", "lower", "upper"):
            assert getattr(got, k).tobytes() == getattr(fresh, k).tobytes()
        assert (got.model, got.aic, got.coverage, got.candidates) == \
            (fresh.model, fresh.aic, fresh.coverage, fresh.candidates)
    assert a.mean is not b.mean and a.candidates is not b.candidates
    a.mean[:] = 0.0
    a.candidates.clear()
    c = forecast_history(y, 3)
    assert c.mean.tobytes() == fresh.mean.tobytes() and c.candidates == fresh.candidates
    # other inputs are other forecasts
    assert len(forecast_history(y, 2).mean) == 2
    assert forecast_history(y, 3, coverage=0.9).coverage == 0.9


def test_copies_of_an_asset_share_one_fit(monkeypatch):
    calls = []
    real = income.forecast_history

    def counted(*args, **kw):
        calls.append(args)
        return real(*args, **kw)

    monkeypatch.setattr(income_inputs, "forecast_history", counted)   # where the approach reads it
    cards = []
    for k, (hist, periods) in enumerate([(HIST, 3), (HIST, 3), (HIST, 4), (HIST[:-1], 3), ([1, 2, 3], 3),
                                         ([1, 2, 3], 3)]):
        c = copy.deepcopy(BASE)
        c["asset"]["asset_id"] = f"H{k}"
        c["income"] = {"model": "royalty", "periods": periods, "royalty_rate": 0.1, "discount_rate": 0.1,
                       "history": {"values": hist}}
        cards.append(c)
    # history beside a projection (the projection is used), a model that takes no history
    extra = [{"model": "royalty", "periods": 3, "royalty_rate": 0.1, "discount_rate": 0.1,
              "revenue": [100, 110, 120], "history": {"values": HIST}},
             {"model": "incremental", "periods": 2, "incremental_kind": "cost_saving", "savings": [5, 6],
              "discount_rate": 0.1, "history": {"values": HIST}}]
    for k, inc in enumerate(extra, start=len(cards)):
        c = copy.deepcopy(BASE)
        c["asset"]["asset_id"] = f"H{k}"
        c["income"] = inc
        cards.append(c)
    res = income.appraise(Portfolio.from_cards(cards)).frame
    assert len(calls) == 4          # (HIST, 3) once, (HIST, 4), (HIST[:-1], 3), the too short one once
    assert res.loc["H6", "forecast_model"] == "" and res.loc["H7", "forecast_model"] == ""
    assert res.loc["H6", "applicable"] and res.loc["H7", "applicable"]
    for c in cards:                 # each row as its own portfolio gives
        one = income.appraise(Portfolio.from_card(c)).frame.iloc[0]
        got = res.loc[c["asset"]["asset_id"]]
        for k in ("estimate", "low", "high", "reason_en", "forecast_model", "applicable"):
            assert got[k] == one[k] or (got[k] != got[k] and one[k] != one[k]), k
    assert not res.loc["H4", "applicable"] and res.loc["H4", "reason_en"] == res.loc["H5", "reason_en"]
    assert res.loc["H0", "estimate"] == pytest.approx(res.loc["H1", "estimate"], rel=0)
