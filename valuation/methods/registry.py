"""The approaches the engine runs, in order: an ordered mapping name → :class:`~.base.Approach`.

The engine (``valuation/engine.py``) loops over :data:`APPROACHES` with no special case by
name; adding an approach is one module implementing the contract of :mod:`.base` and one
line here (or :func:`register` at run time — ``tests/test_approach_registry.py`` values,
reconciles and traces a toy approach that way). The order is the order of the result's
``methods`` (cost, income, market: CAS 2023 art. 20 lists them so).
"""
from __future__ import annotations

from typing import Any

from .base import Approach
from .cost.approach import COST
from .income.approach import INCOME
from .market.approach import MARKET

__all__ = ["APPROACHES", "approach", "names", "params_of", "register", "unregister"]

APPROACHES: dict[str, Approach] = {
    COST.name: COST,
    INCOME.name: INCOME,
    MARKET.name: MARKET,
}


def names() -> tuple[str, ...]:
    """The registered approaches' names, in order."""
    return tuple(APPROACHES)


def approach(name: str) -> Approach:
    """The registered approach ``name`` (KeyError naming the registered ones otherwise)."""
    try:
        return APPROACHES[name]
    except KeyError:
        raise KeyError(f"unknown approach {name!r}; registered: {', '.join(APPROACHES)}") from None


def register(ap: Approach) -> None:
    """Add (or replace) an approach, after those already registered."""
    if not isinstance(ap, Approach):
        raise TypeError(f"{ap!r} does not implement valuation.methods.base.Approach")
    APPROACHES[ap.name] = ap


def unregister(name: str) -> None:
    """Remove an approach (tests that register a toy one)."""
    APPROACHES.pop(name, None)


_PARAMS: dict[int, tuple[Any, dict[str, Any]]] = {}


def params_of(ap: Approach, snap: Any) -> Any:
    """``ap.params_of(snap)``, resolved once per snapshot object (a snapshot is frozen; the
    cache holds it, so its id is not reused while cached)."""
    kept = _PARAMS.get(id(snap))
    if kept is None or kept[0] is not snap:
        if len(_PARAMS) > 32:
            _PARAMS.clear()
        kept = _PARAMS[id(snap)] = (snap, {})
    p = kept[1].get(ap.name)
    if p is None or p[0] is not ap:
        p = kept[1][ap.name] = (ap, ap.params_of(snap))
    return p[1]
