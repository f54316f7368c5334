"""Subject × comparable pairs: from the card's comparables (same price mode and rights type,
others left out) or from the case library (k nearest neighbours of :mod:`.select`), with the
yearly price trend and capacity elasticity (CAS 2023 art. 23, annex; docs/DOMAIN.md §4).
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from ..base import nan_to_num, text_where
from .fit import LibraryFit
from .grid import coded_level, level_of
from .inputs import EnumCodes, _Subjects
from .select import select_columns

__all__: list[str] = []


# --------------------------------------------------------------------------- pairs
# the columns of a pair (subject × comparable), in the order of the pairs frame
_PAIR_COLUMNS = ("subject", "case_id", "price", "q_s", "q_c", "sd_s", "sd_c", "i_s", "i_c", "n_s", "n_c", "beta",
                 "ex_s", "ex_c", "ev_s", "ev_c", "distance", "evidence",
                 "x1_given", "x2_given", "x3_given", "x4_given", "x5_given")


def _given(text: np.ndarray) -> np.ndarray:
    """Which values of a text array are given (not None)."""
    return np.not_equal(text, None)


def _case_ids(cid: np.ndarray) -> np.ndarray:
    """The comparables' case ids, ``#k`` (k: the pair's position from 1) where none is given."""
    out = np.array(cid, dtype=object)
    miss = np.flatnonzero(np.equal(out, None))
    if len(miss):
        out[miss] = [f"#{i + 1}" for i in miss.tolist()]      # (only the unnamed ones)
    return out


def by_mode(mode: np.ndarray, value_of: Any) -> np.ndarray:
    """``value_of(m)`` (a float) of each price mode ``m`` of ``mode``: one call per distinct
    mode (``dict.fromkeys`` of the list: a C loop), spread by one comparison each."""
    out = np.full(len(mode), np.nan)
    for m in dict.fromkeys(mode.tolist()):
        out[np.equal(mode, m)] = float(value_of(m))
    return out


def subject_levels(subjects: _Subjects, codes: EnumCodes | None, p: Mapping[str, Any]
                   ) -> tuple[np.ndarray, np.ndarray]:
    """The X5 levels of every subject: exclusivity and evidence type (annex; the tables
    ``x5_exclusivity``, ``x5_evidence_type``) — by code when the subjects come with their
    :class:`EnumCodes` (their evidence type is then the one parameter label)."""
    if codes is None:
        return (level_of(subjects["exclusivity"], p["x5_exclusivity"]),
                level_of(subjects["evidence_type"], p["x5_evidence_type"]))
    ev = level_of(np.array([codes.subject_evidence], dtype=object), p["x5_evidence_type"])[0]
    return (coded_level(codes.labels["exclusivity"], codes.subjects["exclusivity"], p["x5_exclusivity"]),
            np.full(len(subjects), ev))


def _left_out(subjects: _Subjects, comps: Mapping[str, np.ndarray], codes: EnumCodes | None,
              rows: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(bad price mode, bad rights type) of the comparables ``rows`` of subjects ``s``: a
    given value other than the subject's (art. 23: same price mode and rights type). By code
    when the :class:`EnumCodes` are given (−1 missing), else by label (None missing)."""
    if codes is not None and codes.comparables is not None:
        cm, sm = codes.comparables["price_mode"][rows], codes.subjects["price_mode"][s]
        cr, sr = codes.comparables["rights_type"][rows], codes.subjects["rights_type"][s]
        return (cm >= 0) & (cm != sm), (cr >= 0) & (sr >= 0) & (cr != sr)
    cm, sm = comps["price_mode"][rows], subjects["price_mode"][s]
    cr, sr = comps["rights_type"][rows], subjects["rights_type"][s]
    return _given(cm) & (cm != sm), _given(cr) & _given(sr) & (cr != sr)


