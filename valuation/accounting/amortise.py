"""Amortisation of data resources held as intangible assets (CAS 6 arts. 16–19; CAS 8 art. 16).

Conventions (stated in every trace; basis in ``docs/DOMAIN.md`` §7.5):

* **straight line, months** (default): amortisation starts in the month the resource becomes
  available for use and counts that month in full (Chinese practice for intangibles: 当月增加当月
  摊销, 当月减少当月不再摊销), so 2024-01-01 → 2025-12-31 is 24 months; consumed share =
  months / (12 × life). CAS 6 art. 17 asks for a systematic method from the date available
  for use and straight line when the pattern of benefits cannot be determined reliably;
  the month count is the convention, not a rule of the standard (ENG.default).
* **straight line, days**: days from the date available for use to the measurement date, both
  included, over ``365 × life`` days (actual/365 fixed; ENG.default).
* **units of production**: consumed share = units used / total expected units.
* **indefinite life** (``useful_life_years`` null): not amortised (CAS 6 art. 19); tested for
  impairment every year (CAS 8 art. 4).
* The amortisable amount is cost − residual value (residual normally 0, CAS 6 art. 18). After an
  impairment loss the remaining carrying amount less residual value is spread over the rest of
  the life in the same pattern (CAS 8 art. 16).

Financial years are calendar years (会计年度自公历 1 月 1 日起至 12 月 31 日止, 《会计法》).
"""
from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["consumed_share", "accumulated", "schedule", "CONVENTION_TEXT", "MAX_SCHEDULE_ROWS"]

MAX_SCHEDULE_ROWS = 120
DAYS_PER_YEAR = 365.0

CONVENTION_TEXT = {
    "months": ("直线法按月：达到预定用途当月起摊销（当月增加当月摊销），已摊销月数 ÷ (12 × 使用寿命)",
               "straight line by month: from the month available for use (that month counts), "
               "months / (12 × life)"),
    "days": ("直线法按日：自达到预定用途日起（含当日）的实际天数 ÷ (365 × 使用寿命)",
             "straight line by day: actual days from the date available for use (inclusive) / (365 × life)"),
    "units": ("产量法：累计产量 ÷ 预计总产量", "units of production: units used / total expected units"),
}


def _months(start: np.ndarray, at: np.ndarray) -> np.ndarray:
    """Months from ``start``'s month to ``at``'s month, both counted (0 when ``at`` < ``start``)."""
    m = (at.astype("datetime64[M]") - start.astype("datetime64[M]")).astype("int64") + 1
    return np.where(at >= start, m, 0).astype(float)


def _days(start: np.ndarray, at: np.ndarray) -> np.ndarray:
    """Days from ``start`` to ``at``, both counted (0 when ``at`` < ``start``)."""
    d = (at.astype("datetime64[D]") - start.astype("datetime64[D]")).astype("int64") + 1
    return np.where(at >= start, d, 0).astype(float)


def consumed_share(method: np.ndarray, convention: np.ndarray, available: np.ndarray,
                   at: np.ndarray, life: np.ndarray, units_total: np.ndarray,
                   units_used: np.ndarray) -> np.ndarray:
    """Share of the amortisable amount consumed by ``at``, in [0, 1] (arrays broadcast).

    0 for an indefinite life (NaN), a resource not yet available for use (NaT or after ``at``).
    """
    method, convention = np.asarray(method, object), np.asarray(convention, object)
    available, at = np.asarray(available, "datetime64[D]"), np.asarray(at, "datetime64[D]")
    ready = ~np.isnat(available) & ~np.isnat(at)
    safe_av = np.where(ready, available, np.datetime64("2000-01-01"))
    safe_at = np.where(ready, at, np.datetime64("2000-01-01"))
    with np.errstate(invalid="ignore", divide="ignore"):
        by_month = _months(safe_av, safe_at) / (12.0 * life)
        by_day = _days(safe_av, safe_at) / (DAYS_PER_YEAR * life)
        by_units = units_used / units_total
    share = np.where(method == "units", by_units, np.where(convention == "days", by_day, by_month))
    finite_life = ~np.isnan(np.asarray(life, float)) | (method == "units")
    share = np.where(ready & finite_life & (safe_at >= safe_av), share, 0.0)
    return np.clip(np.nan_to_num(share, nan=0.0), 0.0, 1.0)


