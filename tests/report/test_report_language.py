"""Reports fit to sign: the conclusion in 万元, documents cited by title and article, nothing
left untranslated (no enum code in Chinese, no Chinese in English beyond the card's own text,
no raw float, no JSON), a cover and a signature block, and a PDF that embeds its CJK font."""
import io
import json
import re
from pathlib import Path

import pytest
from docx import Document
from openpyxl import load_workbook
from pypdf import PdfReader

from valuation import api
from valuation.core.schema import ENUMS
from valuation.report import render
from valuation.report.labels import INPUT_LABELS

ROOT = Path(__file__).resolve().parents[2]
CARDS = sorted((ROOT / "examples" / "cards").glob("*.json"))
# enum codes and the engine's own field names (quality dimensions, rate components …)
CODES = {c for v in ENUMS.values() for c in v} | {k for k in INPUT_LABELS if k.isascii() and len(k) > 3}
CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")
# an ASCII word not part of a dotted field path (market.use_library names a card field)
WORD = re.compile(r"(?<![A-Za-z_.\-])[a-z][a-z_\-]+(?![A-Za-z_.\-])")
RAW_FLOAT = re.compile(r"\d\.\d{5,}")


@pytest.fixture(scope="module")
def appraised():
    out = []
    for p in CARDS:
        card = json.loads(p.read_text(encoding="utf-8"))
        out.append((card, api.appraise(card, library="seed").to_dict()))
    return out


def _strings(x):
    if isinstance(x, dict):
        for v in x.values():
            yield from _strings(v)
    elif isinstance(x, list):
        for v in x:
            yield from _strings(v)
    elif isinstance(x, str):
        yield x


def _docx_text(data: bytes) -> str:
    d = Document(io.BytesIO(data))
    return "\n".join([p.text for p in d.paragraphs] +
                     [c.text for t in d.tables for r in t.rows for c in r.cells])


def _without_card_text(text: str, card) -> str:
    """The report's own words: the card's strings (names, holders, scenarios the client wrote,
    in whatever language) are taken out first."""
    for s in sorted(set(_strings(card)), key=len, reverse=True):
        if len(s) > 1:
            text = text.replace(s, " ")
    return text


def test_docx_states_the_conclusion_in_wan_and_cites_article_24(appraised):
    card, res = appraised[0]                    # E01: 4,889,179.46 元 / 10,000 = 488.92 万元
    assert card["asset"]["asset_id"] == "E01-TRANS-2025"
    text = _docx_text(render(card, res, "docx", "zh"))
    assert "评估结论为 488.92 万元（4,889,179.46 元）" in text
    assert "《数据资产评估指导意见》第二十四条" in text
    # the METHOD_DIVERGENCE flag cites art. 24 by title, not by code
    assert "CAS2023.art24" not in text
    en = _docx_text(render(card, res, "docx", "en"))
    assert "CNY 488.92 ten-thousand (CNY 4,889,179.46)" in en
    assert "Guidance on Data Asset Appraisal, art. 24" in en


def test_docx_has_cover_assumptions_and_signature_block(appraised):
    card, res = appraised[0]
    d = Document(io.BytesIO(render(card, res, "docx", "zh")))
    paras = [p.text for p in d.paragraphs]
    assert paras.index("数据资产评估报告") < paras.index("评估结论摘要") < paras.index("评估假设和限制条件") \
        < paras.index("签署")
    assert any(p.startswith("资产评估师（签名）") for p in paras)
    assert any(p.startswith("评估机构（盖章）") for p in paras)
    cover = {r.cells[0].text: r.cells[1].text for r in d.tables[0].rows}
    assert cover["评估目的"] == "许可使用" and cover["评估基准日"] == "2025年12月31日"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_nothing_untranslated_in_reports(appraised, lang):
    for card, res in appraised:
        texts = [_docx_text(render(card, res, "docx", lang))]
        wb = load_workbook(io.BytesIO(render(card, res, "xlsx", lang)))
        texts.append("\n".join(str(c.value) for ws in wb for row in ws.iter_rows() for c in row
                               if isinstance(c.value, str) and c.data_type == "s"))
        for text in texts:
            own = _without_card_text(text, card)
            aid = card["asset"]["asset_id"]
            if lang == "zh":
                assert not (set(WORD.findall(own)) & CODES), (aid, set(WORD.findall(own)) & CODES)
            else:
                leaked = [ln for ln in own.splitlines() if CJK.search(ln)]
                assert not leaked, (aid, leaked[:3])
            assert not RAW_FLOAT.search(own), (aid, RAW_FLOAT.findall(own)[:3])
            assert not re.search(r"\{['\"]|\['|None|nan\b", own), aid


def test_xlsx_sheet_names_follow_the_language(appraised):
    card, res = appraised[0]
    zh = load_workbook(io.BytesIO(render(card, res, "xlsx", "zh"))).sheetnames
    en = load_workbook(io.BytesIO(render(card, res, "xlsx", "en"))).sheetnames
    assert zh == ["摘要", "成本法", "收益法", "市场法", "综合结论", "披露事项"]
    assert en == ["Summary", "Cost approach", "Income approach", "Market approach", "Reconciliation",
                  "Disclosure items"]


def test_pdf_embeds_a_cjk_font_subset(appraised):
    card, res = appraised[0]
    reader = PdfReader(io.BytesIO(render(card, res, "pdf", "zh")))
    fonts = {}
    for page in reader.pages:
        for f in (page["/Resources"].get("/Font") or {}).values():
            f = f.get_object()
            fonts[str(f["/BaseFont"])] = f
    cjk = [f for name, f in fonts.items() if "WenQuanYi" in name]
    assert cjk, list(fonts)
    for f in cjk:
        desc = f["/FontDescriptor"] if "/FontDescriptor" in f else f["/DescendantFonts"][0].get_object()["/FontDescriptor"]
        desc = desc.get_object()
        assert any(k in desc for k in ("/FontFile2", "/FontFile3", "/FontFile")), "font not embedded"
        # a subset: the base font carries the six-letter subset tag (ABCDEF+Name)
        assert re.match(r"^/[A-Z]{6}\+", str(f["/BaseFont"])), f["/BaseFont"]
    text = "".join(p.extract_text() for p in reader.pages)
    assert "488.92 万元" in text and "《数据资产评估指导意见》第二十四条" in text.replace("\n", "")
