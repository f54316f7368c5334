"""The adjustment grid (调整网格) of the market approach, vectorised over (asset, comparable) pairs.

Annex of 中评协〔2023〕17号 (docs/DOMAIN.md §4.2–4.4)::

    P_i = Q_i × X1_i × X2_i × X3_i × X4_i × X5_i        (per comparable i)
    P   = Σ_i w_i P_i,   Σ_i w_i = 1

    X1 quality         Q_subject / Q_comparable                               (1 when a score is missing)
    X2 supply–demand   (100 + s_subject) / (100 + s_comparable)               (scores relative to 100)
    X3 date            I_valuation / I_transaction                            (1 when an index is missing)
    X4 capacity        N_s / N_c   (ratio)   or   (N_s / N_c)^β  (elasticity)  (1 when records are missing)
    X5 other           L(subject) / L(comparable) over exclusivity and evidence type (table in the model)
    w_i = 1/n (equal)  or  w_i ∝ 1 / Σ_k |ln X_k,i|  (inverse_adjustment)

A coefficient ``x1``…``x5`` given on the comparable wins over the computed one.
The pairs are long columns: one row per (subject, comparable); every step is numpy.
"""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np

__all__ = ["AGGREGATES", "BREACH_COLUMNS", "COEFFICIENTS", "LEVELS", "Groups", "aggregate_columns", "band_columns",
           "coded_level", "coefficient_columns", "level_of", "pair_weights"]

COEFFICIENTS = ("x1", "x2", "x3", "x4", "x5")
COEFFICIENT_LABELS = {"x1": ("质量调整系数", "quality"), "x2": ("供求调整系数", "supply–demand"),
                      "x3": ("期日调整系数", "date"), "x4": ("容量调整系数", "capacity"),
                      "x5": ("其他调整系数", "other")}
_EPS_ADJ = 1e-9
#: the X5 levels of a pair: the subject's and the comparable's, of exclusivity and evidence type
LEVELS = ("level_ex_s", "level_ex_c", "level_ev_s", "level_ev_c")


def level_of(values: np.ndarray, table: Mapping[str, float]) -> np.ndarray:
    """The level of each text value in ``table`` (NaN for a missing or unknown value): one
    comparison over all values per level of the table (a few levels, many values)."""
    out = np.full(len(values), np.nan)
    for k, v in table.items():
        if type(k) is str:
            out[np.equal(values, k)] = float(v)
    return out


def coded_level(labels: tuple[str, ...], codes: np.ndarray, table: Mapping[str, float]) -> np.ndarray:
    """:func:`level_of` of the labels ``labels[codes]`` (code −1: missing → NaN), worked out
    once per label and taken by code: no text compared per value."""
    per_label = level_of(np.array((*labels, None), dtype=object), table)
    return per_label[np.asarray(codes, dtype=np.intp)]


def _x5_ratio(cols: Mapping[str, np.ndarray], levels: Mapping[str, np.ndarray] | None, key: str,
              table: Mapping[str, float], n: int, out: np.ndarray | None = None) -> np.ndarray:
    """L(subject) / L(comparable) of one X5 factor (``ex``: exclusivity, ``ev``: evidence
    type), from the levels given or the pairs' labels (NaN where they are not given); into
    ``out`` when given."""
    if levels is not None:
        return np.divide(levels[f"level_{key}_s"], levels[f"level_{key}_c"], out=out)
    if f"{key}_s" not in cols:
        r = np.full(n, np.nan)
    else:
        r = level_of(np.asarray(cols[f"{key}_s"], dtype=object), table) / \
            level_of(np.asarray(cols[f"{key}_c"], dtype=object), table)
    if out is None:
        return r
    out[...] = r
    return out


