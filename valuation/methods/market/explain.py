"""Warnings and traces of the market approach: guardrails (few comparables, coefficient and
product bands, spread), left-out comparables, listing evidence, and the calculation steps
per asset (CAS 2023 art. 23, 27; docs/DOMAIN.md §4).
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from ..base import step
from .grid import (
    COEFFICIENT_LABELS,
    band_columns,
)
from .params import CLAUSES

__all__ = ["market_traces", "market_warnings"]

REF = {"references": ["CAS2023.art23", "CAS2023.annex.market", "ENG.default"]}


# --------------------------------------------------------------------------- warnings
def _w(code: str, zh: str, en: str, severity: str = "warning", **values: Any) -> dict[str, Any]:
    return {"code": code, "severity": severity, "message_zh": zh, "message_en": en,
            "references": list(REF["references"]), "values": values}


def market_warnings(ids: Any, out: Mapping[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Warnings per asset from the outputs of :func:`.value._value`."""
    ids = ids.tolist()      # element access on an Arrow-backed Index goes through Arrow each time
    fr, pc = out["_cols"], out["_pairs"]     # the arrays behind the frames
    app = fr["applicable"]
    res: dict[str, list[dict[str, Any]]] = {}
    cnt = fr["n_comparables"]
    mc = out["min_comparables"]
    for i in np.flatnonzero(app & (cnt < mc)):
        res.setdefault(ids[i], []).append(_w(
            "MARKET_FEW_COMPARABLES",
            f"可比案例仅 {cnt[i]} 个，少于建议的 {int(mc[i])} 个；结论可靠性较低（第二十三条：适当数量）",
            f"only {cnt[i]} comparables, fewer than the recommended {int(mc[i])}; the conclusion is less reliable "
            "(art. 23: an appropriate number)", n=int(cnt[i]), minimum=int(mc[i])))
    _band_warnings(res, ids, app, pc, out["_bands"])
    _other_warnings(res, ids, out)
    return res


def _band_warnings(res: dict[str, list[dict[str, Any]]], ids: list[Any], app: np.ndarray,
                   pc: Mapping[str, np.ndarray], bands: tuple[Any, Any]) -> None:
    """One warning per asset and kind (single coefficient, product) listing every breach of
    the guardrail bands with its number (engineering defaults, models/market_grid.yaml)."""
    br = band_columns(pc, *bands) if len(pc["subject"]) else None
    if br is not None:
        keep = app[br["subject"].astype(int)]
        br = {k: v[keep] for k, v in br.items()} if keep.any() else None
    if br is not None:
        # one warning per asset and kind, listing every breach with its number
        # the texts as Python strings (pandas' string pipeline: a Series per operation)
        coef_all = br["coefficient"].tolist()
        is_prod = np.array([c == "product" for c in coef_all], dtype=bool)
        lab_zh = {k: f"{k.upper()} {v[0]}" for k, v in COEFFICIENT_LABELS.items()}
        lab_en = {k: f"{k.upper()} {v[1]}" for k, v in COEFFICIENT_LABELS.items()}
        case_s = [str(x) for x in br["case_id"].tolist()]
        val = [f"{x:.4f}" for x in br["value"].tolist()]
        txt_zh = np.array([c + " ΠX = " + v if pr else c + " " + lab_zh.get(k, "") + " = " + v
                           for c, k, v, pr in zip(case_s, coef_all, val, is_prod.tolist())], dtype=object)
        txt_en = np.array([c + " ΠX = " + v if pr else c + " " + lab_en.get(k, "") + " = " + v
                           for c, k, v, pr in zip(case_s, coef_all, val, is_prod.tolist())], dtype=object)
        # group by (subject, kind) with one stable sort and slice boundaries: pandas' groupby
        # with Python aggregations calls Python per group, i.e. per asset in batch runs
        subj = br["subject"].astype(int)
        order = np.lexsort((is_prod, subj))
        key = subj[order] * 2 + is_prod[order]
        starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
        ends = np.r_[starts[1:], len(key)]
        zh_l, en_l = txt_zh[order].tolist(), txt_en[order].tolist()
        case_l = br["case_id"][order].tolist()
        coef_l = br["coefficient"][order].tolist()
        val_l = br["value"][order].tolist()
        low_l, high_l = br["low"][order].tolist(), br["high"][order].tolist()
        subj_l, prod_l = subj[order].tolist(), is_prod[order].tolist()
        for a, b in zip(starts.tolist(), ends.tolist()):
            lo, hi = low_l[a], high_l[a]
            if prod_l[a]:
                res.setdefault(ids[subj_l[a]], []).append(_w(
                    "MARKET_PRODUCT_BAND",
                    f"修正系数连乘积超出 [{lo:.2f}, {hi:.2f}]（案例与评估对象差异过大）：{'；'.join(zh_l[a:b])}",
                    f"product of coefficients outside [{lo:.2f}, {hi:.2f}] (the case differs too much "
                    f"from the subject): {'; '.join(en_l[a:b])}", cases=case_l[a:b], values=val_l[a:b],
                    low=lo, high=hi))
            else:
                res.setdefault(ids[subj_l[a]], []).append(_w(
                    "MARKET_COEFFICIENT_BAND",
                    f"单项修正系数超出 [{lo:.2f}, {hi:.2f}]：{'；'.join(zh_l[a:b])}",
                    f"single coefficient(s) outside [{lo:.2f}, {hi:.2f}]: {'; '.join(en_l[a:b])}",
                    cases=case_l[a:b], coefficients=coef_l[a:b], values=val_l[a:b], low=lo, high=hi))


