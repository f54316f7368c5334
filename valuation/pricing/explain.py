"""The art. 24 explanation of every asset (CAS 2023 art. 24: the reason for the conclusion, the
difference between the approaches and whether it is explained by their own inputs).

Per asset: the table of approaches (value, range, weight, difference from the conclusion),
the spread, the drivers (one-at-a-time sensitivity of each approach's own inputs and, for the
market approach, the dispersion of the comparables), the largest driver and the text in
Chinese and English.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from math import isfinite
from typing import Any

import numpy as np

from ..core.formatting import money
from ..core.labels import enum_label
from ..core.portfolio import Portfolio
from ..methods.base import MethodFn, MethodResult
from .combine import combine_columns
from .config import reconcile_config, setting
from .params import Param
from .sensitivity import tornado_columns, tornado_many_columns
from .uncertainty import DISPERSION_METHODS, default_params
from .weights import LABELS, default_methods, weights

__all__ = ["PURPOSE_ZH", "VALUE_TYPE_ZH", "explain"]

PURPOSE_ZH = {"transfer": "转让", "licensing": "许可使用", "financing": "融资", "pledge": "质押",
              "accounting": "会计入账", "impairment_test": "减值测试", "capital_contribution": "作价出资",
              "public_pricing": "公共数据定价", "internal_management": "内部管理", "other": "其他"}
VALUE_TYPE_ZH = {"market": "市场价值", "investment": "投资价值", "in_use": "在用价值",
                 "liquidation": "清算价值", "other": "其他价值类型"}
_DRIVER_COLUMNS = ("asset_id", "method", "parameter", "label_zh", "label_en", "value_at_low", "value_at_high",
                   "references")
_META = ("weights_source", "weights_reason", "rule_reason_zh", "rule_reason_en", "rule_references")


def _isna(x: Any) -> bool:
    """Whether a table value (a Python float, None, a str or a bool) is missing."""
    return x is None or (type(x) is float and x != x)


def _amount(x: float | None, currency: str, lang: str) -> str:
    """An amount with its unit, as every face states one (``4,889,179.46 元``, ``CNY 4,889,179.46``);
    ``—`` when missing."""
    return "—" if x is None or not isfinite(x) else money(x, currency, lang=lang)


def _method_tornados(pf: Portfolio, names: Sequence[str], applicable: Mapping[str, np.ndarray],
                     fns: Mapping[str, MethodFn], params_all: Sequence[Param], rel: float | None,
                     given: Mapping[str, tuple[np.ndarray, Mapping[str, np.ndarray]]] | None
                     ) -> dict[str, Mapping[str, Any]]:
    """One tornado (columns as arrays) per approach over the assets where it applies; those
    computed with the Monte Carlo run (``given``: default quantiles, no ``rel``, the same
    assets) are taken as they are; approaches applicable on every asset share one set of rows."""
    plan: dict[str, list[Param]] = {}
    for m in names:
        ps = [p for p in params_all if p.method == m]
        if applicable[m].any() and m in fns and ps:
            plan[m] = ps
    out: dict[str, Mapping[str, Any]] = {m: t for m, (at, t) in (given or {}).items()
                                         if m in plan and rel is None and np.array_equal(at, applicable[m])}
    together = [m for m in plan if applicable[m].all() and m not in out]
    if len(together) > 1 and len({id(p) for m in together for p in plan[m]}) == sum(len(plan[m]) for m in together):
        out.update(zip(together, tornado_many_columns([fns[m] for m in together],
                                                      [plan[m] for m in together], pf, rel=rel)))
    for m, ps in plan.items():
        if m not in out:
            app = applicable[m]
            sub = pf if app.all() else pf.subset(pf.index[app])
            out[m] = tornado_columns(fns[m], sub, ps, rel=rel)
    return out


def _driver_rows(pf: Portfolio, names: Sequence[str], applicable: Mapping[str, np.ndarray],
                 tornados: Mapping[str, Mapping[str, Any]], col: Callable[[str], list[Any]]
                 ) -> dict[str, list[Any]]:
    """The drivers of every asset as columns (Python lists): each approach's tornado rows of
    the parameters present on the card, then the dispersion rows of the dispersed approaches."""
    tcols: dict[str, list[Any]] = {c: [] for c in _DRIVER_COLUMNS}

    def add(cols: Mapping[str, Any], keep: np.ndarray | None = None) -> None:
        for c in _DRIVER_COLUMNS:
            v = cols[c] if keep is None else np.asarray(cols[c])[keep] if not isinstance(cols[c], list) \
                else [x for x, k in zip(cols[c], keep) if k]
            tcols[c].extend(v.tolist() if isinstance(v, np.ndarray) else v)

    ids = np.asarray([str(x) for x in pf.index.tolist()], dtype=object)
    for m in names:
        app = applicable[m]
        if not app.any():
            continue
        if m in tornados:
            t = tornados[m]
            add(t, np.asarray(t["present"], dtype=bool))
        if m in DISPERSION_METHODS:
            lo, hi = (np.asarray(col(f"{m}_{c}"), dtype=float)[app] for c in ("low", "high"))
            ok = ~np.isnan(lo) & ~np.isnan(hi)
            k = int(ok.sum())
            add({"asset_id": ids[app][ok], "parameter": ["market_dispersion"] * k,
                 "method": [m] * k, "label_zh": ["可比案例离散度（调整后价格区间）"] * k,
                 "label_en": ["dispersion of the adjusted comparable prices"] * k,
                 "value_at_low": lo[ok], "value_at_high": hi[ok],
                 "references": [["CAS2023.art23"]] * k})
    return tcols


def _drivers_of(tcols: Mapping[str, list[Any]]) -> Callable[[str, float], list[dict[str, Any]]]:
    """``drivers(asset_id, conclusion)``: the asset's drivers, by descending swing (share of
    the conclusion), each saying whether its plausible range reaches the conclusion."""
    by_asset: dict[str, list[int]] = {}
    for k, aid in enumerate(tcols["asset_id"]):
        by_asset.setdefault(aid, []).append(k)
    vlo = np.asarray(tcols["value_at_low"], dtype=float)
    vhi = np.asarray(tcols["value_at_high"], dtype=float)
    span = vhi - vlo
    both = (np.isfinite(vlo) & np.isfinite(vhi)).tolist()          # both ends finite: "reaches" tested
    d_span = np.where(np.isfinite(span), np.abs(span), np.nan).tolist()
    d_min, d_max = np.minimum(vlo, vhi).tolist(), np.maximum(vlo, vhi).tolist()
    vlo_l, vhi_l = vlo.tolist(), vhi.tolist()

    def drivers(aid: str, concl: float) -> list[dict[str, Any]]:
        g = by_asset.get(aid)
        if g is None or not isfinite(concl) or not concl:
            return []
        ac = abs(concl)
        out = [{"method": tcols["method"][k], "parameter": tcols["parameter"][k],
                "label_zh": tcols["label_zh"][k], "label_en": tcols["label_en"][k],
                "value_at_low": vlo_l[k], "value_at_high": vhi_l[k],
                "swing_pct": d_span[k] / ac if d_span[k] == d_span[k] else None,
                "reaches_conclusion": both[k] and d_min[k] <= concl <= d_max[k],
                "references": list(tcols["references"][k])} for k in g]
        out.sort(key=lambda d: -(d["swing_pct"] or 0.0))
        return out
    return drivers


def _table(i: int, col: Callable[[str], list[Any]], names: Sequence[str], concl: float) -> list[dict[str, Any]]:
    """The approaches of asset ``i``: value, range, weight, reasons, difference from the conclusion."""
    table = []
    for m in names:
        e, w = col(f"{m}_estimate")[i], col(f"{m}_weight")[i]
        lo, hi = col(f"{m}_low")[i], col(f"{m}_high")[i]
        diff = (float(e) / concl - 1) if not _isna(e) and isfinite(concl) and concl != 0 else None
        table.append({"method": m, "label_zh": LABELS.get(m, (m, m))[0], "label_en": LABELS.get(m, (m, m))[1],
                      "estimate": None if _isna(e) else float(e),
                      "low": None if _isna(lo) else float(lo), "high": None if _isna(hi) else float(hi),
                      "weight": None if _isna(w) else float(w),
                      "applicable": bool(col(f"{m}_applicable")[i]),
                      "reason_zh": col(f"{m}_reason_zh")[i], "reason_en": col(f"{m}_reason_en")[i],
                      "difference_pct": diff})
    return table


def _differences(table: list[dict[str, Any]], drivers: list[dict[str, Any]], div: float, cur: str,
                 zh: list[str], en: list[str]) -> None:
    """The sentences on each approach's difference from the conclusion, or why it does not apply."""
    for t in table:
        d = t["difference_pct"]
        if t["applicable"] and d is not None and not (t["weight"] or 0) >= 0.999:
            big = abs(d) > div
            zh.append(f"{t['label_zh']}结果 {_amount(t['estimate'], cur, 'zh')}，与结论相差 {d:+.1%}"
                      + ("，差异较大" if big else "") + "。")
            en.append(f"The {t['label_en']} gives {_amount(t['estimate'], cur, 'en')}, {d:+.1%} from "
                      f"the conclusion" + (" — a large difference" if big else "") + ".")
            if big and not any(x["method"] == t["method"] and x["reaches_conclusion"] for x in drivers):
                zh.append("该差异不能由该方法自身参数的合理变动解释，反映了各方法计量基础（成本、收益、市场）的不同，"
                          "结论依据上述权重理由形成。")
                en.append("This gap is not explained by plausible changes of that approach's own inputs; it "
                          "reflects the different bases (cost, income, market) of the approaches, and the "
                          "conclusion follows the weighting reason above.")
        if not t["applicable"]:
            zh.append(f"{t['label_zh']}不适用：{t['reason_zh'] or '—'}。")
            en.append(f"The {t['label_en']} is not applicable: {t['reason_en'] or '—'}.")


