"""The calculation sheets of the working papers: cost, income, market and reconciliation, laid
out as input cells and Excel formulas, so a reviewer can change a rate or an amount and see the
value move (Excel or LibreOffice recompute; ``tests/report/test_xlsx_formulas.py`` recomputes
them with the ``formulas`` engine and compares with the engine's values).

The formulas are those of the engine (``docs/DOMAIN.md`` §3–§5, CAS 2023 arts. 21–24 and the
annex models):

* cost: C = (前期 + 直接 + 间接 + 机会成本) × (1 + 合理利润率) + 相关税费; OC = r × (前期 + 直接 +
  间接) when the card gives a rate; Q = Σ w_j s_j (rounded in publication mode); δ_q = Q / Q_基准;
  δ_life = n_r / (n_u + n_r); δ by basis; P = C × δ;
* income: i = the build-up components' sum (2-dp-in-% rounding in publication mode);
  v_t = (1 + i)^(−τ_t) (4 dp in publication mode); P = Σ w_t F_t v_t + terminal PV;
* market: P_i = Q_i × X1 × … × X5, P = Σ w_i P_i;
* reconciliation: conclusion = Σ w_m P_m (+ the engine's later adjustment, shown as its own row).

Where the engine used a basis these sheets do not lay out as formulas (an expert δ, a WACC rate,
the hedonic model's prediction, the income streams' own models), the engine's figure is an
input cell and the row says so.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..core.citations import citation_list
from .labels import input_label

MONEY = '#,##0.00'
RATE = '0.00%'
FACTOR = '0.000000'
SCORE = '0.00'
YEARS = '0.00'


class Formula(str):
    """An Excel formula written by this module (never user text): not neutralised."""


def _num(x: Any) -> float | None:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return v if v == v and abs(v) != float("inf") else None


def _steps(d: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    return {str(s.get("step")): s for s in d.get("trace") or []}


class Paper:
    """Rows of ``label | value | unit | formula | clauses`` on one worksheet; remembers the cell
    of each keyed value so later formulas can point at it."""

    def __init__(self, ws: Any, lang: str, standards: Mapping[str, Any] | None, safe: Any):
        self.ws, self.lang, self.standards, self.safe = ws, lang, standards, safe
        self.ref: dict[str, str] = {}
        self.zh = lang != "en"

    def L(self, zh: str, en: str) -> str:
        return zh if self.zh else en

    def text(self, *values: Any, bold: bool = False) -> int:
        self.ws.append([self.safe(v) for v in values])
        r = self.ws.max_row
        if bold:
            from openpyxl.styles import Font
            for c in self.ws[r]:
                c.font = Font(bold=True)
        return r

    def header(self) -> None:
        self.text(self.L("项目", "Item"), self.L("数值", "Value"), self.L("单位", "Unit"),
                  self.L("公式", "Formula"), self.L("依据", "Basis"), bold=True)

    def line(self, key: str, label: str, value: Any, fmt: str = MONEY, unit: str = "",
             formula_text: str = "", clauses: Any = (), note: str = "") -> str:
        """Append a row; ``value`` is a number (an input cell) or a :class:`Formula`."""
        cite = citation_list(clauses, self.standards, self.lang) if clauses else ""
        row = [label, value if isinstance(value, Formula) else _num(value), unit,
               formula_text, cite + (("；" if self.zh else "; ") + note if cite and note else note)]
        self.ws.append([v if isinstance(v, Formula) or not isinstance(v, str) else self.safe(v)
                        for v in row])
        r = self.ws.max_row
        self.ws.cell(row=r, column=2).number_format = fmt
        ref = f"B{r}"
        self.ref[key] = ref
        return ref


def cost_sheet(p: Paper, d: Mapping[str, Any], cur: str) -> str | None:
    """Cost approach; returns the cell of P (or None when not applicable)."""
    det = d.get("details") or {}
    st = _steps(d)
    if not d.get("applicable") or det.get("model") not in (None, "cas") or "replacement_cost" not in st:
        p.text(p.L("成本法不适用或未采用 CAS 模型：", "Cost approach not applicable or not the CAS model: ")
               + str(d.get("reason_zh" if p.zh else "reason_en") or ""))
        if d.get("applicable"):
            return p.line("P", p.L("成本法评估值（引擎）", "Cost approach value (engine)"), d.get("estimate"),
                          unit=cur)
        return None
    p.header()
    clauses = ["CAS2023.art22", "CAS2023.annex.cost"]
    for k, zh, en in (("cost_preliminary", "前期费用", "Preliminary cost"), ("cost_direct", "直接成本", "Direct cost"),
                      ("cost_indirect", "间接成本", "Indirect cost")):
        p.line(k, p.L(zh, en), det.get(k), unit=cur, clauses=["CAS2023.art22"],
               note=p.L("输入", "input"))
    opp = st.get("cost_opportunity") or {}
    r = (opp.get("inputs") or {}).get("r")
    if _num(r) is not None:
        rr = p.line("opp_rate", p.L("机会成本率 r", "Opportunity cost rate r"), r, RATE, clauses=["CAS2023.art22"])
        p.line("cost_opportunity", p.L("机会成本", "Opportunity cost"),
               Formula(f"={rr}*({p.ref['cost_preliminary']}+{p.ref['cost_direct']}+{p.ref['cost_indirect']})"),
               unit=cur, formula_text="OC = r × (前期 + 直接 + 间接)" if p.zh else "OC = r × (prelim. + direct + indirect)")
    else:
        p.line("cost_opportunity", p.L("机会成本", "Opportunity cost"), det.get("cost_opportunity"), unit=cur)
    p.line("cost_taxes", p.L("相关税费", "Related taxes"), det.get("cost_taxes"), unit=cur)
    p.line("profit", p.L("合理利润率", "Reasonable profit rate"), det.get("profit_rate") or 0.0, RATE)
    R = p.ref
    c = p.line("C", p.L("重置成本 C", "Replacement cost C"),
               Formula(f"=({R['cost_preliminary']}+{R['cost_direct']}+{R['cost_indirect']}+{R['cost_opportunity']})"
                       f"*(1+{R['profit']})+{R['cost_taxes']}"), unit=cur,
               formula_text=p.L("C = (前期+直接+间接+机会成本) × (1+利润率) + 税费",
                                "C = (prelim.+direct+indirect+opportunity) × (1+profit) + taxes"), clauses=clauses)
    dq = _delta_quality(p, st, det)
    dl = _delta_life(p, st)
    basis = str(det.get("delta_basis") or "")
    if basis == "combined" and dq and dl:
        delta = Formula(f"={dq}*{dl}")
    elif basis == "quality" and dq:
        delta = Formula(f"={dq}")
    elif basis == "life" and dl:
        delta = Formula(f"={dl}")
    elif basis == "expert" and (de := _delta_expert(p, st)):
        delta = Formula(f"={de}")
    else:
        delta = det.get("delta")
    dref = p.line("delta", p.L("价值调整系数 δ", "Value adjustment coefficient δ"), delta, FACTOR,
                  formula_text=f"δ ({basis})", clauses=clauses)
    return p.line("P", p.L("成本法评估值 P", "Cost approach value P"), Formula(f"={c}*{dref}"), unit=cur,
                  formula_text="P = C × δ", clauses=clauses)


def _delta_quality(p: Paper, st: Mapping[str, Any], det: Mapping[str, Any]) -> str | None:
    qs, qw, dq = st.get("quality_score"), st.get("quality_weights"), st.get("delta_quality")
    if not dq:
        return None
    qi = (qs or {}).get("inputs") or {}
    wi = (qw or {}).get("inputs") or {}
    dims = [k for k in wi if _num(qi.get(k)) is not None and _num(wi.get(k)) is not None]
    if qi.get("basis") == "dimensions" and dims and len(dims) == len(wi):
        p.text(p.L("质量维度", "Quality dimension"), p.L("得分 s_j", "Score s_j"), p.L("权重 w_j", "Weight w_j"),
               bold=True)
        first = p.ws.max_row + 1
        for k in dims:
            p.ws.append([p.safe(input_label(k, p.lang)), float(qi[k]), float(wi[k])])
            p.ws.cell(row=p.ws.max_row, column=2).number_format = SCORE
            p.ws.cell(row=p.ws.max_row, column=3).number_format = FACTOR
        last = p.ws.max_row
        expr = f"SUMPRODUCT(B{first}:B{last},C{first}:C{last})"
        if qi.get("rounding") == "publication":
            dec = 2
            note = (qs or {}).get("note_en") or ""
            for tok in note.split():
                if tok.isdigit():
                    dec = int(tok)
            expr = f"ROUND({expr},{dec})"
        q = p.line("Q", p.L("数据质量综合得分 Q", "Composite quality score Q"), Formula("=" + expr), SCORE,
                   formula_text="Q = Σ w_j × s_j", clauses=["GBT36344", "CAS2023.art17"])
    else:
        q = p.line("Q", p.L("数据质量综合得分 Q", "Composite quality score Q"), det.get("quality_score"), SCORE,
                   clauses=["GBT36344", "CAS2023.art17"], note=p.L("引擎值", "engine figure"))
    bench = ((dq.get("inputs") or {}).get("Q_benchmark"))
    b = p.line("Q_bench", p.L("质量基准 Q_基准", "Quality benchmark"), bench if _num(bench) else 100.0, SCORE)
    return p.line("delta_q", p.L("质量调整系数 δ_q", "Quality coefficient δ_q"), Formula(f"={q}/{b}"), FACTOR,
                  formula_text="δ_q = Q / Q_基准" if p.zh else "δ_q = Q / Q_benchmark", clauses=["CAS2023.art22"])


def _delta_expert(p: Paper, st: Mapping[str, Any]) -> str | None:
    """δ = 1 − (功能性贬值率 + 经济性贬值率) (专家评价法); a missing rate counts as 0."""
    i = (st.get("delta_expert") or {}).get("inputs") or {}
    if _num(i.get("d_func")) is None and _num(i.get("d_econ")) is None:
        return None
    f = p.line("d_func", p.L("功能性贬值率", "Functional obsolescence"), _num(i.get("d_func")) or 0.0, RATE)
    e = p.line("d_econ", p.L("经济性贬值率", "Economic obsolescence"), _num(i.get("d_econ")) or 0.0, RATE)
    return p.line("delta_expert", p.L("专家评价系数", "Expert coefficient"), Formula(f"=1-({f}+{e})"), FACTOR,
                  formula_text="δ = 1 − (d_func + d_econ)", clauses=["CAS2023.art22"])


def _delta_life(p: Paper, st: Mapping[str, Any]) -> str | None:
    dl = st.get("delta_life")
    if not dl:
        return None
    i = dl.get("inputs") or {}
    if _num(i.get("n_u")) is None or _num(i.get("n_r")) is None:
        return None
    nu = p.line("n_u", p.L("已使用年限 n_u", "Years used n_u"), i["n_u"], YEARS, p.L("年", "years"))
    nr = p.line("n_r", p.L("剩余经济寿命 n_r", "Remaining life n_r"), i["n_r"], YEARS, p.L("年", "years"))
    return p.line("delta_life", p.L("剩余经济寿命系数 δ_life", "Remaining-life coefficient δ_life"),
                  Formula(f"={nr}/({nu}+{nr})"), FACTOR, formula_text="δ_life = n_r / (n_u + n_r)",
                  clauses=["CAS2023.art22"])


def income_sheet(p: Paper, d: Mapping[str, Any], cur: str, pub: bool = False) -> str | None:
    """Income approach: rate from its components, one row per period, P = Σ w_t F_t v_t.
    ``pub``: the engagement's publication rounding (rate 2 dp in %, factors 4 dp)."""
    det = d.get("details") or {}
    st = _steps(d)
    disc = st.get("discount")
    if not d.get("applicable") or not disc:
        p.text(p.L("收益法不适用：", "Income approach not applicable: ") +
               str(d.get("reason_zh" if p.zh else "reason_en") or ""))
        return None
    p.header()
    rate = st.get("discount_rate") or {}
    ri = rate.get("inputs") or {}
    comps = {k: v.get("value") for k, v in ri.items() if isinstance(v, Mapping) and _num(v.get("value")) is not None}
    if det.get("discount_method") == "build_up" and comps:
        refs = [p.line(f"rate_{k}", p.L("折现率分项：", "Rate component: ") + input_label(str(k), p.lang), v, RATE,
                       clauses=["CAS2023.annex.income"]) for k, v in comps.items()]
        expr = "+".join(refs)
        i = p.line("i", p.L("折现率 i", "Discount rate i"),
                   Formula(f"=ROUND(({expr})*100,2)/100" if pub else f"={expr}"), RATE,
                   formula_text=p.L("i = 无风险利率 + 各项风险溢价", "i = risk-free rate + risk premia"),
                   clauses=["CAS2023.annex.income", "CAS2023.art21"])
    else:
        i = p.line("i", p.L("折现率 i", "Discount rate i"), det.get("discount_rate"), RATE,
                   clauses=["CAS2023.annex.income"], note=p.L("输入", "input"))
    di = disc.get("inputs") or {}
    tau, flows = list(di.get("tau") or []), list(di.get("flows") or [])
    weights = list(((st.get("life") or {}).get("inputs") or {}).get("weights") or [1.0] * len(tau))
    p.text()
    p.text(p.L("期间 t", "Period t"), p.L("折现期 τ_t", "Discount time τ_t"), p.L("收益 F_t", "Income F_t"),
           p.L("期间权重 w_t", "Period weight w_t"), p.L("折现系数 v_t", "Factor v_t"),
           p.L("现值 w_t F_t v_t", "PV w_t F_t v_t"), bold=True)
    first = p.ws.max_row + 1
    for t, (tt, f) in enumerate(zip(tau, flows), start=1):
        r = p.ws.max_row + 1
        w = weights[t - 1] if t - 1 < len(weights) else 1.0
        v = f"(1+{i})^(-B{r})"
        p.ws.append([t, _num(tt), _num(f), _num(w), Formula(f"=ROUND({v},4)" if pub else f"={v}"),
                     Formula(f"=D{r}*C{r}*E{r}")])
        for col, fmt in ((2, YEARS), (3, MONEY), (4, FACTOR), (5, FACTOR), (6, MONEY)):
            p.ws.cell(row=r, column=col).number_format = fmt
    last = p.ws.max_row
    p.text()
    p.header()
    pv = p.line("pv_explicit", p.L("明确预测期现值合计", "PV of the explicit periods"),
                Formula(f"=SUM(F{first}:F{last})"), unit=cur, formula_text="Σ w_t F_t v_t",
                clauses=["CAS2023.annex.income"])
    term = p.line("pv_terminal", p.L("终值现值", "PV of the terminal value"), det.get("pv_terminal") or 0.0,
                  unit=cur, note=p.L("引擎值（收益期不超过剩余权利期限）", "engine figure (no value beyond the rights term)"))
    return p.line("P", p.L("收益法评估值 P", "Income approach value P"), Formula(f"={pv}+{term}"), unit=cur,
                  formula_text="P = Σ w_t F_t / (1 + i)^τ_t + TV", clauses=["CAS2023.art21", "CAS2023.annex.income"])