def _other_warnings(res: dict[str, list[dict[str, Any]]], ids: list[Any], out: Mapping[str, Any]) -> None:
    """Spread, left-out comparables, listing evidence, hedonic model unavailable."""
    fr, pc, p = out["_cols"], out["_pairs"], out["params"]
    app = fr["applicable"]
    lim = float(p["spread_max"])
    sp = fr["spread"]
    for i in np.flatnonzero(app & (sp > lim + 1e-12)):
        res.setdefault(ids[i], []).append(_w(
            "MARKET_SPREAD",
            f"调整后价格离散度 max(P_i)/min(P_i) = {sp[i]:.4f}，超过 {lim:.2f}：可比案例之间差异较大，请复核案例选择与修正",
            f"spread of adjusted prices max(P_i)/min(P_i) = {sp[i]:.4f} exceeds {lim:.2f}: the comparables disagree; "
            "review their selection and adjustment", spread=float(sp[i]), limit=lim))
    ex = out["excluded"] if out["_n_excluded"] else None
    if ex is not None:
        subj = np.asarray(ex["subject"], dtype=np.int64)
        cids = ex["case_id"].tolist()
        for s in np.unique(subj).tolist():
            rows = np.flatnonzero(subj == s).tolist()
            cid = ", ".join("?" if cids[r] is None else str(cids[r]) for r in rows)
            res.setdefault(ids[s], []).append(_w(
                "MARKET_COMPARABLES_EXCLUDED",
                f"{len(rows)} 个可比案例的计价方式或权利类型与评估对象不同，已剔除（不同单位的价格不混用）：{cid}",
                f"{len(rows)} comparable(s) with another price mode or rights type were left out (prices in different "
                f"units are never mixed): {cid}", n=len(rows), cases=cid))
    if len(pc["subject"]):
        listing = pc["evidence"] == "listing"
        for s in np.unique(pc["subject"][listing]):
            if app[s] and p["subject_evidence"] != "listing":
                lvl = p["x5_evidence_type"]
                res.setdefault(ids[int(s)], []).append(_w(
                    "MARKET_LISTING_EVIDENCE",
                    f"部分可比案例为挂牌价（非成交价），已按谈判折扣 {lvl.get(p['subject_evidence'], 1.0) / lvl.get('listing', 1.0):.2f} 修正（X5）",
                    f"some comparables are listing prices, not deals; adjusted by the negotiation discount "
                    f"{lvl.get(p['subject_evidence'], 1.0) / lvl.get('listing', 1.0):.2f} (X5)", severity="info"))
    lib = (fr["comparables_source"] == "library") & app & np.isnan(fr["hedonic_estimate"])
    for i in np.flatnonzero(lib):
        res.setdefault(ids[i], []).append(_w(
            "MARKET_HEDONIC_UNAVAILABLE",
            "该计价方式的案例不足以估计特征价格模型，区间按可比案例离散度计算",
            "too few cases of this price mode for the hedonic model; the range comes from the comparables' dispersion",
            severity="info"))


