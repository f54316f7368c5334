"""Income approach (收益法) of 中评协〔2023〕17号 art. 21 and the annex models.

Models (DOMAIN.md §3.3): direct F_t = R_t (EBIT); split F_t = R_t × K; excess earnings
F_t = NOPAT_t − Σ contributory charges; incremental F_t = R_t − R'_t (or cost savings);
relief from royalty F_t = revenue_t × royalty × (1 − tax). Economic life is the minimum of the
periods forecast, the remaining rights term, contract, legal, timeliness and product lives;
attrition (流失率) scales income by survival; the discount rate is given, built up
(risk-free + management, circulation, security, regulation premia) or WACC + premium.
"""
from __future__ import annotations

from typing import Any, Mapping

import numpy as np
import pandas as pd

from ...core.portfolio import Portfolio
from ..base import MethodResult, empty_frame, not_applicable, step
from .forecast import forecast_history
from .kernel import discount

__all__ = ["appraise", "discount_rates", "economic_life", "wara", "flows"]

DEFAULTS = {"rate_sd": 0.015, "coverage": 0.80}
Z80 = 1.2815515655446004
MODEL_CLAUSE = {"direct": "CAS2023.annex.income", "split": "CAS2023.annex.income",
                "excess": "LIT.excess", "incremental": "CAS2023.annex.income", "royalty": "LIT.royalty"}
MODEL_FORMULA = {"direct": "F_t = R_t", "split": "F_t = R_t × K", "excess": "F_t = NOPAT_t − Σ CAC_it",
                 "incremental": "F_t = R_t − R'_t（或成本节约）", "royalty": "F_t = 收入_t × 许可费率 × (1 − 税率)"}
DEFAULT_BASIS = {"direct": "pre_tax", "excess": "post_tax"}


def _col(a: pd.DataFrame, c: str) -> np.ndarray:
    return a[c].to_numpy(float)


def _txt(a: pd.DataFrame, c: str) -> np.ndarray:
    """Text column as a numpy array of str with "" for missing."""
    return a[c].fillna("").astype("str").to_numpy(dtype=object).astype(str)


