"""The content of an appraisal report, independent of its file format.

Sections follow the disclosure checklist of 中评协〔2023〕17号 arts. 25–27 (DOMAIN.md §1.6);
each section carries its checklist id so tests and reviewers can verify completeness.
Renderers (:mod:`.docx_report`, :mod:`.xlsx_papers`, :mod:`.pdf_report`) only lay it out.
"""
from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..core.result import METHOD_LABELS, evidence_lines

__all__ = ["CHECKLIST", "Section", "ReportModel", "build_report_model"]

# (id, zh, en, clause)
CHECKLIST: tuple[tuple[str, str, str, str], ...] = (
    ("C1", "基本信息和权利信息", "Basic information and rights information", "CAS2023.art26"),
    ("C2", "数据质量评价情况", "Data quality evaluation", "CAS2023.art26"),
    ("C3", "应用场景及地域、领域、法律法规限制", "Application scenario and restrictions", "CAS2023.art26"),
    ("C4", "宏观经济和行业前景", "Macro-economic and industry prospects", "CAS2023.art26"),
    ("C5", "信息来源、专家及专业报告的利用", "Sources of information; experts and reports relied on", "CAS2023.art26"),
    ("C6", "评估方法的选择、重要参数及计算过程、假设和限制条件",
     "Choice of methods, important parameters and calculations, assumptions and limiting conditions",
     "CAS2023.art27"),
    ("C7", "多种方法结果的差异及最终结论的理由", "Differences between methods and the reason for the conclusion",
     "CAS2023.art24"),
    ("C8", "风险提示", "Risk flags", "MOF2024-167"),
    ("C9", "评估结论与可追溯信息", "Conclusion and provenance", "CAS2023.art3"),
)

MISSING = ("（卡片未提供，需评估师补充）", "(not given on the card; to be completed by the appraiser)")


@dataclass
class Section:
    id: str
    title: str
    clause: str
    paragraphs: list[str] = field(default_factory=list)
    tables: list[tuple[list[str], list[list[Any]]]] = field(default_factory=list)


@dataclass
class ReportModel:
    title: str
    subtitle: str
    lang: str
    sections: list[Section]
    result: dict[str, Any]
    card: dict[str, Any]


def _g(d: Mapping[str, Any] | None, path: str) -> Any:
    cur: Any = d
    for p in path.split("."):
        if not isinstance(cur, Mapping):
            return None
        cur = cur.get(p)
    return cur


def _fmt(v: Any) -> str:
    if v is None:
        return "—"
    if isinstance(v, float):
        return f"{v:,.2f}"
    if isinstance(v, (dict, list)):
        return json.dumps(v, ensure_ascii=False, default=str)
    return str(v)


