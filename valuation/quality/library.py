"""What quality scoring takes from the indicators library (指标库) of a library snapshot.

The seed entries (``valuation/library/seed/indicators.yaml``) hold the engineering defaults
(ENG.default): six dimension weights of 1/6, equal sub-indicator weights inside a dimension,
the linear scale and the piecewise bands of docs/DOMAIN.md §5.3 step 1. An appraiser may replace
them in the library (CAS 2023 art. 17: the weighting method is chosen and recorded by the
appraiser); a new active version changes the snapshot id, and appraisals on that snapshot use
the new weights — the run records which.

Dimension weights are used relative to each other (divided by their sum unless they already
sum to 1 within 1e-9): editing the six entries one at a time must never leave the library
unusable in between. The weights
actually used appear in every result (``w_<dimension>`` of the quality details).
"""
from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..core.errors import RefusedError
from .catalog import (
    DEFAULT_DIMENSION_WEIGHTS,
    DIMENSIONS,
    INDICATORS,
    PIECEWISE_BANDS,
    Indicator,
    catalog_from_entries,
)

__all__ = ["DEFAULT_QUALITY_LIBRARY", "QualityLibrary", "quality_library", "validate_indicator_entry"]

SCALES = ("linear", "piecewise")


@dataclass(frozen=True)
class QualityLibrary:
    """Dimension weights (order :data:`DIMENSIONS`), sub-indicator catalogue, piecewise bands
    ``((lower bound of X', score), ...)`` and the default scoring scale."""

    dimension_weights: np.ndarray = field(default_factory=lambda: DEFAULT_DIMENSION_WEIGHTS.copy())
    catalog: Mapping[str, Indicator] = field(default_factory=lambda: dict(INDICATORS))
    bands: tuple[tuple[float, float], ...] = PIECEWISE_BANDS
    scale: str = "linear"


DEFAULT_QUALITY_LIBRARY = QualityLibrary()


def _refuse(entry_id: str, name: str, value: Any, allowed: str) -> RefusedError:
    return RefusedError(f"指标库条目 {entry_id} 的 {name} 值 {value!r} 无效，允许：{allowed}",
                        f"indicators library entry {entry_id}: {name} = {value!r} is not allowed; "
                        f"allowed: {allowed}", field=f"indicators.{entry_id}.{name}", value=value,
                        allowed=allowed)


def _weight(e: Mapping[str, Any]) -> float:
    w = e.get("weight")
    try:
        x = float(w)
    except (TypeError, ValueError):
        raise _refuse(str(e.get("id")), "weight", w, "a number ≥ 0") from None
    if not np.isfinite(x) or x < 0:
        raise _refuse(str(e.get("id")), "weight", w, "a number ≥ 0")
    return x


def _bands(e: Mapping[str, Any]) -> tuple[tuple[float, float], ...]:
    raw = e.get("bands")
    allowed = "a list of {min: 0..1, score: 0..100}"
    if not isinstance(raw, list) or not raw:
        raise _refuse(str(e.get("id")), "bands", raw, allowed)
    out = []
    for b in raw:
        try:
            lo, s = float(b["min"]), float(b["score"])
        except (TypeError, KeyError, ValueError):
            raise _refuse(str(e.get("id")), "bands", raw, allowed) from None
        if not (0 <= lo <= 1 and 0 <= s <= 100):
            raise _refuse(str(e.get("id")), "bands", b, allowed)
        out.append((lo, s))
    return tuple(sorted(out, reverse=True))


def _dimension_of(e: Mapping[str, Any]) -> str:
    return str(e.get("dimension") or str(e.get("id", "")).split(".")[-1])


def _scale(e: Mapping[str, Any]) -> tuple[str, tuple[tuple[float, float], ...] | None]:
    """(scale name, its checked bands or None) of a ``kind: scale`` entry; a default scale the
    calculation does not know is refused."""
    name = str(e.get("id", "")).split(".")[-1]
    bands = _bands(e) if name == "piecewise" and e.get("bands") is not None else None
    if e.get("default") and name not in SCALES:
        raise _refuse(str(e.get("id")), "default", True, "linear or piecewise as the default scale")
    return name, bands


def quality_library(entries: Iterable[Mapping[str, Any]] | None) -> QualityLibrary:
    """The quality settings of an indicators library (a snapshot's ``indicators`` list).

    Parameters
    ----------
    entries : library entries with ``kind`` dimension | indicator | scale (seed format).
        ``None`` or empty → :data:`DEFAULT_QUALITY_LIBRARY` (the built-in defaults, equal to
        the seed).

    Returns
    -------
    QualityLibrary
        Dimension weights normalised to sum 1 (a dimension without an entry keeps 1/6 before
        normalising); the catalogue of the library's sub-indicators (the built-in one when the
        library lists none); the piecewise bands; the scale marked ``default: true``.

    Raises
    ------
    RefusedError
        A negative or non-numeric weight, all dimension weights zero, malformed bands or an
        unknown default scale — naming the entry, the value and what is allowed.
    """
    items = [e for e in (entries or []) if isinstance(e, Mapping)]
    if not items:
        return DEFAULT_QUALITY_LIBRARY
    # Every appraisal reads the snapshot's library again; parse each content once. The key
    # is the entries themselves (a deep copy compared by ==), so an edited library — even one
    # edited in place — is parsed anew.
    for cached, lib in _PARSED:
        if cached == items:
            return lib
    lib = _parse(items)
    _PARSED.insert(0, (copy.deepcopy(items), lib))
    del _PARSED[8:]
    return lib


_PARSED: list[tuple[list[Mapping[str, Any]], QualityLibrary]] = []   # most recent first


def _parse(items: list[Mapping[str, Any]]) -> QualityLibrary:
    """:func:`quality_library` of non-empty entries."""
    w = DEFAULT_DIMENSION_WEIGHTS.copy()
    for e in items:
        if e.get("kind") == "dimension":
            d = _dimension_of(e)
            if d in DIMENSIONS:
                w[DIMENSIONS.index(d)] = _weight(e)
    if w.sum() <= 0:
        raise _refuse("GBT36344.<dimension>", "weight", w.tolist(), "at least one dimension weight > 0")
    if abs(w.sum() - 1.0) > 1e-9:   # weights that already sum to 1 are used as written
        w = w / w.sum()
    ind = [e for e in items if e.get("kind") == "indicator"]
    for e in ind:
        _weight(e)
    catalog = catalog_from_entries(ind) if ind else dict(INDICATORS)
    bands, scale = PIECEWISE_BANDS, "linear"
    for e in items:
        if e.get("kind") != "scale":
            continue
        name, b = _scale(e)
        if b is not None:
            bands = b
        if e.get("default"):
            scale = name
    return QualityLibrary(w, catalog, bands, scale)


def validate_indicator_entry(entry: Mapping[str, Any]) -> None:
    """Store validator for the indicators library (``store.register_validator("indicators",
    validate_indicator_entry)``): a write whose weight, bands or default scale the quality
    calculation could not use is refused before anything is stored.

    Raises
    ------
    RefusedError
        Naming the entry, the field, the value and what is allowed.
    """
    kind = entry.get("kind")
    if kind in ("dimension", "indicator") and "weight" in entry:
        _weight(entry)
    if kind == "dimension" and _dimension_of(entry) not in DIMENSIONS:
        raise _refuse(str(entry.get("id")), "dimension", _dimension_of(entry), ", ".join(DIMENSIONS))
    if kind == "scale":
        _scale(entry)
