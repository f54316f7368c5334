"""Clauses cited by document title and article from the standards library, in flags, texts and
summaries; Result's repr, summary and HTML."""
import json
from pathlib import Path

import pytest

from valuation import api
from valuation.core.citations import citation, citation_list, citations, cite

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def standards():
    return api.snapshot("seed").standards


@pytest.mark.parametrize("ref, zh, en", [
    ("CAS2023.art24", "《数据资产评估指导意见》第二十四条", "Guidance on Data Asset Appraisal, art. 24"),
    ("CAS2023.art3", "《数据资产评估指导意见》第三条", "Guidance on Data Asset Appraisal, art. 3"),
    # the issuer written before the title is not part of the citation; sections keep their numbering
    ("MOF2023-141.9", "《关于加强数据资产管理的指导意见》二、（九）",
     "Ministry of Finance, Guiding Opinions on Strengthening Data Asset Management, section II (9)"),
    ("MOF2024-167", "《关于印发〈数据资产全过程管理试点方案〉的通知》",
     "Ministry of Finance, Pilot Plan for Whole-Process Data Asset Management"),
    # a national standard keeps its code in front; a named part goes in brackets
    ("GBT36344.consistency", "GB/T 36344-2018《信息技术 数据质量评价指标》（一致性）",
     "GB/T 36344-2018 Information technology - Evaluation indicators for data quality, consistency"),
    ("CAS2023.annex.cost", "《数据资产评估指导意见》附件《评估方法相关模型示例（供参考）》（成本法）",
     "Guidance on Data Asset Appraisal, annex: example models of the approaches (for reference), cost approach"),
    ("ENG.default", "本引擎的工程默认设置", "Engineering defaults of this engine"),
])
def test_citation_of_library_entries(standards, ref, zh, en):
    assert citation(ref, standards, "zh") == zh
    assert citation(ref, standards, "en") == en


def test_citation_parts_and_unknown_ids(standards):
    c = cite("CAS2023.art24", standards)
    assert c["number"] == "中评协〔2023〕17号" and c["article_zh"] == "第二十四条"
    assert c["summary_zh"].startswith("采用两种以上方法时")
    # an id the library does not hold is shown as it is, never dropped
    assert citation("XYZ.art9", standards) == "XYZ.art9"
    assert citations(["XYZ.art9"], {}) == [{"id": "XYZ.art9", "zh": "XYZ.art9", "en": "XYZ.art9"}]
    assert citation_list(["CAS2023.art24", "CAS2023.art24", "ENG.default"], standards) == \
        "《数据资产评估指导意见》第二十四条；本引擎的工程默认设置"


def test_every_library_entry_renders_a_citation(standards):
    for ref in standards:
        zh, en = citation(ref, standards, "zh"), citation(ref, standards, "en")
        assert zh and en and zh != ref and en != ref, ref
        assert "（（" not in zh and "））" not in zh, zh


@pytest.fixture(scope="module")
def e01():
    card = json.loads((ROOT / "examples/cards/E01_soe_transport_licensing.json").read_text(encoding="utf-8"))
    return api.appraise(card, library="seed")


def test_flags_carry_citations_beside_the_codes(e01):
    f = next(f for f in e01.flags if f["code"] == "METHOD_DIVERGENCE")
    assert f["references"] == ["CAS2023.art24", "ENG.default"]          # codes kept for machines
    assert [c["zh"] for c in f["citations"]] == ["《数据资产评估指导意见》第二十四条", "本引擎的工程默认设置"]
    assert f["citations"][0]["en"] == "Guidance on Data Asset Appraisal, art. 24"
    d = e01.to_dict()
    assert d["flags"][0]["citations"][0]["id"] == "CAS2023.art24"


def test_to_text_uses_formatting_and_citations(e01):
    t = e01.to_text()
    # 4,889,179.457957 元 / 10,000 = 488.92 万元; range 3,686,709.28 – 6,084,144.04 元 (the
    # Monte Carlo draws are keyed on engagement.seed only since issue 16)
    assert "结论（估计值）：488.92 万元" in t
    assert "368.67 – 608.41 万元" in t
    assert "依据：《数据资产评估指导意见》第二十四条" in t
    assert "4889179" not in t and "CAS2023" not in t
    en = e01.to_text("en", unit="yuan")
    assert "Conclusion (estimate): CNY 4,889,179.46" in en
    assert "cites: Guidance on Data Asset Appraisal, art. 24" in en


def test_summary_repr_and_html(e01):
    s = e01.summary()
    lines = s.splitlines()
    assert lines[0] == "=" * 78 and "数据资产评估结果" in lines[1]
    assert any(ln.startswith("收益法") and "488.92" in ln and "100.0%" in ln for ln in lines)
    assert "评估结论：" in s and "488.92 万元" in s
    assert "Income approach" in e01.summary("en")
    r = repr(e01)
    assert len(r) < 200 and r.startswith("Result(asset_id='E01-TRANS-2025', estimate=CNY 4,889,179.46")
    h = e01._repr_html_()
    assert h.startswith('<div class="valuation-result">') and "488.92" in h and len(h) < 5000


def test_api_cite_for_trace_clauses():
    assert api.cite(["CAS2023.art22", "CAS2023.art22"], library="seed") == "《数据资产评估指导意见》第二十二条"
    assert api.cite("CAS2023.art24", lang="en", library="seed") == "Guidance on Data Asset Appraisal, art. 24"


def test_cli_appraise_text_uses_formatting():
    from typer.testing import CliRunner

    from valuation.cli import app

    card = str(ROOT / "examples/cards/E01_soe_transport_licensing.json")
    out = CliRunner().invoke(app, ["appraise", card, "--db", "seed"]).output
    assert "结论（估计值）：488.92 万元" in out and "收益法：488.92 万元（权重 100%）" in out
    assert "4889179" not in out and "CNY" not in out


def test_cli_appraise_unit_option():
    from typer.testing import CliRunner

    from valuation.cli import app

    card = str(ROOT / "examples/cards/E01_soe_transport_licensing.json")
    yuan = CliRunner().invoke(app, ["appraise", card, "--db", "seed", "--unit", "yuan"])
    assert "结论（估计值）：4,889,179.46 元" in yuan.output
    bad = CliRunner().invoke(app, ["appraise", card, "--db", "seed", "--unit", "usd"])
    assert bad.exit_code == 2 and "--unit" in bad.output


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=200, deadline=None)
@given(doc=st.text(max_size=40), doc_en=st.text(max_size=40), art=st.text(max_size=20))
def test_citation_never_fails_and_never_empty(doc, doc_en, art):
    """Any library entry a user saves renders a citation (or its id), in both languages."""
    lib = {"X.1": {"document": doc, "document_en": doc_en, "article": art}}
    for lang in ("zh", "en"):
        text = citation("X.1", lib, lang)
        assert isinstance(text, str) and text.strip()
