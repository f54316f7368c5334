"""Refusals of the accounting section and the faces of the books: api.book, ``valuation book``,
``POST /v1/books``. The value in use and fair value of api.book are the engine's own income and
market approaches on the same card and snapshot (compared exactly)."""
from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from valuation import api
from valuation.cli import app as cli_app
from valuation.core.errors import ValidationError

ROOT = Path(__file__).resolve().parents[2]
E01 = json.loads((ROOT / "examples" / "cards" / "E01_soe_transport_licensing.json").read_text("utf-8"))
ACC = {"intent": "own_use", "acquired_by": "purchase", "acquisition_date": "2023-12-01",
       "available_for_use": "2024-01-01", "useful_life_years": 8, "capitalised_cost": 3_200_000,
       "disposal_costs": 100_000}


def _card(**acc) -> dict:
    c = copy.deepcopy(E01)
    c["accounting"] = {**ACC, **acc}
    return c


def _issues(card: dict) -> dict[str, dict]:
    with pytest.raises(ValidationError) as ei:
        api.book(card, library="seed")
    return {i.field: i.to_dict() for i in ei.value.issues}


def _assert_shape(i: dict, field: str) -> None:
    assert i["field"] == field and i["allowed"] and i["message_zh"] and i["message_en"]
    assert field in i["message_zh"] and field in i["message_en"]


def test_book_links_the_engine_approaches():
    # value in use = income approach, FVLCD = market approach (one-off) − disposal costs 100,000;
    # cost 3,200,000 over 8 years from 2024-01: 24 of 96 months → accumulated 800,000
    res = api.appraise(_card(), library="seed")
    a = api.book(_card(), library="seed")
    assert a["value_in_use"] == res.methods["income"]["estimate"]
    assert a["fair_value_less_costs_of_disposal"] == pytest.approx(
        res.methods["market"]["estimate"] - 100_000, abs=1e-6)
    assert a["accumulated_amortisation"] == pytest.approx(800_000, abs=0.01)
    assert a["provenance"]["library_snapshot"] == res.provenance["library_snapshot"]
    assert set(a) >= {"classification", "cost", "expensed", "accumulated_amortisation",
                      "carrying_amount_before_impairment", "value_in_use",
                      "fair_value_less_costs_of_disposal", "net_realisable_value",
                      "recoverable_amount", "impairment_loss", "carrying_amount", "schedule",
                      "disclosure", "flags", "trace", "provenance"}


def test_post_tax_income_is_noted_for_value_in_use():
    # E01's income approach is post-tax; CAS 8 art. 11 asks for pre-tax cash flows and rate
    a = api.book(_card(), library="seed")
    f = next(f for f in a["flags"] if f["code"] == "VALUE_IN_USE_POST_TAX")
    assert f["severity"] == "info" and f["references"] == ["CAS8.art11"]
    # cited by title and article from the standards library, as the engine's flags
    assert f["citations"] == [{"id": "CAS8.art11", "zh": "《企业会计准则第8号——资产减值》第十一条至第十三条",
                               "en": "Accounting Standard for Business Enterprises No. 8: Impairment of Assets, "
                                     "Articles 11-13"}]


def test_the_valuation_numbers_do_not_change_with_an_accounting_section():
    # the example cards E01 and E05 carry one (README): their appraisal is the one without it
    for name in ("E01_soe_transport_licensing", "E05_purchased_third_party"):
        card = json.loads((ROOT / "examples" / "cards" / f"{name}.json").read_text("utf-8"))
        assert "accounting" in card
        bare = {k: v for k, v in card.items() if k != "accounting"}
        a = api.appraise(bare, library="seed").to_dict()
        b = api.appraise(card, library="seed").to_dict()
        for k in ("estimate", "low", "high"):
            assert a[k] == b[k], (name, k)
        assert a["methods"] == b["methods"] and a["flags"] == b["flags"]


def test_refusal_missing_dates():
    iss = _issues(_card(acquisition_date=None))
    _assert_shape(iss["accounting.acquisition_date"], "accounting.acquisition_date")
    iss = _issues(_card(available_for_use=None))
    _assert_shape(iss["accounting.available_for_use"], "accounting.available_for_use")


def test_refusal_negative_costs():
    iss = _issues(_card(capitalised_cost=-1))
    _assert_shape(iss["accounting.capitalised_cost"], "accounting.capitalised_cost")
    assert iss["accounting.capitalised_cost"]["value"] == -1
    iss = _issues(_card(capitalised_cost=None, costs=[{"amount": -5, "phase": "acquisition"}]))
    _assert_shape(iss["accounting.costs[0].amount"], "accounting.costs[0].amount")


def test_refusal_life_below_zero():
    iss = _issues(_card(useful_life_years=-1))
    i = iss["accounting.useful_life_years"]
    _assert_shape(i, "accounting.useful_life_years")
    assert i["value"] == -1 and "> 0" in i["allowed"]


def test_refusal_available_before_acquisition():
    i = _issues(_card(acquisition_date="2024-06-01", available_for_use="2024-01-01"))[
        "accounting.available_for_use"]
    _assert_shape(i, "accounting.available_for_use")
    assert i["value"] == "2024-01-01" and "2024-06-01" in i["allowed"]