def build_report_model(card: Mapping[str, Any], result: Mapping[str, Any], lang: str = "zh"
                       ) -> ReportModel:
    zh = lang != "en"
    L = (lambda a, b: a if zh else b)
    miss = MISSING[0 if zh else 1]
    a = card.get("asset") or {}
    eng = card.get("engagement") or {}
    secs: list[Section] = []
    titles = {cid: (z if zh else e) for cid, z, e, _ in CHECKLIST}
    clauses = {cid: c for cid, _, _, c in CHECKLIST}

    def sec(cid: str) -> Section:
        s = Section(cid, f"{cid} {titles[cid]}", clauses[cid])
        secs.append(s)
        return s

    s = sec("C1")
    rows = [[L("资产编号", "Asset id"), a.get("asset_id")], [L("资产名称", "Name"), a.get("name")],
            [L("持有主体", "Holder"), a.get("holder")], [L("主体类型", "Holder type"), a.get("holder_type")],
            [L("数据类别", "Category"), a.get("category")], [L("所属行业", "Industry"), a.get("industry")],
            [L("数据规模（记录/字段）", "Scale (records/fields)"), f"{_fmt(a.get('records'))} / {_fmt(a.get('fields'))}"],
            [L("更新频率", "Update frequency"), a.get("update_frequency")],
            [L("权利类型", "Rights type"), _g(a, "rights.type")],
            [L("许可方式", "Exclusivity"), _g(a, "rights.exclusivity")],
            [L("授权主体", "Grantor"), _g(a, "rights.grantor")],
            [L("权利范围", "Scope"), _g(a, "rights.scope")],
            [L("权利期限", "Term"), f"{_fmt(_g(a, 'rights.term_start'))} – {_fmt(_g(a, 'rights.term_end'))}"],
            [L("账面价值", "Book value"), a.get("book_value")]]
    s.tables.append(([L("项目", "Item"), L("内容", "Value")], [[k, _fmt(v) if v is not None else miss]
                                                               for k, v in rows]))
    s = sec("C2")
    q = a.get("quality") or {}
    dims = ["normativeness", "completeness", "accuracy", "consistency", "timeliness", "accessibility"]
    dz = ["规范性", "完整性", "准确性", "一致性", "时效性", "可访问性"]
    s.paragraphs.append(L("评价目标：判断数据质量对价值调整系数（成本法）与质量调整系数（市场法）的影响。",
                          "Objective: the effect of data quality on the value adjustment coefficient "
                          "(cost approach) and the quality coefficient (market approach)."))
    s.paragraphs.append(L("评价方法：GB/T 36344-2018 六个维度评分，按指标库权重（或层次分析法）加权得到综合得分。",
                          "Method: GB/T 36344-2018 six dimensions scored and weighted with the indicator "
                          "library weights (or AHP) into a composite score."))
    qrows = [[L(z, d), _fmt(q.get(d)) if q.get(d) is not None else miss] for d, z in zip(dims, dz)]
    cost = (result.get("methods") or {}).get("cost") or {}
    qs = (cost.get("details") or {}).get("quality_score") if isinstance(cost.get("details"), dict) else None
    qrows.append([L("综合得分 Q", "Composite Q"), _fmt(qs if qs is not None else q.get("score"))])
    s.tables.append(([L("维度", "Dimension"), L("得分", "Score")], qrows))
    low = [L(z, d) for d, z in zip(dims, dz) if isinstance(q.get(d), (int, float)) and q.get(d) < 85]
    s.paragraphs.append(L("问题分析：", "Problem analysis: ") + (
        (L("以下维度得分低于 85 分，需关注：", "dimensions below 85 need attention: ") + "、".join(low))
        if low else L("各维度未见明显短板。", "no dimension shows a marked weakness.")))
    if q.get("report_ref"):
        s.paragraphs.append(L("第三方质量评价报告：", "Third-party quality report: ") + str(q["report_ref"]))
    s = sec("C3")
    s.paragraphs.append(L("应用场景：", "Scenario: ") + (a.get("scenario") or miss))
    s.paragraphs.append(L("地域限制：", "Regional restrictions: ") + (a.get("region") or miss))
    s.paragraphs.append(L("领域与法律法规限制：", "Field and legal restrictions: ") +
                        (_g(a, "rights.scope") or miss) + L("；使用类别：", "; use category: ") +
                        str(a.get("use_category") or "—"))
    s = sec("C4")
    s.paragraphs.append(L("宏观经济和行业前景：", "Macro and industry prospects: ") + miss)
    s = sec("C5")
    src = []
    inc = card.get("income") or {}
    if _g(inc, "discount.source"):
        src.append(L("折现率来源：", "Discount rate source: ") + str(_g(inc, "discount.source")))
    for ln in (_g(card, "cost.lines") or []):
        if ln.get("source_doc"):
            src.append(L("成本凭证：", "Cost document: ") + str(ln["source_doc"]))
    s.paragraphs.extend(src or [L("信息来源：委托方提供的资产卡片与附件。", "Sources: the asset card and "
                                   "attachments provided by the client.")])
    s.paragraphs.append(L("专家与专业报告：", "Experts and professional reports: ") +
                        (str(q.get("report_ref")) if q.get("report_ref") else miss))
    s = sec("C6")
    methods = result.get("methods") or {}
    for m, d in methods.items():
        lab = METHOD_LABELS.get(m, (m, m))[0 if zh else 1]
        if d.get("applicable"):
            s.paragraphs.append(f"{lab}: " + L("适用。", "applicable. ") +
                                L("结果 ", "Result ") + _fmt(d.get("estimate")))
        else:
            s.paragraphs.append(f"{lab}: " + L("不适用——", "not applicable — ") +
                                str(d.get("reason_zh" if zh else "reason_en") or ""))
        trace = d.get("trace") or []
        if trace:
            s.tables.append(([L("步骤", "Step"), L("公式", "Formula"), L("输入", "Inputs"),
                              L("结果", "Value"), L("条款", "Clauses")],
                             [[st.get("label_zh" if zh else "label_en") or st.get("step"),
                               st.get("formula", ""), _fmt(st.get("inputs"))[:200], _fmt(st.get("value"))[:80],
                               ", ".join(st.get("clauses") or [])] for st in trace]))
    s.paragraphs.append(L("假设和限制条件：评估结论以评估基准日的权利状况、应用场景和资料为前提；"
                          "收益期不超过剩余权利期限；未考虑基准日后的重大变化。",
                          "Assumptions and limiting conditions: the conclusion rests on the rights, "
                          "scenario and information at the valuation date; the income period does not "
                          "exceed the remaining rights term; later material changes are not considered."))
    s = sec("C7")
    est = result.get("estimate")
    rows = []
    for m, d in methods.items():
        e = d.get("estimate")
        diff = (e / est - 1) if (e is not None and est) else None
        rows.append([METHOD_LABELS.get(m, (m, m))[0 if zh else 1], _fmt(e), _fmt(d.get("weight")),
                     f"{diff:+.1%}" if diff is not None else "—"])
    s.tables.append(([L("方法", "Approach"), L("结果", "Result"), L("权重", "Weight"),
                      L("与结论差异", "Difference from conclusion")], rows))
    ex = result.get("explanation") or {}
    s.paragraphs.append(str(ex.get("reason_zh" if zh else "reason_en") or
                            L("结论依据各方法的适用性与权重形成（第二十四条）。",
                              "The conclusion follows from the applicability and weights of the approaches (art. 24).")))
    if ex.get("largest_driver"):
        s.paragraphs.append(L("差异的主要原因：", "Main driver of the difference: ") + str(ex["largest_driver"]))
    s = sec("C8")
    flags = result.get("flags") or []
    if flags:
        s.tables.append(([L("代码", "Code"), L("级别", "Severity"), L("说明", "Message"), L("依据", "References")],
                         [[f.get("code"), f.get("severity"), f.get("message_zh" if zh else "message_en"),
                           ", ".join(f.get("references") or [])] for f in flags]))
    else:
        s.paragraphs.append(L("未触发风险标记。", "No risk flag raised."))
    s = sec("C9")
    p = result.get("provenance") or {}
    s.tables.append(([L("项目", "Item"), L("内容", "Value")], [
        [L("评估结论", "Estimate"), _fmt(est)],
        [L("指导价区间", "Guided range"), f"{_fmt(result.get('low'))} – {_fmt(result.get('high'))}"],
        [L("覆盖率", "Coverage"), _fmt(result.get("coverage"))],
        [L("覆盖率依据与真实可比案例", "Coverage basis, real comparables"), "; ".join(x.strip() for x in evidence_lines(result.get("coverage_basis") or {}, result.get("n_real_comparables"), zh))],
        [L("币种", "Currency"), result.get("currency")],
        [L("评估基准日", "Valuation date"), p.get("valuation_date")],
        [L("评估目的", "Purpose"), eng.get("purpose")],
        [L("引擎版本", "Engine version"), p.get("engine_version")],
        [L("库快照", "Library snapshot"), p.get("library_snapshot")],
        [L("输入哈希", "Input hash"), p.get("input_hash")],
    ]))
    if not result.get("final", True):
        s.paragraphs.append(L("存在阻断性风险标记：本结果不得作为最终结论。",
                              "A blocker flag is present: this result may not be presented as final."))
    title = L("数据资产评估报告", "Data asset appraisal report")
    subtitle = f"{a.get('name', '')} ({a.get('asset_id', '')})"
    return ReportModel(title, subtitle, lang, secs, dict(result), dict(card))
