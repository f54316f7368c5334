"""The market approach over a portfolio: ``appraise(pf, params=None, *, trace=False, cases=None)``.

中评协〔2023〕17号 art. 23 and annex (docs/DOMAIN.md §4)::

    P_i = Q_i × X1_i × X2_i × X3_i × X4_i × X5_i,     P = Σ_i w_i P_i

Comparables (per asset):

* **explicit** — ``market.comparables`` on the card; comparables whose price mode or rights type
  differs from the subject's are left out (never mixed) with a warning; capacity X4 in ratio
  form by default (``capacity_explicit``);
* **library** — when ``market.use_library`` and there are no explicit comparables: hard
  filters (rights type, price mode, price unit), then k nearest neighbours
  (:mod:`.select`); X3 from the yearly price trend (the hedonic model's, or ``date_growth``),
  X4 with the elasticity β (``capacity_library = elasticity``; β = the hedonic coefficient of
  ln records, clipped to ``capacity_elasticity_bounds``).

Evidence: only cases of ``provenance = real`` stand behind a value; a library of synthetic
cases only makes the approach not applicable ("only synthetic evidence in the case library"),
unless the card is a demonstration (``market.demonstration``: synthetic cases allowed, the
rules raise the blocker ``SYNTHETIC_EVIDENCE``). Columns ``n_real_comparables`` and
``n_synthetic_comparables`` count them.

Value on the library path (``library_estimate``, default ``learned``): the per-mode learned
model of :mod:`.learned` when its group has enough cases, else the hedonic / grid value.

Range (``low``/``high``, coverage 80 % by default) — stated in column ``range_basis``:

* ``conformal_cv`` (library path, learned model): split-conformal range calibrated on the case
  library's leave-one-out / cross-validated residuals (:mod:`.learned`);

* ``hedonic_prediction_interval`` (library path, hedonic model of the price mode fitted): the
  hedonic 80 % prediction interval of ln P, re-centred on the estimate:
  ``low = P × exp(ln L − ŷ)``, ``high = P × exp(ln H − ŷ)``;
* ``comparable_dispersion`` (explicit comparables, or no hedonic model): a prediction-type
  interval from the dispersion of the adjusted prices,
  ``P × exp(∓ t_{0.90, n−1} · s_ln · √(1 + 1/n))`` with s_ln the sd of ln P_i.

Guardrails (engineering defaults, ``models/market_grid.yaml``): fewer than ``refuse_below`` (2)
comparables → not applicable; fewer than ``min_comparables`` (3) → warning; single coefficient
outside [0.70, 1.30], product outside [0.50, 1.50], spread max/min > 1.20 → warnings with the
numbers, in Chinese and English.
"""
from __future__ import annotations

import hashlib
import weakref
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ...core.portfolio import column_list, column_values, frame_of_arrays
from ...library.cases import PRICE_UNITS, PRICED_MODES, cases_frame, priced_cases
from ..base import LazyWarnings, MethodResult, nan_to_num, step
from .features import iso_days, raw_feature_arrays
from .grid import (
    AGGREGATES,
    COEFFICIENT_LABELS,
    COEFFICIENTS,
    Groups,
    aggregate_columns,
    band_columns,
    band_flags,
    coefficient_columns,
    pair_weights,
)
from .hedonic import HedonicModel
from .learned import LearnedModel, fit_learned, learned_columns
from .params import CLAUSES, resolve_params
from .select import select_columns

__all__ = ["LibraryFit", "appraise", "fit_library", "subjects_from_portfolio", "value_subjects"]

_SUBJECT_COLUMNS = ("category", "records", "fields", "size_bytes", "update_frequency", "rights_type",
                    "exclusivity", "price_mode", "quality", "date", "platform", "title", "evidence_type")
REF = {"references": ["CAS2023.art23", "CAS2023.annex.market", "ENG.default"]}


