"""A result shown for a card is never shown for another card. The 入表 page kept its answer
as long as the asset id stayed the same: after the accounting section was changed and saved
(or the card edited on the card page) it still showed the figures of the previous section,
and its working-paper downloads paired the new card with the old answer."""
from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from valuation import api
from valuation.core.formatting import money

ROOT = Path(__file__).resolve().parents[2]
CARD = json.loads((ROOT / "examples" / "cards" / "E01_soe_transport_licensing.json").read_text("utf-8"))
ACC = {"intent": "own_use", "acquired_by": "purchase", "acquisition_date": "2023-12-01",
       "available_for_use": "2024-01-01", "useful_life_years": 8, "capitalised_cost": 3_200_000}


pytestmark = pytest.mark.usefixtures("ui_db")   # tests/conftest.py


def _books(card: dict) -> AppTest:
    at = AppTest.from_string("from valuation.ui.pages.books import books_page\nbooks_page()\n",
                             default_timeout=120)
    at.session_state["lang"] = "en"
    at.session_state["card"] = copy.deepcopy(card)
    at.run()
    assert not at.exception, at.exception
    at.button(key="books_run").click().run()
    assert not at.exception, at.exception
    return at


def _carrying(at: AppTest) -> list[str]:
    return [m.value for m in at.metric if m.label == "Carrying amount"]


def test_books_figures_are_not_shown_for_a_changed_accounting_section():
    card = copy.deepcopy(CARD)
    card["accounting"] = dict(ACC)
    at = _books(card)
    # 3,200,000 over 8 years, 2 years used at the balance-sheet date: 2,400,000 (in 万元: 240.00)
    assert _carrying(at) == [money(2_400_000, unit="wan", lang="en")]
    at.number_input(key="books_capitalised_cost").set_value(1_600_000.0)
    next(b for b in at.button if b.label == "Save the accounting section").click()
    at.run()
    assert not at.exception, at.exception
    assert at.session_state["card"]["accounting"]["capitalised_cost"] == 1_600_000
    # either no figures until the next run, or the new card's: 1,600,000 × 6/8 = 1,200,000
    assert _carrying(at) in ([], [money(1_200_000, unit="wan", lang="en")]), _carrying(at)
    at.button(key="books_run").click().run()
    want = api.book(at.session_state["card"])["carrying_amount"]
    assert want == pytest.approx(1_200_000, abs=0.01)
    assert _carrying(at) == [money(want, unit="wan", lang="en")]


def test_books_figures_are_not_shown_after_the_card_page_changed_the_card():
    # the card page's edit path (ui.state.update_card, what its form calls), then the 入表 page
    at = AppTest.from_string(
        "import json\nimport streamlit as st\nfrom valuation.ui.state import update_card\n"
        "from valuation.ui.pages.books import books_page\n"
        "if 'pending' in st.session_state:\n    update_card(json.loads(st.session_state.pop('pending')))\n"
        "books_page()\n", default_timeout=120)
    card = copy.deepcopy(CARD)
    card["accounting"] = dict(ACC)
    at.session_state["lang"] = "en"
    at.session_state["card"] = card
    at.run()
    at.button(key="books_run").click().run()
    assert not at.exception, at.exception
    assert _carrying(at) == [money(2_400_000, unit="wan", lang="en")]
    edited = copy.deepcopy(card)
    edited["accounting"]["capitalised_cost"] = 1_600_000
    at.session_state["pending"] = json.dumps(edited)
    at.run()
    assert not at.exception, at.exception
    assert at.session_state["card"]["accounting"]["capitalised_cost"] == 1_600_000
    assert _carrying(at) in ([], [money(1_200_000, unit="wan", lang="en")]), _carrying(at)