def accumulated(cost: np.ndarray, residual: np.ndarray, share: np.ndarray) -> np.ndarray:
    """Accumulated amortisation = (cost − residual value) × consumed share (CAS 6 arts. 17–18)."""
    return np.maximum(cost - residual, 0.0) * share


def _year_ends(first: np.datetime64, last: np.datetime64) -> np.ndarray:
    y0 = int(str(first.astype("datetime64[Y]")))
    y1 = int(str(last.astype("datetime64[Y]")))
    y1 = min(y1, y0 + MAX_SCHEDULE_ROWS - 1)
    return np.array([f"{y}-12-31" for y in range(y0, y1 + 1)], dtype="datetime64[D]")


def schedule(*, cost: float, residual: float, life: float, method: str, convention: str,
             available: np.datetime64, bs_date: np.datetime64, units_total: float,
             units_used: float, units_per_year: np.ndarray, prior_impairment: float,
             loss: float) -> list[dict[str, Any]]:
    """Amortisation schedule of one intangible: one row per financial year end from the year it
    is available for use to the end of its life, plus the balance-sheet date.

    Each row: ``period_end``, ``amortisation`` (of the period since the previous row),
    ``accumulated_amortisation`` and ``carrying_amount`` (cost − accumulated amortisation −
    impairment allowance; the loss of this test counts from the balance-sheet date on, and the
    rows after it spread the reduced carrying amount over the rest of the life, CAS 8 art. 16).
    Empty for an indefinite life or a resource not yet available for use.
    """
    if np.isnat(available) or (np.isnan(life) and method != "units"):
        return []
    if method == "units":
        if not len(units_per_year) or not units_total > 0:
            ends = np.array([bs_date], dtype="datetime64[D]")
        else:
            ends = _year_ends(available, available + np.timedelta64(365 * len(units_per_year) - 1, "D"))
            ends = ends[: len(units_per_year)]
    else:
        months = int(np.ceil(12.0 * life - 1e-9))
        last = (available.astype("datetime64[M]") + np.timedelta64(months - 1, "M")).astype("datetime64[D]")
        if convention == "days":
            last = available + np.timedelta64(int(np.ceil(DAYS_PER_YEAR * life - 1e-9)) - 1, "D")
        ends = _year_ends(available, last)
    ends = np.unique(np.append(ends, bs_date))
    n = len(ends)
    if method == "units":
        cum = np.cumsum(units_per_year) if len(units_per_year) else np.zeros(1)
        k = (ends.astype("datetime64[Y]") - available.astype("datetime64[Y]")).astype("int64")
        used = np.where(ends == bs_date, units_used, cum[np.clip(k, 0, len(cum) - 1)])
        share = consumed_share(np.full(n, "units", object), np.full(n, convention, object),
                               np.full(n, available), ends, np.full(n, life), np.full(n, units_total), used)
    else:
        share = consumed_share(np.full(n, method, object), np.full(n, convention, object),
                               np.full(n, available), ends, np.full(n, life), np.full(n, units_total),
                               np.full(n, units_used))
    base = max(cost - residual, 0.0)
    acc = base * share
    after = ends > bs_date
    s_bs = float(share[ends == bs_date][0])
    acc_bs = base * s_bs
    if after.any() and s_bs < 1.0:
        carrying_after = cost - acc_bs - prior_impairment - loss
        left = max(carrying_after - residual, 0.0)
        acc = np.where(after, acc_bs + left * (share - s_bs) / (1.0 - s_bs), acc)
    allowance = prior_impairment + np.where(ends >= bs_date, loss, 0.0)
    amort = np.diff(np.concatenate([[0.0], acc]))
    rows = []
    for k in range(n):
        rows.append({"period_end": str(ends[k]), "amortisation": float(amort[k]),
                     "accumulated_amortisation": float(acc[k]),
                     "carrying_amount": float(cost - acc[k] - allowance[k]),
                     "balance_sheet_date": bool(ends[k] == bs_date)})
    return rows
