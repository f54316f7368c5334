"""AppTest of the revenue-sharing page: renders in both languages, a run equals api.share,
the core check and the flags are shown, and recording writes the ledger."""
import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from valuation import api

ROOT = Path(__file__).resolve().parents[2]
SPEC = json.loads((ROOT / "examples" / "sharing" / "public_data_operation.json").read_text("utf-8"))


pytestmark = pytest.mark.usefixtures("ui_db")   # tests/conftest.py


def _page(lang: str) -> AppTest:
    at = AppTest.from_string("from valuation.ui.pages import sharing_page\nsharing_page()\n", default_timeout=120)
    at.session_state["lang"] = lang
    return at


def test_sharing_page_renders_in_both_languages():
    titles = []
    for lang in ("zh", "en"):
        at = _page(lang)
        at.run()
        assert not at.exception, at.exception
        titles.append(at.title[0].value)
    assert titles[0] != titles[1]


def test_sharing_run_equals_the_api_and_records():
    at = _page("en")
    at.run()
    at.selectbox(key="sh_method").set_value("nucleolus")
    at.checkbox(key="sh_record").check()
    at.run()
    at.button(key="sh_compute").click()
    at.run()
    assert not at.exception, at.exception
    res = at.session_state["share_result"]
    want = api.share({**SPEC, "method": "nucleolus"}, library="seed")
    assert [s["amount"] for s in res["shares"]] == [s["amount"] for s in want["shares"]]
    assert any("In the core" in s.value for s in at.success)
    assert any("Recorded" in s.value for s in at.success)
    assert any("SHARE_NON_TAX_REVENUE" in i.value for i in at.info)


def test_cost_share_on_the_page_keeps_dates_and_stage_costs():
    at = _page("zh")
    at.run()
    at.selectbox(key="sh_method").set_value("cost_share")
    at.run()
    at.button(key="sh_compute").click()
    at.run()
    assert not at.exception, at.exception
    res = at.session_state["share_result"]
    want = api.share({**SPEC, "method": "cost_share"}, library="seed")
    assert [s["amount"] for s in res["shares"]] == [s["amount"] for s in want["shares"]]
