"""Back-test of the market approach on held-out priced cases (ratio study).

Fit on the cases, predict every priced row (price > 0) of the hold-out as if it were a subject
(same rights type, price mode and unit; k nearest neighbours; adjustment grid; hedonic
range), and measure:

* ``coverage`` — share of actual prices inside the 80 % range [low, high];
* ``mdale`` — median absolute log error, median |ln(estimate / actual)|;
* ``mdale_baseline`` — the same for the naive baseline: the median price of the cases of the
  same category and price mode (else of the same price mode);
* ratio-study figures on r = estimate / actual (IAAO usage, as OpenAVMKit / Cook County):
  ``cod`` = 100 × mean|r − median r| / median r (coefficient of dispersion) and
  ``prd`` = mean r / (Σ estimate / Σ actual) (price-related differential). Both are also given
  per price mode (PRD across modes mixes units and is shown for completeness only). Listing
  prices span eight orders of magnitude, so ``cod``/``prd`` are reported after outlier
  trimming (ratios more than 10× off the median ratio), ``cod_all``/``prd_all`` without.

The hold-out subjects are valued on a listing basis (``subject_evidence = listing``): a
listing is predicted as a listing. Pure: frames in, :class:`BacktestResult` out;
:func:`run_backtest` adds the file import and the optional predictions CSV.
"""
from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ...library.cases import (
    PRICED_MODES,
    ImportReport,
    import_dadada,
    import_table,
    priced_cases,
)
from .approach import value_subjects
from .params import resolve_params

__all__ = ["PREDICTION_COLUMNS", "BacktestResult", "backtest_frames", "ratio_study", "run_backtest"]

PREDICTION_COLUMNS = ["url", "title", "price_mode", "actual", "estimate", "low", "high"]


def _cod_prd(e: np.ndarray, a: np.ndarray) -> tuple[float, float]:
    r = e / a
    med = float(np.median(r))
    return float(100.0 * np.mean(np.abs(r - med)) / med), float(np.mean(r) / (e.sum() / a.sum()))


def ratio_study(estimate: np.ndarray, actual: np.ndarray, *, trim: float | None = 10.0) -> dict[str, float]:
    """COD and PRD of r = estimate / actual (finite, positive pairs only).

    ``cod``/``prd`` are computed after outlier trimming — ratios more than ``trim`` times off
    the median ratio (|ln r − median ln r| > ln trim) are left out (``n_trimmed``);
    ``cod_all``/``prd_all`` use every ratio. ``trim=None`` → no trimming. (IQR fences, the
    IAAO habit, degenerate here: a third of the listings sit exactly on list-price stacks.)"""
    e, a = np.asarray(estimate, float), np.asarray(actual, float)
    ok = np.isfinite(e) & np.isfinite(a) & (a > 0) & (e > 0)
    nan = float("nan")
    if ok.sum() < 2:
        return {"n": int(ok.sum()), "cod": nan, "prd": nan, "cod_all": nan, "prd_all": nan,
                "median_ratio": nan, "n_trimmed": 0}
    e, a = e[ok], a[ok]
    cod_all, prd_all = _cod_prd(e, a)
    lr = np.log(e / a)
    keep = np.ones(len(lr), bool)
    if trim is not None:
        keep = np.abs(lr - np.median(lr)) <= np.log(trim)
        if keep.sum() < 2:
            keep[:] = True
    cod, prd = _cod_prd(e[keep], a[keep])
    return {"n": len(e), "cod": cod, "prd": prd, "cod_all": cod_all, "prd_all": prd_all,
            "median_ratio": float(np.median(e / a)), "n_trimmed": int((~keep).sum())}


def _mdale(e: np.ndarray, a: np.ndarray) -> float:
    ok = np.isfinite(e) & (e > 0) & (a > 0)
    return float(np.median(np.abs(np.log(e[ok] / a[ok])))) if ok.any() else float("nan")


@dataclass
class BacktestResult:
    """Figures of a back-test and the per-row predictions (:data:`PREDICTION_COLUMNS` + extras)."""

    n_holdout: int
    n_predicted: int
    coverage: float
    mdale: float
    mdale_baseline: float
    cod: float
    prd: float
    median_ratio: float
    cod_all: float
    prd_all: float
    n_trimmed: int
    by_mode: pd.DataFrame
    predictions: pd.DataFrame
    n_cases: int = 0
    reports: dict[str, ImportReport] = field(default_factory=dict)

    def figures(self) -> dict[str, Any]:
        return {"n_cases": self.n_cases, "n_holdout": self.n_holdout, "n_predicted": self.n_predicted,
                "coverage": self.coverage, "mdale": self.mdale, "mdale_baseline": self.mdale_baseline,
                "cod": self.cod, "prd": self.prd, "median_ratio": self.median_ratio,
                "cod_all": self.cod_all, "prd_all": self.prd_all, "n_trimmed": self.n_trimmed}

    def summary(self, lang: str = "zh") -> str:
        f = self.figures()
        zh = lang != "en"
        lines = [
            (f"案例 {f['n_cases']} 个；检验样本 {f['n_holdout']} 个，可预测 {f['n_predicted']} 个" if zh else
             f"cases {f['n_cases']}; hold-out {f['n_holdout']}, predicted {f['n_predicted']}"),
            (f"80% 区间覆盖率 coverage: {f['coverage']:.3f}"),
            (f"中位绝对对数误差 median |ln(est/actual)|: 模型 model {f['mdale']:.3f}  vs  基准 naive baseline "
             f"{f['mdale_baseline']:.3f}"),
            (f"比率研究 ratio study (r = est/actual): COD {f['cod']:.1f}  PRD {f['prd']:.3f}  median r "
             f"{f['median_ratio']:.3f}  (trimmed {f['n_trimmed']} outlier ratio(s); untrimmed COD "
             f"{f['cod_all']:.1f}, PRD {f['prd_all']:.3f})"),
        ]
        if len(self.by_mode):
            lines.append("按计价方式 / by price mode:")
            lines.append(self.by_mode.round(3).to_string())
        return "\n".join(lines)


