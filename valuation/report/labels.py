"""Words a report shows instead of codes: enum values, trace input names and the terms inside
the approaches' formula texts, in Chinese and English.

The engine keeps codes (``soe``, ``licensing``, ``build_up``) and writes each trace formula
once, in the language its method module chose; a report never shows a code and shows every
formula in the reader's language, so the report layer translates here. The words for enum codes
are the one catalogue :mod:`valuation.core.labels`, which the dashboard reads too. ``tests/report/
test_report_language.py`` fails when a code or a string of the other language reaches a report.
"""
from __future__ import annotations

import re
from typing import Any

from ..core.labels import ENUM_LABELS
from ..core.labels import enum_label as _label

__all__ = ["enum_label", "input_label", "formula_text", "ENUM_LABELS"]

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
    "first_period_fraction": ("首期比例", "first period fraction"), "weights": ("权重", "weights"),
    "weight": ("权重", "weight"), "tau": ("折现期 τ", "discount time τ"), "factors": ("折现系数", "factors"),
    "flows": ("收益", "income"), "survival": ("留存率", "survival"), "start_period": ("起始期", "start period"),
    "coverage": ("覆盖率", "coverage"), "source": ("来源", "source"), "cases": ("案例", "cases"),
    "distance": ("距离", "distance"), "weighting": ("加权方式", "weighting"), "price_mode": ("计价方式", "price mode"),
    "price_unit": ("计价单位", "price unit"), "rounding": ("舍入", "rounding"), "spread": ("离散度", "spread"),
    "low": ("下限", "low"), "high": ("上限", "high"), "base": ("基数", "base"), "given": ("给定", "given"),
    "tax_rate": ("税率", "tax rate"), "revenue_share": ("收入占比", "revenue share"),
    "product": ("修正系数乘积", "product of factors"), "method": ("方法", "method"), "lines": ("成本明细", "cost lines"),
    "preliminary": ("前期费用", "preliminary cost"), "direct": ("直接成本", "direct cost"),
    "indirect": ("间接成本", "indirect cost"), "taxes": ("相关税费", "related taxes"), "assets": ("资产", "assets"),
    "asset_class": ("资产类别", "asset class"), "rate": ("回报率", "rate"), "value": ("数值", "value"),
    "delta_low": ("δ 下限", "δ low"), "delta_high": ("δ 上限", "δ high"), "Q_benchmark": ("Q_基准", "Q benchmark"),
    "label": ("名称", "label"),
}

# terms inside the approaches' formula texts, longest first when applied
FORMULA_TERMS: tuple[tuple[str, str], ...] = (
    ("（工程默认，非标准规定）", " (engineering default, not a rule of the standards)"),
    ("（期中，τ_t = t − 0.5）", " (mid-period, τ_t = t − 0.5)"), ("（期末，τ_t = t）", " (end of period, τ_t = t)"),
    ("（或成本节约）", " (or cost saving)"), ("10 年期国债收益率", "10-year government bond yield"),
    ("风险溢价评分", "risk premium scores"), ("不可抵扣税费", "non-deductible taxes"),
    ("剩余权利期限", "remaining rights term"), ("其他风险溢价", "other premium"), ("该类成本", "costs of the category"),
    ("合理利润率", "reasonable profit rate"), ("前期费用", "preliminary cost"), ("直接成本", "direct cost"),
    ("间接成本", "indirect cost"), ("机会成本", "opportunity cost"), ("相关税费", "related taxes"),
    ("许可费率", "royalty rate"), ("分摊比例", "allocation share"), ("产品寿命", "product life"),
    ("流失截断", "attrition cut-off"), ("数据安全", "data security"), ("预测期", "forecast periods"),
    ("时效性", "timeliness"), ("基准日", "valuation date"), ("发生时", "incurred"), ("收入", "revenue"),
    ("税率", "tax rate"), ("占比", "share"), ("金额", "amount"), ("合同", "contract"), ("法定", "statutory"),
    ("流通", "circulation"), ("监管", "regulation"), ("管理", "management"), ("给定", "given"),
    ("基准", "benchmark"), ("或", "or"), ("，", ", "), ("（", " ("), ("）", ")"), ("：", ": "),
)

FORMULA_EN_ZH: dict[str, str] = {
    "comparables given on the card": "可比案例由卡片给定",
    "same rights type, price mode and unit; k nearest neighbours": "同权利类型、计价方式和单位；k 近邻选取",
    "hedonic prediction interval re-centred on P": "特征价格模型预测区间，以 P 为中心",
    "estimate": "估计值", "P": "P", "not given (0)": "未给出（按 0 计）",
    "risk-free rate": "无风险利率", "management risk": "管理风险溢价", "circulation risk": "流通风险溢价",
    "data security risk": "数据安全风险溢价", "regulatory risk": "监管风险溢价", "other premium": "其他风险溢价",
}

_CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")


def enum_label(v: Any, lang: str = "zh", enum: str | None = None, *, sentence: bool = False) -> str:
    """The reader's word for an enum code, from the one catalogue :mod:`valuation.core.labels`;
    a value that is no code is returned as it is."""
    return _label(v, lang, enum, sentence=sentence)


def input_label(k: str, lang: str = "zh") -> str:
    pair = INPUT_LABELS.get(k)
    if pair is not None:
        return pair[1 if lang == "en" else 0]
    return formula_text(k, lang)


def formula_text(s: Any, lang: str = "zh") -> str:
    """A trace formula (or any engine-written phrase) in the reader's language."""
    s = "" if s is None else str(s)
    if lang == "en":
        if not _CJK.search(s):
            return s
        for zh, en in FORMULA_TERMS:
            s = s.replace(zh, en)
        return s
    return FORMULA_EN_ZH.get(s, s)
