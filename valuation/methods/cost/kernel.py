"""Array kernels of the cost approach (CAS 2023 art. 22 and annex; docs/DOMAIN.md §2): the
replacement cost C from component totals and cost lines, and the value adjustment
coefficient δ. Pure numpy over all assets at once; no loop over assets, no pandas (the cost
lines are read and indexed by :mod:`.lines`).
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from ..base import nan_to_num

__all__ = [
    "COMPONENTS",
    "COMPONENT_LABELS",
    "delta_expert",
    "delta_life",
    "life_within_rights",
    "delta_quality",
    "literature_value",
    "opportunity_cost",
    "replacement_cost_value",
    "select_delta",
]

COMPONENTS = ("preliminary", "direct", "indirect", "opportunity", "taxes")
COMPONENT_LABELS = {"preliminary": ("前期费用", "preliminary cost"), "direct": ("直接成本", "direct cost"),
                    "indirect": ("间接成本", "indirect cost"), "opportunity": ("机会成本", "opportunity cost"),
                    "taxes": ("相关税费", "related taxes")}


def opportunity_cost(preliminary: np.ndarray, direct: np.ndarray, indirect: np.ndarray,
                     given: np.ndarray, rate: np.ndarray) -> np.ndarray:
    """OC = given, else r × (前期费用 + 直接成本 + 间接成本) (F1: 5 % × 250 = 12.5)."""
    base = nan_to_num(preliminary) + nan_to_num(direct) + nan_to_num(indirect)
    return np.where(np.isnan(given), base * nan_to_num(rate), given)


def replacement_cost_value(preliminary, direct, indirect, opportunity, taxes, profit_rate) -> np.ndarray:
    """C = (前期费用 + 直接成本 + 间接成本 + 机会成本) × (1 + profit_rate) + 相关税费.

    Convention: a reasonable profit (default 0) is earned on the pre-tax cost including the
    opportunity cost; non-recoverable taxes are added after it (no profit on taxes)."""
    pre_tax = (nan_to_num(preliminary) + nan_to_num(direct) + nan_to_num(indirect)
               + nan_to_num(opportunity))
    return pre_tax * (1.0 + nan_to_num(profit_rate)) + nan_to_num(taxes)


def delta_quality(q: Any, benchmark: Any = 100.0) -> np.ndarray:
    """δ_q = Q / Q_benchmark (Q in 0–100; benchmark default 100)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.asarray(q, float) / np.asarray(benchmark, float)


def delta_life(years_used: Any, years_remaining: Any) -> np.ndarray:
    """δ_life = n_r / (n_u + n_r) (剩余经济寿命法); NaN when n_u + n_r = 0."""
    nu, nr = np.asarray(years_used, float), np.asarray(years_remaining, float)
    tot = nu + nr
    return np.divide(nr, tot, out=np.full(np.broadcast(nu, nr).shape, np.nan), where=tot > 0)


def life_within_rights(years_remaining: Any, rights_years: Any) -> np.ndarray:
    """n_r used by δ_life: the remaining economic life, at most the years left of the rights
    the asset may use (docs/DOMAIN.md §2.3 item 1, "n_r ≤ rights term"; §1.3(b) — a documented
    renewal extends the term, CAS 2023 art. 14/22), never below 0; NaN rights years (no term,
    an open-ended renewal): not capped."""
    nr, ry = np.asarray(years_remaining, float), np.asarray(rights_years, float)
    return np.where(ry < nr, np.maximum(ry, 0.0), nr)


def delta_expert(functional: Any, economic: Any) -> np.ndarray:
    """δ = 1 − (d_func + d_econ) (专家评价法); a missing rate counts as 0, both missing → NaN."""
    f, e = np.asarray(functional, float), np.asarray(economic, float)
    return np.where(np.isnan(f) & np.isnan(e), np.nan, 1.0 - (nan_to_num(f) + nan_to_num(e)))


def select_delta(basis: np.ndarray, d_q: np.ndarray, d_life: np.ndarray, d_exp: np.ndarray,
                 d_given: np.ndarray, *, is_basis: Mapping[str, np.ndarray] | None = None) -> np.ndarray:
    """δ by basis: quality → δ_q; life → δ_life; combined → δ_q × δ_life; expert; given
    (``is_basis``: ``{label: basis == label}`` when the caller has it, from the codes)."""
    def on(b: str) -> np.ndarray:
        m = is_basis.get(b) if is_basis is not None else None
        return basis == b if m is None else m

    return np.select([on("quality"), on("life"), on("combined"), on("expert"), on("given")],
                     [d_q, d_life, d_q * d_life, d_exp, d_given], np.nan)


def literature_value(tc, r, alpha, beta, scarcity, risk) -> tuple[np.ndarray, np.ndarray]:
    """Literature model (NOT the CAS model): U = α β (1 + l)(1 − r); P = TC × (1 + R) × U."""
    u = np.asarray(alpha, float) * np.asarray(beta, float) * (1 + np.asarray(scarcity, float)) \
        * (1 - np.asarray(risk, float))
    return np.asarray(tc, float) * (1 + np.asarray(r, float)) * u, u
