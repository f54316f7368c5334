"""The card page writes back only what the user changed. Opening a card whose values the form
boxes cannot show as they are — a date written ``2025/12/31``, fractional records, an amount
given as text, a code that is not a string, a padded name — used to rewrite the card on the
first run without a keystroke: the date, the amount and the code were deleted, 1.5 records
became 1 and the padding was stripped, so the validation message about the bad value
disappeared together with the value. An edit the user makes is still written."""
from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]
CARD = json.loads((ROOT / "examples" / "cards" / "E01_soe_transport_licensing.json").read_text("utf-8"))


@pytest.fixture(autouse=True)
def _db(tmp_path, monkeypatch):
    monkeypatch.setenv("VALUATION_DB_URL", f"sqlite:///{tmp_path / 'ui.db'}")
    monkeypatch.chdir(ROOT)


def _card_page(card: dict) -> AppTest:
    at = AppTest.from_string("from valuation.ui.pages import card_page\ncard_page()\n", default_timeout=120)
    at.session_state["lang"] = "en"
    at.session_state["card"] = copy.deepcopy(card)
    at.run()
    assert not at.exception, at.exception
    return at


ODD = {  # path: a value the card may hold that its form box cannot show as it is
    "engagement.valuation_date": "2025/12/31",
    "asset.rights.term_end": "2030-06-30T00:00:00",
    "asset.records": 1.5,
    "asset.book_value": "1000",
    "engagement.purpose": 5,
    "asset.name": "  padded name  ",
    "asset.asset_id": 12345,
}


def _set(card: dict, path: str, v) -> None:
    *head, last = path.split(".")
    for p in head:
        card = card.setdefault(p, {})
    card[last] = v


@pytest.mark.parametrize("path", sorted(ODD))
def test_an_untouched_form_keeps_a_value_it_cannot_show(path):
    card = copy.deepcopy(CARD)
    _set(card, path, ODD[path])
    at = _card_page(card)
    assert at.session_state["card"] == card   # not one value changed, added or removed


def test_a_refused_value_stays_and_its_message_shows_next_to_the_field():
    card = copy.deepcopy(CARD)
    card["engagement"]["valuation_date"] = "2025/12/31"
    at = _card_page(card)
    assert any("engagement.valuation_date" in e.value and "2025/12/31" in e.value for e in at.error), \
        [e.value for e in at.error]


def test_an_edit_is_still_written():
    card = copy.deepcopy(CARD)
    card["engagement"]["valuation_date"] = "2025/12/31"
    card["asset"]["records"] = 1.5
    at = _card_page(card)
    box = next(w for w in at.date_input if w.key.endswith("_engagement.valuation_date"))
    box.set_value(dt.date(2025, 6, 30)).run()
    assert at.session_state["card"]["engagement"]["valuation_date"] == "2025-06-30"
    box = next(w for w in at.number_input if w.key.endswith("_asset.records"))
    box.set_value(2000.0).run()
    assert at.session_state["card"]["asset"]["records"] == 2000
    assert isinstance(at.session_state["card"]["asset"]["records"], int)
    box = next(w for w in at.text_input if w.key.endswith("_asset.name"))
    box.set_value("  new name ").run()
    assert at.session_state["card"]["asset"]["name"] == "new name"
