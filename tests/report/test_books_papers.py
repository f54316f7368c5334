"""The 入表底稿 (``api.book_papers``: docx and xlsx) as a reader gets them: they render for any
card ``api.book`` accepts, and say everything in the reader's language.

Defects these tests were written against (each seen failing before its fix):

* a control character in free text of the card that ``api.book`` accepts (a cost line's
  category, say, pasted from a spreadsheet) crashed both papers — openpyxl's
  IllegalCharacterError, python-docx's "All strings must be XML compatible" — in the CLI
  (``valuation book --papers``) and the dashboard; the appraisal report strips them
  (``core.gate.for_document``), these papers did not;
* the Chinese papers showed the engine's codes (``intangible_asset`` as the classification's
  value, ``engine_version=…, library_snapshot=…`` as provenance, a sheet ``schedule`` with
  headers ``period_end, amortisation …``); the English ones showed the trace formulas in
  Chinese and a sheet named 入表底稿.
"""
from __future__ import annotations

import copy
import io
import json
import re
from pathlib import Path

import pytest
from docx import Document
from openpyxl import load_workbook

from valuation import api

ROOT = Path(__file__).resolve().parents[2]
CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")
CODES = ("intangible_asset", "engine_version", "library_snapshot", "input_hash", "period_end",
         "balance_sheet_date", "valuation_date", "accumulated_amortisation", "carrying_amount")


@pytest.fixture(scope="module")
def e01():
    card = json.loads((ROOT / "examples" / "cards" / "E01_soe_transport_licensing.json").read_text("utf-8"))
    return card, api.book(card, library="seed")


def _strings(x):
    if isinstance(x, dict):
        for v in x.values():
            yield from _strings(v)
    elif isinstance(x, list):
        for v in x:
            yield from _strings(v)
    elif isinstance(x, str):
        yield x


def _texts(blob: bytes, fmt: str) -> list[str]:
    if fmt == "docx":
        d = Document(io.BytesIO(blob))
        return [p.text for p in d.paragraphs] + [c.text for t in d.tables for r in t.rows for c in r.cells]
    wb = load_workbook(io.BytesIO(blob))
    return list(wb.sheetnames) + [str(c.value) for ws in wb for row in ws.iter_rows() for c in row
                                  if isinstance(c.value, str)]


@pytest.mark.parametrize("fmt", ["xlsx", "docx"])
def test_a_control_character_in_free_text_is_dropped_not_a_crash(e01, fmt):
    card = copy.deepcopy(e01[0])
    card["accounting"]["costs"][0]["category"] = "需求\x01调研\x0b与可行性研究"
    ans = api.book(card, library="seed")                   # accepted: free text
    blob = api.book_papers(card, fmt=fmt, lang="zh", library="seed", answer=ans)
    text = "\n".join(_texts(blob, fmt))
    assert "需求调研与可行性研究" in text


@pytest.mark.parametrize("fmt", ["xlsx", "docx"])
def test_the_papers_speak_the_readers_language(e01, fmt):
    card, ans = e01
    own = sorted({s for s in _strings(card) if len(s) > 1}, key=len, reverse=True)
    zh = "\n".join(_texts(api.book_papers(card, fmt=fmt, lang="zh", library="seed", answer=ans), fmt))
    assert not [c for c in CODES if c in zh], [c for c in CODES if c in zh]
    assert "无形资产" in zh and "库快照" in zh
    en = "\n".join(_texts(api.book_papers(card, fmt=fmt, lang="en", library="seed", answer=ans), fmt))
    for s in own:                                          # the card's own words may be Chinese
        en = en.replace(s, " ")
    leaked = [ln for ln in en.splitlines() if CJK.search(ln)]
    assert not leaked, leaked[:5]
    assert "Intangible asset" in en and "Library snapshot" in en
