"""The income approach's arithmetic over all assets at once (CAS 2023 art. 21 and annex;
docs/DOMAIN.md §3): streams F_t by model, attrition, economic life, discount rate,
discounting with the terminal tail, scenarios, the refusals (first reason wins) and the range
at the discount rate's coverage quantiles (widened to a forecast's prediction interval).
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from .. import typed
from ..base import Values
from .frame import labels
from .inputs import IncomeInputs, _forecast_models
from .kernel import (
    discount,
    exponents,
    factors,
    fill_nan,
    flow_terms,
    horizon_years,
    life_weights,
    per_row,
    publication_rate,
    rows_all,
    rows_any,
)
from .life import BOUNDS, _life, _survival
from .rates import METHODS, discount_rates
from .reasons import _reason
from .scenarios import _scenarios
from .streams import MODELS, income_basis_codes, income_flows
from .term import renewal_stated, tail_years

__all__ = ["IncomeWork", "income_values"]

Z = {0.80: 1.2815515655446004}


def _z(coverage: float) -> float:
    from scipy.special import ndtri

    return Z.get(round(coverage, 6)) or float(ndtri(0.5 + coverage / 2))


def _blank(n: int) -> tuple[tuple[str, ...], np.ndarray]:
    """A text column of n "" as (names, codes) for :func:`.frame.frame` (no refusals, no
    forecasts: the usual case, written out without a str per row)."""
    return ("",), np.zeros(n, dtype=np.intp)


def _differ(x: tuple[tuple[str, ...], np.ndarray], y: tuple[tuple[str, ...], np.ndarray]) -> np.ndarray:
    """``(X != "") & (Y != "") & (X != Y)`` for the texts X, Y given as (names, codes): the
    test made once per pair of names, then looked up per row."""
    (xn, xc), (yn, yc) = x, y
    table = np.array([[u != "" and v != "" and u != v for v in yn] for u in xn], dtype=bool).reshape(len(xn), len(yn))
    return table[xc, yc]


def _first_rule(masks: list[np.ndarray], n: int) -> np.ndarray:
    """Position of the first mask true on each row (−1 where none is): the refusal that wins."""
    k = np.full(n, -1, dtype=np.intp)
    for j, mask in enumerate(masks):
        k[np.asarray(mask, bool) & (k < 0)] = j
    return k




class IncomeWork:
    """The intermediate arrays of :func:`income_values`, filled step by step; the reasons,
    warnings and traces (:mod:`.explain`) read them."""

    def __init__(self, **kw: Any) -> None:
        self.__dict__.update(kw)


def _grid(x: IncomeInputs, p: Mapping[str, Any]) -> IncomeWork:
    """Periods, timing, rate and streams: T, first-period fraction, F (assets × T)."""
    t, n, periods = x.t, len(x), x.periods
    # periods actually forecast: card, else forecast horizon, else the longest given stream
    periods_eff = periods.copy()
    for fc, rows in x.fc_groups:
        periods_eff[rows] = np.where(np.isnan(periods_eff[rows]), len(fc.mean), periods_eff[rows])
    widths = [s.shape[1] for k, s in x.streams.items() if k != "income.history.values" and not k.endswith(".growth")]
    rec = x.scenarios
    lens = np.array([len(r) for r in rec["income"].tolist()], dtype=float) if rec is not None else np.zeros(0)
    scen_len = int(lens.max(initial=0))
    known = ~np.isnan(periods_eff)
    T = int(max([1, scen_len, *widths, *(len(fc.mean) for fc, _ in x.fc_groups),
                 float(periods_eff[known].max()) if known.any() else 1]))
    # timing, first period, rounding
    vd, fpe = t["valuation_date"], t["income_first_period_end"]
    frac = np.where(np.isnat(fpe), 1.0, (fpe - vd) / np.timedelta64(1, "D") / 365.0)
    bad_frac = ~np.isnat(fpe) & ((frac <= 0) | (frac > 1 + 1e-9))
    frac = np.clip(frac, 1e-6, 1.0)
    mid = typed.is_label(t, "income_timing", "mid")
    pub = typed.is_label(t, "rounding", "publication")
    rr = discount_rates(t, float(p["risk_free"]))
    rate = rr.rate
    # factors at the resolved rate, needed only by a marginal split rate
    tau = exponents(T, frac, mid)      # the same period grid for every discounting below
    v0 = lambda: factors(np.where(pub, publication_rate(rate), rate), tau, pub)  # noqa: E731
    st = income_flows(x, T, v0, {k: f.mean for k, f in x.forecasts.items()})
    F = st.F
    n_flow = np.where(~rows_all(np.isnan(F)), T - np.argmax(~np.isnan(F[:, ::-1]), axis=1), np.nan)
    periods_eff = np.where(np.isnan(periods_eff), n_flow, periods_eff)
    # last fallback: the asset's own scenario length (else one period) — never the batch's
    # widest stream T, which would make an asset's life depend on the portfolio around it
    own_T = np.ones(n)
    if rec is not None:
        np.maximum.at(own_T, rec.owner, lens)
    periods_eff = np.where(np.isnan(periods_eff), own_T, periods_eff)
    return IncomeWork(T=T, frac=frac, bad_frac=bad_frac, mid=mid, pub=pub, rr=rr, rate=rate, tau=tau, st=st,
                      periods_eff=periods_eff)


def _life_and_value(x: IncomeInputs, p: Mapping[str, Any], w: IncomeWork) -> None:
    """Attrition, economic life, the terminal tail, discounting and scenarios (into ``w``)."""
    t, n, T, frac = x.t, len(x), w.T, w.frac
    att = t["income_attrition_rate"]
    start = fill_nan(t["income_attrition_start_period"], nan=2.0)
    cutoff = fill_nan(t["income_attrition_cutoff"], nan=float(p["attrition_cutoff"]))
    S, att_rows = _survival(att, start, T)
    # the first period below the cut-off, 0-based (−1: none), on the rows that can have one: a
    # row that survives whole (S = 1) only under a cut-off above 1
    first_cut = np.full(n, -1, dtype=np.intp)
    can_cut = cutoff > 1
    can_cut[att_rows] = True
    cut_rows = np.flatnonzero(can_cut)
    if len(cut_rows):
        below = S[cut_rows] < per_row(cutoff[cut_rows], T)
        first_cut[cut_rows] = np.where(rows_any(below), np.argmax(below, axis=1), -1)
    cut_years = np.where(first_cut >= 0, np.where(first_cut == 0, 0.0, frac + first_cut - 1), np.nan)
    horizon = horizon_years(w.periods_eff, frac)
    renewed, renewal_claimed = renewal_stated(t)
    life, bound_code, rights = _life(t, horizon, cut_years, renewed)
    weights = life_weights(life, T, frac)
    Fs = w.st.F * S if len(att_rows) else w.st.F     # F × 1 is F (nothing below writes to either)
    # terminal value: only on an uncut forecast; with attrition the tail decays: g' = (1+g)(1−a) − 1;
    # never beyond a finite term: the tail runs L = term − horizon years (.term; L = 0 → none)
    g = t["income_terminal_growth"]
    L_tail, _ = tail_years(t, horizon, renewed)
    L_tail = np.minimum(L_tail, _tail_above_cutoff(att, S, w.periods_eff, cutoff))
    tv_on = ~np.isnan(g) & (bound_code == 0) & (L_tail > 0)    # the bound is "periods"
    g_tail = np.where(np.isnan(att), g, (1 + g) * (1 - fill_nan(att)) - 1)
    terms = flow_terms(Fs, weights)    # the same for the value and its low/high rates
    res = discount(Fs, w.rate, weights=weights, first_fraction=frac, mid=w.mid, terminal_growth=g_tail,
                   terminal=tv_on, publication=w.pub, tau=w.tau, terms=terms, terminal_years=L_tail)
    g_refused = ~np.isnan(g) & ~(np.where(w.pub, publication_rate(g), g) < res.rate)
    scen_value, scen_detail = _scenarios(x.scenarios, n, w.rate, life, frac, w.mid, w.pub)
    use_scen = ~np.isnan(scen_value)
    if scen_detail is not None:
        use_scen[scen_detail["pos"]] = True
    w.__dict__.update(att=att, S=S, horizon=horizon, life=life, bound_code=bound_code, bound=labels(BOUNDS, bound_code),
                      rights=rights, weights=weights, Fs=Fs, g=g, renewed=renewed, renewal_claimed=renewal_claimed,
                      L_tail=L_tail, tv_on=tv_on, g_tail=g_tail, terms=terms, res=res, g_refused=g_refused,
                      value=np.where(use_scen, scen_value, res.value), scen_value=scen_value,
                      scen_detail=scen_detail, use_scen=use_scen)


def _tail_above_cutoff(att: np.ndarray, S: np.ndarray, periods: np.ndarray, cutoff: np.ndarray) -> np.ndarray:
    """Years of the terminal tail while the survival stays at or above the attrition cut-off
    (docs/DOMAIN.md §3.4: "stop when survival < cut-off"): tail year k survives
    S_T (1 − a)^k, S_T the survival of the forecast's last period, so k ≤ ln(cut-off / S_T) /
    ln(1 − a); ``inf`` for a row without attrition (the rights and other terms bound it,
    :func:`.term.tail_years`)."""
    a = np.asarray(att, float)
    out = np.full(len(a), np.inf)
    rows = np.flatnonzero(~np.isnan(a) & (a > 0))
    if len(rows):
        last = np.clip(np.nan_to_num(periods[rows], nan=S.shape[1]).astype(np.intp), 1, S.shape[1]) - 1
        s_T, keep = S[rows, last], 1 - a[rows]
        with np.errstate(divide="ignore", invalid="ignore"):
            k = np.where(keep > 0, np.floor(np.log(cutoff[rows] / s_T) / np.log(keep)), 0.0)
        out[rows] = np.where(s_T >= cutoff[rows], np.maximum(k, 0.0), 0.0)
    return out


def _rules(x: IncomeInputs, w: IncomeWork) -> list[tuple[str, np.ndarray, str | None, str | None]]:
    """The refusals in order (code, mask, zh, en; None: a message naming the values)."""
    t, n = x.t, len(x)
    w.ib_codes = income_basis_codes(t, w.st.is_model)
    w.rb_codes = typed.coded(t, "income_rate_basis")
    fc_err = np.zeros(n, bool)
    if x.fc_errors:
        fc_err[x.rows_of(x.fc_errors)] = True
    fc_err &= ~w.use_scen
    mismatch = _differ(w.ib_codes, w.rb_codes)
    return [
        ("no_income", ~x.has, "未提供收益法数据（income 部分缺失），收益法不适用",
         "no income data (the income section is absent): the income approach does not apply"),
        ("forecast_failed", fc_err, None, None),
        ("missing_stream", w.st.missing & ~w.use_scen & ~fc_err, None, None),
        ("no_rate", np.isnan(w.rate) & ~w.use_scen, "未给出折现率（直接给定、累加法或 WACC 加风险溢价）（第二十一条第五项）",
         "no discount rate (given, build-up or WACC plus premium) (art. 21(5))"),
        ("basis_mismatch", mismatch, None, None),
        ("terminal_growth", w.g_refused & w.tv_on & ~w.use_scen, None, None),
        ("first_period", w.bad_frac, "首期截止日应晚于评估基准日且不超过一年",
         "the end of the first period must fall after the valuation date and within one year"),
        ("no_life", ~(w.life > 1e-9), "剩余经济寿命（或剩余权利期限）≤ 0，无未来收益期（第二十一条第七项）",
         "remaining economic life (or rights term) ≤ 0: no future income period (art. 21(7))"),
        ("no_value", ~np.isfinite(w.value), "收益法计算未得到有限数值（请检查收益流与参数）",
         "the income approach did not give a finite value (check the income streams and parameters)"),
    ]


def _range(x: IncomeInputs, p: Mapping[str, Any], w: IncomeWork) -> tuple[np.ndarray, np.ndarray]:
    """(low, high): the values at the discount rate's two-sided ``coverage`` quantiles of its
    model-library distribution, widened to the values at a forecast's prediction interval."""
    n, T, value = len(x), w.T, w.value
    z = _z(float(p["coverage"]))
    sd = np.array([float(p["rate_dist"].get(m, {}).get("sd", 0.0)) for m in MODELS])
    rel = np.array([p["rate_dist"].get(m, {}).get("type", "relative_normal") == "relative_normal" for m in MODELS])
    midx = np.zeros(n, int)            # position of the model in MODELS (0 for an unknown one)
    for k, m in enumerate(MODELS):
        midx[w.st.is_model[m]] = k
    sd_i, rel_i = sd[midx], rel[midx]
    floor = np.where(np.isnan(w.g_tail) | ~w.tv_on, 1e-4, w.g_tail + 0.005)
    kw = dict(weights=w.weights, first_fraction=w.frac, mid=w.mid, terminal_growth=w.g_tail,  # noqa: C408
              terminal=w.tv_on, publication=w.pub, tau=w.tau, terminal_years=w.L_tail)

    def shift(r: np.ndarray, sign: float, rows=None) -> np.ndarray:
        s, rl, fl = (sd_i, rel_i, floor) if rows is None else (sd_i[rows], rel_i[rows], floor[rows])
        out = np.where(rl, r * (1 + sign * z * s), r + sign * z * s)
        return np.maximum(out, np.maximum(fl, 1e-4)) if sign < 0 else out

    def value_at(r_up: float) -> np.ndarray:
        vv = discount(w.Fs, shift(w.rate, r_up), terms=w.terms, **kw).value
        if w.scen_detail is not None:
            sv, _ = _scenarios(x.scenarios, n, w.rate, w.life, w.frac, w.mid, w.pub,
                               rate_shift=lambda r, pos: shift(r, r_up, pos))
            vv = np.where(w.use_scen, sv, vv)
        return vv

    lo, hi = value_at(+1.0), value_at(-1.0)
    if x.forecasts:  # widen to the values at the forecast's prediction interval
        rows = x.rows_of(x.forecasts)
        for name_, pick in (("lower", np.fmin), ("upper", np.fmax)):
            ratio = np.ones((n, T))
            for fc, js in x.fc_groups:
                k = min(T, len(fc.mean))
                with np.errstate(invalid="ignore", divide="ignore"):
                    ratio[js, :k] = np.nan_to_num(getattr(fc, name_)[:k] / fc.mean[:k], nan=1.0)
            vb = discount(w.Fs * ratio, w.rate, **kw).value
            sel = np.zeros(n, bool)
            sel[rows] = True
            sel &= ~w.use_scen
            if name_ == "lower":
                lo = np.where(sel, pick(lo, vb), lo)
            else:
                hi = np.where(sel, pick(hi, vb), hi)
    return np.fmin(lo, value), np.fmax(hi, value)


