"""The public-data pricing page is a form (issue 19 left it a JSON text box): its fields and item
table come from the schema, a changed field changes the caps, and a refusal is shown beside the
cell it names."""
import copy
import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from valuation import api

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = json.loads((ROOT / "examples" / "product_public_data.json").read_text("utf-8"))


pytestmark = pytest.mark.usefixtures("ui_db")   # tests/conftest.py


def _page(lang="zh", product=None) -> AppTest:
    at = AppTest.from_string("from valuation.ui.pages import public_pricing_page\npublic_pricing_page()\n",
                             default_timeout=120)
    at.session_state["lang"] = lang
    if product is not None:
        at.session_state["product_doc"] = product
    return at.run()


def _number(at, label):
    return next(w for w in at.number_input if w.label == label)


def test_form_fields_and_items_come_from_the_schema():
    at = _page("en")
    assert not at.exception
    labels = {w.label for w in at.number_input}
    assert {"Allowed cost", "Profit base", "10-year CGB yield", "Taxes"} <= labels
    assert _number(at, "Allowed cost").value == 8_000_000
    assert any(w.label == "Product id" and w.value == "PD-2025-TRAFFIC" for w in at.text_input)


def test_a_changed_field_changes_the_caps_as_the_api_does():
    at = _page("en")
    _number(at, "Allowed cost").set_value(9_000_000).run()
    at.button(key="compute_price_btn").click().run()
    assert not at.exception
    want = copy.deepcopy(PRODUCT)
    want["product"]["period"]["allowed_cost"] = 9_000_000.0
    # MAR = allowed cost + allowed profit + taxes − subsidies (发改价格〔2025〕65号); the page and
    # the API must agree to the yuan
    assert at.session_state["price_result"]["mar"] == pytest.approx(api.price(want, library="seed")["mar"], abs=0.01)
    assert at.session_state["price_result"]["mar"] != pytest.approx(api.price(PRODUCT, library="seed")["mar"])


def test_a_refused_request_names_the_field():
    bad = copy.deepcopy(PRODUCT)
    bad["product"]["items"][0]["expected_volume"] = -5
    at = _page("zh", bad)
    at.button(key="compute_price_btn").click().run()
    assert not at.exception
    assert "price_result" not in at.session_state
    assert any("product.items[0].expected_volume" in m.value or "预计销量" in m.value for m in at.error)
