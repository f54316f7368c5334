"""Excel working papers (.xlsx) with openpyxl, safe against formula injection."""
from __future__ import annotations

import io
from typing import Any

from openpyxl import Workbook

from .model import ReportModel

_DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(v: Any) -> Any:
    """Neutralise text that a spreadsheet would run as a formula (=, +, -, @) by prefixing a quote.

    Numbers stay numbers (a negative number is data, not a formula)."""
    if isinstance(v, str) and v.startswith(_DANGEROUS):
        return "'" + v
    return v


def to_xlsx(model: ReportModel) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "summary"
    ws.append([safe_cell(model.title)])
    ws.append([safe_cell(model.subtitle)])
    for s in model.sections:
        ws.append([])
        ws.append([safe_cell(s.title), safe_cell(s.clause)])
        for p in s.paragraphs:
            ws.append([safe_cell(p)])
        for header, rows in s.tables:
            ws.append([safe_cell(h) for h in header])
            for r in rows:
                ws.append([safe_cell(v) for v in r])
    for name, d in (model.result.get("methods") or {}).items():
        sh = wb.create_sheet(f"trace_{name}"[:31])
        sh.append(["step", "label", "formula", "inputs", "value", "clauses"])
        for stp in d.get("trace") or []:
            sh.append([safe_cell(str(x)) for x in (stp.get("step"), stp.get("label_zh"), stp.get("formula"),
                                                    stp.get("inputs"), stp.get("value"),
                                                    ", ".join(stp.get("clauses") or []))])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
