"""Display labels of the codes the dashboard shows: the schema's enumerations
(:data:`valuation.core.schema.ENUMS`), flag severities, run and entry statuses, screening
options. Codes stay English identifiers in data; the reader sees these words
(a test checks that every enumeration value of the schema has both labels).
"""
from __future__ import annotations

from .i18n import lang

__all__ = ["ENUM_LABELS", "enum_label"]

ENUM_LABELS: dict[str, tuple[str, str]] = {
    # holder_type
    "enterprise": ("企业", "Enterprise"), "soe": ("国有企业", "State-owned enterprise"),
    "administrative": ("行政机关", "Administrative body"), "public_institution": ("事业单位", "Public institution"),
    # rights_type
    "holding": ("数据资源持有权", "Holding right"), "processing_use": ("数据加工使用权", "Processing and use right"),
    "product_operation": ("数据产品经营权", "Product operation right"),
    # exclusivity
    "exclusive": ("独占许可", "Exclusive"), "sole": ("排他许可", "Sole"), "non_exclusive": ("普通许可", "Non-exclusive"),
    # use_category
    "public_governance": ("公共治理", "Public governance"), "public_welfare": ("公益事业", "Public welfare"),
    "industry": ("产业发展", "Industry development"), "sector": ("行业发展", "Sector development"),
    # update_frequency
    "real-time": ("实时", "Real-time"), "daily": ("每日", "Daily"), "weekly": ("每周", "Weekly"),
    "monthly": ("每月", "Monthly"), "quarterly": ("每季度", "Quarterly"), "yearly": ("每年", "Yearly"),
    "irregular": ("不定期", "Irregular"), "no-update": ("不更新", "No update"),
    # rounding
    "exact": ("精确", "Exact"), "publication": ("教材口径", "Publication"),
    # purpose
    "transfer": ("转让", "Transfer"), "licensing": ("许可使用", "Licensing"), "financing": ("融资", "Financing"),
    "pledge": ("质押", "Pledge"), "accounting": ("财务报告", "Financial reporting"),
    "impairment_test": ("减值测试", "Impairment test"), "capital_contribution": ("出资", "Capital contribution"),
    "public_pricing": ("公共数据定价", "Public data pricing"), "internal_management": ("内部管理", "Internal management"),
    "other": ("其他", "Other"),
    # value_type
    "market": ("市场价值", "Market value"), "investment": ("投资价值", "Investment value"),
    "in_use": ("在用价值", "Value in use"), "liquidation": ("清算价值", "Liquidation value"),
    # benefit_type
    "economic": ("经济利益", "Economic benefit"), "service_potential": ("服务潜力", "Service potential"),
    "social": ("社会效益", "Social benefit"),
    # acquisition / recognised_as
    "original": ("原始取得", "Original"), "derived": ("继受取得", "Derived"),
    "intangible": ("无形资产", "Intangible asset"), "inventory": ("存货", "Inventory"), "none": ("未入表", "Not recognised"),
    # cost_category / cost_basis / cost_variant
    "preliminary": ("前期费用", "Preliminary"), "direct": ("直接成本", "Direct"), "indirect": ("间接成本", "Indirect"),
    "opportunity": ("机会成本", "Opportunity"), "taxes": ("相关税费", "Taxes"),
    "quality": ("质量", "Quality"), "life": ("剩余寿命", "Remaining life"), "combined": ("综合", "Combined"),
    "expert": ("专家打分", "Expert"), "given": ("给定", "Given"),
    "cas": ("指导意见模型", "CAS model"), "literature": ("文献模型", "Literature model"),
    # income_model (direct: see cost_category, same word)
    "split": ("分成", "Profit split"), "excess": ("超额收益", "Excess earnings"),
    "incremental": ("增量收益", "Incremental"), "royalty": ("许可费节省", "Relief from royalty"),
    "end": ("期末", "End of period"), "mid": ("期中", "Mid-period"),
    "pre_tax": ("税前", "Pre-tax"), "post_tax": ("税后", "Post-tax"),
    "equivalent_investment": ("约当投资分成", "Equivalent investment"), "marginal": ("边际分析", "Marginal analysis"),
    "build_up": ("累加法", "Build-up"), "wacc": ("加权平均资本成本", "WACC"),
    "working_capital": ("营运资金", "Working capital"), "fixed_assets": ("固定资产", "Fixed assets"),
    "workforce": ("人力资源", "Workforce"), "other_intangibles": ("其他无形资产", "Other intangibles"),
    "auto": ("自动", "Automatic"), "ets": ("指数平滑", "ETS"), "arima": ("ARIMA 模型", "ARIMA"),
    # price_mode / weighting / evidence_type / charge_unit / incremental_kind
    "one_off": ("一次性", "One-off"), "subscription_year": ("年订阅", "Yearly subscription"),
    "per_call": ("按次", "Per call"), "free": ("免费", "Free"), "negotiated": ("面议", "Negotiated"),
    "equal": ("等权", "Equal"), "inverse_adjustment": ("按调整幅度反比", "Inverse adjustment"),
    "transaction": ("成交", "Transaction"), "listing": ("挂牌", "Listing"), "appraisal": ("评估", "Appraisal"),
    "per_period": ("按期", "Per period"), "per_product": ("按产品", "Per product"), "per_volume": ("按量", "Per volume"),
    "revenue": ("增加收入", "Revenue"), "cost_saving": ("节约成本", "Cost saving"),
    # accounting (入表, issue 22)
    "own_use": ("自用", "Own use"), "sale": ("对外出售", "For sale"),
    "purchase": ("外购", "Purchased"), "self_developed": ("自行开发", "Self-developed"),
    "research": ("研究阶段", "Research"), "development": ("开发阶段", "Development"),
    "acquisition": ("取得", "Acquisition"), "straight_line": ("直线法", "Straight line"),
    "units": ("工作量法", "Units of production"), "months": ("按月", "Months"), "days": ("按日", "Days"),
    # flag severities
    "blocker": ("阻断", "Blocker"), "warning": ("警告", "Warning"), "info": ("提示", "Info"),
    # statuses (library entries, batch runs and rows)
    "active": ("生效", "Active"), "retired": ("已停用", "Retired"), "draft": ("草稿", "Draft"),
    "running": ("运行中", "Running"), "finished": ("已完成", "Finished"), "failed": ("失败", "Failed"),
    "valued": ("已估值", "Valued"), "ok": ("正常", "OK"), "rejected": ("已拒绝", "Rejected"),
    "screened": ("已筛选", "Screened"), "skipped": ("已跳过", "Skipped"),
    # the seed loader's author and note of library versions
    "seed": ("种子数据", "seed"),
    # batch screening
    "all": ("全部", "All"), "high-premium": ("高溢价", "High premium"), "high-impairment": ("高减值", "High impairment"),
    # public pricing sources
    "computed": ("计算", "Computed"), "cap": ("上限", "Cap"),
    # values named in traces
    "comparable_dispersion": ("可比案例离散度", "Dispersion of comparables"),
    "dimensions": ("维度评分", "Dimension scores"), "explicit": ("卡片给定", "Given on the card"),
    "hedonic_prediction_interval": ("特征价格模型预测区间", "Hedonic prediction interval"),
    "library": ("案例库", "Case library"), "estimate": ("评估值", "Estimate"),
    "down": ("向下取整", "Round down"), "up": ("向上取整", "Round up"),
    "comparables given on the card": ("卡片给定的可比案例", "comparables given on the card"), "periods": ("预测期", "Forecast periods"),
    # approaches
    "cost": ("成本法", "Cost approach"), "income": ("收益法", "Income approach"),
}


