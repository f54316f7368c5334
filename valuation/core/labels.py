"""The one catalogue of words for enum codes, in Chinese and English, read by every face
(the dashboard's :mod:`valuation.ui.labels`, the reports' :mod:`valuation.report.labels`).

Codes stay English identifiers in data; a reader sees these words. One word per code, in the
formal register of a signed report (a method is named as a method: 收益分成法, not 分成); a
code that reads differently in one schema enumeration has its word in :data:`BY_ENUM`
(``direct`` is an income model and a cost category; ``none`` under ``recognised_as`` means not
recognised in the books). English words are capitalised as a cell or an option shows them;
:func:`enum_label` with ``sentence=True`` gives the form that stands inside a sentence.
Every value of the schema's enumerations (:data:`valuation.core.schema.ENUMS`) has both words
(``tests/core/test_labels.py``).
"""
from __future__ import annotations

from typing import Any

__all__ = ["BY_ENUM", "ENUM_LABELS", "enum_label"]

ENUM_LABELS: dict[str, tuple[str, str]] = {
    # holder_type
    "enterprise": ("企业", "Enterprise"), "soe": ("国有企业", "State-owned enterprise"),
    "administrative": ("行政单位", "Administrative unit"), "public_institution": ("事业单位", "Public institution"),
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
    "irregular": ("不定期", "Irregular"), "no-update": ("不更新", "Not updated"),
    # rounding
    "exact": ("精确", "Exact"), "publication": ("教材口径舍入", "Publication rounding"),
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
    "intangible": ("无形资产", "Intangible asset"), "inventory": ("存货", "Inventory"),  # none: see BY_ENUM
    # cost_category (direct: see BY_ENUM) / cost_basis / cost_variant
    "preliminary": ("前期费用", "Preliminary"), "indirect": ("间接成本", "Indirect"),
    "opportunity": ("机会成本", "Opportunity"), "taxes": ("相关税费", "Taxes"),
    "quality": ("质量法", "Quality"), "life": ("剩余经济寿命法", "Remaining economic life"),
    "combined": ("质量与寿命综合", "Quality and life combined"),
    "expert": ("专家评价法", "Expert assessment"), "given": ("给定", "Given"),
    "cas": ("指导意见模型", "CAS model"), "literature": ("文献模型", "Literature model"),
    # income_model (direct: also a cost_category, see BY_ENUM)
    "direct": ("直接收益法", "Direct income"), "split": ("收益分成法", "Profit split"),
    "excess": ("超额收益法", "Excess earnings"),
    "incremental": ("增量收益法", "Incremental income"), "royalty": ("许可费节省法", "Relief from royalty"),
    "end": ("期末", "End of period"), "mid": ("期中", "Mid-period"),
    "pre_tax": ("税前", "Pre-tax"), "post_tax": ("税后", "Post-tax"),
    "equivalent_investment": ("约当投资分成", "Equivalent investment"), "marginal": ("边际分析", "Marginal analysis"),
    "build_up": ("累加法", "Build-up"), "wacc": ("加权平均资本成本", "WACC"),
    "working_capital": ("营运资金", "Working capital"), "fixed_assets": ("固定资产", "Fixed assets"),
    "workforce": ("人力资源", "Workforce"), "other_intangibles": ("其他无形资产", "Other intangibles"),
    "auto": ("自动", "Automatic"), "ets": ("指数平滑", "ETS"), "arima": ("ARIMA 模型", "ARIMA"),
    # price_mode / weighting / evidence_type / charge_unit / incremental_kind
    "one_off": ("一次性", "One-off"), "subscription_year": ("年度订阅", "Yearly subscription"),
    "per_call": ("按次", "Per call"), "free": ("免费", "Free"), "negotiated": ("协商定价", "Negotiated"),
    "equal": ("等权", "Equal"), "none": ("无", "None"), "inverse_adjustment": ("按修正幅度倒数", "Inverse adjustment"),
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
    "dimensions": ("按维度评分", "Dimension scores"), "explicit": ("卡片给定", "Given on the card"),
    "hedonic_prediction_interval": ("特征价格模型预测区间", "Hedonic prediction interval"),
    "library": ("案例库", "Case library"), "card": ("卡片", "Card"), "estimate": ("评估值", "Estimate"),
    "indicators": ("按指标评分", "Indicator scores"),
    "down": ("向下取整", "Round down"), "up": ("向上取整", "Round up"),
    "comparables given on the card": ("卡片给定的可比案例", "comparables given on the card"), "periods": ("预测期", "Forecast periods"),
    # approaches
    "cost": ("成本法", "Cost approach"), "income": ("收益法", "Income approach"),
}


#: the same code read differently in one enumeration
BY_ENUM: dict[str, dict[str, tuple[str, str]]] = {
    "cost_category": {"direct": ("直接成本", "Direct cost")},
    "income_model": {"direct": ("直接收益法", "Direct income")},
    "recognised_as": {"none": ("未入表", "Not recognised")},
}

#: English words that keep their capitals inside a sentence (acronyms, names)
_KEEP_CASE = ("WACC", "CAS", "ETS", "ARIMA", "OK")


def enum_label(code: Any, lang: str = "zh", enum: str | None = None, *, sentence: bool = False) -> str:
    """The reader's word for ``code`` (of the schema enumeration ``enum`` when given).

    Parameters
    ----------
    code : the enum code; ``None`` gives "—", and a value that is no code is returned as it is.
    lang : ``"zh"`` (default) or ``"en"``.
    enum : the schema enumeration the code belongs to, for codes read differently by enumeration.
    sentence : English inside a sentence ("the market value of …"): the first letter in lower
        case unless the word starts with an acronym.
    """
    if code is None:
        return "—"
    pair = BY_ENUM.get(enum or "", {}).get(str(code)) or ENUM_LABELS.get(str(code))
    if pair is None:
        return str(code)
    if lang != "en":
        return pair[0]
    word = pair[1]
    if sentence and word and not word.startswith(_KEEP_CASE):
        word = word[0].lower() + word[1:]
    return word
