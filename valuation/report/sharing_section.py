"""The revenue-sharing section of a report (python-docx), kept apart from the appraisal
report files: ``add_sharing_section(doc, answer, standards, lang)`` appends it to any
``docx.Document``; ``sharing_docx(answer, standards, lang)`` makes a stand-alone document.

The section states the basis (谁投入、谁贡献、谁受益 and the clauses cited), the method and its
formula, the allocation table (amount, fraction, input cost), the core check with e*, the
public-data treatment (non-tax revenue, state share) and every flag with its clause, cited as
《document》article from the standards library of the snapshot used.
"""
from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any

from docx import Document
from docx.oxml.ns import qn
from docx.shared import Pt

from ..core.citations import cite as _cite
from ..core.formatting import money, unit_label
from ..core.gate import for_document
from ..core.result_text import SEVERITY_LABELS
from .labels import enum_label

__all__ = ["add_sharing_section", "sharing_docx", "cite"]

_METHOD = {
    "cost_share": ("按投入成本分配：x_i = D · c_i / Σc", "Shares by input cost: x_i = D · c_i / Σc"),
    "agreement": ("按协议约定比例分配：x_i = D · a_i（Σa = 1）", "Shares by agreement: x_i = D · a_i (Σa = 1)"),
    "shapley": ("Shapley 值：各参与方在所有加入顺序下边际贡献的平均", "Shapley value: average marginal contribution over all orders"),
    "banzhaf": ("归一化 Banzhaf 值", "Normalised Banzhaf value"),
    "least_core": ("最小核：使最不满意联盟的超额最小", "Least core: minimise the largest coalition excess"),
    "nucleolus": ("核仁：按字典序最小化各联盟超额", "Nucleolus: lexicographically minimal coalition excesses"),
    "hybrid": ("混合法：先回收投入成本，盈余按博弈方法分配", "Hybrid: costs first, the surplus by a game method"),
}


def cite(ref: str, standards: Mapping[str, Mapping[str, Any]], lang: str = "zh") -> str:
    """《title》（number）article of a standards-library id, from :mod:`valuation.core.citations`
    (the id itself when unknown)."""
    c = _cite(ref, standards)
    if lang == "en":
        return c["en"]
    return f"{c['title_zh']}（{c['number']}）{c['article_zh']}" if c.get("number") and c.get("title_zh") else c["zh"]


def _table(doc: Any, header: list[str], rows: list[list[Any]]) -> None:
    t = doc.add_table(rows=1, cols=len(header))
    t.style = "Table Grid"
    for i, h in enumerate(header):
        t.rows[0].cells[i].text = h
    for r in rows:
        cells = t.add_row().cells
        for i, v in enumerate(r):
            cells[i].text = "" if v is None else str(v)


#: the links of the data value chain a participant's role may name (大财资〔2025〕325号 item 16)
_STAGES = {"production": ("生产", "production"), "collection": ("采集", "collection"),
           "processing": ("加工", "processing"), "circulation": ("流通", "circulation"),
           "application": ("应用", "application")}


