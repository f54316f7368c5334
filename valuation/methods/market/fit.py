"""The case library prepared once per content and parameters (:class:`LibraryFit`): priced,
real-only cases (synthetic only for a demonstration), the hedonic model, the learned models
per group, per-mode growth and elasticity (CAS 2023 art. 23; docs/DOMAIN.md §4).
"""
from __future__ import annotations

import weakref
from collections import OrderedDict
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from ...library.cases import cases_frame, priced_cases
from ...library.cases.table import CaseTable, case_table, content_key, frame_guard
from .features import raw_feature_arrays
from .hedonic import HedonicModel
from .params import resolve_params

if TYPE_CHECKING:   # (scikit-learn behind it: imported on the first learned fit, see learned())
    from .learned import LearnedModel

__all__ = ["LibraryFit", "fit_library"]


# --------------------------------------------------------------------------- library fit (cached)
class LibraryFit:
    """The case library prepared once: the priced cases as a :class:`~valuation.library.cases.table.CaseTable`
    (:attr:`table`) and the hedonic model.

    What a call reads of the cases is derived here once (the fit is cached by the library's
    content, so an edited library gets its own): the columns of the pairs (:attr:`table`),
    the cases' dates as days (``table["date"]``), their raw features (:meth:`features`), each
    price mode's growth and elasticity."""

    def __init__(self, cases: Any, params: Mapping[str, Any]):
        c = priced_cases(cases)
        t = case_table(c)
        real = t["provenance"] == "real"
        # honest evidence (issue 16): synthetic cases never stand behind a conclusion unless
        # the engagement is an explicit demonstration (``allow_synthetic``)
        self.n_synthetic = int((~real).sum())
        self.n_synthetic_dropped = 0 if params.get("allow_synthetic") else self.n_synthetic
        if self.n_synthetic_dropped:
            t = t.take(np.flatnonzero(real))
        self.table: CaseTable = t
        self.hedonic = HedonicModel(params).fit(t)
        self._learned: dict[tuple[Any, Any], LearnedModel | None] = {}
        self.params = params
        self.select_cache: dict[Any, Any] = {}   # case-side work of the selection, done once
        self._per_mode: dict[tuple[str, Any], float] = {}
        self._features: dict[str, dict[str, np.ndarray]] = {}

    def __len__(self) -> int:
        return len(self.table)

    def features(self, categorical: list[str], keywords: list[Any]) -> dict[str, np.ndarray]:
        """The cases' raw features (:func:`.features.raw_feature_arrays`), computed once."""
        key = repr((categorical, keywords))
        got = self._features.get(key)
        if got is None:
            got = self._features[key] = raw_feature_arrays(self.table, categorical, keywords)
        return got

    def learned(self, rights_type: Any, mode: Any) -> LearnedModel | None:
        """The per-mode learned model of a (rights type, price mode) group, fitted on first use
        (:mod:`.learned`; None when the group has too few cases)."""
        key = (rights_type, mode)
        if key not in self._learned:
            t = self.table
            g = t.take((t["rights_type"] == rights_type) & (t["price_mode"] == mode))
            # here, not at the top: scikit-learn is slow to import and only the learned
            # model (``library_estimate = learned``) uses it
            from .learned import fit_learned
            self._learned[key] = fit_learned(g, coverage=float(self.params["coverage"]))
        return self._learned[key]

    def synthetic_ids(self) -> frozenset:
        """Ids of the synthetic cases in this fit (empty unless ``allow_synthetic``)."""
        if not hasattr(self, "_synthetic_ids"):
            t = self.table
            self._synthetic_ids = frozenset(t["case_id"][t["provenance"] != "real"].tolist())
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
            t = self.table
            sel = (t["price_mode"] == mode) & ~np.isnan(t["records"])
            if sel.sum() >= 10 and len(np.unique(t["records"][sel])) > 1:
                x = np.log(t["records"][sel])
                y = np.log(t["price"][sel])
                b = float(np.polyfit(x, y, 1)[0])
            else:
                b = float(self.params["capacity_elasticity_default"])
        return float(np.clip(b, lo, hi))


_FITS: OrderedDict[str, LibraryFit] = OrderedDict()


# The frame object → its content key, so that the same (immutable) case frame of a library
# snapshot handed in on every call is not coerced and hashed again each time (every cell).
_KEYS_BY_FRAME: dict[tuple[int, str], tuple[weakref.ref, tuple[Any, ...], str]] = {}


def fit_library(cases: Any, params: Mapping[str, Any] | None = None) -> LibraryFit | None:
    """The prepared library (cached by content and parameters; 8 entries).

    A case frame is treated as immutable once handed in (snapshots are frozen): the content
    key of a frame object is remembered while the object lives, with its shape and columns
    as a guard; a different frame object is hashed afresh."""
    if cases is None:
        return None
    p = resolve_params(params) if params is None or "hedonic_categorical" not in params else params
    # the subjects' quality library does not enter the fit (cases carry their own scores)
    pkey = repr(sorted((k, repr(v)) for k, v in p.items() if k != "quality_library"))
    shape = frame_guard(cases)
    memo = _KEYS_BY_FRAME.get((id(cases), pkey)) if shape is not None else None
    key = memo[2] if memo is not None and memo[0]() is cases and memo[1] == shape else None
    fit = _FITS.get(key) if key is not None else None
    if fit is not None:
        _FITS.move_to_end(key)
        return fit
    c = cases_frame(cases)
    key = content_key(c, p)
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