# --------------------------------------------------------------------------- library fit (cached)
class LibraryFit:
    """The case library prepared once: typed priced cases and the hedonic model.

    What a call reads of the cases is derived here once, as arrays (the fit is cached by the
    library's content, so an edited library gets its own): the columns of the pairs
    (:meth:`column`), the cases' dates as days (:attr:`case_days`, None unless every date is
    a valid ``YYYY-MM-DD``), each price mode's growth and elasticity."""

    def __init__(self, cases: pd.DataFrame, params: Mapping[str, Any]):
        c = priced_cases(cases)
        real = c["provenance"].to_numpy(object) == "real"
        # honest evidence (issue 16): synthetic cases never stand behind a conclusion unless
        # the engagement is an explicit demonstration (``allow_synthetic``)
        self.n_synthetic = int((~real).sum())
        self.n_synthetic_dropped = 0 if params.get("allow_synthetic") else self.n_synthetic
        if self.n_synthetic_dropped:
            c = c.loc[real].reset_index(drop=True)
        self.cases = c
        self.hedonic = HedonicModel(params).fit(self.cases)
        self._learned: dict[tuple[Any, Any], LearnedModel | None] = {}
        self.params = params
        self.select_cache: dict[Any, Any] = {}   # case-side work of select_library, done once
        self._columns: dict[tuple[str, Any], np.ndarray] = {}
        self._per_mode: dict[tuple[str, Any], float] = {}
        dates = self.cases["date"].to_numpy(object).tolist() if "date" in self.cases.columns else []
        # parsing all the dates once stands for parsing any subset only when pandas would
        # read every subset in the same format: when all are valid YYYY-MM-DD
        self.case_days = iso_days(dates)

    def column(self, name: str, dtype: Any) -> np.ndarray:
        """``cases[name].to_numpy(dtype)``, converted once (do not modify the array)."""
        key = (name, dtype)
        got = self._columns.get(key)
        if got is None:
            got = self._columns[key] = self.cases[name].to_numpy(dtype)
        return got

    def learned(self, rights_type: Any, mode: Any) -> LearnedModel | None:
        """The per-mode learned model of a (rights type, price mode) group, fitted on first use
        (:mod:`.learned`; None when the group has too few cases)."""
        key = (rights_type, mode)
        if key not in self._learned:
            c = self.cases
            g = c.loc[(c["rights_type"].to_numpy(object) == rights_type) & (c["price_mode"].to_numpy(object) == mode)]
            self._learned[key] = fit_learned(g, coverage=float(self.params["coverage"]))
        return self._learned[key]

    def synthetic_ids(self) -> frozenset:
        """Ids of the synthetic cases in this fit (empty unless ``allow_synthetic``)."""
        if not hasattr(self, "_synthetic_ids"):
            c = self.cases
            self._synthetic_ids = frozenset(c.loc[c["provenance"].to_numpy(object) != "real", "case_id"].tolist())
        return self._synthetic_ids

    def year_growth(self, mode: str) -> float:
        key = ("growth", mode)
        if key not in self._per_mode:
            self._per_mode[key] = self._year_growth(mode)
        return self._per_mode[key]

    def elasticity(self, mode: str) -> float:
        key = ("elasticity", mode)
        if key not in self._per_mode:
            self._per_mode[key] = self._elasticity(mode)
        return self._per_mode[key]

    def _year_growth(self, mode: str) -> float:
        dg = self.params["date_growth"]
        clip = float(self.params["date_growth_clip"])
        if dg == "hedonic":
            b = self.hedonic.coefficient(mode, "year")
            g = float(np.expm1(b)) if np.isfinite(b) else 0.0
        else:
            g = float(dg)
        return float(np.clip(g, -clip, clip))

    def _elasticity(self, mode: str) -> float:
        lo, hi = map(float, self.params["capacity_elasticity_bounds"])
        b = self.hedonic.coefficient(mode, "log_records")
        if not np.isfinite(b):
            c = self.cases[(self.cases["price_mode"] == mode) & self.cases["records"].notna()]
            if len(c) >= 10 and c["records"].nunique() > 1:
                x = np.log(c["records"].to_numpy(float))
                y = np.log(c["price"].to_numpy(float))
                b = float(np.polyfit(x, y, 1)[0])
            else:
                b = float(self.params["capacity_elasticity_default"])
        return float(np.clip(b, lo, hi))


_FITS: OrderedDict[str, LibraryFit] = OrderedDict()


def _fit_key(cases: pd.DataFrame, params: Mapping[str, Any]) -> str:
    h = hashlib.sha256()
    h.update(pd.util.hash_pandas_object(cases.astype(str), index=False).to_numpy().tobytes())
    h.update(repr(sorted((k, repr(v)) for k, v in params.items())).encode())
    return h.hexdigest()


# The frame object → its content key, so that the same (immutable) case frame of a library
# snapshot handed in on every call is not coerced and hashed again each time (~40 ms a call).
_KEYS_BY_FRAME: dict[tuple[int, str], tuple[weakref.ref, tuple[Any, ...], str]] = {}


def fit_library(cases: pd.DataFrame | None, params: Mapping[str, Any] | None = None) -> LibraryFit | None:
    """The prepared library (cached by content and parameters; 8 entries).

    A case frame is treated as immutable once handed in (snapshots are frozen): the content
    key of a frame object is remembered while the object lives, with its shape and columns
    as a guard; a different frame object is hashed afresh."""
    if cases is None:
        return None
    p = resolve_params(params) if params is None or "hedonic_categorical" not in params else params
    # the subjects' quality library does not enter the fit (cases carry their own scores)
    pkey = repr(sorted((k, repr(v)) for k, v in p.items() if k != "quality_library"))
    shape = (cases.shape, tuple(cases.columns)) if isinstance(cases, pd.DataFrame) else None
    memo = _KEYS_BY_FRAME.get((id(cases), pkey)) if shape is not None else None
    key = memo[2] if memo is not None and memo[0]() is cases and memo[1] == shape else None
    fit = _FITS.get(key) if key is not None else None
    if fit is not None:
        _FITS.move_to_end(key)
        return fit
    c = cases_frame(cases)
    key = _fit_key(c, p)
    if shape is not None:
        if len(_KEYS_BY_FRAME) > 32:
            _KEYS_BY_FRAME.clear()
        _KEYS_BY_FRAME[(id(cases), pkey)] = (weakref.ref(cases), shape, key)
    fit = _FITS.get(key)
    if fit is None:
        fit = LibraryFit(c, p)
        _FITS[key] = fit
        while len(_FITS) > 8:
            _FITS.popitem(last=False)
    else:
        _FITS.move_to_end(key)
    return fit


# --------------------------------------------------------------------------- subjects
def _str(a: pd.DataFrame, name: str) -> np.ndarray:
    """Text column as objects, missing and empty text as NaN."""
    if name not in a.columns:
        return np.full(len(a), np.nan, dtype=object)
    dtype = column_values(a, name).dtype   # without the Series (~30 µs; ~24 columns a call)
    if len(a) <= 4096 and (isinstance(dtype, pd.StringDtype) or (isinstance(dtype, np.dtype) and dtype.kind == "O")):
        # text (or objects that are all text / missing): one conversion and a list pass
        # instead of pandas' str machinery (~1 ms a column, paid many times per appraisal)
        vals = column_list(a, name)
        if all(type(x) is str or x is None or (type(x) is float and x != x) for x in vals):
            out = np.empty(len(vals), dtype=object)
            out[:] = [x if type(x) is str and x else np.nan for x in vals]
            return out
    v = a[name].astype("str")
    return v.where(v.notna() & (v.str.len() > 0)).to_numpy(object)


