"""Word (.docx) rendering of the report model with python-docx: cover, summary of the
conclusion in 万元, the disclosure sections (CAS 2023 arts. 24–27) as prose and tables, the
assumptions and limiting conditions and a signature block."""
from __future__ import annotations

import io

from docx import Document
from docx.enum.section import WD_SECTION
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml.ns import qn
from docx.shared import Pt

from .model import ReportModel


def _font(doc: Document, zh: bool) -> None:
    for name in ("Normal", "Title", "Heading 1", "Heading 2"):
        style = doc.styles[name]
        style.font.name = "SimSun" if zh else "Times New Roman"
        rpr = style.element.get_or_add_rPr()
        rpr.get_or_add_rFonts().set(qn("w:eastAsia"), "SimSun")  # CJK font for East Asian text
    doc.styles["Normal"].font.size = Pt(10.5)


def _table(doc: Document, header: list[str], rows: list[list[object]]) -> None:
    t = doc.add_table(rows=1, cols=len(header))
    t.style = "Table Grid"
    for i, h in enumerate(header):
        t.rows[0].cells[i].text = str(h)
        for r in t.rows[0].cells[i].paragraphs[0].runs:
            r.bold = True
    for row in rows:
        cells = t.add_row().cells
        for i, v in enumerate(row):
            cells[i].text = "" if v is None else str(v)


def to_docx(model: ReportModel) -> bytes:
    zh = model.lang != "en"
    doc = Document()
    _font(doc, zh)
    # cover
    for _ in range(4):
        doc.add_paragraph()
    t = doc.add_paragraph(model.title, style="Title")
    t.alignment = WD_ALIGN_PARAGRAPH.CENTER
    sub = doc.add_paragraph(model.subtitle)
    sub.alignment = WD_ALIGN_PARAGRAPH.CENTER
    doc.add_paragraph()
    _table(doc, ["项目" if zh else "Item", "内容" if zh else "Value"], [list(r) for r in model.cover])
    doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    # summary of the conclusion
    doc.add_heading(model.labels.get("summary", ""), level=1)
    for p in model.summary:
        doc.add_paragraph(p)
    # disclosure sections
    for s in model.sections:
        doc.add_heading(s.title, level=1)
        doc.add_paragraph(f"{model.labels.get('basis', '')}：{s.clause_text}" if zh else
                          f"{model.labels.get('basis', '')}: {s.clause_text}")
        for p in s.paragraphs:
            doc.add_paragraph(p)
        for header, rows in s.tables:
            _table(doc, header, rows)
            doc.add_paragraph()
    doc.add_heading(model.labels.get("assumptions", ""), level=1)
    for p in model.assumptions:
        doc.add_paragraph(p)
    # signature block on its own page
    doc.add_section(WD_SECTION.NEW_PAGE)
    doc.add_heading(model.labels.get("signature", ""), level=1)
    for label, line in model.signature:
        doc.add_paragraph(f"{label}：{line}" if zh else f"{label}: {line}")
        doc.add_paragraph()
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()
