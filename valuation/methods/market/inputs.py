"""What the market approach reads from a portfolio: the subjects in the case schema, as arrays
(:class:`_Subjects`), and the card's explicit comparables — the pandas edge of the approach
(CAS 2023 art. 23; docs/DOMAIN.md §4). Missing text is NaN here (the case schema's convention).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ...core.portfolio import column_list, column_values
from ..base import nan_to_num

__all__ = ["MarketInputs", "market_inputs", "subjects_from_portfolio"]


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




@dataclass(frozen=True, eq=False)
class MarketInputs:
    """The market approach's reads of a portfolio: the subjects as arrays, the card's explicit
    comparables (a records table, or None), and whether every asset is a demonstration
    (``market.demonstration``: synthetic cases may then stand behind the value, never final)."""

    subjects: _Subjects
    comparables: pd.DataFrame | None
    allow_synthetic: bool


def market_inputs(pf, params: Mapping[str, Any]) -> MarketInputs:
    """Read the portfolio for the market approach (``params``: the resolved parameters)."""
    demo = _flag(pf.assets, "market_demonstration")
    return MarketInputs(_Subjects(_subject_columns(pf, params), pf.assets.index), _comparables(pf),
                        bool(len(demo) and demo.all()))
