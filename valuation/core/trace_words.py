"""The words of calculation traces in both languages: one catalogue for reports and dashboard.

The approaches write each trace formula once (mostly in Chinese, a few phrases in English) and
name trace inputs by code (``risk_free``, ``tau``, ``Q_benchmark``). Reports and the dashboard
show every formula and input in the reader's language (docs/DESIGN.md §8: bilingual faces; CAS
2023 art. 27: the disclosed calculation must be readable), so both translate through this module.
Words for enum codes live in :mod:`valuation.core.labels`.
"""
from __future__ import annotations

import re
from typing import Any

__all__ = ["INPUT_LABELS", "FORMULA_WORDS_EN", "FORMULAS_ZH", "formula_text", "input_label"]

#: names of trace-step inputs that are not card fields (symbols such as Q, C, δ, r, X1…X5, MAR
#: stay symbols), as (Chinese, English)
INPUT_LABELS: dict[str, tuple[str, str]] = {
    "risk_free": ("无风险利率", "risk-free rate"), "management": ("管理风险溢价", "management risk"),
    "circulation": ("流通风险溢价", "circulation risk"), "security": ("数据安全风险溢价", "data security risk"),
    "regulation": ("监管风险溢价", "regulatory risk"), "other": ("其他风险溢价", "other premium"),
    "normativeness": ("规范性", "normativeness"), "completeness": ("完整性", "completeness"),
    "accuracy": ("准确性", "accuracy"), "consistency": ("一致性", "consistency"),
    "timeliness": ("时效性", "timeliness"), "accessibility": ("可访问性", "accessibility"),
    "basis": ("口径", "basis"), "model": ("模型", "model"), "income_basis": ("收益口径", "income basis"),
    "rate_basis": ("折现率口径", "rate basis"), "bound": ("约束期限", "binding limit"),
    "rights_years_remaining": ("剩余权利年限", "remaining rights years"),
    "first_period_fraction": ("首期比例", "first-period fraction"), "weights": ("权重", "weights"),
    "weight": ("权重", "weight"), "tau": ("折现时点 τ", "discount timing τ"),
    "factors": ("折现系数", "discount factors"), "flows": ("收益", "income"), "survival": ("留存率", "survival"),
    "start_period": ("起始期", "start period"), "coverage": ("覆盖率", "coverage"), "source": ("来源", "source"),
    "cases": ("案例", "cases"), "distance": ("距离", "distance"), "weighting": ("加权方式", "weighting"),
    "price_mode": ("计价方式", "price mode"), "price_unit": ("计价单位", "price unit"),
    "unit": ("计价单位", "pricing unit"), "rounding": ("舍入", "rounding"), "mode": ("取整方式", "rounding mode"),
    "spread": ("离散度", "spread"), "sd": ("标准差", "standard deviation"),
    "low": ("下限", "low"), "high": ("上限", "high"), "base": ("基数", "base"), "given": ("给定值", "given"),
    "tax_rate": ("税率", "tax rate"), "revenue_share": ("收入占比", "revenue share"),
    "product": ("修正系数乘积", "product of factors"), "method": ("方法", "method"),
    "lines": ("成本明细", "cost lines"), "preliminary": ("前期费用", "preliminary cost"),
    "direct": ("直接成本", "direct cost"), "indirect": ("间接成本", "indirect cost"),
    "taxes": ("相关税费", "related taxes"), "assets": ("贡献资产", "contributory assets"),
    "asset_class": ("资产类别", "asset class"), "rate": ("回报率", "rate"), "value": ("数值", "value"),
    "delta_low": ("δ 下限", "δ low"), "delta_high": ("δ 上限", "δ high"),
    "Q_benchmark": ("基准质量得分", "benchmark quality"), "label": ("名称", "label"),
    "I_valuation": ("基准日价格指数", "price index at the valuation date"),
    "g_after_attrition": ("考虑流失后的增长率", "growth after attrition"),
    "allowed_cost": ("准许成本", "allowed cost"), "subsidies": ("政府补助", "government grants"),
    "cgb10y": ("10 年期国债收益率", "10-year treasury yield"), "premium_cap": ("上浮上限", "premium cap"),
    "rate_cap": ("准许收益率上限", "allowed return cap"), "profit_base": ("利润基数", "profit base"),
    "previous_excess": ("上期超额收入", "last period's excess revenue"),
    "cost_share": ("成本分摊比例", "cost share"), "expected_volume": ("预计销量", "expected volume"),
    "actual_revenue": ("实际收入", "actual revenue"), "renewal_relied_on": ("是否依赖续期", "renewal relied on"),
    "renewal_evidence": ("续期证据", "renewal evidence"),
    "premium_cap_requested": ("申报的上浮上限", "requested premium cap"), "ceiling": ("上限", "ceiling"),
    "ceiling_source": ("上限依据", "source of the ceiling"), "cap_unrounded": ("取整前上限", "cap before rounding"),
    "n_r_card": ("卡片剩余经济寿命", "remaining economic life on the card"),
    # 入表 (valuation/accounting/trace.py): inputs that are not card fields ("cost" was shown
    # as the cost approach's weight, "acquisition" as the way the data was acquired)
    "cost": ("入账成本", "recognised cost"), "research": ("研究阶段支出", "research-phase spending"),
    "development": ("开发阶段支出", "development-phase spending"),
    "acquisition": ("取得阶段支出", "acquisition-phase spending"),
    "units_total": ("预计总工作量", "total units"), "units_used": ("已完成工作量", "units used"),
    "consumed_share": ("已消耗比例", "share consumed"),
    "accumulated_amortisation": ("累计摊销", "accumulated amortisation"),
    "fair_value": ("公允价值", "fair value"), "value_in_use": ("预计未来现金流量现值", "value in use"),
    "fair_value_less_costs_of_disposal": ("公允价值减处置费用", "fair value less costs of disposal"),
    "carrying_amount_before_impairment": ("减值前账面价值", "carrying amount before impairment"),
    "recoverable_amount": ("可收回金额", "recoverable amount"), "impairment_loss": ("减值损失", "impairment loss"),
    "net_realisable_value": ("可变现净值", "net realisable value"),
    "price_from_market_approach": ("市场法价格", "market-approach price"),
}

