"""Economic life of the income approach (CAS 2023 art. 21(7)): n = min(forecast horizon,
remaining rights term, contract, legal, timeliness, product life, attrition stop), and the
attrition survival S_t (LIT.attrition; docs/DOMAIN.md §3.4).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ...core.calendar import calendar_years
from .kernel import fill_nan
from .term import renewal_stated, rights_end

__all__ = ["BOUNDS", "economic_life", "survival"]

BOUNDS = ("periods", "rights", "contract", "legal", "timeliness", "product", "attrition")


# --------------------------------------------------------------------------- life
def survival(att: np.ndarray, start: np.ndarray, T: int) -> np.ndarray:
    """S_t = (1 − a)^{max(0, t − s + 1)}: Π (1 − a) over the periods from the start period s
    (period s is the first to lose customers/users; docs/DOMAIN.md §3.4, LIT.attrition)."""
    return _survival(att, start, T)[0]


def _survival(att: np.ndarray, start: np.ndarray, T: int) -> tuple[np.ndarray, np.ndarray]:
    """(:func:`survival`, the rows with an attrition rate). A row without one (no rate or 0:
    the usual case) survives whole, 1^k = 1 exactly: only the other rows take the powers."""
    keep = 1 - fill_nan(np.asarray(att, float))
    rows = np.flatnonzero(keep != 1.0)
    S = np.ones((len(keep), T))
    if not len(rows):
        return S, rows
    start = np.asarray(start, float)[rows]
    k = np.empty((len(rows), T))
    for t in range(1, T + 1):      # a column at a time (see kernel.per_row): (t − s) + 1
        k[:, t - 1] = np.int64(t) - start + 1
    np.clip(k, 0, None, out=k)
    S[rows] = keep[rows][:, None] ** k
    return S, rows


def economic_life(t: Any, horizon: np.ndarray, attrition_stop: np.ndarray | None = None
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(life n in years, the bound that won, remaining rights years) — CAS 2023 art. 21(7).

    n = min(horizon of the forecast periods, remaining rights term (unless renewal is
    documented), contract, legal, timeliness, product life, attrition stop). Ties go to the
    first bound in :data:`BOUNDS` order (``periods`` first: the forecast itself is not cut).
    """
    life, k, rights = _life(t, horizon, attrition_stop)
    return life, np.asarray(BOUNDS, dtype=object)[k], rights


def _life(t: Any, horizon: np.ndarray, attrition_stop: np.ndarray | None = None,
          renewed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`economic_life` with the bound that won as its position in :data:`BOUNDS` (``t``:
    the asset table; ``renewed``: :func:`.term.renewal_stated`'s first mask, when the caller
    has it)."""
    # the rights term in calendar years (docs/POLICY_CHOICES.md §3: a term ending on the fifth
    # anniversary is five years), as the tail counts it (.term.tail_years)
    vd, te = t["valuation_date"], t["rights_term_end"]
    rights = calendar_years(vd, te)
    if renewed is None:
        renewed = renewal_stated(t)[0]      # a renewal counts only with its evidence (.term)
    rights_eff = rights                     # no renewal relied on: the term end itself (read only)
    if renewed.any():
        rights_eff = calendar_years(vd, rights_end(t, renewed))
    n = len(t)
    stop = np.full(n, np.nan) if attrition_stop is None else attrition_stop
    bounds = [rights_eff, t["income_life_contract_years"], t["income_life_legal_years"],
              t["income_life_timeliness_years"], t["income_life_product_years"], stop]
    # min and first argmin over [horizon, *bounds] (NaN: no bound), a bound at a time: on the
    # (n, 7) matrix numpy reduced each row's 7 values in a loop of its own, a loop start per
    # row. The running value takes the later of equal values, as the row minimum did (the
    # two can differ only in the sign of a zero life, a refused row)
    h = np.where(np.isnan(horizon), np.inf, horizon)
    life, k = h, np.zeros(n, dtype=np.intp)
    for j, b in enumerate(bounds, start=1):
        # a bound that equals the forecast horizon (to 1e-9 year) does not cut it
        b = np.where(np.isnan(b) | (b >= h - 1e-9), np.inf, b)
        k[b < life] = j     # (before life moves: strictly below, the first bound wins a tie)
        life = np.where(b <= life, b, life)
    return life, k, rights


