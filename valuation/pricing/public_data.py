"""Public-data operation pricing under 发改价格〔2025〕65号 (docs/DOMAIN.md §6).

* **Scope** (NDRC2025-65.scope, DATA20.public): products and services for public governance
  and public welfare are free — their price is always 0; industry and sector uses may be
  charged under government-guided prices.
* **Maximum allowed revenue** (最高准许收入, NDRC2025-65.mar)::

      MAR = (allowed_cost − subsidies) + allowed_profit + taxes − previous_excess
      allowed_profit = profit_base × min(profit_rate, cgb10y + premium_cap)   (NDRC2025-65.profit)

  ``profit_rate`` absent → the cap ``cgb10y + premium_cap`` is used. ``premium_cap`` default
  0.06 (``models/public_data_65.yaml``). ``previous_excess`` is the revenue of the previous
  period above its MAR, deducted now (NDRC2025-65.review).
* **Caps** (上限收费标准, NDRC2025-65.caps): ``cap_p = MAR × cost_share_p / expected_volume_p``
  when not given (paid items without a share split the remaining share equally); when caps
  are given, ``Σ cap_p × volume_p ≤ MAR`` is checked — a breach is a CAP_BREACH flag with the
  numbers. Actual price ≤ cap is a hard check.
* **Carry-over**: ``excess = max(0, actual_revenue − MAR)`` is deducted from the next period:
  ``MAR_next = MAR_next_gross − excess``.

Fixture F7: allowed cost 800, profit base 2000, CGB 1.7 % → rate 7.7 % → profit 154,
taxes 30 → MAR 984.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from ..core.errors import Issue, ValidationError
from ..methods.base import step
from .ceiling import cap_unit, premium_ceiling, round_down
from .config import public_data_config, setting

__all__ = ["FREE_USES", "next_period_mar", "price", "validate_product"]

FREE_USES = ("public_governance", "public_welfare")
USE_ZH = {"public_governance": "公共治理", "public_welfare": "公益事业", "industry": "产业发展",
          "sector": "行业发展"}


def validate_product(product: Mapping[str, Any]) -> dict[str, Any]:
    """Validate a product document (``{"product": {...}}``; the inner object alone is accepted)
    against the schema table (fields ``doc="product"``) and return the normalised copy.

    Raises :class:`~valuation.core.errors.ValidationError` listing every problem.
    """
    doc = dict(product) if isinstance(product, Mapping) else product
    if isinstance(doc, dict) and "product" not in doc and ("items" in doc or "period" in doc):
        doc = {"product": doc}
    from ..core.validate import check_document

    out, issues = check_document(doc, "product")
    p = (doc or {}).get("product") if isinstance(doc, dict) else None
    if isinstance(p, dict) and not isinstance(p.get("period"), dict):
        issues.append(Issue(field="product.period", value=p.get("period"), allowed="a JSON object",
                            message_zh="缺少必填对象 product.period（准许成本、利润基数、国债收益率等）",
                            message_en="required object product.period (allowed cost, profit base, CGB yield ...) "
                                       "is missing"))
    if not isinstance(doc, dict) or "product" not in doc:
        issues.append(Issue(field="product", value=None, allowed="a JSON object",
                            message_zh="缺少 product 对象", message_en="the product object is missing"))
    elif not isinstance(p, dict) and not any(i.field == "product" for i in issues):
        issues.append(Issue(field="product", value=p, allowed="a JSON object",
                            message_zh="product 必须是 JSON 对象", message_en="product must be a JSON object"))
    items = (out.get("product") or {}).get("items") or []
    seen: set[str] = set()
    for i, it in enumerate(items):
        iid = it.get("item_id")
        if iid in seen:
            issues.append(Issue(field=f"product.items[{i}].item_id", value=iid, allowed="unique ids",
                                message_zh=f"条目编号 {iid!r} 重复", message_en=f"duplicate item_id {iid!r}"))
        seen.add(iid)
    if issues:
        raise ValidationError(issues)
    return out


def _num(x: Any, default: float = 0.0) -> float:
    return default if x is None else float(x)


def _mar(p: Mapping[str, Any], raw_per: Mapping[str, Any], cfg: Mapping[str, Any], snap: Any,
         flags: list[dict[str, Any]]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The maximum allowed revenue of the period and its figures (NDRC2025-65.mar/profit), with
    their trace; a requested premium above the library's ceiling is capped and flagged."""
    per = p["period"]
    asked = float(raw_per["premium_cap"]) if raw_per.get("premium_cap") is not None else \
        float(setting(cfg, "premium_cap"))
    ceiling, ceiling_src = premium_ceiling(snap)   # the clause's ceiling, from the standards library
    premium_cap = min(asked, ceiling)              # a lower premium may be asked; a higher one is capped
    cost, subs = _num(per.get("allowed_cost")), _num(per.get("subsidies"))
    net_cost = max(0.0, cost - subs)
    base, cgb = _num(per.get("profit_base")), _num(per.get("cgb10y"))
    rate_cap = cgb + premium_cap
    user_rate = per.get("profit_rate")
    rate_used = rate_cap if user_rate is None else min(float(user_rate), rate_cap)
    profit = base * rate_used
    taxes = _num(per.get("taxes"))
    mar_gross = net_cost + profit + taxes
    prev = _num(per.get("previous_excess"))
    mar = max(0.0, mar_gross - prev)
    cur = p.get("currency", "CNY")
    trace = [
        step("net_cost", "准许成本（扣除政府补助）", "Allowed cost net of subsidies", "C = 准许成本 − 政府补助",
             {"allowed_cost": cost, "subsidies": subs}, net_cost, ["NDRC2025-65.mar"], unit=cur),
        step("premium_cap", "收益率上浮幅度", "Premium over the CGB yield",
             "上浮 = min(申报上浮, 标准库上限)", {"premium_cap_requested": asked, "ceiling": ceiling,
                                                 "ceiling_source": ceiling_src},
             premium_cap, ["NDRC2025-65.profit"], unit="ratio",
             note_zh="上限取自标准库（NDRC2025-65.profit 的 limits），不取自请求",
             note_en="the ceiling comes from the standards library (limits of NDRC2025-65.profit), not from the request"),
        step("rate_cap", "准许收益率上限", "Cap of the allowed return", "r_cap = 10 年期国债收益率 + 上浮上限",
             {"cgb10y": cgb, "premium_cap": premium_cap}, rate_cap, ["NDRC2025-65.profit"], unit="ratio"),
        step("rate_used", "采用的准许收益率", "Allowed return used", "r = min(r_申报, r_cap)（未申报时取 r_cap）",
             {"profit_rate": user_rate, "rate_cap": rate_cap}, rate_used, ["NDRC2025-65.profit"], unit="ratio"),
        step("allowed_profit", "准许利润", "Allowed profit", "π = 利润基数 × r", {"profit_base": base, "r": rate_used},
             profit, ["NDRC2025-65.profit"], unit=cur,
             note_zh="利润基数口径（有效资产或成本）待核对原文", note_en="the base (effective assets or cost) is an open question"),
        step("mar", "最高准许收入", "Maximum allowed revenue",
             "MAR = C + π + 税金 − 上期超额收入", {"C": net_cost, "π": profit, "taxes": taxes, "previous_excess": prev},
             mar, ["NDRC2025-65.mar", "NDRC2025-65.review"], unit=cur),
    ]
    if asked > ceiling + 1e-12:
        flags.append({"code": "PREMIUM_CAP_BREACH", "severity": "warning", "value": asked, "limit": ceiling,
                      "message_zh": f"申报的收益率上浮 {asked:.2%} 高于标准库规定的上限 {ceiling:.2%}（10 年期国债收益率 + "
                                    f"{ceiling:.0%}）：已按上限 {ceiling:.2%} 计算准许利润",
                      "message_en": f"the requested premium {asked:.2%} exceeds the ceiling {ceiling:.2%} of the standards "
                                    f"library (10-year CGB + {ceiling:.0%}); the allowed profit uses the ceiling {ceiling:.2%}",
                      "references": ["NDRC2025-65.profit"]})
    figures = {"allowed_cost": cost, "subsidies": subs, "net_cost": net_cost, "profit_base": base,
               "cgb10y": cgb, "premium_cap": premium_cap, "rate_cap": rate_cap, "rate_used": rate_used,
               "allowed_profit": profit, "taxes": taxes, "mar_gross": mar_gross, "previous_excess": prev, "mar": mar}
    return figures, trace