def _text(used: list[tuple[str, float]], table: list[dict[str, Any]], drivers: list[dict[str, Any]],
          row: Mapping[str, Any], meta: Mapping[str, Any], div: float) -> tuple[str, str]:
    """The explanation's text in Chinese and English."""
    if not used:
        return "没有适用的评估方法，未形成结论。", "No approach is applicable; no conclusion is formed."
    ml = {m: LABELS.get(m, (m, m)) for m, _ in used} | {d["method"]: LABELS.get(d["method"], (d["method"],) * 2)
                                                       for d in drivers[:1]}
    wz = "、".join(f"{ml[m][0]}（权重 {w:.0%}）" for m, w in used)
    we = ", ".join(f"{ml[m][1]} (weight {w:.0%})" for m, w in used)
    src, purpose, vtype = str(meta["weights_source"]), row["purpose"], row["value_type"]
    if src.startswith("card"):
        zh = [f"结论采用{wz}，权重由评估人员指定，理由：{meta['weights_reason']}。"]
        en = [f"The conclusion uses the {we}; the weights were set by the appraiser because: {meta['weights_reason']}."]
    else:
        zh = [f"评估目的为{PURPOSE_ZH.get(purpose, purpose)}、价值类型为{VALUE_TYPE_ZH.get(vtype, vtype)}，"
              f"结论采用{wz}：{meta['rule_reason_zh']}。"]
        en = [f"Purpose {enum_label(purpose, 'en', sentence=True)}, value type "
              f"{enum_label(vtype, 'en', 'value_type', sentence=True)}: the conclusion uses the {we} — "
              f"{meta['rule_reason_en']}."]
    if "fallback" in src:
        zh.append("首选方法不适用，按模型库的备选顺序改用上述方法。")
        en.append("The preferred approach is not applicable; the library's fallback order was used.")
    concl, cur = row["estimate"], row["currency"]
    zh.append(f"评估结论为 {_amount(concl, cur, 'zh')}，指导价区间 {_amount(row['low'], cur, 'zh')} – "
              f"{_amount(row['high'], cur, 'zh')}（覆盖率 {float(row['coverage']):.0%}）。")
    en.append(f"Conclusion {_amount(concl, cur, 'en')}; guided range {_amount(row['low'], cur, 'en')} – "
              f"{_amount(row['high'], cur, 'en')} ({float(row['coverage']):.0%} coverage).")
    _differences(table, drivers, div, cur, zh, en)
    top = drivers[0] if drivers else None
    if top:
        tm = ml[top["method"]]
        top_zh, top_en = f"{tm[0]}的{top['label_zh']}", f"{top['label_en']} ({tm[1]})"
        if top.get("swing_pct") is not None:
            zh.append(f"对结果影响最大的参数是{top_zh}：在其合理区间（10%–90% 分位）内变动使结果变化约"
                      f"结论的 {top['swing_pct']:.0%}。")
            en.append(f"The largest driver is the {top_en}: over its plausible range (10–90 % quantiles) it moves "
                      f"the value by about {top['swing_pct']:.0%} of the conclusion.")
        else:   # a zero or non-finite conclusion has no meaningful relative swing
            zh.append(f"对结果影响最大的参数是{top_zh}（结论为零或无有限值，不计算相对变动）。")
            en.append(f"The largest driver is the {top_en} (the conclusion is zero or not finite, so no "
                      "relative swing is given).")
    return "".join(zh), " ".join(en)