# --------------------------------------------------------------------------- traces
def market_traces(ids: Any, out: Mapping[str, Any]) -> dict[str, list]:
    """Calculation steps of every applicable asset (art. 23, 27)."""
    # columns are converted once and each subject's pairs are a slice of one stable sort:
    # a row Series and a group DataFrame made per asset would cost two pandas constructions
    # per asset in explained batches.
    # Element types are kept as before (frame cells as numpy scalars, pair values as Python
    # objects), so the steps are the same values.
    # The frame's columns are read from the arrays it was built from: the same cells (numbers
    # as numpy scalars, text as Python str — the text columns hold no missing values).
    fr, pairs, p = out["_cols"], out["_pairs"], out["params"]
    ids = ids.tolist()
    res: dict[str, list] = {}
    col = {c: fr[c] for c in ("comparables_source", "price_mode", "price_unit", "n_comparables", "weighting",
                              "grid_estimate", "hedonic_estimate", "hedonic_low", "hedonic_high", "range_basis",
                              "spread", "low", "high", "estimate")}
    npairs = len(pairs["subject"])
    if npairs:
        subj = pairs["subject"].astype(int)
        order = np.argsort(subj, kind="stable")
        sorted_subj = subj[order]
        pc = {c: pairs[c][order] for c in ("case_id", "price", "x1", "x2", "x3", "x4", "x5",
                                           "product", "weight", "p_adj")}
        # rounded once for all pairs (elementwise: each slice is what rounding it gives) and
        # every traced subject's slice bounds by one search: a few numpy calls an asset less
        dist_r = np.round(pairs["distance"][order], 4)
        weight_r = np.round(pc["weight"].astype(float), 6)
    traced = np.flatnonzero(fr["applicable"])
    if npairs:
        bounds = np.searchsorted(sorted_subj, np.stack([traced, traced + 1], axis=1)).tolist()
    for i, (a, b) in zip(traced, bounds if npairs else [(0, 0)] * len(traced)):
        aid = ids[i]
        r = {c: v[i] for c, v in col.items()}
        g = {c: v[a:b].tolist() for c, v in pc.items()} if npairs else {c: [] for c in ("case_id", "weight")}
        steps = [step("comparables", "可比案例选取", "comparable selection",
                      "same rights type, price mode and unit; k nearest neighbours" if r["comparables_source"] == "library"
                      else "comparables given on the card",
                      {"source": r["comparables_source"], "price_mode": r["price_mode"], "price_unit": r["price_unit"],
                       "cases": g["case_id"], "distance": dist_r[a:b].tolist() if npairs else []},
                      int(r["n_comparables"]), CLAUSES, unit="count")]
        for k in range(b - a):
            cid = g["case_id"][k]
            steps.append(step(f"comparable_{cid}", f"案例 {cid} 修正后价格", f"adjusted price of case {cid}",
                              "P_i = Q_i × X1 × X2 × X3 × X4 × X5",
                              {"Q_i": g["price"][k], "X1": g["x1"][k], "X2": g["x2"][k], "X3": g["x3"][k],
                               "X4": g["x4"][k], "X5": g["x5"][k], "product": g["product"][k],
                               "weight": g["weight"][k]}, g["p_adj"][k], CLAUSES, unit="CNY"))
        steps.append(step("market_value", "市场法评估值", "market approach value", "P = Σ w_i × P_i",
                          {"weighting": r["weighting"],
                           "weights": weight_r[a:b].tolist() if b > a else []},
                          r["grid_estimate"], CLAUSES, unit=r["price_unit"]))
        if np.isfinite(r["hedonic_estimate"]):
            steps.append(step("hedonic", "特征价格模型估计", "hedonic model estimate",
                              "ln P = x'β;  80 % PI = ŷ ± t √(x'Σx + σ²)",
                              {"low": r["hedonic_low"], "high": r["hedonic_high"]}, r["hedonic_estimate"],
                              CLAUSES, unit=r["price_unit"]))
        steps.append(step("range", "区间", "range",
                          "hedonic prediction interval re-centred on P" if r["range_basis"] == "hedonic_prediction_interval"
                          else "P × exp(∓ t_{n−1} s_ln √(1 + 1/n))",
                          {"basis": r["range_basis"], "coverage": float(p["coverage"]), "spread": r["spread"]},
                          [r["low"], r["high"]], CLAUSES, unit=r["price_unit"]))
        steps.append(step("estimate", "市场法结论", "market approach conclusion", "estimate", {}, r["estimate"],
                          CLAUSES, unit=r["price_unit"]))
        res[aid] = steps
    return res


