"""Excel working papers (.xlsx) with openpyxl: numbers as numbers with number formats, and the
cost, income, market and reconciliation sheets as input cells and Excel formulas (see
:mod:`.xlsx_sheets`), so a reviewer can change a rate and watch the value move. Sheet names
are Chinese in zh. Text cells are safe against formula injection (OWASP: a leading = + - @ is
prefixed with a quote).
"""
from __future__ import annotations

import io
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from ..core import formatting as F
from ..core.cells import neutralise_cell
from .model import NO_CONCLUSION, ReportModel
from .xlsx_sheets import (
    MONEY,
    Formula,
    Paper,
    cost_sheet,
    income_sheet,
    market_sheet,
    reconcile_sheet,
)

SHEETS = {"summary": ("摘要", "Summary"), "cost": ("成本法", "Cost approach"),
          "income": ("收益法", "Income approach"), "market": ("市场法", "Market approach"),
          "reconcile": ("综合结论", "Reconciliation"), "disclosure": ("披露事项", "Disclosure items")}
LABELS = {"cost": ("成本法", "Cost approach"), "income": ("收益法", "Income approach"),
          "market": ("市场法", "Market approach")}


#: the most characters an Excel cell holds (Excel specifications and limits); the input gate
#: allows 100,000 per string, and openpyxl cuts longer text there without a word
CELL_CHARS = 32_767
_CUT = "…（超出单元格长度，全文见报告正文）/ (cut at the cell limit; full text in the report)"


def safe_cell(v: Any) -> Any:
    """Neutralise text that a spreadsheet would run as a formula (=, +, -, @) by prefixing a quote,
    and cut text longer than a cell holds (:data:`CELL_CHARS`), saying so.

    Numbers stay numbers (a negative number is data, not a formula); the sheets' own formulas
    are :class:`~.xlsx_sheets.Formula` objects and are written as they are."""
    if isinstance(v, Formula):
        return v
    return fit_cell(neutralise_cell(v))  # the project's one helper (core/cells.py, OWASP rules)


def fit_cell(v: Any) -> Any:
    """Text longer than an Excel cell holds (:data:`CELL_CHARS`) cut, saying so; else ``v``."""
    if isinstance(v, str) and len(v) > CELL_CHARS:
        return v[:CELL_CHARS - len(_CUT)] + _CUT
    return v


def _name(key: str, lang: str) -> str:
    zh, en = SHEETS[key]
    return en if lang == "en" else zh


def to_xlsx(model: ReportModel) -> bytes:
    lang = model.lang
    zh = lang != "en"
    res, card = model.result, model.card
    cur = str(res.get("currency") or "CNY")
    unit = F.unit_label(cur, "yuan", lang)
    wb = Workbook()
    summary = wb.active
    summary.title = _name("summary", lang)
    cells: dict[str, str | None] = {}
    names: dict[str, str] = {}
    pub = (card.get("engagement") or {}).get("rounding") == "publication"
    methods = res.get("methods") or {}
    for m, fn in (("cost", cost_sheet), ("income", income_sheet), ("market", market_sheet)):
        ws = wb.create_sheet(_name(m, lang))
        names[m] = ws.title
        p = Paper(ws, lang, model.standards, safe_cell)
        p.text(LABELS[m][1 if not zh else 0], bold=True)
        d = methods.get(m) or {}
        cells[m] = income_sheet(p, d, unit, pub) if m == "income" else fn(p, d, unit)
        _widths(ws)
    rws = wb.create_sheet(_name("reconcile", lang))
    rp = Paper(rws, lang, model.standards, safe_cell)
    rp.text("综合结论（第二十四条）" if zh else "Reconciliation (art. 24)", bold=True)
    concl = reconcile_sheet(rp, res, cells, names, {m: LABELS[m][0 if zh else 1] for m in LABELS}, unit,
                            NO_CONCLUSION[0 if zh else 1])
    _widths(rws)
    _summary(summary, model, f"='{rws.title}'!{concl}" if concl else None, cur)
    _disclosure(wb.create_sheet(_name("disclosure", lang)), model)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _summary(ws: Any, model: ReportModel, concl: str | None, cur: str) -> None:
    lang = model.lang
    zh = lang != "en"
    res = model.result
    ws.append([safe_cell(model.title)])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append([safe_cell(model.subtitle)])
    ws.append([])
    rows = [   # no estimate (concl None): said in words, and no 万元 of it
        ("评估结论" if zh else "Conclusion", Formula(concl) if concl else NO_CONCLUSION[0 if zh else 1],
         F.unit_label(cur, "yuan", lang), MONEY),
        ("评估结论（万元）" if zh else "Conclusion (ten-thousand)", Formula("=B4/10000") if concl else None,
         F.unit_label(cur, "wan", lang), MONEY),
        ("指导价区间下限" if zh else "Guided range, low", res.get("low"), F.unit_label(cur, "yuan", lang), MONEY),
        ("指导价区间上限" if zh else "Guided range, high", res.get("high"), F.unit_label(cur, "yuan", lang), MONEY),
        ("覆盖率" if zh else "Coverage", res.get("coverage"), "", "0%"),
    ]
    for label, v, u, fmt in rows:
        ws.append([safe_cell(label), v if isinstance(v, (Formula, str)) or v is None else float(v), safe_cell(u)])
        ws.cell(row=ws.max_row, column=2).number_format = fmt
    p = res.get("provenance") or {}
    for label, v in ((("评估基准日", "Valuation date"), F.date(p.get("valuation_date"), lang)),
                     (("库快照", "Library snapshot"), p.get("library_snapshot")),
                     (("引擎版本", "Engine version"), p.get("engine_version")),
                     (("输入哈希", "Input hash"), p.get("input_hash"))):
        ws.append([safe_cell(label[0 if zh else 1]), safe_cell(str(v or F.MISSING))])
    ws.append([])
    ws.append([safe_cell("说明：各计算表中的数值为输入或公式；修改输入后，评估值随之重新计算。" if zh else
                         "Note: the values on the calculation sheets are inputs or formulas; change an "
                         "input and the value recomputes.")])
    _widths(ws)


def _disclosure(ws: Any, model: ReportModel) -> None:
    """The report's disclosure sections (CAS 2023 arts. 24–27) as rows: titles, prose, tables
    with numbers as numbers."""
    ws.append([safe_cell(model.title)])
    for s in model.sections:
        ws.append([])
        ws.append([safe_cell(s.title), safe_cell(s.clause_text)])
        ws.cell(row=ws.max_row, column=1).font = Font(bold=True)
        for para in s.paragraphs:
            ws.append([safe_cell(para)])
            ws.cell(row=ws.max_row, column=1).alignment = Alignment(wrap_text=False)
        for header, rows in s.tables:
            ws.append([safe_cell(h) for h in header])
            for c in ws[ws.max_row]:
                c.font = Font(bold=True)
            for r in rows:
                ws.append([safe_cell(v) if not isinstance(v, float) else v for v in r])
    _widths(ws)


def _widths(ws: Any) -> None:
    for col, width in (("A", 34), ("B", 18), ("C", 14), ("D", 40), ("E", 48)):
        ws.column_dimensions[col].width = width
