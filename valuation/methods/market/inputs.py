"""What the market approach reads from a portfolio: the subjects in the case schema as arrays
(:class:`_Subjects`), from the typed asset table (``Portfolio.columns``), and the card's
explicit comparables as arrays typed by the records' schema (``market.comparables``) — CAS
2023 art. 23; docs/DOMAIN.md §4. Missing text is None (the asset table's convention,
:mod:`valuation.core.columns`).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from ...core.portfolio import column_list
from ...core.ragged import item_specs
from ...library.cases.table import subject_columns
from ..base import nan_to_num
from .features import _numbers, text_values

__all__ = ["MarketInputs", "market_inputs"]

_COMPARABLES = "market.comparables"


# --------------------------------------------------------------------------- subjects
def _text(table: Any, name: str) -> np.ndarray:
    """A text or enum column as text: str, None where missing or empty."""
    a = table.decode(name) if table.spec(name).kind == "enum" else table[name]
    out = np.empty(len(a), dtype=object)
    out[:] = [x if x else None for x in a.tolist()]
    return out


def _or(values: np.ndarray, default: Any) -> np.ndarray:
    """Missing numbers (NaN) or text (None) replaced by ``default``."""
    if values.dtype == object:
        out = np.empty(len(values), dtype=object)
        out[:] = [default if x is None else x for x in values.tolist()]
        return out
    return np.where(np.isnan(values), float(default), values)


def comparables_of(records: Any, ids: np.ndarray) -> dict[str, np.ndarray] | None:
    """The explicit comparables of the assets ``ids`` from a ``market.comparables`` records
    table (``asset_id`` + the item columns; rows of other assets left out, the table's row
    order kept): the item columns as arrays (numbers float, NaN missing; enums and text as
    str, None missing) and ``subject``, the position of each row's asset in ``ids``. None
    when there are none. The columns are read once each by the core's public readers
    (:func:`valuation.core.frames.column_list`): a :class:`~valuation.core.ragged.Ragged`
    built for one card's few rows cost more than the whole valuation."""
    if records is None or not len(records):
        return None
    pos_of = {str(x): i for i, x in enumerate(np.asarray(ids).tolist())}
    owner = np.array([pos_of.get(x, -1) if isinstance(x, str) else -1
                      for x in column_list(records, "asset_id")], dtype=np.int64)
    rows = np.flatnonzero(owner >= 0)
    if not len(rows):
        return None
    have = set(records.columns)
    out: dict[str, np.ndarray] = {"subject": owner[rows]}
    for spec in item_specs(_COMPARABLES):
        if spec.name not in have:
            out[spec.name] = np.full(len(rows), np.nan) if spec.kind == "number" else np.full(len(rows), None)
            continue
        vals = np.empty(len(owner), dtype=object)
        vals[:] = column_list(records, spec.name)
        out[spec.name] = _numbers(vals)[rows] if spec.kind == "number" else text_values(vals[rows])
    return out


def _subject_columns(pf, params: Mapping[str, Any], has_explicit: np.ndarray) -> dict[str, np.ndarray]:
    """One subject per asset in the case schema, plus ``source`` (explicit | library | none),
    ``supply_demand``, ``date_index``, ``k``, ``min_comparables``, ``weighting`` — read from
    the asset table (``date``: the valuation date as ``datetime64[D]``)."""
    from ...quality.composite import composite_columns

    t = pf.columns
    n = len(t)
    try:
        # the score column only (the frame of every composite column cost more than the scoring)
        q = np.asarray(composite_columns(pf, errors="mark", library=params.get("quality_library"))["quality_score"],
                       dtype=float)
    except Exception:  # noqa: BLE001  # pragma: no cover - quality problems are the quality module's to report
        q = t.floats("quality_score")
    use_lib = t["market_use_library"]
    source = np.where(has_explicit, "explicit", np.where(use_lib, "library", "none")).astype(object)
    return {
        "category": _text(t, "category"), "records": t.floats("records"), "fields": t.floats("fields"),
        "size_bytes": t.floats("size_bytes"), "update_frequency": _text(t, "update_frequency"),
        "rights_type": _text(t, "rights_type"), "exclusivity": _text(t, "rights_exclusivity"),
        "price_mode": _or(_text(t, "market_price_mode"), "one_off"), "quality": q,
        "date": t["valuation_date"], "platform": np.full(n, None, dtype=object),
        "title": _text(t, "name"), "description": _text(t, "description"),
        "evidence_type": np.full(n, params["subject_evidence"], dtype=object),
        "source": source, "supply_demand": nan_to_num(t.floats("market_supply_demand")),
        "date_index": _or(t.floats("market_date_index"), 100.0),
        "k": _or(t.floats("market_k"), params["k"]),
        "min_comparables": _or(t.floats("market_min_comparables"), params["min_comparables"]),
        "weighting": _or(_text(t, "market_weighting"), params["weighting"]),
    }


class _Subjects:
    """The subjects as arrays (text None when missing, ``date`` as ``datetime64[D]``) and their
    ids (``index``)."""

    def __init__(self, cols: Mapping[str, np.ndarray], index: Any):
        self.cols = cols
        self.index = index

    @classmethod
    def of_frame(cls, subjects: Any) -> _Subjects:
        """The subjects of a frame in the case schema (the back-test's)."""
        return cls(*subject_columns(subjects))

    def __getitem__(self, name: str) -> np.ndarray:
        return self.cols[name]

    def __len__(self) -> int:
        return len(self.index)

    def feature_source(self) -> Mapping[str, np.ndarray]:
        """What the raw features and the learned model read: the subjects' columns."""
        return self.cols


@dataclass(frozen=True, eq=False)
class MarketInputs:
    """The market approach's reads of a portfolio: the subjects as arrays, the card's explicit
    comparables (:func:`comparables_of`, or None), and whether every asset is a demonstration
    (``market.demonstration``: synthetic cases may then stand behind the value, never final)."""

    subjects: _Subjects
    comparables: Mapping[str, np.ndarray] | None
    allow_synthetic: bool


def market_inputs(pf, params: Mapping[str, Any]) -> MarketInputs:
    """Read the portfolio for the market approach (``params``: the resolved parameters)."""
    t = pf.columns
    comps = comparables_of(pf.records.get(_COMPARABLES), t.ids)
    has_explicit = np.bincount(comps["subject"], minlength=len(t)) > 0 if comps is not None \
        else np.zeros(len(t), bool)
    demo = t["market_demonstration"]
    return MarketInputs(_Subjects(_subject_columns(pf, params, has_explicit), t.ids), comps,
                        bool(len(demo) and demo.all()))