def _rest_share(items_in: list[Mapping[str, Any]], flags: list[dict[str, Any]]) -> float:
    """The cost share of each paid item without one: what the given shares leave, split evenly."""
    paid = [it for it in items_in if it.get("use_category") not in FREE_USES]
    given_shares = sum(float(it["cost_share"]) for it in paid if it.get("cost_share") is not None)
    n_missing = sum(1 for it in paid if it.get("cost_share") is None)
    if given_shares > 1 + 1e-9:
        flags.append({"code": "SHARE_OVER_1", "severity": "warning",
                      "message_zh": f"收费条目的成本分摊比例合计 {given_shares:.4f} 超过 1",
                      "message_en": f"the cost shares of the paid items sum to {given_shares:.4f} > 1",
                      "references": ["NDRC2025-65.caps"]})
    return max(0.0, 1.0 - given_shares) / n_missing if n_missing else 0.0


def _cap(it: Mapping[str, Any], free: bool, mar: float, rest_share: float, cfg: Mapping[str, Any],
         flags: list[dict[str, Any]]) -> tuple[float, str, float, dict[str, Any] | None]:
    """(cap, its source, the item's cost share, the rounding applied) of one item: 0 for a free
    use, the given cap, or ⌊MAR × share / volume⌋ to the publishable unit (NDRC2025-65.caps)."""
    if free:
        return 0.0, "free", 0.0, None
    share = float(it["cost_share"]) if it.get("cost_share") is not None else rest_share
    if it.get("cap") is not None:
        return float(it["cap"]), "given", share, None
    vol = float(it["expected_volume"])
    cap_exact = mar * share / vol if vol > 0 else math.nan
    unit_round = cap_unit(it.get("unit"), cfg)
    cap = round_down(cap_exact, unit_round)   # publishable unit, never above the computed cap
    if vol <= 0:
        iid = it["item_id"]
        flags.append({"code": "NO_VOLUME", "severity": "warning", "item_id": iid,
                      "message_zh": f"条目 {iid} 的预计销量为 0，无法由最高准许收入推算上限收费标准",
                      "message_en": f"item {iid}: expected volume is 0 — the cap cannot be derived from MAR",
                      "references": ["NDRC2025-65.caps"]})
    rounding = {"cap_unrounded": None if math.isnan(cap_exact) else cap_exact, "unit": unit_round, "mode": "down"}
    return cap, "computed", share, rounding


