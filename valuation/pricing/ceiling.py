"""The 65号 profit ceiling from the standards library, and caps rounded down to a publishable unit.

* The allowed return is at most the 10-year CGB yield plus a ceiling premium (发改价格〔2025〕65号,
  standard ``NDRC2025-65.profit``, ``limits.premium_over_cgb10y_max``). The ceiling is a clause, so
  it is read from the (versioned) standards library of the snapshot — never from the request. A
  request (or the models library) may ask for a LOWER premium; a higher one is capped at the
  ceiling and flagged ``PREMIUM_CAP_BREACH`` (docs/POLICY_CHOICES.md §4).
* A price cap is published in a unit a tariff can carry: rounded DOWN (never above the computed
  cap, so Σ cap × volume ≤ MAR still holds) to 0.0001 per call and 0.01 otherwise (CNY;
  ``cap_rounding`` of ``models/public_data_65.yaml``). The unrounded cap and the unit are kept in
  the item and the trace.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from decimal import ROUND_FLOOR, Decimal
from functools import lru_cache
from typing import Any

__all__ = ["CEILING_ID", "premium_ceiling", "round_down", "cap_unit", "DEFAULT_CAP_UNITS"]

CEILING_ID = "NDRC2025-65.profit"
CEILING_KEY = "premium_over_cgb10y_max"
DEFAULT_CAP_UNITS = {"per_call": 0.0001, "default": 0.01}


@lru_cache(maxsize=1)
def _seed_standard() -> dict[str, Any]:
    from ..library.snapshot import snapshot_from_seeds

    return dict(snapshot_from_seeds().standards.get(CEILING_ID) or {})


def premium_ceiling(snap: Any = None) -> tuple[float, dict[str, Any]]:
    """``(ceiling, source)``: the premium over the 10-year CGB yield the clause allows, and where
    it came from (standard id, document, article, snapshot) for the trace.

    Raises LookupError when the standards library has no usable ceiling: the engine does not
    invent a legal limit."""
    std: Mapping[str, Any] | None = None
    if snap is not None and getattr(snap, "standards", None):
        std = snap.standards.get(CEILING_ID)
    if std is None:
        std = _seed_standard()
    lim = (std or {}).get("limits") or {}
    v = lim.get(CEILING_KEY)
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v < 0:
        raise LookupError(f"standard {CEILING_ID} has no limits.{CEILING_KEY}")
    return float(v), {"standard": CEILING_ID, "document": std.get("document"), "article": std.get("article"),
                      "version": std.get("version"),
                      "library_snapshot": getattr(snap, "snapshot_id", None) if snap is not None else "seed"}


def cap_unit(charge_unit: str | None, cfg: Mapping[str, Any]) -> float:
    """The publishable unit of a cap for a charge unit (``cap_rounding`` of the model entry)."""
    p = (cfg.get("parameters") or {}).get("cap_rounding") or {}
    units = {**DEFAULT_CAP_UNITS, **(p.get("default") if isinstance(p.get("default"), Mapping) else {})}
    return float(units.get(charge_unit or "", units["default"]))


def round_down(x: float, unit: float) -> float:
    """``x`` rounded down to a multiple of ``unit`` in decimal (0.246 stays 0.246; 0.7028571 per
    call → 0.7028): the float's shortest repr is floored, so binary noise never drops a unit."""
    if not math.isfinite(x):
        return x
    q = Decimal(repr(unit))
    return float((Decimal(repr(x)) / q).to_integral_value(rounding=ROUND_FLOOR) * q)
