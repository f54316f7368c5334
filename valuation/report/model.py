"""The content of an appraisal report, independent of its file format.

Sections follow the disclosure checklist of 中评协〔2023〕17号 arts. 25–27 (``docs/DOMAIN.md``
§1.6); each section carries its checklist id and the clause it fills, cited by title and
article (《数据资产评估指导意见》第二十六条). Around them: a cover, a summary of the conclusion in
万元, the assumptions and limiting conditions and a signature block for the appraiser and the
institution. Every number goes through :mod:`valuation.core.formatting`, every code through
:mod:`.labels`; no JSON reaches a cell. Renderers (:mod:`.docx_report`, :mod:`.xlsx_papers`,
:mod:`.pdf_report`) only lay the model out.
"""
from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..core import formatting as F
from ..core.citations import citation, citation_list
from ..core.result import evidence_lines
from ..core.result_text import SEVERITY_LABELS
from .labels import enum_label, formula_text, input_label
from .standards import seed_standards

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
#: a result without an estimate (status no_estimate): said, not shown as a dash
NO_CONCLUSION = ("未形成评估结论（各评估方法均不适用或未得出结果，见 C6、C7）",
                 "no conclusion is formed (no approach applies or gives a result; see C6 and C7)")
METHODS = {"cost": ("成本法", "Cost approach"), "income": ("收益法", "Income approach"),
           "market": ("市场法", "Market approach")}
_RATE_KEYS = {"risk_free", "management", "circulation", "security", "regulation", "other", "r", "tax_rate",
              "rate", "a", "coverage", "sd", "合理利润率", "revenue_share", "growth", "given"}
# trace inputs that are amounts (a step's own value takes the step's unit instead)
_MONEY_KEYS = {"C", "base", "前期费用", "直接成本", "间接成本", "机会成本", "相关税费", "flows", "Q_i", "low", "high",
               "preliminary", "direct", "indirect", "opportunity", "taxes", "TC", "V", "NOPAT"}


@dataclass
class Section:
    id: str
    title: str
    clause: str
    paragraphs: list[str] = field(default_factory=list)
    tables: list[tuple[list[str], list[list[Any]]]] = field(default_factory=list)
    clause_text: str = ""


@dataclass
class ReportModel:
    title: str
    subtitle: str
    lang: str
    sections: list[Section]
    result: dict[str, Any]
    card: dict[str, Any]
    standards: Mapping[str, Any] | None = None
    cover: list[tuple[str, str]] = field(default_factory=list)
    summary: list[str] = field(default_factory=list)
    assumptions: list[str] = field(default_factory=list)
    signature: list[tuple[str, str]] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)


def _g(d: Mapping[str, Any] | None, path: str) -> Any:
    cur: Any = d
    for p in path.split("."):
        if not isinstance(cur, Mapping):
            return None
        cur = cur.get(p)
    return cur


class _Fmt:
    """Formatting bound to a language and currency (amounts, rates, codes, trace values)."""

    def __init__(self, lang: str, currency: str):
        self.lang, self.cur, self.zh = lang, currency, lang != "en"

    def L(self, zh: str, en: str) -> str:
        return zh if self.zh else en

    def money(self, x: Any, unit: str = "yuan") -> str:
        return F.money(x, self.cur, unit, 2, self.lang)

    def both(self, x: Any) -> str:
        """``488.92 万元（4,889,179.46 元）`` — the report's way of stating a conclusion."""
        if F.is_missing(x):
            return F.MISSING
        return f"{self.money(x, 'wan')}（{self.money(x)}）" if self.zh else f"{self.money(x, 'wan')} ({self.money(x)})"

    def scalar(self, k: str, v: Any, unit: str = "") -> str:
        if isinstance(v, bool):
            return self.L("是", "yes") if v else self.L("否", "no")
        if isinstance(v, (int, float)):
            # a step's unit (methods' explain modules): "ratio" is a rate as a fraction (the
            # discount rate, 65号's caps), shown in per cent as its components are
            if k in _RATE_KEYS or unit == "ratio":
                return F.rate(v, 2, self.lang)
            if unit in ("currency", self.cur) or (unit and unit.startswith(self.cur)):
                return self.money(v)
            if unit == "years":
                return F.number(v, 2, self.lang) + self.L(" 年", " years")
            if unit == "count":
                return F.number(v, 0, self.lang) + self.L(" 个", "")
            return F.number(v, 0 if float(v).is_integer() and abs(v) >= 1000 else 4, self.lang)
        if v is None:
            return F.MISSING
        return formula_text(enum_label(v, self.lang), self.lang)

    def value(self, k: str, v: Any, unit: str = "") -> str:
        """A trace value or input: numbers formatted, lists shortened, nested parts labelled."""
        if isinstance(v, Mapping):
            if "value" in v:
                src = v.get("source")
                out = self.scalar(k, v.get("value"), unit)
                return out + (f"（{formula_text(src, self.lang)}）" if self.zh and src else
                              f" ({formula_text(src, self.lang)})" if src else "")
            return self.inputs(v, unit)
        if isinstance(v, (list, tuple)):
            items = [self.value(k, x, unit) for x in v[:8]]
            return ("、" if self.zh else ", ").join(items) + ("…" if len(v) > 8 else "")
        return self.scalar(k, v, unit)

    def inputs(self, d: Mapping[str, Any], unit: str = "") -> str:
        parts = [f"{input_label(str(k), self.lang)} = "
                 f"{self.value(str(k), v, 'currency' if str(k) in _MONEY_KEYS else '')}" for k, v in d.items()]
        return ("；" if self.zh else "; ").join(parts) if parts else F.MISSING


