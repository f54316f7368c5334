"""The income approach's values-only run (what the Monte Carlo's rows read: estimate and
applicable) gives the full run's values bit for bit — on every example card and on cards of
every model and refusal, on rows of perturbed inputs as the range perturbs them — and the range
and explanation are the same whether the reconciliation uses it or not. The approach on rows of
unperturbed inputs gives each asset's own values."""
import copy
import json
from pathlib import Path

import numpy as np
import pytest

from valuation.core.portfolio import Portfolio
from valuation.methods import income
from valuation.pricing.perturbed import evaluate as evaluate_rows
from valuation.pricing.perturbed import perturbed_portfolio
from valuation.pricing.sampling import uniforms_lhs
from valuation.pricing.uncertainty import default_params

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


def _same(full, fast) -> None:
    assert list(fast.frame.columns) == ["estimate", "applicable"]
    assert fast.frame.index.equals(full.frame.index)
    for c in ("estimate", "applicable"):
        assert fast.frame[c].dtype == full.frame[c].dtype
        assert fast.frame[c].to_numpy().tobytes() == full.frame[c].to_numpy().tobytes(), c
    assert fast.params == full.params
    assert not fast.traces and not fast.warnings


def test_values_only_equals_the_full_run_on_the_cards():
    pf = Portfolio.from_cards(_cards())
    full = income.appraise(pf, trace=True)
    assert (~full.frame["applicable"]).sum() >= 8      # the refusals are among the rows compared
    _same(full, income.appraise(pf, values_only=True))


@pytest.mark.parametrize("seed", [0, 1])
def test_values_only_equals_the_full_run_on_perturbed_rows(seed):
    """Rows of perturbed inputs as the Monte Carlo makes them, every income parameter perturbed
    (wider than the range's own spreads, so rows cross into refusals: g ≥ i, no value)."""
    pf = Portfolio.from_cards(_cards())
    n, K = len(pf), 40
    rng = np.random.default_rng(seed)
    keys = rng.integers(0, 2**31, n).astype(np.uint64)
    params = default_params(method="income")
    assert {p.kind for p in params} >= {"discount", "series", "column"}
    vals = []
    for p in params:
        v = p.values_at(p.nominal(pf), uniforms_lhs(keys, K, p.stream)) * rng.uniform(0.2, 2.5, (n, K))
        v[rng.random((n, K)) < 0.2] = np.nan        # some rows keep the card's value
        vals.append(v.ravel())
    pos = np.repeat(np.arange(n), K)
    runs = {}

    def run(key, **kw):
        def f(big):
            runs[key] = income.appraise(big, **kw)
            return runs[key].frame["estimate"].to_numpy()
        return f

    evaluate_rows([run("full", trace=False), run("fast", values_only=True)], pf, pos, params, vals)
    app = runs["full"].frame["applicable"].to_numpy()
    assert app.any() and not app.all()
    _same(runs["full"], runs["fast"])


@pytest.mark.parametrize("order", ["repeated", "shuffled"])
def test_rows_of_unperturbed_inputs_give_each_assets_own_values(order):
    """The rows the Monte Carlo runs on are read through the approach's own column reader, a
    column gathered when it is read: every model, history forecast, scenarios, contributory
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
