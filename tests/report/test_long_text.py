"""Reports of a card whose free text is long (the input gate allows 100,000 characters per
string): the PDF renders every character of it, across pages; an xlsx cell cut at Excel's limit
says so.

Before (seen failing): a rights scope of ~10,000 characters — one row of the C1 table taller
than an A4 page — raised reportlab's LayoutError "Flowable … too large on page": no report
at all, a traceback in ``valuation report`` and the dashboard. Table rows now split across
pages (``splitInRow``)."""
from __future__ import annotations

import copy
import io
import json
from pathlib import Path

from pypdf import PdfReader

from valuation import api

ROOT = Path(__file__).resolve().parents[2]


def test_a_table_cell_longer_than_a_page_is_split_across_pages():
    card = json.loads((ROOT / "examples" / "cards" / "E01_soe_transport_licensing.json").read_text("utf-8"))
    card = copy.deepcopy(card)
    card["asset"]["rights"]["scope"] = "限于导航与物流调度用途" * 1000          # 11,000 characters
    res = api.appraise(card, library="seed")
    pdf = PdfReader(io.BytesIO(api.report(card, fmt="pdf", lang="zh", library="seed", result=res)))
    text = "".join(p.extract_text() for p in pdf.pages).replace("\n", "")
    # C1's scope row and C3's restrictions paragraph, and once in E01's scenario (导航路径优化与物流调度)
    assert text.count("物流调度") == 1000 * 2 + 1


def test_text_longer_than_an_excel_cell_is_cut_saying_so():
    """Before (seen failing): a 44,000-character scope in the working papers' disclosure sheet,
    and a 40,000-character cost category in the 入表底稿, were cut by openpyxl at Excel's
    32,767 characters per cell without a word: the reader took the cut text for the whole.
    Now the cut says so. (The file's own XML is read: what Excel gets.)"""
    import html
    import re
    import zipfile

    from valuation.report.xlsx_papers import CELL_CHARS

    card = json.loads((ROOT / "examples" / "cards" / "E01_soe_transport_licensing.json").read_text("utf-8"))
    card = copy.deepcopy(card)
    card["asset"]["rights"]["scope"] = "限于导航与物流调度用途" * 4000          # 44,000 characters
    card["accounting"]["costs"][0]["category"] = "需求调研" * 10_000
    res = api.appraise(card, library="seed")
    for blob in (api.report(card, fmt="xlsx", lang="zh", library="seed", result=res),
                 api.book_papers(card, fmt="xlsx", lang="en", library="seed")):
        z = zipfile.ZipFile(io.BytesIO(blob))
        texts = [html.unescape(t) for n in z.namelist() if n.startswith("xl/") and n.endswith(".xml")
                 for t in re.findall(r"<t(?: [^>]*)?>([^<]*)</t>", z.read(n).decode("utf-8"))]
        longest = max(len(t) for t in texts)
        assert CELL_CHARS - 100 < longest <= CELL_CHARS, longest
        assert all(t.endswith("full text in the report)") for t in texts if len(t) > CELL_CHARS - 100)