def build_report_model(card: Mapping[str, Any], result: Mapping[str, Any], lang: str = "zh",
                       standards: Mapping[str, Any] | None = None) -> ReportModel:
    """The report of one appraisal (``result`` is ``Result.to_dict()``); ``standards`` is the
    standards library of the appraisal's snapshot (the seed library when not given)."""
    standards = standards if standards is not None else seed_standards()
    f = _Fmt(lang, str(result.get("currency") or "CNY"))
    L = f.L
    a = card.get("asset") or {}
    secs: list[Section] = []

    def sec(cid: str) -> Section:
        row = next(c for c in CHECKLIST if c[0] == cid)
        s = Section(cid, f"{cid} {row[1] if f.zh else row[2]}", row[3],
                    clause_text=citation(row[3], standards, lang))
        secs.append(s)
        return s

    _basic(sec("C1"), a, f)
    _quality(sec("C2"), a, result, f)
    _scenario(sec("C3"), a, f)
    sec("C4").paragraphs.append(L("宏观经济和行业前景：", "Macro and industry prospects: ") + MISSING[0 if f.zh else 1])
    _sources(sec("C5"), card, a, f)
    _methods(sec("C6"), result, standards, f)
    _differences(sec("C7"), result, f)
    _flags(sec("C8"), result, standards, f)
    _conclusion(sec("C9"), card, result, f)
    title = L("数据资产评估报告", "Data asset appraisal report")
    subtitle = f"{a.get('name', '')}（{a.get('asset_id', '')}）" if f.zh else f"{a.get('name', '')} ({a.get('asset_id', '')})"
    m = ReportModel(title, subtitle, lang, secs, dict(result), dict(card), standards)
    _frame(m, card, result, standards, f)
    return m


def _basic(s: Section, a: Mapping[str, Any], f: _Fmt) -> None:
    L, miss = f.L, MISSING[0 if f.zh else 1]
    term = (f"{F.date(_g(a, 'rights.term_start'), f.lang)} – {F.date(_g(a, 'rights.term_end'), f.lang)}"
            if _g(a, "rights.term_start") or _g(a, "rights.term_end") else None)
    scale = None if a.get("records") is None and a.get("fields") is None else \
        L(f"{F.number(a.get('records'), 0, f.lang)} 条记录 / {F.number(a.get('fields'), 0, f.lang)} 个字段",
          f"{F.number(a.get('records'), 0, f.lang)} records / {F.number(a.get('fields'), 0, f.lang)} fields")
    rows = [[L("资产编号", "Asset id"), a.get("asset_id")], [L("资产名称", "Name"), a.get("name")],
            [L("持有主体", "Holder"), a.get("holder")],
            [L("主体类型", "Holder type"), enum_label(a["holder_type"], f.lang) if a.get("holder_type") else None],
            [L("数据类别", "Category"), a.get("category")], [L("所属行业", "Industry"), a.get("industry")],
            [L("数据规模", "Scale"), scale],
            [L("更新频率", "Update frequency"),
             enum_label(a["update_frequency"], f.lang) if a.get("update_frequency") else None],
            [L("权利类型", "Rights type"), enum_label(_g(a, "rights.type"), f.lang) if _g(a, "rights.type") else None],
            [L("许可方式", "Exclusivity"),
             enum_label(_g(a, "rights.exclusivity"), f.lang) if _g(a, "rights.exclusivity") else None],
            [L("授权主体", "Grantor"), _g(a, "rights.grantor")], [L("权利范围", "Scope"), _g(a, "rights.scope")],
            [L("权利期限", "Term"), term],
            [L("账面价值", "Book value"), f.money(a["book_value"]) if a.get("book_value") is not None else None]]
    s.tables.append(([L("项目", "Item"), L("内容", "Value")],
                     [[k, str(v) if v not in (None, "") else miss] for k, v in rows]))