#: words of the formula texts and their English (applied longest first, then punctuation)
FORMULA_WORDS_EN: dict[str, str] = {
    "工程默认，非标准规定": "engineering default, not set by the standard",
    "10 年期国债收益率": "10-year treasury yield", "年期国债收益率": "-year treasury yield",
    "风险溢价评分": "risk premium scores", "其他风险溢价": "other risk premia",
    "上期超额收入": "last period's excess revenue", "上浮上限": "upward cap",
    "下期核定值": "next period's approved value", "下期": "next period", "不可抵扣税费": "non-deductible taxes",
    "五项成本": "five cost components", "产品寿命": "product life", "准许成本": "allowed cost",
    "分摊比例": "allocation share", "利润基数": "profit base", "前期费用": "preliminary cost",
    "剩余权利期限": "remaining rights term", "占比": "share", "发生时": "incurred", "合同": "contract",
    "合理利润率": "reasonable profit rate", "基准日": "valuation date", "基准": "benchmark",
    "实际收入": "actual revenue", "或": " or ", "按": "by", "收入": "revenue", "政府补助": "government grants",
    "时效性": "timeliness", "未申报时取": "if not declared use", "机会成本": "opportunity cost",
    "法定": "statutory", "流失截断": "attrition cut-off", "申报": "declared", "直接成本": "direct cost",
    "相关税费": "related taxes", "税率": "tax rate", "税金": "taxes", "给定": "given", "选择": "choice",
    "金额": "amount", "间接成本": "indirect cost", "预测期": "forecast periods", "成本节约": "cost saving",
    "许可费率": "royalty rate", "期中": "mid-period", "期末": "end of period", "管理": "management",
    "流通": "circulation", "数据安全": "data security", "监管": "regulation",
    "该类成本": "costs of this category", "预计销量": "expected volume",
    "向下取整到计价单位": "rounded down to the pricing unit", "标准库上限": "ceiling in the standards library",
    "上浮": "premium",
    # 入表 (valuation/accounting/trace.py): the words of its formulas, so the 入表 page and the
    # working papers show them in English too
    "出售目的": "held for sale", "自行开发且未达预定用途": "self-developed and not yet ready for use",
    "无可资本化成本": "no capitalisable cost", "否则": "otherwise", "无形资产": "intangible asset",
    "开发支出": "development expenditure", "存货": "inventory", "费用化": "expensed", "成本": "cost",
    "取得阶段支出": "acquisition-phase spending", "开发阶段支出": "development-phase spending",
    "满足五项条件或存货加工成本": "meeting the five criteria, or inventory conversion costs",
    "卡片给定": "given on the card", "已与成本明细核对": "checked against the cost lines",
    "成本明细合计": "total of the cost lines", "入账成本": "recognised cost",
    "研究阶段及不满足条件的开发支出": "research phase and development spending not meeting the criteria",
    "累计摊销": "accumulated amortisation", "残值": "residual value", "已消耗比例": "share consumed",
    "使用寿命不确定": "indefinite useful life", "不摊销": "not amortised",
    "账面价值": "carrying amount", "已计提减值准备": "impairment already recognised",
    "收益法评估值": "income-approach estimate", "市场法评估值": "market-approach estimate",
    "同一卡片": "same card", "同一库快照": "same library snapshot", "一次性价格": "one-off price",
    "处置费用": "costs of disposal", "可收回金额": "recoverable amount", "公允价值": "fair value",
    "预计未来现金流量现值": "value in use", "减值损失": "impairment loss", "不得转回": "not reversed",
    "可变现净值": "net realisable value", "估计售价": "estimated selling price",
    "至完工估计成本": "estimated costs to complete", "估计销售费用及税费": "estimated selling costs and taxes",
    "跌价准备": "write-down allowance", "应有准备": "required allowance",
    "已计提准备": "allowance already recognised", "负数为转回": "a negative amount is a reversal",
    "减值前账面价值": "carrying amount before impairment", "本期减值损失": "impairment loss of the period",
    "本期": "this period",
}