def _baseline(cases: pd.DataFrame, hold: pd.DataFrame) -> np.ndarray:
    c = priced_cases(cases)
    by_cat = c.groupby(["category", "price_mode"])["price"].median()
    by_mode = c.groupby("price_mode")["price"].median()
    key = pd.MultiIndex.from_arrays([hold["category"].fillna("").to_numpy(object),
                                     hold["price_mode"].to_numpy(object)])
    v = by_cat.reindex(key).to_numpy(float)
    fb = by_mode.reindex(hold["price_mode"].to_numpy(object)).to_numpy(float)
    return np.where(np.isfinite(v), v, fb)


def backtest_frames(cases: pd.DataFrame, holdout: pd.DataFrame, params: Mapping[str, Any] | None = None
                    ) -> BacktestResult:
    """Back-test on frames in the case schema (pure)."""
    p = resolve_params({"subject_evidence": "listing", **(params or {})})
    c = priced_cases(cases)
    h = priced_cases(holdout)
    n = len(h)
    subj = h[["category", "records", "fields", "size_bytes", "update_frequency", "rights_type", "exclusivity",
              "price_mode", "quality", "date", "platform", "title", "evidence_type"]].copy()
    subj["evidence_type"] = subj["evidence_type"].fillna("listing")
    subj["source"] = "library"
    subj["supply_demand"] = 0.0
    subj["date_index"] = 100.0
    subj["k"] = float(p["k"])
    subj["min_comparables"] = float(p["min_comparables"])
    subj["weighting"] = p["weighting"]
    out = value_subjects(subj, cases=c, params=p)
    fr = out["frame"]
    actual = h["price"].to_numpy(float)
    est = fr["estimate"].to_numpy(float)
    lo, hi = fr["low"].to_numpy(float), fr["high"].to_numpy(float)
    base = _baseline(c, h)
    pred = pd.DataFrame({"url": h["url"].to_numpy(object), "title": h["title"].to_numpy(object),
                         "price_mode": h["price_mode"].to_numpy(object), "actual": actual,
                         "estimate": est, "low": lo, "high": hi})
    extras = pd.DataFrame({"baseline": base, "hedonic_estimate": fr["hedonic_estimate"].to_numpy(float),
                           "grid_estimate": fr["grid_estimate"].to_numpy(float),
                           "n_comparables": fr["n_comparables"].to_numpy(int),
                           "platform": h["platform"].to_numpy(object), "category": h["category"].to_numpy(object)})
    ok = np.isfinite(est) & np.isfinite(lo) & np.isfinite(hi)
    inside = (actual >= lo) & (actual <= hi)
    rs = ratio_study(est, actual)
    rows = []
    for m in PRICED_MODES:
        s = (pred["price_mode"].to_numpy(object) == m)
        if not s.any():
            continue
        so = s & ok
        rsm = ratio_study(est[s], actual[s])
        rows.append({"price_mode": m, "n": int(s.sum()), "predicted": int(so.sum()),
                     "coverage": float(inside[so].mean()) if so.any() else np.nan,
                     "mdale": _mdale(est[s], actual[s]), "mdale_baseline": _mdale(base[s], actual[s]),
                     "cod": rsm["cod"], "prd": rsm["prd"]})
    by_mode = pd.DataFrame(rows).set_index("price_mode") if rows else pd.DataFrame()
    res = BacktestResult(
        n_holdout=n, n_predicted=int(ok.sum()),
        coverage=float(inside[ok].mean()) if ok.any() else float("nan"),
        mdale=_mdale(est, actual), mdale_baseline=_mdale(base[np.isfinite(est)], actual[np.isfinite(est)])
        if np.isfinite(est).any() else float("nan"),
        cod=rs["cod"], prd=rs["prd"], median_ratio=rs["median_ratio"], cod_all=rs["cod_all"],
        prd_all=rs["prd_all"], n_trimmed=rs["n_trimmed"], by_mode=by_mode,
        predictions=pd.concat([pred, extras], axis=1), n_cases=len(c))
    return res


def _import(paths: Sequence[str | os.PathLike[str]], fmt: str, mapping: Any) -> ImportReport:
    if fmt == "dadada":
        return import_dadada(list(paths))
    if fmt == "csv":
        return import_table(list(paths), mapping)
    from ...core.errors import RefusedError

    raise RefusedError(f"未知格式 {fmt!r}", f"unknown format {fmt!r}", field="format", value=fmt,
                       allowed="dadada, csv")


def run_backtest(cases: Sequence[str | os.PathLike[str]], holdout: Sequence[str | os.PathLike[str]], *,
                 fmt: str = "dadada", predictions: str | os.PathLike[str] | None = None,
                 mapping: Any = None, params: Mapping[str, Any] | None = None) -> BacktestResult:
    """Import the case and hold-out files (``fmt`` dadada | csv), back-test, and write the
    predictions CSV (columns exactly :data:`PREDICTION_COLUMNS`) when ``predictions`` is given."""
    rc = _import(cases, fmt, mapping)
    rh = _import(holdout, fmt, mapping)
    res = backtest_frames(rc.imported, rh.imported, params)
    res.reports = {"cases": rc, "holdout": rh}
    if predictions:
        from ...core.cells import neutralise_frame

        neutralise_frame(res.predictions[PREDICTION_COLUMNS]).to_csv(  # case ids are text
            predictions, index=False, float_format="%.10g")
    return res
