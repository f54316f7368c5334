"""Features of cases and subjects, shared by the hedonic model and the nearest-neighbour selection.

Raw features (:func:`raw_features`) from a frame in the case schema
(``valuation.library.cases``): categorical columns as text; ``log_records``, ``log_fields``,
``log_size`` (natural logs; unknown or ≤ 0 → NaN, never 0), ``quality`` (0–100), ``year``
(decimal year of ``date``); and title keyword indicators ``kw_<name>``.

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
import pandas as pd

__all__ = ["NUMERIC_SOURCES", "Encoder", "decimal_year_of_days", "iso_days", "keyword_columns", "raw_feature_arrays",
           "raw_features", "take_rows"]

NUMERIC_SOURCES = {"log_records": "records", "log_fields": "fields", "log_size": "size_bytes"}


def keyword_columns(keywords: Sequence[Mapping[str, str]]) -> list[str]:
    return [f"kw_{k['name']}" for k in keywords]


_SMALL = 4096      # up to this many rows the per-value paths below beat pandas' fixed costs
_KW_CACHE: dict[tuple[Any, str], np.ndarray] = {}


def _plain_text(col: pd.Series | np.ndarray) -> list[Any] | None:
    """The values of a text column (str, or None/NaN when missing) as a list — None when the
    column holds anything else (then pandas' own conversion is used). ``col`` is a Series or an
    object array (the values a frame built from it would hand back)."""
    if len(col) > _SMALL:
        return None
    if isinstance(col, np.ndarray):
        if col.dtype != object:
            return None
        vals = col.tolist()
    elif isinstance(col.dtype, pd.StringDtype) or col.dtype == object:
        vals = col.to_numpy(dtype=object, na_value=np.nan).tolist() if col.dtype != object else col.to_numpy().tolist()
    else:
        return None
    if all(type(x) is str or x is None or (type(x) is float and x != x) for x in vals):
        return vals
    return None


def _by_unique(values: list[Any], fn) -> np.ndarray:
    """``fn`` (an element-wise pandas computation on a Series) on the distinct values only,
    spread back — the replicated rows of a Monte Carlo or tornado run repeat one asset."""
    uniq = list(dict.fromkeys(values))
    res = np.asarray(fn(pd.Series(uniq, dtype=object)))
    pos = {v: i for i, v in enumerate(uniq)}
    return res[[pos[v] for v in values]]


_ISO_DATE = re.compile(r"[1-9][0-9]{3}-[0-9]{2}-[0-9]{2}", re.ASCII)


def iso_days(values: list[Any]) -> np.ndarray | None:
    """``datetime64[D]`` of text dates when every value is a valid ``YYYY-MM-DD`` (None
    otherwise). Then ``pd.to_datetime(values, errors="coerce")`` infers that format from the
    first value and parses each value to the same day, so the two agree for any subset of the
    values; anything else (missing, other formats, invalid days) is left to pandas."""
    if not values or not all(type(x) is str and _ISO_DATE.fullmatch(x) for x in values):
        return None
    try:
        return np.array(values, dtype="datetime64[D]")
    except ValueError:      # e.g. 2024-02-30: pandas makes it NaT
        return None


def decimal_year_of_days(days: np.ndarray) -> np.ndarray:
    """``year + (day_of_year − 1) / 365.25`` of ``datetime64[D]`` values (no NaT): the
    arithmetic of :func:`_decimal_year_of` on integers, so the same floats."""
    year = days.astype("datetime64[Y]")
    doy = (days - year.astype("datetime64[D]")).astype(np.int64) + 1
    return (year.astype(np.int64) + 1970) + (doy - 1) / 365.25


def _decimal_year_of(dates: pd.Series) -> np.ndarray:
    d = pd.to_datetime(dates, errors="coerce")
    return (d.dt.year + (d.dt.day_of_year - 1) / 365.25).to_numpy(float)


def _decimal_year(dates: pd.Series | np.ndarray) -> np.ndarray:
    vals = _plain_text(dates)
    days = iso_days(vals) if vals is not None else None
    if days is not None:
        return decimal_year_of_days(days)
    if isinstance(dates, np.ndarray):
        dates = pd.Series(dates)        # the column a frame built from the array would hold
    if vals is not None and len(vals) > 1 and all(type(x) is str for x in vals):
        # the same parse once per distinct date, in a column of the same dtype (the first
        # value, which fixes the inferred format, stays first)
        return _by_unique(vals, lambda s: _decimal_year_of(s.astype(dates.dtype)))
    return _decimal_year_of(dates)


def _keyword_hits(titles: list[str], keywords: Sequence[Mapping[str, str]]) -> np.ndarray:
    """(n, K) keyword indicators: pandas' ``str.contains`` of each pattern, evaluated once per
    distinct title and remembered (a pure function of the title and the patterns)."""
    key = tuple((k["name"], k["pattern"]) for k in keywords)
    new = [t for t in dict.fromkeys(titles) if (key, t) not in _KW_CACHE]
    if new:
        s = pd.Series(new, dtype="str")
        cols = [s.str.contains(re.compile(k["pattern"]), regex=True).fillna(False).to_numpy(bool)
                for k in keywords]
        if len(_KW_CACHE) > 20_000:
            _KW_CACHE.clear()
        for i, t in enumerate(new):
            _KW_CACHE[(key, t)] = np.array([c[i] for c in cols], dtype=bool)
    if not titles:
        return np.zeros((0, len(keywords)), dtype=bool)
    return np.stack([_KW_CACHE[(key, t)] for t in titles])


def _as_series(col: pd.Series | np.ndarray) -> pd.Series:
    return col if isinstance(col, pd.Series) else pd.Series(col)


def _numbers(col: pd.Series | np.ndarray) -> np.ndarray:
    if isinstance(col, np.ndarray) and col.dtype.kind in "fiu":
        return col.astype(float)        # what pd.to_numeric of a numeric column hands back
    return pd.to_numeric(_as_series(col), errors="coerce").to_numpy(float)


def raw_feature_arrays(source: pd.DataFrame | Mapping[str, np.ndarray], categorical: Sequence[str],
                       keywords: Sequence[Mapping[str, str]] = ()) -> dict[str, np.ndarray]:
    """The columns of :func:`raw_features` as arrays, from a frame or from a mapping of
    column name → 1-d array (the subjects of one appraisal, without building their frame;
    the same values as from the frame built of those arrays)."""
    cols = source.columns if isinstance(source, pd.DataFrame) else source
    n = len(source) if isinstance(source, pd.DataFrame) else len(next(iter(source.values())))
    out: dict[str, Any] = {}
    for c in categorical:
        if c in cols:
            vals = _plain_text(source[c])
            if vals is not None:
                col = np.empty(n, dtype=object)
                col[:] = [x if type(x) is str and x else np.nan for x in vals]
                out[c] = col
                continue
            v = _as_series(source[c]).astype("str")
            out[c] = v.where(v.notna() & (v.str.len() > 0)).to_numpy(object)
        else:
            out[c] = np.full(n, np.nan, dtype=object)
    for name, src in NUMERIC_SOURCES.items():
        x = _numbers(source[src]) if src in cols else np.full(n, np.nan)
        with np.errstate(divide="ignore", invalid="ignore"):
            out[name] = np.where(x > 0, np.log(np.where(x > 0, x, 1.0)), np.nan)
    out["quality"] = _numbers(source["quality"]) if "quality" in cols else np.full(n, np.nan)
    out["year"] = _decimal_year(source["date"]) if "date" in cols else np.full(n, np.nan)
    tv = _plain_text(source["title"]) if "title" in cols else [""] * n
    if keywords and tv is not None:
        hits = _keyword_hits([x if type(x) is str else "" for x in tv], keywords)
        for j, k in enumerate(keywords):
            out[f"kw_{k['name']}"] = hits[:, j].astype(float)
        return out
    title = _as_series(source["title"]).astype("str").fillna("") if "title" in cols else pd.Series([""] * n)
    for k in keywords:
        out[f"kw_{k['name']}"] = title.str.contains(re.compile(k["pattern"]), regex=True).fillna(False) \
            .to_numpy(bool).astype(float)
    return out


def raw_features(frame: pd.DataFrame, categorical: Sequence[str], keywords: Sequence[Mapping[str, str]] = ()
                 ) -> pd.DataFrame:
    """Raw feature table (index of ``frame``)."""
    return pd.DataFrame(raw_feature_arrays(frame, categorical, keywords), index=frame.index)


def take_rows(F: pd.DataFrame | Mapping[str, np.ndarray], rows: np.ndarray) -> pd.DataFrame | dict[str, np.ndarray]:
    """Rows of a feature table (a frame, or a mapping of arrays) by boolean mask or positions."""
    if isinstance(F, pd.DataFrame):
        return F.loc[rows] if rows.dtype == bool else F.iloc[rows]
    return {c: v[rows] for c, v in F.items()}


def _column(F: pd.DataFrame | Mapping[str, np.ndarray], c: str, dtype: Any) -> np.ndarray | None:
    if isinstance(F, pd.DataFrame):
        return F[c].to_numpy(dtype) if c in F.columns else None
    return np.asarray(F[c], dtype=dtype) if c in F else None


def _n_rows(F: pd.DataFrame | Mapping[str, np.ndarray]) -> int:
    return len(F) if isinstance(F, pd.DataFrame) else len(next(iter(F.values()))) if F else 0


@dataclass
class Encoder:
    """Learns levels / means / keywords from the cases; turns raw features into a matrix."""

    categorical: Sequence[str]
    numeric: Sequence[str]
    keywords: Sequence[str] = ()
    min_level_count: int = 5
    kind: str = "hedonic"
    weights: Mapping[str, float] = field(default_factory=dict)

    def fit(self, F: pd.DataFrame) -> Encoder:
        m = int(self.min_level_count)
        n = len(F)
        self.levels_: dict[str, list[str]] = {}
        self.shares_: dict[str, np.ndarray] = {}
        self.map_: dict[str, dict[str, str]] = {}
        for c in self.categorical:
            v = pd.Series(F[c].to_numpy(object))
            counts = v.dropna().value_counts()
            if self.kind == "hedonic":
                keep = [str(x) for x in counts.index if counts[x] >= m]
                rare = [str(x) for x in counts.index if counts[x] < m]
                mapping = {x: x for x in keep}
                if rare:
                    if counts[rare].sum() >= m:
                        keep.append("_other")
                        mapping.update({x: "_other" for x in rare})
                    elif keep:
                        mapping.update({x: keep[0] for x in rare})  # too few to stand alone: reference
            else:
                keep = [str(x) for x in counts.index]
                mapping = {x: x for x in keep}
            mapped = v.map(mapping).dropna()
            if len(keep) < 2 or len(mapped) == 0:
                continue
            shares = mapped.value_counts(normalize=True).reindex(keep).fillna(0.0).to_numpy(float)
            self.levels_[c] = keep
            self.shares_[c] = shares
            self.map_[c] = mapping
        self.means_: dict[str, float] = {}
        self.sds_: dict[str, float] = {}
        self.missing_: dict[str, bool] = {}
        for c in self.numeric:
            x = F[c].to_numpy(float)
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
            if c in F.columns:
                cnt = int(F[c].to_numpy(float).sum())
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

    def transform(self, F: pd.DataFrame | Mapping[str, np.ndarray]) -> np.ndarray:
        """The matrix of raw features ``F`` (a frame, or a mapping of column → array)."""
        n = _n_rows(F)
        cols: list[np.ndarray] = [np.ones((n, 1))] if self.kind == "hedonic" else []
        for c, lv in self.levels_.items():
            idx = {x: i for i, x in enumerate(lv)}
            v = _column(F, c, object)
            if v is not None and n <= _SMALL:
                # Series.map(dict) then the level lookup, as two dict lookups per value
                mp = self.map_[c]
                got = [mp.get(x) if type(x) is str else None for x in v.tolist()]
                pos = np.array([idx.get(x, -1) if isinstance(x, str) else -1 for x in got], dtype=int)
            else:
                v = pd.Series(v).map(self.map_[c]).to_numpy(object) if v is not None \
                    else np.full(n, np.nan, dtype=object)
                pos = np.array([idx.get(x, -1) if isinstance(x, str) else -1 for x in v], dtype=int)
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