def _price_flags(iid: str, use: str, free: bool, given_price: Any, cap: float, tol: float,
                 flags: list[dict[str, Any]]) -> bool:
    """Whether the item's price is allowed: free uses priced 0, others at most the cap."""
    ok = True
    if free and given_price is not None and float(given_price) > 0:
        ok = False
        flags.append({"code": "PUBLIC_FREE_CHARGED", "severity": "blocker", "item_id": iid,
                      "value": float(given_price), "limit": 0.0,
                      "message_zh": f"条目 {iid} 用于{USE_ZH[use]}，应无偿提供，但拟收费 {float(given_price):,.2f}；"
                                    "公共治理、公益事业用途的收费为 0",
                      "message_en": f"item {iid} serves {use.replace('_', ' ')} and must be free, but a price of "
                                    f"{float(given_price):,.2f} is set; public governance/welfare uses are priced 0",
                      "references": ["NDRC2025-65.scope", "DATA20.public"]})
    if not free and given_price is not None and not math.isnan(cap) and float(given_price) > cap * (1 + tol) + tol:
        ok = False
        flags.append({"code": "CAP_BREACH", "severity": "blocker", "item_id": iid,
                      "value": float(given_price), "limit": cap,
                      "message_zh": f"条目 {iid} 的实际收费 {float(given_price):,.4f} 高于上限收费标准 {cap:,.4f}",
                      "message_en": f"item {iid}: actual price {float(given_price):,.4f} exceeds the cap {cap:,.4f}",
                      "references": ["NDRC2025-65.caps"]})
    return ok


