"""The public-data pricing form (发改价格〔2025〕65号) writes back only what the user changed,
and a price computed for the request is not shown once the request is edited. Before: opening
a request deleted an amount written as text, stripped padding, added an empty ``period`` and
crashed on a ``period`` that is not an object; after a price was computed, editing the
allowed cost left the old price (MAR 9,840,000) on the page under the new inputs."""
from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from valuation import api
from valuation.core.formatting import money

ROOT = Path(__file__).resolve().parents[2]
DOC = json.loads((ROOT / "examples" / "product_public_data.json").read_text("utf-8"))


pytestmark = pytest.mark.usefixtures("ui_db")   # tests/conftest.py


def _page(doc: dict) -> AppTest:
    at = AppTest.from_string("from valuation.ui.pages.public_pricing import public_pricing_page\n"
                             "public_pricing_page()\n", default_timeout=120)
    at.session_state["lang"] = "en"
    at.session_state["product_doc"] = copy.deepcopy(doc)
    at.run()
    assert not at.exception, at.exception
    return at


CASES = {
    "amount as text": lambda d: d["product"]["period"].update(taxes="300000"),
    "padded id": lambda d: d["product"].update(product_id=" PD-2025-TRAFFIC "),
    "no period": lambda d: d["product"].pop("period"),
    "period not an object": lambda d: d["product"].update(period="2025"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_an_untouched_form_keeps_the_request(case):
    doc = copy.deepcopy(DOC)
    CASES[case](doc)
    at = _page(doc)
    assert at.session_state["product_doc"] == doc


def test_an_edit_drops_the_price_of_the_old_request():
    at = _page(DOC)
    at.button(key="compute_price_btn").click().run()
    old_mar = api.price(copy.deepcopy(DOC), library="seed")["mar"]
    assert money(old_mar, "CNY", lang="en") in [m.value for m in at.metric]
    box = next(w for w in at.number_input if w.key.endswith("product.period.allowed_cost"))
    box.set_value(4_000_000.0).run()
    assert not at.exception, at.exception
    assert at.session_state["product_doc"]["product"]["period"]["allowed_cost"] == 4_000_000
    assert money(old_mar, "CNY", lang="en") not in [m.value for m in at.metric]
    at.button(key="compute_price_btn").click().run()
    doc = at.session_state["product_doc"]
    assert [m.value for m in at.metric][0] == money(api.price(copy.deepcopy(doc), library="seed")["mar"],
                                                     "CNY", lang="en")
