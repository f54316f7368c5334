"""Currency of the evidence vs the card (issue 17 item 4): never relabel a number.

The case library's prices are in ``library_currency`` (CNY) — its importers refuse other
currencies. A card in another currency (``engagement.currency``) valued on library comparables
gets the market result converted with a dated rate of the models library (``fx.rates``: currency,
CNY per unit, date, source — the latest rate dated on or before the valuation date and at most
``max_age_days`` older), the rate, date and source shown in the trace; without such a rate the
market approach is not applicable, with the reason. Comparables given on the card are in the
card's currency: their unit labels say so. The cost and income approaches take the card's own
amounts, so they are in its currency already.

Conversion of the output is exact: every price of the market approach is scaled by the same
factor, the grid is linear in the prices and the hedonic model log-linear (a factor shifts the
intercept only), so the estimate and the range scale by that factor.
"""
from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import numpy as np

from . import typed
from .base import MethodResult, step

__all__ = ["FX_MODEL_ID", "fx_table", "find_rate", "apply_market_currency"]

FX_MODEL_ID = "fx.rates"
_MONEY_COLUMNS = ("estimate", "low", "high", "hedonic_estimate", "hedonic_low", "hedonic_high", "grid_estimate")


@lru_cache(maxsize=1)
def _seed_table() -> dict[str, Any]:
    from ..core.models import load_model_file, models_dir

    p = models_dir() / "fx_rates.yaml"
    return load_model_file(p) if p.exists() else {}


def fx_table(snap: Any = None) -> dict[str, Any]:
    """The ``fx.rates`` entry of the snapshot's models library (else the seed file)."""
    m = snap.model(FX_MODEL_ID) if snap is not None and hasattr(snap, "model") else None
    return dict(m) if m else dict(_seed_table())


def find_rate(table: Mapping[str, Any], currency: str, on: _dt.date) -> dict[str, Any] | None:
    """The latest usable rate of ``currency`` dated on or before ``on`` (within max_age_days):
    ``{currency, cny_per_unit, date, source}``, or None."""
    max_age = int(table.get("max_age_days") or 31)
    best = None
    for r in table.get("rates") or []:
        if not isinstance(r, Mapping) or str(r.get("currency", "")).upper() != currency:
            continue
        try:
            d = r["date"] if isinstance(r["date"], _dt.date) else _dt.date.fromisoformat(str(r["date"]))
            rate = float(r["cny_per_unit"])
        except (KeyError, TypeError, ValueError):
            continue
        if not (np.isfinite(rate) and rate > 0) or d > on or (on - d).days > max_age or not r.get("source"):
            continue
        if best is None or d > best["date"]:
            best = {"currency": currency, "cny_per_unit": rate, "date": d, "source": str(r["source"])}
    return best


def apply_market_currency(res: MethodResult, pf: Any, snap: Any, *, table: Mapping[str, Any] | None = None
                          ) -> MethodResult:
    """Convert (or refuse) the market rows whose comparables are library evidence in another
    currency than the card's; label explicit comparables with the card's currency. ``table``:
    the ``fx.rates`` entry (default: the snapshot's, :func:`fx_table`)."""
    fr = res.frame
    if not len(fr) or "comparables_source" not in fr:
        return res
    t = typed.table(pf)
    # the card's currency (text, None missing → the schema default CNY), upper case
    cur = np.array([(x or "CNY").upper() for x in t["currency"].tolist()], dtype=object)
    table = fx_table(snap) if table is None else table
    lib_cur = str(table.get("library_currency") or "CNY")
    other = cur != lib_cur
    if not other.any():
        return res
    traces = dict(res.traces)
    warnings = {k: list(v) for k, v in res.warnings.items()} if res.warnings else {}
    src = np.array([str(x) for x in fr["comparables_source"].tolist()], dtype=object)
    app = np.array(fr["applicable"].tolist(), dtype=bool)
    vd = t["valuation_date"].tolist()               # datetime.date (None: NaT)
    ids = np.array(fr.index.tolist(), dtype=object)
    # the result columns this changes, as arrays (written back at the end)
    cols = {k: np.array(fr[k].tolist(), dtype=float) for k in _MONEY_COLUMNS if k in fr}
    app_new = app.copy()
    zh = np.array(fr["reason_zh"].tolist(), dtype=object)
    en = np.array(fr["reason_en"].tolist(), dtype=object)
    unit = np.array(fr["price_unit"].tolist(), dtype=object) if "price_unit" in fr else None
    for i in np.flatnonzero(other):
        c = str(cur[i])
        if unit is not None and isinstance(unit[i], str):
            unit[i] = unit[i].replace(lib_cur, c, 1)     # the amounts below are in the card's currency
        aid = ids[i]
        if aid in traces and (src[i] != "library" or find_rate(table, c, vd[i]) is not None):
            # the trace's amounts are the card's (explicit comparables) or converted below: say so
            traces[aid] = [dict(t_, unit=str(t_.get("unit", "")).replace(lib_cur, c, 1)) for t_ in traces[aid]]
        if src[i] != "library" or not app[i]:
            continue
        rate = find_rate(table, c, vd[i])
        if rate is None:
            app_new[i] = False
            for k in ("estimate", "low", "high"):
                cols[k][i] = np.nan
            zh[i] = (f"案例库价格以 {lib_cur} 计，卡片币种为 {c}，模型库（{FX_MODEL_ID}）中没有评估基准日 {vd[i]} 当日或之前"
                     f" {int(table.get('max_age_days') or 31)} 天内的 {c} 汇率：市场法不适用（不把 {lib_cur} 数值标为 {c}）")
            en[i] = (f"the case library's prices are in {lib_cur} and the card's currency is {c}; the models library "
                     f"({FX_MODEL_ID}) has no {c} rate dated on or up to {int(table.get('max_age_days') or 31)} days "
                     f"before the valuation date {vd[i]}: the market approach does not apply (a {lib_cur} number is "
                     f"never relabelled {c})")
            continue
        f = 1.0 / rate["cny_per_unit"]
        for k in cols:
            cols[k][i] = cols[k][i] * f
        if aid in traces:
            traces[aid] = list(traces[aid]) + [step(
                "fx", f"币种换算（{lib_cur} → {c}）", f"Currency conversion ({lib_cur} → {c})",
                f"P_{c} = P_{lib_cur} ÷ 汇率（每 1 {c} 折合 {lib_cur}）",
                {"cny_per_unit": rate["cny_per_unit"], "rate_date": rate["date"].isoformat(),
                 "rate_source": rate["source"], "library_currency": lib_cur, "card_currency": c},
                cols["estimate"][i], ["CAS2023.art23"], unit=c)]
        warnings.setdefault(aid, []).append({
            "code": "FX_CONVERTED",
            "message_zh": f"案例库证据以 {lib_cur} 计，按 {rate['date']} 汇率 {rate['cny_per_unit']}（{rate['source']}）换算为 {c}",
            "message_en": f"library evidence in {lib_cur} converted to {c} at {rate['cny_per_unit']} {lib_cur} per {c} "
                          f"dated {rate['date']} ({rate['source']})"})
    changed = {**cols, "applicable": app_new, "reason_zh": zh, "reason_en": en}
    if unit is not None:
        changed["price_unit"] = unit
    fr = fr.assign(**{k: v for k, v in changed.items()})   # (a new frame; the result's stays as it was)
    return MethodResult(res.method, fr, traces, res.params, warnings)
