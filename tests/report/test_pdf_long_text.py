"""A PDF report of a card whose free text is long (the input gate allows 100,000 characters
per string) is rendered, every character of it, across pages.

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
