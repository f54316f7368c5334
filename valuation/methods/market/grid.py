"""The adjustment grid (调整网格) of the market approach, vectorised over (asset, comparable) pairs.

Annex of 中评协〔2023〕17号 (DOMAIN.md §4.2–4.4)::

    P_i = Q_i × X1_i × X2_i × X3_i × X4_i × X5_i        (per comparable i)
    P   = Σ_i w_i P_i,   Σ_i w_i = 1

    X1 quality         Q_subject / Q_comparable                               (1 when a score is missing)
    X2 supply–demand   (100 + s_subject) / (100 + s_comparable)               (scores relative to 100)
    X3 date            I_valuation / I_transaction                            (1 when an index is missing)
    X4 capacity        N_s / N_c   (ratio)   or   (N_s / N_c)^β  (elasticity)  (1 when records are missing)
    X5 other           L(subject) / L(comparable) over exclusivity and evidence type (table in the model)
    w_i = 1/n (equal)  or  w_i ∝ 1 / Σ_k |ln X_k,i|  (inverse_adjustment)

A coefficient ``x1``…``x5`` given on the comparable wins over the computed one.
The pairs frame is long: one row per (subject, comparable); every step is numpy / groupby.
"""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

__all__ = ["COEFFICIENTS", "aggregate", "band_flags", "coefficients", "weights"]

COEFFICIENTS = ("x1", "x2", "x3", "x4", "x5")
COEFFICIENT_LABELS = {"x1": ("质量调整系数", "quality"), "x2": ("供求调整系数", "supply–demand"),
                      "x3": ("期日调整系数", "date"), "x4": ("容量调整系数", "capacity"),
                      "x5": ("其他调整系数", "other")}
_EPS_ADJ = 1e-9


def _col(df: pd.DataFrame, name: str, fill: float = np.nan) -> np.ndarray:
    return df[name].to_numpy(float) if name in df.columns else np.full(len(df), fill)


def _level(values: np.ndarray, table: Mapping[str, float]) -> np.ndarray:
    t = dict(table)
    if len(values) <= 4096 and all(type(k) is str and type(v) in (int, float) for k, v in t.items()):
        # Series.map(dict) as dict lookups (text keys, numeric levels; anything else → NaN)
        return np.array([t.get(x, np.nan) if type(x) is str else np.nan for x in values.tolist()], dtype=float)
    return pd.Series(values, dtype=object).map(t).to_numpy(float)


def coefficients(pairs: pd.DataFrame, *, x5_exclusivity: Mapping[str, float],
                 x5_evidence_type: Mapping[str, float]) -> pd.DataFrame:
    """Add ``x1``…``x5``, ``product`` (Π X), ``p_adj`` (P_i) and ``total_adj`` (Σ|ln X|).

    Input columns (missing → the coefficient is 1): ``price`` (Q_i), ``q_s``, ``q_c``,
    ``sd_s``, ``sd_c``, ``i_s``, ``i_c``, ``n_s``, ``n_c``, ``beta`` (NaN → ratio form),
    ``ex_s``, ``ex_c`` (exclusivity), ``ev_s``, ``ev_c`` (evidence type), and overrides
    ``x1_given``…``x5_given``."""
    out = pairs.copy()
    with np.errstate(divide="ignore", invalid="ignore"):
        x1 = _col(pairs, "q_s") / _col(pairs, "q_c")
        sd_s = np.nan_to_num(_col(pairs, "sd_s", 0.0))
        sd_c = np.nan_to_num(_col(pairs, "sd_c", 0.0))
        x2 = (100.0 + sd_s) / (100.0 + sd_c)
        x3 = _col(pairs, "i_s") / _col(pairs, "i_c")
        ratio = _col(pairs, "n_s") / _col(pairs, "n_c")
        beta = _col(pairs, "beta")
        x4 = np.where(np.isnan(beta), ratio, np.power(ratio, np.where(np.isnan(beta), 1.0, beta)))
        ex = _level(pairs["ex_s"].to_numpy(object), x5_exclusivity) / \
            _level(pairs["ex_c"].to_numpy(object), x5_exclusivity) if "ex_s" in pairs.columns else \
            np.full(len(pairs), np.nan)
        ev = _level(pairs["ev_s"].to_numpy(object), x5_evidence_type) / \
            _level(pairs["ev_c"].to_numpy(object), x5_evidence_type) if "ev_s" in pairs.columns else \
            np.full(len(pairs), np.nan)
    x5 = np.where(np.isfinite(ex) & (ex > 0), ex, 1.0) * np.where(np.isfinite(ev) & (ev > 0), ev, 1.0)
    computed = {"x1": x1, "x2": x2, "x3": x3, "x4": x4, "x5": x5}
    prod = np.ones(len(pairs))
    tot = np.zeros(len(pairs))
    for k in COEFFICIENTS:
        v = computed[k]
        v = np.where(np.isfinite(v) & (v > 0), v, 1.0)
        given = _col(pairs, f"{k}_given")
        v = np.where(np.isfinite(given), given, v)
        out[k] = v
        prod = prod * v
        tot = tot + np.abs(np.log(v))
    out["product"] = prod
    out["p_adj"] = _col(pairs, "price") * prod
    out["total_adj"] = tot
    return out


