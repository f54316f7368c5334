"""The ONE table of fields of the interchange format (docs/INTERCHANGE.md).

Every face derives from this table: validation of JSON cards and of portfolio tables
(:mod:`valuation.core.validate`), the JSON Schema export (:func:`json_schema`), blank
portfolio templates (:mod:`valuation.core.template`) and the dashboard's form labels.

Field kinds
-----------
``str``, ``int``, ``number``, ``bool``, ``date`` (ISO ``YYYY-MM-DD``), ``enum``,
``stream`` (a list of per-period amounts, or ``{"base", "growth", "terminal_growth"}``),
``records`` (a list of objects whose fields are the rows whose path starts ``path[].``),
``matrix`` (list of lists of numbers), ``list_str``, ``list_number``.
Objects are implied by dotted paths (``asset.rights.type`` lives in object ``asset.rights``).

The pieces: :mod:`valuation.core.field` (the :class:`Field` row, enumerations, list limits),
this module (the table and its lookups), :mod:`valuation.core.schema_json` (JSON Schema).

Two documents share the table: the appraisal request (``doc="card"``) and the public-data
product of 发改价格〔2025〕65号 (``doc="product"``).
"""
from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from typing import Any

from .field import (  # noqa: F401
    _LIST_KINDS,
    BATCH_MAX_CARDS,
    BATCH_MAX_FORECASTS,
    DEFAULT_MAX_ITEMS,
    ENUMS,
    MAX_ITEMS,
    SECTIONS,
    STREAM_KEYS,
    F,
    Field,
    _num,
    column_of,
)

__all__ = ["Field", "FIELDS", "fields_for", "field_by_path", "column_of", "json_schema",
           "ENUMS", "object_paths", "STREAM_KEYS", "MAX_ITEMS", "DEFAULT_MAX_ITEMS",
           "BATCH_MAX_CARDS", "BATCH_MAX_FORECASTS"]

_PCT = dict(minimum=0.0, maximum=1.0, unit="ratio")
_MONEY = dict(minimum=0.0, unit="currency")

