"""Cost, agreement, hybrid, floors/caps and cents against hand arithmetic; the flags."""
from __future__ import annotations

import copy
import json
from pathlib import Path

import numpy as np
import pytest

from valuation import api
from valuation.core.errors import RefusedError
from valuation.sharing.allocate import apply_bounds, round_cents

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "sharing" / "public_data_operation.json"


def spec(**kw):
    base = {"arrangement_id": "T-1", "currency": "CNY", "distributable": 1000.0, "method": "cost_share",
            "participants": [
                {"id": "A", "name": "甲", "role": "collection", "input_cost": 100.0},
                {"id": "B", "name": "乙", "role": "processing", "input_cost": 300.0},
                {"id": "C", "name": "丙", "role": "circulation", "input_cost": 600.0}]}
    base.update(kw)
    return base


def amounts(r):
    return [s["amount"] for s in r["shares"]]


def test_cost_share_by_hand():
    # 1 000 × (100, 300, 600) / 1 000 = (100, 300, 600)
    r = api.share(spec(), library="seed")
    assert amounts(r) == [100.0, 300.0, 600.0]
    assert [s["fraction"] for s in r["shares"]] == pytest.approx([0.1, 0.3, 0.6])
    assert r["core"]["checked"] is False


def test_cost_share_with_stage_weights_and_indexation_by_hand():
    p = spec(distributable=1000.0, stage_weights={"processing": 2.0},
             cost_index={"valuation_date": "2025-12-31", "annual_rate": 0.10})
    p["participants"][1]["costs_by_stage"] = {"processing": 200.0, "circulation": 100.0}
    p["participants"][0]["cost_date"] = "2024-12-31"          # 365 days → ×1.1^(365/365.25)
    f = 1.1 ** (365 / 365.25)
    basis = np.array([100 * f, 2 * 200 + 100, 600])           # B: 2×200 + 1×100 = 500
    want = 1000 * basis / basis.sum()
    r = api.share(p, library="seed")
    assert amounts(r) == pytest.approx(want, abs=0.01)
    assert sum(amounts(r)) == pytest.approx(1000.0, abs=1e-9)


def test_agreement_by_hand_and_rounding_to_the_cent():
    p = spec(method="agreement", distributable=100.0)
    for s, a in zip(p["participants"], (1 / 3, 1 / 3, 1 / 3)):
        s["agreed_share"] = a
    r = api.share(p, library="seed")
    # 33.333… each: 3333 cents each + 1 leftover cent to the first (ties in order)
    assert amounts(r) == [33.34, 33.33, 33.33]


def test_largest_remainder_gives_leftover_cents_to_the_largest_remainders():
    # 10.00 by (0.123, 0.456, 0.421): raw cents 123, 456, 421 exactly → no leftover
    assert round_cents(np.array([1.23, 4.56, 4.21]), 10.0).tolist() == [123, 456, 421]
    # 1.00 by thirds with remainders .333: one cent to the first
    assert round_cents(np.array([1 / 3] * 3), 1.0).tolist() == [34, 33, 33]
    # remainders .6, .3, .1 on 0.02 total of 1.006+0.003+0.001… → the .6 one gets it
    assert round_cents(np.array([0.006, 0.003, 0.001]), 0.01).tolist() == [1, 0, 0]


def test_floors_and_caps_by_hand():
    # D = 1 000, fractions (0.1, 0.3, 0.6); floor A = 200, cap C = 500
    # A → 200; C → 500; B gets the rest 300
    x, notes = apply_bounds(np.array([100.0, 300.0, 600.0]), np.array([.1, .3, .6]), 1000.0,
                            np.array([200.0, np.nan, np.nan]), np.array([np.nan, np.nan, 500.0]))
    assert x.tolist() == pytest.approx([200.0, 300.0, 500.0]) and "floor:0" in notes and "cap:2" in notes
    # floor A = 200 only: the other 800 split 1:2 by fractions → (200, 266.67, 533.33)
    x, _ = apply_bounds(np.array([100.0, 300.0, 600.0]), np.array([.1, .3, .6]), 1000.0,
                        np.array([200.0, np.nan, np.nan]), np.full(3, np.nan))
    assert x.tolist() == pytest.approx([200.0, 800 / 3, 1600 / 3])
    with pytest.raises(RefusedError) as ei:
        apply_bounds(np.ones(2), np.array([.5, .5]), 10.0, np.array([6.0, 6.0]), np.full(2, np.nan))
    assert ei.value.field == "participants[].floor"


def test_hybrid_recovers_costs_then_splits_the_surplus_by_shapley():
    # costs (100, 300, 600); v: singletons = cost, pairs = sum + 100, N = 1 300; D = 1 300
    # net game: singletons 0, pairs 100, N 300 → symmetric → ψ = 100 each → x = (200, 400, 700)
    vals = {("A",): 100, ("B",): 300, ("C",): 600, ("A", "B"): 500, ("A", "C"): 800, ("B", "C"): 1000,
            ("A", "B", "C"): 1300}
    p = spec(method="hybrid", surplus_method="shapley", distributable=1300.0,
             coalition_values=[{"members": list(k), "value": v} for k, v in vals.items()])
    r = api.share(p, library="seed")
    assert amounts(r) == [200.0, 400.0, 700.0]
    # when D does not cover the costs: pro rata cost recovery, flagged below cost
    r = api.share({**p, "distributable": 500.0}, library="seed")
    assert amounts(r) == [50.0, 150.0, 300.0]
    assert {f["code"] for f in r["flags"]} >= {"SHARE_BELOW_COST"}


