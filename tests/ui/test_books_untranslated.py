"""The 入表 page's results in the reader's language. ``test_untranslated`` renders the page
without an answer (the example card has no accounting section), so its results were never
scanned: in Chinese mode the trace table had English headers (step, formula, value, clauses),
the code ``"intangible_asset"`` and True/False in the schedule; in English mode every formula
was Chinese; in both, the input ``cost`` (the recognised cost, 3,200,000) was labelled as the
cost approach's weight."""
from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest
from test_untranslated import visible_texts
from text_scan import untranslated

ROOT = Path(__file__).resolve().parents[2]
CARD = json.loads((ROOT / "examples" / "cards" / "E01_soe_transport_licensing.json").read_text("utf-8"))
ACC = {"intent": "own_use", "acquired_by": "purchase", "acquisition_date": "2023-12-01",
       "available_for_use": "2024-01-01", "useful_life_years": 8, "capitalised_cost": 3_200_000,
       "balance_sheet_date": "2025-12-31"}


pytestmark = pytest.mark.usefixtures("ui_db")   # tests/conftest.py


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_books_results_have_no_untranslated_text(lang):
    card = copy.deepcopy(CARD)
    card["accounting"] = dict(ACC)
    at = AppTest.from_string("from valuation.ui.pages.books import books_page\nbooks_page()\n",
                             default_timeout=120)
    at.session_state["lang"] = lang
    at.session_state["card"] = card
    at.run()
    at.button(key="books_run").click().run()
    assert not at.exception, at.exception
    texts = visible_texts(at)
    assert any("3,200,000" in s for s in texts)          # the results (the trace) were rendered
    bad = untranslated(texts, lang)
    assert not bad, "\n".join(bad[:20])
    label = "入账成本 = 3,200,000" if lang == "zh" else "recognised cost = 3,200,000"
    assert any(label in s for s in texts), [s for s in texts if "3,200,000" in s]