_DIMS = (("normativeness", "规范性"), ("completeness", "完整性"), ("accuracy", "准确性"),
         ("consistency", "一致性"), ("timeliness", "时效性"), ("accessibility", "可访问性"))


def _quality(s: Section, a: Mapping[str, Any], result: Mapping[str, Any], f: _Fmt) -> None:
    L, miss = f.L, MISSING[0 if f.zh else 1]
    q = a.get("quality") or {}
    s.paragraphs.append(L("评价目标：判断数据质量对价值调整系数（成本法）与质量调整系数（市场法）的影响。",
                          "Objective: the effect of data quality on the value adjustment coefficient "
                          "(cost approach) and the quality coefficient (market approach)."))
    s.paragraphs.append(L("评价方法：按 GB/T 36344-2018 的六个维度评分，以指标库权重（或层次分析法）加权得到综合得分。",
                          "Method: the six dimensions of GB/T 36344-2018 scored and weighted with the indicator "
                          "library weights (or AHP) into a composite score."))
    rows = [[L(z, d), F.number(q.get(d), 2, f.lang) if q.get(d) is not None else miss] for d, z in _DIMS]
    det = _g(result, "methods.cost.details")
    qs = det.get("quality_score") if isinstance(det, Mapping) else None
    rows.append([L("综合得分 Q", "Composite score Q"), F.number(qs if qs is not None else q.get("score"), 2, f.lang)])
    s.tables.append(([L("维度", "Dimension"), L("得分", "Score")], rows))
    low = [L(z, d) for d, z in _DIMS if isinstance(q.get(d), (int, float)) and q.get(d) < 85]
    s.paragraphs.append(L("问题分析：", "Problem analysis: ") + (
        (L("以下维度得分低于 85 分，需关注：", "dimensions below 85 need attention: ") + ("、" if f.zh else ", ").join(low))
        if low else L("各维度未见明显短板。", "no dimension shows a marked weakness.")))
    if q.get("report_ref"):
        s.paragraphs.append(L("第三方质量评价报告：", "Third-party quality report: ") + str(q["report_ref"]))


def _scenario(s: Section, a: Mapping[str, Any], f: _Fmt) -> None:
    L, miss = f.L, MISSING[0 if f.zh else 1]
    s.paragraphs.append(L("应用场景：", "Scenario: ") + str(a.get("scenario") or miss))
    s.paragraphs.append(L("地域限制：", "Regional restrictions: ") + str(a.get("region") or miss))
    s.paragraphs.append(L("领域与法律法规限制：", "Field and legal restrictions: ") + str(_g(a, "rights.scope") or miss)
                        + L("；使用类别：", "; use category: ") +
                        (enum_label(a["use_category"], f.lang, sentence=True) if a.get("use_category") else miss))


def _sources(s: Section, card: Mapping[str, Any], a: Mapping[str, Any], f: _Fmt) -> None:
    L = f.L
    src = []
    if _g(card, "income.discount.source"):
        src.append(L("折现率来源：", "Discount rate source: ") + str(_g(card, "income.discount.source")))
    for ln in (_g(card, "cost.lines") or []):
        if isinstance(ln, Mapping) and ln.get("source_doc"):
            src.append(L("成本凭证：", "Cost document: ") + str(ln["source_doc"]))
    s.paragraphs.extend(src or [L("信息来源：委托方提供的资产卡片与附件。",
                                  "Sources: the asset card and attachments provided by the client.")])
    ref = _g(a, "quality.report_ref")
    s.paragraphs.append(L("专家与专业报告：", "Experts and professional reports: ") +
                        (str(ref) if ref else MISSING[0 if f.zh else 1]))


