"""AppTest tests of every dashboard page: no exception, the key widgets, a run shows the
estimate equal to the API's, and switching the language changes the labels."""
import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from valuation import api
from valuation.ui.i18n import T

ROOT = Path(__file__).resolve().parents[2]
CARD = json.loads((ROOT / "examples" / "cards" / "E01_soe_transport_licensing.json").read_text("utf-8"))

PAGES = ["card_page", "appraise_page", "risk_page", "public_pricing_page", "batch_page",
         "history_page", "libraries_page", "settings_page"]


pytestmark = pytest.mark.usefixtures("ui_db")   # tests/conftest.py


def _page(name: str, lang: str = "zh", card=None) -> AppTest:
    src = f"from valuation.ui.pages import {name}\n{name}()\n"
    at = AppTest.from_string(src, default_timeout=120)
    at.session_state["lang"] = lang
    if card is not None:
        at.session_state["card"] = card
    return at


def test_router_runs():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    assert not at.exception
    assert at.title[0].value == T["card_title"][0]


@pytest.mark.parametrize("name", PAGES)
def test_every_page_renders_in_both_languages(name):
    titles = []
    for lang in ("zh", "en"):
        at = _page(name, lang, CARD)
        at.run()
        assert not at.exception, at.exception
        titles.append(at.title[0].value)
    assert titles[0] != titles[1]  # the language switch changes the labels


def test_card_page_validation_message_next_to_field():
    bad = json.loads(json.dumps(CARD))
    bad["asset"]["rights"]["type"] = "ownership"
    at = _page("card_page", "zh", bad)
    at.run()
    assert not at.exception
    assert any("asset.rights.type" in e.value for e in at.error)
    assert any(w.value.startswith("卡片有") for w in at.warning)


def test_card_page_loads_example():
    at = _page("card_page", "en")
    at.run()
    at.selectbox(key="example_choice").set_value("E02_admin_registry_governance")
    at.button(key="load_example_btn").click()
    at.run()
    assert at.session_state["card"]["asset"]["asset_id"] == "E02-REG-2025"
    assert any("valid" in s.value for s in at.success)


def test_appraisal_run_shows_the_api_estimate():
    at = _page("appraise_page", "zh", CARD)
    at.run()
    at.button(key="run_appraisal_btn").click()
    at.run()
    assert not at.exception
    res = at.session_state["result"]
    expected = api.appraise(CARD).to_dict()
    assert res["estimate"] == expected["estimate"]
    shown = at.metric[0].value
    if expected["estimate"] is not None:
        assert f"{expected['estimate']:,.2f}" in shown


def _json_area(at):
    return next(a for a in at.text_area if str(a.key).startswith("card_json"))


def test_card_json_editor_applies_and_refuses_bad_json():
    at = _page("card_page", "en", CARD)
    at.run()
    edited = json.loads(json.dumps(CARD))
    edited["asset"]["name"] = "Edited name"
    _json_area(at).set_value(json.dumps(edited, ensure_ascii=False))
    at.button(key="apply_json_btn").click()
    at.run()
    assert not at.exception
    assert at.session_state["card"]["asset"]["name"] == "Edited name"
    _json_area(at).set_value("{not json")
    at.button(key="apply_json_btn").click()
    at.run()
    assert any("Invalid JSON" in e.value for e in at.error)
    assert at.session_state["card"]["asset"]["name"] == "Edited name"