#: the same code read differently in one enumeration
BY_ENUM: dict[str, dict[str, tuple[str, str]]] = {
    "income_model": {"direct": ("直接收益", "Direct income")},
}


def enum_label(code: object, language: str | None = None, enum: str | None = None) -> str:
    """The reader's word for ``code`` (of the schema enumeration ``enum`` when given); an
    unknown code is returned as it is (and the untranslated-text test catches it)."""
    pair = BY_ENUM.get(enum or "", {}).get(str(code)) or ENUM_LABELS.get(str(code))
    if pair is None:
        return str(code)
    return pair[1] if (language or lang()) == "en" else pair[0]


_PUNCT_EN = {"（": " (", "）": ")", "，": ", ", "：": ": ", "；": "; ", "、": ", "}


def formula_text(formula: str, language: str | None = None) -> str:
    """A trace formula in the reader's language (the approaches write it once, in Chinese)."""
    from .i18n_pages import FORMULA_WORDS_EN, FORMULAS_ZH

    if (language or lang()) != "en" or not formula:
        return FORMULAS_ZH.get(formula, formula)

    out = formula
    for zh in sorted(FORMULA_WORDS_EN, key=len, reverse=True):
        out = out.replace(zh, FORMULA_WORDS_EN[zh])
    for zh, en in _PUNCT_EN.items():
        out = out.replace(zh, en)
    return " ".join(out.split())

