"""The market approach's outputs as frames, built when read (the pandas edge of :mod:`.value`):
the result frame, the pairs (subject × comparable), the hedonic predictions, the guardrail
breaches and the explicit comparables left out; :func:`value_subjects`, the back-test's entry
over subjects in the case schema (CAS 2023 art. 23; docs/DOMAIN.md §4).
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from ...core.portfolio import frame_of_arrays
from .fit import LibraryFit
from .grid import COEFFICIENTS, band_flags
from .inputs import _Subjects
from .params import resolve_params

__all__ = ["lazy_frames", "missing_text", "no_frame", "value_subjects"]


def no_frame() -> pd.DataFrame:
    """An empty frame (no explicit comparables left out)."""
    return pd.DataFrame()


def missing_text(x: np.ndarray) -> np.ndarray:
    """``pd.isna`` of a text array (None, NaN, pd.NA, NaT are missing; "" is not)."""
    return np.asarray(pd.isna(x), dtype=bool)


def lazy_frames(index: pd.Index, cols: Mapping[str, Any], pc: Mapping[str, np.ndarray], hed: Any,
                bands: tuple[Any, Any], excluded: Callable[[], pd.DataFrame]) -> dict[str, Callable[[], Any]]:
    """Builders of the frames of :func:`value_subjects` (a frame of a few rows costs ~1 ms, more
    than the valuation of a card, and the appraisal reads none of them)."""
    def pairs_frame() -> pd.DataFrame:
        if "case_id" in pc:      # pairs were formed (possibly none kept)
            return pd.DataFrame(pc)
        return pd.DataFrame(columns=["subject", "case_id", "price", "weight", "p_adj", "product", "total_adj"])

    def hedonic_frame() -> pd.DataFrame:
        return pd.DataFrame(hed, index=index) if hed is not None else pd.DataFrame(
            {"mean_log": np.nan, "sd_pred": np.nan, "low": np.nan, "high": np.nan, "estimate": np.nan,
             "available": False}, index=index)

    def breaches() -> pd.DataFrame:
        if len(pc["subject"]):
            return band_flags(pairs_frame(), *bands)
        return band_flags(pd.DataFrame({k: [] for k in ("subject", "case_id", *COEFFICIENTS, "product")}), *bands)

    # the result frame = pd.DataFrame(cols, index=...), text converted at once
    return {"frame": lambda: frame_of_arrays(cols, index), "pairs": pairs_frame, "hedonic": hedonic_frame,
            "breaches": breaches, "excluded": excluded}


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



def value_subjects(subjects: pd.DataFrame, *, cases: pd.DataFrame | None = None,
                   comparables: pd.DataFrame | None = None, params: Mapping[str, Any] | None = None,
                   library: LibraryFit | None = None) -> dict[str, Any]:
    """Value subjects in the case schema (see :func:`subjects_from_portfolio`) — the numeric
    path shared by :func:`appraise` and the back-test. Returns ``frame`` (per subject),
    ``pairs`` (per subject × comparable), ``breaches`` (guardrail rows), ``excluded``
    (explicit comparables left out) and ``library`` (the :class:`LibraryFit` or None)."""
    from .value import _value

    return _value(_Subjects.of_frame(subjects), cases=cases, comparables=comparables, p=resolve_params(params),
                  library=library)
