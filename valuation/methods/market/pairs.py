"""Subject × comparable pairs: from the card's comparables (same price mode and rights type,
others left out) or from the case library (k nearest neighbours of :mod:`.select`), with the
yearly price trend and capacity elasticity (CAS 2023 art. 23, annex; docs/DOMAIN.md §4).
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ..base import nan_to_num
from .features import iso_days
from .fit import LibraryFit
from .inputs import _asset_ids, _num, _str, _Subjects
from .select import select_columns

__all__: list[str] = []


# --------------------------------------------------------------------------- pairs
# the columns of a pair (subject × comparable), in the order of the pairs frame
_PAIR_COLUMNS = ("subject", "case_id", "price", "q_s", "q_c", "sd_s", "sd_c", "i_s", "i_c", "n_s", "n_c", "beta",
                 "ex_s", "ex_c", "ev_s", "ev_c", "distance", "evidence",
                 "x1_given", "x2_given", "x3_given", "x4_given", "x5_given")


def _explicit_pairs(subjects: _Subjects, comps: pd.DataFrame, beta_explicit: np.ndarray
                    ) -> tuple[dict[str, np.ndarray], int, Any]:
    """Pairs from the card's comparables: (pair columns, number left out, a function giving
    the frame of those left out — comparables rows with ``subject`` and ``why``)."""
    ids = [str(x) for x in subjects.index.tolist()]
    pos_of = {x: i for i, x in enumerate(ids)}
    if len(pos_of) != len(ids):     # duplicate ids: pandas' reindex refuses them, with its message
        pd.Series(np.arange(len(ids)), index=ids).reindex(comps["asset_id"].astype(str))
    keys = _asset_ids(comps)
    pos = np.array([pos_of.get(x, -1) if x is not None else -1 for x in keys], dtype=np.int64)
    src = subjects["source"]
    rows = np.flatnonzero(pos >= 0)
    rows = rows[src[pos[rows]] == "explicit"]
    s = pos[rows]
    cm = _str(comps, "price_mode")[rows]
    cr = _str(comps, "rights_type")[rows]
    sm = subjects["price_mode"][s]
    sr = subjects["rights_type"][s]
    bad_mode = ~pd.isna(cm) & (cm != sm)
    bad_rights = ~pd.isna(cr) & ~pd.isna(sr) & (cr != sr)
    bad = bad_mode | bad_rights
    bad_rows, bad_s, why = rows[bad], s[bad], np.where(bad_mode, "price_mode", "rights_type")[bad]

    def excluded() -> pd.DataFrame:
        return comps.iloc[bad_rows].assign(subject=bad_s, why=why)

    rows, s = rows[~bad], s[~bad]
    n = len(rows)
    cid = _str(comps, "case_id")[rows]
    cid = np.where(pd.isna(cid), [f"#{i + 1}" for i in range(n)], cid).astype(object)
    ev_c = _str(comps, "evidence_type")[rows]
    num = {k: _num(comps, k)[rows] for k in ("price", "quality", "supply_demand", "date_index", "records",
                                               "x1", "x2", "x3", "x4", "x5")}
    pairs = {
        "subject": s, "case_id": cid, "price": num["price"],
        "q_s": subjects["quality"][s], "q_c": num["quality"],
        "sd_s": subjects["supply_demand"][s], "sd_c": nan_to_num(num["supply_demand"]),
        "i_s": subjects["date_index"][s], "i_c": num["date_index"],
        "n_s": subjects["records"][s], "n_c": num["records"],
        "beta": beta_explicit[s],
        "ex_s": subjects["exclusivity"][s], "ex_c": _str(comps, "exclusivity")[rows],
        "ev_s": subjects["evidence_type"][s], "ev_c": ev_c,
        "distance": np.full(n, np.nan), "evidence": ev_c.copy(),
        **{f"{k}_given": num[k] for k in ("x1", "x2", "x3", "x4", "x5")},
    }
    return pairs, int(bad.sum()), excluded


def _to_datetime(v: pd.Series) -> pd.Series:
    """``pd.to_datetime(v, errors="coerce")``, parsed once per distinct text when every value
    is text (pairs repeat a subject's date k times and the same cases across draws); the
    distinct values keep their first-seen order, so the inferred format is the same."""
    vals = v.to_numpy(object).tolist() if len(v) <= 4096 else None
    if not vals or not all(type(x) is str for x in vals):
        return pd.to_datetime(v, errors="coerce")
    uniq = list(dict.fromkeys(vals))
    if len(uniq) == len(vals):
        return pd.to_datetime(v, errors="coerce")
    parsed = pd.to_datetime(pd.Series(uniq, dtype=v.dtype), errors="coerce")
    pos = {x: i for i, x in enumerate(uniq)}
    return parsed.iloc[[pos[x] for x in vals]].set_axis(v.index).rename(v.name)


def _year_offsets(subject_dates: np.ndarray, s: np.ndarray, fit: LibraryFit, r: np.ndarray) -> np.ndarray:
    """Years from each subject's date to its case's date, ``(case − subject).days / 365.25``
    of pandas' parse of the pairs' dates — from the library's parsed days when every date
    involved is a valid ``YYYY-MM-DD`` (then that parse is day for day the same)."""
    sd = iso_days(subject_dates.tolist()) if fit.case_days is not None else None
    if sd is not None:
        return (fit.case_days[r] - sd[s]).astype(np.int64) / 365.25
    ys = _to_datetime(pd.Series(subject_dates[s]))
    yc = _to_datetime(fit.cases["date"].iloc[r].reset_index(drop=True))
    return ((yc - ys).dt.days / 365.25).to_numpy(float)


def _library_pairs(subjects: _Subjects, fit: LibraryFit, params: Mapping[str, Any],
                   features: Mapping[str, np.ndarray]) -> dict[str, np.ndarray] | None:
    sel = select_columns(subjects.cols, len(subjects), fit.cases, params, cache=fit.select_cache,
                         features=features)
    if sel is None:
        return None
    s = sel["subject"]
    r = sel["case_row"]
    mode = subjects["price_mode"][s]
    # per distinct mode (pandas' Series(dict).reindex(mode) with a dict)
    growth = {m: fit.year_growth(m) for m in dict.fromkeys(mode.tolist())}
    g = np.array([growth[m] for m in mode.tolist()], dtype=float)
    cap = params["capacity_library"]
    if cap == "elasticity":
        el = {m: fit.elasticity(m) for m in growth}
        beta = np.array([el[m] for m in mode.tolist()], dtype=float)
    else:
        beta = np.full(len(s), np.nan)
    dy = _year_offsets(subjects["date"], s, fit, r)
    m = len(s)
    ev_c = fit.column("evidence_type", object)[r]
    return {
        "subject": s, "case_id": fit.column("case_id", object)[r], "price": fit.column("price", float)[r],
        "q_s": subjects["quality"][s], "q_c": fit.column("quality", float)[r],
        "sd_s": subjects["supply_demand"][s], "sd_c": np.zeros(m),
        "i_s": np.full(m, 100.0), "i_c": 100.0 * np.power(1.0 + g, dy),
        "n_s": subjects["records"][s], "n_c": fit.column("records", float)[r],
        "beta": beta,
        "ex_s": subjects["exclusivity"][s], "ex_c": fit.column("exclusivity", object)[r],
        "ev_s": subjects["evidence_type"][s], "ev_c": ev_c,
        "distance": sel["distance"], "evidence": ev_c.copy(),
        **{f"{k}_given": np.full(m, np.nan) for k in ("x1", "x2", "x3", "x4", "x5")},
    }


