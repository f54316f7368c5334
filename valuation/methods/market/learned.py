"""Per-price-mode learned price model with split-conformal ranges (the library path).

中评协〔2023〕17号 art. 23 (comparable cases, adjustment for differences); issue 16: a market
value that beats the naive median price of the same exchange, category and mode, and an 80 %
range whose coverage holds out of sample (see ``docs/`` and ``README.md``, benchmark table).

One model per (rights type, price mode) group of the case library — prices in other units are
never compared (``library/cases/schema.same_unit_mask``). Features do not depend on the language
of a name: character n-grams (scikit-learn ``TfidfVectorizer(analyzer="char_wb")``) of the title
and description, plus the exchange (``platform``) and the provider as soft matches (one-hot
columns in the same distance), category and update frequency as one-hot columns, and the
logarithms of records / fields / size where known. Candidates:

* ``knn_median`` / ``knn_mean`` (k = 3, 5): weighted median / mean of ln P of the k nearest
  cases by cosine distance, weights 1 / (d + 0.05)²; cases tied with the k-th share its slot
  (order-free: a subject whose own n-grams the library never saw meets many cases at one
  distance);
* ``ridge``: ridge regression of ln P on the same features;
* ``gbr``: scikit-learn ``HistGradientBoostingRegressor`` (absolute-error loss) on a 20-dim
  truncated SVD of the text plus the exchange and category codes and the scale logs.

The candidate with the smallest mean absolute log error in 5-fold cross-validation on the case
library (the fitting part only, never a hold-out) is kept. Its residuals r_i give the
split-conformal range (CV+ style, normalised scores), Mondrian on what the subject shares with
the library (:func:`seen_level`: 0 = a listing of its family — same exchange, provider, title up
to digits —, 1 = only its provider, 2 = neither) and per exchange (≥ ``MONDRIAN_MIN`` cases, else
pooled per level). Each level is calibrated on residuals computed as such a subject meets the
library: the row left out (level 0, cases of families of ≥ 2 rows), its family left out (level
1) or its provider left out (level 2; ``GroupKFold``, features refitted on each fold) —
near-duplicates make row-left-out residuals far too small for a new series or seller::

    σ_i = a + b · sd(ln P of the k nearest cases) + c · their mean cosine distance
          (form per level: the narrowest median range at the target coverage on one half of
          the calibration families, q from the other half only — ``conformal.py``;
          level 0: σ = a, since its row-left-out neighbours hold one sibling fewer)
    s_i = |r_i| / σ_i,  q = the ⌈(n + 1)·c⌉-th smallest s (c = coverage; plain, ties kept)
    low, high = P̂ · exp(∓ max(q · σ_subject, 0.05))

so subjects whose neighbours agree get narrow ranges and the coverage c holds out of sample
(exchangeable cases; measured by ``valuation backtest``).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.decomposition import TruncatedSVD
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import Ridge
from sklearn.model_selection import GroupKFold, KFold
from sklearn.neighbors import NearestNeighbors

from ...library.cases.listings import family_keys, stripped
from .conformal import (
    CAL_FOLDS,
    MIN_HALF,
    MONDRIAN_MIN,
    Form,
    calibrate,
    choice_half,
    conformal_q,
    sigma_of,
)
from .features import _numbers

__all__ = ["CANDIDATES", "MIN_CASES", "LearnedModel", "fit_learned", "learned_columns"]

#: fewer cases of a group than this → no learned model (the hedonic / grid path applies)
MIN_CASES = 12
CANDIDATES = ("knn_median_3", "knn_median_5", "knn_mean_5", "ridge", "gbr")
_ONE_HOT = ("platform", "provider", "category", "update_frequency")
_ONE_HOT_WEIGHT = {"platform": 1.0, "provider": 0.7, "category": 0.5, "update_frequency": 0.3}
_SCALE = ("records", "fields", "size_bytes")


def _text(df: Mapping[str, Any], n: int) -> list[str]:
    parts = []
    for col in ("title", "description"):
        v = df[col] if col in df else None
        vals = list(v) if v is not None else [None] * n
        parts.append(["" if not isinstance(x, str) else x for x in vals])
    return [f"{a} {b}".strip() for a, b in zip(*parts)]


def _col(df: Mapping[str, Any], name: str, n: int) -> list[str]:
    if name not in df:
        return ["?"] * n
    return [x if isinstance(x, str) and x else "?" for x in list(df[name])]


def _scale(df: Mapping[str, Any], n: int) -> np.ndarray:
    out = np.full((n, len(_SCALE)), -1.0)   # -1 = unknown (a log of a real size is ≥ 0)
    for j, c in enumerate(_SCALE):
        if c in df:
            v = _numbers(df[c])
            ok = np.isfinite(v) & (v > 0)
            out[ok, j] = np.log1p(v[ok])
    return out


def _wmedian(vals: np.ndarray, w: np.ndarray) -> np.ndarray:
    o = np.argsort(vals, axis=1)
    v, ww = np.take_along_axis(vals, o, 1), np.take_along_axis(w, o, 1)
    c = ww.cumsum(1) / ww.sum(1, keepdims=True)
    j = (c < 0.5).sum(1)
    return v[np.arange(len(v)), j]


class _Features:
    """Sparse design of a group: text n-grams, weighted one-hot soft matches, scale logs."""

    def __init__(self, cases: Mapping[str, Any], n: int | None = None):
        # n: the number of cases (a plain dict's len counts its columns; a table's its rows)
        n = len(cases) if n is None else n
        self.text = TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3), sublinear_tf=True, dtype=np.float64)
        self.text.fit(_text(cases, n))
        self.levels = {c: {v: i for i, v in enumerate(sorted(set(_col(cases, c, n)) - {"?"}))} for c in _ONE_HOT}

    def codes(self, df: Mapping[str, Any], col: str, n: int) -> np.ndarray:
        lv = self.levels[col]
        return np.array([lv.get(x, -1) for x in _col(df, col, n)], dtype=float)

    def sparse(self, df: Mapping[str, Any], n: int) -> sp.csr_matrix:
        blocks = [self.text.transform(_text(df, n))]
        for c in _ONE_HOT:
            lv = self.levels[c]
            code = self.codes(df, c, n).astype(int)
            ok = code >= 0
            blocks.append(sp.csr_matrix((np.full(int(ok.sum()), _ONE_HOT_WEIGHT[c]),
                                         (np.flatnonzero(ok), code[ok])), shape=(n, max(len(lv), 1))))
        sc = _scale(df, n)
        blocks.append(sp.csr_matrix(np.where(sc >= 0, sc / 20.0, 0.0)))
        return sp.hstack(blocks).tocsr()


#: two cosine distances closer than this are a tie (the distance is 1 − a dot product)
TIE_TOL = 1e-9


def _kneighbors(Xf: sp.csr_matrix, Xq: sp.csr_matrix | None, kk: int, loo: bool) -> tuple[np.ndarray, np.ndarray]:
    """(distances, rows) of the ``kk`` nearest cases, sorted; ``Xq=None`` or ``loo`` (query row j
    stands for case j) → among the OTHER cases (the row itself is dropped)."""
    n = Xf.shape[0]
    if Xq is not None and not loo:
        return NearestNeighbors(n_neighbors=min(kk, n), metric="cosine").fit(Xf).kneighbors(Xq)
    kk = min(kk + 1, n)
    d, i = NearestNeighbors(n_neighbors=kk, metric="cosine").fit(Xf).kneighbors(Xf if Xq is None else Xq)
    own = i == np.arange(n)[:, None]
    own[~own.any(axis=1), -1] = True      # a duplicate took the row's place: drop the farthest
    keep = ~own
    return d[keep].reshape(n, kk - 1), i[keep].reshape(n, kk - 1)


def _neighbours(Xf: sp.csr_matrix, Xq: sp.csr_matrix | None, k: int, *, loo: bool = False
                ) -> tuple[np.ndarray, np.ndarray]:
    """(distances, rows) of the k nearest cases by cosine distance AND of every case tied with
    the k-th (sorted; more than k columns where ties reach past the k-th). ``Xq=None`` or ``loo``
    → leave-one-out over the cases themselves. Weights: :func:`_membership`.

    Ties matter: a subject whose title n-grams the library never saw meets many cases at one
    distance, and cutting the tie by row order would give every such subject the same arbitrary
    k cases (estimate and σ then depend on the order of the library's rows)."""
    n_other = Xf.shape[0] - (1 if Xq is None or loo else 0)
    kk = min(2 * k, n_other)
    while True:
        d, i = _kneighbors(Xf, Xq, kk, loo)
        kq = min(k, d.shape[1])
        if kk >= n_other or not (d[:, -1] <= d[:, kq - 1] + TIE_TOL).any():
            return d, i
        kk = min(2 * kk, n_other)


def _membership(d: np.ndarray, k: int) -> np.ndarray:
    """Weight of each column of :func:`_neighbours` in "the k nearest": 1 for a case strictly
    nearer than the k-th distance, the remaining slots shared equally by the cases tied with
    the k-th (fractional ties: order-free, each row's weights sum to k), 0 beyond."""
    k = min(k, d.shape[1])
    dk = d[:, k - 1:k]
    closer = d < dk - TIE_TOL
    tie = ~closer & (d <= dk + TIE_TOL)
    nc, nt = closer.sum(1, keepdims=True), tie.sum(1, keepdims=True)
    return np.where(closer, 1.0, np.where(tie, (k - nc) / np.maximum(nt, 1), 0.0))


def _knn_value(name: str, yf: np.ndarray, d: np.ndarray, i: np.ndarray) -> np.ndarray:
    w = _membership(d, int(name.rsplit("_", 1)[1])) / (d + 0.05) ** 2
    return _wmedian(yf[i], w) if "median" in name else (yf[i] * w).sum(1) / w.sum(1)


def _predict(name: str, Xf: sp.csr_matrix, yf: np.ndarray, Xq: sp.csr_matrix,
             dense_f: np.ndarray | None, dense_q: np.ndarray | None) -> np.ndarray:
    """Fit candidate ``name`` on (Xf, yf) and predict ln P for Xq."""
    if name.startswith("knn"):
        return _knn_value(name, yf, *_neighbours(Xf, Xq, int(name.rsplit("_", 1)[1])))
    if name == "ridge":
        return Ridge(alpha=0.3).fit(Xf, yf).predict(Xq)
    m = HistGradientBoostingRegressor(loss="absolute_error", max_iter=120, learning_rate=0.08,
                                      min_samples_leaf=5, random_state=0)
    return m.fit(dense_f, yf).predict(dense_q)


@dataclass
class LearnedModel:
    """The chosen model of one (rights type, price mode) group and its conformal quantile."""

    choice: str
    cv_mean_abs: dict[str, float]
    q: float
    #: σ form per seen level (a subject naming no exchange: level 2's)
    sigma_form: tuple[Form, Form, Form]
    #: conformal quantile per (seen level, exchange) — Mondrian on what the subject shares
    #: with the library (:func:`seen_level`); ``q_level`` the pooled one per level
    q_by_platform: dict[tuple[int, str], float]
    q_level: tuple[float, float, float]
    families: frozenset[str]
    providers: frozenset[str]
    #: quantile for subjects that name no exchange (a card): calibrated on the cases queried
    #: as such a subject — title, category, update and scale only — against the others
    q_blind: tuple[np.ndarray, np.ndarray]
    n: int
    coverage: float
    _feat: _Features
    _X: sp.csr_matrix
    _y: np.ndarray
    _svd: TruncatedSVD | None
    _dense: np.ndarray | None

    def _dense_of(self, df: Any, X: sp.csr_matrix, n: int) -> np.ndarray | None:
        if self._svd is None:
            return None
        return _dense(self._svd, self._feat, df, X, n)

    def predict(self, subjects: Mapping[str, Any], n: int) -> dict[str, np.ndarray]:
        """ln-scale point, σ and the range of ``n`` subjects (columns as in the case schema)."""
        Xq = self._feat.sparse(subjects, n)
        mu = _predict(self.choice, self._X, self._y, Xq, self._dense, self._dense_of(subjects, Xq, n))
        stats = _neighbour_stats(self._X, self._y, Xq)
        by_level = np.stack([sigma_of(stats, f) for f in self.sigma_form])
        lvl = seen_level(subjects, n, self.families, self.providers)
        blind_subject = np.array([v == "?" for v in _col(subjects, "platform", n)], dtype=bool)
        lvl = np.where(blind_subject, 2, lvl)
        sig = by_level[lvl, np.arange(n)]
        edges, qb = self.q_blind
        blind = qb[np.minimum(np.searchsorted(edges, sig, side="left"), len(qb) - 1)]
        q = np.array([blind[j] if v == "?" else self.q_by_platform.get((int(lvl[j]), v), self.q_level[lvl[j]])
                      for j, v in enumerate(_col(subjects, "platform", n))], dtype=float)
        half = np.maximum(q * sig, MIN_HALF)
        est = np.exp(mu)
        return {"estimate": est, "low": est * np.exp(-half), "high": est * np.exp(half),
                "sigma": sig, "mean_log": mu}


def _neighbour_stats(Xf: sp.csr_matrix, yf: np.ndarray, Xq: sp.csr_matrix | None, *, loo: bool = False
                     ) -> dict[int, np.ndarray]:
    """Per subject and k ∈ {3, 5, 10}: (sd of the k nearest cases' ln P, their mean distance),
    ties with the k-th shared (:func:`_membership`; one query at k = 10 holds every tie of a
    smaller k: a tie reaching past the 10th column sits at the 10th distance);
    ``Xq=None`` or ``loo`` → leave-one-out over the cases themselves."""
    d, i = _neighbours(Xf, Xq, 10, loo=loo)
    y = yf[i]
    out = {}
    for k in (3, 5, 10):
        w = _membership(d, k)
        w = w / w.sum(axis=1, keepdims=True)
        m = (w * y).sum(axis=1, keepdims=True)
        out[k] = np.column_stack([np.sqrt((w * (y - m) ** 2).sum(axis=1)), (w * d).sum(axis=1)])
    return out


def _dense(svd: TruncatedSVD, feat: _Features, df: Any, X: sp.csr_matrix, n: int) -> np.ndarray:
    t = feat.text.transform(_text(df, n))
    return np.column_stack([svd.transform(t), feat.codes(df, "platform", n), feat.codes(df, "category", n),
                            _scale(df, n)])


#: the columns a subject that names no exchange, provider or description (a card) is queried by
_BLIND = ("title", "category", "update_frequency", *_SCALE)


def _blind_q(c: Mapping[str, np.ndarray], y: np.ndarray, choice: str, form: Form, coverage: float, groups: np.ndarray,
             fam: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Conformal quantiles for a subject that names no exchange, provider or description (a
    card; seen level 2): each case is queried by :data:`_BLIND` alone with its provider
    (else family) left out — ``GroupKFold``, features refitted on the rest, as a card's title
    meets the library — through the chosen model and the level-2 σ form; q from the cases of
    the half of the families that did not choose that form (:func:`conformal.choice_half`;
    all cases when a half has < MONDRIAN_MIN). One quantile per tercile of σ (Mondrian on
    difficulty: a subject far from every case is calibrated on the far cases, not on the list-
    price stacks that a near duplicate hits exactly). Returns (upper σ edges, quantiles).

    With the row left out instead (the earlier calibration) a case's siblings stayed in the
    library and a new family queried blind was covered 0.46 on synthetic series."""
    r, st = _group_residuals(choice, c, y, groups, CAL_FOLDS, seed, blind=True)
    half = choice_half(fam)
    m = np.isfinite(r)
    if (m & ~half).sum() >= MONDRIAN_MIN and (m & half).sum() >= MONDRIAN_MIN:
        m &= ~half
    if not m.any():
        return np.array([np.inf]), np.array([np.inf])
    sig, r = sigma_of(st, form)[m], r[m]
    n = len(r)
    bins = 3 if n >= 3 * MONDRIAN_MIN else 1
    edges = np.quantile(sig, np.arange(1, bins + 1) / bins)
    edges[-1] = np.inf
    which = np.searchsorted(edges, sig, side="left")
    qs = np.array([conformal_q(r[which == b], sig[which == b], coverage) if (which == b).any() else
                   conformal_q(r, sig, coverage) for b in range(bins)])
    return edges, qs


def _design(c: Mapping[str, np.ndarray], seed: int
            ) -> tuple[_Features, sp.csr_matrix, TruncatedSVD | None, np.ndarray | None]:
    """Features fitted on the cases ``c`` (columns of equal length): (features, sparse design,
    text SVD or None, dense design of the gradient-boosted candidate or None)."""
    n = len(c["price"])
    feat = _Features(c, n)
    X = feat.sparse(c, n)
    t = feat.text.transform(_text(c, n))
    svd = TruncatedSVD(n_components=min(20, t.shape[1] - 1, n - 1), random_state=seed).fit(t) \
        if t.shape[1] > 2 and n > 3 else None
    return feat, X, svd, (_dense(svd, feat, c, X, n) if svd is not None else None)


def fit_learned(cases: Mapping[str, Any], *, coverage: float = 0.80, folds: int = 5,
                seed: int = 0) -> LearnedModel | None:
    """Fit the candidates on one group's priced cases, choose by ``folds``-fold CV (mean
    absolute log error) and calibrate the conformal quantile on the out-of-fold residuals.
    None when the group has fewer than :data:`MIN_CASES` cases."""
    n = len(cases)
    if n < MIN_CASES:
        return None
    c = {str(k): np.asarray(cases[k]) for k in cases.keys()}
    y = np.log(np.asarray(c["price"], dtype=float))
    feat, X, svd, dense = _design(c, seed)
    cands = [x for x in CANDIDATES if x != "gbr" or dense is not None]
    oof = {x: np.full(n, np.nan) for x in cands}
    stats = {k: np.full((n, 2), np.nan) for k in (3, 5, 10)}
    splits = list(KFold(n_splits=min(folds, n), shuffle=True, random_state=seed).split(np.arange(n)))
    for tr, te in splits:
        for x in cands:
            oof[x][te] = _predict(x, X[tr], y[tr], X[te], dense[tr] if dense is not None else None,
                                  dense[te] if dense is not None else None)
        for k, v in _neighbour_stats(X[tr], y[tr], X[te]).items():
            stats[k][te] = v
    # mean + median |ln error|: both the typical and the average miss count (list prices stack)
    cv = {x: float(np.mean(np.abs(oof[x] - y)) + np.median(np.abs(oof[x] - y))) for x in cands}
    choice = min(cands, key=lambda x: (cv[x], CANDIDATES.index(x)))
    # calibration residuals from models as close as possible to the final one (which sees every
    # case): leave-one-out for the neighbour models and the difficulty σ (exact and cheap);
    # k-fold residuals of models fitted on (1 − 1/folds) of the cases would be larger than the
    # final model's and over-cover (jackknife+ / CV+, Barber et al. 2021)
    stats = _neighbour_stats(X, y, None)
    if choice.startswith("knn"):
        oof[choice] = _knn_value(choice, y, *_neighbours(X, None, int(choice.rsplit("_", 1)[1])))
    abs_r = np.abs(oof[choice] - y)
    fam, prov = _keys(c, n)
    levels = _level_residuals(choice, c, y, abs_r, stats, fam, prov, CAL_FOLDS, seed)
    forms, q_level, q_by = calibrate(levels, np.array(_col(c, "platform", n), dtype=object), coverage, fam)
    pg = np.where(prov != "", prov, fam).astype(object)
    q_blind = _blind_q(c, y, choice, forms[2], coverage, pg, fam, seed)
    return LearnedModel(choice=choice, cv_mean_abs=cv, q=q_level[0], sigma_form=forms, q_by_platform=q_by,
                        q_level=q_level, families=frozenset(fam.tolist()),
                        providers=frozenset(p for p in prov.tolist() if p),
                        q_blind=q_blind, n=n, coverage=coverage, _feat=feat, _X=X, _y=y,
                        _svd=svd, _dense=dense)


def _keys(df: Mapping[str, Any], n: int) -> tuple[np.ndarray, np.ndarray]:
    """(listing family, exchange|provider or "") of every row (``library/cases/listings``)."""
    plat, prov, title = (list(df[k]) if k in df else [None] * n for k in ("platform", "provider", "title"))
    pk = np.empty(n, dtype=object)
    pk[:] = [f"{a}|{b}" if b != "" else "" for a, b in zip(stripped(plat), stripped(prov))]
    return family_keys(plat, prov, title), pk


def seen_level(df: Mapping[str, Any], n: int, families: frozenset[str],
               providers: frozenset[str]) -> np.ndarray:
    """What a subject shares with the case library: 0 = a listing of its family (same exchange,
    provider and title up to digits — another year or edition of one series), 1 = another
    listing of its provider, 2 = neither (a new seller, or no provider named)."""
    fam, prov = _keys(df, n)
    lvl = np.full(n, 2, dtype=np.int64)
    lvl[np.array([p in providers for p in prov.tolist()], dtype=bool)] = 1
    lvl[np.array([f in families for f in fam.tolist()], dtype=bool)] = 0
    return lvl


def _level_residuals(choice: str, c: Mapping[str, np.ndarray], y: np.ndarray, abs_r: np.ndarray,
                     stats: dict[int, np.ndarray], fam: np.ndarray, prov: np.ndarray, folds: int, seed: int
                     ) -> list[tuple[np.ndarray, dict[int, np.ndarray], np.ndarray]]:
    """Calibration residuals per :func:`seen_level`, each computed as such a subject meets the
    library: level 0 — the row left out (its family stays; only cases of families of ≥ 2 rows
    calibrate); level 1 — its whole family left out (GroupKFold; cases whose provider has
    other families); level 2 — its provider left out (its family where no provider is named;
    every case). Returns (|r|, neighbour stats, calibration mask) per level.

    For levels 1 and 2 the features are fitted again on each fold's remaining cases
    (:func:`_design`), as the library's are at prediction: a new family's own title n-grams and
    a new provider are then unknown to the vocabulary and the one-hot columns, as a new
    subject's are. Fitted on every case instead, they stay in the left-out row's vector,
    orthogonal to all the others, so calibration distances (and a σ read from them) come out
    larger than at prediction (measured on synthetic series: mean distance 0.46 vs 0.30)."""
    n = len(y)
    _, fi, fc = np.unique(fam, return_inverse=True, return_counts=True)
    out = [(abs_r, stats, fc[fi] >= 2)]
    pg = np.where(prov != "", prov, fam).astype(object)
    # families per provider: distinct (provider, family) pairs counted per provider
    _, pi = np.unique(prov, return_inverse=True)
    _, fj = np.unique(fam, return_inverse=True)
    pairs = np.unique(np.column_stack([pi.ravel(), fj.ravel()]), axis=0)
    nfam_of = np.bincount(pairs[:, 0], minlength=int(pi.max()) + 1)
    cal1 = (prov != "") & (nfam_of[pi.ravel()] >= 2)
    for groups, cal in ((fam, cal1), (pg, np.ones(n, dtype=bool))):
        if cal.sum() >= MONDRIAN_MIN:
            r, st = _group_residuals(choice, c, y, groups, folds, seed)
        else:
            r, st = np.full(n, np.inf), {j: np.full((n, 2), np.nan) for j in (3, 5, 10)}
        out.append((r, st, cal & np.isfinite(r)))
    return out


def _group_residuals(choice: str, c: Mapping[str, np.ndarray], y: np.ndarray, groups: np.ndarray, folds: int, seed: int,
                     *, blind: bool = False) -> tuple[np.ndarray, dict[int, np.ndarray]]:
    """|r| and neighbour stats of every case with its group left out (``GroupKFold``; inf /
    NaN where no fold could be fitted). ``blind``: queried by :data:`_BLIND` alone."""
    n = len(y)
    k = min(folds, len(set(groups.tolist())))
    r, st = np.full(n, np.inf), {j: np.full((n, 2), np.nan) for j in (3, 5, 10)}
    if k < 2:
        return r, st
    for tr, te in GroupKFold(n_splits=k).split(np.zeros(n), groups=groups):
        got = _fold_residuals(choice, c, y, tr, te, seed, blind)
        if got is not None:
            r[te] = got[0]
            for j, v in got[1].items():
                st[j][te] = v
    return r, st


def _fold_residuals(choice: str, c: Mapping[str, np.ndarray], y: np.ndarray, tr: np.ndarray, te: np.ndarray, seed: int,
                    blind: bool = False) -> tuple[np.ndarray, dict[int, np.ndarray]] | None:
    """|r| and neighbour stats of the cases ``te`` by the model ``choice`` fitted, features
    included, on the cases ``tr`` only (None: too few cases for the features it needs)."""
    ct, cq = {k: v[tr] for k, v in c.items()}, {k: v[te] for k, v in c.items()}
    if blind:
        cq = {k: cq[k] for k in _BLIND if k in cq}
    feat, Xt, svd, dt = _design(ct, seed)
    Xq = feat.sparse(cq, len(te))
    dq = _dense(svd, feat, cq, Xq, len(te)) if svd is not None else None
    if choice == "gbr" and dt is None:
        return None
    return np.abs(_predict(choice, Xt, y[tr], Xq, dt, dq) - y[te]), _neighbour_stats(Xt, y[tr], Xq)


# the subject columns the learned model reads (absent ones count as unknown)
_LEARNED_INPUTS = ("title", "description", "platform", "provider", "category", "update_frequency",
                   "records", "fields", "size_bytes")


def learned_columns(source: Mapping[str, Any], rights: np.ndarray, mode: np.ndarray,
                    want: np.ndarray, model_of: Any) -> dict[str, np.ndarray]:
    """Estimate and conformal range of the per-mode learned model for the subjects in ``want``,
    one (rights type × price mode) group at a time (``model_of(rights, mode)`` → the group's
    :class:`LearnedModel` or None); NaN elsewhere. Also ``model`` (the chosen candidate) and
    ``n`` (the cases behind its calibration)."""
    n = len(want)
    out = {"estimate": np.full(n, np.nan), "low": np.full(n, np.nan), "high": np.full(n, np.nan),
           "model": np.full(n, "", dtype=object), "n": np.zeros(n, np.int64)}
    if not want.any():
        return out
    cols = {c: np.asarray(source[c], dtype=object) for c in _LEARNED_INPUTS if c in source}
    for key in dict.fromkeys(zip(rights[want].tolist(), mode[want].tolist())):
        model = model_of(*key)
        if model is None:
            continue
        idx = np.flatnonzero(want & (rights == key[0]) & (mode == key[1]))
        got = model.predict({c: v[idx] for c, v in cols.items()}, len(idx))
        for c in ("estimate", "low", "high"):
            out[c][idx] = got[c]
        out["model"][idx] = model.choice
        out["n"][idx] = model.n
    return out