def _item(it: Mapping[str, Any], mar: float, rest_share: float, cfg: Mapping[str, Any], tol: float,
          flags: list[dict[str, Any]], trace: list[dict[str, Any]]) -> dict[str, Any]:
    """One item of the product: its cap, price, revenues and whether it is allowed."""
    iid, use = it["item_id"], it["use_category"]
    free = use in FREE_USES
    vol = float(it["expected_volume"])
    given_price = it.get("price")
    cap, cap_src, share, rounding = _cap(it, free, mar, rest_share, cfg, flags)
    if free:
        price_v, price_src = 0.0, "free"
    elif given_price is not None:
        price_v, price_src = float(given_price), "given"
    else:
        price_v, price_src = cap, "cap"
    ok = _price_flags(iid, use, free, given_price, cap, tol, flags)
    rev_cap = 0.0 if free or math.isnan(cap) else cap * vol
    if not free and not math.isnan(cap):
        note = rounding or {}
        trace.append(step(f"cap:{iid}", f"上限收费标准（{iid}）", f"Price cap ({iid})",
                          "cap = ⌊MAR × 分摊比例 / 预计销量⌋（向下取整到计价单位）" if cap_src == "computed"
                          else "cap 给定",
                          {"MAR": mar, "cost_share": share, "expected_volume": vol, **note},
                          cap, ["NDRC2025-65.caps"],
                          note_zh=f"未取整值 {note.get('cap_unrounded', math.nan)!r}，向下取整到 {note.get('unit', 0):g}"
                          if rounding else "",
                          note_en=f"unrounded {note.get('cap_unrounded', math.nan)!r}, rounded down to "
                          f"{note.get('unit', 0):g}" if rounding else ""))
    return {"item_id": iid, "name": it.get("name"), "use_category": use, "unit": it.get("unit"),
            "expected_volume": vol, "cost_share": None if free else share,
            "cap": None if math.isnan(cap) else cap, "cap_source": cap_src, "cap_rounding": rounding,
            "price": None if math.isnan(price_v) else price_v, "price_source": price_src,
            "revenue_at_cap": rev_cap, "revenue_at_price": 0.0 if free or math.isnan(price_v) else price_v * vol,
            "ok": ok, "free": free}


