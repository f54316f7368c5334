"""The market approach's arithmetic over all subjects at once: adjustment grid P_i = Q_i × ΠX,
P = Σ w_i P_i, hedonic and learned estimates, the range and its basis, the refusals
(CAS 2023 art. 23 and annex; docs/DOMAIN.md §4).
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from scipy import special

from ...library.cases import PRICE_UNITS, PRICED_MODES
from ..base import nan_to_num
from .features import raw_feature_arrays
from .fit import LibraryFit, fit_library
from .grid import (
    AGGREGATES,
    LEVELS,
    Groups,
    aggregate_columns,
    coefficient_columns,
    pair_weights,
)
from .inputs import EnumCodes, _Subjects
from .outputs import _Outputs, lazy_outputs
from .pairs import _PAIR_COLUMNS, _explicit_pairs, _library_pairs, by_mode, subject_levels

__all__: list[str] = []

_BASES = np.array(["comparable_dispersion", "hedonic_prediction_interval", "conformal_cv"], dtype=object)


# --------------------------------------------------------------------------- core
def _value(subjects: _Subjects, *, cases: Any, comparables: Any,
           p: Mapping[str, Any], library: LibraryFit | None = None, codes: EnumCodes | None = None) -> _Outputs:
    """:func:`value_subjects` on the subjects' arrays with resolved parameters ``p`` (``codes``:
    the enum codes behind the subjects' and comparables' labels, compared instead of them)."""
    n = len(subjects)
    lib_src = subjects["source"] == "library"
    fit = library if library is not None else (
        fit_library(cases, p) if cases is not None and lib_src.any() else None)
    only_synthetic = fit is not None and len(fit) == 0 and fit.n_synthetic_dropped > 0
    if only_synthetic:
        fit = None
    mode = subjects["price_mode"]
    # the subjects' raw features, once for the hedonic model and the neighbour selection
    feats = raw_feature_arrays(subjects.feature_source(), list(p["hedonic_categorical"]),
                               list(p.get("title_keywords") or [])) if fit is not None and n else None
    # hedonic prediction for every subject whose mode has a model
    hed = fit.hedonic.predict_columns(feats if feats is not None else {}, mode, float(p["coverage"])) \
        if fit is not None else None
    hcol = {c: (hed[c] if hed is not None else np.zeros(n, bool) if c == "available" else np.full(n, np.nan))
            for c in ("mean_log", "low", "high", "estimate", "available")}
    modes = _mode_facts(mode, codes)
    grid = _grid(subjects, comparables, fit, p, feats, codes, modes["priced"])
    est, low, high, basis, learned = _estimate_and_range(subjects, fit, p, grid, hcol)
    zh, en = _refusals(subjects, fit, only_synthetic, grid["cnt"], int(p["refuse_below"]), modes)
    cols = _columns(subjects, grid, hcol, learned, est, low, high, basis, zh, en, modes["unit"])
    bands = (tuple(p["coefficient_band"]), tuple(p["product_band"]))
    pc = grid["pc"]
    return _Outputs(
        {"library": fit, "params": p, "min_comparables": subjects["min_comparables"],
         # the arrays behind the frames, for the warnings and traces
         "_pairs": pc, "_n_excluded": grid["n_excluded"], "_bands": bands,
         # (text columns hold text only, so their cells are the frame's: Python str)
         "_cols": cols},
        # the frame and the pair, hedonic, breach and left-out columns, built when read
        lazy_outputs(subjects.index, cols, pc, hed, bands, grid["excluded"]))


def _grid(subjects: _Subjects, comparables: Any, fit: LibraryFit | None,
          p: Mapping[str, Any], feats: Mapping[str, np.ndarray] | None, codes: EnumCodes | None,
          priced: np.ndarray) -> dict[str, Any]:
    """Pairs (explicit and library), their coefficients X1…X5 and weights, and the grid's
    aggregates per subject (P = Σ w_i P_i, n, spread, sd of ln P_i; art. 23, annex); only the
    pairs of a ``priced`` subject with a positive price are kept."""
    n = len(subjects)
    mode = subjects["price_mode"]
    beta_exp = np.full(n, np.nan)
    if p["capacity_explicit"] == "elasticity":
        beta_exp = by_mode(mode, fit.elasticity) if fit is not None else \
            np.full(n, float(p["capacity_elasticity_default"]))
    parts: list[dict[str, np.ndarray]] = []
    n_excluded, excluded = 0, dict
    lev_s = subject_levels(subjects, codes, p) if comparables is not None or fit is not None else None
    if comparables is not None:
        ep, n_excluded, excluded = _explicit_pairs(subjects, comparables, beta_exp, p, lev_s, codes)
        parts.append(ep)
    if fit is not None:
        lp = _library_pairs(subjects, fit, p, feats, lev_s)
        if lp is not None:
            parts.append(lp)
    if parts:
        pc = {c: np.concatenate([q[c] for q in parts]) if len(parts) > 1 else parts[0][c]
              for c in (*_PAIR_COLUMNS, *LEVELS)}
        keep = priced[pc["subject"]] & (pc["price"] > 0)
        if not keep.all():
            pc = {c: v[keep] for c, v in pc.items()}
        m = len(pc["subject"])
        levels = {k: pc.pop(k) for k in LEVELS}      # (the pairs' columns are the frame's)
        pc.update(coefficient_columns(pc, m, x5_exclusivity=p["x5_exclusivity"],
                                      x5_evidence_type=p["x5_evidence_type"], levels=levels))
        groups = Groups(pc["subject"])
        inverse = np.equal(subjects["weighting"], "inverse_adjustment")    # (per subject, then per pair)
        pc["weight"] = pair_weights(pc["subject"], pc["total_adj"], inverse[pc["subject"]], groups)
        agg = aggregate_columns(groups, pc["weight"], pc["p_adj"], n)
        synthetic = fit.synthetic_ids() if fit is not None else frozenset()
        # a pair is real evidence unless its case id is a synthetic case's (set membership by
        # frompyfunc of the set's own __contains__: a C loop, no Python per pair)
        real = ~np.frompyfunc(synthetic.__contains__, 1, 1)(pc["case_id"]).astype(bool) if synthetic \
            else np.ones(m, bool)
        n_real = np.bincount(pc["subject"][real], minlength=n)
    else:
        pc = {"subject": np.zeros(0, dtype=np.int64)}
        agg = {c: np.full(n, np.nan) for c in AGGREGATES}
        n_real = np.zeros(n, np.int64)
    return {"pc": pc, "agg": agg, "n_real": n_real, "cnt": nan_to_num(agg["n"]).astype(int),
            "n_excluded": n_excluded, "excluded": excluded}


def _estimate_and_range(subjects: _Subjects, fit: LibraryFit | None, p: Mapping[str, Any],
                        grid: Mapping[str, Any], hcol: Mapping[str, np.ndarray]) -> tuple[Any, ...]:
    """(estimate, low, high, range basis, learned columns or None): the grid, hedonic or
    learned estimate by ``library_estimate``; the conformal, hedonic prediction-interval or
    comparable-dispersion range."""
    lib_src = subjects["source"] == "library"
    agg, cnt = grid["agg"], grid["cnt"]
    grid_est = agg["estimate"]
    h_ok = hcol["available"]
    h_est = hcol["estimate"]
    est = grid_est.copy()
    choice = p["library_estimate"]
    if choice == "hedonic":
        est = np.where(lib_src & h_ok, h_est, grid_est)
    elif choice == "blend":
        est = np.where(lib_src & h_ok & np.isfinite(grid_est), np.sqrt(grid_est * h_est), grid_est)
    learned = None
    if choice == "learned" and fit is not None:
        # (scikit-learn behind it: imported only when the learned model is used)
        from .learned import learned_columns

        learned = learned_columns(subjects.feature_source(), subjects["rights_type"], subjects["price_mode"],
                                  lib_src & np.isfinite(grid_est), fit.learned)
    if learned is not None:
        l_ok = np.isfinite(learned["estimate"])
        est = np.where(l_ok, learned["estimate"], np.where(lib_src & h_ok, h_est, grid_est))
    # range
    cov = float(p["coverage"])
    use_h = lib_src & h_ok & np.isfinite(est)
    with np.errstate(invalid="ignore", divide="ignore"):
        ml = hcol["mean_log"]
        lo_h = est * np.exp(np.log(hcol["low"]) - ml)
        hi_h = est * np.exp(np.log(hcol["high"]) - ml)
        dfree = np.maximum(cnt - 1, 1)
        t = special.stdtrit(dfree, 0.5 + cov / 2)   # (what stats.t.ppf computes, without its checks)
        half = t * nan_to_num(agg["sd_log"]) * np.sqrt(1 + 1 / np.maximum(cnt, 1))
        lo_d, hi_d = est * np.exp(-half), est * np.exp(half)
    low = np.fmin(np.where(use_h, lo_h, lo_d), est)
    high = np.fmax(np.where(use_h, hi_h, hi_d), est)
    # (a take from the three names: no text made per asset)
    basis = _BASES[np.where(use_h, 1, 0)]
    if learned is not None:
        low, high = np.where(l_ok, learned["low"], low), np.where(l_ok, learned["high"], high)
        basis = np.where(l_ok, _BASES[2], basis)
    return est, low, high, basis, learned


def _refusals(subjects: _Subjects, fit: LibraryFit | None, only_synthetic: bool, cnt: np.ndarray,
              refuse: int, modes: Mapping[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Reasons per subject, first wins ("" where the approach applies; art. 23); ``modes``:
    what the price modes say (:func:`_mode_facts`)."""
    n = len(subjects)
    src = subjects["source"]
    lib_src = src == "library"
    zh = np.full(n, "", dtype=object)
    en = np.full(n, "", dtype=object)
    free = np.ones(n, dtype=bool)            # no reason yet

    def na(mask, rz: str, re_: str) -> None:
        m = np.asarray(mask, bool) & free
        if m.any():
            zh[m], en[m] = rz, re_
            free[m] = False

    na(modes["free"], "计价方式为免费：没有可比较的价格，市场法不适用",
       "price mode is free: there is no price to compare; the market approach does not apply")
    na(modes["negotiated"], "计价方式为面议：没有可比较的价格，市场法不适用",
       "price mode is negotiated: there is no price to compare; the market approach does not apply")
    na(~modes["priced"], "计价方式无效", "invalid price mode")
    na(src == "none", "未提供可比案例，也未选择从案例库选取（market.use_library），市场法不适用（第二十三条）",
       "no comparables given and the case library not used (market.use_library): the market approach does not "
       "apply (art. 23)")
    na(lib_src & np.equal(subjects["rights_type"], None),
       "从案例库选取可比案例须给出权利类型（第二十三条：权利类型相同）",
       "selecting comparables from the case library needs the rights type (art. 23: same rights type)")
    na(lib_src & only_synthetic, "案例库中只有合成证据：合成案例仅供演示和测试，不得作为评估结论的依据，市场法不适用"
       "（如仅作演示，可设置 market.demonstration，结果不得作为最终结论）",
       "only synthetic evidence in the case library: synthetic cases are for demonstrations and tests and never "
       "support a conclusion, so the market approach does not apply (set market.demonstration for a demonstration; "
       "the result is then not final)")
    na(lib_src & (fit is None), "案例库为空，无法选取可比案例", "the case library is empty: no comparables can be selected")
    few = cnt < refuse
    for c in np.unique(cnt[few & free]).tolist():   # (one text per count: 0 … refuse − 1)
        na(few & (cnt == c),
           f"权利类型、计价方式和计价单位相同的可比案例仅 {c} 个，少于 {refuse} 个，市场法不适用（第二十三条：适当数量的可比案例）",
           f"only {c} comparable(s) of the same rights type, price mode and unit — fewer than {refuse}: "
           "the market approach does not apply (art. 23: an appropriate number of comparables)")
    return zh, en


