"""The model-library files models/income_*.yaml: well-formed, cite known clauses, and actually
drive the method (the discount-rate distribution gives the low–high range)."""
import copy

import pytest
from scipy.special import ndtri

from valuation.core.models import load_model_file, models_dir
from valuation.core.portfolio import Portfolio
from valuation.methods import income
from valuation.methods.income import default_params

KNOWN = {"CAS2023.art18", "CAS2023.art21", "CAS2023.annex.income", "LIT.royalty", "LIT.excess",
         "LIT.attrition", "LIT.wara", "ENG.default"}
DISTS = {"fixed", "uniform", "triangular", "normal", "lognormal", "relative_normal"}
FILES = sorted(models_dir().glob("income_*.yaml"))


def test_six_files_five_models_and_the_build_up():
    ids = {load_model_file(p)["id"] for p in FILES}
    assert ids == {"income.direct", "income.split", "income.excess", "income.incremental", "income.royalty",
                   "income.discount"}


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_model_file_is_well_formed(path):
    m = load_model_file(path)
    assert m["method"] == "income" and m["status"] == "active" and m["title_zh"] and m["title_en"]
    assert set(m["references"]) <= KNOWN
    for name, p in m["parameters"].items():
        assert set(p["references"]) <= KNOWN, name
        assert p.get("source_zh") and p.get("source_en"), name
        if "distribution" in p:
            assert p["distribution"]["type"] in DISTS, name
        if p.get("default") is not None and "min" in p:
            assert p["min"] <= p["default"] <= p["max"], name


def test_risk_free_default_and_its_source():
    p = default_params()
    assert p["risk_free"] == 0.0175 and "10-year CGB yield, user input" in p["risk_free_source_en"]


def test_range_comes_from_the_rate_distribution():
    c = {"asset": {"asset_id": "X", "name": "X"}, "engagement": {"valuation_date": "2025-12-31"},
         "income": {"model": "direct", "periods": 3, "income": [100, 100, 100], "discount_rate": 0.10}}
    pf = Portfolio.from_card(c)
    z = float(ndtri(0.9))
    r = income.appraise(pf).frame.iloc[0]          # relative normal, sd 10 % (models/income_direct.yaml)
    pv = lambda i: sum(100 / (1 + i) ** t for t in (1, 2, 3))
    assert r["low"] == pytest.approx(pv(0.10 * (1 + z * 0.10)), rel=1e-12)
    assert r["high"] == pytest.approx(pv(0.10 * (1 - z * 0.10)), rel=1e-12)
    r = income.appraise(pf, {"rate_dist": {"direct": {"type": "normal", "sd": 0.02}}}).frame.iloc[0]
    assert r["low"] == pytest.approx(pv(0.10 + z * 0.02), rel=1e-12)


@pytest.mark.parametrize("model,clause", [("royalty", "LIT.royalty"), ("excess", "LIT.excess")])
def test_trace_cites_the_model_clause(model, clause):
    inc = {"royalty": {"model": "royalty", "periods": 2, "revenue": [100, 100], "royalty_rate": 0.1,
                       "discount_rate": 0.1},
           "excess": {"model": "excess", "periods": 2, "nopat": [50, 50], "discount_rate": 0.1,
                      "attrition": {"rate": 0.1},
                      "contributory": [{"asset_class": "fixed_assets", "rate": 0.05, "value": 100}]}}[model]
    c = {"asset": {"asset_id": "X", "name": "X"}, "engagement": {"valuation_date": "2025-12-31"},
         "income": copy.deepcopy(inc)}
    res = income.appraise(Portfolio.from_card(c), trace=True)
    clauses = {cl for s in res.traces["X"] for cl in s["clauses"]}
    assert clause in clauses and "CAS2023.art21" in clauses
    if model == "excess":
        assert "LIT.attrition" in clauses
    assert income.appraise(Portfolio.from_card(c)).traces == {}
