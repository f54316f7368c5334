"""AppTest of the 入表 page (issue 22): renders in both languages, the run shows the figures
of api.book for the card, a refused section shows the field, and the router lists the page."""
import copy
import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from valuation import api

ROOT = Path(__file__).resolve().parents[2]
CARD = json.loads((ROOT / "examples" / "cards" / "E01_soe_transport_licensing.json").read_text("utf-8"))
ACC = {"intent": "own_use", "acquired_by": "purchase", "acquisition_date": "2023-12-01",
       "available_for_use": "2024-01-01", "useful_life_years": 8, "capitalised_cost": 3_200_000}


pytestmark = pytest.mark.usefixtures("ui_db")   # tests/conftest.py


def _page(lang: str, card) -> AppTest:
    at = AppTest.from_string("from valuation.ui.pages.books import books_page\nbooks_page()\n",
                             default_timeout=120)
    at.session_state["lang"] = lang
    at.session_state["card"] = card
    return at


def test_books_page_runs_and_shows_the_api_figures():
    card = copy.deepcopy(CARD)
    card["accounting"] = dict(ACC)
    titles = []
    for lang in ("zh", "en"):
        at = _page(lang, card)
        at.run()
        assert not at.exception, at.exception
        titles.append(at.title[0].value)
    assert titles[0] != titles[1]
    at.button(key="books_run").click()
    at.run()
    assert not at.exception, at.exception
    got = at.session_state["books_answer"]
    want = api.book(card)
    assert got["carrying_amount"] == want["carrying_amount"] == pytest.approx(2_400_000, abs=0.01)
    assert any("Carrying amount" in m.label for m in at.metric)


def test_books_page_shows_a_refusal_with_its_field():
    card = copy.deepcopy(CARD)
    card["accounting"] = {**ACC, "available_for_use": "2023-01-01"}
    at = _page("en", card)
    at.run()
    at.button(key="books_run").click()
    at.run()
    assert not at.exception
    assert any("accounting.available_for_use" in m.value for m in at.markdown)


def test_books_form_writes_the_accounting_section():
    import datetime as dt

    card = copy.deepcopy(CARD)
    card.pop("accounting", None)
    at = _page("zh", card)
    at.run()
    assert not at.exception, at.exception
    at.selectbox(key="books_intent").set_value("own_use")
    at.selectbox(key="books_acquired_by").set_value("purchase")
    at.date_input(key="books_acquisition_date").set_value(dt.date(2023, 12, 1))
    at.date_input(key="books_available_for_use").set_value(dt.date(2024, 1, 1))
    at.number_input(key="books_life").set_value(8.0)
    at.number_input(key="books_capitalised_cost").set_value(3_200_000.0)
    next(b for b in at.button if b.label == "保存会计信息").click()
    at.run()
    assert not at.exception, at.exception
    acc = at.session_state["card"]["accounting"]
    assert acc["intent"] == "own_use" and acc["acquisition_date"] == "2023-12-01"
    assert acc["useful_life_years"] == 8.0 and acc["capitalised_cost"] == 3_200_000.0
    # the saved section books: 3,200,000 × 24 / 96 months = 800,000 accumulated
    assert api.book(at.session_state["card"])["accumulated_amortisation"] == pytest.approx(800_000, abs=0.01)