def discount_rates(a: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(rate, method code) per asset: given; build-up = r_f + Σ premia; WACC + premium."""
    given = _col(a, "income_discount_rate")
    meth = _txt(a, "income_discount_method")
    premia = sum(np.nan_to_num(_col(a, f"income_discount_{k}")) for k in
                 ("management", "circulation", "security", "regulation", "other"))
    build = _col(a, "income_discount_risk_free") + premia
    wacc = _col(a, "income_discount_wacc") + np.nan_to_num(_col(a, "income_discount_premium"))
    rate = np.where(~np.isnan(given), given, np.where(meth == "build_up", build,
                                                      np.where(meth == "wacc", wacc, np.nan)))
    how = np.where(~np.isnan(given), "given", np.where(meth == "build_up", "build_up",
                                                      np.where(meth == "wacc", "wacc", "none")))
    return rate, how


def wara(weights: np.ndarray, returns: np.ndarray, wacc: float, tolerance: float = 0.01) -> dict[str, Any]:
    """Weighted average return on assets Σ w_k r_k compared with WACC (DOMAIN.md §3.4, LIT.wara).

    ``weights`` are the fair-value shares of working capital, fixed assets, intangibles and the
    data asset; the check passes when |WARA − WACC| ≤ tolerance."""
    w = np.asarray(weights, float)
    r = np.asarray(returns, float)
    if abs(w.sum() - 1) > 1e-6:
        raise ValueError(f"asset weights must sum to 1, got {w.sum():.6g}")
    v = float(w @ r)
    return {"wara": v, "wacc": wacc, "gap": v - wacc, "ok": abs(v - wacc) <= tolerance}


def economic_life(a: pd.DataFrame, periods: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(life in years, the bound that won, remaining rights years) — CAS 2023 art. 21(7)."""
    vd = pd.to_datetime(a["valuation_date"]).to_numpy()
    te = pd.to_datetime(a["rights_term_end"]).to_numpy()
    rights = (te - vd) / np.timedelta64(1, "D") / 365.0
    rights = np.where(np.isnat(te), np.nan, rights)
    renew = a["rights_renewal_documented"].to_numpy(bool)
    bounds = {"periods": periods, "rights": np.where(renew, np.nan, rights),
              "contract": _col(a, "income_life_contract_years"), "legal": _col(a, "income_life_legal_years"),
              "timeliness": _col(a, "income_life_timeliness_years"),
              "product": _col(a, "income_life_product_years")}
    names = list(bounds)
    mat = np.column_stack([bounds[k] for k in names])
    filled = np.where(np.isnan(mat), np.inf, mat)
    life = filled.min(axis=1)
    which = np.array(names, dtype=object)[filled.argmin(axis=1)]
    return life, which, rights


def _stream(pf: Portfolio, path: str, T: int) -> np.ndarray:
    s = pf.stream(path).reindex(columns=range(1, T + 1)).to_numpy(float)
    return s


def flows(pf: Portfolio, T: int, forecasts: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(F (n × T), split rate K (n,), missing-input mask (n,)) for every model."""
    a = pf.assets
    n = len(pf)
    model = _txt(a, "income_model")
    income = _stream(pf, "income.income", T)
    base = _stream(pf, "income.base", T)
    revenue = _stream(pf, "income.revenue", T)
    nopat = _stream(pf, "income.nopat", T)
    with_ = _stream(pf, "income.with", T)
    without = _stream(pf, "income.without", T)
    savings = _stream(pf, "income.savings", T)
    # forecasts fill revenue/base/income for cards that give history instead of projections
    margin = np.nan_to_num(_col(a, "income_history_margin"), nan=1.0)
    for aid, fc in forecasts.items():
        i = pf.index.get_loc(aid)
        vals = np.full(T, np.nan)
        vals[: min(T, len(fc))] = fc[:T]
        if np.isnan(revenue[i]).all():
            revenue[i] = vals
        if np.isnan(base[i]).all():
            base[i] = vals
        if np.isnan(income[i]).all():
            income[i] = vals * margin[i]
    tax = np.nan_to_num(_col(a, "income_tax_rate"))
    # split rate K
    K = _col(a, "income_split_rate")
    sm = _txt(a, "income_split_method")
    di, dr = _col(a, "income_split_data_investment"), np.nan_to_num(_col(a, "income_split_data_profit_rate"))
    oi, orr = _col(a, "income_split_other_investment"), np.nan_to_num(_col(a, "income_split_other_profit_rate"))
    k_eq = di * (1 + dr) / (di * (1 + dr) + oi * (1 + orr))
    rate, _ = discount_rates(a)
    inc_p = pf.stream("income.split.incremental_profit").reindex(columns=range(1, T + 1)).to_numpy(float)
    tot_p = pf.stream("income.split.total_profit").reindex(columns=range(1, T + 1)).to_numpy(float)
    v = (1 + rate)[:, None] ** (-np.arange(1, T + 1)[None, :])
    with np.errstate(invalid="ignore", divide="ignore"):
        k_marg = np.nansum(inc_p * v, axis=1) / np.nansum(tot_p * v, axis=1)
    k_marg = np.where(np.isnan(tot_p).all(axis=1), np.nan, k_marg)
    K = np.where(sm == "equivalent_investment", k_eq, np.where(sm == "marginal", k_marg, K))
    # contributory asset charges (excess earnings)
    cac = np.zeros((n, T))
    rec = pf.records.get("income.contributory")
    if rec is not None and len(rec):
        pos = pf.index.get_indexer(rec["asset_id"])
        r = rec["rate"].to_numpy(float)
        val = rec["value"].to_numpy(float)
        share = rec["revenue_share"].to_numpy(float)
        t_ = np.nan_to_num(rec["tax_rate"].to_numpy(float))
        per = np.where(np.isnan(val)[:, None], r[:, None] * np.nan_to_num(revenue[pos]) * np.nan_to_num(share)[:, None]
                       * (1 - t_)[:, None], (r * np.nan_to_num(val))[:, None] * np.ones((1, T)))
        np.add.at(cac, pos, per)
    royalty = _col(a, "income_royalty_rate")
    kind = _txt(a, "income_incremental_kind")
    incr = np.where((kind == "cost_saving")[:, None] | np.isnan(with_), savings, with_ - np.nan_to_num(without))
    F = np.select([(model == "direct")[:, None], (model == "split")[:, None], (model == "excess")[:, None],
                   (model == "incremental")[:, None], (model == "royalty")[:, None]],
                  [income, base * K[:, None], nopat - cac, incr,
                   revenue * royalty[:, None] * (1 - tax)[:, None]], np.nan)
    needed = {"direct": income, "split": base, "excess": nopat, "incremental": incr, "royalty": revenue}
    missing = np.zeros(n, bool)
    for mname, arr in needed.items():
        missing |= (model == mname) & np.isnan(arr).all(axis=1)
    missing |= (model == "split") & np.isnan(K)
    missing |= (model == "royalty") & np.isnan(royalty)
    return F, K, missing


def appraise(pf: Portfolio, params: Mapping[str, Any] | None = None, *, trace: bool = False
             ) -> MethodResult:
    """Income approach for every asset of the portfolio (CAS 2023 art. 21, annex).

    Parameters
    ----------
    params : ``rate_sd`` (normal spread of the discount rate for the range, default 0.015),
        ``coverage`` (default 0.80).
    """
    p = {**DEFAULTS, **(params or {})}
    a = pf.assets
    n = len(pf)
    fr = empty_frame(pf.index)
    has = a["has_income"].to_numpy(bool)
    model = _txt(a, "income_model")
    periods = _col(a, "income_periods").copy()
    # forecasts from history where the projection is absent
    forecasts: dict[str, np.ndarray] = {}
    fc_info: dict[str, Any] = {}
    hist = pf.series.get("income.history.values")
    if hist is not None:
        for aid in hist.index[hist.notna().any(axis=1)]:
            i = pf.index.get_loc(aid)
            h = int(periods[i]) if not np.isnan(periods[i]) else 5
            try:
                fc = forecast_history(hist.loc[aid].to_numpy(float), h, str(a["income_history_method"].iloc[i]),
                                      float(p["coverage"]))
            except ValueError as e:
                fc_info[aid] = {"error": str(e)}
                continue
            forecasts[aid] = fc.mean
            fc_info[aid] = {"model": fc.model, "aic": fc.aic, "mean": fc.mean.tolist(),
                            "lower": fc.lower.tolist(), "upper": fc.upper.tolist()}
            if np.isnan(periods[i]):
                periods[i] = h
    scen = pf.records.get("income.scenarios")
    if scen is not None and len(scen):
        lens = scen.groupby("asset_id")["income"].apply(lambda s: max(len(x) for x in s))
        for aid, L in lens.items():
            i = pf.index.get_loc(aid)
            if np.isnan(periods[i]):
                periods[i] = L
    T = int(np.nanmax(np.append(periods, 1))) if n else 1
    F, K, missing = flows(pf, T, forecasts)
    rate, rate_how = discount_rates(a)
    pub = (a["rounding"] == "publication").to_numpy(bool)
    rate = np.where(pub, np.round(rate * 100, 2) / 100, rate)
    life, bound, rights = economic_life(a, np.where(np.isnan(periods), T, periods))
    t_idx = np.arange(1, T + 1)[None, :]
    weights = np.clip(life[:, None] - (t_idx - 1), 0.0, 1.0)
    weights = np.where(t_idx <= np.nan_to_num(periods, nan=T)[:, None], weights, 0.0)
    # attrition survival Π (1 − a) from the start period; stop below the cut-off
    att = np.nan_to_num(_col(a, "income_attrition_rate"))
    start = np.nan_to_num(_col(a, "income_attrition_start_period"), nan=2.0)
    cutoff = np.nan_to_num(_col(a, "income_attrition_cutoff"), nan=0.05)
    k_att = np.clip(t_idx - start[:, None] + 1, 0, None)
    survival = (1 - att)[:, None] ** k_att
    weights = np.where(survival < cutoff[:, None], 0.0, weights)
    Fs = F * survival
    # first-period fraction
    vd = pd.to_datetime(a["valuation_date"]).to_numpy()
    fpe = pd.to_datetime(a["income_first_period_end"]).to_numpy()
    frac = np.where(np.isnat(fpe), 1.0, (fpe - vd) / np.timedelta64(1, "D") / 365.0)
    frac = np.clip(frac, 1e-6, 1.0)
    mid = (a["income_timing"] == "mid").to_numpy(bool)
    g = _col(a, "income_terminal_growth")
    res = discount(Fs, rate, weights=weights, first_fraction=frac, mid=mid, terminal_growth=g, publication=pub)
    value = res.value
    # scenarios: P = Σ_k j_k Σ_t F_kt / (1 + r_k)^t  (DOMAIN.md §3.5 item 5)
    scen_value = np.full(n, np.nan)
    if scen is not None and len(scen):
        for aid, grp in scen.groupby("asset_id"):
            i = pf.index.get_loc(aid)
            tot = 0.0
            for _, row in grp.iterrows():
                f_k = np.asarray(row["income"], float)[None, :]
                r_k = row["discount_rate"] if not pd.isna(row["discount_rate"]) else rate[i]
                w_k = np.clip(life[i] - np.arange(f_k.shape[1]), 0, 1)[None, :]
                tot += float(row["share"]) * float(discount(f_k, np.array([r_k]), weights=w_k,
                                                            mid=mid[i:i + 1], publication=pub[i:i + 1]).value[0])
            scen_value[i] = tot
    use_scen = ~np.isnan(scen_value)
    value = np.where(use_scen, scen_value, value)
    # range from discount-rate uncertainty (normal, sd from the model library)
    sd = float(p["rate_sd"])
    lo = discount(Fs, rate + Z80 * sd, weights=weights, first_fraction=frac, mid=mid, terminal_growth=g,
                  publication=pub).value
    hi = discount(Fs, np.maximum(rate - Z80 * sd, 1e-4), weights=weights, first_fraction=frac, mid=mid,
                  terminal_growth=g, publication=pub).value
    fr["estimate"] = value
    fr["low"] = np.where(use_scen, np.nan, np.minimum(lo, value))
    fr["high"] = np.where(use_scen, np.nan, np.maximum(hi, value))
    fr["applicable"] = True
    fr["model"] = model
    fr["discount_rate"] = rate
    fr["discount_method"] = rate_how
    fr["life"] = np.where(np.isinf(life), np.nan, life)
    fr["life_requested"] = periods
    fr["life_bound"] = bound
    fr["rights_years_remaining"] = rights
    fr["pv_explicit"] = res.pv_explicit
    fr["pv_terminal"] = res.pv_terminal
    fr["split_rate"] = K
    fr["timing"] = np.where(mid, "mid", "end")
    growth = pf.series.get("income.revenue.growth")
    gm = np.full(n, np.nan)
    if growth is not None:
        ga = growth.to_numpy(float)
        anyg = ~np.isnan(ga).all(axis=1)
        gm[anyg] = np.nanmax(ga[anyg], axis=1)
    fr["growth_max"] = gm
    # a perpetual tail on finite, unrenewed rights claims income beyond the rights term
    fr["terminal_beyond_rights"] = (~np.isnan(g)) & ~np.isnan(rights) & ~a["rights_renewal_documented"].to_numpy(bool)
    # basis consistency (art. 21(6))
    ib = _txt(a, "income_income_basis")
    ib = np.where(ib == "", pd.Series(model).map(DEFAULT_BASIS).fillna("").to_numpy(dtype=object).astype(str), ib)
    ib = np.where((ib == "") & (model == "royalty") & (np.nan_to_num(_col(a, "income_tax_rate")) > 0), "post_tax", ib)
    rb = _txt(a, "income_rate_basis")
    mismatch = (ib != "") & (rb != "") & (ib != rb)
    not_applicable(fr, ~has, "未提供收益法数据（income 部分缺失）", "no income data (the income section is absent)")
    not_applicable(fr, missing & ~use_scen, "所选收益模型需要的收益数据缺失（如分成基数、分成率、收入、许可费率或预测期收益）",
                   "the income stream the chosen model needs is missing (base, split rate, revenue, royalty rate or projected income)")
    not_applicable(fr, np.isnan(rate) & ~use_scen, "未给出折现率（直接给定、累加法或 WACC）",
                   "no discount rate (given, build-up or WACC)")
    not_applicable(fr, mismatch, "收益口径与折现率口径不一致（税前/税后），违反第二十一条第六项",
                   "the income basis and the discount-rate basis differ (pre- vs post-tax), contrary to art. 21(6)")
    bad_g = ~np.isnan(g) & (g >= rate)
    not_applicable(fr, bad_g, "永续增长率 g ≥ 折现率 i，戈登终值不成立",
                   "terminal growth g ≥ discount rate i: the Gordon terminal value does not exist")
    not_applicable(fr, ~np.isnan(life) & (life <= 0), "剩余经济寿命（或剩余权利期限）≤ 0，无未来收益期",
                   "remaining economic life (or rights term) ≤ 0: no future income period")
    warnings: dict[str, list[dict[str, str]]] = {}
    for i in range(n):
        w = []
        if has[i] and not np.isnan(rights[i]) and np.nan_to_num(periods[i]) > rights[i] + 1e-9 and bound[i] == "rights":
            w.append({"code": "LIFE_TRUNCATED_TO_RIGHTS",
                      "message_zh": f"收益期 {periods[i]:.0f} 年超过剩余权利期限 {rights[i]:.2f} 年，已截断至权利期限（第二十一条）",
                      "message_en": f"the income period of {periods[i]:.0f} years exceeds the remaining rights term of "
                                    f"{rights[i]:.2f} years and was cut to it (art. 21)"})
        if has[i] and bool(fr["terminal_beyond_rights"].iloc[i]):
            w.append({"code": "TERMINAL_BEYOND_RIGHTS",
                      "message_zh": f"永续期价值假定收益永续，但剩余权利期限仅 {rights[i]:.2f} 年且未证明可续期（第二十一条）",
                      "message_en": f"the terminal value assumes perpetual income but only {rights[i]:.2f} years of "
                                    "rights remain and renewal is not documented (art. 21)"})
        if has[i] and rb[i] == "":
            w.append({"code": "RATE_BASIS_ASSUMED", "message_zh": "未声明折现率口径，假定与收益口径一致",
                      "message_en": "the discount-rate basis is not stated; assumed to match the income basis"})
        if pf.index[i] in fc_info:
            w.append({"code": "FORECAST_FROM_HISTORY",
                      "message_zh": f"收入由历史数据预测（{fc_info[pf.index[i]].get('model', '失败')}）",
                      "message_en": f"revenue forecast from history ({fc_info[pf.index[i]].get('model', 'failed')})"})
        if w:
            warnings[pf.index[i]] = w
    traces: dict[str, list] = {}
    if trace:
        for i, aid in enumerate(pf.index):
            if not fr["applicable"].iloc[i]:
                continue
            traces[aid] = _trace(i, a, model, F, Fs, K, rate, rate_how, life, bound, rights, res, g, mid,
                                 frac, use_scen, scen_value, fc_info.get(aid), weights, survival)
    return MethodResult("income", fr, traces, dict(p), warnings)


def _trace(i, a, model, F, Fs, K, rate, how, life, bound, rights, res, g, mid, frac, use_scen,
           scen_value, fc, weights, survival) -> list:
    m = str(model[i])
    keep = weights[i] > 0
    s = []
    if fc and "model" in fc:
        s.append(step("forecast", "历史收入预测", "Forecast from history", "ETS / ARIMA，按 AIC 选择",
                      {"model": fc["model"], "aic": fc["aic"]}, fc["mean"], ["CAS2023.art21"],
                      note_zh="80% 预测区间", note_en="80 % prediction interval"))
    s.append(step("income", "资产收益 F_t", "Income attributable F_t", MODEL_FORMULA[m],
                  {"model": m, "K": None if np.isnan(K[i]) else K[i]}, np.round(F[i][keep], 6),
                  ["CAS2023.art21", MODEL_CLAUSE[m]]))
    if (survival[i] < 1).any():
        s.append(step("attrition", "流失率调整", "Attrition", "F_t × Π(1 − a)", {"survival": survival[i][keep]},
                      np.round(Fs[i][keep], 6), ["LIT.attrition"]))
    comps = {k: a[f"income_discount_{k}"].iloc[i] for k in ("risk_free", "management", "circulation", "security",
                                                              "regulation", "other", "wacc", "premium")}
    comps = {k: v for k, v in comps.items() if not pd.isna(v)}
    src = a["income_discount_source"].iloc[i]
    s.append(step("discount_rate", "折现率 i", "Discount rate i",
                  {"given": "i 给定", "build_up": "i = r_f + 管理 + 流通 + 安全 + 监管风险溢价",
                   "wacc": "i = WACC + 数据资产风险溢价"}.get(str(how[i]), "i"),
                  {**comps, "source": None if pd.isna(src) else src}, rate[i], ["CAS2023.art21", "LIT.wara"]))
    s.append(step("life", "收益期限", "Economic life", "n = min(预测期, 剩余权利期限, 合同, 法定, 时效性, 产品寿命)",
                  {"bound": bound[i], "rights_years_remaining": None if np.isnan(rights[i]) else rights[i]},
                  life[i], ["CAS2023.art21"]))
    tau = res.tau[i][keep]
    s.append(step("discount", "折现", "Discounting", "P = Σ F_t / (1 + i)^τ_t" + ("（期中）" if mid[i] else "（期末）"),
                  {"τ": np.round(tau, 6), "v": np.round(res.factors[i][keep], 6), "first_fraction": frac[i]},
                  res.pv_explicit[i], ["CAS2023.annex.income"]))
    if not np.isnan(g[i]):
        s.append(step("terminal", "永续期价值", "Terminal value", "TV = F_n (1 + g) / (i − g) × v_n", {"g": g[i]},
                      res.pv_terminal[i], ["CAS2023.annex.income"]))
    if use_scen[i]:
        s.append(step("scenarios", "多场景加总", "Scenarios", "P = Σ_k j_k Σ_t F_kt / (1 + r_k)^t", {},
                      scen_value[i], ["CAS2023.art18"]))
    s.append(step("value", "收益法评估值", "Income approach value", "P", {},
                  scen_value[i] if use_scen[i] else res.value[i], ["CAS2023.annex.income"]))
    return s