def _methods(s: Section, result: Mapping[str, Any], standards: Any, f: _Fmt) -> None:
    L = f.L
    for m, d in (result.get("methods") or {}).items():
        lab = METHODS.get(m, (m, m))[0 if f.zh else 1]
        if d.get("applicable"):
            s.paragraphs.append(f"{lab}：" + L("适用，结果 ", "") + f.both(d.get("estimate")) if f.zh else
                                f"{lab}: applicable, result {f.both(d.get('estimate'))}.")
        else:
            s.paragraphs.append(f"{lab}：" + L("不适用——", "") + str(d.get("reason_zh") or "") if f.zh else
                                f"{lab}: not applicable — {d.get('reason_en') or ''}")
        trace = d.get("trace") or []
        if trace:
            s.tables.append(([L("步骤", "Step"), L("公式", "Formula"), L("输入", "Inputs"),
                              L("结果", "Value"), L("依据", "Basis")],
                             [[st.get("label_zh" if f.zh else "label_en") or formula_text(st.get("step"), f.lang),
                               formula_text(st.get("formula", ""), f.lang),
                               f.inputs(st.get("inputs") or {}, str(st.get("unit") or "")),
                               f.value("", st.get("value"), str(st.get("unit") or "")),
                               citation_list(st.get("clauses"), standards, f.lang)] for st in trace]))
    s.paragraphs.append(L("假设和限制条件见报告“评估假设和限制条件”一节。",
                          "The assumptions and limiting conditions are set out in their own section of this report."))


def _differences(s: Section, result: Mapping[str, Any], f: _Fmt) -> None:
    L = f.L
    est = result.get("estimate")
    rows = []
    for m, d in (result.get("methods") or {}).items():
        e = d.get("estimate") if d.get("applicable") else None
        diff = (e / est - 1) if (e is not None and est) else None
        rows.append([METHODS.get(m, (m, m))[0 if f.zh else 1], f.money(e, "wan"), F.percent(d.get("weight"), 1, f.lang),
                     (("+" if diff > 0 else "") + F.percent(diff, 1, f.lang)) if diff is not None else F.MISSING])
    s.tables.append(([L("方法", "Approach"), L("结果", "Result"), L("权重", "Weight"),
                      L("与结论差异", "Difference from conclusion")], rows))
    ex = result.get("explanation") or {}
    reason = ex.get("reason_zh" if f.zh else "reason_en")
    s.paragraphs.append(str(reason) if reason else
                        L("结论依据各方法的适用性与权重形成，未作机械平均（第二十四条）。",
                          "The conclusion follows from the applicability and weights of the approaches, "
                          "not a mechanical average (art. 24)."))
    drivers = [d for d in ex.get("drivers") or [] if isinstance(d, Mapping)]
    if drivers:
        s.paragraphs.append(L("影响结论的主要参数（单参数在其区间内变动时的结论变化）：",
                              "Main drivers (change of the result as one parameter moves over its range):"))
        s.tables.append(([L("方法", "Approach"), L("参数", "Parameter"), L("低值时", "At low"), L("高值时", "At high"),
                          L("变动幅度", "Swing")],
                         [[METHODS.get(str(d.get("method")), (d.get("method"),) * 2)[0 if f.zh else 1],
                           d.get("label_zh" if f.zh else "label_en") or formula_text(d.get("parameter"), f.lang),
                           f.money(d.get("value_at_low"), "wan"), f.money(d.get("value_at_high"), "wan"),
                           F.percent(d.get("swing_pct"), 1, f.lang)] for d in drivers[:6]]))


def _flags(s: Section, result: Mapping[str, Any], standards: Any, f: _Fmt) -> None:
    L = f.L
    flags = result.get("flags") or []
    if not flags:
        s.paragraphs.append(L("未触发风险标记。", "No risk flag raised."))
        return
    rows = []
    for fl in flags:
        sev = SEVERITY_LABELS.get(str(fl.get("severity")), (str(fl.get("severity")),) * 2)[0 if f.zh else 1]
        cits = fl.get("citations") or [{"id": r, **{k: citation(r, standards, k) for k in ("zh", "en")}}
                                       for r in fl.get("references") or []]
        rows.append([fl.get("title_zh" if f.zh else "title_en") or fl.get("title") or fl.get("code"), sev,
                     fl.get("message_zh" if f.zh else "message_en"),
                     ("；" if f.zh else "; ").join(dict.fromkeys(str(c.get("zh" if f.zh else "en")) for c in cits))])
    s.tables.append(([L("风险", "Flag"), L("级别", "Severity"), L("说明", "Message"), L("依据", "Basis")], rows))


