"""The one enum-label catalogue (valuation/core/labels.py): every schema code has a Chinese and
an English word, both faces read the same words, and codes that read differently by
enumeration are told apart."""
from __future__ import annotations

import re

import pytest

from valuation.core.labels import BY_ENUM, ENUM_LABELS, enum_label
from valuation.core.schema import ENUMS
from valuation.report import labels as report_labels
from valuation.ui import labels as ui_labels

CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")


def test_every_schema_code_has_both_words():
    missing = sorted({c for vs in ENUMS.values() for c in vs if str(c) not in ENUM_LABELS})
    assert not missing
    pairs = list(ENUM_LABELS.values()) + [p for d in BY_ENUM.values() for p in d.values()]
    assert all(CJK.search(zh) and not CJK.search(en) and en for zh, en in pairs)


def test_by_enum_names_real_enumerations_and_their_codes():
    for enum, codes in BY_ENUM.items():
        assert enum in ENUMS and set(codes) <= set(ENUMS[enum]), enum


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_reports_and_dashboard_say_the_same_word(lang):
    codes = set(ENUM_LABELS) | {c for vs in ENUMS.values() for c in vs}
    for code in sorted(codes):
        assert report_labels.enum_label(code, lang) == ui_labels.enum_label(code, lang) == enum_label(code, lang)
    for enum, vs in ENUMS.items():
        for code in vs:
            assert report_labels.enum_label(code, lang, enum) == ui_labels.enum_label(code, lang, enum)
    assert report_labels.ENUM_LABELS is ui_labels.ENUM_LABELS is ENUM_LABELS


def test_words_chosen_where_the_faces_disagreed():
    # formal register: the holder type of 财资〔2024〕1号, a purpose as the appraisal standards name it,
    # methods named as methods
    assert enum_label("administrative") == "行政单位"
    assert enum_label("accounting") == "财务报告"
    assert enum_label("split") == "收益分成法" and enum_label("royalty", "en") == "Relief from royalty"
    assert enum_label("negotiated") == "协商定价"


def test_a_code_read_by_its_enumeration():
    assert enum_label("direct", "zh", "cost_category") == "直接成本"
    assert enum_label("direct", "zh", "income_model") == "直接收益法"
    assert enum_label("direct", "zh") == "直接收益法"              # trace values name the income model
    assert enum_label("none", "en", "recognised_as") == "Not recognised"
    assert enum_label("none", "en") == "None"


def test_unknown_values_and_sentences():
    assert enum_label("no such code", "en") == "no such code"
    assert enum_label(None) == "—"
    assert enum_label("market", "en") == "Market value"
    assert enum_label("market", "en", sentence=True) == "market value"
    assert enum_label("wacc", "en", sentence=True) == "WACC"      # an acronym keeps its capitals
