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


pytestmark = pytest.mark.usefixtures("ui_db")   # tests/conftest.py


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


# The table forms (cost lines, comparables, quality scores, income streams): a card whose
# cells the table cannot show as they are used to crash the page (a word in a stream or a
# score, a list that is not a list of objects) or be rewritten on opening it (a growth rate
# rounded to 6 digits, an amount given as text made a float, a cost line with a bad amount
# deleted with its whole section, a code that is not a string made one).
def _cmp0(c):
    return c["market"]["comparables"][0]


def _rev(c):
    return c["income"].setdefault("revenue", {})


TABLE_CASES = {
    "comparable price as text": lambda c: _cmp0(c).update(price="5000000"),
    "comparable code not a string": lambda c: _cmp0(c).update(rights_type=7),
    "comparables not objects": lambda c: c["market"]["comparables"].append("T-D"),
    "comparables an object": lambda c: c["market"].update(comparables={"T-A": 1}),
    "cost line amount a word": lambda c: c.update(cost={"lines": [{"category": "direct", "amount": "x"}]}),
    "quality score as text": lambda c: c["asset"]["quality"].update(accuracy="86"),
    "quality score a word": lambda c: c["asset"]["quality"].update(accuracy="high"),
    "quality a list": lambda c: c["asset"].update(quality=[90, 88]),
    "stream with a word and a gap": lambda c: c["income"].update(revenue=[100, "abc", None]),
    "stream value as text": lambda c: c["income"].update(revenue=[100, "200"]),
    "growth rate with 12 digits": lambda c: _rev(c).update(growth=[0.123456789012, 0.1]),
    "growth base a word": lambda c: _rev(c).update(base="abc"),
    "growth rate a word": lambda c: _rev(c).update(growth=["x"]),
    "terminal growth a word": lambda c: _rev(c).update(terminal_growth="x"),
}


@pytest.mark.parametrize("case", sorted(TABLE_CASES))
def test_an_untouched_table_keeps_the_card_and_the_page_runs(case):
    card = copy.deepcopy(CARD)
    TABLE_CASES[case](card)
    at = _card_page(card)                      # no exception (asserted in _card_page)
    assert at.session_state["card"] == card


def test_a_part_the_table_cannot_show_points_to_the_json_editor():
    card = copy.deepcopy(CARD)
    card["market"]["comparables"] = {"T-A": 1}
    at = _card_page(card)
    assert any("JSON" in i.value for i in at.info), [i.value for i in at.info]
    assert any("market.comparables" in e.value for e in at.error), [e.value for e in at.error]


@pytest.mark.parametrize(("path", "day"), [("asset.rights.term_end", dt.date(2045, 1, 1)),
                                           ("engagement.valuation_date", dt.date(2012, 6, 30))])
def test_a_date_more_than_ten_years_from_today_is_kept(path, day):
    """An empty date box allowed only today ± 10 years (Streamlit's default): a rights term
    ending in 2045 or a valuation date in 2012 was silently not written."""
    card = copy.deepcopy(CARD)
    *head, last = path.split(".")
    parent = card
    for p in head:
        parent = parent[p]
    parent.pop(last, None)
    at = _card_page(card)
    box = next(w for w in at.date_input if w.key.endswith("_" + path))
    box.set_value(day).run()
    assert not at.exception, at.exception
    got = at.session_state["card"]
    for p in path.split("."):
        got = got.get(p) if isinstance(got, dict) else None
    assert got == day.isoformat()
