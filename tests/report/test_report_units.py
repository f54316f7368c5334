"""Every number of a report with its unit, every trace input with a word in the reader's
language, and a "no estimate" result said as such (an auditor reads the report, not the JSON).

The defects these tests were written against (each seen failing before its fix):

* the income approach's life step names an input ``renewal_evidence`` that had no label: the
  Chinese and the English report both showed the code ``renewal_evidence = —``;
* trace steps whose value carries the unit ``ratio`` (the discount rate), ``years`` (the
  economic life) or ``count`` (the comparables) were shown as bare decimals: ``0.1225`` beside
  its components in per cent (``1.75%``), ``5.0000`` without 年, ``3.0000`` cases;
* C7 quoted the engine's explanation, whose amounts carry no unit (``评估结论为 4,889,179.46，
  指导价区间 3,686,709.28 – 6,084,144.04``) — in a report whose every other amount says 元 —,
  and whose English names the purpose and value type by code ("value type market");
* a card with no applicable approach gave a summary "评估结论为 —（—）" and a provenance table
  with "评估结论 —": a conclusion that does not exist stated as a dash.
"""
from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import pytest

from valuation import api
from valuation.report.labels import INPUT_LABELS, input_label
from valuation.report.model import build_report_model

ROOT = Path(__file__).resolve().parents[2]
CARDS = sorted((ROOT / "examples" / "cards").glob("*.json"))
CODE = re.compile(r"^[a-z]{2,}(?:_[a-z]{2,})+$")    # an engine name such as renewal_evidence (not Q_i, n_r)


@pytest.fixture(scope="module")
def e01():
    card = json.loads((ROOT / "examples" / "cards" / "E01_soe_transport_licensing.json").read_text("utf-8"))
    return card, api.appraise(card, library="seed").to_dict()


def _rows(model, cid: str) -> list[list[str]]:
    sec = next(s for s in model.sections if s.id == cid)
    return [[str(x) for x in r] for _, rows in sec.tables for r in rows]


def _trace_row(model, label: str) -> list[str]:
    return next(r for r in _rows(model, "C6") if r[0] == label)


def test_every_trace_input_of_the_example_cards_has_a_word_in_both_languages():
    missing = set()
    for p in CARDS:
        res = api.appraise(json.loads(p.read_text("utf-8")), library="seed").to_dict()
        for d in res["methods"].values():
            for st in d.get("trace") or []:
                for k in st.get("inputs") or {}:
                    for lang in ("zh", "en"):
                        if CODE.match(input_label(k, lang)):
                            missing.add((k, lang))
    assert not missing, sorted(missing)
    assert INPUT_LABELS["renewal_evidence"] == ("续期证据", "renewal evidence")  # as the card field


@pytest.mark.parametrize("lang, rate, life, count", [
    # E01: i = 1.75% + 3% + 3% + 2.5% + 2% = 12.25%; life = min(5 periods, 6.0 years of rights) = 5
    # years; three comparables T-A, T-B, T-C
    ("zh", "12.25%", "5.00 年", "3 个"),
    ("en", "12.25%", "5.00 years", "3"),
])
def test_trace_values_carry_their_unit(e01, lang, rate, life, count):
    card, res = e01
    m = build_report_model(card, res, lang)
    label = {"zh": ("折现率 i", "收益期限", "可比案例选取"),
             "en": ("Discount rate i", "Economic life", "comparable selection")}[lang]
    assert _trace_row(m, label[0])[3] == rate
    assert _trace_row(m, label[1])[3] == life
    assert _trace_row(m, label[2])[3] == count


def test_the_explanation_in_c7_states_its_amounts_with_their_unit(e01):
    card, res = e01
    zh = build_report_model(card, res, "zh")
    c7 = " ".join(next(s for s in zh.sections if s.id == "C7").paragraphs)
    # E01: conclusion 4,889,179.46 元 (income approach), range 3,686,709.28 – 6,084,144.04 元,
    # cost approach 2,395,614.29 元 (−51.0 %), market approach 5,654,336.03 元 (+15.6 %)
    assert "评估结论为 4,889,179.46 元，指导价区间 3,686,709.28 元 – 6,084,144.04 元（覆盖率 80%）" in c7
    assert "成本法结果 2,395,614.29 元，与结论相差 -51.0%" in c7
    assert "市场法结果 5,654,336.03 元，与结论相差 +15.6%" in c7
    en = build_report_model(card, res, "en")
    c7en = " ".join(next(s for s in en.sections if s.id == "C7").paragraphs)
    assert "Conclusion CNY 4,889,179.46; guided range CNY 3,686,709.28 – CNY 6,084,144.04 (80% coverage)" in c7en
    assert "The cost approach gives CNY 2,395,614.29, -51.0% from the conclusion" in c7en
    assert c7en.startswith("Purpose licensing, value type market value: ")     # words, not codes
    # no amount of two decimals without its unit is left in either language
    assert not re.search(r"(?<![\d,.])\d{1,3}(?:,\d{3})+\.\d{2}(?! 元)", c7)
    assert not re.search(r"(?<!CNY )(?<![\d,.])\d{1,3}(?:,\d{3})+\.\d{2}", c7en)


@pytest.mark.parametrize("fmt", ["docx", "xlsx", "pdf"])
def test_a_no_estimate_result_says_no_conclusion_was_formed(e01, fmt):
    card = copy.deepcopy(e01[0])
    for k in ("cost", "income", "market"):
        card.pop(k)
    res = api.appraise(card, library="seed")
    assert res.estimate is None
    for lang, said in (("zh", "未形成评估结论"), ("en", "no conclusion is formed")):
        m = build_report_model(card, res.to_dict(), lang)
        assert any(said in p for p in m.summary), m.summary
        assert not any("评估结论为 —" in p or "appraised at —" in p for p in m.summary), m.summary
        concl = next(r for r in _rows(m, "C9") if r[0] in ("评估结论", "Conclusion"))
        assert said in concl[1], concl
        assert api.report(card, fmt=fmt, lang=lang, library="seed", result=res)   # renders


def test_the_working_papers_of_a_no_estimate_result_state_no_conclusion_not_zero(e01):
    """Before: the reconciliation sheet summed the approaches' empty values (weights 0) into a
    conclusion formula worth 0, and the summary sheet showed '评估结论 0.00 元'."""
    import io

    from openpyxl import load_workbook

    card = copy.deepcopy(e01[0])
    for k in ("cost", "income", "market"):
        card.pop(k)
    res = api.appraise(card, library="seed")
    for lang, said in (("zh", "未形成评估结论"), ("en", "no conclusion is formed")):
        wb = load_workbook(io.BytesIO(api.report(card, fmt="xlsx", lang=lang, library="seed", result=res)))
        for ws in (wb.worksheets[0], wb.worksheets[4]):      # summary, reconciliation
            rows = {str(r[0].value): r[1].value for r in ws.iter_rows() if r[0].value}
            concl = [v for k, v in rows.items() if k in ("评估结论", "Conclusion")]
            assert concl and all(isinstance(v, str) and said in v for v in concl), (ws.title, concl)
        summary = {str(r[0].value): r[1].value for r in wb.worksheets[0].iter_rows() if r[0].value}
        assert summary[{"zh": "评估结论（万元）", "en": "Conclusion (ten-thousand)"}[lang]] is None  # not =B4/10000