def _columns(subjects: _Subjects, grid: Mapping[str, Any], hcol: Mapping[str, np.ndarray], learned: Any,
             est: np.ndarray, low: np.ndarray, high: np.ndarray, basis: np.ndarray, zh: np.ndarray,
             en: np.ndarray, unit: np.ndarray) -> dict[str, Any]:
    """The result columns: the contract's six, then the market approach's own (``unit``: the
    subjects' price units)."""
    n = len(subjects)
    src, mode = subjects["source"], subjects["price_mode"]
    agg, cnt, n_real = grid["agg"], grid["cnt"], grid["n_real"]
    app = zh == ""
    f = lambda x: np.where(app, x, np.nan)  # noqa: E731
    h_ok = hcol["available"] & app & (src == "library")
    h_est = hcol["estimate"]
    cols = {
        "estimate": f(est), "low": f(low), "high": f(high), "applicable": app,
        "reason_zh": zh, "reason_en": en,
        "n_comparables": cnt, "spread": f(agg["spread"]),
        "n_real_comparables": np.where(app, n_real, 0).astype(np.int64),
        "n_synthetic_comparables": np.where(app, cnt - np.minimum(n_real, cnt), 0).astype(np.int64),
        "learned_model": np.where(app & (learned["estimate"] == learned["estimate"]), learned["model"], "")
        if learned is not None else np.full(n, "", dtype=object),
        # cases behind the out-of-fold residuals that calibrate a conformal range
        "conformal_n": np.where(app & (basis == "conformal_cv"), learned["n"], 0).astype(np.int64)
        if learned is not None else np.zeros(n, np.int64),
        "weighting": subjects["weighting"],
        "hedonic_estimate": np.where(h_ok, h_est, np.nan),
        "hedonic_low": np.where(h_ok, hcol["low"], np.nan),
        "hedonic_high": np.where(h_ok, hcol["high"], np.nan),
        "grid_estimate": f(agg["estimate"]), "range_basis": np.where(app, basis, ""),
        "comparables_source": src, "price_mode": mode,
        "price_unit": unit,
    }
    return cols


