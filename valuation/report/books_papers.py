"""入表底稿: the working paper of a data resource put on the books (财会〔2023〕11号; CAS 6/1/8).

Built from the answer of :func:`valuation.api.book` and the card: basic facts and
classification, the cost lines and what was capitalised or expensed, the amortisation
schedule and its convention, the impairment test (or the write-down to net realisable
value), the disclosure line, the calculation trace with each clause's title from the
standards library of the snapshot, and the provenance. ``docx`` (python-docx) or ``xlsx``
(openpyxl; text cells starting with = + - @ neutralised). Separate from the appraisal report
(``report/model.py``) so the two evolve independently.
"""
from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any

from ..core.cells import neutralise_cell  # the project's one helper (OWASP)
from ..core.citations import citation
from ..core.formatting import money, number
from ..core.gate import for_document
from .labels import formula_text
from .xlsx_papers import fit_cell

__all__ = ["papers_sections", "to_docx", "to_xlsx", "render_books"]


def safe_cell(v: Any) -> Any:
    """A cell's value: formula text neutralised, text cut at Excel's cell limit (saying so)."""
    return fit_cell(neutralise_cell(v))

_CLASS = {"intangible_asset": ("无形资产", "Intangible asset"), "inventory": ("存货", "Inventory"),
          "development_expenditure": ("开发支出", "Development expenditure"),
          "expense": ("费用化（不入表）", "Expensed (not on the balance sheet)")}
_PHASE = {"research": ("研究阶段", "research"), "development": ("开发阶段", "development"),
          "acquisition": ("取得", "acquisition")}
_FIGURES = (("cost", "入账成本", "Cost"), ("expensed", "费用化金额", "Expensed"),
            ("accumulated_amortisation", "累计摊销", "Accumulated amortisation"),
            ("carrying_amount_before_impairment", "减值前账面价值", "Carrying amount before impairment"),
            ("value_in_use", "预计未来现金流量现值（收益法）", "Value in use (income approach)"),
            ("fair_value_less_costs_of_disposal", "公允价值减去处置费用（市场法）",
             "Fair value less costs of disposal (market approach)"),
            ("recoverable_amount", "可收回金额", "Recoverable amount"),
            ("net_realisable_value", "可变现净值", "Net realisable value"),
            ("impairment_loss", "减值损失 / 存货跌价", "Impairment loss / write-down"),
            ("carrying_amount", "期末账面价值", "Carrying amount"))

Section = tuple[str, list[str], list[tuple[list[str], list[list[Any]]]]]

_PROVENANCE = (("engine_version", "引擎版本", "Engine version"), ("library_snapshot", "库快照", "Library snapshot"),
               ("input_hash", "输入哈希", "Input hash"), ("valuation_date", "评估基准日", "Valuation date"),
               ("balance_sheet_date", "资产负债表日", "Balance-sheet date"))


def _clause(cid: str, standards: Mapping[str, Any], en: bool) -> str:
    """《title》第N条 (zh) / title, art. N (en) from the standards library, as the appraisal report."""
    return citation(cid, standards, "en" if en else "zh")


def papers_sections(card: Mapping[str, Any], ans: Mapping[str, Any], lang: str = "zh",
                    standards: Mapping[str, Any] | None = None) -> list[Section]:
    """``[(title, paragraphs, [(header, rows)])]`` of the 入表底稿."""
    en = lang == "en"
    k = 1 if en else 0
    std = standards or {}
    asset, acc = card.get("asset") or {}, card.get("accounting") or {}
    prov = ans.get("provenance") or {}
    dis = ans.get("disclosure") or {}
    m = lambda v: money(v, lang=lang)  # noqa: E731
    out: list[Section] = []
    out.append(("1. Asset and classification" if en else "一、资产与分类", [], [(
        ["item", "value"] if en else ["项目", "内容"],
        [["asset id" if en else "资产编号", asset.get("asset_id")], ["name" if en else "名称", asset.get("name")],
         ["holder" if en else "持有主体", asset.get("holder")],
         ["balance-sheet date" if en else "资产负债表日", prov.get("balance_sheet_date")],
         ["classification" if en else "分类", _CLASS.get(ans.get("classification"), ("", ""))[k]],
         ["source" if en else "取得方式", dis.get("source_en" if en else "source_zh")],
         ["balance-sheet line" if en else "报表列示", dis.get("balance_sheet_line_en" if en else "balance_sheet_line_zh")]])]))
    lines = acc.get("costs") or []
    rows = [[c.get("category") or "", _PHASE.get(c.get("phase"), ("", ""))[k], m(c.get("amount"))] for c in lines]
    out.append(("2. Cost" if en else "二、成本计量", [
        (f"Cost {m(ans.get('cost'))}; expensed {m(ans.get('expensed'))}." if en else
         f"入账成本 {m(ans.get('cost'))}；费用化金额 {m(ans.get('expensed'))}。")],
        [(["cost item", "phase", "amount"] if en else ["成本项目", "阶段", "金额"], rows)] if rows else []))
    conv = (prov.get("amortisation_convention") or {}).get("en" if en else "zh", "")
    sched = [[r["period_end"], m(r["amortisation"]), m(r["carrying_amount"]),
              "*" if r.get("balance_sheet_date") else ""] for r in ans.get("schedule") or []]
    out.append(("3. Amortisation" if en else "三、摊销", [conv],
                [(["period end", "amortisation", "carrying amount", "balance-sheet date"] if en else
                  ["期末", "本期摊销", "期末账面价值", "资产负债表日"], sched)] if sched else []))
    out.append(("4. Impairment test" if en else "四、减值测试", [
        f"{f.get('title_en' if en else 'title_zh') or f['code']}{': ' if en else '：'}"
        f"{f['message_en' if en else 'message_zh']}"
        + (" (" + "; ".join(_clause(r, std, en) for r in f.get("references") or []) + ")" if en else
           "（" + "；".join(_clause(r, std, en) for r in f.get("references") or []) + "）")
        for f in ans.get("flags") or []],
        [(["figure", "amount"] if en else ["项目", "金额"], [[f[1 + k], m(ans.get(f[0]))] for f in _FIGURES])]))
    trace = [[s.get("label_en" if en else "label_zh"),
              formula_text(s.get("formula"), "en") if en
              else s.get("formula"), _trace_value(s, lang),
              "; ".join(_clause(c, std, en) for c in s.get("clauses") or [])]
             for s in ans.get("trace") or []]
    out.append(("5. Calculation trace" if en else "五、计算过程", [],
                [(["step", "formula", "value", "clauses"] if en else ["步骤", "公式", "数值", "依据条款"], trace)]))
    out.append(("6. Provenance" if en else "六、来源", [], [(
        ["item", "value"] if en else ["项目", "内容"],
        [[(en_ if en else zh), str(prov.get(key) or "—")] for key, zh, en_ in _PROVENANCE])]))
    return out


