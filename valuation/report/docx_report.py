"""Word (.docx) rendering of the report model with python-docx."""
from __future__ import annotations

import io

from docx import Document
from docx.oxml.ns import qn
from docx.shared import Pt

from .model import ReportModel


def to_docx(model: ReportModel) -> bytes:
    doc = Document()
    style = doc.styles["Normal"]
    style.font.name = "SimSun"
    style.font.size = Pt(10.5)
    style.element.rPr.rFonts.set(qn("w:eastAsia"), "SimSun")  # CJK font for East Asian text
    doc.add_heading(model.title, level=0)
    doc.add_paragraph(model.subtitle)
    for s in model.sections:
        doc.add_heading(s.title, level=1)
        doc.add_paragraph(f"[{s.clause}]")
        for p in s.paragraphs:
            doc.add_paragraph(p)
        for header, rows in s.tables:
            t = doc.add_table(rows=1, cols=len(header))
            t.style = "Table Grid"
            for i, h in enumerate(header):
                t.rows[0].cells[i].text = str(h)
            for r in rows:
                cells = t.add_row().cells
                for i, v in enumerate(r):
                    cells[i].text = "" if v is None else str(v)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()
