"""Mondrian split-conformal calibration of the learned market model's ranges (issue 16).

The range of a subject is ``P̂ · exp(∓ max(q · σ, MIN_HALF))`` with the difficulty

    σ = a + b · sd(ln P of the k nearest cases) + c · their mean cosine distance

(a *form* (a, b, c, k) of :data:`SIGMA_FORMS`) and q the plain split-conformal quantile of the
scores s_i = |r_i| / σ_i of calibration cases (:func:`conformal_q`). Calibration is Mondrian
per seen level (the subject's family in the library / only its provider / neither) and per
exchange (``valuation/methods/market/learned.py`` computes the residuals of each level).

**The form and q never come from the same cases.** Choosing the form as the narrowest on the
cases whose scores then set q is a selection on the calibration draw: the chosen form is the
one whose ⌈(n + 1)·c⌉-th score happened to fall low, so out of sample it under-covers. Here a
level's calibration cases are cut by listing family (a stable hash, so siblings stay together
and the cut does not depend on row order) into a *choice* half, on which the narrowest form is
chosen, and a *quantile* half, whose scores alone set q (pooled and per exchange). The quantile
half never influenced the form, so its scores and a new subject's are exchangeable and the
finite-sample guarantee P(covered) ≥ c holds (Vovk et al. 2005; Angelopoulos & Bates 2023,
§1–2; the same cross-fitting argument as for tuning a score on a held-apart split). A level
with too few cases to cut (< 2 · MONDRIAN_MIN) takes a fixed constant σ (no choice, so no
selection): q · σ is then the rank statistic of |r| itself.

The cut is by family, not by seller: a seller's other families can fall in both halves, a
milder leak than the one removed. A cut by seller (provider, else family) was measured on
the DaDaDa family split and not kept: per-call coverage 0.731 (0.597–0.789 over 5 seeds, every
seed below 0.80) against 0.787 by family — Beijing's per-call cases come from 16–19 sellers,
so a half holds about nine and q varies with which nine (README, back-test section).
"""
from __future__ import annotations

import math
import zlib

import numpy as np

__all__ = ["CAL_FOLDS", "LEVEL0_FORMS", "MIN_HALF", "MONDRIAN_MIN", "SIGMA_FORMS", "Form",
           "calibrate", "choice_half", "conformal_q", "sigma_of"]

Form = tuple[float, float, float, int]

#: forms of the difficulty σ = a + b · sd(ln P of the k nearest) + c · mean distance; the
#: form with the narrowest median range at the target coverage on the choice half is kept
SIGMA_FORMS = tuple((a, b, c, k) for k in (3, 5, 10) for a in (0.05, 0.2, 0.5) for b in (0.0, 0.5, 1.0)
                    for c in (0.0, 1.0, 3.0) if b or c or a == 0.5)
#: the σ form of seen level 0 (a listing of the subject's family in the library): constant.
#: Level 0 is calibrated with the row left out, so a case's k nearest hold one sibling fewer
#: than a subject's: a σ from the neighbours' spread would be larger in calibration than at
#: prediction (a sibling's price in place of a stranger's), and the range would under-cover
#: (measured: 43 % instead of 80 % on synthetic series, ``tests/market/test_conformal_mondrian``).
#: Also the fixed form of a level too small to cut into a choice and a quantile half.
LEVEL0_FORMS = tuple(f for f in SIGMA_FORMS if f[1] == f[2] == 0)[:1]
#: the smallest half-width of a range in ln P (±5 %): list prices stack on round numbers, so a
#: neighbour's price is often hit exactly and a zero-width range would be spurious precision
MIN_HALF = 0.05
#: cases of an exchange needed for its own conformal quantile (else the pooled one)
MONDRIAN_MIN = 8
#: GroupKFold folds of the family- / provider-left-out calibration residuals (5: each fold is
#: a fit, so the folds set a library fit's CPU; 10 folds measured no better on DaDaDa)
CAL_FOLDS = 5

Level = tuple[np.ndarray, dict[int, np.ndarray], np.ndarray]


def sigma_of(stats: dict[int, np.ndarray], form: Form) -> np.ndarray:
    """σ of every row of ``stats`` (:func:`learned._neighbour_stats`) under ``form``."""
    a, b, c, k = form
    st = stats[k]
    return a + b * st[:, 0] + c * st[:, 1]