def weights(pairs: pd.DataFrame, scheme: np.ndarray) -> np.ndarray:
    """w_i per pair: equal (1/n) or ∝ 1/Σ|ln X| within each subject; ``scheme`` is the weighting
    of each pair's subject. A comparable needing no adjustment at all takes the whole weight
    (shared equally among such comparables)."""
    subj = pairs["subject"].to_numpy()
    inv = scheme == "inverse_adjustment"
    tot = pairs["total_adj"].to_numpy(float)
    raw = np.where(inv, 1.0 / np.maximum(tot, _EPS_ADJ), 1.0)
    s = pd.Series(raw).groupby(subj).transform("sum").to_numpy(float)
    return raw / s


def aggregate(pairs: pd.DataFrame) -> pd.DataFrame:
    """Per subject: ``n``, ``estimate`` = Σ w P_i, ``p_min``, ``p_max``, ``spread`` =
    max/min, ``mean_log``/``sd_log`` (ddof 1) of ln P_i, ``max_abs_coef_dev``."""
    g = pairs.assign(_wp=pairs["weight"] * pairs["p_adj"], _lp=np.log(pairs["p_adj"])).groupby("subject")
    out = pd.DataFrame({
        "n": g.size(),
        "estimate": g["_wp"].sum(),
        "p_min": g["p_adj"].min(),
        "p_max": g["p_adj"].max(),
        "mean_log": g["_lp"].mean(),
        "sd_log": g["_lp"].std(ddof=1),
    })
    out["spread"] = out["p_max"] / out["p_min"]
    return out


def band_flags(pairs: pd.DataFrame, coefficient_band: tuple[float, float],
               product_band: tuple[float, float]) -> pd.DataFrame:
    """Long frame of guardrail breaches: ``subject, case_id, coefficient, value, low, high``
    for every single coefficient outside ``coefficient_band`` and every product outside
    ``product_band``."""
    lo, hi = map(float, coefficient_band)
    plo, phi = map(float, product_band)
    rows = []
    for k in COEFFICIENTS:
        v = pairs[k].to_numpy(float)
        m = (v < lo - 1e-12) | (v > hi + 1e-12)
        if m.any():
            rows.append(pd.DataFrame({"subject": pairs["subject"].to_numpy()[m],
                                      "case_id": pairs["case_id"].to_numpy(object)[m],
                                      "coefficient": k, "value": v[m], "low": lo, "high": hi}))
    v = pairs["product"].to_numpy(float)
    m = (v < plo - 1e-12) | (v > phi + 1e-12)
    if m.any():
        rows.append(pd.DataFrame({"subject": pairs["subject"].to_numpy()[m],
                                  "case_id": pairs["case_id"].to_numpy(object)[m],
                                  "coefficient": "product", "value": v[m], "low": plo, "high": phi}))
    if not rows:
        return pd.DataFrame({"subject": [], "case_id": [], "coefficient": [], "value": [], "low": [], "high": []})
    return pd.concat(rows, ignore_index=True)
