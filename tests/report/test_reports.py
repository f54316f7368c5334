"""Reports reopen and contain every disclosure checklist item (CAS 2023 arts. 24–27) for
every example card; spreadsheets are formula-injection safe."""
import io
import json
from pathlib import Path

import pytest
from docx import Document
from openpyxl import load_workbook
from pypdf import PdfReader

from valuation import api
from valuation.report import CHECKLIST, render
from valuation.report.xlsx_papers import safe_cell

ROOT = Path(__file__).resolve().parents[2]
CARDS = sorted((ROOT / "examples" / "cards").glob("*.json"))


@pytest.fixture(scope="module")
def appraised():
    out = []
    for p in CARDS:
        card = json.loads(p.read_text(encoding="utf-8"))
        out.append((card, api.appraise(card, library="seed").to_dict()))
    return out


def _titles(lang):
    return [f"{cid} {zh if lang == 'zh' else en}" for cid, zh, en, _ in CHECKLIST]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_docx_contains_every_checklist_item(appraised, lang):
    for card, res in appraised:
        doc = Document(io.BytesIO(render(card, res, "docx", lang)))
        text = "\n".join(p.text for p in doc.paragraphs)
        for t in _titles(lang):
            assert t in text, (card["asset"]["asset_id"], t)
        assert card["asset"]["asset_id"] in text


def test_xlsx_contains_every_checklist_item(appraised):
    for card, res in appraised:
        wb = load_workbook(io.BytesIO(render(card, res, "xlsx", "zh")))
        cells = {str(c.value) for ws in wb for row in ws.iter_rows() for c in row if c.value is not None}
        for t in _titles("zh"):
            assert t in cells


def test_pdf_contains_every_checklist_item_in_chinese(appraised):
    card, res = appraised[0]
    reader = PdfReader(io.BytesIO(render(card, res, "pdf", "zh")))
    text = "".join(p.extract_text() for p in reader.pages).replace("\n", "")
    for cid, zh, _, _ in CHECKLIST:
        assert cid in text and zh[:4] in text


def test_formula_injection_neutralised(appraised):
    card, res = appraised[0]
    evil = json.loads(json.dumps(card))
    evil["asset"]["name"] = "=HYPERLINK(\"http://x\",\"click\")"
    evil["asset"]["holder"] = "@SUM(A1)"
    wb = load_workbook(io.BytesIO(render(evil, res, "xlsx", "zh")))
    cells = [c for ws in wb for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    values = [c.value for c in cells if c.data_type == "s"]
    assert not any(v.startswith(("=", "+", "-", "@")) for v in values)
    # the working papers' own formulas (data_type "f") never carry card text
    formulas = [c.value for c in cells if c.data_type == "f"]
    assert formulas and not any("HYPERLINK" in v or "SUM(A1)" in v for v in formulas)
    assert any(v.startswith("'=HYPERLINK") for v in values)
    assert safe_cell("-1+2") == "'-1+2" and safe_cell(-3.0) == -3.0


def test_cli_report_writes_file(tmp_path):
    from typer.testing import CliRunner

    from valuation.cli import app

    out = tmp_path / "r.docx"
    r = CliRunner().invoke(app, ["report", str(CARDS[0]), "--out", str(out), "--db", "seed"])
    assert r.exit_code == 0, r.output
    assert Document(str(out)).paragraphs
    bad = CliRunner().invoke(app, ["report", str(CARDS[0]), "--out", str(tmp_path / "r.txt"), "--db", "seed"])
    assert bad.exit_code == 2
