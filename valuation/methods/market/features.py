"""Features of cases and subjects, shared by the hedonic model and the nearest-neighbour selection.

Raw features (:func:`raw_feature_arrays`) from columns in the case schema
(``valuation.library.cases``; a :class:`~valuation.library.cases.table.CaseTable` or the subjects' arrays):
categorical columns as text (None missing); ``log_records``, ``log_fields``, ``log_size``
(natural logs; unknown or ≤ 0 → NaN, never 0), ``quality`` (0–100), ``year`` (decimal year
of ``date``, a ``datetime64[D]`` column); and title keyword indicators ``kw_<name>``.

:class:`Encoder` learns from the cases which levels, numbers and keywords carry enough
observations (``min_level_count``) and turns raw features into a numeric matrix:

* ``kind="hedonic"``: intercept, treatment dummies (reference = most frequent level; rare
  levels pooled into ``_other``), numbers centred on the sample mean (missing → mean, plus a
  missing indicator), keyword indicators;
* ``kind="knn"``: one-hot of every level × weight/√2 (a mismatch costs the weight), numbers
  standardised × weight (missing → 0, the mean), keywords × weight.

A categorical value the model has not seen, or a missing one, takes the sample shares of the
levels: the model averages over that feature instead of guessing a level.
"""
from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["NUMERIC_SOURCES", "Encoder", "decimal_year", "keyword_columns", "raw_feature_arrays", "take_rows",
           "text_values"]

NUMERIC_SOURCES = {"log_records": "records", "log_fields": "fields", "log_size": "size_bytes"}


def keyword_columns(keywords: Sequence[Mapping[str, str]]) -> list[str]:
    return [f"kw_{k['name']}" for k in keywords]


_KW_CACHE: dict[tuple[Any, str], np.ndarray] = {}


def text_values(col: Any) -> np.ndarray:
    """A text column as an object array of ``str``, None where missing or empty (the asset
    table's convention, :mod:`valuation.core.columns`); other values as their text."""
    a = np.asarray(col, dtype=object)
    if set(map(type, a.tolist())) <= {str, type(None)}:    # (the usual case: types looked at in C)
        return np.where(np.equal(a, ""), None, a)
    out = np.empty(len(col), dtype=object)
    out[:] = [x if type(x) is str and x else None if x is None or x != x or x == "" else str(x)
              for x in a.tolist()]
    return out


def decimal_year(days: np.ndarray) -> np.ndarray:
    """``year + (day_of_year − 1) / 365.25`` of ``datetime64[D]`` values, NaN where NaT (the
    ``year`` feature: the trend of prices over time, docs/DOMAIN.md §4.3)."""
    days = np.asarray(days, dtype="datetime64[D]")
    nat = np.isnat(days)
    d = np.where(nat, np.datetime64("1970-01-01", "D"), days)
    year = d.astype("datetime64[Y]")
    doy = (d - year.astype("datetime64[D]")).astype(np.int64) + 1
    out = (year.astype(np.int64) + 1970) + (doy - 1) / 365.25
    out[nat] = np.nan
    return out


def _keyword_hits(titles: list[str], keywords: Sequence[Mapping[str, str]]) -> np.ndarray:
    """(n, K) keyword indicators: ``re.search`` of each pattern in each title, evaluated once per
    distinct title and remembered (a pure function of the title and the patterns)."""
    key = tuple((k["name"], k["pattern"]) for k in keywords)
    new = [t for t in dict.fromkeys(titles) if (key, t) not in _KW_CACHE]
    if new:
        pats = [re.compile(k["pattern"]) for k in keywords]
        if len(_KW_CACHE) > 20_000:
            _KW_CACHE.clear()
        for t in new:
            _KW_CACHE[(key, t)] = np.array([p.search(t) is not None for p in pats], dtype=bool)
    if not titles:
        return np.zeros((0, len(keywords)), dtype=bool)
    return np.stack([_KW_CACHE[(key, t)] for t in titles])


