"""Sensitivity: tornado, two-way grid, Sobol indices against analytic values."""
import numpy as np
import pandas as pd
import pytest
from pricing_standins import STANDINS, card, income_value

from valuation.core.errors import RefusedError
from valuation.core.portfolio import Portfolio
from valuation.pricing.params import Param
from valuation.pricing.sensitivity import grid, method_value, sobol, tornado

REV = [100.0, 110.0, 120.0, 130.0]
Z90 = 1.2815515655446004


def _unit_pf(n: int = 2) -> Portfolio:
    ids = pd.Index([f"U{i}" for i in range(n)], name="asset_id")
    a = pd.DataFrame({"x1": np.zeros(n), "x2": np.zeros(n), "x3": np.zeros(n)}, index=ids)
    return Portfolio(a, {}, {}, {})


def _p(name: str, dist: dict) -> Param:
    return Param(name, "column", name, name, dist, target=(name,), anchor="absolute", stream=hash(name) % 97)


def test_sobol_linear_model_matches_analytic_indices():
    # Y = 1·x1 + 2·x2 + 3·x3, x ~ U(0, 1) independent: S_i = a_i² / Σ a_j² = 1/14, 4/14, 9/14; ST = S1
    f = lambda pf: pf.assets["x1"] + 2 * pf.assets["x2"] + 3 * pf.assets["x3"]
    ps = [_p(c, {"type": "uniform", "low": 0.0, "high": 1.0}) for c in ("x1", "x2", "x3")]
    s = sobol(f, _unit_pf(2), ps, n=1024, seed=3)
    one = s[s["asset_id"] == "U0"].set_index("parameter")
    exact = np.array([1, 4, 9]) / 14
    assert np.allclose(one["S1"].to_numpy(), exact, atol=0.03)       # stated tolerance ±0.03
    assert np.allclose(one["ST"].to_numpy(), exact, atol=0.03)
    assert one["S1"].sum() == pytest.approx(1.0, abs=0.05)           # additive: Σ S1 ≈ 1 (≤ 1 + tol)
    assert one["S1"].sum() <= 1.05


def test_sobol_ishigami_matches_published_indices():
    # Ishigami (a = 7, b = 0.1), x ~ U(−π, π): S1 = 0.3139, 0.4424, 0; ST = 0.5576, 0.4424, 0.2437
    f = lambda pf: (np.sin(pf.assets["x1"]) + 7 * np.sin(pf.assets["x2"]) ** 2
                    + 0.1 * pf.assets["x3"] ** 4 * np.sin(pf.assets["x1"]))
    ps = [_p(c, {"type": "uniform", "low": -np.pi, "high": np.pi}) for c in ("x1", "x2", "x3")]
    s = sobol(f, _unit_pf(1), ps, n=2048, seed=11).set_index("parameter")
    assert np.allclose(s["S1"].to_numpy(), [0.3139, 0.4424, 0.0], atol=0.05)   # stated tolerance ±0.05
    assert np.allclose(s["ST"].to_numpy(), [0.5576, 0.4424, 0.2437], atol=0.05)
    assert s["S1"].sum() <= 1.0 + 0.05


def test_sobol_refuses_bad_sizes():
    f = lambda pf: pf.assets["x1"]
    with pytest.raises(RefusedError):
        sobol(f, _unit_pf(1), [_p("x1", {"type": "uniform", "low": 0, "high": 1})], n=64)
    with pytest.raises(RefusedError):
        sobol(f, _unit_pf(1), [_p(c, {"type": "uniform", "low": 0, "high": 1}) for c in ("x1", "x2")], n=100)


def test_tornado_swings_against_hand_computation():
    pf = Portfolio.from_cards([card("A", revenue=REV, rate=0.12, royalty=0.05)])
    t = tornado(method_value(STANDINS["income"]), pf, ["income_royalty_rate", "income_discount_rate"])
    base = income_value(pf)[0]
    roy = t[t["parameter"] == "income_royalty_rate"].iloc[0]
    # value is linear in the royalty rate: swing = base × 2 × z90 × 15 %
    assert roy["swing"] == pytest.approx(base * 2 * Z90 * 0.15, rel=1e-9)
    assert roy["low_input"] == pytest.approx(0.05 * (1 - Z90 * 0.15))
    disc = t[t["parameter"] == "income_discount_rate"].iloc[0]
    lo_i, hi_i = 0.12 * (1 - Z90 * 0.10), 0.12 * (1 + Z90 * 0.10)
    assert disc["value_at_low"] == pytest.approx(income_value(pf, np.array([lo_i]))[0], rel=1e-12)
    assert disc["value_at_high"] == pytest.approx(income_value(pf, np.array([hi_i]))[0], rel=1e-12)
    assert t["parameter"].iloc[0] == "income_royalty_rate"          # sorted by swing
    # ± x % instead of quantiles
    t2 = tornado(method_value(STANDINS["income"]), pf, ["income_royalty_rate"], rel=0.2)
    assert t2["swing"].iloc[0] == pytest.approx(base * 0.4, rel=1e-9)


def test_tornado_absent_parameter_has_zero_swing():
    pf = Portfolio.from_cards([card("A", revenue=REV)])
    t = tornado(method_value(STANDINS["income"]), pf, ["income_terminal_growth"])
    assert not t["present"].iloc[0] and t["swing"].iloc[0] == 0.0


def test_two_way_grid_discount_rate_by_growth():
    pf = Portfolio.from_cards([card("A", revenue=REV, growth=0.02), card("B", revenue=[50.0, 60.0], growth=0.0)])
    rates, growths = [0.10, 0.12, 0.15], [0.0, 0.02, 0.04]
    g = grid(method_value(STANDINS["income"]), pf, "income_discount_rate", rates,
             "income_terminal_growth", growths)
    assert len(g) == 2 * 9
    a = g[g["asset_id"] == "A"].pivot(index="income_discount_rate", columns="income_terminal_growth", values="value")
    for r in rates:
        for gg in growths:
            pf1 = Portfolio.from_cards([card("A", revenue=REV, rate=r, growth=gg)])
            assert a.loc[r, gg] == pytest.approx(income_value(pf1)[0], rel=1e-12)
    assert (np.diff(a.to_numpy(), axis=0) < 0).all() and (np.diff(a.to_numpy(), axis=1) > 0).all()