def _one(i: int, aid: str, col: Callable[[str], list[Any]], meta: Mapping[str, list[Any]],
         text: Mapping[str, list[Any]], names: Sequence[str], drivers_of: Callable[..., list[dict[str, Any]]],
         div: float) -> dict[str, Any]:
    """The explanation of asset ``i``."""
    e = col("estimate")[i]
    concl = float(e) if not _isna(e) else float("nan")
    table = _table(i, col, names, concl)
    used = [(t["method"], t["weight"]) for t in table if t["weight"] is not None and t["weight"] > 0]
    vals = [t["estimate"] for t in table if t["applicable"] and t["estimate"] is not None]
    spread = (max(vals) - min(vals)) / abs(concl) if len(vals) > 1 and isfinite(concl) and concl else 0.0
    drivers = drivers_of(aid, concl)
    top = drivers[0] if drivers else None
    m = {k: meta[k][i] for k in _META}
    row = {"estimate": concl, "low": col("low")[i], "high": col("high")[i], "coverage": col("coverage")[i],
           "purpose": str(text["purpose"][i]) if "purpose" in text else "other",
           "value_type": str(text["value_type"][i]) if "value_type" in text else "market",
           "currency": str(text["currency"][i] or "CNY") if "currency" in text else "CNY"}
    zh, en = _text(used, table, drivers, row, m, div)
    tm = LABELS.get(top["method"], (top["method"],) * 2) if top else None
    refs = ["CAS2023.art24"] + [r for r in m["rule_references"] if r != "CAS2023.art24"]
    return {"conclusion": None if not isfinite(concl) else concl, "table": table, "spread_pct": spread,
            "weights_source": str(m["weights_source"]), "drivers": drivers,
            "largest_driver": f"{tm[0]}的{top['label_zh']} / {top['label_en']} ({tm[1]})" if top else None,
            "largest_driver_detail": top, "reason_zh": zh, "reason_en": en, "references": refs}