def coefficient_columns(cols: Mapping[str, np.ndarray], n: int, *, x5_exclusivity: Mapping[str, float],
                        x5_evidence_type: Mapping[str, float],
                        levels: Mapping[str, np.ndarray] | None = None) -> dict[str, np.ndarray]:
    """``x1``…``x5``, ``product`` (Π X), ``p_adj`` (P_i) and ``total_adj`` (Σ|ln X|) of ``n``
    pairs given as arrays. Inputs (a missing column or value → that coefficient is 1):
    ``price`` (Q_i), ``q_s``, ``q_c``, ``sd_s``, ``sd_c``, ``i_s``, ``i_c``, ``n_s``, ``n_c``,
    ``beta`` (NaN → ratio form), ``ex_s``, ``ex_c`` (exclusivity), ``ev_s``, ``ev_c``
    (evidence type), and overrides ``x1_given``…``x5_given``. ``levels``: the X5 levels of
    ``ex_s``, ``ex_c``, ``ev_s``, ``ev_c`` (:data:`LEVELS`) already looked up by the caller
    (from enum codes, :func:`coded_level`), else looked up here in the two tables."""
    def col(name: str, fill: float = np.nan) -> np.ndarray:
        v = cols.get(name)
        return np.asarray(v, dtype=float) if v is not None else np.full(n, fill)

    # the five coefficients are written straight into the rows of one (5, n) array (no
    # n-long temporary per step: 30,000 pairs a partition); Π X and Σ|ln X| reduce over
    # its rows in order X1 … X5 (axis 0: one row after the other, the order of the formula)
    x = np.empty((5, n))
    x1, x2, x3, x4, x5 = x
    with np.errstate(divide="ignore", invalid="ignore"):
        np.divide(col("q_s"), col("q_c"), out=x1)
        np.add(100.0, np.nan_to_num(col("sd_s", 0.0)), out=x2)
        x2 /= 100.0 + np.nan_to_num(col("sd_c", 0.0))
        np.divide(col("i_s"), col("i_c"), out=x3)
        np.divide(col("n_s"), col("n_c"), out=x4)          # ratio form; elasticity where β given
        beta = cols.get("beta")
        if beta is not None:
            at = np.flatnonzero(~np.isnan(np.asarray(beta, dtype=float)))
            if len(at):
                x4[at] = np.power(x4[at], np.asarray(beta, dtype=float)[at])
        _x5_ratio(cols, levels, "ex", x5_exclusivity, n, out=x5)
        ev = _x5_ratio(cols, levels, "ev", x5_evidence_type, n)
    _one_where_not_positive(x5)
    x5 *= _one_where_not_positive(ev)
    # a missing or non-positive coefficient is 1; a given one wins
    _one_where_not_positive(x)
    for k, row in zip(COEFFICIENTS, x):
        given = cols.get(f"{k}_given")
        if given is not None:
            given = np.asarray(given, dtype=float)
            at = np.flatnonzero(np.isfinite(given))
            if len(at):
                row[at] = given[at]
    out: dict[str, np.ndarray] = dict(zip(COEFFICIENTS, x))
    out["product"] = np.multiply.reduce(x, axis=0)
    out["p_adj"] = col("price") * out["product"]
    ln = np.log(x)
    out["total_adj"] = np.add.reduce(np.abs(ln, out=ln), axis=0)
    return out


def _one_where_not_positive(a: np.ndarray) -> np.ndarray:
    """``a`` with 1 wherever it is not a finite positive number (NaN, ±inf, ≤ 0), in place."""
    a[~((a > 0) & (a < np.inf))] = 1.0
    return a


