"""What the market approach reads from a portfolio: the subjects in the case schema as arrays
(:class:`_Subjects`), from the typed asset table (``Portfolio.columns``), and the card's
explicit comparables as arrays from the typed records (``Portfolio.ragged("market.comparables")``,
a :class:`~valuation.core.ragged.Ragged`) — CAS 2023 art. 23; docs/DOMAIN.md §4. Missing text
is None (the asset table's convention, :mod:`valuation.core.columns`). Every read is one numpy
operation over all assets or all comparables (enums decoded by ``labels[codes]``), no Python
loop over rows. The codes behind the labels the grid compares (price mode, rights type,
exclusivity, evidence type) are kept too (:class:`EnumCodes`): the approach compares and looks
up codes; the labels are for the result's columns and frames (and the back-test, which reads
frames, compares labels).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache, partial
from typing import Any

import numpy as np

from ...core.columns import AssetTable
from ...core.ragged import Ragged, item_specs
from ...core.typed import LazyFrames
from ...library.cases.table import subject_columns
from .. import typed
from ..base import nan_to_num

__all__ = ["EnumCodes", "MarketInputs", "comparables_of", "market_inputs"]

_COMPARABLES = "market.comparables"
_SOURCES = np.array(["none", "explicit", "library"], dtype=object)
#: text of any value, None kept (numpy's own conversion, C speed: a case id read as a number
#: from a CSV becomes its text, as the case schema's ``str`` field says)
_TEXT = np.dtypes.StringDType(na_object=None)
#: the enum items the grid compares with the subject's, and the subject's asset-table column
_PAIRED = {"price_mode": "market_price_mode", "rights_type": "rights_type", "exclusivity": "rights_exclusivity"}


# --------------------------------------------------------------------------- subjects
def _blank_to_none(a: np.ndarray) -> np.ndarray:
    """An object array of text with "" (an empty cell) as None, the one missing convention."""
    return np.where(np.equal(a, ""), None, a)


def _text(table: Any, name: str) -> np.ndarray:
    """A text or enum column as text: str, None where missing or empty."""
    if table.spec(name).kind == "enum":
        return typed.decode(table, name)            # (labels are never empty)
    return _blank_to_none(np.asarray(table[name], dtype=object))


def _label_or(table: Any, name: str, default: str) -> np.ndarray:
    """An enum column's labels with ``default`` where missing: the default's code put in the
    codes before they are decoded (no text compared per value); a default outside the
    enumeration is put in the labels."""
    spec = table.spec(name)
    labels = spec.labels or ()
    if spec.kind != "enum" or default not in labels:
        return _or(_text(table, name), default)
    return typed.labels_of(spec, typed.codes_or(spec, table[name], default))


def _or(values: np.ndarray, default: Any) -> np.ndarray:
    """Missing numbers (NaN) or text (None) replaced by ``default``."""
    if values.dtype == object:
        return np.where(np.equal(values, None), default, values)
    return np.where(np.isnan(values), float(default), values)


@lru_cache(maxsize=1)
def _item_specs() -> tuple[Any, ...]:
    """The comparables' item columns (the schema table's: the same for the process's life)."""
    return item_specs(_COMPARABLES)


def _text_items(a: np.ndarray) -> np.ndarray:
    """An object array of text items as str, None where missing or "": a value of another type
    (a case id read as a number from a CSV) becomes its text. One list of the values is looked
    at in C (their types, then whether "" is among them): the usual column — str and None, no
    "" — is returned as it is."""
    vals = a.tolist()
    kinds = set(map(type, vals))
    if not kinds <= {str, type(None)}:
        return _blank_to_none(a.astype(_TEXT).astype(object))
    return _blank_to_none(a) if str in kinds and "" in vals else a


def comparables_of(items: Ragged | None) -> Mapping[str, np.ndarray] | None:
    """The explicit comparables of a ``market.comparables`` :class:`Ragged` (its assets' order,
    the given order within an asset): the item columns as arrays — numbers float (NaN
    missing), enums decoded to their labels and text as str (None missing, "" too) — and
    ``subject``, the position of each row's asset (``np.repeat(arange(n), counts)``). None
    when there are none. Each column is made when first read: the grid compares the enum
    codes (:class:`EnumCodes`), so the price mode and rights type labels and the notes are
    read only for the left-out comparables' frame (otherwise a label or a Python string per
    comparable of the partition)."""
    if items is None or not items.offsets[-1]:
        return None
    makers: dict[str, Any] = {"subject": lambda: items.owner}
    for spec in _item_specs():
        makers[spec.name] = partial(_item_column, spec, items)
    return LazyFrames(makers)


def _item_column(spec: Any, items: Ragged) -> np.ndarray:
    """One comparables column of :func:`comparables_of`."""
    a = items[spec.name]
    if spec.kind == "enum":
        return typed.labels_of(spec, a)
    if spec.kind == "text":
        return _text_items(a)
    return a