def market_sheet(p: Paper, d: Mapping[str, Any], cur: str) -> str | None:
    """Market approach: each comparable's adjusted price P_i = Q_i × X1…X5, P = Σ w_i P_i."""
    det = d.get("details") or {}
    if not d.get("applicable"):
        p.text(p.L("市场法不适用：", "Market approach not applicable: ") +
               str(d.get("reason_zh" if p.zh else "reason_en") or ""))
        return None
    comps = [s for s in d.get("trace") or [] if str(s.get("step", "")).startswith("comparable_")]
    p.text(p.L("案例", "Case"), p.L("成交价 Q_i", "Price Q_i"), "X1", "X2", "X3", "X4", "X5",
           p.L("权重 w_i", "Weight w_i"), p.L("修正后价格 P_i", "Adjusted price P_i"), bold=True)
    first = p.ws.max_row + 1
    for s in comps:
        i = s.get("inputs") or {}
        r = p.ws.max_row + 1
        p.ws.append([p.safe(str(s["step"])[len("comparable_"):]), _num(i.get("Q_i")),
                     *[_num(i.get(k)) for k in ("X1", "X2", "X3", "X4", "X5")], _num(i.get("weight")),
                     Formula(f"=B{r}*C{r}*D{r}*E{r}*F{r}*G{r}")])
        for col in range(2, 10):
            p.ws.cell(row=r, column=col).number_format = MONEY if col in (2, 9) else FACTOR
    last = p.ws.max_row
    p.text()
    p.header()
    grid = None
    if comps:
        grid = p.line("grid", p.L("比较法（因素修正）结果", "Sales comparison (adjustment grid)"),
                      Formula(f"=SUMPRODUCT(H{first}:H{last},I{first}:I{last})"), unit=cur,
                      formula_text="P = Σ w_i × P_i", clauses=["CAS2023.art23", "CAS2023.annex.market"])
    g, est = _num(det.get("grid_estimate")), _num(d.get("estimate"))
    if grid and g is not None and est is not None and abs(g - est) <= 1e-9 * max(1.0, abs(est)):
        return p.line("P", p.L("市场法评估值 P", "Market approach value P"), Formula(f"={grid}"), unit=cur,
                      clauses=["CAS2023.art23"])
    return p.line("P", p.L("市场法评估值 P（特征价格模型）", "Market approach value P (hedonic model)"), est,
                  unit=cur, note=p.L("引擎值：案例库特征价格回归的预测", "engine figure: prediction of the hedonic "
                                     "regression on the case library"), clauses=["CAS2023.art23"])


