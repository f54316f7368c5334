"""One conformance suite over every approach (docs/DESIGN.md §9): the contract columns, same input
same output, vectorised equals one-at-a-time, reasons for every not-applicable row, and
valid bad input refused before any calculation."""
import importlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from valuation.core.portfolio import Portfolio, card_hash
from valuation.library.snapshot import snapshot_from_seeds
from valuation.methods.base import RESULT_COLUMNS, MethodResult

ROOT = Path(__file__).resolve().parents[1]
CARDS = [json.loads(p.read_text("utf-8")) for p in sorted((ROOT / "examples" / "cards").glob("*.json"))]
CARDS.append(json.loads((ROOT / "examples" / "interchange_example.json").read_text("utf-8")))
METHODS = ["cost", "income", "market"]


def _run(name, pf, trace=False):
    mod = importlib.import_module(f"valuation.methods.{name}")
    kw = {"trace": trace}
    if name == "market":
        kw["cases"] = snapshot_from_seeds().cases
    return mod.appraise(pf, None, **kw)


@pytest.fixture(scope="module")
def pf():
    return Portfolio.from_cards(CARDS)


@pytest.mark.parametrize("name", METHODS)
def test_contract_columns_and_index(pf, name):
    res = _run(name, pf)
    assert isinstance(res, MethodResult) and res.method == name
    for c in RESULT_COLUMNS:
        assert c in res.frame.columns, c
    assert list(res.frame.index) == list(pf.index)
    app = res.frame["applicable"].to_numpy(bool)
    est = res.frame["estimate"].to_numpy(float)
    assert np.isfinite(est[app]).all()
    assert (res.frame.loc[~app, "reason_zh"].str.len() > 0).all()
    assert (res.frame.loc[~app, "reason_en"].str.len() > 0).all()
    lo, hi = res.frame["low"].to_numpy(float), res.frame["high"].to_numpy(float)
    both = app & np.isfinite(lo) & np.isfinite(hi)
    assert (lo[both] <= est[both] + 1e-9).all() and (est[both] <= hi[both] + 1e-9).all()


@pytest.mark.parametrize("name", METHODS)
def test_same_input_same_output(pf, name):
    a, b = _run(name, pf).frame, _run(name, pf).frame
    pd.testing.assert_frame_equal(a, b)


def _same(x, y):
    """Exactly equal, NaN equal to NaN: an asset's numbers must not move with its neighbours."""
    if isinstance(x, float) and isinstance(y, float) and np.isnan(x) and np.isnan(y):
        return True
    return x is y or x == y or (pd.isna(x) is True and pd.isna(y) is True)


@pytest.mark.parametrize("name", METHODS)
def test_vectorised_equals_one_at_a_time(pf, name):
    """Every column of an asset's row — estimate, range and every detail — is bit-identical
    whether the asset is appraised alone or inside the portfolio of all example cards."""
    whole = _run(name, pf).frame
    for card in CARDS:
        one = _run(name, Portfolio.from_card(card)).frame
        aid = card["asset"]["asset_id"]
        for c in whole.columns:
            x, y = whole.loc[aid, c], one.loc[aid, c]
            assert _same(x, y), (aid, c, x, y)


def test_whole_appraisal_independent_of_the_portfolio():
    """The complete result (methods, range, explanation, flags, traces) of each example card is
    the same alone (``api.appraise``) as inside a portfolio with the other cards, in either
    order — so a service may answer concurrent requests together without changing a digit."""
    from valuation import api
    from valuation.engine import evaluate

    snap = api.snapshot("seed")
    alone = {c["asset"]["asset_id"]: api.appraise(c, library="seed").to_dict() for c in CARDS}
    for cards in (CARDS, CARDS[::-1]):
        many = Portfolio.from_cards(cards)
        ev = evaluate(many, snap, trace=True, explain=True)
        for c in cards:
            aid = c["asset"]["asset_id"]
            got = ev.result(aid, input_hash=card_hash(c), seed=int(many.assets.loc[aid, "seed"])).to_dict()
            assert got == alone[aid], aid


@pytest.mark.parametrize("name", METHODS)
def test_traces_on_request_only(pf, name):
    assert _run(name, pf).traces == {} or all(not v for v in _run(name, pf).traces.values())
    traced = _run(name, pf, trace=True)
    app = traced.frame.index[traced.frame["applicable"].to_numpy(bool)]
    for aid in app:
        steps = traced.traces.get(aid)
        assert steps, (name, aid)
        assert any(s.get("clauses") for s in steps)


def test_example_cards_applicable_as_designed(pf):
    """Each example exercises the approaches its card carries."""
    res = {m: _run(m, pf).frame for m in METHODS}
    assert res["cost"].loc["E01-TRANS-2025", "applicable"]
    assert res["income"].loc["E01-TRANS-2025", "applicable"]
    assert res["market"].loc["E01-TRANS-2025", "applicable"]
    assert res["cost"].loc["E02-REG-2025", "applicable"]
    assert not res["income"].loc["E02-REG-2025", "applicable"]
    assert res["income"].loc["E03-ECOM-2025", "applicable"]
    assert res["market"].loc["E05-PURCH-2025", "applicable"]
    assert res["income"].loc["E06-PLEDGE-2025", "applicable"]
