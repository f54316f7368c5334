"""Comparable selection from the case library (中评协〔2023〕17号 art. 23(2); docs/DOMAIN.md §4.4).

1. Hard filters: same rights type, same price mode and same price unit, price > 0 — prices in
   different units are never mixed (:func:`same_unit`, on the case table's arrays).
2. Nearest neighbours on standardised features (:class:`.features.Encoder`, ``kind="knn"``):
   one scikit-learn ``NearestNeighbors`` per (rights type, price mode) group, the k of each
   subject (``market.k``) capped by the number of candidates.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from ...library.cases import PRICED_MODES, price_unit_of
from ...library.cases.table import CaseTable
from .features import Encoder, keyword_columns, raw_feature_arrays, take_rows

__all__ = ["same_unit", "select_columns"]

_KNN_EXCLUDE = ("rights_type",)  # hard-filtered already
# Below this many subject × candidate distances the query runs on one OpenMP thread: for a
# single appraisal (a few subjects, or the few hundred replicated rows of its Monte Carlo
# range and tornado, against ~10^3 cases) scikit-learn's threaded reduction costs far more in
# thread start-up and spin-waiting on a busy 2-core machine than the query alone. Same
# neighbours and distances either way (checked on the example cards).
_SINGLE_THREAD_BELOW = 2_000_000
_CONTROLLER: list[Any] = []


def _kneighbors(nn: Any, Xs: np.ndarray, n_candidates: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    if len(Xs) * n_candidates >= _SINGLE_THREAD_BELOW:
        return nn.kneighbors(Xs, n_neighbors=k)
    if not _CONTROLLER:
        from threadpoolctl import ThreadpoolController

        _CONTROLLER.append(ThreadpoolController())  # after scikit-learn loaded its OpenMP
    with _CONTROLLER[0].limit(limits=1, user_api="openmp"):
        return nn.kneighbors(Xs, n_neighbors=k)


def same_unit(cases: CaseTable, price_mode: str, rights_type: str) -> np.ndarray:
    """Cases comparable in price with a subject of ``price_mode`` and ``rights_type``: same
    rights type, same mode, the unit of that mode, a positive finite price (free and
    negotiated never match; :func:`valuation.library.cases.same_unit_mask` on arrays)."""
    if price_mode not in PRICED_MODES:
        return np.zeros(len(cases), dtype=bool)
    p = cases["price"]
    return (cases["price_mode"] == price_mode) & (cases["price_unit"] == price_unit_of(price_mode)) & \
        np.isfinite(p) & (p > 0) & (cases["rights_type"] == rights_type)


def _groups(pos: np.ndarray, rights: np.ndarray, modes: np.ndarray) -> dict[tuple[Any, Any], np.ndarray]:
    """Positions by (rights type, price mode), groups in order of first appearance, missing
    keys left out: ``groupby(["rights_type", "price_mode"], sort=False)`` without a frame."""
    # missing: None or NaN (x == x is False only for NaN); the keys in order of first
    # appearance by dict.fromkeys (a C loop), each group's positions by one comparison
    ok = np.not_equal(rights, None) & np.not_equal(modes, None) & np.equal(rights, rights) & np.equal(modes, modes)
    out: dict[tuple[Any, Any], np.ndarray] = {}
    for r, m in dict.fromkeys(zip(rights[ok].tolist(), modes[ok].tolist())):
        out[(r, m)] = np.asarray(pos, dtype=np.int64)[ok & np.equal(rights, r) & np.equal(modes, m)]
    return out


def select_columns(subjects: Mapping[str, np.ndarray], n: int, fit: Any, params: Mapping[str, Any], *,
                   features: Mapping[str, np.ndarray] | None = None) -> dict[str, np.ndarray] | None:
    """``subject`` (row position among the ``n`` subjects), ``case_row`` (row of the prepared
    library ``fit``'s case table), ``distance`` and ``rank`` of the nearest neighbours of the
    subjects with ``source == "library"`` (None when nothing is selected).

    ``subjects``: the subjects' columns (``source``, ``rights_type``, ``price_mode``, ``k`` and
    the feature columns); ``features``: their raw features
    (:func:`.features.raw_feature_arrays` of ``hedonic_categorical`` and the title keywords, a
    superset of the selection's columns), when already computed. What depends on the cases
    only — per (rights type, price mode) the candidates, the fitted encoder, the encoded
    candidates and the neighbour index — is kept in ``fit.select_cache``: computed once."""
    from sklearn.neighbors import NearestNeighbors

    kws = list(params.get("title_keywords") or [])
    cat = [c for c in params["hedonic_categorical"] if c not in _KNN_EXCLUDE]
    num = list(params["hedonic_numeric"])
    w = dict(params.get("feature_weights") or {})
    lib = np.asarray(subjects["source"] == "library", dtype=bool)
    out = []
    if not lib.any() or fit is None or not len(fit):
        return None
    Fs_all = features if features is not None else raw_feature_arrays(subjects, cat, kws)
    pkey = repr((cat, num, kws, sorted(w.items())))
    Fc_all = fit.features(cat, kws)
    cache = fit.select_cache
    lib_pos = np.flatnonzero(lib)
    groups = _groups(lib_pos, np.asarray(subjects["rights_type"], dtype=object)[lib],
                     np.asarray(subjects["price_mode"], dtype=object)[lib])
    k_all = np.asarray(subjects["k"], dtype=float)
    for (rights, mode), pos in groups.items():
        gkey = ("group", pkey, rights, mode)
        got = cache.get(gkey)
        if got is None:
            cand = np.flatnonzero(same_unit(fit.table, str(mode), str(rights)))
            enc = nn = None
            if len(cand):
                Fc = take_rows(Fc_all, cand)
                enc = Encoder(cat, num, keyword_columns(kws), 1, "knn", w).fit(Fc)
                Xc = enc.transform(Fc)
                if Xc.shape[1] == 0:
                    Xc = np.zeros((len(cand), 1))
                nn = NearestNeighbors().fit(Xc)   # n_neighbors is given per query below
            got = cache[gkey] = (cand, enc, nn)
        cand, enc, nn = got
        if not len(cand):
            continue
        Xs = enc.transform(take_rows(Fs_all, pos))
        k_i = np.minimum(k_all[pos].astype(int), len(cand))
        kmax = int(k_i.max())
        if Xs.shape[1] == 0:
            Xs = np.zeros((len(pos), 1))
        dist, ind = _kneighbors(nn, Xs, len(cand), kmax)
        rank = np.tile(np.arange(kmax), len(pos))
        keep = rank < np.repeat(k_i, kmax)
        out.append({"subject": np.repeat(pos, kmax)[keep], "case_row": cand[ind.ravel()][keep],
                    "distance": dist.ravel()[keep], "rank": rank[keep]})
    if not out:
        return None
    return {c: np.concatenate([o[c] for o in out]) for c in ("subject", "case_row", "distance", "rank")}
