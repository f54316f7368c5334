"""PDF rendering with reportlab, using the built-in CID font STSong-Light for Chinese text."""
from __future__ import annotations

import io
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from .model import ReportModel

FONT = "STSong-Light"


def _font() -> str:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    return FONT


def to_pdf(model: ReportModel) -> bytes:
    f = _font()
    ss = getSampleStyleSheet()
    body = ParagraphStyle("body", parent=ss["Normal"], fontName=f, fontSize=9.5, leading=14, wordWrap="CJK")
    h1 = ParagraphStyle("h1", parent=ss["Heading1"], fontName=f, fontSize=18, leading=24)
    h2 = ParagraphStyle("h2", parent=ss["Heading2"], fontName=f, fontSize=12.5, leading=18)
    cell = ParagraphStyle("cell", parent=body, fontSize=8, leading=10)
    story = [Paragraph(escape(model.title), h1), Paragraph(escape(model.subtitle), body), Spacer(1, 8)]
    for s in model.sections:
        story.append(Paragraph(escape(s.title), h2))
        story.append(Paragraph(escape(f"[{s.clause}]"), body))
        for p in s.paragraphs:
            story.append(Paragraph(escape(p), body))
        for header, rows in s.tables:
            data = [[Paragraph(escape(str(h)), cell) for h in header]] + \
                   [[Paragraph(escape("" if v is None else str(v)), cell) for v in r] for r in rows]
            t = Table(data, repeatRows=1)
            t.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                                   ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke),
                                   ("VALIGN", (0, 0), (-1, -1), "TOP")]))
            story.extend([Spacer(1, 4), t, Spacer(1, 6)])
    buf = io.BytesIO()
    SimpleDocTemplate(buf, pagesize=A4, title=model.title, leftMargin=36, rightMargin=36,
                      topMargin=36, bottomMargin=36).build(story)
    return buf.getvalue()
