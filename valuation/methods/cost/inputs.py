"""What the cost approach reads from a portfolio, as arrays (the pandas edge of the approach).

Every ``cost_*`` column, the cost lines (indexed to the valuation date and summed per category
by :func:`.lines.component_totals`), the composite quality score (GB/T 36344 via
:func:`valuation.quality.composite.composite_columns`) and the few other columns the cost
approach needs, read once into :class:`CostInputs`. Missing numbers are NaN, missing text is
"" (one convention for the whole approach; CAS 2023 art. 22, docs/DOMAIN.md §2).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ...core.portfolio import column_floats, column_list, column_values
from ...quality.composite import composite_columns
from .kernel import COMPONENTS
from .lines import component_arrays, component_totals

__all__ = ["CostInputs", "component_inputs", "cost_inputs"]


def _col(a: pd.DataFrame, name: str, fill: float = np.nan) -> np.ndarray:
    # straight from the block (~20 columns a call at ~30 µs each as a Series)
    return column_floats(a, name) if name in a.columns else np.full(len(a), fill)


def _str(a: pd.DataFrame, name: str) -> np.ndarray:
    if name not in a.columns:
        return np.full(len(a), "", dtype=object)
    if len(a) <= 64:
        # Arrow text by Arrow's to_pylist (missing → None): pandas' to_numpy spends ~50 µs
        # filling the missing values of a one-row column
        vals = column_list(a, name)
        if all(type(v) is str or v is None or (type(v) is float and v != v) for v in vals):
            out = np.empty(len(vals), dtype=object)   # text as is, missing → "" (as pd.isna below)
            out[:] = [v if type(v) is str else "" for v in vals]
            return out
    x = a[name].to_numpy(dtype=object)
    return np.where(pd.isna(x), "", x).astype(object)


def _flag(a: pd.DataFrame, name: str, fill: bool) -> np.ndarray:
    """``a[name].to_numpy(bool)`` (``fill`` everywhere when the column is absent)."""
    if name not in a.columns:
        return np.full(len(a), fill)
    v = column_values(a, name)
    return v if isinstance(v, np.ndarray) and v.dtype == np.bool_ else a[name].to_numpy(bool)


def _days_between(a: pd.DataFrame, start: str, end: str) -> np.ndarray:
    """``(a[end] − a[start]).dt.days`` as floats (NaN where either is missing); numpy for the
    datetime64 columns of a portfolio (floored whole days, as ``.dt.days``), pandas otherwise."""
    s, e = column_values(a, start), column_values(a, end)
    if isinstance(s, np.ndarray) and isinstance(e, np.ndarray) and s.dtype.kind == e.dtype.kind == "M":
        with np.errstate(all="ignore"):   # NaT rows are masked below
            d = ((e - s) // np.timedelta64(1, "D")).astype(float)
        d[np.isnat(s) | np.isnat(e)] = np.nan
        return d
    return (a[end] - a[start]).dt.days.to_numpy(float)


def _has_text(x: np.ndarray) -> np.ndarray:
    """Whether each value has text other than whitespace (pandas ``str.strip() != ""``).

    A few values are decided in Python when that cannot differ from pandas' whitespace
    rules: "" has none, a value with a letter or digit has some; anything else (say, only
    punctuation or exotic spaces) goes through pandas."""
    if len(x) <= 64:
        vals = x.tolist()
        if all(type(v) is str and (v == "" or any(ch.isalnum() for ch in v)) for v in vals):
            return np.array([v != "" for v in vals], dtype=bool)
    return pd.Series(x, dtype="str").str.strip().ne("").to_numpy(bool)


def component_inputs(pf) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(component totals (assets × :data:`.kernel.COMPONENTS`, NaN where none is given), the
    double-count risk, whether cost lines were given) — component totals plus the cost lines
    indexed to the valuation date (art. 16, 22)."""
    a = pf.assets
    lines = pf.records.get("cost.lines") if hasattr(pf, "records") else None
    comp0 = np.column_stack([_col(a, f"cost_{c}") for c in COMPONENTS]) if len(a) else np.zeros((0, len(COMPONENTS)))
    if lines is None or not len(lines):
        return component_arrays(comp0, pf.index)
    # cost lines: indexed and grouped by pandas
    piv = a["cost_price_index_valuation"] if "cost_price_index_valuation" in a.columns \
        else pd.Series(np.nan, index=pf.index)
    fr, both, has_lines = component_totals(pd.DataFrame(comp0, index=pf.index, columns=list(COMPONENTS)),
                                           lines, piv)
    return fr.to_numpy(float), both, has_lines


