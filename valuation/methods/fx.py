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
from .base import LazyWarnings, MethodResult, step

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


def _currencies(t: Any, lib_cur: str) -> np.ndarray:
    """The card's currency of every asset, upper case (missing or empty → CNY, the schema
    default). Only the values other than ``lib_cur`` are looked at further (numpy's string
    functions over them at once): most portfolios are in the library's currency."""
    c = np.asarray(t["currency"], dtype=object)
    odd = np.flatnonzero(np.not_equal(c, lib_cur))
    if not len(odd):
        return c
    x = c[odd]
    x = np.where(np.equal(x, None) | np.equal(x, ""), "CNY", x)
    out = c.copy()
    out[odd] = np.strings.upper(x.astype(np.dtypes.StringDType())).astype(object)
    return out


class _Rates:
    """The rate of each asset's (currency, valuation date), found once per distinct pair:
    ``found`` (bool per asset), ``factor`` (1 ÷ CNY per unit; NaN where none) and the rate
    entries (``entry[i]``: the :func:`find_rate` answer of asset i's pair, or None)."""

    def __init__(self, table: Mapping[str, Any], cur: np.ndarray, days: np.ndarray, rows: np.ndarray, n: int):
        self.found = np.zeros(n, dtype=bool)
        self.factor = np.full(n, np.nan)
        self.entry: dict[int, dict[str, Any] | None] = {}
        if not len(rows):
            return
        names, code = np.unique(cur[rows].astype(str), return_inverse=True)
        d = days[rows].astype(np.int64)
        keys, first, inv = np.unique(code * (1 << 40) + d, return_index=True, return_inverse=True)
        found = [find_rate(table, str(names[code[j]]), days[rows[j]].item()) for j in first.tolist()]
        ok = np.array([r is not None for r in found], dtype=bool)
        f = np.array([1.0 / r["cny_per_unit"] if r is not None else np.nan for r in found])
        self.found[rows] = ok[inv]
        self.factor[rows] = f[inv]
        self._found, self._inv, self._rows = found, inv, rows

    def of(self, i: int) -> dict[str, Any] | None:
        """The rate entry of asset ``i`` (one of the rows asked for)."""
        return self._found[self._inv[int(np.searchsorted(self._rows, i))]]


def apply_market_currency(res: MethodResult, pf: Any, snap: Any, *, table: Mapping[str, Any] | None = None
                          ) -> MethodResult:
    """Convert (or refuse) the market rows whose comparables are library evidence in another
    currency than the card's; label explicit comparables with the card's currency. ``table``:
    the ``fx.rates`` entry (default: the snapshot's, :func:`fx_table`). On the result's
    columns, over all assets at once; the rate of each distinct (currency, date) found once;
    traces rewritten for the traced assets only, warnings built when read."""
    cols = res.columns
    if not len(res) or "comparables_source" not in cols:
        return res
    t = typed.table(pf)
    table = fx_table(snap) if table is None else table
    lib_cur = str(table.get("library_currency") or "CNY")
    cur = _currencies(t, lib_cur)
    other = cur != lib_cur
    if not other.any():
        return res
    lib = other & (cols["comparables_source"] == "library")
    app = res.flag("applicable")
    days = np.asarray(t["valuation_date"], dtype="datetime64[D]")
    rates = _Rates(table, cur, days, np.flatnonzero(lib), len(res))
    refuse = lib & app & ~rates.found
    conv = lib & app & rates.found
    changed: dict[str, np.ndarray] = {}
    for k in _MONEY_COLUMNS:
        if k in cols:
            v = res.num(k)
            changed[k] = np.where(conv, v * rates.factor, np.where(refuse & (k in ("estimate", "low", "high")), np.nan, v))
    changed["applicable"] = app & ~refuse
    changed["reason_zh"], changed["reason_en"] = _refusal_texts(res, table, lib_cur, cur, days, refuse)
    if "price_unit" in cols:
        unit = np.asarray(cols["price_unit"], dtype=object)
        text = other & np.not_equal(unit, None)
        relabelled = np.strings.replace(unit[text].astype(np.dtypes.StringDType()), lib_cur,
                                        cur[text].astype(np.dtypes.StringDType()), 1).astype(object)
        unit = unit.copy()
        unit[text] = relabelled     # the amounts are in the card's currency (given or converted)
        changed["price_unit"] = unit
    ids = res.index.tolist()
    traces = _fx_traces(res.traces, ids, other, lib, conv, cur, rates, lib_cur, changed["estimate"]) \
        if res.traces else res.traces
    warnings = res.warnings

    def fx_warnings() -> dict[str, list[dict[str, Any]]]:
        out = {k: list(v) for k, v in warnings.items()} if warnings else {}
        for i in np.flatnonzero(conv).tolist():
            r, c = rates.of(i), str(cur[i])
            out.setdefault(ids[i], []).append({
                "code": "FX_CONVERTED",
                "message_zh": f"案例库证据以 {lib_cur} 计，按 {r['date']} 汇率 {r['cny_per_unit']}（{r['source']}）换算为 {c}",
                "message_en": f"library evidence in {lib_cur} converted to {c} at {r['cny_per_unit']} {lib_cur} per {c} "
                              f"dated {r['date']} ({r['source']})"})
        return out

    return MethodResult(res.method, None, traces, res.params, LazyWarnings(fx_warnings) if conv.any() else warnings,
                        columns={**cols, **changed}, index=res.index)


