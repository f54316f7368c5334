"""The one helper each for picking a word by language (``valuation/ui/labels.py``), which the
pages call instead of repeating ``x_en if lang() == "en" else x_zh``; and no page repeats it."""
import re
from pathlib import Path

import pytest

from valuation.core.schema import field_by_path
from valuation.ui import labels
from valuation.ui.labels import field_label, lang_key, pick, text_of

PAGES = Path(__file__).resolve().parents[2] / "valuation" / "ui" / "pages"


@pytest.mark.parametrize("lang, want", [("zh", "资产名称"), ("en", "Name")])
def test_words_follow_the_session_language(lang, want, monkeypatch):
    monkeypatch.setattr(labels, "lang", lambda: lang)
    # the schema's own labels of asset.name (core/schema.py), by Field and by path
    assert field_label("asset.name") == field_label(field_by_path("asset.name")) == want
    assert pick("是", "yes") == ("yes" if lang == "en" else "是")
    issue = {"message_zh": "缺少", "message_en": "missing"}
    assert text_of(issue, "message") == ("missing" if lang == "en" else "缺少")
    assert lang_key("reason") == f"reason_{lang}"


def test_explicit_language_unknown_field_and_missing_text(monkeypatch):
    monkeypatch.setattr(labels, "lang", lambda: "zh")
    assert field_label("asset.name", language="en") == "Name"
    # a column the schema does not know is shown as named, or as the caller's default
    assert field_label("my_column") == "my_column"
    assert field_label("my_column", "—") == "—" and field_label(None) == ""
    assert text_of({"message_en": "only English"}, "message") == ""
    assert text_of({"message_zh": None}, "message") == ""


def test_no_page_repeats_the_choice_by_language():
    pattern = re.compile(r"""_en\b['"]?\]? if [^\n]*else [^\n]*_zh|label_en if|_zh['"]? if zh""")
    bad = [f"{p.name}:{n}" for p in sorted(PAGES.glob("*.py"))
           for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1) if pattern.search(line)]
    assert not bad, "use valuation.ui.labels (pick, field_label, text_of, lang_key):\n" + "\n".join(bad)
    assert pattern.search('i["message_en"] if lang() == "en" else i["message_zh"]')
    assert pattern.search('return f.label_en if lang() == "en" else f.label_zh')


def test_a_card_field_is_labelled_by_its_column_its_path_or_its_last_part():
    """One lookup for the pages (the batch rejects' column, a chart axis, a trace input)."""
    from valuation.ui.labels import column_label

    assert column_label("income_discount_rate", language="zh") == "折现率"          # its column
    assert column_label("income.discount_rate", language="en") == "Discount rate"   # its path
    assert column_label("management", language="en") == "management"               # not a column or path
    assert column_label("management", by_name=True, language="en") == "Management risk premium"
    assert column_label("my_col", language="zh") == "my_col"                        # a user's own column
    assert column_label("Q", "质量系数", by_name=True) == "质量系数"                    # a symbol: the default
    assert column_label(None, language="en") == "None"
