"""The composite quality scores of a portfolio are computed once when the cost and the market
approach both ask for them alike (Portfolio.memo), and what each gets is the same as alone."""
from __future__ import annotations

import importlib
import json
import pickle
from pathlib import Path

import numpy as np
import pytest

from valuation import api, engine
from valuation.core.portfolio import Portfolio
from valuation.methods.registry import APPROACHES, params_of

C = importlib.import_module("valuation.quality.composite")   # (the package exports a function of that name)

ROOT = Path(__file__).resolve().parents[2]
CARD = json.loads((ROOT / "examples" / "cards" / "E01_soe_transport_licensing.json").read_text("utf-8"))


def test_one_composite_per_portfolio_in_an_appraisal(monkeypatch):
    calls = []
    real = C._composite
    monkeypatch.setattr(C, "_composite", lambda *a: calls.append(1) or real(*a))
    pf = Portfolio.from_card(CARD)
    ev = engine.evaluate(pf, api.snapshot("seed"))
    assert ev.methods["cost"].flag("applicable")[0] and ev.methods["market"].flag("applicable")[0]
    assert len(calls) == 1                          # asked by both approaches, computed once
    # (without the memo, each approach computes its own)
    calls.clear()
    monkeypatch.setattr(Portfolio, "memo", lambda self, key, make: make())
    engine.evaluate(Portfolio.from_card(CARD), api.snapshot("seed"))
    assert len(calls) == 2


def test_memo_gives_what_a_fresh_computation_gives_and_is_read_only():
    pf = Portfolio.from_card(CARD)
    lib = params_of(APPROACHES["cost"], api.snapshot("seed"))["quality_library"]
    first = C.composite_columns(pf, errors="mark", library=lib)
    again = C.composite_columns(pf, errors="mark", library=lib)
    alone = C._composite(Portfolio.from_card(CARD), None, lib.scale, lib.bands, lib.catalog, "mark", lib)
    assert first is not again and list(first) == list(alone)
    for k, v in alone.items():
        np.testing.assert_array_equal(np.asarray(first[k]), np.asarray(v))
    with pytest.raises(ValueError):
        first["quality_score"][0] = 1.0
    # another scale, weights or library is its own computation
    w = C.composite_columns(pf, [1 / 6] * 6, errors="mark", library=lib)
    assert w["weights_source"][0] == "argument"
    assert pickle.loads(pickle.dumps(pf))._memo == {}
