"""Comparable selection from the case library (中评协〔2023〕17号 art. 23(2); docs/DOMAIN.md §4.4).

1. Hard filters: same rights type, same price mode and same price unit, price > 0 — prices in
   different units are never mixed (:func:`valuation.library.cases.same_unit_mask`).
2. Nearest neighbours on standardised features (:class:`.features.Encoder`, ``kind="knn"``):
   one scikit-learn ``NearestNeighbors`` per (rights type, price mode) group, the k of each
   subject (``market.k``) capped by the number of candidates.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ...library.cases import price_unit_of, same_unit_mask
from .features import Encoder, keyword_columns, raw_feature_arrays, raw_features, take_rows

__all__ = ["select_columns", "select_library"]

_KNN_EXCLUDE = ("rights_type",)  # hard-filtered already
# Below this many subject × candidate distances the query runs on one OpenMP thread: for a
# single appraisal (a few subjects, or the few hundred replicated rows of its Monte Carlo
# range and tornado, against ~10^3 cases) scikit-learn's threaded reduction costs ~100 ms of
# thread start-up and spin-waiting on a busy 2-core machine against 1–5 ms alone. Same
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


def select_library(subjects: pd.DataFrame, cases: pd.DataFrame, params: Mapping[str, Any], *,
                   cache: dict[Any, Any] | None = None) -> pd.DataFrame:
    """Long frame ``subject`` (row position in ``subjects``), ``case_row`` (row in ``cases``),
    ``distance``, ``rank`` for the subjects with ``source == "library"``.

    ``subjects`` needs ``rights_type``, ``price_mode``, ``k`` and the feature columns;
    ``cases`` is a case frame (:func:`valuation.library.cases.cases_frame`).

    ``cache`` (a dict owned by the caller, one per ``cases`` frame — e.g. the
    :class:`~.approach.LibraryFit`'s) keeps what depends on the cases only: their raw
    features and, per (rights type, price mode), the candidates, the fitted encoder, the
    encoded candidates and the fitted neighbour index. The same numbers, computed once."""
    got = select_columns(subjects, len(subjects), cases, params, cache=cache)
    if got is None:
        return pd.DataFrame({"subject": [], "case_row": [], "distance": [], "rank": []})
    return pd.DataFrame(got)


def _groups(pos: np.ndarray, rights: np.ndarray, modes: np.ndarray) -> dict[tuple[Any, Any], np.ndarray]:
    """Positions by (rights type, price mode), groups in order of first appearance, missing
    keys left out: ``groupby(["rights_type", "price_mode"], sort=False)`` without a frame."""
    out: dict[tuple[Any, Any], list[int]] = {}
    for p, r, m in zip(pos.tolist(), rights.tolist(), modes.tolist()):
        if pd.isna(r) or pd.isna(m):
            continue
        out.setdefault((r, m), []).append(p)
    return {k: np.array(v, dtype=np.int64) for k, v in out.items()}


def _values(col: Any, dtype: Any) -> np.ndarray:
    return col.to_numpy(dtype) if isinstance(col, pd.Series) else np.asarray(col, dtype=dtype)


def select_columns(subjects: pd.DataFrame | Mapping[str, np.ndarray], n: int, cases: pd.DataFrame,
                   params: Mapping[str, Any], *, cache: dict[Any, Any] | None = None,
                   features: Mapping[str, np.ndarray] | None = None) -> dict[str, np.ndarray] | None:
    """:func:`select_library` as arrays (None when nothing is selected), from a frame of the
    ``n`` subjects or a mapping of their columns. ``features``: the subjects' raw features
    (:func:`.features.raw_feature_arrays` of ``hedonic_categorical`` and the title keywords,
    a superset of the selection's columns), when already computed."""
    from sklearn.neighbors import NearestNeighbors

    kws = list(params.get("title_keywords") or [])
    cat = [c for c in params["hedonic_categorical"] if c not in _KNN_EXCLUDE]
    num = list(params["hedonic_numeric"])
    w = dict(params.get("feature_weights") or {})
    lib = np.asarray(_values(subjects["source"], object) == "library", dtype=bool)
    out = []
    if not lib.any() or cases is None or not len(cases):
        return None
    Fs_all = features if features is not None else raw_feature_arrays(subjects, cat, kws)
    pkey = repr((cat, num, kws, sorted(w.items())))
    Fc_all = cache.get(("raw", pkey)) if cache is not None else None
    if Fc_all is None:
        Fc_all = raw_features(cases, cat, kws)
        if cache is not None:
            cache[("raw", pkey)] = Fc_all
    lib_pos = np.flatnonzero(lib)
    groups = _groups(lib_pos, _values(subjects["rights_type"], object)[lib],
                     _values(subjects["price_mode"], object)[lib])
    k_all = _values(subjects["k"], float)
    for (rights, mode), pos in groups.items():
        gkey = ("group", pkey, rights, mode)
        got = cache.get(gkey) if cache is not None else None
        if got is None:
            cand = np.flatnonzero(same_unit_mask(cases, str(mode), price_unit_of(mode), str(rights)))
            enc = nn = None
            if len(cand):
                enc = Encoder(cat, num, keyword_columns(kws), 1, "knn", w).fit(Fc_all.iloc[cand])
                Xc = enc.transform(Fc_all.iloc[cand])
                if Xc.shape[1] == 0:
                    Xc = np.zeros((len(cand), 1))
                nn = NearestNeighbors().fit(Xc)   # n_neighbors is given per query below
            got = (cand, enc, nn)
            if cache is not None:
                cache[gkey] = got
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
