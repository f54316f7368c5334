"""What the cost approach reads from a portfolio, as arrays (docs/DESIGN.md §2).

Every ``cost_*`` column of the asset table (:func:`valuation.methods.typed.table`: numbers
float64 NaN missing, enums int16 codes, text object with None missing, bools filled with
their schema default), the ``cost.lines`` records (indexed to the valuation date and summed
per category by :func:`.lines.component_totals`), the composite quality score (GB/T 36344 via
:func:`valuation.quality.composite.composite_columns`) and the few other columns the cost
approach needs, read once into :class:`CostInputs` (CAS 2023 art. 22, docs/DOMAIN.md §2).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from ...core.calendar import calendar_years
from ...core.columns import AssetTable
from ...quality.composite import composite_columns
from .. import typed
from ..income.term import renewal_stated, rights_end
from .kernel import COMPONENTS
from .lines import component_totals

__all__ = ["CostInputs", "component_inputs", "cost_inputs"]


def component_inputs(pf) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(component totals (assets × :data:`.kernel.COMPONENTS`, NaN where none is given), the
    double-count risk, whether cost lines were given) — component totals plus the cost lines
    indexed to the valuation date (art. 16, 22)."""
    return _components(typed.table(pf), typed.records(pf, "cost.lines"))


def _components(t: Any, lines: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`component_inputs` of the asset table ``t`` and its ``cost.lines`` records."""
    comp = np.column_stack([t[f"cost_{c}"] for c in COMPONENTS]) if len(t) else np.zeros((0, len(COMPONENTS)))
    return component_totals(comp, t.ids, lines, t["cost_price_index_valuation"])


@dataclass(frozen=True, eq=False)
class CostInputs:
    """The cost approach's reads of a portfolio (arrays of length n unless said otherwise;
    text as object arrays with None missing)."""

    ids: list[Any]                       # asset ids in order
    components: np.ndarray               # (n, 5) component totals, NaN where none given
    double_count: np.ndarray             # a category given as a total and as lines
    has_lines: np.ndarray
    opportunity_rate: np.ndarray         # card's rates (NaN: the model default)
    profit_rate: np.ndarray
    literature: np.ndarray               # cost.variant == "literature"
    basis: np.ndarray                    # δ basis labels ("quality", the schema default, where not given)
    quality: Mapping[str, np.ndarray]    # composite_columns: quality_score, problem_*, weights …
    publication: np.ndarray              # rounding == "publication"
    benchmark: np.ndarray                # card's quality benchmark (NaN: the model default)
    years_used: np.ndarray
    years_remaining: np.ndarray
    functional: np.ndarray
    economic: np.ndarray
    delta_given: np.ndarray
    lit_return_rate: np.ndarray          # literature model inputs (NaN: the model defaults)
    lit_quality: np.ndarray
    lit_circulation: np.ndarray
    lit_scarcity: np.ndarray
    lit_risk: np.ndarray
    override: np.ndarray
    override_reason: np.ndarray          # text, None missing
    has_override_reason: np.ndarray
    has_cost: np.ndarray
    has_income: np.ndarray
    rights_years_left: np.ndarray        # calendar years from the valuation date to the end of the rights the
    #                                      asset may use: the renewed term's where a renewal is relied on (NaN: no
    #                                      term, an open-ended renewal or no valuation date; .income.term)
    lines: Any = None                    # the cost.lines Ragged (read by the trace only)
    price_index: np.ndarray | None = None  # cost.price_index_valuation (read by the trace only)
    basis_is: Mapping[str, np.ndarray] | None = None  # {basis label: basis == label}, from the codes


def basis_masks(x: CostInputs) -> Mapping[str, np.ndarray]:
    """``{label: x.basis == label}`` for every δ basis (from the codes when the inputs carry
    them; a label no asset has is all False)."""
    if x.basis_is is not None:
        return x.basis_is
    return {b: np.equal(x.basis, b) for b in AssetTable.spec("cost_adjustment_basis").labels or ()}


def _rights_years(t: Any) -> np.ndarray:
    """Calendar years from the valuation date to the end of the rights the asset may use, as
    the income approach counts them (:mod:`..income.term`: a renewal relied on only with its
    evidence; NaN where there is no term or the renewal is open-ended)."""
    return calendar_years(t["valuation_date"], rights_end(t, renewal_stated(t)[0]))


def cost_inputs(pf, p: Mapping[str, Any]) -> CostInputs:
    """Read the portfolio for the cost approach with resolved parameters ``p`` (the quality
    weights, scale and indicators library of the composite score)."""
    t = typed.table(pf)
    lines = typed.records(pf, "cost.lines")
    comp, both, has_lines = _components(t, lines)
    # δ basis labels; a missing one (only in a table that bypassed the schema default) is "quality"
    code = typed.codes_or(t.spec("cost_adjustment_basis"), t["cost_adjustment_basis"], "quality")
    basis = typed.labels_of(t.spec("cost_adjustment_basis"), code)
    q = composite_columns(pf, p.get("quality_weights"), scale=str(p["quality_scale"]), errors="mark",
                          library=p["quality_library"])
    reason = t["cost_adjustment_override_reason"]
    return CostInputs(
        ids=t.ids.tolist(), components=comp, double_count=both, has_lines=has_lines,
        opportunity_rate=t["cost_opportunity_rate"], profit_rate=t["cost_profit_rate"],
        literature=typed.is_label(t, "cost_variant", "literature"), basis=basis,
        quality=q, publication=typed.is_label(t, "rounding", "publication"),
        benchmark=t["cost_adjustment_quality_benchmark"],
        years_used=t["cost_adjustment_years_used"], years_remaining=t["cost_adjustment_years_remaining"],
        functional=t["cost_adjustment_functional_obsolescence"],
        economic=t["cost_adjustment_economic_obsolescence"], delta_given=t["cost_adjustment_value"],
        lit_return_rate=t["cost_literature_return_rate"], lit_quality=t["cost_literature_quality"],
        lit_circulation=t["cost_literature_circulation"], lit_scarcity=t["cost_literature_scarcity"],
        lit_risk=t["cost_literature_risk"], override=t["cost_adjustment_override"],
        override_reason=reason, has_override_reason=typed.text_has(reason), has_cost=t["has_cost"],
        has_income=t["has_income"], rights_years_left=_rights_years(t),
        lines=lines, price_index=t["cost_price_index_valuation"],
        basis_is=typed.label_masks(t.spec("cost_adjustment_basis"), code))
