"""Back-test of the market approach on held-out priced cases (ratio study).

Fit on the cases, predict every priced row (price > 0) of the hold-out as if it were a subject
(same rights type, price mode and unit; k nearest neighbours; adjustment grid; hedonic
range), and measure:

* ``coverage`` — share of actual prices inside the 80 % range [low, high];
* ``mdale`` — median absolute log error, median |ln(estimate / actual)|;
* ``mdale_baseline`` — the same for the strong naive baseline: the median price of the cases
  of the same exchange (``platform``), category and price mode (else same exchange and mode,
  else same mode), computed on the cases only;
* per price mode and per exchange (:meth:`BacktestResult.tables`): n, coverage, median and mean
  absolute log error of the model and of the baseline, and the median width high / low;
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

from ..library.cases import (
    PRICED_MODES,
    ImportReport,
    import_dadada,
    import_table,
    priced_cases,
)
from ..methods.market.approach import value_subjects
from ..methods.market.params import resolve_params
from .splitting import split_mask

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

    def tables(self) -> dict[str, pd.DataFrame]:
        """Per price mode, per exchange and overall: n, coverage, median / mean |ln error| of the
        model and of the naive same-exchange-category-mode median, median width high / low."""
        p = self.predictions
        overall = _table(p.assign(all="all"), "all").rename(columns={"all": "group"})
        return {"overall": overall, "by_mode": _table(p, "price_mode"), "by_exchange": _table(p, "platform")}

    def to_json_dict(self) -> dict[str, Any]:
        t = self.tables()
        clean = lambda v: v.astype(object).where(v.notna(), None).to_dict(orient="records")  # noqa: E731
        return {"figures": {k: (None if isinstance(v, float) and v != v else v) for k, v in self.figures().items()},
                **{k: clean(v) for k, v in t.items()}}

    def write_tables(self, prefix: str | os.PathLike[str]) -> list[str]:
        """Write ``<prefix>.json`` (figures and tables) and ``<prefix>_<table>.csv`` per table."""
        import json

        out = []
        for k, v in self.tables().items():
            path = f"{prefix}_{k}.csv"
            # exchange names come from the input files: a cell starting = + - @ is neutralised
            v = v.map(lambda x: "'" + x if isinstance(x, str) and x[:1] in "=+-@" else x)
            v.to_csv(path, index=False, float_format="%.6g")
            out.append(path)
        path = f"{prefix}.json"
        with open(path, "w", encoding="utf-8") as fh:
            json.dump(self.to_json_dict(), fh, ensure_ascii=False, indent=1, default=float)
        out.append(path)
        return out

    def tables_text(self) -> str:
        lines = []
        for k, v in self.tables().items():
            lines.append(f"[{k}]")
            lines.append(v.round(3).to_string(index=False))
        return "\n".join(lines)

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
    """Median price of the cases of the same exchange, category and mode; else of the same
    exchange and mode; else of the same mode (the strong naive baseline of issue 16)."""
    c = priced_cases(cases)
    c = c.assign(platform=c["platform"].fillna("?"), category=c["category"].fillna("?"))
    h = hold.assign(platform=hold["platform"].fillna("?"), category=hold["category"].fillna("?"))
    out = np.full(len(h), np.nan)
    for keys in (["platform", "category", "price_mode"], ["platform", "price_mode"], ["price_mode"]):
        med = c.groupby(keys)["price"].median()
        idx = pd.MultiIndex.from_frame(h[keys]) if len(keys) > 1 else pd.Index(h[keys[0]])
        out = np.where(np.isnan(out), med.reindex(idx).to_numpy(float), out)
    return out


def _ale(e: np.ndarray, a: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.abs(np.log(e / a))


def _table(pred: pd.DataFrame, by: str) -> pd.DataFrame:
    """Per ``by`` (price_mode | platform): n, coverage, median / mean |ln error| of the model and
    of the naive baseline, median width high / low."""
    rows = []
    for key, g in pred.groupby(by, sort=True, dropna=False):
        a, e, b = g["actual"].to_numpy(float), g["estimate"].to_numpy(float), g["baseline"].to_numpy(float)
        lo, hi = g["low"].to_numpy(float), g["high"].to_numpy(float)
        ok = np.isfinite(e) & np.isfinite(lo) & np.isfinite(hi)
        ae, ab = _ale(e[ok], a[ok]), _ale(b[ok], a[ok])
        rows.append({by: key, "n": len(g), "predicted": int(ok.sum()),
                     "coverage": float(((a[ok] >= lo[ok]) & (a[ok] <= hi[ok])).mean()) if ok.any() else np.nan,
                     "mdale": float(np.median(ae)) if ok.any() else np.nan,
                     "meanale": float(np.mean(ae)) if ok.any() else np.nan,
                     "mdale_naive": float(np.nanmedian(ab)) if ok.any() else np.nan,
                     "meanale_naive": float(np.nanmean(ab)) if ok.any() else np.nan,
                     "median_width": float(np.median(hi[ok] / lo[ok])) if ok.any() else np.nan,
                     # prices equal to the estimate (list-price stacks): any range holding the
                     # estimate covers at least this share
                     "exact_share": float(np.mean(ae < 1e-9)) if ok.any() else np.nan})
    return pd.DataFrame(rows)


def backtest_frames(cases: pd.DataFrame, holdout: pd.DataFrame, params: Mapping[str, Any] | None = None
                    ) -> BacktestResult:
    """Back-test on frames in the case schema (pure)."""
    p = resolve_params({"subject_evidence": "listing", **(params or {})})
    c = priced_cases(cases)
    h = priced_cases(holdout)
    n = len(h)
    subj = h[["category", "records", "fields", "size_bytes", "update_frequency", "rights_type", "exclusivity",
              "price_mode", "quality", "date", "platform", "title", "evidence_type"]].copy()
    for extra in ("description", "provider"):   # text the learned model reads when present
        if extra in h.columns:
            subj[extra] = h[extra].to_numpy(object)
    subj["evidence_type"] = subj["evidence_type"].fillna("listing")
    subj["source"] = "library"
    subj["supply_demand"] = 0.0
    subj["date_index"] = 100.0
    subj["k"] = float(p["k"])
    subj["min_comparables"] = float(p["min_comparables"])
    subj["weighting"] = p["weighting"]
    # a back-test measures the model, it concludes nothing: whatever the cases are, they are used
    out = value_subjects(subj, cases=c, params={**p, "allow_synthetic": True})
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
                           "learned_model": fr["learned_model"].to_numpy(object),
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
    from ..core.errors import RefusedError

    raise RefusedError(f"未知格式 {fmt!r}", f"unknown format {fmt!r}", field="format", value=fmt,
                       allowed="dadada, csv")


def run_backtest(cases: Sequence[str | os.PathLike[str]], holdout: Sequence[str | os.PathLike[str]] | None = None,
                 *, fmt: str = "dadada", predictions: str | os.PathLike[str] | None = None,
                 mapping: Any = None, params: Mapping[str, Any] | None = None, group_by: str = "title",
                 fit_share: float = 0.7, seed: int = 7) -> BacktestResult:
    """Import the case and hold-out files (``fmt`` dadada | csv), back-test, and write the
    predictions CSV (columns exactly :data:`PREDICTION_COLUMNS`) when ``predictions`` is given.

    Without ``holdout`` the imported cases are split per exchange by groups (``group_by`` =
    title | provider | row, :func:`.splitting.split_mask`; ``fit_share`` of the groups fit): no
    listing family (or provider) lies on both sides."""
    rc = _import(cases, fmt, mapping)
    if holdout is None:
        fit = split_mask(rc.imported, group_by, share=fit_share, seed=seed)
        rh = ImportReport(total=int((~fit).sum()), imported=rc.imported.loc[~fit].reset_index(drop=True),
                          skipped=rc.skipped.iloc[:0], files=rc.files,
                          notes=[f"split by {group_by}, seed {seed}: {int((~fit).sum())} held out"])
        rc = ImportReport(total=rc.total - rh.total, imported=rc.imported.loc[fit].reset_index(drop=True),
                          skipped=rc.skipped, files=rc.files, notes=rc.notes)
    else:
        rh = _import(holdout, fmt, mapping)
    res = backtest_frames(rc.imported, rh.imported, params)
    res.reports = {"cases": rc, "holdout": rh}
    if predictions:
        from ..core.cells import neutralise_frame

        neutralise_frame(res.predictions[PREDICTION_COLUMNS]).to_csv(  # case ids are text
            predictions, index=False, float_format="%.10g")
    return res