def _subject_columns(pf, params: Mapping[str, Any], has_explicit: np.ndarray) -> Mapping[str, np.ndarray]:
    """One subject per asset in the case schema, plus ``source`` (explicit | library | none),
    ``supply_demand``, ``date_index``, ``k``, ``min_comparables``, ``weighting`` — read from
    the asset table (``date``: the valuation date as ``datetime64[D]``). The quality score
    (X1, a hedonic feature) is scored only when some subject has comparables: without any,
    nothing reads it (all NaN)."""
    t = typed.table(pf)
    n = len(t)
    use_lib = t["market_use_library"]
    # (a take from the three names: no text made per asset)
    source = _SOURCES[np.where(has_explicit, 1, np.where(use_lib, 2, 0))]
    q = _quality(pf, params) if (has_explicit | use_lib).any() else np.full(n, np.nan)
    # (the text columns as text when first read: the grid compares codes; the case library's
    # features and the result's columns read them)
    return LazyFrames({
        "category": partial(_text, t, "category"), "records": _now(t.floats("records")),
        "fields": _now(t.floats("fields")), "size_bytes": _now(t.floats("size_bytes")),
        "update_frequency": partial(_text, t, "update_frequency"),
        "rights_type": partial(_text, t, "rights_type"), "exclusivity": partial(_text, t, "rights_exclusivity"),
        "price_mode": partial(_label_or, t, "market_price_mode", "one_off"), "quality": _now(q),
        "date": _now(t["valuation_date"]), "platform": partial(np.full, n, None, dtype=object),
        "title": partial(_text, t, "name"), "description": partial(_text, t, "description"),
        "evidence_type": partial(np.full, n, params["subject_evidence"], dtype=object),
        "source": _now(source), "supply_demand": _now(nan_to_num(t.floats("market_supply_demand"))),
        "date_index": _now(_or(t.floats("market_date_index"), 100.0)),
        "k": _now(_or(t.floats("market_k"), params["k"])),
        "min_comparables": _now(_or(t.floats("market_min_comparables"), params["min_comparables"])),
        "weighting": partial(_label_or, t, "market_weighting", params["weighting"]),
    })


def _now(value: np.ndarray) -> Any:
    """A column made already, as a maker of :class:`~valuation.core.typed.LazyFrames`."""
    return lambda: value


def _quality(pf, params: Mapping[str, Any]) -> np.ndarray:
    """The composite quality score of every asset (:mod:`valuation.quality.composite`; the
    score column only: the other composite columns are the cost approach's)."""
    from ...quality.composite import composite_columns

    try:
        return np.asarray(composite_columns(pf, errors="mark", library=params.get("quality_library"))["quality_score"],
                          dtype=float)
    except Exception:  # noqa: BLE001  # pragma: no cover - quality problems are the quality module's to report
        return typed.table(pf).floats("quality_score")


@dataclass(frozen=True, eq=False)
class EnumCodes:
    """The int16 codes (−1 missing) behind the label arrays the grid compares, read from the
    typed containers: the subjects' ``price_mode`` (missing: ``one_off``, as the subjects'
    labels), ``rights_type`` and ``exclusivity``, the explicit comparables' ``price_mode``,
    ``rights_type``, ``exclusivity`` and ``evidence_type``; ``labels`` of each enumeration
    (the asset field and the item share it) and the subjects' evidence type (one label, a
    parameter). A comparison of codes is one integer operation over all pairs; a comparison
    of labels is a Python call per pair."""

    labels: Mapping[str, tuple[str, ...]]
    subjects: Mapping[str, np.ndarray]
    comparables: Mapping[str, np.ndarray] | None
    subject_evidence: str


def _enum_codes(t: Any, items: Ragged | None, subject_evidence: str) -> EnumCodes | None:
    """The :class:`EnumCodes` of the subjects' table ``t`` and the comparables ``items`` (None:
    no comparables); None when an item and its subject field do not share one enumeration (the
    labels are compared)."""
    specs = {s.name: s for s in _item_specs()}
    labels: dict[str, tuple[str, ...]] = {}
    subj: dict[str, np.ndarray] = {}
    comp: dict[str, np.ndarray] = {}
    for name in (*_PAIRED, "evidence_type"):
        spec = specs.get(name)
        if spec is None or spec.kind != "enum":
            return None
        labels[name] = spec.labels or ()
        if items is not None:
            comp[name] = np.asarray(items[name], dtype=np.int16)
        if name in _PAIRED:
            own = AssetTable.spec(_PAIRED[name])
            if own.kind != "enum" or (own.labels or ()) != labels[name]:
                return None
            subj[name] = np.asarray(t[_PAIRED[name]], dtype=np.int16)
    pm = subj["price_mode"]
    if (pm < 0).any():              # (the subjects' labels: a missing price mode is one_off)
        if "one_off" not in labels["price_mode"]:
            return None
        subj["price_mode"] = typed.codes_or(AssetTable.spec(_PAIRED["price_mode"]), pm, "one_off")
    return EnumCodes(labels, subj, comp if items is not None else None, subject_evidence)


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
    comparables (:func:`comparables_of`, or None), whether every asset is a demonstration
    (``market.demonstration``: synthetic cases may then stand behind the value, never final),
    and the enum codes behind the compared labels (:class:`EnumCodes`, or None)."""

    subjects: _Subjects
    comparables: Mapping[str, np.ndarray] | None
    allow_synthetic: bool
    codes: EnumCodes | None = None


def market_inputs(pf, params: Mapping[str, Any]) -> MarketInputs:
    """Read the portfolio for the market approach (``params``: the resolved parameters)."""
    t = typed.table(pf)
    items = typed.records(pf, _COMPARABLES)
    comps = comparables_of(items)
    has_explicit = items.counts > 0 if comps is not None else np.zeros(len(t), bool)
    demo = t["market_demonstration"]
    codes = _enum_codes(t, items if comps is not None else None, params["subject_evidence"])
    return MarketInputs(_Subjects(_subject_columns(pf, params, has_explicit), t.ids), comps,
                        bool(len(demo) and demo.all()), codes)