def _numbers(values: Any) -> np.ndarray:
    """float64 of numbers or numeric text, NaN for anything else (missing, unparsable text) —
    what ``pd.to_numeric(errors="coerce")`` gives, which the market's numbers were frozen with."""
    if isinstance(values, np.ndarray) and values.dtype.kind in "fiub":
        return values.astype(float)          # (numbers already: no element read one by one)
    vals = list(values)
    a = np.asarray(vals)        # mixed values come out as text: read them one by one
    if a.dtype.kind in "fiub":
        return a.astype(float)
    out = np.full(len(vals), np.nan)
    for j, x in enumerate(vals):
        try:    # float() reads "1_000"; a case field (and pandas' to_numeric) does not
            out[j] = np.nan if isinstance(x, str) and "_" in x else float(x)
        except (TypeError, ValueError):
            pass
    return out


def raw_feature_arrays(source: Mapping[str, np.ndarray], categorical: Sequence[str],
                       keywords: Sequence[Mapping[str, str]] = ()) -> dict[str, np.ndarray]:
    """Raw features of cases or subjects given as columns (a :class:`~valuation.library.cases.table.CaseTable`,
    or a mapping of column name → 1-d array; ``date`` as ``datetime64[D]``): categorical
    text (None missing), ``log_records`` / ``log_fields`` / ``log_size`` (unknown or ≤ 0 →
    NaN), ``quality``, ``year`` and the title keyword indicators ``kw_<name>``."""
    n = len(next(iter(source.values()))) if len(source) else 0
    out: dict[str, Any] = {}
    for c in categorical:
        out[c] = text_values(source[c]) if c in source else np.full(n, None, dtype=object)
    for name, src in NUMERIC_SOURCES.items():
        x = _numbers(source[src]) if src in source else np.full(n, np.nan)
        with np.errstate(divide="ignore", invalid="ignore"):
            out[name] = np.where(x > 0, np.log(np.where(x > 0, x, 1.0)), np.nan)
    out["quality"] = _numbers(source["quality"]) if "quality" in source else np.full(n, np.nan)
    out["year"] = decimal_year(source["date"]) if "date" in source else np.full(n, np.nan)
    if keywords:
        tv = np.asarray(source["title"], dtype=object).tolist() if "title" in source else [""] * n
        hits = _keyword_hits([x if type(x) is str else "" for x in tv], keywords)
        for j, k in enumerate(keywords):
            out[f"kw_{k['name']}"] = hits[:, j].astype(float)
    return out


def take_rows(F: Mapping[str, np.ndarray], rows: np.ndarray) -> dict[str, np.ndarray]:
    """Rows of a feature table (a mapping of arrays) by boolean mask or positions."""
    return {c: v[rows] for c, v in F.items()}


def _column(F: Mapping[str, np.ndarray], c: str, dtype: Any) -> np.ndarray | None:
    return np.asarray(F[c], dtype=dtype) if c in F else None


def _n_rows(F: Mapping[str, np.ndarray]) -> int:
    return len(next(iter(F.values()))) if F else 0


def _level_counts(values: np.ndarray) -> list[tuple[str, int]]:
    """(level, count) of the text values (None left out), most frequent first, ties in order of
    first appearance (pandas' ``value_counts``, the order the models were defined with)."""
    counts: dict[str, int] = {}
    for x in values.tolist():
        if x is not None and x == x:
            counts[x] = counts.get(x, 0) + 1
    return sorted(counts.items(), key=lambda kv: -kv[1])