def _num(a: pd.DataFrame, name: str) -> np.ndarray:
    if name not in a.columns:
        return np.full(len(a), np.nan)
    v = column_values(a, name)
    if isinstance(v, np.ndarray) and v.dtype.kind in "fiu":   # already numeric: pd.to_numeric
        return v.astype(float)                                 # would hand back the same values
    return pd.to_numeric(a[name], errors="coerce").to_numpy(float)


def _flag(a: pd.DataFrame, name: str) -> np.ndarray:
    """``a[name].fillna(False).to_numpy(bool)`` (all False when the column is absent)."""
    if name not in a.columns:
        return np.zeros(len(a), bool)
    v = column_values(a, name)
    return v.copy() if isinstance(v, np.ndarray) and v.dtype == np.bool_ else a[name].fillna(False).to_numpy(bool)


def _valuation_dates(a: pd.DataFrame) -> np.ndarray:
    """``valuation_date`` as ``YYYY-MM-DD`` text (NaN when missing): what
    ``pd.to_datetime(col, errors="coerce").dt.strftime("%Y-%m-%d")`` gives, straight from the
    datetime64 values when the column already holds them (four-digit years)."""
    if "valuation_date" not in a.columns:
        return pd.Series(pd.NaT, index=a.index).dt.strftime("%Y-%m-%d").to_numpy(object)
    v = column_values(a, "valuation_date")
    if isinstance(v, np.ndarray) and v.dtype.kind == "M":
        nat = np.isnat(v)
        day = v.astype("datetime64[D]")
        year = day[~nat].astype("datetime64[Y]").astype(np.int64) + 1970
        if ((year >= 1000) & (year <= 9999)).all():
            out = np.datetime_as_string(day, unit="D").astype(object)
            out[nat] = np.nan
            return out
    return pd.to_datetime(a["valuation_date"], errors="coerce").dt.strftime("%Y-%m-%d").to_numpy(object)


def _comparables(pf) -> pd.DataFrame | None:
    """The card's ``market.comparables`` record, None when the portfolio has none (then
    ``Portfolio.record`` would build an empty frame of the record's columns, ~1 ms a call,
    which the market approach treats as no comparables)."""
    if not hasattr(pf, "record"):
        return None
    records = getattr(pf, "records", None)
    if isinstance(records, Mapping) and "market.comparables" not in records:
        return None
    return pf.record("market.comparables")


def _asset_ids(comps: pd.DataFrame) -> list[Any]:
    """``comps["asset_id"].astype(str).to_numpy(object, na_value=None).tolist()``: straight
    from the object column when it holds text only (what a portfolio's records hold), without
    the "str" Series (~0.13 ms a call)."""
    v = column_values(comps, "asset_id")
    if isinstance(v, np.ndarray) and v.dtype == object:
        vals = v.tolist()
        if all(type(x) is str for x in vals):
            return vals
    return comps["asset_id"].astype(str).to_numpy(object, na_value=None).tolist()


