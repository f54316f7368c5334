"""PDF rendering with reportlab. Chinese text is set in a CJK TrueType font shipped with the
package (``fonts/wqy-microhei-gb2312.ttf``: a GB 2312 subset of WenQuanYi Micro Hei, Apache-2.0,
see ``fonts/LICENSE-wqy-microhei.txt`` and ``scripts/make_report_font.py``); reportlab embeds
the subset of glyphs a report uses, so the PDF shows the same text on any reader, unlike the
non-embedded CID font STSong-Light used before."""
from __future__ import annotations

import io
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from .model import ReportModel

FONT = "WenQuanYiMicroHei"
FONT_FILE = Path(__file__).resolve().parent / "fonts" / "wqy-microhei-gb2312.ttf"


def _font() -> str:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(FONT, str(FONT_FILE)))   # embedded as a subset
    return FONT


WIDTH = A4[0] - 72          # the frame between the 36 pt margins
# column shares by table width: item/value pairs, the method comparison, traces (step,
# formula, inputs, value, basis) and flags / drivers
SHARES = {2: (0.3, 0.7), 4: (0.22, 0.12, 0.42, 0.24), 5: (0.14, 0.22, 0.30, 0.14, 0.20)}


def _table(header: list[str], rows: list[list[object]], cell: ParagraphStyle) -> Table:
    data = [[Paragraph(escape(str(h)), cell) for h in header]] + \
           [[Paragraph(escape("" if v is None else str(v)), cell) for v in r] for r in rows]
    shares = SHARES.get(len(header)) or (1 / len(header),) * len(header)
    t = Table(data, repeatRows=1, colWidths=[WIDTH * x for x in shares], splitInRow=1)
    t.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                           ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke),
                           ("VALIGN", (0, 0), (-1, -1), "TOP")]))
    return t


def to_pdf(model: ReportModel) -> bytes:
    f = _font()
    zh = model.lang != "en"
    ss = getSampleStyleSheet()
    body = ParagraphStyle("body", parent=ss["Normal"], fontName=f, fontSize=9.5, leading=14, wordWrap="CJK")
    title = ParagraphStyle("title", parent=ss["Title"], fontName=f, fontSize=24, leading=32)
    center = ParagraphStyle("center", parent=body, alignment=1, fontSize=12, leading=18)
    h2 = ParagraphStyle("h2", parent=ss["Heading2"], fontName=f, fontSize=12.5, leading=18)
    cell = ParagraphStyle("cell", parent=body, fontSize=8, leading=10)
    story: list = [Spacer(1, 160), Paragraph(escape(model.title), title), Spacer(1, 8),
                   Paragraph(escape(model.subtitle), center), Spacer(1, 40),
                   _table(["项目" if zh else "Item", "内容" if zh else "Value"], [list(r) for r in model.cover], body),
                   PageBreak(), Paragraph(escape(model.labels.get("summary", "")), h2)]
    story += [Paragraph(escape(p), body) for p in model.summary]
    for s in model.sections:
        story.append(Paragraph(escape(s.title), h2))
        story.append(Paragraph(escape((model.labels.get("basis", "") + ("：" if zh else ": ")) + s.clause_text), body))
        for p in s.paragraphs:
            story.append(Paragraph(escape(p), body))
        for header, rows in s.tables:
            story.extend([Spacer(1, 4), _table(header, rows, cell), Spacer(1, 6)])
    story.append(Paragraph(escape(model.labels.get("assumptions", "")), h2))
    story += [Paragraph(escape(p), body) for p in model.assumptions]
    story += [PageBreak(), Paragraph(escape(model.labels.get("signature", "")), h2)]
    for label, line in model.signature:
        story += [Paragraph(escape(f"{label}{'：' if zh else ': '}{line}"), body), Spacer(1, 18)]
    buf = io.BytesIO()
    SimpleDocTemplate(buf, pagesize=A4, title=model.title, leftMargin=36, rightMargin=36,
                      topMargin=36, bottomMargin=36).build(story)
    return buf.getvalue()
