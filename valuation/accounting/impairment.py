"""Impairment of intangibles (CAS 8) and write-down of inventories to net realisable value (CAS 1).

CAS 8 arts. 6–7, 15–17 (intangible assets and development expenditure)::

    recoverable amount = max(fair value − costs of disposal, value in use)
    impairment loss    = carrying amount − recoverable amount, when positive; never reversed

Value in use is the income approach of the engine (present value of the asset's expected
future income), fair value the market approach (a one-off price for the whole asset; a price
per year or per call is not the fair value of the asset, so it is left out); both on the same
card and library snapshot. When only one of the two can be estimated it is the recoverable
amount (art. 6); when neither, no loss can be measured and a flag says so.

CAS 1 art. 15 (inventory)::

    net realisable value = expected selling price − costs to complete − selling costs
    allowance needed     = max(cost − net realisable value, 0)
    write-down (period)  = allowance needed − allowance already booked  (negative: reversal
                           within the earlier allowance, CAS 1 art. 19)
"""
from __future__ import annotations

import numpy as np

__all__ = ["recoverable_amount", "impairment_loss", "net_realisable_value", "inventory_write_down"]


def recoverable_amount(value_in_use: np.ndarray, fvlcd: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(recoverable, basis)``: the higher of the two (NaN ignored; NaN when both are NaN);
    ``basis`` is ``value_in_use`` or ``fair_value_less_costs_of_disposal`` (``""`` when none)."""
    with np.errstate(invalid="ignore"):
        rec = np.fmax(value_in_use, fvlcd)
        viu_wins = ~np.isnan(value_in_use) & (np.isnan(fvlcd) | (value_in_use >= fvlcd))
    basis = np.where(np.isnan(rec), "", np.where(viu_wins, "value_in_use",
                                                  "fair_value_less_costs_of_disposal"))
    return rec, basis.astype(object)


def impairment_loss(carrying: np.ndarray, recoverable: np.ndarray) -> np.ndarray:
    """Carrying amount − recoverable amount when positive, else 0 (0 when not measurable)."""
    with np.errstate(invalid="ignore"):
        return np.where(recoverable < carrying, carrying - recoverable, 0.0)


def net_realisable_value(price: np.ndarray, to_complete: np.ndarray, selling: np.ndarray) -> np.ndarray:
    """Expected selling price − costs to complete − selling costs (CAS 1 art. 15)."""
    return price - to_complete - selling


def inventory_write_down(cost: np.ndarray, nrv: np.ndarray, booked: np.ndarray
                         ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(allowance, charge, carrying)``: allowance needed, the period's write-down (negative =
    reversal within the earlier allowance) and the carrying amount min(cost, NRV). NaN NRV (no
    selling price) → the booked allowance stays and nothing is charged."""
    with np.errstate(invalid="ignore"):
        need = np.where(np.isnan(nrv), booked, np.maximum(cost - nrv, 0.0))
    return need, need - booked, cost - need