def _subject_columns(pf, params: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """The columns of :func:`subjects_from_portfolio` as arrays (text as objects)."""
    from ...quality.composite import composite_columns

    a = pf.assets
    n = len(a)
    try:
        # the score column only (the frame of every composite column cost more than the scoring)
        q = composite_columns(pf, errors="mark", library=params.get("quality_library"))["quality_score"]
    except Exception:  # noqa: BLE001  # pragma: no cover - quality problems are the quality module's to report
        q = _num(a, "quality_score")
    comps = _comparables(pf)
    has_explicit = np.zeros(n, bool)
    if comps is not None and len(comps):
        given = set(_asset_ids(comps))
        has_explicit = np.array([x in given for x in a.index.tolist()], dtype=bool)
    use_lib = _flag(a, "market_use_library")
    source = np.where(has_explicit, "explicit", np.where(use_lib, "library", "none")).astype(object)
    mode = _str(a, "market_price_mode")
    mode = np.where(pd.isna(mode), "one_off", mode).astype(object)
    k = _num(a, "market_k")
    mc = _num(a, "market_min_comparables")
    wt = _str(a, "market_weighting")
    di = _num(a, "market_date_index")
    return {
        "category": _str(a, "category"), "records": _num(a, "records"), "fields": _num(a, "fields"),
        "size_bytes": _num(a, "size_bytes"), "update_frequency": _str(a, "update_frequency"),
        "rights_type": _str(a, "rights_type"), "exclusivity": _str(a, "rights_exclusivity"),
        "price_mode": mode, "quality": q,
        "date": _valuation_dates(a), "platform": np.full(n, np.nan, dtype=object),
        "title": _str(a, "name"), "description": _str(a, "description"), "evidence_type": np.full(n, params["subject_evidence"], dtype=object),
        "source": source, "supply_demand": nan_to_num(_num(a, "market_supply_demand")),
        "date_index": np.where(np.isnan(di), 100.0, di),
        "k": np.where(np.isnan(k), float(params["k"]), k),
        "min_comparables": np.where(np.isnan(mc), float(params["min_comparables"]), mc),
        "weighting": np.where(pd.isna(wt), params["weighting"], wt).astype(object),
    }


def subjects_from_portfolio(pf, params: Mapping[str, Any]) -> pd.DataFrame:
    """One subject row per asset in the case schema, plus ``source`` (explicit | library |
    none), ``supply_demand``, ``date_index``, ``k``, ``min_comparables``, ``weighting``."""
    return pd.DataFrame(_subject_columns(pf, params), index=pf.assets.index)


# the subject columns the valuation reads, as text (objects) or numbers
_SUBJECT_TEXT = ("price_mode", "source", "rights_type", "weighting", "exclusivity", "evidence_type", "date")
_SUBJECT_NUMBERS = ("quality", "supply_demand", "date_index", "records", "min_comparables", "k")


class _Subjects:
    """The subjects as arrays, and as the frame (built when first needed: the case-library
    selection and the hedonic model read frames)."""

    def __init__(self, cols: Mapping[str, np.ndarray], index: pd.Index, frame: pd.DataFrame | None = None):
        self.cols = cols
        self.index = index
        self._frame = frame

    @classmethod
    def of_frame(cls, subjects: pd.DataFrame) -> _Subjects:
        cols: dict[str, np.ndarray] = {}
        for c in _SUBJECT_TEXT + _SUBJECT_NUMBERS:
            if c in subjects.columns:
                cols[c] = subjects[c].to_numpy(object if c in _SUBJECT_TEXT else float)
        return cls(cols, subjects.index, subjects)

    def __getitem__(self, name: str) -> np.ndarray:
        return self.cols[name]

    def __len__(self) -> int:
        return len(self.index)

    def feature_source(self) -> pd.DataFrame | Mapping[str, np.ndarray]:
        """What the raw features are read from: the frame when given, else the arrays."""
        return self._frame if self._frame is not None else self.cols

    @property
    def frame(self) -> pd.DataFrame:
        if self._frame is None:
            self._frame = pd.DataFrame(self.cols, index=self.index)
        return self._frame


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


class _Outputs(dict):
    """The outputs of :func:`value_subjects`. The frames that the appraisal itself does not
    read (``pairs``, ``hedonic``, ``breaches``, ``excluded``) are built on first access —
    a frame of a few rows costs ~1 ms, more than the valuation of a card."""

    def __init__(self, data: Mapping[str, Any], lazy: Mapping[str, Any]):
        super().__init__(data)
        self._lazy = dict(lazy)

    def __missing__(self, key: str) -> Any:
        build = self._lazy.pop(key, None)
        if build is None:
            raise KeyError(key)
        value = self[key] = build()
        return value

    def __contains__(self, key: object) -> bool:
        return super().__contains__(key) or key in self._lazy

    def get(self, key: str, default: Any = None) -> Any:
        return self[key] if key in self else default

    def _all(self) -> None:
        for k in list(self._lazy):
            self[k]

    def keys(self):  # type: ignore[override]
        self._all()
        return super().keys()

    def items(self):  # type: ignore[override]
        self._all()
        return super().items()

    def values(self):  # type: ignore[override]
        self._all()
        return super().values()

    def __iter__(self):
        self._all()
        return super().__iter__()

    def __len__(self) -> int:
        return super().__len__() + len(self._lazy)


# --------------------------------------------------------------------------- core
def value_subjects(subjects: pd.DataFrame, *, cases: pd.DataFrame | None = None,
                   comparables: pd.DataFrame | None = None, params: Mapping[str, Any] | None = None,
                   library: LibraryFit | None = None) -> dict[str, Any]:
    """Value subjects in the case schema (see :func:`subjects_from_portfolio`) — the numeric
    path shared by :func:`appraise` and the back-test. Returns ``frame`` (per subject),
    ``pairs`` (per subject × comparable), ``breaches`` (guardrail rows), ``excluded``
    (explicit comparables left out) and ``library`` (the :class:`LibraryFit` or None)."""
    return _value(_Subjects.of_frame(subjects), cases=cases, comparables=comparables, p=resolve_params(params),
                  library=library)


def _value(subjects: _Subjects, *, cases: pd.DataFrame | None, comparables: pd.DataFrame | None,
           p: Mapping[str, Any], library: LibraryFit | None = None) -> _Outputs:
    """:func:`value_subjects` on the subjects' arrays with resolved parameters ``p``."""
    n = len(subjects)
    src = subjects["source"]
    lib_src = src == "library"
    fit = library if library is not None else (
        fit_library(cases, p) if cases is not None and lib_src.any() else None)
    only_synthetic = fit is not None and len(fit.cases) == 0 and fit.n_synthetic_dropped > 0
    if only_synthetic:
        fit = None
    mode = subjects["price_mode"]
    # the subjects' raw features, once for the hedonic model and the neighbour selection
    feats = raw_feature_arrays(subjects.feature_source(), list(p["hedonic_categorical"]),
                               list(p.get("title_keywords") or [])) if fit is not None and n else None
    # hedonic prediction for every subject whose mode has a model
    hed = fit.hedonic.predict_columns(feats if feats is not None else {}, mode, float(p["coverage"])) \
        if fit is not None else None
    hcol = {c: (hed[c] if hed is not None else np.zeros(n, bool) if c == "available" else np.full(n, np.nan))
            for c in ("mean_log", "low", "high", "estimate", "available")}
    # pairs
    beta_exp = np.full(n, np.nan)
    if p["capacity_explicit"] == "elasticity":
        beta_exp = np.array([fit.elasticity(m) if fit is not None else float(p["capacity_elasticity_default"])
                             for m in mode])
    parts: list[dict[str, np.ndarray]] = []
    n_excluded, excluded = 0, pd.DataFrame
    if comparables is not None and len(comparables):
        ep, n_excluded, excluded = _explicit_pairs(subjects, comparables, beta_exp)
        parts.append(ep)
    if fit is not None:
        lp = _library_pairs(subjects, fit, p, feats)
        if lp is not None:
            parts.append(lp)
    priced = np.isin(mode, PRICED_MODES)
    if parts:
        pc = {c: np.concatenate([q[c] for q in parts]) if len(parts) > 1 else parts[0][c] for c in _PAIR_COLUMNS}
        keep = priced[pc["subject"]] & (pc["price"] > 0)
        pc = {c: v[keep] for c, v in pc.items()}
        m = int(keep.sum())
        pc.update(coefficient_columns(pc, m, x5_exclusivity=p["x5_exclusivity"],
                                      x5_evidence_type=p["x5_evidence_type"]))
        groups = Groups(pc["subject"])
        pc["weight"] = pair_weights(pc["subject"], pc["total_adj"], subjects["weighting"][pc["subject"]], groups)
        agg = aggregate_columns(groups, pc["weight"], pc["p_adj"], n)
        synthetic = fit.synthetic_ids() if fit is not None else frozenset()
        real = np.array([c not in synthetic for c in pc["case_id"].tolist()], dtype=bool) if synthetic \
            else np.ones(m, bool)
        n_real = np.bincount(pc["subject"][real], minlength=n)
        pairs_frame = lambda: pd.DataFrame(pc)  # noqa: E731
    else:
        pc = {"subject": np.zeros(0, dtype=np.int64)}
        agg = {c: np.full(n, np.nan) for c in AGGREGATES}
        n_real = np.zeros(n, np.int64)
        pairs_frame = lambda: pd.DataFrame(  # noqa: E731
            columns=["subject", "case_id", "price", "weight", "p_adj", "product", "total_adj"])
    cnt = nan_to_num(agg["n"]).astype(int)
    grid_est = agg["estimate"]
    h_ok = hcol["available"]
    h_est = hcol["estimate"]
    est = grid_est.copy()
    choice = p["library_estimate"]
    if choice == "hedonic":
        est = np.where(lib_src & h_ok, h_est, grid_est)
    elif choice == "blend":
        est = np.where(lib_src & h_ok & np.isfinite(grid_est), np.sqrt(grid_est * h_est), grid_est)
    learned = learned_columns(subjects.feature_source(), subjects["rights_type"], subjects["price_mode"],
                              lib_src & np.isfinite(grid_est), fit.learned) if choice == "learned" \
        and fit is not None else None
    if learned is not None:
        l_ok = np.isfinite(learned["estimate"])
        est = np.where(l_ok, learned["estimate"], np.where(lib_src & h_ok, h_est, grid_est))
    # range
    cov = float(p["coverage"])
    use_h = lib_src & h_ok & np.isfinite(est)
    with np.errstate(invalid="ignore", divide="ignore"):
        ml = hcol["mean_log"]
        lo_h = est * np.exp(np.log(hcol["low"]) - ml)
        hi_h = est * np.exp(np.log(hcol["high"]) - ml)
        dfree = np.maximum(cnt - 1, 1)
        t = stats.t.ppf(0.5 + cov / 2, dfree)
        half = t * nan_to_num(agg["sd_log"]) * np.sqrt(1 + 1 / np.maximum(cnt, 1))
        lo_d, hi_d = est * np.exp(-half), est * np.exp(half)
    low = np.fmin(np.where(use_h, lo_h, lo_d), est)
    high = np.fmax(np.where(use_h, hi_h, hi_d), est)
    basis = np.where(use_h, "hedonic_prediction_interval", "comparable_dispersion").astype(object)
    if learned is not None:
        low, high = np.where(l_ok, learned["low"], low), np.where(l_ok, learned["high"], high)
        basis = np.where(l_ok, "conformal_cv", basis).astype(object)
    # applicability (first reason wins)
    zh = np.full(n, "", dtype=object)
    en = np.full(n, "", dtype=object)

    def na(mask, rz, re_):
        m = np.asarray(mask, bool) & (zh == "")
        zh[m], en[m] = (rz[m] if isinstance(rz, np.ndarray) else rz), (re_[m] if isinstance(re_, np.ndarray) else re_)

    na(mode == "free", "计价方式为免费：没有可比较的价格，市场法不适用",
       "price mode is free: there is no price to compare; the market approach does not apply")
    na(mode == "negotiated", "计价方式为面议：没有可比较的价格，市场法不适用",
       "price mode is negotiated: there is no price to compare; the market approach does not apply")
    na(~np.isin(mode, PRICED_MODES), "计价方式无效", "invalid price mode")
    na(src == "none", "未提供可比案例，也未选择从案例库选取（market.use_library），市场法不适用（第二十三条）",
       "no comparables given and the case library not used (market.use_library): the market approach does not "
       "apply (art. 23)")
    na(lib_src & pd.isna(subjects["rights_type"]),
       "从案例库选取可比案例须给出权利类型（第二十三条：权利类型相同）",
       "selecting comparables from the case library needs the rights type (art. 23: same rights type)")
    na(lib_src & only_synthetic, "案例库中只有合成证据：合成案例仅供演示和测试，不得作为评估结论的依据，市场法不适用"
       "（如仅作演示，可设置 market.demonstration，结果不得作为最终结论）",
       "only synthetic evidence in the case library: synthetic cases are for demonstrations and tests and never "
       "support a conclusion, so the market approach does not apply (set market.demonstration for a demonstration; "
       "the result is then not final)")
    na(lib_src & (fit is None), "案例库为空，无法选取可比案例", "the case library is empty: no comparables can be selected")
    refuse = int(p["refuse_below"])
    few = cnt < refuse
    if few.any():
        rz = np.array([f"权利类型、计价方式和计价单位相同的可比案例仅 {c} 个，少于 {refuse} 个，市场法不适用（第二十三条：适当数量的可比案例）"
                       for c in cnt], dtype=object)
        re_ = np.array([f"only {c} comparable(s) of the same rights type, price mode and unit — fewer than {refuse}: "
                        "the market approach does not apply (art. 23: an appropriate number of comparables)"
                        for c in cnt], dtype=object)
        na(few, rz, re_)
    app = zh == ""
    f = lambda x: np.where(app, x, np.nan)
    h_ok = h_ok & app & lib_src
    cols = {
        "estimate": f(est), "low": f(low), "high": f(high), "applicable": app,
        "reason_zh": zh, "reason_en": en,
        "n_comparables": cnt, "spread": f(agg["spread"]),
        "n_real_comparables": np.where(app, n_real, 0).astype(np.int64),
        "n_synthetic_comparables": np.where(app, cnt - np.minimum(n_real, cnt), 0).astype(np.int64),
        "learned_model": np.where(app & (learned["estimate"] == learned["estimate"]), learned["model"], "")
        if learned is not None else np.full(n, "", dtype=object),
        # cases behind the out-of-fold residuals that calibrate a conformal range
        "conformal_n": np.where(app & (basis == "conformal_cv"), learned["n"], 0).astype(np.int64)
        if learned is not None else np.zeros(n, np.int64),
        "weighting": subjects["weighting"],
        "hedonic_estimate": np.where(h_ok, h_est, np.nan),
        "hedonic_low": np.where(h_ok, hcol["low"], np.nan),
        "hedonic_high": np.where(h_ok, hcol["high"], np.nan),
        "grid_estimate": f(grid_est), "range_basis": np.where(app, basis, ""),
        "comparables_source": src, "price_mode": mode,
        "price_unit": np.array([PRICE_UNITS.get(m, "") if isinstance(m, str) else "" for m in mode], dtype=object),
    }
    frame = frame_of_arrays(cols, subjects.index)   # = pd.DataFrame(cols, index=...), text converted at once
    bands = (tuple(p["coefficient_band"]), tuple(p["product_band"]))

    def hedonic_frame() -> pd.DataFrame:
        return pd.DataFrame(hed, index=subjects.index) if hed is not None else pd.DataFrame(
            {"mean_log": np.nan, "sd_pred": np.nan, "low": np.nan, "high": np.nan, "estimate": np.nan,
             "available": False}, index=subjects.index)

    def breaches() -> pd.DataFrame:
        if len(pc["subject"]):
            return band_flags(pairs_frame(), *bands)
        return band_flags(pd.DataFrame({k: [] for k in ("subject", "case_id", *COEFFICIENTS, "product")}), *bands)

    return _Outputs(
        {"frame": frame, "library": fit, "params": p, "min_comparables": subjects["min_comparables"],
         # the arrays behind the frames, for the warnings and traces
         "_pairs": pc, "_n_excluded": n_excluded, "_bands": bands,
         # (text columns hold text only, so their cells are the frame's: Python str)
         "_cols": cols},
        {"pairs": pairs_frame, "hedonic": hedonic_frame, "breaches": breaches,
         "excluded": excluded})


# --------------------------------------------------------------------------- warnings
def _w(code: str, zh: str, en: str, severity: str = "warning", **values: Any) -> dict[str, Any]:
    return {"code": code, "severity": severity, "message_zh": zh, "message_en": en,
            "references": list(REF["references"]), "values": values}


def _warnings(ids: pd.Index, out: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    ids = ids.tolist()      # element access on an Arrow-backed Index costs ~15 µs a call
    fr, pc, p = out["_cols"], out["_pairs"], out["params"]     # the arrays behind the frames
    app = fr["applicable"]
    res: dict[str, list[dict[str, Any]]] = {}
    cnt = fr["n_comparables"]
    mc = out["min_comparables"]
    for i in np.flatnonzero(app & (cnt < mc)):
        res.setdefault(ids[i], []).append(_w(
            "MARKET_FEW_COMPARABLES",
            f"可比案例仅 {cnt[i]} 个，少于建议的 {int(mc[i])} 个；结论可靠性较低（第二十三条：适当数量）",
            f"only {cnt[i]} comparables, fewer than the recommended {int(mc[i])}; the conclusion is less reliable "
            "(art. 23: an appropriate number)", n=int(cnt[i]), minimum=int(mc[i])))
    br = band_columns(pc, *out["_bands"]) if len(pc["subject"]) else None
    if br is not None:
        keep = app[br["subject"].astype(int)]
        br = {k: v[keep] for k, v in br.items()} if keep.any() else None
    if br is not None:
        # one warning per asset and kind, listing every breach with its number
        # the texts as Python strings (pandas' string pipeline cost ~10 ms an appraisal)
        coef_all = br["coefficient"].tolist()
        is_prod = np.array([c == "product" for c in coef_all], dtype=bool)
        lab_zh = {k: f"{k.upper()} {v[0]}" for k, v in COEFFICIENT_LABELS.items()}
        lab_en = {k: f"{k.upper()} {v[1]}" for k, v in COEFFICIENT_LABELS.items()}
        case_s = [str(x) for x in br["case_id"].tolist()]
        val = [f"{x:.4f}" for x in br["value"].tolist()]
        txt_zh = np.array([c + " ΠX = " + v if pr else c + " " + lab_zh.get(k, "") + " = " + v
                           for c, k, v, pr in zip(case_s, coef_all, val, is_prod.tolist())], dtype=object)
        txt_en = np.array([c + " ΠX = " + v if pr else c + " " + lab_en.get(k, "") + " = " + v
                           for c, k, v, pr in zip(case_s, coef_all, val, is_prod.tolist())], dtype=object)
        # group by (subject, kind) with one stable sort and slice boundaries: pandas' groupby
        # with Python aggregations cost ~10 s per 50,000 assets in batch runs
        subj = br["subject"].astype(int)
        order = np.lexsort((is_prod, subj))
        key = subj[order] * 2 + is_prod[order]
        starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
        ends = np.r_[starts[1:], len(key)]
        zh_l, en_l = txt_zh[order].tolist(), txt_en[order].tolist()
        case_l = br["case_id"][order].tolist()
        coef_l = br["coefficient"][order].tolist()
        val_l = br["value"][order].tolist()
        low_l, high_l = br["low"][order].tolist(), br["high"][order].tolist()
        subj_l, prod_l = subj[order].tolist(), is_prod[order].tolist()
        for a, b in zip(starts.tolist(), ends.tolist()):
            lo, hi = low_l[a], high_l[a]
            if prod_l[a]:
                res.setdefault(ids[subj_l[a]], []).append(_w(
                    "MARKET_PRODUCT_BAND",
                    f"修正系数连乘积超出 [{lo:.2f}, {hi:.2f}]（案例与评估对象差异过大）：{'；'.join(zh_l[a:b])}",
                    f"product of coefficients outside [{lo:.2f}, {hi:.2f}] (the case differs too much "
                    f"from the subject): {'; '.join(en_l[a:b])}", cases=case_l[a:b], values=val_l[a:b],
                    low=lo, high=hi))
            else:
                res.setdefault(ids[subj_l[a]], []).append(_w(
                    "MARKET_COEFFICIENT_BAND",
                    f"单项修正系数超出 [{lo:.2f}, {hi:.2f}]：{'；'.join(zh_l[a:b])}",
                    f"single coefficient(s) outside [{lo:.2f}, {hi:.2f}]: {'; '.join(en_l[a:b])}",
                    cases=case_l[a:b], coefficients=coef_l[a:b], values=val_l[a:b], low=lo, high=hi))
    lim = float(p["spread_max"])
    sp = fr["spread"]
    for i in np.flatnonzero(app & (sp > lim + 1e-12)):
        res.setdefault(ids[i], []).append(_w(
            "MARKET_SPREAD",
            f"调整后价格离散度 max(P_i)/min(P_i) = {sp[i]:.4f}，超过 {lim:.2f}：可比案例之间差异较大，请复核案例选择与修正",
            f"spread of adjusted prices max(P_i)/min(P_i) = {sp[i]:.4f} exceeds {lim:.2f}: the comparables disagree; "
            "review their selection and adjustment", spread=float(sp[i]), limit=lim))
    ex = out["excluded"] if out["_n_excluded"] else ()
    if len(ex):
        for s, g in ex.groupby("subject"):
            cid = ", ".join(str(x) for x in g.get("case_id", pd.Series(dtype=str)).fillna("?"))
            res.setdefault(ids[int(s)], []).append(_w(
                "MARKET_COMPARABLES_EXCLUDED",
                f"{len(g)} 个可比案例的计价方式或权利类型与评估对象不同，已剔除（不同单位的价格不混用）：{cid}",
                f"{len(g)} comparable(s) with another price mode or rights type were left out (prices in different "
                f"units are never mixed): {cid}", n=len(g), cases=cid))
    if len(pc["subject"]):
        listing = pc["evidence"] == "listing"
        for s in np.unique(pc["subject"][listing]):
            if app[s] and p["subject_evidence"] != "listing":
                lvl = p["x5_evidence_type"]
                res.setdefault(ids[int(s)], []).append(_w(
                    "MARKET_LISTING_EVIDENCE",
                    f"部分可比案例为挂牌价（非成交价），已按谈判折扣 {lvl.get(p['subject_evidence'], 1.0) / lvl.get('listing', 1.0):.2f} 修正（X5）",
                    f"some comparables are listing prices, not deals; adjusted by the negotiation discount "
                    f"{lvl.get(p['subject_evidence'], 1.0) / lvl.get('listing', 1.0):.2f} (X5)", severity="info"))
    lib = (fr["comparables_source"] == "library") & app & np.isnan(fr["hedonic_estimate"])
    for i in np.flatnonzero(lib):
        res.setdefault(ids[i], []).append(_w(
            "MARKET_HEDONIC_UNAVAILABLE",
            "该计价方式的案例不足以估计特征价格模型，区间按可比案例离散度计算",
            "too few cases of this price mode for the hedonic model; the range comes from the comparables' dispersion",
            severity="info"))
    return res


# --------------------------------------------------------------------------- traces
def _traces(ids: pd.Index, out: dict[str, Any]) -> dict[str, list]:
    # columns are converted once and each subject's pairs are a slice of one stable sort:
    # a row Series and a group DataFrame per asset cost ~2 ms an asset in explained batches.
    # Element types are kept as before (frame cells as numpy scalars, pair values as Python
    # objects), so the steps are the same values.
    # The frame's columns are read from the arrays it was built from: the same cells (numbers
    # as numpy scalars, text as Python str — the text columns hold no missing values).
    fr, pairs, p = out["_cols"], out["_pairs"], out["params"]
    ids = ids.tolist()
    res: dict[str, list] = {}
    col = {c: fr[c] for c in ("comparables_source", "price_mode", "price_unit", "n_comparables", "weighting",
                              "grid_estimate", "hedonic_estimate", "hedonic_low", "hedonic_high", "range_basis",
                              "spread", "low", "high", "estimate")}
    npairs = len(pairs["subject"])
    if npairs:
        subj = pairs["subject"].astype(int)
        order = np.argsort(subj, kind="stable")
        sorted_subj = subj[order]
        pc = {c: pairs[c][order] for c in ("case_id", "price", "x1", "x2", "x3", "x4", "x5",
                                           "product", "weight", "p_adj")}
        # rounded once for all pairs (elementwise: each slice is what rounding it gives) and
        # every traced subject's slice bounds by one search: a few numpy calls an asset less
        dist_r = np.round(pairs["distance"][order], 4)
        weight_r = np.round(pc["weight"].astype(float), 6)
    traced = np.flatnonzero(fr["applicable"])
    if npairs:
        bounds = np.searchsorted(sorted_subj, np.stack([traced, traced + 1], axis=1)).tolist()
    for i, (a, b) in zip(traced, bounds if npairs else [(0, 0)] * len(traced)):
        aid = ids[i]
        r = {c: v[i] for c, v in col.items()}
        g = {c: v[a:b].tolist() for c, v in pc.items()} if npairs else {c: [] for c in ("case_id", "weight")}
        steps = [step("comparables", "可比案例选取", "comparable selection",
                      "same rights type, price mode and unit; k nearest neighbours" if r["comparables_source"] == "library"
                      else "comparables given on the card",
                      {"source": r["comparables_source"], "price_mode": r["price_mode"], "price_unit": r["price_unit"],
                       "cases": g["case_id"], "distance": dist_r[a:b].tolist() if npairs else []},
                      int(r["n_comparables"]), CLAUSES, unit="count")]
        for k in range(b - a):
            cid = g["case_id"][k]
            steps.append(step(f"comparable_{cid}", f"案例 {cid} 修正后价格", f"adjusted price of case {cid}",
                              "P_i = Q_i × X1 × X2 × X3 × X4 × X5",
                              {"Q_i": g["price"][k], "X1": g["x1"][k], "X2": g["x2"][k], "X3": g["x3"][k],
                               "X4": g["x4"][k], "X5": g["x5"][k], "product": g["product"][k],
                               "weight": g["weight"][k]}, g["p_adj"][k], CLAUSES, unit="CNY"))
        steps.append(step("market_value", "市场法评估值", "market approach value", "P = Σ w_i × P_i",
                          {"weighting": r["weighting"],
                           "weights": weight_r[a:b].tolist() if b > a else []},
                          r["grid_estimate"], CLAUSES, unit=r["price_unit"]))
        if np.isfinite(r["hedonic_estimate"]):
            steps.append(step("hedonic", "特征价格模型估计", "hedonic model estimate",
                              "ln P = x'β;  80 % PI = ŷ ± t √(x'Σx + σ²)",
                              {"low": r["hedonic_low"], "high": r["hedonic_high"]}, r["hedonic_estimate"],
                              CLAUSES, unit=r["price_unit"]))
        steps.append(step("range", "区间", "range",
                          "hedonic prediction interval re-centred on P" if r["range_basis"] == "hedonic_prediction_interval"
                          else "P × exp(∓ t_{n−1} s_ln √(1 + 1/n))",
                          {"basis": r["range_basis"], "coverage": float(p["coverage"]), "spread": r["spread"]},
                          [r["low"], r["high"]], CLAUSES, unit=r["price_unit"]))
        steps.append(step("estimate", "市场法结论", "market approach conclusion", "estimate", {}, r["estimate"],
                          CLAUSES, unit=r["price_unit"]))
        res[aid] = steps
    return res


# --------------------------------------------------------------------------- appraise
def appraise(pf, params: Mapping[str, Any] | None = None, *, trace: bool = False,
             cases: pd.DataFrame | None = None) -> MethodResult:
    """Market approach for every asset of ``pf`` (see the module docstring).

    Parameters
    ----------
    pf : Portfolio
    params : flat overrides of ``models/market_grid.yaml`` / ``market_hedonic.yaml`` parameters,
        or ``{"models": {...}}`` from a library snapshot.
    trace : add per-asset calculation steps (CAS2023.art23, CAS2023.annex.market).
    cases : the case library as a DataFrame in the case schema (``valuation.library.cases``).

    Returns
    -------
    MethodResult ``"market"`` with extra columns ``n_comparables``, ``spread``, ``weighting``,
    ``hedonic_estimate``, ``hedonic_low``, ``hedonic_high``, ``grid_estimate``, ``range_basis``,
    ``comparables_source``, ``price_mode``, ``price_unit``; warnings per asset.
    """
    demo = _flag(pf.assets, "market_demonstration")
    if demo.any() and not demo.all():   # an asset's result never depends on its portfolio
        ids = pf.index
        a = appraise(pf.subset(ids[~demo]), params, trace=trace, cases=cases)
        b = appraise(pf.subset(ids[demo]), params, trace=trace, cases=cases)
        fr = pd.concat([a.frame, b.frame]).reindex(ids)
        return MethodResult("market", fr, {**a.traces, **b.traces}, b.params,
                            LazyWarnings(lambda: {**dict(a.warnings), **dict(b.warnings)}))
    p = {**resolve_params(params), "allow_synthetic": bool(len(demo) and demo.all())}
    subjects = _Subjects(_subject_columns(pf, p), pf.assets.index)
    comps = _comparables(pf)
    out = _value(subjects, cases=cases, comparables=comps, p=p)
    ids = pf.index
    fr = out["frame"]
    fr.index = ids
    warnings = LazyWarnings(lambda: _warnings(ids, out))
    traces = _traces(ids, out) if trace else {}
    used = {k: v for k, v in p.items() if k not in ("title_keywords",)}
    return MethodResult("market", fr, traces, used, warnings)
