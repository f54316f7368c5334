"""Cost measurement (CAS 6 arts. 7–9, 12–13; CAS 1; 财会〔2023〕11号 二、三).

``cost`` is ``capitalised_cost`` when given (checked against the cost lines by
:func:`valuation.accounting.inputs.refusals`), else the cost lines: acquisition-phase costs
(purchase price, taxes, directly attributable collection, desensitisation, cleaning,
labelling, integration …) plus development-phase costs when the five criteria of CAS 6 art. 9
are met — or, for inventory, as processing costs. Research-phase costs, and development costs
without the criteria, are ``expensed``.
"""
from __future__ import annotations

import numpy as np

from .inputs import Inputs, eligible_cost

__all__ = ["measure"]


def measure(inp: Inputs) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(cost, expensed, from_lines)`` for every asset.

    ``expensed`` = the cost lines not capitalised (research-phase costs, development costs
    without the criteria; with ``capitalised_cost`` given, whatever of the lines it leaves out);
    0 without cost lines. ``from_lines`` says whether the cost came from the cost lines (else
    ``capitalised_cost`` as given).
    """
    elig = eligible_cost(inp)
    given = ~np.isnan(inp.capitalised_given)
    cost = np.where(given, inp.capitalised_given, elig)
    total = inp.research + inp.development + inp.acquisition
    expensed = np.where(inp.has_lines, np.maximum(total - cost, 0.0), 0.0)
    return cost, expensed, ~given
