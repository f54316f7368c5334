"""One catalogue of trace words (valuation.core.trace_words) serves reports and dashboard alike:
the same formula reads the same in both faces, in either language."""
import re

from valuation.core.trace_words import FORMULA_WORDS_EN, INPUT_LABELS, formula_text, input_label
from valuation.report import labels as report_labels
from valuation.ui import labels as ui_labels

CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")


def test_report_and_dashboard_translate_a_formula_the_same():
    s = "P = Σ F_t/(1+i)^τ_t（期中，τ_t = t − 0.5）"
    assert report_labels.formula_text(s, "en") == ui_labels.formula_text(s, "en") == \
        "P = Σ F_t/(1+i)^τ_t (mid-period, τ_t = t − 0.5)"
    assert formula_text("F_t = 收入 × 分摊比例（或成本节约）", "en") == \
        "F_t = revenue × allocation share (or cost saving)"
    assert formula_text("comparables given on the card", "zh") == "卡片给定的可比案例"


def test_every_word_and_label_has_both_languages():
    for zh, en in FORMULA_WORDS_EN.items():
        assert CJK.search(zh) and not CJK.search(en), zh
    for k, (zh, en) in INPUT_LABELS.items():
        assert zh and en and not CJK.search(en), k
        assert input_label(k, "en") == en and input_label(k) == zh
