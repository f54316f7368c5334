"""The one schema table: every docs/INTERCHANGE.md field accepted, bad input refused with the field,
the value and what is allowed, every issue collected."""
import copy
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from valuation.core.errors import ValidationError
from valuation.core.portfolio import Portfolio
from valuation.core.schema import FIELDS, fields_for, json_schema
from valuation.core.validate import check_document, validate_document

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = json.loads((ROOT / "examples" / "interchange_example.json").read_text(encoding="utf-8"))


def _leaf_paths(d, prefix=""):
    for k, v in d.items():
        p = f"{prefix}.{k}" if prefix else k
        if isinstance(v, dict) and p not in ("income.revenue", "income.income", "income.base"):
            yield from _leaf_paths(v, p)
        else:
            yield p


def test_every_interchange_field_is_in_the_schema_and_accepted():
    """The docs/INTERCHANGE.md example (copied verbatim into examples/) validates, and every leaf
    path of it is a field of the table."""
    out = validate_document(EXAMPLE)
    paths = {f.path for f in FIELDS}
    for p in _leaf_paths(EXAMPLE):
        assert p in paths, p
    assert out["income"]["revenue"]["growth"] == [0.10] * 4


def test_interchange_enumerations_accepted():
    for ht in ("enterprise", "soe", "administrative", "public_institution"):
        for rt in ("holding", "processing_use", "product_operation"):
            for ex in ("exclusive", "sole", "non_exclusive"):
                c = copy.deepcopy(EXAMPLE)
                c["asset"]["holder_type"] = ht
                c["asset"]["rights"].update(type=rt, exclusivity=ex)
                assert not check_document(c)[1]
    for uc in ("public_governance", "public_welfare", "industry", "sector"):
        for uf in ("real-time", "daily", "weekly", "monthly", "quarterly", "yearly", "irregular",
                   "no-update"):
            c = copy.deepcopy(EXAMPLE)
            c["asset"].update(use_category=uc, update_frequency=uf)
            assert not check_document(c)[1]
    for basis, extra in (("quality", {}), ("life", {"years_used": 2, "years_remaining": 3}),
                         ("combined", {"years_used": 1, "years_remaining": 4}),
                         ("given", {"value": 0.8})):
        c = copy.deepcopy(EXAMPLE)
        c["cost"]["adjustment"] = {"basis": basis, **extra}
        assert not check_document(c)[1]
    for model in ("direct", "split", "excess", "incremental", "royalty"):
        c = copy.deepcopy(EXAMPLE)
        c["income"]["model"] = model
        c["income"]["income"] = [1, 2, 3, 4, 5]
        c["income"]["timing"] = "mid"
        assert not check_document(c)[1]
    c = copy.deepcopy(EXAMPLE)
    c["engagement"]["rounding"] = "publication"
    c["market"] = {"comparables": [{"price": 100, "quality": 80, "date_index": 100,
                                     "records": 4e6, "rights_type": "holding",
                                     "exclusivity": "exclusive", "x5": 0.9}]}
    assert not check_document(c)[1]


def test_unknown_fields_and_bad_values_all_reported_with_field_value_allowed():
    c = copy.deepcopy(EXAMPLE)
    c["asset"]["colour"] = "blue"
    c["asset"]["rights"]["type"] = "ownership"
    c["asset"]["records"] = -3
    c["income"]["discount_rate"] = "15%"
    c["surprise"] = {}
    with pytest.raises(ValidationError) as ei:
        validate_document(c)
    issues = {i.field: i for i in ei.value.issues}
    assert set(issues) == {"asset.colour", "asset.rights.type", "asset.records",
                           "income.discount_rate", "surprise"}
    rt = issues["asset.rights.type"]
    assert rt.value == "ownership"
    assert "product_operation" in rt.allowed
    assert "asset.rights.type" in rt.message_zh and "'ownership'" in rt.message_zh
    assert "权利类型" in rt.message_zh and "Rights type" in rt.message_en
    assert "未知字段" in issues["asset.colour"].message_zh
    assert "unknown field" in issues["surprise"].message_en
    assert ">= 0" in issues["asset.records"].allowed


def test_missing_required_and_stream_errors():
    c = copy.deepcopy(EXAMPLE)
    del c["asset"]["asset_id"]
    del c["engagement"]["valuation_date"]
    c["income"]["revenue"] = {"base": "x", "growth": [0.1], "extra": 1}
    _, issues = check_document(c)
    fields = {i.field for i in issues}
    assert {"asset.asset_id", "engagement.valuation_date", "income.revenue.base",
            "income.revenue.extra"} <= fields


def test_weights_must_sum_to_one_and_need_a_reason():
    c = copy.deepcopy(EXAMPLE)
    c["engagement"]["weights"] = {"cost": 0.5, "income": 0.4}
    fields = {i.field for i in check_document(c)[1]}
    assert "engagement.weights" in fields and "engagement.weights_reason" in fields


