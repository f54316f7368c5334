"""The income approach on the Monte Carlo's rows of unperturbed inputs gives each asset's own
values — on every example card and on cards of every model and refusal (the draws and
tornados run the approach's own run on such rows; issue 20 step 4 removed the values-only
twin)."""
import copy
import json
from pathlib import Path

import numpy as np
import pytest

from valuation.core.portfolio import Portfolio
from valuation.methods import income
from valuation.pricing.perturbed import perturbed_portfolio

ROOT = Path(__file__).resolve().parents[2]
BASE = {"asset": {"asset_id": "X", "name": "X"}, "engagement": {"valuation_date": "2025-12-31"}}
HIST = [100, 108, 118, 125, 134, 142, 151, 160]
# one card per model and per way of being refused (the refusals must agree too)
INCOMES = [
    {"model": "excess", "periods": 5, "timing": "mid", "nopat": [300, 320, 330, 330, 320],
     "revenue": [1000, 1080, 1120, 1120, 1090],
     "contributory": [{"asset_class": "working_capital", "rate": 0.04, "revenue_share": 0.20},
                      {"asset_class": "fixed_assets", "rate": 0.06, "value": 500}],
     "attrition": {"rate": 0.10, "start_period": 2}, "discount_rate": 0.16},
    {"model": "incremental", "periods": 5, "incremental_kind": "cost_saving", "savings": [50, 60, 65, 65, 60],
     "discount_rate": 0.14, "terminal_growth": 0.02},
    {"model": "split", "periods": 3, "base": [500, 520, 540], "split_rate": 0.3, "discount_rate": 0.12,
     "_engagement": {"rounding": "publication"}},
    {"model": "direct", "discount_rate": 0.1, "scenarios": [
        {"name": "A", "share": 0.6, "income": [100, 100]},
        {"name": "B", "share": 0.4, "discount_rate": 0.2, "income": [50, 50, 50]}]},
    {"model": "royalty", "periods": 3, "royalty_rate": 0.1, "discount_rate": 0.1, "history": {"values": HIST}},
    {"model": "direct", "periods": 4, "income": [100, 110, 120, 130], "discount_rate": 0.1,
     "first_period_end": "2026-06-30", "terminal_growth": 0.03},
    {"model": "direct", "periods": 3, "income": [100, 100, 100], "discount_rate": 0.05, "terminal_growth": 0.049},
    {"model": "direct", "periods": 3, "income": [100, 100, 100], "discount_rate": 0.05, "terminal_growth": 0.08},
    {"model": "direct", "periods": 3, "income": [100, 100, 100], "discount_rate": 0.1,
     "income_basis": "pre_tax", "rate_basis": "post_tax"},
    {"model": "royalty", "periods": 3, "revenue": [100, 100, 100], "discount_rate": 0.1},
    {"model": "direct", "periods": 3, "income": [100, 100, 100], "discount_rate": 0.1,
     "first_period_end": "2024-06-30"},
    {"model": "direct", "periods": 3, "income": [1, 2, 3], "discount_rate": 0.1,
     "_asset": {"rights": {"type": "holding", "term_end": "2025-06-30"}}},
    {"model": "direct", "periods": 6, "income": [100] * 6, "discount_rate": 0.1, "terminal_growth": 0.02,
     "_asset": {"rights": {"type": "holding", "term_end": "2029-06-30"}}},
]


def _cards() -> list[dict]:
    cards = [json.loads(p.read_text("utf-8")) for p in sorted((ROOT / "examples" / "cards").glob("*.json"))]
    for k, inc in enumerate(INCOMES):
        c = copy.deepcopy(BASE)
        c["asset"]["asset_id"] = f"I{k}"
        c["income"] = copy.deepcopy(inc)
        c["engagement"].update(c["income"].pop("_engagement", {}))
        c["asset"].update(c["income"].pop("_asset", {}))
        cards.append(c)
    c = copy.deepcopy(BASE)        # no income section at all
    c["asset"]["asset_id"] = "NONE"
    cards.append(c)
    return cards


@pytest.mark.parametrize("order", ["repeated", "shuffled"])
def test_rows_of_unperturbed_inputs_give_each_assets_own_values(order):
    """The rows the Monte Carlo runs on (their typed table, the source's taken at the rows):
    every model, history forecast, scenarios, contributory
    records and refusal gives on row r exactly what asset pos[r] gives on its own."""
    pf = Portfolio.from_cards(_cards())     # (the example cards among them)
    n = len(pf)
    pos = np.repeat(np.arange(n), 3)
    if order == "shuffled":
        pos = np.random.default_rng(3).permutation(pos)
    own = income.appraise(pf, trace=False).frame
    rows = income.appraise(perturbed_portfolio(pf, pos), trace=False).frame
    for c in ("estimate", "low", "high", "discount_rate", "life", "pv_explicit", "pv_terminal"):
        np.testing.assert_array_equal(rows[c].to_numpy(dtype=float), own[c].to_numpy(dtype=float)[pos], err_msg=c)
    for c in ("applicable", "reason_en", "life_bound", "model"):
        assert rows[c].tolist() == own[c].to_numpy()[pos].tolist(), c
