"""Income approach (收益法) of 中评协〔2023〕17号 art. 21 and the annex models.

Steps for every asset at once (docs/DOMAIN.md §3):

1. income attributable F_t by model (:mod:`.streams`): direct, split, excess earnings,
   incremental, relief from royalty; projections from history where a card gives revenue
   history instead (:mod:`.forecast`);
2. attrition (LIT.attrition): F_t × S_t, S_t = Π_{k=s}^{t} (1 − a), stop once S_t < cut-off;
3. economic life n = min(periods, remaining rights term, contract, legal, timeliness,
   product life, attrition stop) (art. 21(7)); the bound that won is ``life_bound``;
4. discount rate (:mod:`.rates`): given, build-up or WACC + premium (art. 21(5));
5. discounting (:mod:`.kernel`): end or mid period, partial first period, Gordon terminal value
   (refused when g ≥ i), exact or publication rounding;
6. several application scenarios P = Σ_k j_k Σ_t F_kt / (1 + r_k)^t (docs/DOMAIN.md §3.5 item 5).

Refusals (not applicable rows, bilingual reasons; :class:`RefusedError` in :func:`appraise_one`):
no income section, missing stream for the model, no discount rate, income basis ≠ rate basis
(art. 21(6)), g ≥ i, no remaining life.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ...core.errors import RefusedError
from ...core.portfolio import Portfolio
from ..base import LazyWarnings, MethodResult, step
from .columns import Columns, columns, frame, labels
from .forecast import Forecast, forecast_history
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
    terminal_messages,
    terminal_refusal,
)
from .params import default_params, merge_params
from .rates import LABELS, METHODS, PREMIA, discount_rates, wara
from .streams import MODELS, col, income_basis_codes, income_flows, txt
from .term import renewal_stated, rights_end, tail_years, term_warnings

__all__ = [
    "ASSET_COLUMNS",
    "EXTRA_COLUMNS",
    "MODELS",
    "READS",
    "appraise",
    "appraise_one",
    "default_params",
    "discount",
    "discount_rates",
    "economic_life",
    "forecast_history",
    "survival",
    "wara",
]

Z = {0.80: 1.2815515655446004}
MODEL_CLAUSE = {"direct": "CAS2023.annex.income", "split": "CAS2023.annex.income",
                "excess": "LIT.excess", "incremental": "CAS2023.annex.income", "royalty": "LIT.royalty"}
MODEL_FORMULA = {"direct": "F_t = R_t（息税前利润 EBIT）", "split": "F_t = R_t × K",
                 "excess": "F_t = NOPAT_t − Σ_i CAC_it",
                 "incremental": "F_t = R_t − R'_t（或成本节约）",
                 "royalty": "F_t = 收入_t × 许可费率 × (1 − 税率)"}
MODEL_LABEL = {"direct": ("直接收益法", "direct income"), "split": ("分成收益法", "profit split"),
               "excess": ("超额收益法", "excess earnings"), "incremental": ("增量收益法", "incremental income"),
               "royalty": ("许可费节省法", "relief from royalty")}
EXTRA_COLUMNS = ("model", "timing", "discount_rate", "discount_method", "life", "life_requested", "life_bound",
                 "rights_years_remaining", "pv_explicit", "pv_terminal", "split_rate", "growth_max",
                 "terminal_beyond_rights", "income_basis", "rate_basis", "forecast_model", "reason_code",
                 "tail_years")
# the portfolio's series, records and matrices the approach reads (prefixes of their paths):
# a caller running it on copies of the rows may leave the others out (the range's draws)
READS = ("income.",)
# the assets table's columns the approach reads (and no other): a caller running it on copies
# of the rows may copy only these (the range's draws: ~40 text columns less per replicated row).
# An absent column reads as all NaN / "" (.columns.Columns), so a read missing here would give
# wrong values silently: tests/pricing/test_income_asset_columns.py scans this package for column names
# and runs the appraisal with and without the trimming.
ASSET_COLUMNS = (
    "has_income", "valuation_date", "rounding", "rights_term_end", "rights_renewal_documented",
    "income_model", "income_periods", "income_timing", "income_first_period_end", "income_income_basis",
    "income_rate_basis", "income_incremental_kind", "income_terminal_growth", "income_split_rate",
    "income_split_method", "income_split_data_investment", "income_split_data_profit_rate",
    "income_split_other_investment", "income_split_other_profit_rate", "income_royalty_rate",
    "income_tax_rate", "income_attrition_rate", "income_attrition_start_period", "income_attrition_cutoff",
    "income_discount_rate", "income_discount_method", "income_discount_risk_free",
    "income_discount_management", "income_discount_circulation", "income_discount_security",
    "income_discount_regulation", "income_discount_other", "income_discount_wacc",
    "income_discount_premium", "income_discount_source", "income_life_contract_years",
    "income_life_legal_years", "income_life_timeliness_years", "income_life_product_years",
    "income_history_frequency", "income_history_method", "income_history_margin",
    "rights_renewal_evidence", "rights_renewal_term_end",
)
BOUNDS = ("periods", "rights", "contract", "legal", "timeliness", "product", "attrition")


def _z(coverage: float) -> float:
    from scipy.special import ndtri

    return Z.get(round(coverage, 6)) or float(ndtri(0.5 + coverage / 2))


# --------------------------------------------------------------------------- life
def survival(att: np.ndarray, start: np.ndarray, T: int) -> np.ndarray:
    """S_t = (1 − a)^{max(0, t − s + 1)}: Π (1 − a) over the periods from the start period s
    (period s is the first to lose customers/users; docs/DOMAIN.md §3.4, LIT.attrition)."""
    return _survival(att, start, T)[0]


def _survival(att: np.ndarray, start: np.ndarray, T: int) -> tuple[np.ndarray, np.ndarray]:
    """(:func:`survival`, the rows with an attrition rate). A row without one (no rate or 0:
    the usual case) survives whole, 1^k = 1 exactly: only the other rows take the powers."""
    keep = 1 - fill_nan(np.asarray(att, float))
    rows = np.flatnonzero(keep != 1.0)
    S = np.ones((len(keep), T))
    if not len(rows):
        return S, rows
    start = np.asarray(start, float)[rows]
    k = np.empty((len(rows), T))
    for t in range(1, T + 1):      # a column at a time (see kernel.per_row): (t − s) + 1
        k[:, t - 1] = np.int64(t) - start + 1
    np.clip(k, 0, None, out=k)
    S[rows] = keep[rows][:, None] ** k
    return S, rows


def economic_life(a: pd.DataFrame | Columns, horizon: np.ndarray, attrition_stop: np.ndarray | None = None
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(life n in years, the bound that won, remaining rights years) — CAS 2023 art. 21(7).

    n = min(horizon of the forecast periods, remaining rights term (unless renewal is
    documented), contract, legal, timeliness, product life, attrition stop). Ties go to the
    first bound in :data:`BOUNDS` order (``periods`` first: the forecast itself is not cut).
    """
    life, k, rights = _life(a, horizon, attrition_stop)
    return life, np.asarray(BOUNDS, dtype=object)[k], rights