def _extra(x: IncomeInputs, w: IncomeWork) -> dict[str, Any]:
    """The income approach's own result columns (text as (names, codes) for :func:`.frame.frame`)."""
    n, res = len(x), w.res
    ga = x.streams.get("income.revenue.growth")
    gm = np.full(n, np.nan)
    if ga is not None:
        anyg = ~rows_all(np.isnan(ga))
        gm[anyg] = np.nanmax(ga[anyg], axis=1)
    return {
        "model": typed.coded(x.t, "income_model"), "timing": (("end", "mid"), w.mid.astype(np.intp)),
        "discount_rate": res.rate, "discount_method": (METHODS, w.rr.method_code),
        "life": np.where(np.isinf(w.life), np.nan, w.life), "life_requested": w.periods_eff,
        "life_bound": (BOUNDS, w.bound_code),
        "rights_years_remaining": w.rights, "pv_explicit": np.where(w.use_scen, np.nan, res.pv_explicit),
        "pv_terminal": np.where(w.use_scen, np.nan, res.pv_terminal), "split_rate": w.st.K, "growth_max": gm,
        # a perpetual tail with a finite rights term and no evidenced renewal (none since issue 17:
        # the tail stops at the term; kept for the rules' fact)
        "terminal_beyond_rights": w.tv_on & np.isinf(w.L_tail) & ~np.isnan(w.rights) & ~w.renewed,
        "income_basis": w.ib_codes, "rate_basis": w.rb_codes,
        "forecast_model": _forecast_models(x.fc_groups, n) if x.fc_groups else _blank(n),
        "tail_years": np.where(w.tv_on & np.isfinite(w.L_tail), w.L_tail, np.nan),
    }