def test_flags_cite_clauses_and_use_library_thresholds():
    # C takes 60 % > the library threshold 0.6? no (equal) — lower it through a snapshot
    from dataclasses import replace

    snap = api.snapshot("seed")
    model = copy.deepcopy(snap.model("sharing.default"))
    model["parameters"]["concentration_max"]["default"] = 0.5
    snap2 = replace(snap, models={**snap.models, "sharing.default": model}, snapshot_id="test-conc")
    r = api.share(spec(), library=snap2)
    f = [x for x in r["flags"] if x["code"] == "SHARE_CONCENTRATION"]
    assert len(f) == 1 and f[0]["participant"] == "C" and "MOF2023-141.10" in f[0]["references"]
    assert not [x for x in api.share(spec(), library="seed")["flags"] if x["code"] == "SHARE_CONCENTRATION"]
    std = snap.standards
    for x in r["flags"]:
        assert all(ref in std for ref in x["references"]), x


def test_outside_core_and_fraction_sum_flags():
    # cost shares (0.1, 0.3, 0.6) of v(N) = 1000, but {A, B} alone make 700 > 400 they get
    vals = {("A", "B"): 700, ("A", "B", "C"): 1000}
    cv = [{"members": m, "value": vals.get(tuple(m), 0)} for m in
          (["A"], ["B"], ["C"], ["A", "B"], ["A", "C"], ["B", "C"], ["A", "B", "C"])]
    p = spec(coalition_values=cv)
    p["participants"][0]["agreed_share"] = 0.5
    p["participants"][1]["agreed_share"] = 0.4          # Σ = 0.9, C has none
    r = api.share(p, library="seed")
    core = r["core"]
    assert core["in_core"] is False and core["coalition"] == ["A", "B"] and core["excess"] == pytest.approx(300)
    codes = {f["code"]: f for f in r["flags"]}
    assert "SHARE_OUTSIDE_CORE" in codes and "HZ2024-19.7" in codes["SHARE_OUTSIDE_CORE"]["references"]
    assert codes["SHARE_FRACTIONS_SUM"]["severity"] == "blocker"


def test_public_data_treatment_and_state_share():
    r = api.share(json.loads(EXAMPLE.read_text("utf-8")), library="seed")
    pd_ = r["public_data"]
    by = {s["id"]: s for s in r["shares"]}
    assert pd_["non_tax_revenue"] == by["DL-BUREAU"]["amount"]
    assert pd_["state_amount"] == pytest.approx(by["DL-BUREAU"]["amount"] + by["DL-CENTER"]["amount"]
                                                + by["DL-OPER"]["amount"], abs=0.005)
    assert "DL2025-325.9" in pd_["references"]
    codes = [f["code"] for f in r["flags"]]
    assert "SHARE_NON_TAX_REVENUE" in codes and "SHARE_INSTITUTION_REVENUE" in codes
    assert round(sum(by[k]["amount"] for k in by) * 100) == 12_000_000 * 100


def test_large_game_uses_sampling_with_a_stated_error():
    n = 40
    ps = [{"id": f"P{i}", "name": f"P{i}", "role": "processing", "input_cost": 10.0} for i in range(n)]
    model = {"kind": "synergy", "standalone": {f"P{i}": float(i) for i in range(n)},
             "pairs": [{"members": ["P0", "P1"], "value": 100.0}]}
    p = {"arrangement_id": "BIG", "distributable": 10_000.0, "method": "shapley", "participants": ps,
         "value_model": model, "sampling": {"allowed": True, "tolerance": 1.0, "seed": 7}}
    r = api.share(p, library="seed")
    s = r["sampling"]
    assert s["converged"] and s["max_std_error"] <= 1.0   # P0, P1: marginal 0 or 100, sd 50 → m ≈ 2 500
    assert any(f["code"] == "SHARE_SAMPLED" for f in r["flags"])
    assert round(sum(x["amount"] for x in r["shares"]), 2) == 10_000.0
    # exact φ: standalone i, plus 50 for P0 and P1; v(N) = Σi + 100 = 880
    frac = np.array([x["fraction"] for x in r["shares"]])
    want = (np.arange(n) + np.r_[50, 50, np.zeros(n - 2)]) / 880
    assert np.abs(frac - want).max() < 5 * 1.0 / 880 + 1e-6


def test_coalition_values_from_the_income_approach():
    # the royalty income approach is linear in the revenue stream: v(S) = min(1, Σ c_i) × V,
    # V = the full card's income estimate; coalitions without the holder A create 0
    card = json.loads((EXAMPLE.parents[1] / "cards" / "E01_soe_transport_licensing.json").read_text("utf-8"))
    V = api.appraise_many([card], library="seed", trace=False).to_dict()["results"][0]["methods"]["income"]["estimate"]
    cv = {tuple(c["members"]): c["value"] for c in
          api.coalition_values_from_income(card, {"A": 0.5, "B": 0.3, "C": 0.4}, requires=["A"], library="seed")}
    assert cv[("A",)] == pytest.approx(0.5 * V, abs=0.01) and cv[("B", "C")] == 0.0
    assert cv[("A", "B")] == pytest.approx(0.8 * V, abs=0.01) and cv[("A", "B", "C")] == pytest.approx(V, abs=0.01)
    p = spec(distributable=1000.0, coalition_values=[{"members": list(k), "value": v} for k, v in cv.items()])
    assert sum(amounts(api.share({**p, "method": "shapley"}, library="seed"))) == pytest.approx(1000.0)