def _life(a: pd.DataFrame | Columns, horizon: np.ndarray, attrition_stop: np.ndarray | None = None
          ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`economic_life` with the bound that won as its position in :data:`BOUNDS`."""
    a = columns(a)
    vd, te = a.date("valuation_date"), a.date("rights_term_end")
    rights = np.where(np.isnat(te), np.nan, (te - vd) / np.timedelta64(1, "D") / 365.0)
    renewed = renewal_stated(a)[0]          # a renewal counts only with its evidence (.term)
    te_eff = rights_end(a, renewed)
    rights_eff = np.where(np.isnat(te_eff), np.nan, (te_eff - vd) / np.timedelta64(1, "D") / 365.0)
    n = len(a)
    stop = np.full(n, np.nan) if attrition_stop is None else attrition_stop
    bounds = [rights_eff, col(a, "income_life_contract_years"),
              col(a, "income_life_legal_years"), col(a, "income_life_timeliness_years"),
              col(a, "income_life_product_years"), stop]
    # min and first argmin over [horizon, *bounds] (NaN: no bound), a bound at a time: on the
    # (n, 7) matrix numpy reduced each row's 7 values in a loop of its own (~0.3 ms on 4,000
    # rows). The running value takes the later of equal values, as the row minimum did (the
    # two can differ only in the sign of a zero life, a refused row)
    h = np.where(np.isnan(horizon), np.inf, horizon)
    life, k = h, np.zeros(n, dtype=np.intp)
    for j, b in enumerate(bounds, start=1):
        # a bound that equals the forecast horizon (to 1e-9 year) does not cut it
        b = np.where(np.isnan(b) | (b >= h - 1e-9), np.inf, b)
        k[b < life] = j     # (before life moves: strictly below, the first bound wins a tie)
        life = np.where(b <= life, b, life)
    return life, k, rights


# --------------------------------------------------------------------------- forecasts
def _forecasts(pf: Portfolio, periods: np.ndarray, p: Mapping[str, Any], cols: Columns | None = None
               ) -> tuple[dict[str, Forecast], dict[str, str], list[tuple[Forecast, np.ndarray]]]:
    """Per-asset statsmodels fits for assets with history and no projection of their model:
    ({asset_id: forecast}, {asset_id: why it failed}, [(forecast, its rows)]).

    The fit is a pure function of (history, horizon, method, coverage, frequency), so rows
    sharing them — the copies of an asset in a replicated portfolio (hundreds of rows, the
    history is never perturbed) — share ONE fit (the same :class:`Forecast`, read-only here)
    or the same failure message, instead of a ~0.1–0.5 s fit per row; the rows are grouped
    by array operations, not row by row."""
    hist = pf.series.get("income.history.values")
    out: dict[str, Forecast] = {}
    errs: dict[str, str] = {}
    if hist is None:
        return out, errs, []
    a = columns(pf.assets) if cols is None else cols
    need = {"direct": "income.income", "royalty": "income.revenue", "split": "income.base",
            "excess": "income.revenue"}
    H = hist.to_numpy(dtype=float, na_value=np.nan)
    has_hist = ~rows_all(np.isnan(H))
    if not has_hist.any():
        return out, errs, []
    # rows of a model that needs a stream and has none given (a projection wins over history)
    fit = np.zeros(len(H), bool)
    for m, path in need.items():
        given = pf.series[path].notna().any(axis=1).to_numpy() if path in pf.series else np.zeros(len(H), bool)
        fit |= a.eq("income_model", m) & ~given
    rows = np.flatnonzero(has_hist & fit)
    if not len(rows):
        return out, errs, []
    meth = txt(a, "income_history_method")
    freq = txt(a, "income_history_frequency")
    # one key per row: the history, the periods and the two texts' codes, compared as bytes
    key = np.column_stack([H[rows], periods[rows], pd.factorize(meth[rows])[0], pd.factorize(freq[rows])[0]])
    key = np.ascontiguousarray(key, dtype=float).view(np.dtype((np.void, 8 * key.shape[1]))).ravel()
    _, first, inv = np.unique(key, return_index=True, return_inverse=True)
    done = np.empty(len(first), dtype=object)      # a Forecast or the failure's message
    for g in np.argsort(first).tolist():           # fitted in row order, as row by row
        i = int(rows[first[g]])
        h = int(periods[i]) if not np.isnan(periods[i]) else int(p["default_periods"])
        try:
            done[g] = forecast_history(H[i], h, meth[i] or "auto", float(p["coverage"]), freq[i] or "yearly")
        except (RefusedError, ValueError) as e:  # ValidationError is a ValuationError
            done[g] = getattr(e, "message_en", str(e))
        except Exception as e:  # noqa: BLE001 - statsmodels failures become a reason, batch goes on
            done[g] = str(e)
    failed = np.array([isinstance(d, str) for d in done], dtype=bool)
    ids = pf.index.to_numpy(dtype=object)
    row_failed = failed[inv]
    # in row order, as the assets come
    out = dict(zip(ids[rows[~row_failed]].tolist(), done[inv[~row_failed]].tolist()))
    errs = dict(zip(ids[rows[row_failed]].tolist(), done[inv[row_failed]].tolist()))
    groups = [(done[g], rows[inv == g]) for g in np.flatnonzero(~failed).tolist()]
    return out, errs, groups


def _forecast_models(groups: list[tuple[Forecast, np.ndarray]], n: int) -> np.ndarray:
    """The name of each row's forecast model ("" for a row without a forecast)."""
    out = np.full(n, "", dtype=object)
    for fc, rows in groups:
        out[rows] = fc.model
    return out


def _blank(n: int) -> tuple[tuple[str, ...], np.ndarray]:
    """A text column of n "" as (names, codes) for :func:`.columns.frame` (no refusals, no
    forecasts: the usual case, written out without a str per row)."""
    return ("",), np.zeros(n, dtype=np.intp)


def _differ(x: tuple[tuple[str, ...], np.ndarray], y: tuple[tuple[str, ...], np.ndarray]) -> np.ndarray:
    """``(X != "") & (Y != "") & (X != Y)`` for the texts X, Y given as (names, codes): the
    test made once per pair of names, then looked up per row."""
    (xn, xc), (yn, yc) = x, y
    table = np.array([[u != "" and v != "" and u != v for v in yn] for u in xn], dtype=bool).reshape(len(xn), len(yn))
    return table[xc, yc]


# --------------------------------------------------------------------------- scenarios
def _scenarios(pf: Portfolio, rate: np.ndarray, life: np.ndarray, frac: np.ndarray, mid: np.ndarray,
               pub: np.ndarray, rate_shift=None) -> tuple[np.ndarray, pd.DataFrame | None]:
    """P = Σ_k j_k Σ_t F_kt v_kt per asset, vectorised over all scenario rows (one kernel call)."""
    n = len(pf)
    out = np.full(n, np.nan)
    rec = pf.records.get("income.scenarios")
    if rec is None or not len(rec):
        return out, None
    pos = pf.index.get_indexer(rec["asset_id"])
    keep = pos >= 0
    rec, pos = rec[keep], pos[keep]
    L = max(len(x) for x in rec["income"])
    S = np.array([list(x) + [np.nan] * (L - len(x)) for x in rec["income"]], dtype=float).reshape(len(rec), L)
    r = rec["discount_rate"].to_numpy(dtype=float, na_value=np.nan)
    r = np.where(np.isnan(r), rate[pos], r)
    if rate_shift is not None:
        r = rate_shift(r, pos)
    w = life_weights(life[pos], S.shape[1], frac[pos])
    res = discount(S, r, weights=w, first_fraction=frac[pos], mid=mid[pos], publication=pub[pos])
    share = rec["share"].to_numpy(dtype=float, na_value=np.nan)
    contrib = share * res.value
    tot = np.zeros(n)
    np.add.at(tot, pos, contrib)
    bad = np.zeros(n, bool)
    np.logical_or.at(bad, pos, np.isnan(contrib))
    has = np.zeros(n, bool)
    has[pos] = True
    out = np.where(has & ~bad, tot, np.where(has, np.nan, out))
    detail = pd.DataFrame({"asset_id": rec["asset_id"].to_numpy(), "name": rec["name"].to_numpy(),
                           "share": share, "discount_rate": res.rate, "pv": res.value, "contribution": contrib})
    return out, detail


# --------------------------------------------------------------------------- the method
def appraise(pf: Portfolio, params: Mapping[str, Any] | None = None, *, trace: bool = False,
             values_only: bool = False) -> MethodResult:
    """Income approach for every asset of the portfolio (CAS 2023 art. 21, annex).

    Parameters
    ----------
    pf : Portfolio
    params : overrides of the model-library defaults (``models/income_*.yaml``): ``risk_free``
        (build-up r_f when the card omits it, 0.0175), ``coverage`` (0.80), ``rate_sd`` (relative
        sd of the discount rate for the low–high range, 0.10) or ``rate_dist`` per model,
        ``attrition_cutoff`` (0.05), ``default_periods`` (5, for history without periods).
    trace : build per-asset traces (formulas, inputs, clauses).
    values_only : compute only ``estimate`` and ``applicable`` (the same values, bit for bit,
        as a full run's): the frame has just those two columns, with no traces and no
        warnings. For a caller that reads nothing else — the Monte Carlo draws and tornado
        rows of the range, thousands of replicated rows where the range, the reasons, the
        text columns and the warnings were most of the cost.

    Returns
    -------
    MethodResult
        frame columns: estimate, low, high, applicable, reason_zh, reason_en and
        :data:`EXTRA_COLUMNS` (discount_rate, life, life_bound, pv_explicit, pv_terminal, model,
        timing, ...). ``low``/``high`` are the values at the discount rate's two-sided
        ``coverage`` quantiles (rate distribution of the model library); for projections from
        history they are widened to the values at the forecast's prediction interval.

    Notes
    -----
    P = Σ_t F_t / (1 + i)^t (+ TV), CAS2023.art21, CAS2023.annex.income.
    """
    p = merge_params(params)
    a = columns(pf.assets)   # every column read once, shared by the steps below
    n = len(pf)
    has = a.flag("has_income")
    a.codes("income_model")   # text read as codes: compared and written out with no str per row
    model = txt(a, "income_model")
    periods = col(a, "income_periods")
    forecasts, fc_errors, fc_groups = _forecasts(pf, periods, p, a)
    # periods actually forecast: card, else forecast horizon, else the longest given stream
    periods_eff = periods.copy()
    for fc, rows in fc_groups:
        periods_eff[rows] = np.where(np.isnan(periods_eff[rows]), len(fc.mean), periods_eff[rows])
    widths = [s.shape[1] for k, s in pf.series.items() if k.startswith("income.") and k not in
              ("income.history.values",) and not k.endswith(".growth")]
    rec = pf.records.get("income.scenarios")
    scen_len = max((len(x) for x in rec["income"]), default=0) if rec is not None and len(rec) else 0
    known = ~np.isnan(periods_eff)
    T = int(max([1, scen_len, *widths, *(len(fc.mean) for fc, _ in fc_groups),
                 float(periods_eff[known].max()) if known.any() else 1]))
    # timing, first period, rounding
    vd, fpe = a.date("valuation_date"), a.date("income_first_period_end")
    frac = np.where(np.isnat(fpe), 1.0, (fpe - vd) / np.timedelta64(1, "D") / 365.0)
    bad_frac = ~np.isnat(fpe) & ((frac <= 0) | (frac > 1 + 1e-9))
    frac = np.clip(frac, 1e-6, 1.0)
    mid = a.eq("income_timing", "mid")
    pub = a.eq("rounding", "publication")
    # discount rate
    rr = discount_rates(a, float(p["risk_free"]))
    rate = rr.rate
    # factors at the resolved rate, needed only by a marginal split rate
    tau = exponents(T, frac, mid)      # the same period grid for every discounting below
    v0 = lambda: factors(np.where(pub, publication_rate(rate), rate), tau, pub)  # noqa: E731
    st = income_flows(pf, T, v0, {k: f.mean for k, f in forecasts.items()}, cols=a)
    F = st.F
    n_flow = np.where(~rows_all(np.isnan(F)), T - np.argmax(~np.isnan(F[:, ::-1]), axis=1), np.nan)
    periods_eff = np.where(np.isnan(periods_eff), n_flow, periods_eff)
    # last fallback: the asset's own scenario length (else one period) — never the batch's
    # widest stream T, which would make an asset's life depend on the portfolio around it
    own_T = np.ones(n)
    if rec is not None and len(rec):
        pos = pf.index.get_indexer(rec["asset_id"])
        lens = np.array([len(x) for x in rec["income"]], dtype=float)
        np.maximum.at(own_T, pos[pos >= 0], lens[pos >= 0])
    periods_eff = np.where(np.isnan(periods_eff), own_T, periods_eff)
    # attrition
    att = col(a, "income_attrition_rate")
    start = fill_nan(col(a, "income_attrition_start_period"), nan=2.0)
    cutoff = fill_nan(col(a, "income_attrition_cutoff"), nan=float(p["attrition_cutoff"]))
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
    horizon = horizon_years(periods_eff, frac)
    life, bound_code, rights = _life(a, horizon, cut_years)
    bound = labels(BOUNDS, bound_code)
    weights = life_weights(life, T, frac)
    Fs = F * S if len(att_rows) else F     # F × 1 is F (nothing below writes to either)
    # terminal value: only on an uncut forecast; with attrition the tail decays: g' = (1+g)(1−a) − 1;
    # never beyond a finite term: the tail runs L = term − horizon years (.term; L = 0 → none)
    g = col(a, "income_terminal_growth")
    renewed, renewal_claimed = renewal_stated(a)
    L_tail, _ = tail_years(a, horizon, renewed)
    tv_on = ~np.isnan(g) & (bound_code == 0) & (L_tail > 0)    # the bound is "periods"
    g_tail = np.where(np.isnan(att), g, (1 + g) * (1 - fill_nan(att)) - 1)
    terms = flow_terms(Fs, weights)    # the same for the value and its low/high rates
    res = discount(Fs, rate, weights=weights, first_fraction=frac, mid=mid, terminal_growth=g_tail,
                   terminal=tv_on, publication=pub, tau=tau, terms=terms, terminal_years=L_tail)
    g_refused = ~np.isnan(g) & ~(np.where(pub, publication_rate(g), g) < res.rate)
    value = res.value
    # scenarios
    scen_value, scen_detail = _scenarios(pf, rate, life, frac, mid, pub)
    use_scen = ~np.isnan(scen_value) | (np.isin(pf.index, scen_detail["asset_id"]) if scen_detail is not None
                                        else np.zeros(n, bool))
    value = np.where(use_scen, scen_value, value)
    ib_codes = income_basis_codes(a, {m: a.eq("income_model", m) for m in ("direct", "excess", "royalty")})
    rb_codes = a.codes("income_rate_basis")
    # ---- refusals, first reason wins
    # (np.isin reads the ids as a str per row, ~0.5 ms on 4,000 rows: not when no fit failed)
    fc_err = (np.isin(pf.index, list(fc_errors)) if fc_errors else np.zeros(n, bool)) & ~use_scen
    mismatch = _differ(ib_codes, rb_codes)
    rules = [
        ("no_income", ~has, "未提供收益法数据（income 部分缺失），收益法不适用",
         "no income data (the income section is absent): the income approach does not apply"),
        ("forecast_failed", fc_err, None, None),
        ("missing_stream", st.missing & ~use_scen & ~fc_err, None, None),
        ("no_rate", np.isnan(rate) & ~use_scen, "未给出折现率（直接给定、累加法或 WACC 加风险溢价）（第二十一条第五项）",
         "no discount rate (given, build-up or WACC plus premium) (art. 21(5))"),
        ("basis_mismatch", mismatch, None, None),
        ("terminal_growth", g_refused & tv_on & ~use_scen, None, None),
        ("first_period", bad_frac, "首期截止日应晚于评估基准日且不超过一年",
         "the end of the first period must fall after the valuation date and within one year"),
        ("no_life", ~(life > 1e-9), "剩余经济寿命（或剩余权利期限）≤ 0，无未来收益期（第二十一条第七项）",
         "remaining economic life (or rights term) ≤ 0: no future income period (art. 21(7))"),
        ("no_value", ~np.isfinite(value), "收益法计算未得到有限数值（请检查收益流与参数）",
         "the income approach did not give a finite value (check the income streams and parameters)"),
    ]
    first = _first_rule([mask for _, mask, _, _ in rules], n)
    na = first >= 0
    estimate = np.where(na, np.nan, value)
    params_out = {k: v for k, v in p.items()}
    if values_only:     # the range, reasons, other columns and warnings are not read
        return MethodResult("income", frame({"estimate": estimate, "applicable": ~na}, pf.index), {}, params_out)
    # range: discount rate at the coverage quantiles of its model-library distribution
    z = _z(float(p["coverage"]))
    sd = np.array([float(p["rate_dist"].get(m, {}).get("sd", 0.0)) for m in MODELS])
    rel = np.array([p["rate_dist"].get(m, {}).get("type", "relative_normal") == "relative_normal" for m in MODELS])
    midx = np.zeros(n, int)            # position of the model in MODELS (0 for an unknown one)
    for k, m in enumerate(MODELS):
        midx[a.eq("income_model", m)] = k
    sd_i, rel_i = sd[midx], rel[midx]
    floor = np.where(np.isnan(g_tail) | ~tv_on, 1e-4, g_tail + 0.005)

    def shift(r: np.ndarray, sign: float, rows=None) -> np.ndarray:
        s, rl, fl = (sd_i, rel_i, floor) if rows is None else (sd_i[rows], rel_i[rows], floor[rows])
        out = np.where(rl, r * (1 + sign * z * s), r + sign * z * s)
        return np.maximum(out, np.maximum(fl, 1e-4)) if sign < 0 else out

    def value_at(r_up: float) -> np.ndarray:
        vv = discount(Fs, shift(rate, r_up), weights=weights, first_fraction=frac, mid=mid, terminal_growth=g_tail,
                      terminal=tv_on, publication=pub, tau=tau, terms=terms, terminal_years=L_tail).value
        if scen_detail is not None:
            sv, _ = _scenarios(pf, rate, life, frac, mid, pub, rate_shift=lambda r, pos: shift(r, r_up, pos))
            vv = np.where(use_scen, sv, vv)
        return vv

    lo, hi = value_at(+1.0), value_at(-1.0)
    if forecasts:  # widen to the values at the forecast's prediction interval
        rows = pf.index.get_indexer(list(forecasts))
        for name_, pick in (("lower", np.fmin), ("upper", np.fmax)):
            ratio = np.ones((n, T))
            for fc, js in fc_groups:
                k = min(T, len(fc.mean))
                with np.errstate(invalid="ignore", divide="ignore"):
                    ratio[js, :k] = np.nan_to_num(getattr(fc, name_)[:k] / fc.mean[:k], nan=1.0)
            vb = discount(Fs * ratio, rate, weights=weights, first_fraction=frac, mid=mid, terminal_growth=g_tail,
                          terminal=tv_on, publication=pub, tau=tau, terminal_years=L_tail).value
            sel = np.zeros(n, bool)
            sel[rows] = True
            sel &= ~use_scen
            if name_ == "lower":
                lo = np.where(sel, pick(lo, vb), lo)
            else:
                hi = np.where(sel, pick(hi, vb), hi)
    low_v, high_v = np.fmin(lo, value), np.fmax(hi, value)
    ib, rb = labels(*ib_codes), txt(a, "income_rate_basis")
    growth = pf.series.get("income.revenue.growth")
    gm = np.full(n, np.nan)
    if growth is not None:
        ga = growth.to_numpy(dtype=float, na_value=np.nan)
        anyg = ~rows_all(np.isnan(ga))
        gm[anyg] = np.nanmax(ga[anyg], axis=1)
    extra = {
        "model": a.codes("income_model"), "timing": (("end", "mid"), mid.astype(np.intp)),
        "discount_rate": res.rate, "discount_method": (METHODS, rr.method_code),
        "life": np.where(np.isinf(life), np.nan, life), "life_requested": periods_eff,
        "life_bound": (BOUNDS, bound_code),
        "rights_years_remaining": rights, "pv_explicit": np.where(use_scen, np.nan, res.pv_explicit),
        "pv_terminal": np.where(use_scen, np.nan, res.pv_terminal), "split_rate": st.K, "growth_max": gm,
        # a perpetual tail with a finite rights term and no evidenced renewal (none since issue 17:
        # the tail stops at the term; kept for the rules' fact)
        "terminal_beyond_rights": tv_on & np.isinf(L_tail) & ~np.isnan(rights) & ~renewed,
        "income_basis": ib_codes, "rate_basis": rb_codes,
        "forecast_model": _forecast_models(fc_groups, n) if fc_groups else _blank(n),
        "tail_years": np.where(tv_on & np.isfinite(L_tail), L_tail, np.nan),
    }
    code = labels(("", *(c for c, *_ in rules)), first + 1)
    zh = np.full(n, "", dtype=object)
    en = np.full(n, "", dtype=object)
    for j, (c, _, mzh, men) in enumerate(rules):
        rows = np.flatnonzero(first == j)
        if not len(rows):
            continue
        if mzh is not None:
            zh[rows], en[rows] = mzh, men
            continue
        for i in rows:  # per-row messages naming the values (only for refused rows)
            zh[i], en[i] = _reason(c, i, pf, model, st, ib, rb, g, res.rate, fc_errors, pub)
    extra["reason_code"] = code if na.any() else _blank(n)
    # the frame in one construction (column by column it cost ~8 ms a call in pandas), its text
    # columns converted by Arrow (pandas' inference cost ~0.5 ms a column on 4 000 rows)
    lo_out, hi_out = np.where(na, np.nan, low_v), np.where(na, np.nan, high_v)
    fr = frame({
        "estimate": estimate, "low": lo_out, "high": hi_out, "applicable": ~na,
        "reason_zh": np.where(na, zh, np.full(n, "", dtype=object)) if na.any() else _blank(n),
        "reason_en": np.where(na, en, np.full(n, "", dtype=object)) if na.any() else _blank(n),
        **extra}, pf.index)
    # built when read: a run only for its values (the replicated rows of the range) never does
    ok, beyond, index = has & ~na, extra["terminal_beyond_rights"], pf.index
    warnings = LazyWarnings(lambda: term_warnings(
        _warnings(index, ok, periods_eff, horizon, life, bound, rights, g, tv_on, ib, rb, forecasts, beyond, rr,
                  st.K, model), index, ok, tv_on, L_tail, renewal_claimed, g))
    traces: dict[str, list] = {}
    if trace:
        ctx = dict(a=a, model=model, st=st, S=S, Fs=Fs, rr=rr, life=life, bound=bound, rights=rights,  # noqa: C408
                   res=res, L_tail=L_tail, renewed=renewed,
                   g=g, g_tail=g_tail, tv_on=tv_on, mid=mid, frac=frac, weights=weights, use_scen=use_scen,
                   scen_value=scen_value, scen_detail=scen_detail, forecasts=forecasts, p=p, ib=ib, rb=rb,
                   value=value, lo=lo_out, hi=hi_out, pf=pf, pub=pub,
                   ids=pf.index.to_numpy(dtype=object), cols=a,
                   scen_recs=_records_by_asset(scen_detail) if scen_detail is not None else {},
                   cac_recs=_records_by_asset(pf.record("income.contributory")) if (model == "excess").any() else {},
                   # (S_t < 1 on a period inside the life) and the rate's source, for all rows at once
                   show_attrition=rows_any((S < 1) & (weights > 0)), sources=_sources(a))
        # the trace reads columns converted once and record dicts grouped once, not a row Series
        # or a filtered frame per asset
        ids = ctx["ids"]
        for i in np.flatnonzero(~na):
            traces[ids[i]] = _trace(i, ctx)
    return MethodResult("income", fr, traces, params_out, warnings)


def _first_rule(masks: list[np.ndarray], n: int) -> np.ndarray:
    """Position of the first mask true on each row (−1 where none is): the refusal that wins."""
    k = np.full(n, -1, dtype=np.intp)
    for j, mask in enumerate(masks):
        k[np.asarray(mask, bool) & (k < 0)] = j
    return k


def _reason(code: str, i: int, pf: Portfolio, model, st, ib, rb, g, rate, fc_errors, pub) -> tuple[str, str]:
    aid = pf.index[i]
    if code == "forecast_failed":
        return (f"无法由历史收入预测未来收入：{fc_errors[aid]}",
                f"revenue could not be forecast from the history: {fc_errors[aid]}")
    if code == "missing_stream":
        m = str(model[i]) or "?"
        lz, le = MODEL_LABEL.get(m, (m, m))
        w = st.missing_what[i]
        if w == "income.model":
            return (f"收益模型 {m!r} 不受支持（可选 direct、split、excess、incremental、royalty）",
                    f"income model {m!r} is not supported (direct, split, excess, incremental, royalty)")
        return (f"所选收益模型（{lz}）需要的数据缺失：{w}", f"the chosen income model ({le}) needs {w}, which is missing")
    if code == "basis_mismatch":
        names = {"pre_tax": ("税前", "pre-tax"), "post_tax": ("税后", "post-tax")}
        a_, b_ = names.get(ib[i], (ib[i], ib[i])), names.get(rb[i], (rb[i], rb[i]))
        en = (f"the income basis ({a_[1]}) and the discount-rate basis ({b_[1]}) differ, contrary to art. 21(6); "
              f"use a {a_[1]} rate or {b_[1]} income")
        return f"收益口径（{a_[0]}）与折现率口径（{b_[0]}）不一致，违反第二十一条第六项；请改用{a_[0]}折现率或{b_[0]}收益", en
    if code == "terminal_growth":
        gg = float(publication_rate(g[i])) if pub[i] else float(g[i])
        return terminal_messages(gg, float(rate[i]))
    return ("收益法不适用", "the income approach does not apply")


def _warnings(index, ok, periods, horizon, life, bound, rights, g, tv_on, ib, rb, forecasts, beyond, rr, K, model):
    out: dict[str, list[dict[str, str]]] = {}
    ids = index.to_numpy(dtype=object)

    def add(i: int, code: str, zh: str, en: str) -> None:
        out.setdefault(ids[i], []).append({"code": code, "message_zh": zh, "message_en": en})

    for i in np.flatnonzero(ok & (bound == "rights")):
        add(i, "LIFE_TRUNCATED_TO_RIGHTS",
            f"收益期 {horizon[i]:.2f} 年超过剩余权利期限 {rights[i]:.2f} 年且未证明可续期，已截断至权利期限（第二十一条第七项）",
            f"the income period of {horizon[i]:.2f} years exceeds the remaining rights term of {rights[i]:.2f} years "
            f"and renewal is not documented: cut to the rights term (art. 21(7))")
    for i in np.flatnonzero(ok & (bound != "periods") & (bound != "rights")):
        add(i, "LIFE_TRUNCATED", f"收益期截断为 {life[i]:.2f} 年（约束：{bound[i]}）",
            f"the income period was cut to {life[i]:.2f} years (bound: {bound[i]})")
    for i in np.flatnonzero(ok & ~np.isnan(g) & ~tv_on):
        add(i, "TERMINAL_DROPPED", "收益期受有限期限约束，不计永续期价值",
            "the income period is limited by a finite term: no terminal value")
    for i in np.flatnonzero(ok & beyond):
        add(i, "TERMINAL_BEYOND_RIGHTS",
            f"永续期价值假定收益永续，但剩余权利期限仅 {rights[i]:.2f} 年且未证明可续期（第二十一条）",
            f"the terminal value assumes perpetual income but only {rights[i]:.2f} years of rights remain and "
            "renewal is not documented (art. 21)")
    for i in np.flatnonzero(ok & (rb == "") & (ib != "")):
        add(i, "RATE_BASIS_ASSUMED", f"未声明折现率口径，假定与收益口径（{ib[i]}）一致（第二十一条第六项）",
            f"the discount-rate basis is not stated; assumed to match the income basis ({ib[i]}) (art. 21(6))")
    for i in np.flatnonzero(ok & rr.risk_free_default):
        add(i, "RISK_FREE_DEFAULT", f"累加法未给出无风险利率，采用模型库默认值 {rr.risk_free[i]:.4%}（10 年期国债收益率，须核实）",
            f"the build-up gives no risk-free rate; the model-library default {rr.risk_free[i]:.4%} "
            "(10-year CGB yield, to be checked) is used")
    for i in np.flatnonzero(ok & (model == "split") & (K > 0.5)):
        add(i, "SPLIT_RATE_HIGH", f"分成率 K = {K[i]:.2%} 超过 50%，须说明理由", f"split rate K = {K[i]:.2%} exceeds 50 %: justify it")
    for aid, fc in forecasts.items():
        i = index.get_loc(aid)
        if ok[i]:
            add(i, "FORECAST_FROM_HISTORY", f"收入由历史数据预测（{fc.model}，AIC {fc.aic:.2f}）",
                f"revenue forecast from history ({fc.model}, AIC {fc.aic:.2f})")
    return out


def _records_by_asset(d: pd.DataFrame) -> dict[Any, list[dict[str, Any]]]:
    """``d[d["asset_id"] == aid].drop(columns="asset_id").to_dict("records")`` for every asset
    at once (same dicts: one ``to_dict`` of the whole frame, rows grouped in order)."""
    out: dict[Any, list[dict[str, Any]]] = {}
    if not len(d):
        return out
    recs = d.drop(columns="asset_id").to_dict("records")
    for aid, r in zip(d["asset_id"].tolist(), recs, strict=True):
        out.setdefault(aid, []).append(r)
    return out


def _sources(a: Columns) -> list[str | None]:
    """The source of each row's discount rate as the trace names it (None: not given)."""
    if "income_discount_source" not in a:
        return [None] * len(a)
    return [None if pd.isna(x) else str(x) for x in a["income_discount_source"].tolist()]


def _trace(i: int, c: dict[str, Any]) -> list:
    a, m = c["cols"], str(c["model"][i])
    res, w = c["res"], c["weights"][i]
    keep = w > 0
    s = []
    aid = c["ids"][i]
    if aid in c["forecasts"]:
        fc = c["forecasts"][aid]
        s.append(step("forecast", "历史收入预测", "Forecast from history",
                      "ETS / ARIMA，按 AIC 选择（auto）", {"model": fc.model, "aic": fc.aic, "candidates": fc.candidates,
                                                      "lower": fc.lower, "upper": fc.upper, "coverage": fc.coverage},
                      fc.mean, ["CAS2023.art21"], note_zh=f"{fc.coverage:.0%} 预测区间",
                      note_en=f"{fc.coverage:.0%} prediction interval"))
    if c["use_scen"][i]:
        s.append(step("scenarios", "多场景收益", "Application scenarios", "P = Σ_k j_k Σ_t F_kt / (1 + r_k)^t",
                      {"scenarios": c["scen_recs"].get(aid, [])}, c["scen_value"][i],
                      ["CAS2023.art18", "CAS2023.art21"], unit="currency"))
    else:
        st = c["st"]
        if m == "excess":
            s.append(step("contributory", "贡献资产回报", "Contributory asset charges",
                          "CAC_it = r_i × V_i 或 r_i × 收入_t × 占比 × (1 − 税率)",
                          {"assets": c["cac_recs"].get(aid, [])}, st.cac[i][keep],
                          ["LIT.excess", "CAS2023.art21"], unit="currency"))
        if m == "split":
            s.append(step("split_rate", "分成率 K", "Split rate K",
                          {"equivalent_investment": "K = I_d(1+p_d) / (I_d(1+p_d) + I_o(1+p_o))",
                           "marginal": "K = PV(追加利润) / PV(总利润)"}.get(str(a["income_split_method"][i]), "K 给定"),
                          {"method": a["income_split_method"][i]}, st.K[i], ["CAS2023.annex.income"]))
        s.append(step("income", "资产收益 F_t", "Income attributable F_t", MODEL_FORMULA.get(m, m),
                      {"model": m, "income_basis": c["ib"][i] or None}, st.F[i][keep],
                      ["CAS2023.art21", MODEL_CLAUSE.get(m, "CAS2023.annex.income")], unit="currency"))
        if c["show_attrition"][i]:
            s.append(step("attrition", "流失率调整", "Attrition", "F_t × S_t，S_t = Π (1 − a)",
                          {"a": a["income_attrition_rate"][i], "start_period": a["income_attrition_start_period"][i],
                           "survival": c["S"][i][keep]}, c["Fs"][i][keep], ["LIT.attrition"], unit="currency"))
    rr = c["rr"]
    how = str(rr.method[i])
    comps: dict[str, Any] = {}
    src = c["sources"][i]
    if how == "build_up":
        rf_src = (c["p"]["risk_free_source_en"] if rr.risk_free_default[i] else (src or "card"))
        comps["risk_free"] = {"value": rr.risk_free[i], "label": LABELS["risk_free"][1], "source": rf_src}
        for k in PREMIA:
            v = a[f"income_discount_{k}"][i]
            comps[k] = {"value": 0.0 if pd.isna(v) else float(v), "label": LABELS[k][1],
                        "source": "not given (0)" if pd.isna(v) else (src or "card")}
    elif how == "wacc":
        for k in ("wacc", "premium"):
            v = a[f"income_discount_{k}"][i]
            comps[k] = {"value": None if pd.isna(v) else float(v), "label": LABELS[k][1], "source": src or "card"}
    else:
        comps["given"] = {"value": a["income_discount_rate"][i], "source": src or "card"}
    s.append(step("discount_rate", "折现率 i", "Discount rate i",
                  {"given": "i 给定", "build_up": "i = r_f + 管理 + 流通 + 数据安全 + 监管 + 其他风险溢价",
                   "wacc": "i = WACC + 数据资产风险溢价（以 WARA 复核）"}.get(how, "i"),
                  {**comps, "rate_basis": c["rb"][i] or None}, res.rate[i],
                  ["CAS2023.art21", "LIT.wara"] if how == "wacc" else ["CAS2023.art21"], unit="ratio",
                  note_zh="出版口径：百分比保留 2 位小数" if c["pub"][i] else "",
                  note_en="publication rounding: per cent to 2 dp" if c["pub"][i] else ""))
    s.append(step("life", "收益期限", "Economic life",
                  "n = min(预测期, 剩余权利期限, 合同, 法定, 时效性, 产品寿命, 流失截断)",
                  {"bound": c["bound"][i], "rights_years_remaining": c["rights"][i],
                   "renewal_relied_on": bool(c["renewed"][i]),
                   "renewal_evidence": (a.txt("rights_renewal_evidence")[i].strip() or None)
                   if "rights_renewal_evidence" in a else None,
                   "first_period_fraction": c["frac"][i], "weights": w[keep]}, c["life"][i],
                  ["CAS2023.art21"], unit="years"))
    if not c["use_scen"][i]:
        s.append(step("discount", "折现", "Discounting",
                      "P = Σ w_t F_t / (1 + i)^τ_t" + ("（期中，τ_t = t − 0.5）" if c["mid"][i] else "（期末，τ_t = t）"),
                      {"tau": res.tau[i][keep], "factors": res.factors[i][keep], "flows": c["Fs"][i][keep]},
                      res.pv_explicit[i], ["CAS2023.annex.income"], unit="currency",
                      note_zh="出版口径：折现系数保留 4 位小数" if c["pub"][i] else "",
                      note_en="publication rounding: factors to 4 dp" if c["pub"][i] else ""))
        if c["tv_on"][i]:
            L = float(c["L_tail"][i])
            s.append(step("terminal", "永续期价值", "Terminal value",
                          "TV = F_n (1 + g) / (i − g) × v_n" if np.isinf(L) else
                          "TV = F_n (1 + g) / (i − g) × v_n × [(1 − q^K) + r (1 − q) q^K]，q = (1+g)/(1+i)，K + r = L",
                          {"g": c["g"][i], "g_after_attrition": c["g_tail"][i],
                           "tail_years": None if np.isinf(L) else L}, res.pv_terminal[i],
                          ["CAS2023.annex.income", "CAS2023.art21"], unit="currency",
                          note_zh="" if np.isinf(L) else f"权利/合同等期限在预测期后 {L:.2f} 年届满：仅计该期间的增长年金，不计期限之后的收益",
                          note_en="" if np.isinf(L) else f"the term ends {L:.2f} years after the forecast: only a growing "
                          "annuity over those years, nothing beyond the term"))
    s.append(step("value", "收益法评估值", "Income approach value", "P",
                  {"low": c["lo"][i], "high": c["hi"][i]}, c["value"][i], ["CAS2023.art21", "CAS2023.annex.income"],
                  unit="currency"))
    return s


# --------------------------------------------------------------------------- single asset
_FIELD = {"no_income": "income", "no_rate": "income.discount_rate", "basis_mismatch": "income.rate_basis",
          "terminal_growth": "income.terminal_growth", "no_life": "asset.rights.term_end",
          "first_period": "income.first_period_end", "forecast_failed": "income.history.values",
          "no_value": "income"}


def appraise_one(card: Mapping[str, Any] | Portfolio, params: Mapping[str, Any] | None = None, *,
                 trace: bool = True) -> MethodResult:
    """Income approach for one asset, refusing instead of returning a not-applicable row.

    Raises
    ------
    RefusedError
        with ``field``, ``value``, ``allowed`` and the bilingual reason (g ≥ i, basis mismatch,
        missing stream, no discount rate, no remaining life, no income section).
    """
    pf = card if isinstance(card, Portfolio) else Portfolio.from_card(card)
    if len(pf) != 1:
        raise RefusedError("单项评估只接受一项资产", "a single appraisal takes exactly one asset",
                           field="asset", value=len(pf), allowed="1")
    res = appraise(pf, params, trace=trace)
    row = res.frame.iloc[0]
    if not bool(row["applicable"]):
        code = str(row["reason_code"])
        a = pf.assets.iloc[0]
        if code == "terminal_growth":
            raise terminal_refusal(float(a["income_terminal_growth"]), float(row["discount_rate"]))
        field = _FIELD.get(code, "income")
        value: Any = None
        allowed = None
        if code == "missing_stream":
            field = "income.model" if row["reason_en"].startswith("income model") else \
                row["reason_en"].split(" needs ")[-1].split(",")[0]
            allowed = "a value for the chosen model"
        elif code == "basis_mismatch":
            value, allowed = row["rate_basis"], f"{row['income_basis']} (the income basis)"
        elif code == "no_life":
            value, allowed = row["life"], "> 0 years"
        raise RefusedError(row["reason_zh"], row["reason_en"], field=field, value=value, allowed=allowed,
                           reason_code=code)
    return res