# --------------------------------------------------------------------------- per-subject sums
class Groups:
    """Rows grouped by subject (an integer label per row), with sums, means and standard
    deviations that are bit for bit those of pandas' ``groupby(subject)`` — the numbers of
    the market approach were defined with it, and a different summation order would move
    the last bits. pandas (3.x) sums groups whose labels arrive sorted, without NaN, with
    ``np.add.reduceat`` and otherwise with a compensated (Kahan) sum in row order; the
    standard deviation is Welford's update in row order. Here the same updates run for all
    groups at once, one step per row rank within its group (a few comparables each).
    """

    def __init__(self, labels: np.ndarray):
        lab = np.asarray(labels, dtype=np.int64)
        self.size_rows = len(lab)
        self.sorted = bool(len(lab) < 2 or (lab[1:] >= lab[:-1]).all())
        self.order = np.arange(len(lab)) if self.sorted else np.argsort(lab, kind="stable")
        s = lab[self.order]
        self.starts = np.flatnonzero(np.r_[True, s[1:] != s[:-1]]) if len(s) else np.zeros(0, dtype=np.int64)
        self.keys = s[self.starts]                                     # the labels, ascending
        self.sizes = np.diff(np.r_[self.starts, len(s)])
        self.group = np.repeat(np.arange(len(self.keys)), self.sizes)  # group of each sorted row
        self.rank = np.arange(len(s)) - np.repeat(self.starts, self.sizes)
        # the ranks every group has (groups hold rows of rank 0 … size − 1), and the one size
        # of every group when they have one (else 0)
        self._full = int(self.sizes.min()) if len(self.sizes) else 0
        self._width = self._full if len(self.sizes) and self._full == int(self.sizes.max()) else 0
        self._by_rank: list[tuple[np.ndarray, np.ndarray]] | None = None

    def _steps(self, values: np.ndarray):
        """(group positions, values) of the rows of rank 0, 1, … — row order within groups,
        NaN values left out. The group positions are ``slice(None)`` where a step holds every
        group, in order, without NaN (the usual step: a few comparables for each subject): the
        updates then read and write the groups' running sums as they are, not gathered and
        scattered by an index of every group (the same arithmetic, value by value)."""
        v = np.asarray(values, dtype=float)[self.order]
        every = slice(None)
        for j, (g, rows) in enumerate(self._ranks()):
            x = v[rows]
            ok = ~np.isnan(x)
            if ok.all():
                yield (every if j < self._full else g), x
            else:
                yield g[ok], x[ok]

    def _ranks(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """(group positions, sorted row positions) of the rows of rank 0, 1, …; made once."""
        if self._by_rank is None:
            self._by_rank = []
            for j in range(int(self.sizes.max()) if len(self.sizes) else 0):
                rows = np.flatnonzero(self.rank == j)
                self._by_rank.append((self.group[rows], rows))
        return self._by_rank

    def _kahan(self, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        total = np.zeros(len(self.keys))
        comp = np.zeros(len(self.keys))
        nobs = np.zeros(len(self.keys), dtype=np.int64)
        for g, v in self._steps(values):
            y = v - comp[g]
            t = total[g] + y
            c = t - total[g] - y
            comp[g] = np.where(c != c, 0.0, c)
            total[g] = t
            nobs[g] += 1
        return total, nobs

    def _fast(self, values: np.ndarray) -> bool:
        return self.sorted and not np.isnan(values).any()

    def sum(self, values: np.ndarray) -> np.ndarray:
        """Per group (in ``keys`` order)."""
        if not len(self.keys):
            return np.zeros(0)
        if self._fast(values):
            return np.add.reduceat(np.asarray(values, dtype=float), self.starts)
        return self._kahan(values)[0]

    def mean(self, values: np.ndarray) -> np.ndarray:
        if not len(self.keys):
            return np.zeros(0)
        if self._fast(values):
            return np.add.reduceat(np.asarray(values, dtype=float), self.starts) / self.sizes.astype(np.float64)
        total, nobs = self._kahan(values)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(nobs > 0, total / nobs, np.nan)

    def std(self, values: np.ndarray, ddof: int = 1) -> np.ndarray:
        mean = np.zeros(len(self.keys))
        m2 = np.zeros(len(self.keys))
        nobs = np.zeros(len(self.keys))
        for g, v in self._steps(values):
            nobs[g] += 1
            old = np.array(mean[g])          # (its own values: ``mean[g]`` may be a view)
            mean[g] = old + (v - old) / nobs[g]
            m2[g] = m2[g] + (v - mean[g]) * (v - old)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(nobs > ddof, np.sqrt(m2 / (nobs - ddof)), np.nan)

    def min(self, values: np.ndarray) -> np.ndarray:
        return self._extreme(np.fmin, values)

    def max(self, values: np.ndarray) -> np.ndarray:
        return self._extreme(np.fmax, values)

    def _extreme(self, op: np.ufunc, values: np.ndarray) -> np.ndarray:
        """``op`` (fmin/fmax: NaN left out) over each group. Groups all of one size (a few
        comparables each) are the rows of a (groups × size) view, reduced over all groups at
        once, one column after the other — row order, as ``reduceat`` takes them (which pays
        a fixed cost per group)."""
        if not len(self.keys):
            return np.zeros(0)
        v = np.asarray(values, dtype=float)[self.order]
        k = self._width
        if not k:
            return op.reduceat(v, self.starts)
        rows = v.reshape(-1, k)
        out = rows[:, 0].copy()
        for j in range(1, k):
            op(out, rows[:, j], out=out)
        return out

    def spread(self, per_group: np.ndarray) -> np.ndarray:
        """A per-group value back on every row (row order)."""
        out = np.empty(self.size_rows)
        out[self.order] = per_group[self.group]
        return out


def pair_weights(subject: np.ndarray, total_adj: np.ndarray, scheme: np.ndarray,
                 groups: Groups | None = None) -> np.ndarray:
    """w_i per pair: equal (1/n) or ∝ 1/Σ|ln X| within each subject; ``scheme`` is the
    weighting of each pair's subject, or a boolean per pair: inverse_adjustment (``groups``: the
    pairs grouped by subject, when at hand). A comparable needing no adjustment at all takes
    the whole weight (shared equally among such comparables)."""
    g = groups if groups is not None else Groups(subject)
    scheme = np.asarray(scheme)
    inv = scheme if scheme.dtype == bool else scheme == "inverse_adjustment"
    raw = np.where(inv, 1.0 / np.maximum(np.asarray(total_adj, dtype=float), _EPS_ADJ), 1.0)
    return raw / g.spread(g.sum(raw))


AGGREGATES = ("n", "estimate", "p_min", "p_max", "mean_log", "sd_log", "spread")


def aggregate_columns(groups: Groups, weight: np.ndarray, p_adj: np.ndarray, n: int) -> dict[str, np.ndarray]:
    """Per subject ``0 … n-1``: ``n``, ``estimate`` = Σ w P_i, ``p_min``, ``p_max``, ``spread`` =
    max/min, ``mean_log``/``sd_log`` (ddof 1) of ln P_i (NaN for a subject without pairs)."""
    p_adj = np.asarray(p_adj, dtype=float)
    with np.errstate(all="ignore"):      # pandas' kernels and ufuncs on Series do not warn
        per = _per_group(groups, np.asarray(weight, dtype=float), p_adj)
    out = {}
    for k in AGGREGATES:
        col = np.full(n, np.nan)
        col[groups.keys] = per[k]
        out[k] = col
    return out


def _per_group(groups: Groups, weight: np.ndarray, p_adj: np.ndarray) -> dict[str, np.ndarray]:
    lp = np.log(p_adj)
    per = {"n": groups.sizes.astype(float), "estimate": groups.sum(weight * p_adj),
           "p_min": groups.min(p_adj), "p_max": groups.max(p_adj), "mean_log": groups.mean(lp),
           "sd_log": groups.std(lp)}
    per["spread"] = per["p_max"] / per["p_min"]
    return per


BREACH_COLUMNS = ("subject", "case_id", "coefficient", "value", "low", "high")


def band_columns(pairs: Mapping[str, np.ndarray], coefficient_band: tuple[float, float],
                 product_band: tuple[float, float]) -> dict[str, np.ndarray] | None:
    """Guardrail breaches: ``subject, case_id, coefficient, value, low, high`` for every single
    coefficient outside ``coefficient_band`` and every product outside ``product_band``
    (``pairs``: ``subject``, ``case_id``, ``x1``…``x5``, ``product`` as arrays); None when
    nothing breaches a band."""
    lo, hi = map(float, coefficient_band)
    plo, phi = map(float, product_band)
    parts = []
    for k, a, b in [*((k, lo, hi) for k in COEFFICIENTS), ("product", plo, phi)]:
        v = np.asarray(pairs[k], dtype=float)
        m = (v < a - 1e-12) | (v > b + 1e-12)
        if m.any():
            parts.append((np.asarray(pairs["subject"])[m], np.asarray(pairs["case_id"], dtype=object)[m],
                          np.full(int(m.sum()), k, dtype=object), v[m], a, b))
    if not parts:
        return None
    return {"subject": np.concatenate([p[0] for p in parts]), "case_id": np.concatenate([p[1] for p in parts]),
            "coefficient": np.concatenate([p[2] for p in parts]), "value": np.concatenate([p[3] for p in parts]),
            "low": np.concatenate([np.full(len(p[3]), p[4]) for p in parts]),
            "high": np.concatenate([np.full(len(p[3]), p[5]) for p in parts])}
