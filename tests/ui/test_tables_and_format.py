"""The card tables' cell conversions and the dashboard's formatting, without a browser:
every example card goes through the table form unchanged (so an untouched table can never
alter a card), enum words map back to codes in either language, and the display helpers
write amounts, percentages and codes as the reader expects (figures computed by hand)."""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from valuation.core.schema import fields_for
from valuation.ui import fmt
from valuation.ui.labels import enum_label, formula_text
from valuation.ui.pages import card_tables as ct

ROOT = Path(__file__).resolve().parents[2]
CARDS = sorted((ROOT / "examples" / "cards").glob("*.json"))


def _fields(path: str):
    fs = [f for f in fields_for("card") if f.path.startswith(path + "[].") and "." not in f.path[len(path) + 3:]]
    return fs, [f.path.rsplit(".", 1)[-1] for f in fs]


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("path", ["cost.lines", "market.comparables"])
@pytest.mark.parametrize("card_file", CARDS, ids=lambda p: p.stem)
def test_table_round_trip_leaves_every_example_unchanged(card_file, path, lang, monkeypatch):
    monkeypatch.setattr(ct, "lang", lambda: lang)
    monkeypatch.setattr("valuation.ui.labels.lang", lambda: lang)
    card = json.loads(card_file.read_text("utf-8"))
    parent, last = ct._parent(card, path)
    rows = (parent or {}).get(last) or []
    fields, names = _fields(path)
    df = pd.DataFrame({n: ct._column([ct._to_cell(r.get(n), f) for r in rows], f) for n, f in zip(names, fields)},
                      columns=names)
    back = [ct._row_from_cells(r, fields, names, old) for r, old in zip(df.to_dict("records"), rows)]
    assert back == rows


def test_enum_words_of_either_language_map_back_to_the_code():
    f = next(f for f in fields_for("card") if f.path == "market.comparables[].rights_type")
    for word in ("数据产品经营权", "Product operation right", "product_operation"):
        assert ct._row_from_cells({"rights_type": word}, [f], ["rights_type"], {}) == {
            "rights_type": "product_operation"}


def test_display_helpers(monkeypatch):
    monkeypatch.setattr("valuation.ui.fmt.lang", lambda: "zh")
    monkeypatch.setattr("valuation.ui.labels.lang", lambda: "zh")
    # 2,395,614.2857 元 → two decimals with separators; in 万元: 239.56
    assert fmt.money(2395614.2857) == "2,395,614.29 元"
    monkeypatch.setattr("valuation.ui.fmt.unit", lambda: "wan")
    assert fmt.money(2395614.2857) == "239.56 万元"
    assert fmt.scale() == 10_000.0
    assert fmt.pct(1.0, 0) == "100%" and fmt.pct(0.0, 0) == "0%"   # weights 0/1 as percentages
    assert fmt.value_text(0.16666666666666666) == "0.1667"          # no 17-digit trace cells
    assert fmt.value_text(None) == "—" and fmt.value_text(float("nan")) == "—"
    assert fmt.value_text("soe") == "国有企业" and fmt.value_text("licensing") == "许可使用"
    assert fmt.value_text({"value": 0.0175, "label": "risk-free", "source": "x"}) == "0.0175"
    assert enum_label("direct", "zh", "income_model") == "直接收益法"
    assert enum_label("direct", "zh", "cost_category") == "直接成本"
    table = fmt.frame(pd.DataFrame({"w": [0.0, 1.0], "s": ["warning", None]}), {"w": "pct", "s": "enum"},
                      {"w": "权重", "s": "级别"})
    assert table.to_dict("list") == {"权重": ["0.0%", "100.0%"], "级别": ["警告", "—"]}


def test_formula_words_in_english():
    assert formula_text("F_t = 收入_t × 许可费率 × (1 − 税率)", "en") == \
        "F_t = revenue_t × royalty rate × (1 − tax rate)"
    assert formula_text("comparables given on the card", "zh") == "卡片给定的可比案例"


def test_growth_text_in_percent():
    assert ct._percent_list("12, 10，8、5%") == [0.12, 0.10, 0.08, 0.05]
    assert ct._percent_list("12, x") is None
    assert ct._percent_list("") == []
    assert ct._same_stream({"base": 18000000, "growth": [0.12, 0.1]}, {"base": 18000000.0, "growth": [0.12, 0.1 + 1e-12]})
    assert not ct._same_stream({"base": 1, "growth": [0.12]}, {"base": 1, "growth": 0.12})


def test_growth_streams_form_leaves_e01_unchanged():
    """AppTest: E01's revenue {base, growth} goes through the table form unchanged."""
    from streamlit.testing.v1 import AppTest

    e01 = json.loads((ROOT / "examples" / "cards" / "E01_soe_transport_licensing.json").read_text("utf-8"))
    at = AppTest.from_string("from valuation.ui.pages import card_page\ncard_page()\n", default_timeout=120)
    at.session_state["lang"] = "zh"
    at.session_state["card"] = json.loads(json.dumps(e01))
    at.run()
    assert not at.exception
    assert at.session_state["card"] == e01
