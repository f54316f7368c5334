"""Flags of the books (same shape as the rules library's flags: code, severity, titles,
messages, references that resolve in the standards library, values)."""
from __future__ import annotations

from typing import Any

import numpy as np

from .classify import DEVELOPMENT, INTANGIBLE, INVENTORY
from .indicators import INDICATORS, PERFORMANCE_RATIO, PRICE_DROP

__all__ = ["FLAG_REFERENCES", "flags_for", "flag_codes"]

#: every reference a books flag may carry (tests check they resolve in the standards seed)
FLAG_REFERENCES = {
    "IMPAIRMENT_LOSS": ["CAS8.art6", "CAS8.art15", "CAS8.art17", "CASBE2023-11.intangible"],
    "INVENTORY_WRITE_DOWN": ["CAS1.art15", "CAS1.art19", "CASBE2023-11.inventory"],
    "IMPAIRMENT_INDICATORS": ["CAS8.art4", "CAS8.art5", "ENG.default"],
    "ANNUAL_IMPAIRMENT_TEST": ["CAS6.art19", "CAS8.art4"],
    "RESEARCH_COSTS_EXPENSED": ["CAS6.art7", "CAS6.art8"],
    "DEVELOPMENT_COSTS_EXPENSED": ["CAS6.art9"],
    "RECOVERABLE_NOT_ESTIMABLE": ["CAS8.art6"],
    "NRV_NOT_ESTIMABLE": ["CAS1.art15"],
    "RECOGNITION_DIFFERS": ["CASBE2023-11.intangible", "CASBE2023-11.inventory"],
    "VALUE_IN_USE_POST_TAX": ["CAS8.art11"],
}
_TITLES = {
    "IMPAIRMENT_LOSS": ("减值损失", "Impairment loss", "warning"),
    "INVENTORY_WRITE_DOWN": ("存货跌价", "Inventory write-down", "warning"),
    "IMPAIRMENT_INDICATORS": ("存在减值迹象", "Indications of impairment", "warning"),
    "ANNUAL_IMPAIRMENT_TEST": ("使用寿命不确定：每年减值测试", "Indefinite life: tested every year", "info"),
    "RESEARCH_COSTS_EXPENSED": ("研究阶段支出费用化", "Research-phase costs expensed", "info"),
    "DEVELOPMENT_COSTS_EXPENSED": ("开发支出未满足资本化条件", "Development costs expensed", "info"),
    "RECOVERABLE_NOT_ESTIMABLE": ("可收回金额无法估计", "Recoverable amount not estimable", "warning"),
    "NRV_NOT_ESTIMABLE": ("可变现净值无法估计", "Net realisable value not estimable", "warning"),
    "RECOGNITION_DIFFERS": ("卡片所填会计确认与分类不一致", "Recognition on the card differs", "info"),
    "VALUE_IN_USE_POST_TAX": ("使用价值按税后口径", "Value in use on a post-tax basis", "info"),
}
#: ``asset.recognised_as`` values consistent with each class
_RECOGNISED = {INTANGIBLE: ("intangible",), INVENTORY: ("inventory",), DEVELOPMENT: ("intangible", "none"),
               "expense": ("none",)}
_BASIS = {"value_in_use": ("预计未来现金流量现值（收益法）", "value in use (income approach)"),
          "fair_value_less_costs_of_disposal": ("公允价值减去处置费用（市场法）",
                                                "fair value less costs of disposal (market approach)")}


def _flag(code: str, zh: str, en: str, values: dict[str, Any]) -> dict[str, Any]:
    tz, te, sev = _TITLES[code]
    return {"code": code, "severity": sev, "title": tz, "title_zh": tz, "title_en": te,
            "message": zh, "message_zh": zh, "message_en": en,
            "references": list(FLAG_REFERENCES[code]), "values": values, "params": {}}