def explain(pf: Portfolio, results: Mapping[str, MethodResult], *,
            methods: Mapping[str, MethodFn] | None = None, config: Mapping[str, Any] | None = None,
            snap: Any = None, rel: float | None = None, meta: Any = None,
            _tornados: Mapping[str, tuple[np.ndarray, Mapping[str, np.ndarray]]] | None = None,
            _columns: Mapping[str, Any] | None = None, _params: list[Any] | None = None
            ) -> dict[str, dict[str, Any]]:
    """The art. 24 explanation of every asset.

    Returns ``{asset_id: {...}}`` with ``table`` (each approach: estimate, low, high, weight,
    applicable, reasons, ``difference_pct`` = P_m / conclusion − 1), ``conclusion``,
    ``spread_pct`` ((max − min) / conclusion over applicable approaches), ``drivers`` (the
    one-at-a-time sensitivity of each approach's own inputs: parameter, swing in % of the
    conclusion, and whether its plausible range reaches the conclusion), ``largest_driver``
    (text) and ``largest_driver_detail``, ``reason_zh`` / ``reason_en`` and ``references``.
    ``_columns``: the reconciled columns as arrays in the portfolio's order
    (:func:`.combine.combine_columns`; by the analytic mixture when not given), ``meta`` their
    weights metadata (columns as arrays; derived from the applicable approaches when not given).
    """
    cfg = config if config is not None else reconcile_config(snap)
    if _columns is None:
        _columns, meta = combine_columns(pf, results, snap, cfg, methods=methods, range_method_="mixture")
    names = list(results)
    fns = dict(methods) if methods is not None else default_methods(snap, tuple(names))
    cols = dict(_columns)
    cache: dict[str, list[Any]] = {}

    def col(c: str) -> list[Any]:
        if c not in cache:
            v = cols[c]
            cache[c] = v if type(v) is list else np.asarray(v).tolist()
        return cache[c]

    applicable = {m: np.asarray(col(f"{m}_applicable"), dtype=bool) for m in names}
    if meta is None:
        meta = weights(pf, np.column_stack([applicable[m] for m in names]) if names else np.zeros((len(pf), 0), bool),
                       cfg, tuple(names))[1]
    mcols = {k: np.asarray(meta[k]).tolist() if not isinstance(meta[k], list) else meta[k] for k in _META}
    params_all = _params if _params is not None else default_params(cfg, getattr(snap, "models", None))
    tornados = _method_tornados(pf, names, applicable, fns, params_all, rel, _tornados)
    drivers_of = _drivers_of(_driver_rows(pf, names, applicable, tornados, col))
    a = pf.columns
    text = {c: a.text(c) for c in ("purpose", "value_type", "currency") if c in a}
    div = float(setting(cfg, "divergence"))
    ids = [str(x) for x in pf.index.tolist()]
    return {aid: _one(i, aid, col, mcols, text, names, drivers_of, div) for i, aid in enumerate(ids)}
