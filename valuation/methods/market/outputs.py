"""The market approach's outputs, built when read (the edge of :mod:`.value`): the result
frame (through :func:`valuation.core.frames.frame_of_arrays`, the core's pandas edge), and as
columns the pairs (subject × comparable), the hedonic predictions, the guardrail breaches and
the explicit comparables left out; :func:`value_subjects`, the back-test's entry over subjects
in the case schema (CAS 2023 art. 23; docs/DOMAIN.md §4).
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from ...core.portfolio import frame_of_arrays
from ...core.ragged import Ragged
from .fit import LibraryFit
from .grid import BREACH_COLUMNS, band_columns
from .inputs import _COMPARABLES, _Subjects, comparables_of
from .params import resolve_params

__all__ = ["lazy_outputs", "value_subjects"]

_EMPTY_PAIRS = ("subject", "case_id", "price", "weight", "p_adj", "product", "total_adj")
_HEDONIC = ("mean_log", "sd_pred", "low", "high", "estimate", "available")


def lazy_outputs(index: Any, cols: Mapping[str, Any], pc: Mapping[str, np.ndarray], hed: Any,
                 bands: tuple[Any, Any], excluded: Callable[[], Mapping[str, np.ndarray]]
                 ) -> dict[str, Callable[[], Any]]:
    """Builders of the outputs of :func:`value_subjects` that the appraisal itself does not read
    (a frame of a few rows costs more than the valuation of a card): ``frame``, and the
    columns of ``pairs``, ``hedonic``, ``breaches`` (one row per band breach) and ``excluded``."""
    n = len(index)

    def pairs() -> dict[str, np.ndarray]:
        if "case_id" in pc:      # pairs were formed (possibly none kept)
            return dict(pc)
        return {c: np.zeros(0) for c in _EMPTY_PAIRS}

    def hedonic() -> dict[str, np.ndarray]:
        if hed is not None:
            return dict(hed)
        return {c: np.zeros(n, bool) if c == "available" else np.full(n, np.nan) for c in _HEDONIC}

    def breaches() -> dict[str, np.ndarray]:
        got = band_columns(pc, *bands) if len(pc["subject"]) else None
        return got if got is not None else {c: np.zeros(0) for c in BREACH_COLUMNS}

    return {"frame": lambda: frame_of_arrays(cols, index), "pairs": pairs, "hedonic": hedonic,
            "breaches": breaches, "excluded": excluded}


class _Outputs(dict):
    """The outputs of :func:`value_subjects`. The frames that the appraisal itself does not
    read (``pairs``, ``hedonic``, ``breaches``, ``excluded``) are built on first access —
    a frame of a few rows costs more than the valuation of a card."""

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



def value_subjects(subjects: Any, *, cases: Any = None, comparables: Any = None,
                   params: Mapping[str, Any] | None = None, library: LibraryFit | None = None) -> dict[str, Any]:
    """Value subjects given as a frame in the case schema (the back-test's) — the numeric path
    of :func:`~.approach.appraise`. ``cases``: a case frame; ``comparables``: a
    ``market.comparables`` records frame (``asset_id`` = the subjects' index; read grouped by
    subject, the given order within a subject). Returns
    ``frame`` (per subject), the columns of ``pairs`` (per subject × comparable),
    ``breaches`` (guardrail rows), ``excluded`` (explicit comparables left out) and
    ``library`` (the :class:`LibraryFit` or None)."""
    from .value import _value

    subj = _Subjects.of_frame(subjects)
    items = None
    if comparables is not None and len(comparables):
        ids = np.array([str(x) for x in subj.index.tolist()], dtype=object)
        items = Ragged.from_frame(_COMPARABLES, comparables, ids)     # (grouped by subject)
    return _value(subj, cases=cases, comparables=comparables_of(items), p=resolve_params(params),
                  library=library)
