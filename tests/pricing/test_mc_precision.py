"""Monte Carlo precision of the guided range (issue 16): renaming an asset moves no bound, and
the stated standard error of each bound matches the spread of the bounds over seeds."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from valuation import api

ROOT = Path(__file__).resolve().parents[2]


def _e01() -> dict:
    return json.loads((ROOT / "examples" / "cards" / "E01_soe_transport_licensing.json").read_text("utf-8"))


def test_renaming_an_asset_moves_no_bound_more_than_0_2_percent():
    base = api.appraise(_e01())
    for i, name in enumerate(["Transport licensing (English name)", "交通数据授权 改名", "x"]):
        card = _e01()
        card["asset"]["asset_id"] = f"RENAMED-{i}"
        card["asset"]["name"] = name
        r = api.appraise(card)
        assert abs(r.low / base.low - 1) <= 0.002 and abs(r.high / base.high - 1) <= 0.002


def test_stated_standard_error_matches_the_spread_over_seeds():
    """20 seeds: the sd of each bound lies between 0.4× and 1.6× the stated SE (the SE is the
    i.i.d. formula, an upper bound for Latin-hypercube draws; sd of an sd over 20 runs ≈ 16 %)."""
    lows, highs, se_lo, se_hi = [], [], [], []
    for s in range(20):
        card = _e01()
        card.setdefault("engagement", {})["seed"] = 1000 + s
        r = api.appraise(card)
        g = r.coverage_basis["guided_range"]
        lows.append(r.low)
        highs.append(r.high)
        se_lo.append(g["mc_se_low"])
        se_hi.append(g["mc_se_high"])
    for vals, se in ((lows, se_lo), (highs, se_hi)):
        ratio = np.std(vals, ddof=1) / np.mean(se)
        assert 0.4 <= ratio <= 1.6, ratio