def add_sharing_section(doc: Any, answer: Mapping[str, Any], standards: Mapping[str, Mapping[str, Any]],
                        lang: str = "zh") -> Any:
    """Append the section to ``doc`` and return it. Every amount with its unit (元 / CNY, in
    the table's header), codes in words, everything in ``lang``. Control characters of free
    text (names) are dropped: the document's XML cannot hold them (as ``api.report``)."""
    answer = for_document(dict(answer))
    zh = lang != "en"
    k = 0 if zh else 1
    cur = str(answer.get("currency") or "CNY")
    sep, lp, rp = ("；", "（", "）") if zh else ("; ", " (", ")")

    def amt(x: Any) -> str:
        return money(x, cur, "yuan", 2, lang)

    def refs(ids: Any) -> str:
        return sep.join(cite(r, standards, lang) for r in ids or [])

    doc.add_heading("收益分配" if zh else "Revenue sharing", level=1)
    basis = ["DL2025-325.16", "MOF2024-167.4", "HZ2024-19.7", "MOF2023-141.10", "HN2024-40.6"]
    doc.add_paragraph(("依据“谁投入、谁贡献、谁受益”原则（" if zh else "Under the principle that whoever invests and "
                       "contributes benefits (") + refs(basis) + ("）。" if zh else ")."))
    m = answer["method"]
    text = _METHOD.get(m, (m, m))[k]
    if answer.get("surplus_method"):
        sm = answer["surplus_method"]
        text += f"{lp}{_METHOD.get(sm, (sm, sm))[k]}{rp}"
    doc.add_paragraph(("分配安排 " if zh else "Arrangement ") + f"{answer['arrangement_id']} {answer.get('period') or ''}"
                      + sep + ("可分配收益 " if zh else "distributable ") + amt(answer["distributable"]) + sep
                      + ("方法：" if zh else "method: ") + text)
    unit = unit_label(cur, "yuan", lang)
    _table(doc, ["参与方", "名称", "角色", "主体类型", f"分得金额（{unit}）", "比例", f"投入成本（{unit}）"] if zh else
           ["Participant", "Name", "Role", "Holder", f"Amount ({unit})", "Fraction", f"Input cost ({unit})"],
           [[s["id"], s.get("name"), _STAGES.get(s.get("role"), (s.get("role"),) * 2)[k],
             enum_label(s.get("holder_type"), lang) if s.get("holder_type") else None, f"{s['amount']:,.2f}",
             f"{s['fraction']:.2%}", f"{s.get('input_cost', 0):,.2f}"] for s in answer["shares"]])
    doc.add_paragraph("金额按最大余数法四舍五入到分，合计等于可分配收益。" if zh else
                      "Amounts are rounded to the cent by the largest-remainder method and add up to the "
                      "distributable amount.")
    core = answer.get("core") or {}
    if core.get("checked"):
        ok = core.get("in_core")
        msg = (("核检验：分配在核中，任何联盟单独行动都得不到更多" if ok else
                f"核检验：分配不在核中，联盟 {{{', '.join(core['coalition'])}}} 单独可得更多（超额 {amt(core['excess'])}）")
               if zh else ("Core check: in the core; no coalition would do better alone" if ok else
                           f"Core check: outside the core; coalition {{{', '.join(core['coalition'])}}} would do "
                           f"better alone (excess {amt(core['excess'])})"))
        if core.get("least_core_excess") is not None:
            msg += f"{sep}e* = {amt(core['least_core_excess'])}"
        doc.add_paragraph(msg)
    pdb = answer.get("public_data") or {}
    if pdb.get("treasury") or pdb.get("authorised_operation"):
        doc.add_paragraph((f"国有主体合计分得 {amt(pdb['state_amount'])}（{pdb['state_share']:.2%}）；"
                           f"行政单位非税收入 {amt(pdb['non_tax_revenue'])}。") if zh else
                          (f"State-owned participants receive {amt(pdb['state_amount'])} "
                           f"({pdb['state_share']:.2%}); non-tax revenue of administrative units "
                           f"{amt(pdb['non_tax_revenue'])}."))
        for t in pdb.get("treasury", []):
            doc.add_paragraph(f"{t['id']}: {amt(t['amount'])} — {t['treatment_zh' if zh else 'treatment_en']}"
                              f"{lp}{refs(t['references'])}{rp}", style="List Bullet")
    flags = answer.get("flags") or []
    if flags:
        doc.add_paragraph("风险与提示：" if zh else "Flags:")
        for f in flags:
            sev = SEVERITY_LABELS.get(str(f.get("severity")), (str(f.get("severity")),) * 2)[k]
            # the sharing flags have no titles: their message says it (the code is no word)
            title = f.get("title_zh" if zh else "title_en")
            head = sev + (("｜" if zh else " | ") + title if title else "")
            doc.add_paragraph(f"{head}：{f['message_zh']}（{refs(f['references'])}）" if zh else
                              f"{head}: {f['message_en']} ({refs(f['references'])})", style="List Bullet")
    prov = answer.get("provenance") or {}
    items = [(("引擎版本", "engine version"), prov.get("engine_version")),
             (("库快照", "library snapshot"), prov.get("library_snapshot")),
             (("输入哈希", "input hash"), prov.get("input_hash"))]
    if answer.get("ledger"):
        items.append((("台账记录", "ledger record"), answer["ledger"]["record_id"]))
    doc.add_paragraph(("来源：" if zh else "Provenance: ")
                      + ("，" if zh else ", ").join(f"{lab[k]} {v or '—'}" for lab, v in items))
    return doc


def sharing_docx(answer: Mapping[str, Any], standards: Mapping[str, Mapping[str, Any]], lang: str = "zh") -> bytes:
    """A stand-alone .docx holding only the sharing section."""
    doc = Document()
    style = doc.styles["Normal"]
    style.font.name = "SimSun"
    style.font.size = Pt(10.5)
    style.element.rPr.rFonts.set(qn("w:eastAsia"), "SimSun")
    doc.add_heading(("收益分配说明 " if lang != "en" else "Revenue sharing statement ") + answer["arrangement_id"], level=0)
    add_sharing_section(doc, answer, standards, lang)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()
