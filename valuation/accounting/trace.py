"""Calculation trace of one asset's books: every figure with its formula, inputs and clauses
(the step shape of the approaches' traces: step, labels, formula, inputs, value, clauses, unit,
notes)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from .amortise import CONVENTION_TEXT
from .classify import CLAUSES, DEVELOPMENT, INTANGIBLE, INVENTORY, LABELS

if TYPE_CHECKING:  # pragma: no cover
    from .book import Books

__all__ = ["trace_for"]


def _v(x: Any) -> Any:
    if isinstance(x, (np.floating, float)):
        return None if np.isnan(x) else float(x)
    if isinstance(x, np.datetime64):
        return None if np.isnat(x) else str(np.datetime64(x, "D"))
    if isinstance(x, np.bool_):
        return bool(x)
    return x


def _step(step: str, zh: str, en: str, formula: str, inputs: dict[str, Any], value: Any,
          clauses: list[str], unit: str = "currency", note_zh: str = "", note_en: str = "") -> dict[str, Any]:
    return {"step": step, "label_zh": zh, "label_en": en, "formula": formula,
            "inputs": {k: _v(x) for k, x in inputs.items()}, "value": _v(value), "clauses": clauses,
            "unit": unit, "note_zh": note_zh, "note_en": note_en}


def trace_for(b: Books, i: int) -> list[dict[str, Any]]:
    c, inp = b.cols, b.inputs
    cls = c["classification"][i]
    if cls is None:
        return []
    lz, le = LABELS[cls]
    out = [_step("classification", "分类", "Classification",
                 "出售目的 → 存货；自行开发且未达预定用途 → 开发支出；无可资本化成本 → 费用化；否则 → 无形资产",
                 {"intent": inp.intent[i], "acquired_by": inp.acquired_by[i],
                  "available_for_use": inp.available[i], "balance_sheet_date": inp.bs_date[i]},
                 cls, CLAUSES[cls], unit="", note_zh=lz, note_en=le)]
    cost_clauses = ["CASBE2023-11.inventory"] if cls == INVENTORY else ["CAS6.art12", "CAS6.art9"]
    if bool(c["cost_from_lines"][i]):
        out.append(_step("cost", "入账成本", "Cost",
                         "成本 = 取得阶段支出 + 开发阶段支出（满足五项条件或存货加工成本）",
                         {"acquisition": inp.acquisition[i], "development": inp.development[i],
                          "criteria_met": inp.criteria_met[i]}, c["cost"][i], cost_clauses))
    else:
        out.append(_step("cost", "入账成本", "Cost", "成本 = capitalised_cost（卡片给定，已与成本明细核对）",
                         {"capitalised_cost": inp.capitalised_given[i]}, c["cost"][i], cost_clauses))
    out.append(_step("expensed", "费用化金额", "Expensed", "费用化 = 成本明细合计 − 入账成本（研究阶段及不满足条件的开发支出）",
                     {"research": inp.research[i], "development": inp.development[i],
                      "acquisition": inp.acquisition[i]}, c["expensed"][i], ["CAS6.art7", "CAS6.art8", "CAS6.art9"]))
    if cls == INTANGIBLE:
        key = "units" if inp.method[i] == "units" else str(inp.convention[i])
        zh, en = CONVENTION_TEXT[key]
        indefinite = np.isnan(inp.life[i]) and key != "units"
        out.append(_step("accumulated_amortisation", "累计摊销", "Accumulated amortisation",
                         "累计摊销 = (成本 − 残值) × 已消耗比例" if not indefinite else "使用寿命不确定：不摊销",
                         {"cost": c["cost"][i], "residual_value": inp.residual[i], "useful_life_years": inp.life[i],
                          "available_for_use": inp.available[i], "balance_sheet_date": inp.bs_date[i],
                          "units_total": inp.units_total[i], "units_used": inp.units_used[i],
                          "consumed_share": c["share"][i]},
                         c["accumulated_amortisation"][i],
                         ["CAS6.art19", "CAS8.art4"] if indefinite else ["CAS6.art17", "ENG.default"],
                         note_zh=zh, note_en=en))
    out.append(_step("carrying_amount_before_impairment", "减值前账面价值", "Carrying amount before impairment",
                     "账面价值 = 成本 − 累计摊销 − 已计提减值准备",
                     {"cost": c["cost"][i], "accumulated_amortisation": c["accumulated_amortisation"][i],
                      "accumulated_impairment": inp.prior_impairment[i]},
                     c["carrying_amount_before_impairment"][i], ["CAS8.art15"]))
    if cls in (INTANGIBLE, DEVELOPMENT):
        out += _impairment_steps(c, inp, i)
    if cls == INVENTORY:
        out += _inventory_steps(c, inp, i)
    out.append(_step("carrying_amount", "期末账面价值", "Carrying amount",
                     "存货：min(成本, 可变现净值)；无形资产/开发支出：减值前账面价值 − 本期减值损失",
                     {"carrying_amount_before_impairment": c["carrying_amount_before_impairment"][i],
                      "impairment_loss": c["impairment_loss"][i]}, c["carrying_amount"][i],
                     ["CAS1.art15"] if cls == INVENTORY else ["CAS8.art15"]))
    return out


def _impairment_steps(c: dict[str, Any], inp: Any, i: int) -> list[dict[str, Any]]:
    """CAS 8: value in use, fair value less costs of disposal, recoverable amount, loss."""
    return [
        _step("value_in_use", "预计未来现金流量现值", "Value in use", "= 收益法评估值（同一卡片、同一库快照）",
              {"income_basis": inp.income_basis[i]}, c["value_in_use"][i],
              ["CAS8.art6", "CAS8.art11", "CAS2023.annex.income"]),
        _step("fair_value_less_costs_of_disposal", "公允价值减去处置费用", "Fair value less costs of disposal",
              "= 市场法评估值（一次性价格）− 处置费用",
              {"fair_value": c["fair_value"][i], "disposal_costs": inp.disposal_costs[i],
               "price_mode": inp.price_mode[i]},
              c["fair_value_less_costs_of_disposal"][i], ["CAS8.art6", "CAS2023.annex.market"]),
        _step("recoverable_amount", "可收回金额", "Recoverable amount",
              "可收回金额 = max(公允价值 − 处置费用, 预计未来现金流量现值)",
              {"value_in_use": c["value_in_use"][i],
               "fair_value_less_costs_of_disposal": c["fair_value_less_costs_of_disposal"][i]},
              c["recoverable_amount"][i], ["CAS8.art6"], note_zh=str(c["basis"][i]), note_en=str(c["basis"][i])),
        _step("impairment_loss", "减值损失", "Impairment loss",
              "减值损失 = max(账面价值 − 可收回金额, 0)；不得转回",
              {"carrying_amount_before_impairment": c["carrying_amount_before_impairment"][i],
               "recoverable_amount": c["recoverable_amount"][i]},
              c["impairment_loss"][i], ["CAS8.art15", "CAS8.art17"])]


def _inventory_steps(c: dict[str, Any], inp: Any, i: int) -> list[dict[str, Any]]:
    """CAS 1: net realisable value and the period's write-down."""
    return [
        _step("net_realisable_value", "可变现净值", "Net realisable value",
              "可变现净值 = 估计售价 − 至完工估计成本 − 估计销售费用及税费",
              {"expected_selling_price": c["selling_price_used"][i], "costs_to_complete": inp.costs_to_complete[i],
               "selling_costs": inp.selling_costs[i],
               "price_from_market_approach": bool(np.isnan(inp.selling_price[i]))},
              c["net_realisable_value"][i], ["CAS1.art15"]),
        _step("impairment_loss", "存货跌价（本期计提/转回）", "Inventory write-down (period)",
              "跌价准备 = max(成本 − 可变现净值, 0)；本期 = 应有准备 − 已计提准备（负数为转回）",
              {"cost": c["cost"][i], "net_realisable_value": c["net_realisable_value"][i],
               "accumulated_impairment": inp.prior_impairment[i]},
              c["impairment_loss"][i], ["CAS1.art15", "CAS1.art19"])]