def _conclusion(s: Section, card: Mapping[str, Any], result: Mapping[str, Any], f: _Fmt) -> None:
    L = f.L
    p = result.get("provenance") or {}
    eng = card.get("engagement") or {}
    cur = str(result.get("currency") or "CNY")
    s.tables.append(([L("项目", "Item"), L("内容", "Value")], [
        [L("评估结论", "Conclusion"), f.both(result.get("estimate")) if not F.is_missing(result.get("estimate"))
         else NO_CONCLUSION[0 if f.zh else 1]],
        [L("指导价区间", "Guided range"), f"{f.money(result.get('low'), 'wan')} – {f.money(result.get('high'), 'wan')}"],
        [L("区间覆盖率", "Coverage"), F.percent(result.get("coverage"), 0, f.lang)],
        [L("覆盖率依据与真实可比案例", "Coverage basis, real comparables"), "; ".join(x.strip() for x in evidence_lines(result.get("coverage_basis") or {}, result.get("n_real_comparables"), f.zh, lambda x: f.money(x, "wan")))],
        [L("币种", "Currency"), F.CURRENCY_ZH.get(cur, cur) if f.zh else cur],
        [L("评估基准日", "Valuation date"), F.date(p.get("valuation_date"), f.lang)],
        [L("评估目的", "Purpose"), enum_label(eng.get("purpose") or "other", f.lang)],
        [L("价值类型", "Value type"), enum_label(eng.get("value_type") or "market", f.lang)],
        [L("引擎版本", "Engine version"), str(p.get("engine_version") or F.MISSING)],
        [L("库快照", "Library snapshot"), str(p.get("library_snapshot") or F.MISSING)],
        [L("输入哈希", "Input hash"), str(p.get("input_hash") or F.MISSING)],
    ]))
    if not result.get("final", True):
        s.paragraphs.append(L("存在阻断性风险标记：本结果不得作为最终结论。",
                              "A blocker flag is present: this result may not be presented as final."))