def _mode_facts(mode: np.ndarray, codes: EnumCodes | None) -> dict[str, np.ndarray]:
    """What each subject's price mode says: ``priced`` (one of ``PRICED_MODES``), ``free``,
    ``negotiated`` and ``unit`` (its price unit, "" without). With the subjects' codes it is
    worked out once per label of the enumeration and taken by code; else the labels are
    compared."""
    if codes is not None:
        per_label = _mode_facts(np.array((*codes.labels["price_mode"], None), dtype=object), None)
        c = codes.subjects["price_mode"].astype(np.intp)
        return {k: v[c] for k, v in per_label.items()}
    return {"priced": _priced(mode), "free": np.equal(mode, "free"), "negotiated": np.equal(mode, "negotiated"),
            "unit": _price_units(mode)}


def _price_units(mode: np.ndarray) -> np.ndarray:
    """The price unit of each price mode ("" for a mode without one)."""
    out = np.full(len(mode), "", dtype=object)
    for m, unit in PRICE_UNITS.items():
        out[np.equal(mode, m)] = unit
    return out


def _priced(mode: np.ndarray) -> np.ndarray:
    """Whether each price mode has a price to compare (one of ``PRICED_MODES``)."""
    out = np.zeros(len(mode), dtype=bool)
    for m in PRICED_MODES:
        out |= np.equal(mode, m)
    return out