def flag_masks(cols: dict[str, np.ndarray], ind: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Which asset raises which flag, one boolean array per code (all assets at once)."""
    cls = cols["classification"]
    tested = (cls == INTANGIBLE) | (cls == DEVELOPMENT)
    inv = cls == INVENTORY
    ok = np.array([c is not None for c in cls], dtype=bool)
    loss = np.nan_to_num(cols["impairment_loss"].astype(float))
    any_ind = np.logical_or.reduce([ind[k] for k in INDICATORS]) if INDICATORS else np.zeros(len(cls), bool)
    dev_exp = np.nan_to_num(cols["expensed"].astype(float)) - cols["research"]
    return {
        "IMPAIRMENT_LOSS": tested & (loss > 0),
        "INVENTORY_WRITE_DOWN": inv & (loss != 0),
        "IMPAIRMENT_INDICATORS": tested & any_ind,
        "ANNUAL_IMPAIRMENT_TEST": (cls == INTANGIBLE) & np.isnan(cols["useful_life_years"]),
        "RECOVERABLE_NOT_ESTIMABLE": tested & np.isnan(cols["recoverable_amount"].astype(float)),
        "NRV_NOT_ESTIMABLE": inv & np.isnan(cols["net_realisable_value"].astype(float)),
        "VALUE_IN_USE_POST_TAX": tested & ~np.isnan(cols["value_in_use"].astype(float))
        & (cols["income_basis"] == "post_tax"),
        "RECOGNITION_DIFFERS": ok & np.array([r is not None and c is not None and r not in _RECOGNISED.get(c, ())
                                              for r, c in zip(cols["recognised_as"], cls)], dtype=bool),
        "RESEARCH_COSTS_EXPENSED": ok & (cols["research"] > 0),
        "DEVELOPMENT_COSTS_EXPENSED": ok & (dev_exp > 0.005) & ~cols["criteria_met"] & ~inv,
    }


def flag_codes(masks: dict[str, np.ndarray]) -> np.ndarray:
    """``"CODE;CODE"`` per asset (object array) from :func:`flag_masks`."""
    n = len(next(iter(masks.values())))
    out = np.full(n, "", dtype=object)
    for code, m in masks.items():
        out[m] = np.where(out[m] == "", code, out[m] + ";" + code)
    return out


def flags_for(cols: dict[str, np.ndarray], ind: dict[str, np.ndarray], i: int,
              masks: dict[str, np.ndarray] | None = None) -> list[dict[str, Any]]:
    """The flags of asset ``i`` with their messages (``masks``: :func:`flag_masks`, computed
    here when not given)."""
    masks = masks if masks is not None else flag_masks(cols, ind)
    out: list[dict[str, Any]] = []
    cls = cols["classification"][i]
    if cls is None:
        return out

    def add(code: str, zh: str = "", en: str = "", **values: Any) -> None:
        if masks[code][i]:
            out.append(_flag(code, zh, en, values))

    loss, carrying = float(cols["impairment_loss"][i]), float(cols["carrying_amount_before_impairment"][i])
    rec, basis = float(cols["recoverable_amount"][i]), cols["basis"][i]
    if masks["IMPAIRMENT_LOSS"][i]:
        bz, be = _BASIS.get(basis, ("", ""))
        add("IMPAIRMENT_LOSS",
            f"账面价值 {carrying:,.2f} 高于可收回金额 {rec:,.2f}（取{bz}）：确认减值损失 {loss:,.2f}，以后期间不得转回",
            f"carrying amount {carrying:,.2f} exceeds the recoverable amount {rec:,.2f} ({be}): impairment loss "
            f"{loss:,.2f}, never reversed", impairment_loss=loss, carrying_amount=carrying,
            recoverable_amount=rec, basis=basis)
    if masks["INVENTORY_WRITE_DOWN"][i]:
        nrv = float(cols["net_realisable_value"][i])
        word_zh, word_en = ("计提存货跌价准备", "write-down") if loss > 0 else ("在原计提范围内转回", "reversal")
        add("INVENTORY_WRITE_DOWN",
            f"成本 {float(cols['cost'][i]):,.2f}，可变现净值 {nrv:,.2f}：{word_zh} {abs(loss):,.2f}",
            f"cost {float(cols['cost'][i]):,.2f}, net realisable value {nrv:,.2f}: {word_en} {abs(loss):,.2f}",
            impairment_loss=loss, net_realisable_value=nrv)
    if cls in (INTANGIBLE, DEVELOPMENT):
        found = [k for k in INDICATORS if ind[k][i]]
        if found:
            zh = "；".join(f"{INDICATORS[k][0]}（第五条{INDICATORS[k][2]}）" if INDICATORS[k][2] else INDICATORS[k][0]
                          for k in found)
            en = "; ".join(f"{INDICATORS[k][1]} (art. 5{INDICATORS[k][2]})" if INDICATORS[k][2] else INDICATORS[k][1]
                          for k in found)
            add("IMPAIRMENT_INDICATORS", f"减值迹象：{zh}；应估计可收回金额（价格跌幅阈值 {-PRICE_DROP:.0%}、"
                f"绩效阈值 {PERFORMANCE_RATIO:.0%} 为工程默认值）",
                f"indications of impairment: {en}; estimate the recoverable amount (thresholds "
                f"{-PRICE_DROP:.0%} price fall, {PERFORMANCE_RATIO:.0%} of plan are engineering defaults)",
                indicators=found)
        add("ANNUAL_IMPAIRMENT_TEST", "使用寿命不确定的无形资产不摊销，无论是否存在减值迹象每年都应进行减值测试",
                "an intangible with an indefinite life is not amortised and is tested for impairment every year")
        add("RECOVERABLE_NOT_ESTIMABLE", "收益法与市场法（一次性价格）均不适用：无法估计可收回金额，未计量减值",
                "neither the income approach nor a one-off market price applies: the recoverable amount cannot be "
                "estimated and no impairment is measured")
    add("NRV_NOT_ESTIMABLE", "未给出估计售价且市场法无一次性价格：无法估计可变现净值，存货按成本列示，未计提跌价",
        "no expected selling price and no one-off market price: net realisable value cannot be estimated; the "
        "inventory stays at cost and no write-down is measured")
    add("VALUE_IN_USE_POST_TAX", "收益法按税后收益与税后折现率计算；企业会计准则第8号要求预计未来现金流量不含所得税、"
        "折现率为税前利率：两种口径一致时结果相同，否则应按税前口径复核使用价值",
        "the income approach uses post-tax income and a post-tax rate; CAS 8 asks for pre-tax cash flows and a "
        "pre-tax rate: consistent bases give the same value, otherwise check the value in use on a pre-tax basis")
    if masks["RECOGNITION_DIFFERS"][i]:
        r = cols["recognised_as"][i]
        add("RECOGNITION_DIFFERS", f"卡片 asset.recognised_as 为 {r}，按持有目的与取得情况应分类为 {cls}：请核对入表口径",
            f"the card says asset.recognised_as = {r}, but intent and status classify it as {cls}: check the "
            "recognition", recognised_as=r, classification=cls)
    if masks["RESEARCH_COSTS_EXPENSED"][i]:
        r = float(cols["research"][i])
        add("RESEARCH_COSTS_EXPENSED", f"研究阶段支出 {r:,.2f} 于发生时计入当期损益，未资本化",
            f"research-phase costs of {r:,.2f} are expensed when incurred, not capitalised", research=r)
    dev_exp = float(cols["expensed"][i]) - float(cols["research"][i])
    add("DEVELOPMENT_COSTS_EXPENSED", f"开发阶段支出 {dev_exp:,.2f} 未同时满足第九条五项条件，计入当期损益",
            f"development-phase costs of {dev_exp:,.2f} do not meet all five criteria of art. 9 and are expensed",
            development_expensed=dev_exp)
    return out
