"""The revenue-sharing page does not show shares computed for another arrangement: after
Compute, changing the distributable amount (or any field of the form) left the previous
shares on the page under the new inputs."""
from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]


pytestmark = pytest.mark.usefixtures("ui_db")   # tests/conftest.py


def test_changing_the_form_hides_the_shares_of_the_old_arrangement():
    at = AppTest.from_string("from valuation.ui.pages import sharing_page\nsharing_page()\n", default_timeout=120)
    at.session_state["lang"] = "en"
    at.run()
    at.button(key="sh_compute").click().run()
    assert not at.exception, at.exception
    old = at.session_state["share_result"]
    assert sum(s["amount"] for s in old["shares"]) == pytest.approx(12_000_000, abs=0.05)
    assert len(at.dataframe) >= 2                       # the form's table and the shares table
    at.number_input(key="sh_dist").set_value(6_000_000.0).run()
    assert not at.exception, at.exception
    assert "share_result" not in at.session_state       # not shown for 6,000,000
    at.button(key="sh_compute").click().run()
    new = at.session_state["share_result"]
    assert sum(s["amount"] for s in new["shares"]) == pytest.approx(6_000_000, abs=0.05)
    at.run()                                            # an unrelated rerun keeps the fresh result
    assert at.session_state["share_result"] == new


@pytest.mark.parametrize(("text", "words"), [
    ('[{"members": ["DL-BUREAU"], "value": 1, "value": 5000000}]', ("given twice", "value")),
    ('[{"members": ["DL-BUREAU"], "value": NaN}]', ("NaN",)),
    ('[{"members": ["DL-BUREAU"], "value": 1', ("Invalid JSON",)),
])
def test_the_coalition_values_go_through_the_input_gate(text, words):
    """The coalition values were read with json.loads: a repeated key silently kept the last
    value and NaN was accepted; a syntax error was shown as Python's English message in
    Chinese mode. They now go through the input gate, refused in the reader's language."""
    at = AppTest.from_string("from valuation.ui.pages import sharing_page\nsharing_page()\n", default_timeout=120)
    at.session_state["lang"] = "en"
    at.run()
    at.text_area(key="sh_cv").set_value(text).run()
    assert not at.exception, at.exception
    errors = [e.value for e in at.error]
    assert any(all(w in e for w in words) for e in errors), errors
    assert not [b for b in at.button if b.key == "sh_compute"]      # nothing to compute from
    at.session_state["lang"] = "zh"
    at.run()
    assert any(e.value.startswith("JSON 格式错误") and "输入" in e.value for e in at.error), \
        [e.value for e in at.error]


def _editor_options(at: AppTest, header: str) -> list[str]:
    import json

    out = []

    def walk(n):
        for c in getattr(n, "children", {}).values():
            yield c
            yield from walk(c)

    for node in walk(at.main):
        proto = getattr(node, "proto", None)
        cols = getattr(proto, "columns", "") if proto is not None else ""
        if cols:
            for c in json.loads(cols).values():
                if c.get("label") == header:
                    out += (c.get("type_config") or {}).get("options") or []
    return out


@pytest.mark.parametrize(("lang", "words"), [("zh", ["企业", "国有企业", "行政单位", "事业单位"]),
                                             ("en", ["Enterprise", "State-owned enterprise",
                                                     "Administrative unit", "Public institution"])])
def test_holder_types_are_words_of_the_page_language_and_codes_in_the_spec(lang, words):
    """The participants' holder-type column offered the codes (enterprise, soe, …) on the
    Chinese page; the spec sent to the API must still hold the codes."""
    at = AppTest.from_string("from valuation.ui.pages import sharing_page\nsharing_page()\n", default_timeout=120)
    at.session_state["lang"] = lang
    at.run()
    header = "主体类型" if lang == "zh" else "Holder type"
    assert _editor_options(at, header) == words
    at.button(key="sh_compute").click().run()
    assert not at.exception, at.exception
    got = {s["id"]: s.get("holder_type") for s in at.session_state["share_result"]["shares"]}
    assert got["DL-BUREAU"] == "administrative" and got["DL-OPER"] == "soe", got