def income_values(x: IncomeInputs, p: Mapping[str, Any]) -> Values:
    """P = Σ_t F_t / (1 + i)^t (+ TV) for every asset, its range and refusals (CAS2023.art21,
    CAS2023.annex.income)."""
    n = len(x)
    w = _grid(x, p)
    _life_and_value(x, p, w)
    rules = _rules(x, w)
    first = _first_rule([mask for _, mask, _, _ in rules], n)
    na = first >= 0
    estimate = np.where(na, np.nan, w.value)
    w.na = na
    low_v, high_v = _range(x, p, w)
    w.ib, w.rb = labels(*w.ib_codes), labels(*w.rb_codes)   # ("" where not stated)
    extra = _extra(x, w)
    code = labels(("", *(c for c, *_ in rules)), first + 1)
    zh = np.full(n, "", dtype=object)
    en = np.full(n, "", dtype=object)
    for j, (c, _, mzh, men) in enumerate(rules if na.any() else ()):   # (texts only for refused rows)
        rows = np.flatnonzero(first == j)
        if not len(rows):
            continue
        if mzh is not None:
            zh[rows], en[rows] = mzh, men
            continue
        for i in rows:  # per-row messages naming the values (only for refused rows)
            zh[i], en[i] = _reason(c, i, x.ids, x.model, w.st, w.ib, w.rb, w.g, w.res.rate, x.fc_errors, w.pub)
    extra["reason_code"] = code if na.any() else _blank(n)
    w.lo, w.hi = np.where(na, np.nan, low_v), np.where(na, np.nan, high_v)
    return Values(estimate, w.lo, w.hi, ~na,
                  np.where(na, zh, np.full(n, "", dtype=object)) if na.any() else _blank(n),
                  np.where(na, en, np.full(n, "", dtype=object)) if na.any() else _blank(n), extra, w)
