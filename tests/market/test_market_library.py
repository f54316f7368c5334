"""Library path: hard filters never mix rights types or price units (property test), KNN
selection, hedonic model against the synthetic generator's known coefficients."""
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from valuation.core.portfolio import Portfolio
from valuation.library.cases import PRICE_UNITS, cases_frame
from valuation.methods.market import appraise, value_subjects
from valuation.methods.market.hedonic import HedonicModel
from valuation.methods.market.params import resolve_params

ROOT = Path(__file__).resolve().parents[2]
RIGHTS = ["holding", "processing_use", "product_operation"]
MODES = ["one_off", "subscription_year", "per_call", "free", "negotiated"]
UNITS = ["CNY", "CNY/year", "CNY/call", ""]

case_st = st.fixed_dictionaries({
    "rights_type": st.sampled_from(RIGHTS), "price_mode": st.sampled_from(MODES),
    "price_unit": st.sampled_from(UNITS), "price": st.one_of(st.just(0.0), st.floats(0.01, 1e7)),
    "category": st.sampled_from(["financial_services", "transport", "public_sector"]),
    "records": st.one_of(st.none(), st.floats(1e3, 1e9)), "quality": st.one_of(st.none(), st.floats(50, 99)),
    "exclusivity": st.sampled_from(["exclusive", "sole", "non_exclusive"]),
    "evidence_type": st.sampled_from(["listing", "transaction", "appraisal"]),
})


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases=st.lists(case_st, min_size=1, max_size=40),
       subjects=st.lists(st.tuples(st.sampled_from(RIGHTS), st.sampled_from(MODES[:3]), st.integers(2, 8)),
                         min_size=1, max_size=6))
def test_library_never_mixes_rights_mode_or_unit(cases, subjects):
    lib = cases_frame(pd.DataFrame([{**c, "case_id": f"C{i}", "date": "2024-06-30"} for i, c in enumerate(cases)]))
    subj = pd.DataFrame({
        "rights_type": [s[0] for s in subjects], "price_mode": [s[1] for s in subjects],
        "k": [float(s[2]) for s in subjects], "category": "transport", "records": 1e6, "fields": np.nan,
        "size_bytes": np.nan, "update_frequency": np.nan, "exclusivity": "non_exclusive", "quality": 80.0,
        "date": "2025-12-31", "platform": np.nan, "title": "t", "evidence_type": "transaction",
        "source": "library", "supply_demand": 0.0, "date_index": 100.0, "min_comparables": 3.0,
        "weighting": "equal"}, index=[f"S{i}" for i in range(len(subjects))])
    out = value_subjects(subj, cases=lib, params={"hedonic_min_rows": 10_000})
    pairs = out["pairs"]
    if len(pairs["subject"]):
        c = lib.set_index("case_id").loc[pairs["case_id"]]
        s = subj.iloc[pairs["subject"].astype(int)]
        assert (c["rights_type"].to_numpy() == s["rights_type"].to_numpy()).all()
        assert (c["price_mode"].to_numpy() == s["price_mode"].to_numpy()).all()
        assert (c["price_unit"].to_numpy() == np.array([PRICE_UNITS[m] for m in s["price_mode"]])).all()
        assert (c["price"].to_numpy(float) > 0).all()
    # every subject gets min(k, number of eligible cases) comparables — never more
    for i, (r, m, k) in enumerate(subjects):
        elig = ((lib["rights_type"] == r) & (lib["price_mode"] == m) & (lib["price_unit"] == PRICE_UNITS[m])
                & (lib["price"] > 0)).sum()
        assert out["frame"]["n_comparables"].iloc[i] == min(k, elig)
        assert bool(out["frame"]["applicable"].iloc[i]) == (min(k, elig) >= 2)


@pytest.fixture(scope="module")
def seed_cases():
    return cases_frame(pd.read_csv(ROOT / "case_library" / "cases.csv"))


def test_hedonic_recovers_generator_elasticity(seed_cases):
    import importlib.util

    spec = importlib.util.spec_from_file_location("gen", ROOT / "case_library" / "generate_cases.py")
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    _, calib = gen.generate()
    h = HedonicModel(resolve_params(None)).fit(seed_cases)
    fit = h.fits_["one_off"]
    tab = pd.DataFrame(fit.table()).set_index("feature")
    true = gen.TRUE_COEFFICIENTS["records_elasticity"]["one_off"] * calib["one_off"]["scale"]
    b, se = tab.loc["log_records", "coef"], tab.loc["log_records", "se_hc3"]
    assert abs(b - true) < 3 * se, (b, true, se)
    assert pd.DataFrame(h.summary()).set_index("price_mode").loc["one_off", "nobs"] == (seed_cases["price_mode"] == "one_off").sum()


def test_library_card_uses_hedonic_range_and_knn(seed_cases):
    card = json.loads((ROOT / "examples" / "cards" / "E04_public_data_authorised_operation.json").read_text("utf-8"))
    card["market"]["demonstration"] = True   # the seed cases are synthetic
    res = appraise(Portfolio.from_card(card), cases=seed_cases, trace=True)
    r = res.frame.iloc[0]
    assert r["applicable"] and r["comparables_source"] == "library" and r["n_comparables"] == card["market"]["k"]
    assert r["n_real_comparables"] == 0 and r["n_synthetic_comparables"] == card["market"]["k"]
    assert r["range_basis"] == "conformal_cv"
    assert r["low"] <= r["estimate"] <= r["high"] and np.isfinite(r["grid_estimate"])
    sel = [s for s in res.traces[res.frame.index[0]] if s["step"] == "comparables"][0]
    chosen = seed_cases.set_index("case_id").loc[sel["inputs"]["cases"]]
    assert (chosen["rights_type"] == card["asset"]["rights"]["type"]).all()
    assert (chosen["price_mode"] == "one_off").all()


def test_library_without_rights_type_is_not_applicable(seed_cases):
    card = json.loads((ROOT / "examples" / "cards" / "E04_public_data_authorised_operation.json").read_text("utf-8"))
    del card["asset"]["rights"]
    r = appraise(Portfolio.from_card(card), cases=seed_cases).frame.iloc[0]
    assert not r["applicable"] and "rights type" in r["reason_en"]


def test_empty_library_is_not_applicable():
    card = json.loads((ROOT / "examples" / "cards" / "E04_public_data_authorised_operation.json").read_text("utf-8"))
    r = appraise(Portfolio.from_card(card), cases=None).frame.iloc[0]
    assert not r["applicable"] and "empty" in r["reason_en"]
