"""The rights term in the income approach (CAS 2023 art. 21(7); issue 17).

The economic life may not outlast the rights term (nor a contract, legal, timeliness or product
term). Two consequences, for every income model (they all go through one discounting kernel):

* **Renewal counts only with its evidence.** ``asset.rights.renewal_documented`` lifts the rights
  bound only when ``asset.rights.renewal_evidence`` names the evidence (a contract clause, an
  authorisation document); ``asset.rights.renewal_term_end`` then replaces the term end (absent:
  the renewal is open-ended). A claim without evidence is not relied on and is warned.
* **No terminal value beyond the term.** A Gordon tail assumes income for ever. When a finite
  term (rights, contract, legal, timeliness or product life) ends after the forecast horizon, the
  tail is the growing annuity of the years left, ``L = term − horizon``::

      TV_L = TV_Gordon × [(1 − q^K) + r (1 − q) q^K],   q = (1 + g)/(1 + i),  K = ⌊L⌋,  r = L − K

  (whole periods after the last forecast period, the last one weighted by its fraction, as the
  explicit periods are); ``L = 0`` (the term ends with the forecast) → no terminal value; no finite
  term → the Gordon value. The rights term is counted in calendar years (whole anniversaries, then
  days / 365), so a term ending on the fifth anniversary of the valuation date is exactly 5 years.
"""
from __future__ import annotations

import numpy as np

from ...core.calendar import calendar_years
from ..typed import text_has

__all__ = ["renewal_stated", "rights_end", "calendar_years", "tail_years", "TERM_COLUMNS"]

TERM_COLUMNS = ("rights_renewal_evidence", "rights_renewal_term_end")


def renewal_stated(t) -> tuple[np.ndarray, np.ndarray]:
    """``(relied_on, claimed_without_evidence)``: a renewal is relied on only when it is
    documented AND its evidence is named on the card (``t``: the asset table; text None
    missing)."""
    doc = t["rights_renewal_documented"]
    ev = text_has(t["rights_renewal_evidence"])
    return doc & ev, doc & ~ev


def rights_end(t, renewed: np.ndarray) -> np.ndarray:
    """The end of the rights the income may use: the renewed term end where a renewal is relied
    on (NaT: open-ended renewal), else the card's term end (NaT: no term given); datetime64[D]."""
    return np.where(renewed, t["rights_renewal_term_end"], t["rights_term_end"])


def tail_years(t, horizon: np.ndarray, renewed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(L, limit)``: years a terminal tail may run after the forecast horizon (``inf`` where no
    finite term binds) and the earliest finite term in years from the valuation date."""
    n = len(t)
    rights = calendar_years(t["valuation_date"], rights_end(t, renewed))
    bounds = [rights] + [t[f"income_life_{k}_years"] for k in ("contract", "legal", "timeliness", "product")]
    limit = np.full(n, np.inf)
    for b in bounds:
        limit = np.where(np.isnan(b), limit, np.minimum(limit, b))
    L = np.where(np.isinf(limit), np.inf, np.maximum(limit - horizon, 0.0))
    return L, limit


def term_warnings(out: dict, ids, ok: np.ndarray, tv_on: np.ndarray, L: np.ndarray,
                  claimed: np.ndarray, g: np.ndarray) -> dict:
    """Add the term's warnings to ``out`` (``{asset_id: [warning]}``; ``ids`` the asset ids in
    order) and return it."""

    def add(i: int, code: str, zh: str, en: str) -> None:
        out.setdefault(ids[i], []).append({"code": code, "message_zh": zh, "message_en": en})

    for i in np.flatnonzero(ok & claimed):
        add(i, "RENEWAL_WITHOUT_EVIDENCE",
            "卡片声明权利可续期，但未给出续期证据（asset.rights.renewal_evidence）：不予采信，收益期仍以权利期限为限（第二十一条第七项）",
            "the card says the rights are renewable but names no evidence (asset.rights.renewal_evidence): not "
            "relied on; the income period stays within the rights term (art. 21(7))")
    for i in np.flatnonzero(ok & ~np.isnan(g) & tv_on & np.isfinite(L)):
        add(i, "TERMINAL_LIMITED_TO_TERM",
            f"永续增长期截至期限届满：预测期后仅计 {L[i]:.2f} 年的增长年金，不计期限之后的收益（第二十一条第七项）",
            f"the growth tail stops at the end of the term: a growing annuity over the {L[i]:.2f} years after the "
            "forecast, nothing beyond the term (art. 21(7))")
    return out