@dataclass
class Encoder:
    """Learns levels / means / keywords from the cases; turns raw features into a matrix."""

    categorical: Sequence[str]
    numeric: Sequence[str]
    keywords: Sequence[str] = ()
    min_level_count: int = 5
    kind: str = "hedonic"
    weights: Mapping[str, float] = field(default_factory=dict)

    def fit(self, F: Mapping[str, np.ndarray]) -> Encoder:
        m = int(self.min_level_count)
        n = _n_rows(F)
        self.levels_: dict[str, list[str]] = {}
        self.shares_: dict[str, np.ndarray] = {}
        self.map_: dict[str, dict[str, str]] = {}
        for c in self.categorical:
            counts = _level_counts(np.asarray(F[c], dtype=object))
            if self.kind == "hedonic":
                keep = [str(x) for x, k in counts if k >= m]
                rare = [str(x) for x, k in counts if k < m]
                mapping = {x: x for x in keep}
                if rare:
                    if sum(k for _, k in counts if k < m) >= m:
                        keep.append("_other")
                        mapping.update({x: "_other" for x in rare})
                    elif keep:
                        mapping.update({x: keep[0] for x in rare})  # too few to stand alone: reference
            else:
                keep = [str(x) for x, _ in counts]
                mapping = {x: x for x in keep}
            mapped = [mapping[x] for x in np.asarray(F[c], dtype=object).tolist() if type(x) is str and x in mapping]
            if len(keep) < 2 or len(mapped) == 0:
                continue
            per = dict.fromkeys(keep, 0)
            for x in mapped:
                per[x] += 1
            # each level's share of the mapped values (value_counts(normalize=True) arithmetic)
            self.levels_[c] = keep
            self.shares_[c] = np.array([per[x] for x in keep], dtype=np.int64) / len(mapped)
            self.map_[c] = mapping
        self.means_: dict[str, float] = {}
        self.sds_: dict[str, float] = {}
        self.missing_: dict[str, bool] = {}
        for c in self.numeric:
            x = np.asarray(F[c], dtype=float)
            ok = np.isfinite(x)
            if ok.sum() < max(m, 2):
                continue
            sd = float(np.std(x[ok]))
            if not sd > 1e-12:
                continue
            self.means_[c] = float(np.mean(x[ok]))
            self.sds_[c] = sd
            self.missing_[c] = bool(m <= (~ok).sum() <= n - m) if self.kind == "hedonic" else False
        self.keywords_: list[str] = []
        for c in self.keywords:
            if c in F:
                cnt = int(np.asarray(F[c], dtype=float).sum())
                if m <= cnt <= n - m:
                    self.keywords_.append(c)
        self.names_ = self._names()
        return self

    def _names(self) -> list[str]:
        names = ["const"] if self.kind == "hedonic" else []
        for c, lv in self.levels_.items():
            use = lv[1:] if self.kind == "hedonic" else lv
            names += [f"{c}={x}" for x in use]
        for c in self.means_:
            names.append(c)
            if self.missing_.get(c):
                names.append(f"{c}_missing")
        names += list(self.keywords_)
        return names

    def transform(self, F: Mapping[str, np.ndarray]) -> np.ndarray:
        """The matrix of raw features ``F`` (a mapping of column → array)."""
        n = _n_rows(F)
        cols: list[np.ndarray] = [np.ones((n, 1))] if self.kind == "hedonic" else []
        for c, lv in self.levels_.items():
            idx = {x: i for i, x in enumerate(lv)}
            v = _column(F, c, object)
            # the level of each value (its mapped level; unknown or missing → -1)
            mp = self.map_[c]
            got = [mp.get(x) if type(x) is str else None for x in v.tolist()] if v is not None else [None] * n
            pos = np.array([idx.get(x, -1) if isinstance(x, str) else -1 for x in got], dtype=int)
            D = np.zeros((n, len(lv)))
            known = pos >= 0
            D[np.flatnonzero(known), pos[known]] = 1.0
            D[~known] = self.shares_[c]
            if self.kind == "hedonic":
                cols.append(D[:, 1:])
            else:
                cols.append(D * float(self.weights.get(c, 1.0)) / np.sqrt(2.0))
        for c in self.means_:
            x = _column(F, c, float)
            x = x if x is not None else np.full(n, np.nan)
            miss = ~np.isfinite(x)
            if self.kind == "hedonic":
                cols.append(np.where(miss, 0.0, x - self.means_[c])[:, None])
                if self.missing_.get(c):
                    cols.append(miss.astype(float)[:, None])
            else:
                z = np.where(miss, 0.0, (x - self.means_[c]) / self.sds_[c])
                cols.append((z * float(self.weights.get(c, 1.0)))[:, None])
        for c in self.keywords_:
            x = _column(F, c, float)
            x = x if x is not None else np.zeros(n)
            w = 1.0 if self.kind == "hedonic" else float(self.weights.get("keywords", 1.0)) / np.sqrt(2.0)
            cols.append((x * w)[:, None])
        if not cols:
            return np.zeros((n, 0))
        return np.hstack(cols)