FIELDS: tuple[Field, ...] = (
    # ---------------------------------------------------------------- asset: basic information
    F("asset.asset_id", "str", "资产编号", "Asset ID", "资产唯一编号，仅字母、数字和 . _ : -",
      "Unique id: letters, digits and . _ : -", required=True, nullable=False,
      pattern=r"^[A-Za-z0-9._:\-]{1,64}$"),
    F("asset.name", "str", "资产名称", "Name", "数据资产名称（指导意见第十二条 信息属性）",
      "Name of the data asset (art. 12, information attributes)", required=True, nullable=False),
    F("asset.description", "str", "资产描述", "Description"),
    F("asset.holder", "str", "持有主体", "Holder", "合法拥有或控制该数据资产的主体", "Entity that lawfully holds or controls the asset"),
    F("asset.holder_type", "enum", "主体类型", "Holder type",
      "企业、国有企业、行政单位、事业单位（财资〔2024〕1号）", "enterprise, SOE, administrative unit, public institution",
      enum="holder_type", default="enterprise"),
    F("asset.category", "str", "数据类别", "Category", "数据产品类别（用于可比案例筛选）", "Product category (used to select comparables)"),
    F("asset.industry", "str", "所属行业", "Industry"),
    F("asset.region", "str", "覆盖地域", "Region"),
    F("asset.scenario", "str", "应用场景", "Application scenario", "评估所依据的应用场景（第十八条）", "Scenario valued (art. 18)"),
    F("asset.records", "int", "记录数", "Records", "数据规模：记录条数", "Scale: number of records", minimum=0, unit="records"),
    F("asset.fields", "int", "字段数", "Fields", "数据规模：字段个数", "Scale: number of fields", minimum=0, unit="fields"),
    F("asset.size_bytes", "int", "数据量（字节）", "Size (bytes)", minimum=0, unit="bytes"),
    F("asset.update_frequency", "enum", "更新频率", "Update frequency", enum="update_frequency"),
    F("asset.public_data", "bool", "是否公共数据", "Public data", default=False),
    F("asset.use_category", "enum", "使用类别", "Use category",
      "公共治理、公益事业（无偿）；产业发展、行业发展（有偿）", "public governance / welfare (free); industry / sector (paid)",
      enum="use_category"),
    F("asset.benefit_type", "enum", "效益类型", "Benefit type", "经济利益、管理服务潜力、社会效益", "economic, service potential, social",
      enum="benefit_type", default="economic"),
    F("asset.book_value", "number", "账面价值", "Book value", "用于计算增值率/减值率", "Used for premium and impairment ratios", **_MONEY),
    F("asset.recognised_as", "enum", "会计确认", "Recognised as", "无形资产、存货或未入表（财会〔2023〕11号）",
      "intangible asset, inventory or not recognised", enum="recognised_as"),
    F("asset.impairment_indicators", "list_str", "减值迹象", "Impairment indicators",
      "企业会计准则第8号所列减值迹象（如授权到期、时效性丧失）", "CAS 8 impairment indicators present (e.g. authorisation lost)"),
    F("asset.previous_value", "number", "上次评估值", "Previous value", **_MONEY),
    F("asset.previous_valuation_date", "date", "上次评估基准日", "Previous valuation date"),
    F("asset.pledged", "bool", "是否已质押/担保", "Pledged", "是否用于质押融资或担保", "Used as collateral or guarantee", default=False),
    F("asset.fiscal_revenue", "bool", "是否计入财政收入", "Booked as fiscal revenue",
      "授权收入是否作为财政收入（财资〔2024〕1号 严禁虚增财政收入）", "Whether licence income is booked as fiscal revenue", default=False),
    # ---------------------------------------------------------------- rights (三权分置)
    F("asset.rights.type", "enum", "权利类型", "Rights type",
      "数据资源持有权、数据加工使用权、数据产品经营权（第十四条）", "holding, processing & use, product operation (art. 14)",
      enum="rights_type"),
    F("asset.rights.exclusivity", "enum", "许可方式", "Exclusivity", "独占、排他、普通许可", "exclusive, sole, non-exclusive",
      enum="exclusivity"),
    F("asset.rights.grantor", "str", "授权主体", "Grantor"),
    F("asset.rights.scope", "str", "权利范围", "Scope"),
    F("asset.rights.term_start", "date", "权利起始日", "Rights term start"),
    F("asset.rights.term_end", "date", "权利终止日", "Rights term end", "收益期不得超过剩余权利期限", "The income period may not exceed the remaining rights term"),
    F("asset.rights.acquisition", "enum", "取得方式", "Acquisition", "原始取得、继受取得", "original or derived", enum="acquisition"),
    F("asset.rights.renewal_documented", "bool", "续期有据", "Renewal documented", default=False),
    F("asset.rights.renewal_evidence", "str", "续期证据", "Renewal evidence",
      "续期所依据的合同条款或授权文件；无证据时不采信续期（第二十一条第七项）",
      "Contract clause or authorisation the renewal rests on; without it a renewal is not relied on (art. 21(7))"),
    F("asset.rights.renewal_term_end", "date", "续期后终止日", "Renewed term end",
      "有据续期后的权利终止日；空表示续期不设期限", "End of the renewed term; empty for an open-ended renewal"),
    # ---------------------------------------------------------------- quality (GB/T 36344)
    F("asset.quality.normativeness", "number", "规范性", "Normativeness", minimum=0, maximum=100, unit="score"),
    F("asset.quality.completeness", "number", "完整性", "Completeness", minimum=0, maximum=100, unit="score"),
    F("asset.quality.accuracy", "number", "准确性", "Accuracy", minimum=0, maximum=100, unit="score"),
    F("asset.quality.consistency", "number", "一致性", "Consistency", minimum=0, maximum=100, unit="score"),
    F("asset.quality.timeliness", "number", "时效性", "Timeliness", minimum=0, maximum=100, unit="score"),
    F("asset.quality.accessibility", "number", "可访问性", "Accessibility", minimum=0, maximum=100, unit="score"),
    F("asset.quality.score", "number", "综合质量得分", "Composite quality score", "已评定的综合得分 Q（0–100）", "Composite Q if already assessed (0–100)",
      minimum=0, maximum=100, unit="score"),
    F("asset.quality.weights", "list_number", "维度权重", "Dimension weights",
      "六个维度的权重（顺序同上），合计为 1", "Weights of the six dimensions in the order above, summing to 1", template=False),
    F("asset.quality.ahp_matrix", "matrix", "AHP 判断矩阵", "AHP pairwise matrix", "6×6 互反判断矩阵", "6×6 reciprocal pairwise matrix", template=False),
    F("asset.quality.cr_override_reason", "str", "CR 超限理由", "Reason to accept CR ≥ 0.10", template=False),
    F("asset.quality.report_ref", "str", "质量评价报告", "Quality report reference", "第三方数据质量评价报告编号（第十七条）", "Third-party quality report (art. 17)"),
    F("asset.quality.indicators", "records", "质量子指标", "Quality sub-indicators", template=False),
    F("asset.quality.indicators[].indicator", "str", "子指标代码", "Sub-indicator code", required=True, nullable=False),
    F("asset.quality.indicators[].a", "number", "A（满足要求数）", "A (elements meeting the rule)", minimum=0),
    F("asset.quality.indicators[].b", "number", "B（评价总数）", "B (elements evaluated)", minimum=0, exclusive_minimum=True),
    F("asset.quality.indicators[].score", "number", "得分", "Score", minimum=0, maximum=100),
    # ---------------------------------------------------------------- engagement
    F("engagement.valuation_date", "date", "评估基准日", "Valuation date", "第三条", "Art. 3", required=True, nullable=False),
    F("engagement.purpose", "enum", "评估目的", "Purpose", enum="purpose", default="other"),
    F("engagement.value_type", "enum", "价值类型", "Value type", enum="value_type", default="market"),
    F("engagement.currency", "str", "币种", "Currency", default="CNY", pattern=r"^[A-Z]{3}$"),
    F("engagement.rounding", "enum", "舍入模式", "Rounding", "exact 精确；publication 教材口径（现值系数 4 位小数）",
      "exact; publication (4-decimal PV factors as textbooks)", enum="rounding", default="exact"),
    F("engagement.proposed_price", "number", "拟交易价格", "Proposed price", "用于 90% 规则（国资委令第12号）", "For the 90 % rule (SASAC order 12)", **_MONEY),
    F("engagement.declared_value", "number", "申报/入账价值", "Declared value", "拟入账或申报的价值，用于高估/低估检查", "Value to be booked or declared, checked for over/under-valuation", **_MONEY),
    F("engagement.coverage", "number", "区间覆盖率", "Range coverage", minimum=0.5, maximum=0.99, default=0.8, unit="ratio"),
    F("engagement.seed", "int", "随机种子", "Random seed", "0 至 2^53−1：更大的种子在抽样中会相互重合",
      "0 to 2^53−1: larger seeds would collide in the sampler", minimum=0, maximum=2**53 - 1, default=20231001),
    F("engagement.weights.cost", "number", "成本法权重", "Cost weight", **_PCT),
    F("engagement.weights.income", "number", "收益法权重", "Income weight", **_PCT),
    F("engagement.weights.market", "number", "市场法权重", "Market weight", **_PCT),
    F("engagement.weights_reason", "str", "权重理由", "Reason for weights"),
    F("engagement.report_standalone", "bool", "单独出具报告", "Stand-alone report", default=True),
    # ---------------------------------------------------------------- cost approach
    F("cost.components.preliminary", "number", "前期费用", "Preliminary cost", "前期规划、需求、设计、合规评估", "Planning, requirements, design, compliance", **_MONEY),
    F("cost.components.direct", "number", "直接成本", "Direct cost", "采集、存储、清洗加工、标注、质控等", "Collection, storage, processing, labelling, QC", **_MONEY),
    F("cost.components.indirect", "number", "间接成本", "Indirect cost", "软硬件、基础设施与公共管理分摊", "Allocated software, infrastructure and overhead", **_MONEY),
    F("cost.components.opportunity", "number", "机会成本", "Opportunity cost", **_MONEY),
    F("cost.components.taxes", "number", "相关税费", "Related taxes", **_MONEY),
    F("cost.opportunity_rate", "number", "机会成本率", "Opportunity cost rate", "未给出机会成本时按其他成本合计 × 该比率计算", "If no opportunity cost is given: rate × subtotal of the others", **_PCT),
    F("cost.profit_rate", "number", "合理利润率", "Reasonable profit rate", "默认 0（2023 指导意见未列合理利润）", "Default 0 (not listed in the 2023 guidance)", **_PCT),
    F("cost.price_index_valuation", "number", "基准日价格指数", "Price index at valuation date", minimum=0, exclusive_minimum=True, default=100.0),
    F("cost.lines", "records", "成本明细", "Cost lines", template=False),
    F("cost.lines[].category", "enum", "成本类别", "Category", enum="cost_category", required=True, nullable=False),
    F("cost.lines[].subcategory", "str", "明细科目", "Subcategory"),
    F("cost.lines[].amount", "number", "金额", "Amount", required=True, nullable=False, **_MONEY),
    F("cost.lines[].date_incurred", "date", "发生日期", "Date incurred"),
    F("cost.lines[].price_index", "number", "发生时价格指数", "Price index when incurred", minimum=0, exclusive_minimum=True),
    F("cost.lines[].allocation_share", "number", "分摊比例", "Allocation share", minimum=0, maximum=1, exclusive_minimum=True, default=1.0),
    F("cost.lines[].source_doc", "str", "凭证来源", "Source document"),
    F("cost.adjustment.basis", "enum", "调整系数依据", "Adjustment basis", "质量、剩余寿命、综合、专家或给定", "quality, life, combined, expert, given", enum="cost_basis", default="quality"),
    F("cost.adjustment.value", "number", "给定调整系数 δ", "Given coefficient δ", minimum=0, exclusive_minimum=True),
    F("cost.adjustment.years_used", "number", "已使用年限", "Years used", minimum=0, unit="years"),
    F("cost.adjustment.years_remaining", "number", "剩余经济寿命", "Remaining economic life", minimum=0, unit="years"),
    F("cost.adjustment.quality_benchmark", "number", "质量基准分", "Quality benchmark", minimum=0, maximum=100, exclusive_minimum=True, default=100.0),
    F("cost.adjustment.functional_obsolescence", "number", "功能性贬值率", "Functional obsolescence", **_PCT),
    F("cost.adjustment.economic_obsolescence", "number", "经济性贬值率", "Economic obsolescence", **_PCT),
    F("cost.adjustment.override", "bool", "允许 δ>1", "Allow δ > 1", default=False),
    F("cost.adjustment.override_reason", "str", "δ>1 理由", "Reason for δ > 1"),
    F("cost.variant", "enum", "成本模型", "Cost model", "cas：P=C×δ（指导意见）；literature：P=TC×(1+R)×U（文献模型，非协会模型）",
      "cas: P = C×δ (guidance); literature: P = TC×(1+R)×U (academic, not the CAS model)", enum="cost_variant", default="cas"),
    F("cost.literature.return_rate", "number", "成本回报率 R", "Cost return rate R", minimum=0, maximum=5),
    F("cost.literature.quality", "number", "质量系数 α", "Quality α", minimum=0, maximum=2),
    F("cost.literature.circulation", "number", "流通系数 β", "Circulation β", minimum=0, maximum=2),
    F("cost.literature.scarcity", "number", "垄断系数 l", "Scarcity l", minimum=0, maximum=1),
    F("cost.literature.risk", "number", "价值实现风险 r", "Realisation risk r", **_PCT),
    # ---------------------------------------------------------------- income approach
    F("income.model", "enum", "收益模型", "Income model", "直接收益、分成、超额收益、增量收益、许可费节省",
      "direct, split, excess earnings, incremental, relief from royalty", enum="income_model", required=True, nullable=False),
    F("income.periods", "int", "收益期（期数）", "Periods", minimum=1, maximum=50, unit="periods"),
    F("income.timing", "enum", "折现时点", "Timing", "期末或期中", "end or mid period", enum="timing", default="end"),
    F("income.first_period_end", "date", "首期截止日", "End of first period", "基准日在期中时，首期按天数折算", "Partial first period counted in days from the valuation date"),
    F("income.income_basis", "enum", "收益口径", "Income basis", "税前或税后", "pre-tax or post-tax", enum="tax_basis"),
    F("income.rate_basis", "enum", "折现率口径", "Discount-rate basis", "须与收益口径一致（第二十一条）", "Must match the income basis (art. 21)", enum="tax_basis"),
    F("income.income", "stream", "资产收益 F_t", "Income F_t", unit="currency"),
    F("income.base", "stream", "分成基数 R_t", "Split base R_t", unit="currency"),
    F("income.revenue", "stream", "营业收入", "Revenue", unit="currency"),
    F("income.nopat", "stream", "税后净营业利润", "NOPAT", unit="currency"),
    F("income.with", "stream", "有该资产的收益", "Income with the asset", unit="currency"),
    F("income.without", "stream", "无该资产的收益", "Income without the asset", unit="currency"),
    F("income.savings", "stream", "成本节约", "Cost savings", unit="currency"),
    F("income.loss_making", "bool", "亏损资产", "Loss-making asset",
      "声明该资产收益为负（亏损）；仅在声明后才接受负的收益流，并给出风险标记",
      "States that the asset's income is negative; only then are negative income streams accepted, with a flag",
      default=False),
    F("income.incremental_kind", "enum", "增量类型", "Increment kind", enum="incremental_kind", default="revenue"),
    F("income.terminal_growth", "number", "永续增长率 g", "Terminal growth g", "须小于折现率", "Must be below the discount rate", minimum=-0.5, maximum=0.5),
    F("income.split_rate", "number", "分成率 K", "Split rate K", **_PCT),
    F("income.split.method", "enum", "分成率方法", "Split method", enum="split_method", default="given"),
    F("income.split.data_investment", "number", "数据资产约当投资（重置成本）", "Data asset replacement cost", **_MONEY),
    F("income.split.data_profit_rate", "number", "数据资产成本利润率", "Data asset cost-profit rate", minimum=0, maximum=5),
    F("income.split.other_investment", "number", "其他资产约当投资", "Licensee's other investment", **_MONEY),
    F("income.split.other_profit_rate", "number", "其他资产成本利润率", "Other assets' cost-profit rate", minimum=0, maximum=5),
    F("income.split.incremental_profit", "list_number", "追加利润", "Incremental profit per period"),
    F("income.split.total_profit", "list_number", "总利润", "Total profit per period"),
    F("income.royalty_rate", "number", "许可费率", "Royalty rate", **_PCT),
    F("income.tax_rate", "number", "所得税率", "Tax rate", minimum=0, maximum=1, exclusive_maximum=True),
    F("income.contributory", "records", "贡献资产", "Contributory assets", template=False),
    F("income.contributory[].asset_class", "enum", "资产类别", "Asset class", enum="contributory_class", required=True, nullable=False),
    F("income.contributory[].rate", "number", "回报率", "Required return", required=True, nullable=False, **_PCT),
    F("income.contributory[].value", "number", "资产价值", "Asset value", **_MONEY),
    F("income.contributory[].revenue_share", "number", "占收入比例", "Share of revenue", minimum=0, maximum=10),
    F("income.contributory[].tax_rate", "number", "税率", "Tax rate", minimum=0, maximum=1, exclusive_maximum=True, default=0.0),
    F("income.attrition.rate", "number", "流失率", "Attrition rate", **_PCT),
    F("income.attrition.start_period", "int", "流失起始期", "Attrition from period", minimum=1, default=2),
    F("income.attrition.cutoff", "number", "存续截断值", "Survival cut-off", default=0.05, **_PCT),
    F("income.discount_rate", "number", "折现率", "Discount rate", minimum=0, maximum=1, exclusive_minimum=True),
    F("income.discount.method", "enum", "折现率方法", "Discount-rate method", "累加法或 WACC 加风险溢价", "build-up or WACC plus premium", enum="discount_method"),
    F("income.discount.risk_free", "number", "无风险利率", "Risk-free rate", "10 年期国债收益率", "10-year CGB yield", **_PCT),
    F("income.discount.management", "number", "管理风险溢价", "Management risk premium", **_PCT),
    F("income.discount.circulation", "number", "流通风险溢价", "Circulation risk premium", **_PCT),
    F("income.discount.security", "number", "数据安全风险溢价", "Data security risk premium", **_PCT),
    F("income.discount.regulation", "number", "监管风险溢价", "Regulatory risk premium", **_PCT),
    F("income.discount.other", "number", "其他风险溢价", "Other premium", **_PCT),
    F("income.discount.wacc", "number", "加权平均资本成本", "WACC", **_PCT),
    F("income.discount.premium", "number", "数据资产风险溢价", "Data asset premium", **_PCT),
    F("income.discount.source", "str", "取值来源", "Source of the rate"),
    F("income.life.contract_years", "number", "合同期限", "Contract term", minimum=0, unit="years"),
    F("income.life.legal_years", "number", "法定期限", "Legal term", minimum=0, unit="years"),
    F("income.life.timeliness_years", "number", "时效性寿命", "Timeliness-based life", minimum=0, unit="years"),
    F("income.life.product_years", "number", "产品生命周期", "Product life cycle", minimum=0, unit="years"),
    F("income.history.values", "list_number", "历史收入", "Revenue history", "用于预测的历史收入（由远及近）", "Past revenue, oldest first, for forecasting"),
    F("income.history.frequency", "enum", "历史频率", "History frequency", enum="history_frequency", default="yearly"),
    F("income.history.method", "enum", "预测方法", "Forecast method", enum="forecast_method", default="auto"),
    F("income.history.margin", "number", "收益率（占收入）", "Income margin on revenue", minimum=-1, maximum=1),
    F("income.scenarios", "records", "应用场景", "Scenarios", template=False),
    F("income.scenarios[].name", "str", "场景名称", "Scenario", required=True, nullable=False),
    F("income.scenarios[].share", "number", "贡献占比 j_k", "Contribution share j_k", required=True, nullable=False, **_PCT),
    F("income.scenarios[].discount_rate", "number", "场景折现率", "Scenario discount rate", minimum=0, maximum=1, exclusive_minimum=True),
    F("income.scenarios[].income", "list_number", "场景收益", "Scenario income per period", required=True, nullable=False),
    # ---------------------------------------------------------------- market approach
    F("market.use_library", "bool", "从案例库选取", "Select from case library", default=False),
    F("market.demonstration", "bool", "演示（允许合成案例）", "Demonstration (synthetic cases allowed)", "仅供演示：允许使用案例库中的合成案例，结果不得作为最终结论", "demonstration only: synthetic library cases may be used and the result is not final", default=False),
    F("market.k", "int", "可比案例数", "Number of comparables", minimum=1, maximum=50, default=5),
    F("market.min_comparables", "int", "最少可比案例", "Minimum comparables", minimum=1, maximum=50, default=3),
    F("market.price_mode", "enum", "计价方式", "Price mode", "一次性、年订阅、按次、免费、面议", "one-off, yearly subscription, per call, free, negotiated", enum="price_mode", default="one_off"),
    F("market.date_index", "number", "基准日价格指数", "Price index at valuation date", minimum=0, exclusive_minimum=True, default=100.0),
    F("market.supply_demand", "number", "供求评分", "Supply–demand score", "相对 100 的加减分", "Score relative to 100", minimum=-50, maximum=50, default=0.0),
    F("market.weighting", "enum", "权重方式", "Weighting", enum="weighting", default="equal"),
    F("market.comparables", "records", "可比案例", "Comparables", template=False),
    F("market.comparables[].case_id", "str", "案例编号", "Case id"),
    F("market.comparables[].price", "number", "成交/挂牌价格 Q", "Price Q", required=True, nullable=False, minimum=0, exclusive_minimum=True, unit="currency"),
    F("market.comparables[].quality", "number", "质量得分", "Quality score", minimum=0, maximum=100, exclusive_minimum=True),
    F("market.comparables[].date_index", "number", "交易日价格指数", "Price index at transaction", minimum=0, exclusive_minimum=True),
    F("market.comparables[].records", "number", "记录数", "Records", minimum=0, exclusive_minimum=True),
    F("market.comparables[].rights_type", "enum", "权利类型", "Rights type", enum="rights_type"),
    F("market.comparables[].exclusivity", "enum", "许可方式", "Exclusivity", enum="exclusivity"),
    F("market.comparables[].price_mode", "enum", "计价方式", "Price mode", enum="price_mode"),
    F("market.comparables[].supply_demand", "number", "供求评分", "Supply–demand score", minimum=-50, maximum=50),
    F("market.comparables[].evidence_type", "enum", "证据类型", "Evidence type", enum="evidence_type"),
    F("market.comparables[].x1", "number", "X1 质量系数", "X1 quality", minimum=0, exclusive_minimum=True),
    F("market.comparables[].x2", "number", "X2 供求系数", "X2 supply–demand", minimum=0, exclusive_minimum=True),
    F("market.comparables[].x3", "number", "X3 期日系数", "X3 date", minimum=0, exclusive_minimum=True),
    F("market.comparables[].x4", "number", "X4 容量系数", "X4 capacity", minimum=0, exclusive_minimum=True),
    F("market.comparables[].x5", "number", "X5 其他系数", "X5 other", minimum=0, exclusive_minimum=True),
    F("market.comparables[].note", "str", "说明", "Note"),
    # ---------------------------------------------------------------- accounting (入表: 财会〔2023〕11号, CAS 6/1/8)
    F("accounting.intent", "enum", "持有目的", "Intent",
      "自用（含对外提供服务）→ 无形资产；日常活动中持有以备出售 → 存货（财会〔2023〕11号）",
      "own use (incl. providing services) → intangible; held for sale in the ordinary course → inventory",
      enum="holding_intent"),
    F("accounting.acquired_by", "enum", "取得方式（披露口径）", "Source (disclosure)",
      "外购、自行开发、其他方式", "purchased, self-developed, other", enum="acquired_by"),
    F("accounting.acquisition_date", "date", "取得/开始开发日期", "Acquired / development started",
      "外购取得日或自行开发开始日", "Date purchased, or date development started"),
    F("accounting.balance_sheet_date", "date", "资产负债表日", "Balance-sheet date",
      "默认为评估基准日", "Default: the valuation date"),
    F("accounting.capitalised_cost", "number", "资本化成本", "Capitalised cost",
      "不填则由成本明细计算（研究阶段支出不得资本化）", "Default: computed from the cost lines (research costs are never capitalised)", **_MONEY),
    F("accounting.costs", "records", "入表成本明细", "Accounting cost lines", template=False),
    F("accounting.costs[].category", "str", "成本项目", "Cost item", "如采购价款、采集、脱敏、清洗、标注、整合", "e.g. purchase price, collection, desensitisation, cleaning, labelling"),
    F("accounting.costs[].amount", "number", "金额", "Amount", required=True, nullable=False, **_MONEY),
    F("accounting.costs[].phase", "enum", "阶段", "Phase", "研究阶段费用化；开发阶段满足五项条件方可资本化；外购取得成本资本化",
      "research: expensed; development: capitalised only when the five criteria are met; acquisition: capitalised",
      enum="cost_phase", required=True, nullable=False),
    F("accounting.costs[].capitalise", "bool", "申请资本化", "Capitalise", "研究阶段支出申请资本化将被拒绝（企业会计准则第6号第八条）",
      "Capitalising a research-phase cost is refused (CAS 6 art. 8)"),
    F("accounting.costs[].date_incurred", "date", "发生日期", "Date incurred"),
    F("accounting.development_criteria_met", "bool", "满足开发支出资本化条件", "Development criteria met",
      "企业会计准则第6号第九条五项条件全部满足", "All five criteria of CAS 6 art. 9 are met", default=False),
    F("accounting.development_criteria.technical_feasibility", "bool", "技术上可行", "Technically feasible", "第九条（一）", "Art. 9 (1)", default=False),
    F("accounting.development_criteria.intention", "bool", "有完成并使用或出售的意图", "Intention to complete and use or sell", "第九条（二）", "Art. 9 (2)", default=False),
    F("accounting.development_criteria.economic_benefits", "bool", "能产生经济利益", "Generates economic benefits", "第九条（三）", "Art. 9 (3)", default=False),
    F("accounting.development_criteria.resources", "bool", "有足够资源完成开发", "Adequate resources to complete", "第九条（四）", "Art. 9 (4)", default=False),
    F("accounting.development_criteria.measurable", "bool", "支出能够可靠计量", "Expenditure reliably measurable", "第九条（五）", "Art. 9 (5)", default=False),
    F("accounting.available_for_use", "date", "达到预定用途日", "Available for use",
      "空值表示尚未达到预定用途（开发支出）", "Null: not yet available for use (development expenditure)"),
    F("accounting.useful_life_years", "number", "使用寿命（年）", "Useful life (years)",
      "空值表示使用寿命不确定（不摊销，每年减值测试）", "Null: indefinite (not amortised, tested for impairment yearly)",
      minimum=0, exclusive_minimum=True, maximum=100, unit="years"),
    F("accounting.residual_value", "number", "预计净残值", "Residual value", "一般为零（企业会计准则第6号第十九条）", "Usually zero (CAS 6 art. 19)", **_MONEY),
    F("accounting.amortisation_method", "enum", "摊销方法", "Amortisation method", "直线法或产量法", "straight-line or units of production",
      enum="amortisation_method"),
    F("accounting.amortisation_convention", "enum", "摊销计期", "Period convention",
      "months：当月增加当月摊销（默认）；days：按实际天数/365", "months: from the month available (default); days: actual days / 365",
      enum="amortisation_convention"),
    F("accounting.units.total", "number", "预计总产量", "Total expected units", "产量法：预计可提供的调用量/交付量", "Units of production: total expected calls/deliveries",
      minimum=0, exclusive_minimum=True, unit="units"),
    F("accounting.units.used", "number", "累计产量", "Units used to date", "截至资产负债表日", "Up to the balance-sheet date", minimum=0, unit="units"),
    F("accounting.units.per_year", "list_number", "各年产量", "Units per year", "自达到预定用途当年起各会计年度", "Per fiscal year from the year available for use"),
    F("accounting.accumulated_impairment", "number", "已计提减值准备", "Accumulated impairment", "无形资产减值不得转回；存货为已计提跌价准备", "Intangibles: never reversed; inventory: existing write-down", **_MONEY),
    F("accounting.expected_selling_price", "number", "估计售价", "Expected selling price", "存货可变现净值；不填时取市场法结果", "For NRV; default: the market approach", **_MONEY),
    F("accounting.selling_costs", "number", "估计销售费用及税费", "Selling costs", **_MONEY),
    F("accounting.costs_to_complete", "number", "至完工估计成本", "Costs to complete", **_MONEY),
    F("accounting.disposal_costs", "number", "处置费用", "Costs of disposal", "公允价值减去处置费用（企业会计准则第8号）", "Fair value less costs of disposal (CAS 8)", **_MONEY),
    F("accounting.indicators.comparable_price_change", "number", "可比数据价格变动率", "Comparable price change",
      "同类数据产品市价相对上期的变动，如 -0.25", "Change of comparable data prices since last period, e.g. -0.25", minimum=-1, maximum=10, unit="ratio"),
    F("accounting.indicators.planned", "number", "计划使用量/收入", "Planned usage or revenue", minimum=0),
    F("accounting.indicators.actual", "number", "实际使用量/收入", "Actual usage or revenue", "与计划同口径", "Same unit as planned", minimum=0),
    F("accounting.indicators.rights_term_shortened", "bool", "权利期限缩短", "Rights term shortened", "授权期限被缩短或提前终止", "Authorisation shortened or ended early", default=False),
    F("accounting.indicators.data_obsolete", "bool", "数据已过时", "Data obsolete", "时效性丧失、停止更新", "Timeliness lost, updates stopped", default=False),
    # ---------------------------------------------------------------- public-data product (65号)
    F("product.product_id", "str", "产品编号", "Product id", required=True, nullable=False, doc="product"),
    F("product.name", "str", "产品名称", "Name", required=True, nullable=False, doc="product"),
    F("product.operator", "str", "运营机构", "Operator", doc="product"),
    F("product.currency", "str", "币种", "Currency", default="CNY", doc="product"),
    F("product.period.allowed_cost", "number", "准许成本", "Allowed cost", required=True, nullable=False, doc="product", **_MONEY),
    F("product.period.subsidies", "number", "政府补助", "Government subsidies", default=0.0, doc="product", **_MONEY),
    F("product.period.profit_base", "number", "准许利润计算基数", "Profit base", required=True, nullable=False, doc="product", **_MONEY),
    F("product.period.profit_rate", "number", "准许收益率", "Allowed return rate", doc="product", **_PCT),
    F("product.period.cgb10y", "number", "10 年期国债收益率", "10-year CGB yield", required=True, nullable=False, doc="product", **_PCT),
    F("product.period.premium_cap", "number", "收益率上浮上限", "Premium cap over CGB", default=0.06, doc="product", **_PCT),
    F("product.period.taxes", "number", "税金", "Taxes", default=0.0, doc="product", **_MONEY),
    F("product.period.actual_revenue", "number", "实际收入", "Actual revenue", doc="product", **_MONEY),
    F("product.period.previous_excess", "number", "上期超额收入", "Previous period excess revenue", default=0.0, doc="product", **_MONEY),
    F("product.items", "records", "产品与服务", "Products and services", required=True, nullable=False, doc="product"),
    F("product.items[].item_id", "str", "条目编号", "Item id", required=True, nullable=False, doc="product"),
    F("product.items[].name", "str", "名称", "Name", doc="product"),
    F("product.items[].use_category", "enum", "使用类别", "Use category", enum="use_category", required=True, nullable=False, doc="product"),
    F("product.items[].unit", "enum", "计费单位", "Charge unit", enum="charge_unit", required=True, nullable=False, doc="product"),
    F("product.items[].expected_volume", "number", "预计销量", "Expected volume", required=True, nullable=False, minimum=0, doc="product"),
    F("product.items[].cost_share", "number", "成本分摊比例", "Share of allowed revenue", doc="product", **_PCT),
    F("product.items[].cap", "number", "上限收费标准", "Price cap", doc="product", **_MONEY),
    F("product.items[].price", "number", "实际收费标准", "Actual price", doc="product", **_MONEY),
)


@cache
def fields_for(doc: str = "card") -> tuple[Field, ...]:
    return tuple(f for f in FIELDS if f.doc == doc)


@cache
def _by_path() -> dict[str, Field]:
    out = {f.path: f for f in FIELDS}
    assert len(out) == len(FIELDS), "duplicate path in schema table"
    return out


def field_by_path(path: str) -> Field | None:
    return _by_path().get(path)


@cache
def object_paths(doc: str = "card") -> frozenset[str]:
    """Every dotted path that is an object (implied by a child path)."""
    objs: set[str] = set()
    for f in fields_for(doc):
        parts = f.path.split(".")
        for i in range(1, len(parts)):
            objs.add(".".join(parts[:i]))
    return frozenset(objs)


def iter_leaf_fields(doc: str = "card") -> Iterable[Field]:
    return (f for f in fields_for(doc) if not f.in_records and f.kind != "records")


def json_schema(doc: str = "card", lang: str = "en") -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of a document (:func:`valuation.core.schema_json.json_schema`)."""
    from .schema_json import json_schema as build

    return build(doc, lang)