def _explicit_pairs(subjects: _Subjects, comps: Mapping[str, np.ndarray], beta_explicit: np.ndarray,
                    p: Mapping[str, Any], lev_s: tuple[np.ndarray, np.ndarray], codes: EnumCodes | None = None
                    ) -> tuple[dict[str, np.ndarray], int, Any]:
    """Pairs from the card's comparables (``comps``: item columns and ``subject``, the row
    position of each comparable's asset; text None when missing): (pair columns with their X5
    levels — ``lev_s``: the subjects' (:func:`subject_levels`) —, number left out, a function
    giving those left out — their columns with ``subject`` and ``why``)."""
    rows = np.flatnonzero((subjects["source"] == "explicit")[comps["subject"]])   # (per subject, then gathered)
    s = comps["subject"][rows]
    bad_mode, bad_rights = _left_out(subjects, comps, codes, rows, s)
    bad = bad_mode | bad_rights
    bad_rows, bad_s, why = rows[bad], s[bad], text_where(bad_mode[bad], "price_mode", "rights_type")

    def excluded() -> dict[str, np.ndarray]:
        return {**{k: v[bad_rows] for k, v in comps.items()}, "subject": bad_s, "why": why}

    rows, s = rows[~bad], s[~bad]
    n = len(rows)
    # every comparable kept (the usual case): its columns as they are, not copied (read only)
    col = (lambda k: comps[k]) if n == len(comps["subject"]) else (lambda k: comps[k][rows])
    cid = _case_ids(col("case_id"))
    ev_c = col("evidence_type")
    num = {k: col(k) for k in ("price", "quality", "supply_demand", "date_index", "records", "x1", "x2", "x3", "x4", "x5")}
    pairs = {
        "subject": s, "case_id": cid, "price": num["price"],
        "q_s": subjects["quality"][s], "q_c": num["quality"],
        "sd_s": subjects["supply_demand"][s], "sd_c": nan_to_num(num["supply_demand"]),
        "i_s": subjects["date_index"][s], "i_c": num["date_index"],
        "n_s": subjects["records"][s], "n_c": num["records"],
        "beta": beta_explicit[s],
        "ex_s": subjects["exclusivity"][s], "ex_c": col("exclusivity"),
        "ev_s": subjects["evidence_type"][s], "ev_c": ev_c,
        "distance": np.full(n, np.nan), "evidence": ev_c.copy(),
        **{f"{k}_given": num[k] for k in ("x1", "x2", "x3", "x4", "x5")},
        "level_ex_s": lev_s[0][s], "level_ev_s": lev_s[1][s],
    }
    if codes is not None and codes.comparables is not None:
        cc = codes.comparables
        pairs["level_ex_c"] = coded_level(codes.labels["exclusivity"], cc["exclusivity"][rows], p["x5_exclusivity"])
        pairs["level_ev_c"] = coded_level(codes.labels["evidence_type"], cc["evidence_type"][rows],
                                          p["x5_evidence_type"])
    else:
        pairs["level_ex_c"] = level_of(pairs["ex_c"], p["x5_exclusivity"])
        pairs["level_ev_c"] = level_of(ev_c, p["x5_evidence_type"])
    return pairs, int(bad.sum()), excluded


def _year_offsets(subject_days: np.ndarray, s: np.ndarray, fit: LibraryFit, r: np.ndarray) -> np.ndarray:
    """Years from each subject's date to its case's date, ``(case − subject) in days / 365.25``
    (NaN where either date is missing), from ``datetime64[D]`` days."""
    d = fit.table["date"][r] - np.asarray(subject_days, dtype="datetime64[D]")[s]
    nat = np.isnat(d)
    out = np.where(nat, 0, d.astype(np.int64)) / 365.25
    out[nat] = np.nan
    return out


def _library_pairs(subjects: _Subjects, fit: LibraryFit, params: Mapping[str, Any],
                   features: Mapping[str, np.ndarray], lev_s: tuple[np.ndarray, np.ndarray]
                   ) -> dict[str, np.ndarray] | None:
    """Pairs from the case library (k nearest neighbours) with their X5 levels (``lev_s``: the
    subjects'; a case's looked up once per case of the library, then taken per pair)."""
    sel = select_columns(subjects.cols, len(subjects), fit, params, features=features)
    if sel is None:
        return None
    s = sel["subject"]
    r = sel["case_row"]
    mode = subjects["price_mode"][s]
    g = by_mode(mode, fit.year_growth)              # (per distinct mode)
    beta = by_mode(mode, fit.elasticity) if params["capacity_library"] == "elasticity" else np.full(len(s), np.nan)
    dy = _year_offsets(subjects["date"], s, fit, r)
    m = len(s)
    t = fit.table
    ev_c = t["evidence_type"][r]
    return {
        "subject": s, "case_id": t["case_id"][r], "price": t["price"][r],
        "q_s": subjects["quality"][s], "q_c": t["quality"][r],
        "sd_s": subjects["supply_demand"][s], "sd_c": np.zeros(m),
        "i_s": np.full(m, 100.0), "i_c": 100.0 * np.power(1.0 + g, dy),
        "n_s": subjects["records"][s], "n_c": t["records"][r],
        "beta": beta,
        "ex_s": subjects["exclusivity"][s], "ex_c": t["exclusivity"][r],
        "ev_s": subjects["evidence_type"][s], "ev_c": ev_c,
        "distance": sel["distance"], "evidence": ev_c.copy(),
        **{f"{k}_given": np.full(m, np.nan) for k in ("x1", "x2", "x3", "x4", "x5")},
        "level_ex_s": lev_s[0][s], "level_ev_s": lev_s[1][s],
        "level_ex_c": level_of(np.asarray(t["exclusivity"], dtype=object), params["x5_exclusivity"])[r],
        "level_ev_c": level_of(np.asarray(t["evidence_type"], dtype=object), params["x5_evidence_type"])[r],
    }