def _checks(mar: float, cap_revenue: float, actual: Any, excess: float | None, tol: float,
            flags: list[dict[str, Any]], trace: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The product's checks: caps within MAR, prices within caps, free uses free, revenue within MAR."""
    cap_ok = cap_revenue <= mar * (1 + tol) + tol
    checks = [{"id": "caps_within_mar", "label_zh": "Σ 上限 × 预计销量 ≤ 最高准许收入",
               "label_en": "Σ cap × expected volume ≤ MAR", "value": cap_revenue, "limit": mar, "ok": cap_ok,
               "references": ["NDRC2025-65.caps", "NDRC2025-65.mar"]}]
    if not cap_ok:
        flags.append({"code": "CAP_BREACH", "severity": "blocker", "value": cap_revenue, "limit": mar,
                      "message_zh": f"上限收费标准按预计销量计的收入 {cap_revenue:,.2f} 超过最高准许收入 {mar:,.2f}"
                                    f"（超出 {cap_revenue - mar:,.2f}）",
                      "message_en": f"caps × expected volumes give {cap_revenue:,.2f}, above the maximum allowed "
                                    f"revenue {mar:,.2f} (by {cap_revenue - mar:,.2f})",
                      "references": ["NDRC2025-65.caps", "NDRC2025-65.mar"]})
    checks.append({"id": "prices_within_caps", "label_zh": "实际收费 ≤ 上限收费标准", "label_en": "actual price ≤ cap",
                   "ok": not any(f["code"] == "CAP_BREACH" and f.get("item_id") for f in flags),
                   "references": ["NDRC2025-65.caps"]})
    checks.append({"id": "public_free", "label_zh": "公共治理、公益事业用途收费为 0",
                   "label_en": "public governance / welfare uses priced 0",
                   "ok": not any(f["code"] == "PUBLIC_FREE_CHARGED" for f in flags),
                   "references": ["NDRC2025-65.scope", "DATA20.public"]})
    if actual is not None:
        checks.append({"id": "revenue_within_mar", "label_zh": "实际收入 ≤ 最高准许收入",
                       "label_en": "actual revenue ≤ MAR", "value": float(actual), "limit": mar,
                       "ok": excess == 0.0, "references": ["NDRC2025-65.review"]})
        trace.append(step("carryover", "超额收入结转", "Excess revenue carried over",
                          "excess = max(0, 实际收入 − MAR)；下期 MAR = 下期核定值 − excess",
                          {"actual_revenue": float(actual), "MAR": mar}, excess, ["NDRC2025-65.review"]))
        if excess and excess > 0:
            flags.append({"code": "REVENUE_ABOVE_MAR", "severity": "warning", "value": float(actual), "limit": mar,
                          "message_zh": f"实际收入 {float(actual):,.2f} 超过最高准许收入 {mar:,.2f}，"
                                        f"超出部分 {excess:,.2f} 应在下期核定最高准许收入时扣减",
                          "message_en": f"actual revenue {float(actual):,.2f} exceeds MAR {mar:,.2f}; the excess "
                                        f"{excess:,.2f} is deducted when the next period's MAR is approved",
                          "references": ["NDRC2025-65.review"]})
    return checks


def price(product: Mapping[str, Any], *, config: Mapping[str, Any] | None = None,
          snap: Any = None) -> dict[str, Any]:
    """Maximum allowed revenue, price caps and checks of a public-data product (65号).

    Parameters
    ----------
    product : the ``product`` document of the interchange schema (``{"product": {...}}``).
    config : the model entry (default: ``pricing.public_data_65`` of ``snap`` or the seed file).

    Returns
    -------
    dict with ``product_id``, ``currency``, ``allowed_cost``, ``subsidies``, ``net_cost``,
    ``rate_cap``, ``rate_used``, ``allowed_profit``, ``taxes``, ``mar_gross``,
    ``previous_excess``, ``mar``, ``excess``, ``carryover_next``, ``items`` (per item: cap,
    cap_source, price, price_source, revenue, ok, free), ``checks``, ``flags`` (code,
    severity, message_zh, message_en, references), ``trace`` and ``provenance`` (placeholder
    filled by :func:`valuation.api.price`).
    """
    raw = product if isinstance(product, Mapping) else {}
    norm = validate_product(product)
    cfg = config if config is not None else public_data_config(snap)
    p = norm["product"]
    raw_p = raw.get("product", raw) if isinstance(raw, Mapping) else {}
    raw_per = raw_p.get("period") or {} if isinstance(raw_p, Mapping) else {}
    tol = float(setting(cfg, "tolerance") or 1e-9)
    flags: list[dict[str, Any]] = []
    fig, trace = _mar(p, raw_per, cfg, snap, flags)
    mar = fig["mar"]
    actual = p["period"].get("actual_revenue")
    excess = max(0.0, float(actual) - mar) if actual is not None else None
    items_in = p.get("items") or []
    rest_share = _rest_share(items_in, flags)
    items_out = [_item(it, mar, rest_share, cfg, tol, flags, trace) for it in items_in]
    cap_revenue = 0.0
    for i in items_out:
        cap_revenue += i["revenue_at_cap"]
    checks = _checks(mar, cap_revenue, actual, excess, tol, flags, trace)
    return {
        "product_id": p.get("product_id"), "name": p.get("name"), "currency": p.get("currency") or "CNY",
        **fig, "actual_revenue": None if actual is None else float(actual), "excess": excess,
        "carryover_next": excess, "revenue_at_caps": cap_revenue,
        "revenue_at_prices": sum(i["revenue_at_price"] for i in items_out),
        "items": items_out, "checks": checks, "flags": flags, "trace": trace,
        "ok": not any(f["severity"] == "blocker" for f in flags),
        "references": ["NDRC2025-65.scope", "NDRC2025-65.mar", "NDRC2025-65.profit", "NDRC2025-65.caps",
                       "NDRC2025-65.review"],
        "provenance": {"model": cfg.get("id", "pricing.public_data_65"), "engine_version": None,
                       "library_snapshot": None, "input_hash": None},
    }


def next_period_mar(mar_next_gross: float, previous_excess: float) -> float:
    """MAR of the next period after deducting the previous period's excess revenue
    (NDRC2025-65.review): ``max(0, MAR_next_gross − previous_excess)``."""
    return max(0.0, float(mar_next_gross) - max(0.0, float(previous_excess)))