def _trace_value(s: Mapping[str, Any], lang: str) -> str:
    """A books trace step's value as a reader reads it: money with its unit, a classification
    in words, other numbers formatted (never a code or a raw float)."""
    v, en = s.get("value"), lang == "en"
    if v is None:
        return "—"
    if isinstance(v, bool):
        return ("yes" if v else "no") if en else ("是" if v else "否")
    if isinstance(v, (int, float)):
        return money(v, lang=lang) if s.get("unit") == "currency" else number(v, 4, lang)
    if v in _CLASS:
        return _CLASS[v][1 if en else 0]
    return str(v)


def to_docx(sections: list[Section], title: str) -> bytes:
    from docx import Document

    doc = Document()
    doc.add_heading(title, level=1)
    for head, paras, tables in sections:
        doc.add_heading(head, level=2)
        for p in paras:
            if p:
                doc.add_paragraph(p)
        for header, rows in tables:
            t = doc.add_table(rows=1, cols=len(header))
            t.style = "Table Grid"
            for c, h in zip(t.rows[0].cells, header):
                c.text = str(h)
            for r in rows:
                cells = t.add_row().cells
                for c, v in zip(cells, r):
                    c.text = "" if v is None else str(v)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def to_xlsx(sections: list[Section], title: str, ans: Mapping[str, Any]) -> bytes:
    from openpyxl import Workbook

    en = title.startswith("Data resource")
    wb = Workbook()
    ws = wb.active
    ws.title = "Working paper" if en else "入表底稿"
    ws.append([safe_cell(title)])
    for head, paras, tables in sections:
        ws.append([])
        ws.append([safe_cell(head)])
        for p in paras:
            ws.append([safe_cell(p)])
        for header, rows in tables:
            ws.append([safe_cell(h) for h in header])
            for r in rows:
                ws.append([safe_cell(v) for v in r])
    sh = wb.create_sheet("Schedule" if en else "摊销表")
    sh.append(["Period end", "Amortisation", "Accumulated amortisation", "Carrying amount"] if en else
              ["期末", "本期摊销", "累计摊销", "期末账面价值"])
    for r in ans.get("schedule") or []:     # numbers as numbers, for the auditor's own sums
        sh.append([r["period_end"], r["amortisation"], r["accumulated_amortisation"], r["carrying_amount"]])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def render_books(card: Mapping[str, Any], ans: Mapping[str, Any], fmt: str = "xlsx", lang: str = "zh",
                 standards: Mapping[str, Any] | None = None) -> bytes:
    """The 入表底稿 as ``docx`` or ``xlsx`` bytes. Free text may hold control characters the
    card gate lets through (they are stripped where documents are written, docs/SECURITY.md):
    their XML cannot, so they are dropped here, as ``api.report`` does."""
    card, ans = for_document(dict(card)), for_document(dict(ans))
    secs = papers_sections(card, ans, lang, standards)
    name = (card.get("asset") or {}).get("name") or ans.get("asset_id")
    title = f"Data resource on the books — working paper: {name}" if lang == "en" else f"数据资源入表底稿：{name}"
    if fmt == "docx":
        return to_docx(secs, title)
    if fmt == "xlsx":
        return to_xlsx(secs, title, ans)
    raise ValueError(f"unsupported format {fmt!r}: docx or xlsx")