def test_refusal_capitalising_research_costs():
    lines = [{"amount": 200_000, "phase": "research", "capitalise": True},
             {"amount": 3_000_000, "phase": "acquisition"}]
    i = _issues(_card(capitalised_cost=None, costs=lines))["accounting.costs[0].capitalise"]
    _assert_shape(i, "accounting.costs[0].capitalise")
    assert "CAS6.art8" in i["message_en"] and "第八条" in i["message_zh"]
    # a capitalised cost above what the lines allow would capitalise the research costs
    lines[0].pop("capitalise")
    i = _issues(_card(capitalised_cost=3_200_000, costs=lines))["accounting.capitalised_cost"]
    assert i["value"] == 3_200_000 and "3,000,000.00" in i["allowed"]


def test_book_without_accounting_section_is_refused():
    with pytest.raises(ValidationError) as ei:
        api.book({k: v for k, v in E01.items() if k != "accounting"}, library="seed")
    assert ei.value.issues[0].field == "accounting.intent"


def test_cli_book(tmp_path):
    p = tmp_path / "card.json"
    p.write_text(json.dumps(_card()), encoding="utf-8")
    r = CliRunner().invoke(cli_app, ["book", str(p), "--format", "json", "--db", "seed"])
    assert r.exit_code == 0, r.output
    d = json.loads(r.output)
    assert d["classification"] == "intangible_asset" and d["accumulated_amortisation"] == 800_000
    r = CliRunner().invoke(cli_app, ["book", str(p), "--lang", "en", "--db", "seed"])
    assert r.exit_code == 0 and "Carrying amount" in r.output and "Amortisation schedule" in r.output
    p.write_text(json.dumps(_card(useful_life_years=-1)), encoding="utf-8")
    r = CliRunner().invoke(cli_app, ["book", str(p), "--db", "seed"])
    assert r.exit_code == 2 and "accounting.useful_life_years" in r.output
    assert "Traceback" not in r.output


def test_working_paper_docx_and_xlsx(tmp_path):
    from docx import Document
    from openpyxl import load_workbook

    card = _card(costs=[{"category": "=HYPERLINK(\"x\")", "amount": 3_200_000, "phase": "acquisition"}],
                 capitalised_cost=None)
    p = tmp_path / "card.json"
    p.write_text(json.dumps(card), encoding="utf-8")
    for suffix in (".docx", ".xlsx"):
        out = tmp_path / f"paper{suffix}"
        r = CliRunner().invoke(cli_app, ["book", str(p), "--db", "seed", "--out", str(out)])
        assert r.exit_code == 0, r.output
    text = "\n".join(par.text for par in Document(tmp_path / "paper.docx").paragraphs)
    assert "数据资源入表底稿" in text and "减值测试" in text
    wb = load_workbook(tmp_path / "paper.xlsx")
    cells = [v for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for v in row]
    assert "'=HYPERLINK(\"x\")" in cells                       # neutralised, kept as text
    assert not any(isinstance(v, str) and v[:1] in "=+-@" for v in cells)
    assert any(isinstance(v, str) and "《企业会计准则第6号——无形资产》" in v for v in cells)  # clause title


def test_readme_shows_the_example_figures():
    text = (ROOT / "README.md").read_text("utf-8")
    sec = text[text.index("## 入表与减值"):text.index("## Benchmarks")]
    for name, res_col in (("E01_soe_transport_licensing", 1), ("E05_purchased_third_party", 2)):
        card = json.loads((ROOT / "examples" / "cards" / f"{name}.json").read_text("utf-8"))
        a = api.book(card, library="seed")
        rows = {ln.split("|")[1].strip(): ln.split("|")[res_col + 1] for ln in sec.splitlines()
                if ln.startswith("| ") and ln.count("|") >= 4}
        for key, label in (("cost", "cost (capitalised)"), ("expensed", "expensed (research phase)"),
                           ("carrying_amount_before_impairment", "carrying amount before impairment"),
                           ("recoverable_amount", "recoverable amount"), ("impairment_loss", "impairment loss"),
                           ("carrying_amount", "carrying amount"),
                           ("accumulated_amortisation", "amortisation (straight line, months)")):
            assert f"{a[key]:,.2f}" in rows[label], (name, key, a[key], rows[label])
        if a["value_in_use"] is not None:
            assert f"{a['value_in_use']:,.2f}" in rows["value in use (income approach)"]
        assert f"{a['fair_value_less_costs_of_disposal']:,.2f}" in rows["fair value − costs of disposal (market)"]
        for f in a["flags"]:
            assert f["code"] in rows["flags"], (name, f["code"])


def test_refusal_balance_sheet_date_before_acquisition_and_huge_life():
    i = _issues(_card(balance_sheet_date="2023-01-31"))["accounting.balance_sheet_date"]
    _assert_shape(i, "accounting.balance_sheet_date")
    assert i["value"] == "2023-01-31" and "2023-12-01" in i["allowed"]
    i = _issues(_card(useful_life_years=1e300))["accounting.useful_life_years"]
    assert "<= 100" in i["allowed"]


def test_schema_template_and_json_schema_carry_the_section():
    from valuation.core.schema import json_schema
    from valuation.core.template import template_columns

    acc = json_schema("card")["properties"]["accounting"]["properties"]
    assert acc["intent"]["enum"][:2] == ["own_use", "sale"]
    assert acc["costs"]["items"]["required"] == ["amount", "phase"]
    assert acc["useful_life_years"]["exclusiveMinimum"] == 0 and acc["useful_life_years"]["maximum"] == 100
    assert {"accounting_intent", "accounting_available_for_use", "accounting_useful_life_years"} <= set(
        template_columns())