def _refusal_texts(res: MethodResult, table: Mapping[str, Any], lib_cur: str, cur: np.ndarray, days: np.ndarray,
                   refuse: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The reasons with the refusals for want of a rate written in (one text per distinct
    currency and date)."""
    zh = np.array(res.columns["reason_zh"], dtype=object)
    en = np.array(res.columns["reason_en"], dtype=object)
    age = int(table.get("max_age_days") or 31)
    rows = np.flatnonzero(refuse)
    for c, d in dict.fromkeys(zip(cur[rows].tolist(), days[rows].tolist())):
        same_day = np.isnat(days) if d is None else days == np.datetime64(d, "D")
        at = refuse & (cur == c) & same_day
        zh[at] = (f"案例库价格以 {lib_cur} 计，卡片币种为 {c}，模型库（{FX_MODEL_ID}）中没有评估基准日 {d} 当日或之前"
                  f" {age} 天内的 {c} 汇率：市场法不适用（不把 {lib_cur} 数值标为 {c}）")
        en[at] = (f"the case library's prices are in {lib_cur} and the card's currency is {c}; the models library "
                  f"({FX_MODEL_ID}) has no {c} rate dated on or up to {age} days before the valuation date {d}: "
                  f"the market approach does not apply (a {lib_cur} number is never relabelled {c})")
    return zh, en


def _fx_traces(traces: Mapping[str, list[Any]], ids: list[Any], other: np.ndarray, lib: np.ndarray,
               conv: np.ndarray, cur: np.ndarray, rates: _Rates, lib_cur: str, estimate: np.ndarray
               ) -> dict[str, list[Any]]:
    """The traced assets' steps in the card's currency: units relabelled where the amounts are
    the card's (explicit comparables) or converted, and the conversion step added."""
    out = dict(traces)
    for i in np.flatnonzero(other).tolist():
        aid, c = ids[i], str(cur[i])
        if aid not in out or (lib[i] and not rates.found[i]):
            continue
        out[aid] = [dict(t_, unit=str(t_.get("unit", "")).replace(lib_cur, c, 1)) for t_ in out[aid]]
        if conv[i]:
            r = rates.of(i)
            out[aid] = out[aid] + [step(
                "fx", f"币种换算（{lib_cur} → {c}）", f"Currency conversion ({lib_cur} → {c})",
                f"P_{c} = P_{lib_cur} ÷ 汇率（每 1 {c} 折合 {lib_cur}）",
                {"cny_per_unit": r["cny_per_unit"], "rate_date": r["date"].isoformat(),
                 "rate_source": r["source"], "library_currency": lib_cur, "card_currency": c},
                estimate[i], ["CAS2023.art23"], unit=c)]
    return out