def _frame(m: ReportModel, card: Mapping[str, Any], result: Mapping[str, Any], standards: Any, f: _Fmt) -> None:
    """Cover, summary in 万元, assumptions and limiting conditions, signature block."""
    L = f.L
    a, eng = card.get("asset") or {}, card.get("engagement") or {}
    p = result.get("provenance") or {}
    vd = F.date(p.get("valuation_date") or eng.get("valuation_date"), f.lang)
    m.cover = [(L("评估对象", "Appraised object"), m.subtitle),
               (L("委托方 / 持有主体", "Client / holder"), str(a.get("holder") or MISSING[0 if f.zh else 1])),
               (L("评估目的", "Purpose"), enum_label(eng.get("purpose") or "other", f.lang)),
               (L("价值类型", "Value type"), enum_label(eng.get("value_type") or "market", f.lang)),
               (L("评估基准日", "Valuation date"), vd),
               (L("报告日期", "Report date"), F.date(_dt.date.today(), f.lang)),
               (L("评估依据", "Standard"), citation("CAS2023.art3", standards, f.lang).split("第")[0]
                if f.zh else citation("CAS2023.art3", standards, f.lang).split(",")[0])]
    est = result.get("estimate")
    used = [METHODS[k][0 if f.zh else 1] for k, d in (result.get("methods") or {}).items()
            if k in METHODS and d.get("applicable") and (d.get("weight") or 0) > 0]
    if F.is_missing(est):
        m.summary = [f"经评估，{a.get('name', '')}（{a.get('asset_id', '')}）于评估基准日 {vd} {NO_CONCLUSION[0]}。"
                     if f.zh else f"For {a.get('name', '')} ({a.get('asset_id', '')}) at the valuation date {vd}, "
                     f"{NO_CONCLUSION[1]}."]
    elif f.zh:
        m.summary = [f"经评估，{a.get('name', '')}（{a.get('asset_id', '')}）于评估基准日 {vd} 的"
                     f"{enum_label(eng.get('value_type') or 'market', 'zh')}评估结论为 {f.money(est, 'wan')}"
                     f"（{f.money(est)}）。",
                     f"指导价区间为 {f.money(result.get('low'), 'wan')} 至 {f.money(result.get('high'), 'wan')}"
                     f"（覆盖率 {F.percent(result.get('coverage'), 0, 'zh')}）。",
                     "结论所依据的方法：" + ("、".join(used) or "—") + "；各方法结果的差异及结论理由见 C7，依据"
                     + citation("CAS2023.art24", standards, "zh") + "。"]
    else:
        m.summary = [f"The {enum_label(eng.get('value_type') or 'market', 'en', sentence=True)} of {a.get('name', '')} "
                     f"({a.get('asset_id', '')}) at the valuation date {vd} is appraised at {f.money(est, 'wan')} "
                     f"({f.money(est)}).",
                     f"Guided range {f.money(result.get('low'), 'wan')} to {f.money(result.get('high'), 'wan')} "
                     f"({F.percent(result.get('coverage'), 0, 'en')} coverage).",
                     "Approaches relied on: " + (", ".join(used) or "—") + "; differences and the reason for the "
                     "conclusion are in C7, as " + citation("CAS2023.art24", standards, "en") + " requires."]
    if not result.get("final", True):
        m.summary.append(L("存在阻断性风险标记：本结果不得作为最终结论。",
                           "A blocker flag is present: this result may not be presented as final."))
    m.assumptions = _assumptions(f, standards)
    m.signature = [(L("资产评估师（签名）", "Appraiser (signature)"), "____________________"),
                   (L("资产评估师（签名）", "Appraiser (signature)"), "____________________"),
                   (L("评估机构（盖章）", "Appraisal institution (seal)"), "____________________"),
                   (L("法定代表人或首席合伙人（签名）", "Legal representative / chief partner (signature)"),
                    "____________________"),
                   (L("日期", "Date"), "________年____月____日" if f.zh else "____-____-____")]
    m.labels = {"cover": L("封面", "Cover"), "summary": L("评估结论摘要", "Summary of the conclusion"),
                "assumptions": L("评估假设和限制条件", "Assumptions and limiting conditions"),
                "signature": L("签署", "Signatures"), "basis": L("依据", "Basis")}


def _assumptions(f: _Fmt, standards: Any) -> list[str]:
    art27 = citation("CAS2023.art27", standards, f.lang)
    if f.zh:
        return [f"依据{art27}，本报告披露以下评估假设和限制条件：",
                "1. 交易假设与公开市场假设：数据资产在评估基准日按其应用场景处于可交易或可使用状态。",
                "2. 持续使用假设：数据资产按评估基准日的用途、场景和权利状况持续使用。",
                "3. 评估结论以评估基准日的权利状况、应用场景和委托方提供的资料为前提；委托方对资料的真实性、完整性和合法性负责。",
                "4. 收益期不超过剩余权利期限，剩余权利期限之后不计终值。",
                "5. 未考虑评估基准日后发生的重大变化（包括法律法规、数据安全和市场环境的变化）。",
                "6. 评估结论仅用于本报告载明的评估目的，超出该目的使用无效；使用有效期原则上自评估基准日起一年。",
                "7. 带有“工程默认”标识的参数为本引擎的可配置默认值，并非准则规定，评估师应复核。"]
    return [f"As {art27} requires, this report discloses the following assumptions and limiting conditions:",
            "1. Transaction and open-market assumptions: the data asset can be traded or used in its scenario at "
            "the valuation date.",
            "2. Continued use: the asset continues in the use, scenario and rights of the valuation date.",
            "3. The conclusion rests on the rights, scenario and the client's information at the valuation date; "
            "the client answers for the truth, completeness and lawfulness of that information.",
            "4. The income period does not exceed the remaining rights term; no terminal value beyond it.",
            "5. Material changes after the valuation date (law, data security, markets) are not considered.",
            "6. The conclusion serves only the purpose stated in this report; it is valid, in principle, for one "
            "year from the valuation date.",
            "7. Parameters marked as engineering defaults are configurable defaults of this engine, not rules of "
            "the standards; the appraiser should review them."]