#: formulas and phrases the approaches write in English only, in Chinese
FORMULAS_ZH: dict[str, str] = {
    "same rights type, price mode and unit; k nearest neighbours": "同权利类型、计价方式与价格单位；k 近邻选取",
    "comparables given on the card": "卡片给定的可比案例", "estimate": "评估值", "P": "P",
    "hedonic prediction interval re-centred on P": "特征价格模型预测区间（以 P 为中心）",
    "not given (0)": "未给出（按 0 计）",
    "risk-free rate": "无风险利率", "management risk": "管理风险溢价", "circulation risk": "流通风险溢价",
    "data security risk": "数据安全风险溢价", "regulatory risk": "监管风险溢价", "other premium": "其他风险溢价",
}

_PUNCT_EN = {"（": " (", "）": ")", "，": ", ", "：": ": ", "；": "; ", "、": ", "}
_WORDS_LONGEST_FIRST = sorted(FORMULA_WORDS_EN, key=len, reverse=True)
_CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")
_OPEN_SPACE = re.compile(r"\(\s+")


def formula_text(s: Any, lang: str = "zh") -> str:
    """A trace formula (or any engine-written phrase) in the reader's language.

    Chinese: the phrases the approaches write in English are translated whole; English: the
    Chinese words are replaced longest first, then the full-width punctuation, and runs of
    spaces collapse. Text with no Chinese in it is returned as it is in English."""
    s = "" if s is None else str(s)
    if lang != "en":
        return FORMULAS_ZH.get(s, s)
    if not _CJK.search(s):
        return s
    for zh in _WORDS_LONGEST_FIRST:
        if zh in s:
            s = s.replace(zh, FORMULA_WORDS_EN[zh])
    for zh, en in _PUNCT_EN.items():
        s = s.replace(zh, en)
    return _OPEN_SPACE.sub("(", " ".join(s.split()))


def input_label(k: str, lang: str = "zh") -> str:
    """The reader's word for a trace input named ``k``; an unknown name is translated as a
    formula text (some steps name their inputs in Chinese)."""
    pair = INPUT_LABELS.get(k)
    if pair is not None:
        return pair[1 if lang == "en" else 0]
    return formula_text(k, lang)
