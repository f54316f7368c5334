"""The dashboard's library editor parses typed YAML with the import's limits (issue 18): a YAML
alias bomb is refused before anything is stored, with the bilingual parse error beside the form."""
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from valuation import api
from valuation.core.errors import ValidationError

ROOT = Path(__file__).resolve().parents[2]
BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n"
    for i in range(12))


@pytest.mark.timeout(120)     # expanded, the bomb would not end: a hang guard, not a speed test
def test_parse_library_text_refuses_aliases_before_expanding_them():
    with pytest.raises(ValidationError) as e:
        api.parse_library_text(BOMB)
    assert "alias" in str(e.value).lower() or "别名" in str(e.value)
    assert api.parse_library_text("threshold: 1.5\nname: 甲") == {"threshold": 1.5, "name": "甲"}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_editor_refuses_a_yaml_bomb_and_stores_nothing(tmp_path, monkeypatch, lang):
    db = f"sqlite:///{tmp_path / 'ui.db'}"
    store = api.open_library(db, init=True)
    monkeypatch.setenv("VALUATION_DB_URL", db)
    monkeypatch.chdir(ROOT)
    before = store.counts()
    at = AppTest.from_string("from valuation.ui.pages import libraries_page\nlibraries_page()\n",
                             default_timeout=120)
    at.session_state["lang"], at.session_state["library_url"] = lang, db
    at.run()
    assert not at.exception, at.exception
    at.toggle(key="lib_edit_on").set_value(True)
    at.run()
    area = next(a for a in at.text_area if a.label == "YAML")
    area.set_value(BOMB)
    at.button[0].click()          # the form's only button: save a new version
    at.run()
    assert not at.exception, at.exception
    errors = " ".join(e.value for e in at.error)
    assert "YAML" in errors
    assert store.counts() == before     # nothing written
