"""Cost approach (成本法) of 中评协〔2023〕17号 art. 22 and its annex: P = C × δ.

See :mod:`.approach` for the conventions (opportunity cost, profit, rounding, band) and
:mod:`.kernel` for the array kernels. The literature variant P = TC × (1 + R) × U is available
with ``cost.variant = "literature"`` and labelled as NOT the CAS model (docs/DOMAIN.md §2.4).
"""

from .approach import CLAUSES, appraise, default_params, replacement_cost
from .kernel import (
    COMPONENT_LABELS,
    COMPONENTS,
    delta_expert,
    delta_life,
    delta_quality,
    life_within_rights,
    literature_value,
    opportunity_cost,
    replacement_cost_value,
    select_delta,
)

__all__ = [
    "CLAUSES",
    "COMPONENTS",
    "COMPONENT_LABELS",
    "appraise",
    "default_params",
    "delta_expert",
    "delta_life",
    "life_within_rights",
    "delta_quality",
    "literature_value",
    "opportunity_cost",
    "replacement_cost",
    "replacement_cost_value",
    "select_delta",
]
