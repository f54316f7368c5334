"""The approach contract (issue 20 step 3): a new approach is one class and one registry line.

A toy approach — P = 2 × the cost section's direct cost, band ±10 % — is registered at run
time; the engine values it for every asset, the pricing layer reconciles it beside the real
three (it appears with its weight in the result), and its trace reaches the result. Nothing
in the engine names it."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from valuation.core.portfolio import Portfolio
from valuation.engine import evaluate
from valuation.library.snapshot import snapshot_from_seeds
from valuation.methods import registry
from valuation.methods.base import Approach, Explanation, Params, Values, step

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class ToyInputs:
    direct: np.ndarray
    ids: list


class Toy(Approach):
    name = "toy"
    section = "cost"

    def params(self, library=None) -> Params:
        return Params({"factor": 2.0, **(library or {})})

    def inputs(self, pf, params):
        a = pf.assets
        d = a["cost_direct"].to_numpy(dtype=float, na_value=np.nan) if "cost_direct" in a else np.full(len(pf), np.nan)
        return ToyInputs(d, pf.index.tolist())

    def value(self, x: ToyInputs, params) -> Values:
        est = params["factor"] * x.direct
        ok = np.isfinite(est) & (est > 0)
        zh = np.where(ok, "", "无直接成本").astype(object)
        en = np.where(ok, "", "no direct cost").astype(object)
        nan = np.full(len(est), np.nan)
        return Values(np.where(ok, est, nan), np.where(ok, 0.9 * est, nan), np.where(ok, 1.1 * est, nan), ok, zh, en,
                      {"factor": np.full(len(est), params["factor"])})

    def explain(self, x: ToyInputs, params, v: Values, *, trace=False) -> Explanation:
        traces = {x.ids[i]: [step("toy", "玩具", "toy", "P = k × direct", {"k": params["factor"],
                                                                         "direct": x.direct[i]}, v.estimate[i])]
                  for i in np.flatnonzero(v.applicable)} if trace else {}
        return Explanation(traces, {})


@pytest.fixture()
def toy():
    registry.register(Toy())
    try:
        yield
    finally:
        registry.unregister("toy")


def test_toy_approach_valued_reconciled_traced(toy):
    card = json.loads((ROOT / "examples" / "cards" / "E01_soe_transport_licensing.json").read_text("utf-8"))
    pf = Portfolio.from_card(card)
    direct = float(pf.assets["cost_direct"].iloc[0])
    assert direct == 2_600_000   # the card's cost.direct
    ev = evaluate(pf, snapshot_from_seeds(), trace=True)
    assert list(ev.methods) == ["cost", "income", "market", "toy"]
    r = ev.result(pf.index[0])
    toy_res = r.methods["toy"]
    # valued: 2 × direct cost (hand: the card's direct cost doubled), band ±10 %
    assert toy_res["applicable"] and toy_res["estimate"] == pytest.approx(2 * direct, rel=1e-12)
    assert toy_res["low"] == pytest.approx(1.8 * direct, rel=1e-12)
    # reconciled: the reconciliation knows the approach (a weight column of its own)
    assert "toy_weight" in ev.frame.columns
    # traced
    assert toy_res["trace"][0]["formula"] == "P = k × direct"
    assert toy_res["trace"][0]["inputs"]["direct"] == pytest.approx(direct)
    json.dumps(r.to_dict(), ensure_ascii=False, default=str)   # the result stays serialisable


def test_registry_order_and_unknown_name():
    assert registry.names()[:3] == ("cost", "income", "market")
    with pytest.raises(KeyError, match="registered"):
        registry.approach("nope")
    with pytest.raises(TypeError):
        registry.register(object())   # type: ignore[arg-type]


def test_kernels_import_no_pandas():
    """The arithmetic of every approach (``kernel.py``, ``value.py``) is numpy only: pandas stays
    in each approach's inputs / outputs modules (issue 20)."""
    import re

    files = sorted((ROOT / "valuation" / "methods").glob("*/kernel.py")) + \
        sorted((ROOT / "valuation" / "methods").glob("*/value.py"))
    assert len(files) >= 5
    for f in files:
        src = f.read_text("utf-8")
        assert not re.search(r"^\s*(import pandas|from pandas)", src, re.M), f
