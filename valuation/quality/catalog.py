"""GB/T 36344-2018 indicator catalogue: six dimensions, twenty sub-indicators (docs/DOMAIN.md §5.1).

The library seed ``valuation/library/seed/indicators.yaml`` carries the full entries
(definitions, measures, references); this module holds what the calculation needs (codes,
orientation, default weights) so that the quality layer does not read files. A test keeps the
two in step. Default weights are **engineering defaults (ENG.default), not part of the
standard**: dimensions 1/6 each, sub-indicators equal inside their dimension.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = [
    "DEFAULT_DIMENSION_WEIGHTS",
    "DIMENSIONS",
    "DIMENSION_LABELS",
    "INDICATORS",
    "PIECEWISE_BANDS",
    "PREFIX",
    "Indicator",
    "catalog_from_entries",
    "resolve_code",
]

PREFIX = "GBT36344"
DIMENSIONS = ("normativeness", "completeness", "accuracy", "consistency", "timeliness",
              "accessibility")
DIMENSION_LABELS = {"normativeness": ("规范性", "Normativeness"), "completeness": ("完整性", "Completeness"),
                    "accuracy": ("准确性", "Accuracy"), "consistency": ("一致性", "Consistency"),
                    "timeliness": ("时效性", "Timeliness"), "accessibility": ("可访问性", "Accessibility")}
#: ENG.default — equal dimension weights; GB/T 36344 gives no weights.
DEFAULT_DIMENSION_WEIGHTS = np.full(len(DIMENSIONS), 1.0 / len(DIMENSIONS))
#: ENG.default — docs/DOMAIN.md §5.3 step 1 piecewise table: (lower bound of X', score), first match wins.
PIECEWISE_BANDS = ((0.99, 100.0), (0.95, 90.0), (0.90, 80.0), (0.80, 60.0), (0.0, 40.0))


@dataclass(frozen=True)
class Indicator:
    id: str            # GBT36344.<dimension>.<code>
    dimension: str
    code: str
    name_zh: str
    name_en: str
    orientation: str   # benefit | inverse
    weight: float      # local weight inside the dimension (ENG.default: equal)


_SUB = {
    "normativeness": [("data_standard", "数据标准", "Data standard conformance"),
                      ("data_model", "数据模型", "Data model conformance"),
                      ("metadata", "元数据", "Metadata conformance"),
                      ("business_rules", "业务规则", "Business rule conformance"),
                      ("reference_data", "权威参考数据", "Authoritative reference data conformance"),
                      ("security", "安全规范", "Security rule conformance")],
    "completeness": [("element", "数据元素完整性", "Data element completeness"),
                     ("record", "数据记录完整性", "Data record completeness")],
    "accuracy": [("content_correctness", "数据内容正确性", "Content correctness"),
                 ("format_compliance", "数据格式合规性", "Format compliance"),
                 ("duplicate_rate", "数据重复率", "Duplicate rate"),
                 ("uniqueness", "数据唯一性", "Uniqueness"),
                 ("dirty_rate", "脏数据出现率", "Dirty data rate")],
    "consistency": [("same_data", "相同数据一致性", "Consistency of the same data"),
                    ("related_data", "关联数据一致性", "Consistency of related data")],
    "timeliness": [("period_correctness", "基于时间段的正确性", "Correctness over time periods"),
                   ("point_timeliness", "基于时间点的及时性", "Punctuality at points in time"),
                   ("sequence", "时序性", "Time order")],
    "accessibility": [("accessible", "可访问", "Accessible"), ("available", "可用性", "Availability")],
}
_INVERSE = {"duplicate_rate", "dirty_rate"}

INDICATORS: dict[str, Indicator] = {
    f"{PREFIX}.{d}.{c}": Indicator(f"{PREFIX}.{d}.{c}", d, c, zh, en,
                                   "inverse" if c in _INVERSE else "benefit", 1.0 / len(subs))
    for d, subs in _SUB.items() for c, zh, en in subs
}


def resolve_code(code: str, catalog: Mapping[str, Indicator] | None = None) -> str | None:
    """Full id of a sub-indicator code: ``GBT36344.accuracy.duplicate_rate``,
    ``accuracy.duplicate_rate`` or ``duplicate_rate`` → ``GBT36344.accuracy.duplicate_rate``;
    ``None`` when unknown."""
    cat = INDICATORS if catalog is None else catalog
    c = str(code).strip()
    if c in cat:
        return c
    if f"{PREFIX}.{c}" in cat:
        return f"{PREFIX}.{c}"
    hits = [k for k, v in cat.items() if v.code == c]
    return hits[0] if len(hits) == 1 else None


def catalog_from_entries(entries: Iterable[Mapping[str, Any]]) -> dict[str, Indicator]:
    """Catalogue from indicators-library entries (``kind: indicator``), e.g. a library snapshot
    where an appraiser changed local weights or added a local-standard indicator."""
    out: dict[str, Indicator] = {}
    for e in entries:
        if e.get("kind") != "indicator":
            continue
        iid = str(e["id"])
        d = str(e.get("dimension") or iid.split(".")[1])
        out[iid] = Indicator(iid, d, iid.split(".")[-1], str(e.get("name_zh", iid)),
                             str(e.get("name_en", iid)), str(e.get("orientation", "benefit")),
                             float(e.get("weight", np.nan)))
    return out