def reconcile_sheet(p: Paper, result: Mapping[str, Any], cells: Mapping[str, str | None],
                    sheet_names: Mapping[str, str], labels: Mapping[str, str], cur: str,
                    no_conclusion: str = "") -> str | None:
    """Conclusion = Σ w_m × P_m over the approaches, each P_m linked to its own sheet; its cell,
    or None for a result without an estimate (``no_conclusion`` is written instead)."""
    p.text(p.L("方法", "Approach"), p.L("评估值", "Value"), p.L("权重", "Weight"), p.L("加权值", "Weighted"), bold=True)
    first = p.ws.max_row + 1
    for m, d in (result.get("methods") or {}).items():
        r = p.ws.max_row + 1
        ref = cells.get(m)
        val: Any = Formula(f"='{sheet_names[m]}'!{ref}") if ref else None
        w = _num(d.get("weight")) or 0.0
        p.ws.append([p.safe(labels.get(m, m)), val, w, Formula(f"=B{r}*C{r}")])
        for col, fmt in ((2, MONEY), (3, RATE), (4, MONEY)):
            p.ws.cell(row=r, column=col).number_format = fmt
    last = p.ws.max_row
    p.text()
    p.header()
    ws = p.line("weighted", p.L("加权结果 Σ w_m P_m", "Weighted result Σ w_m P_m"),
                Formula(f"=SUM(D{first}:D{last})"), unit=cur, clauses=["CAS2023.art24"])
    weighted = sum((_num(d.get("estimate")) or 0.0) * (_num(d.get("weight")) or 0.0)
                   for d in (result.get("methods") or {}).values())
    est = _num(result.get("estimate"))
    adj = 0.0 if est is None else est - weighted
    if abs(adj) <= 1e-9 * max(1.0, abs(est or 0.0)):
        adj = 0.0
    a = p.line("adjust", p.L("其他调整（如发改价格〔2025〕65号上限）", "Other adjustment (e.g. the NDRC [2025] No. 65 cap)"), adj,
               unit=cur, note=p.L("引擎值：结论与加权结果之差", "engine figure: conclusion less weighted result"))
    if est is None:         # no estimate: said in words, not Σ of empty values (a formula worth 0)
        p.ws.append([p.safe(p.L("评估结论", "Conclusion")), p.safe(no_conclusion)])
        return None
    return p.line("conclusion", p.L("评估结论", "Conclusion"), Formula(f"={ws}+{a}"), unit=cur,
                  formula_text=p.L("结论 = Σ w_m P_m + 调整", "conclusion = Σ w_m P_m + adjustment"),
                  clauses=["CAS2023.art24"])