def test_json_schema_generated_from_table_validates_example():
    jsonschema = pytest.importorskip("jsonschema")
    schema = json_schema()
    jsonschema.validate(EXAMPLE, schema)
    bad = copy.deepcopy(EXAMPLE)
    bad["asset"]["nope"] = 1
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, schema)
    assert schema["properties"]["asset"]["properties"]["rights"]["properties"]["type"]["enum"] == [
        "holding", "processing_use", "product_operation"]


def test_every_field_has_both_labels():
    for f in FIELDS:
        assert f.label_zh and f.label_en, f.path
    assert len(fields_for("product")) > 5


def _portfolio_table(n=1000, seed=7):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "asset_id": [f"A{i:05d}" for i in range(n)], "name": "资产",
        "holder_type": rng.choice(["soe", "enterprise"], n), "valuation_date": "2025-12-31",
        "records": rng.integers(1, 10**7, n), "book_value": rng.uniform(1e5, 1e6, n),
        "cost_direct": rng.uniform(1e5, 1e6, n), "income_model": "royalty", "income_periods": 5,
        "income_revenue_base": rng.uniform(1e5, 1e6, n), "income_revenue_growth": 0.05,
        "income_royalty_rate": 0.03, "income_tax_rate": 0.25, "income_discount_rate": 0.12,
    })


def test_1000_row_portfolio_with_37_bad_rows_reports_exactly_those_rows():
    df = _portfolio_table()
    rng = np.random.default_rng(1)
    bad_rows = sorted(rng.choice(np.arange(1, 1000), 37, replace=False).tolist())
    kinds = ["holder_type", "valuation_date", "records", "cost_direct", "asset_id", "income_model",
             "income_discount_rate"]
    df = df.astype({"holder_type": object, "valuation_date": object, "records": object,
                    "cost_direct": object, "asset_id": object, "income_model": object,
                    "income_discount_rate": object})
    for j, r in enumerate(bad_rows):
        k = kinds[j % len(kinds)]
        df.loc[r, k] = {"holder_type": "king", "valuation_date": "31/12/2025", "records": -1,
                        "cost_direct": "lots", "asset_id": df.loc[r - 1, "asset_id"],
                        "income_model": "magic", "income_discount_rate": 1.5}[k]
    with pytest.raises(ValidationError) as ei:
        Portfolio.from_table(df)
    assert sorted({i.row for i in ei.value.issues}) == bad_rows
    pf = Portfolio.from_table(df, strict=False)
    assert len(pf) == 1000 - 37
    assert sorted({i.row for i in pf.rejected}) == bad_rows
    for i in pf.rejected:
        assert i.field and i.message_zh.startswith(f"第 {i.row + 1} 行") and i.message_en


def test_unknown_column_refused():
    df = _portfolio_table(5)
    df["colour"] = "red"
    with pytest.raises(ValidationError) as ei:
        Portfolio.from_table(df)
    assert any(i.field == "colour" and "unknown field" in i.message_en for i in ei.value.issues)


def test_table_and_card_give_the_same_portfolio():
    df = _portfolio_table(3)
    pf_t = Portfolio.from_table(df)
    cards = []
    for r in df.to_dict("records"):
        cards.append({
            "asset": {"asset_id": r["asset_id"], "name": r["name"], "holder_type": r["holder_type"],
                      "records": int(r["records"]), "book_value": r["book_value"]},
            "engagement": {"valuation_date": r["valuation_date"]},
            "cost": {"components": {"direct": r["cost_direct"]}},
            "income": {"model": "royalty", "periods": 5,
                       "revenue": {"base": r["income_revenue_base"], "growth": 0.05},
                       "royalty_rate": 0.03, "tax_rate": 0.25, "discount_rate": 0.12}})
    pf_c = Portfolio.from_cards(cards)
    np.testing.assert_allclose(pf_t.stream("income.revenue").to_numpy(),
                               pf_c.stream("income.revenue").to_numpy(), rtol=1e-12)
    for col in ("book_value", "cost_direct", "income_discount_rate", "income_periods"):
        np.testing.assert_allclose(pf_t.assets[col].to_numpy(float), pf_c.assets[col].to_numpy(float))
    # growth expanded by hand: base × 1.05^(t-1)
    b = df["income_revenue_base"].to_numpy()
    np.testing.assert_allclose(pf_t.stream("income.revenue")[5].to_numpy(), b * 1.05 ** 4, rtol=1e-12)


def test_growth_stages_repeat_last_rate():
    c = copy.deepcopy(EXAMPLE)
    c["income"]["periods"] = 7
    c["income"]["revenue"] = {"base": 100.0, "growth": [0.2, 0.1]}
    s = Portfolio.from_card(c).stream("income.revenue").iloc[0].to_numpy()
    np.testing.assert_allclose(s, [100, 120, 132, 145.2, 159.72, 175.692, 193.2612], rtol=1e-12)


def test_example_cards_validate():
    for p in sorted((ROOT / "examples" / "cards").glob("*.json")):
        validate_document(json.loads(p.read_text(encoding="utf-8")))
