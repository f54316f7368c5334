"""Comparable selection from the case library (中评协〔2023〕17号 art. 23(2); DOMAIN.md §4.4).

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
from .features import Encoder, keyword_columns, raw_features

__all__ = ["select_library"]

_KNN_EXCLUDE = ("rights_type",)  # hard-filtered already


def select_library(subjects: pd.DataFrame, cases: pd.DataFrame, params: Mapping[str, Any]) -> pd.DataFrame:
    """Long frame ``subject`` (row position in ``subjects``), ``case_row`` (row in ``cases``),
    ``distance``, ``rank`` for the subjects with ``source == "library"``.

    ``subjects`` needs ``rights_type``, ``price_mode``, ``k`` and the feature columns;
    ``cases`` is a case frame (:func:`valuation.library.cases.cases_frame`)."""
    from sklearn.neighbors import NearestNeighbors

    kws = list(params.get("title_keywords") or [])
    cat = [c for c in params["hedonic_categorical"] if c not in _KNN_EXCLUDE]
    num = list(params["hedonic_numeric"])
    w = dict(params.get("feature_weights") or {})
    lib = (subjects["source"] == "library").to_numpy(bool)
    out = []
    if not lib.any() or cases is None or not len(cases):
        return pd.DataFrame({"subject": [], "case_row": [], "distance": [], "rank": []})
    Fs_all = raw_features(subjects, cat, kws)
    Fc_all = raw_features(cases, cat, kws)
    keys = pd.DataFrame({"pos": np.flatnonzero(lib),
                         "rights_type": subjects["rights_type"].to_numpy(object)[lib],
                         "price_mode": subjects["price_mode"].to_numpy(object)[lib]})
    for (rights, mode), grp in keys.groupby(["rights_type", "price_mode"], sort=False):
        cand = np.flatnonzero(same_unit_mask(cases, str(mode), price_unit_of(mode), str(rights)))
        if not len(cand):
            continue
        pos = grp["pos"].to_numpy(int)
        Fc = Fc_all.iloc[cand]
        enc = Encoder(cat, num, keyword_columns(kws), 1, "knn", w).fit(Fc)
        Xc = enc.transform(Fc)
        Xs = enc.transform(Fs_all.iloc[pos])
        k_i = np.minimum(subjects["k"].to_numpy(float)[pos].astype(int), len(cand))
        kmax = int(k_i.max())
        if Xc.shape[1] == 0:
            Xc = np.zeros((len(cand), 1))
            Xs = np.zeros((len(pos), 1))
        nn = NearestNeighbors(n_neighbors=kmax).fit(Xc)
        dist, ind = nn.kneighbors(Xs)
        rank = np.tile(np.arange(kmax), len(pos))
        keep = rank < np.repeat(k_i, kmax)
        out.append(pd.DataFrame({"subject": np.repeat(pos, kmax)[keep],
                                 "case_row": cand[ind.ravel()][keep],
                                 "distance": dist.ravel()[keep], "rank": rank[keep]}))
    if not out:
        return pd.DataFrame({"subject": [], "case_row": [], "distance": [], "rank": []})
    return pd.concat(out, ignore_index=True)
