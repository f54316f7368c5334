"""Hedonic model of the case library: OLS of log price on features, one model per price mode.

::

    ln P_j = x_j' β + ε_j          (statsmodels OLS, HC3 heteroscedasticity-robust covariance Σ)
    ŷ = x' β̂;   80 % prediction interval  [ŷ + z_0.10 · s,  ŷ + z_0.90 · s],  s = √(x' Σ x + σ̂²_g)

``hedonic_interval = empirical`` (default): z_q are quantiles of the studentised residuals
e_j / √(σ̂²_g (1 − h_j)) of the fit (h = leverage) — listing prices have heavy tails, so normal
quantiles over-cover the bulk and under-cover the tails; ``normal``: z = ∓ t_{0.90, df}.

σ̂²_g is the residual variance of the subject's group (``variance_groups``, default the
platform), shrunk towards the pooled variance with ``variance_shrink`` pseudo-cases; a subject
of an unknown group gets the pooled variance. Point in price units: exp(ŷ) (the median of a
log-normal price). Features: :mod:`.features`. Clauses: CAS2023.art23, CAS2023.annex.market.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import special

from ...library.cases import PRICED_MODES, priced_cases
from ...library.cases.table import CaseTable, case_table
from .features import Encoder, keyword_columns, raw_feature_arrays, take_rows
from .grid import Groups

__all__ = ["HedonicModel", "ModeFit"]


@dataclass
class ModeFit:
    """The fitted model of one price mode."""

    mode: str
    encoder: Encoder
    beta: np.ndarray
    cov: np.ndarray
    sigma2: float
    df_resid: float
    nobs: int
    rsquared: float
    names: list[str]
    group_sigma2: dict[str, float] = field(default_factory=dict)
    group_col: str | None = None
    bse: np.ndarray | None = None
    z: np.ndarray | None = None          # studentised residuals e / √(σ²_g (1 − h)), sorted

    def table(self) -> dict[str, np.ndarray]:
        """Columns ``feature``, ``coef``, ``se_hc3``, ``t`` (one row per coefficient)."""
        se = self.bse if self.bse is not None else np.sqrt(np.diag(self.cov))
        with np.errstate(divide="ignore", invalid="ignore"):
            t = np.where(se > 0, self.beta / np.where(se > 0, se, 1.0), np.nan)
        return {"feature": np.array(self.names, dtype=object), "coef": self.beta, "se_hc3": se, "t": t}


class HedonicModel:
    """``HedonicModel(params).fit(cases)``; ``predict(subjects)`` per price mode (vectorised).

    Parameters are stored unchanged; fitted state ends in ``_`` (scikit-learn convention)."""

    def __init__(self, params: Mapping[str, Any]):
        self.params = dict(params)

    # ------------------------------------------------------------------ fit
    def fit(self, cases: Any) -> HedonicModel:
        """Fit on a :class:`~valuation.library.cases.table.CaseTable` of priced cases, or on a case frame (its
        priced rows are converted here)."""
        p = self.params
        c = cases if isinstance(cases, CaseTable) else case_table(priced_cases(cases))
        kws = list(p.get("title_keywords") or [])
        cat = list(p["hedonic_categorical"])
        F = raw_feature_arrays(c, cat, kws)
        self.fits_: dict[str, ModeFit] = {}
        self.reasons_: dict[str, str] = {}
        modes = np.asarray(c["price_mode"], dtype=object) if len(c) else np.zeros(0, dtype=object)
        for mode in PRICED_MODES:
            sel = modes == mode
            n = int(sel.sum())
            if n < int(p["hedonic_min_rows"]):
                self.reasons_[mode] = f"{n} cases < min_rows {p['hedonic_min_rows']}"
                continue
            Fm = take_rows(F, sel)
            enc = Encoder(cat, list(p["hedonic_numeric"]), keyword_columns(kws),
                          int(p["hedonic_min_level_count"]), "hedonic").fit(Fm)
            X = enc.transform(Fm)
            y = np.log(np.asarray(c["price"], dtype=float)[sel])
            fit = self._ols(X, y, enc, mode)
            if fit is None:
                self.reasons_[mode] = "design matrix has too few degrees of freedom"
                continue
            resid = y - X @ fit.beta
            s2_row = np.full(n, fit.sigma2)
            vg = [g for g in (p.get("variance_groups") or []) if g in F]
            if vg:
                fit.group_col = vg[0]
                s2_row = self._group_variances(fit, Fm[vg[0]], resid, float(p.get("variance_shrink", 10.0)))
            h = self._leverage(X, fit.beta)
            fit.z = np.sort(resid / np.sqrt(s2_row * np.clip(1.0 - h, 1e-6, None)))
            self.fits_[mode] = fit
        return self

    @staticmethod
    def _group_variances(fit: ModeFit, group: np.ndarray, resid: np.ndarray, lam: float) -> np.ndarray:
        """σ̂²_g = (Σ_g e² + λ σ̂²) / (n_g + λ) per group (missing → ``_missing``), stored in
        ``fit.group_sigma2``; returns each row's. Sums per group in sorted label order, as
        pandas' ``groupby`` summed them (:class:`.grid.Groups`)."""
        grp = [x if type(x) is str else "_missing" for x in group.tolist()]
        labels = sorted(set(grp))
        code = {x: i for i, x in enumerate(labels)}
        g = Groups(np.array([code[x] for x in grp], dtype=np.int64))
        total = g.sum(resid ** 2)
        for key, ss, size in zip(g.keys.tolist(), total.tolist(), g.sizes.tolist()):
            fit.group_sigma2[labels[key]] = float((ss + lam * fit.sigma2) / (size + lam))
        return np.array([fit.group_sigma2[x] for x in grp], dtype=float)

    @staticmethod
    def _leverage(X: np.ndarray, beta: np.ndarray) -> np.ndarray:
        """Diagonal of the hat matrix over the columns the fit kept."""
        keep = beta != 0
        keep[0] = True
        q, _ = np.linalg.qr(X[:, keep])
        return np.einsum("ij,ij->i", q, q)

    def _ols(self, X: np.ndarray, y: np.ndarray, enc: Encoder, mode: str) -> ModeFit | None:
        from statsmodels.regression.linear_model import OLS

        n, k = X.shape
        # drop columns that are constant zero in this sample or linearly dependent
        keep = np.ones(k, dtype=bool)
        keep[1:] = np.ptp(X[:, 1:], axis=0) > 0 if k > 1 else keep[1:]
        Xk = X[:, keep]
        r = np.linalg.qr(Xk, mode="r")
        if (np.abs(np.diag(r)) <= 1e-8 * max(1.0, np.abs(np.diag(r)).max())).any():
            indep = np.abs(np.diag(r)) > 1e-8 * max(1.0, np.abs(np.diag(r)).max())
            idx = np.flatnonzero(keep)
            keep[:] = False
            keep[idx[indep]] = True
            Xk = X[:, keep]
        if n - Xk.shape[1] < 3:
            return None
        cov_type = str(self.params.get("hedonic_cov_type", "HC3"))
        res = OLS(y, Xk).fit(method="qr", cov_type=cov_type)
        cov = np.asarray(res.cov_params(), dtype=float)
        if not np.all(np.isfinite(cov)):  # a leverage-1 row makes HC3 infinite: fall back to HC1
            res = OLS(y, Xk).fit(method="qr", cov_type="HC1")
            cov = np.asarray(res.cov_params(), dtype=float)
        beta = np.zeros(k)
        beta[keep] = res.params
        full = np.zeros((k, k))
        full[np.ix_(keep, keep)] = cov
        bse = np.zeros(k)
        bse[keep] = np.sqrt(np.clip(np.diag(cov), 0, None))
        return ModeFit(mode=mode, encoder=enc, beta=beta, cov=full, sigma2=float(res.scale),
                       df_resid=float(res.df_resid), nobs=int(n), rsquared=float(res.rsquared),
                       names=list(enc.names_), bse=bse)

    # ------------------------------------------------------------------ predict
    def predict_columns(self, F: Mapping[str, np.ndarray], modes: np.ndarray, coverage: float | None = None
                        ) -> dict[str, np.ndarray]:
        """Columns ``mean_log``, ``sd_pred`` (of ln P), ``low``, ``high``, ``estimate``
        (= exp(mean_log)), ``available`` of the subjects, from their raw features ``F``
        (:func:`.features.raw_feature_arrays` with ``hedonic_categorical`` and the title
        keywords) and their price modes — the features computed once serve the selection too."""
        cov_ = float(coverage if coverage is not None else self.params.get("coverage", 0.8))
        n = len(modes)
        out = {"mean_log": np.full(n, np.nan), "sd_pred": np.full(n, np.nan), "low": np.full(n, np.nan),
               "high": np.full(n, np.nan), "estimate": np.full(n, np.nan), "available": np.zeros(n, bool)}
        if not n:
            return out
        for mode, fit in self.fits_.items():
            sel = modes == mode
            if not sel.any():
                continue
            X = np.ascontiguousarray(fit.encoder.transform(take_rows(F, sel)), dtype=float)
            # row by row, not ``X @ beta``: BLAS blocks a matrix product by its row count, so
            # an asset's prediction would change in the last bits with the batch around it
            mu = (X * fit.beta).sum(axis=1)
            var_mean = np.einsum("ij,jk,ik->i", X, fit.cov, X)
            s2 = np.full(int(sel.sum()), fit.sigma2)
            if fit.group_col:
                g = np.asarray(F[fit.group_col][sel], dtype=object)
                for x in dict.fromkeys(g.tolist()):      # (per distinct group: one comparison)
                    if isinstance(x, str) and x in fit.group_sigma2:
                        s2[np.equal(g, x)] = fit.group_sigma2[x]
            sd = np.sqrt(np.clip(var_mean, 0, None) + s2)
            if str(self.params.get("hedonic_interval", "empirical")) == "empirical" and fit.z is not None \
                    and len(fit.z) >= 10:
                z_lo, z_hi = np.quantile(fit.z, [0.5 - cov_ / 2, 0.5 + cov_ / 2])
            else:
                # Student-t quantile: what ``scipy.stats.t.ppf`` computes (its ``_ppf``), without
                # importing scipy.stats (hundreds of modules, at every start of a worker)
                t = special.stdtrit(fit.df_resid, 0.5 + cov_ / 2)
                z_lo, z_hi = -t, t
            out["mean_log"][sel] = mu
            out["sd_pred"][sel] = sd
            out["low"][sel] = np.exp(mu + z_lo * sd)
            out["high"][sel] = np.exp(mu + z_hi * sd)
            out["estimate"][sel] = np.exp(mu)
            out["available"][sel] = True
        return out

    def coefficient(self, mode: str, name: str) -> float:
        """A fitted coefficient (NaN when the mode or feature is absent)."""
        fit = self.fits_.get(mode)
        if fit is None or name not in fit.names:
            return float("nan")
        return float(fit.beta[fit.names.index(name)])

    def summary(self) -> dict[str, list[Any]]:
        """Columns ``price_mode``, ``nobs``, ``rsquared``, ``sigma``, ``df_resid``, ``features``:
        one row per fitted mode."""
        keys = ("price_mode", "nobs", "rsquared", "sigma", "df_resid", "features")
        rows = [(m, f.nobs, f.rsquared, float(np.sqrt(f.sigma2)), f.df_resid, len(f.names))
                for m, f in self.fits_.items()]
        return {k: [r[j] for r in rows] for j, k in enumerate(keys)}