@dataclass(frozen=True, eq=False)
class CostInputs:
    """The cost approach's reads of a portfolio (arrays of length n unless said otherwise)."""

    ids: list[Any]                       # asset ids in order
    components: np.ndarray               # (n, 5) component totals, NaN where none given
    double_count: np.ndarray             # a category given as a total and as lines
    has_lines: np.ndarray
    opportunity_rate: np.ndarray         # card's rates (NaN: the model default)
    profit_rate: np.ndarray
    literature: np.ndarray               # cost.variant == "literature"
    basis: np.ndarray                    # δ basis ("quality" where not given)
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
    override_reason: np.ndarray
    has_override_reason: np.ndarray
    has_cost: np.ndarray
    has_income: np.ndarray
    rights_years_left: np.ndarray | None   # years from the valuation date to the rights term end
    lines: Any = None                      # the cost.lines records (read by the trace only)
    price_index: np.ndarray | None = None  # cost.price_index_valuation (read by the trace only)


def cost_inputs(pf, p: Mapping[str, Any]) -> CostInputs:
    """Read the portfolio for the cost approach with resolved parameters ``p`` (the quality
    weights, scale and indicators library of the composite score)."""
    a = pf.assets
    comp, both, has_lines = component_inputs(pf)
    basis = _str(a, "cost_adjustment_basis")
    q = composite_columns(pf, p.get("quality_weights"), scale=str(p["quality_scale"]), errors="mark",
                          library=p["quality_library"])
    reason = _str(a, "cost_adjustment_override_reason")
    years_left = None
    if "rights_term_end" in a.columns and "valuation_date" in a.columns:
        years_left = _days_between(a, "valuation_date", "rights_term_end") / 365.25
    piv = None
    if "cost_price_index_valuation" in a.columns:
        piv = column_values(a, "cost_price_index_valuation")
        piv = piv if isinstance(piv, np.ndarray) else a["cost_price_index_valuation"].to_numpy()
    return CostInputs(
        ids=pf.index.tolist(), components=comp, double_count=both, has_lines=has_lines,
        opportunity_rate=_col(a, "cost_opportunity_rate"), profit_rate=_col(a, "cost_profit_rate"),
        literature=_str(a, "cost_variant") == "literature", basis=np.where(basis == "", "quality", basis),
        quality=q, publication=_str(a, "rounding") == "publication",
        benchmark=_col(a, "cost_adjustment_quality_benchmark"),
        years_used=_col(a, "cost_adjustment_years_used"), years_remaining=_col(a, "cost_adjustment_years_remaining"),
        functional=_col(a, "cost_adjustment_functional_obsolescence"),
        economic=_col(a, "cost_adjustment_economic_obsolescence"), delta_given=_col(a, "cost_adjustment_value"),
        lit_return_rate=_col(a, "cost_literature_return_rate"), lit_quality=_col(a, "cost_literature_quality"),
        lit_circulation=_col(a, "cost_literature_circulation"), lit_scarcity=_col(a, "cost_literature_scarcity"),
        lit_risk=_col(a, "cost_literature_risk"), override=_flag(a, "cost_adjustment_override", False),
        override_reason=reason, has_override_reason=_has_text(reason), has_cost=_flag(a, "has_cost", True),
        has_income=_flag(a, "has_income", False), rights_years_left=years_left,
        lines=pf.records.get("cost.lines") if hasattr(pf, "records") else None, price_index=piv)
