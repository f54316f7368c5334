"""Appraisal report and working papers (Word, Excel, PDF) filling the disclosure checklist
of 中评协〔2023〕17号 arts. 25–27."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .model import CHECKLIST, ReportModel, build_report_model

__all__ = ["CHECKLIST", "ReportModel", "build_report_model", "render"]


def render(card: Mapping[str, Any], result: Mapping[str, Any], fmt: str, lang: str = "zh",
           standards: Mapping[str, Any] | None = None) -> bytes:
    """Render the report of one appraisal as ``docx``, ``xlsx`` or ``pdf`` bytes; ``standards``
    is the appraisal snapshot's standards library (cited by title and article), the seed
    library when not given."""
    model = build_report_model(card, result, lang, standards)
    if fmt == "docx":
        from .docx_report import to_docx
        return to_docx(model)
    if fmt == "xlsx":
        from .xlsx_papers import to_xlsx
        return to_xlsx(model)
    if fmt == "pdf":
        from .pdf_report import to_pdf
        return to_pdf(model)
    raise ValueError(f"unsupported report format {fmt!r}: docx, xlsx or pdf")
