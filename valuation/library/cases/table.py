"""The case library as typed arrays — the pandas edge of the market approach (issue 20).

A case frame (:func:`valuation.library.cases.cases_frame`: a library snapshot's cases, an
import, a back-test's subjects) is converted here, in the library layer where the frame is
made, ONCE into a frozen :class:`CaseTable` that the market approach
(``valuation.methods.market``, which imports no pandas) reads:

=====================  ==========================  ==========================================
column kind            array                       missing
=====================  ==========================  ==========================================
number (price …)       ``float64``                 ``NaN``
text (mode, unit …)    ``object`` of ``str``       ``None`` — the asset table's convention
                                                   (:mod:`valuation.core.columns`; never
                                                   ``""``, never ``NaN``)
``date``               ``datetime64[D]``           ``NaT``
=====================  ==========================  ==========================================

Selection, pairs, the grid, the hedonic model, the nearest neighbours and the learned model
read these arrays; the pandas here is the conversion (and the content hash that keys the cache
of prepared libraries). docs/DOMAIN.md §4.4 (the case schema); CAS 2023 art. 23.
"""
from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["CaseTable", "case_table", "content_key", "frame_guard", "parse_dates", "subject_columns"]

_ISO_DATE = re.compile(r"[1-9][0-9]{3}-[0-9]{2}-[0-9]{2}", re.ASCII)


def _readonly(a: np.ndarray) -> np.ndarray:
    a.flags.writeable = False
    return a


@dataclass(frozen=True, eq=False)
class CaseTable:
    """Cases × fields as ``{column: ndarray}`` (see the module docstring for the types)."""

    columns: Mapping[str, np.ndarray]

    def __post_init__(self) -> None:
        object.__setattr__(self, "columns", MappingProxyType({k: _readonly(v) for k, v in self.columns.items()}))

    def __len__(self) -> int:
        return len(next(iter(self.columns.values()))) if self.columns else 0

    def __getitem__(self, name: str) -> np.ndarray:
        return self.columns[name]

    def __contains__(self, name: object) -> bool:
        return name in self.columns

    def get(self, name: str, default: Any = None) -> Any:
        return self.columns.get(name, default)

    def keys(self) -> Any:
        return self.columns.keys()

    def values(self) -> Any:
        return self.columns.values()

    def items(self) -> Any:
        return self.columns.items()

    def take(self, rows: np.ndarray) -> CaseTable:
        """The cases of the given positions (or boolean mask), in that order."""
        idx = np.asarray(rows)
        return CaseTable({k: v[idx] for k, v in self.columns.items()})


def _text(values: Sequence[Any]) -> np.ndarray:
    """Text with one missing convention: None for None, NaN, pd.NA and empty text."""
    out = np.empty(len(values), dtype=object)
    out[:] = [x if type(x) is str and x else None if x is None or x is pd.NA or x != x or x == "" else str(x)
              for x in values]
    return out


def parse_dates(values: Sequence[Any]) -> np.ndarray:
    """``datetime64[D]`` of text dates (NaT where missing or invalid): numpy's own parse when
    every value is a valid ``YYYY-MM-DD`` (the case schema's form), else
    ``pd.to_datetime(values, errors="coerce")`` of the whole column, floored to the day."""
    vals = list(values)
    if vals and all(type(x) is str and _ISO_DATE.fullmatch(x) for x in vals):
        try:
            return np.array(vals, dtype="datetime64[D]")
        except ValueError:      # e.g. 2024-02-30: invalid, NaT as pandas makes it
            pass
    if not vals:
        return np.zeros(0, dtype="datetime64[D]")
    parsed = pd.to_datetime(pd.Series(_text(vals), dtype=object), errors="coerce")
    return parsed.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]")


def _column(s: pd.Series, name: str) -> np.ndarray:
    if name == "date":
        return parse_dates(s.to_numpy(dtype=object).tolist())
    if s.dtype.kind in "fiub":
        return s.to_numpy(dtype=float, na_value=np.nan).copy()
    return _text(s.to_numpy(dtype=object).tolist())


def case_table(frame: pd.DataFrame) -> CaseTable:
    """The table of a case frame (typed by :func:`~valuation.library.cases.cases_frame`:
    numbers float, text "str"); every column converted."""
    return CaseTable({str(c): _column(frame[c], str(c)) for c in frame.columns})


def subject_columns(subjects: Any) -> tuple[dict[str, np.ndarray], Any]:
    """(columns, index) of a frame of subjects in the case schema (the back-test's, and
    ``methods.market.outputs.value_subjects``'): the same conversion as the cases'."""
    return {str(c): _column(subjects[c], str(c)) for c in subjects.columns}, subjects.index


def content_key(frame: pd.DataFrame, params: Mapping[str, Any]) -> str:
    """A hash of a case frame's content and the parameters (the prepared library's cache key)."""
    h = hashlib.sha256()
    h.update(pd.util.hash_pandas_object(frame.astype(str), index=False).to_numpy().tobytes())
    h.update(repr(sorted((k, repr(v)) for k, v in params.items())).encode())
    return h.hexdigest()


def frame_guard(cases: Any) -> tuple[Any, ...] | None:
    """(shape, columns) of a case frame — the guard of the remembered key of a frame object
    (``methods.market.fit.fit_library``); None for anything else."""
    return (cases.shape, tuple(cases.columns)) if isinstance(cases, pd.DataFrame) else None