def conformal_q(abs_r: np.ndarray, sig: np.ndarray, coverage: float) -> float:
    """The plain split-conformal quantile: the ⌈(n + 1)·c⌉-th smallest score s = |r| / σ
    (Vovk et al.; Angelopoulos & Bates 2023, eq. 1), no further inflation. Ties (list-price
    stacks: many |r| = 0) are kept as they are: with more than c of the scores 0, q = 0 and the
    range is the ±MIN_HALF floor. When ⌈(n + 1)·c⌉ > n (n < 4 at c = 0.8) the conformal set is
    unbounded; the largest score stands for it."""
    s = np.sort(abs_r / sig)
    n = len(s)
    # −1e-9: (n + 1)·c is often an integer that floating point puts a hair above (15·0.8)
    k = math.ceil((n + 1) * coverage - 1e-9)
    return float(s[min(max(k, 1), n) - 1])


def choice_half(groups: np.ndarray) -> np.ndarray:
    """True = the row's group (listing family) belongs to the half that chooses the σ form:
    CRC-32 of the group key is even — stable across runs and row orders, siblings together."""
    return np.array([zlib.crc32(str(g).encode("utf-8")) % 2 == 0 for g in groups.tolist()], dtype=bool)


def _narrowest(r: np.ndarray, st: dict[int, np.ndarray], m: np.ndarray, coverage: float) -> Form:
    """The form whose conformal half-width on the cases ``m`` has the smallest median (the
    first of :data:`SIGMA_FORMS` among equals)."""
    best: tuple[float, Form] | None = None
    for form in SIGMA_FORMS:
        sig = sigma_of(st, form)[m]
        width = float(np.median(np.maximum(conformal_q(r[m], sig, coverage) * sig, MIN_HALF)))
        if best is None or width < best[0] - 1e-12:
            best = (width, form)
    assert best is not None
    return best[1]


def calibrate(levels: list[Level], plat: np.ndarray, coverage: float, groups: np.ndarray | None = None
              ) -> tuple[tuple[Form, Form, Form], tuple[float, float, float], dict[tuple[int, str], float]]:
    """Per seen level (``levels[lv]`` = (|r|, neighbour stats, calibration mask)): the σ form
    and the pooled quantile, and the quantile per (level, exchange) — one exchange's list-price
    stacks must not set another's (Mondrian; an exchange with < MONDRIAN_MIN quantile cases:
    pooled). Level 0 has the constant σ of :data:`LEVEL0_FORMS`; levels 1 and 2 choose the
    form on the choice half of their cases (:func:`choice_half` of ``groups``, the listing
    family; None → every row its own group) and set q on the other half only. A level with
    fewer than MONDRIAN_MIN calibration cases takes the next level's form and quantiles."""
    n = len(plat)
    half = choice_half(groups if groups is not None else np.arange(n).astype(str))
    forms: list[Form] = [LEVEL0_FORMS[0]] * 3
    qs = [np.nan] * 3
    qmask: list[np.ndarray | None] = [None] * 3
    levels = list(levels)
    for lv in (2, 1, 0):
        r, st, m = levels[lv]
        if not (m.sum() >= MONDRIAN_MIN or (lv == 2 and m.any())):
            if lv < 2:
                forms[lv], qs[lv] = forms[lv + 1], qs[lv + 1]
                continue
            # no group can be left out: the row-left-out residuals of all cases
            r, st, m = levels[0][0], levels[0][1], np.ones(n, dtype=bool)
            levels[2] = (r, st, m)
        qm = m
        if lv > 0 and (m & half).sum() >= MONDRIAN_MIN and (m & ~half).sum() >= MONDRIAN_MIN:
            forms[lv], qm = _narrowest(r, st, m & half, coverage), m & ~half
        qs[lv], qmask[lv] = conformal_q(r[qm], sigma_of(st, forms[lv])[qm], coverage), qm
    q_by: dict[tuple[int, str], float] = {}
    for lv, (r, st, _) in enumerate(levels):
        qm = qmask[lv]
        if qm is None:
            continue
        sig = sigma_of(st, forms[lv])
        for v in dict.fromkeys(plat[qm].tolist()):
            mm = qm & (plat == v)
            if v != "?" and mm.sum() >= MONDRIAN_MIN:
                q_by[(lv, v)] = conformal_q(r[mm], sig[mm], coverage)
    return (forms[0], forms[1], forms[2]), (qs[0], qs[1], qs[2]), q_by
