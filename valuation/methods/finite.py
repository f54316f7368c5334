"""Finite results only (issue 17 item 5): an approach whose estimate or range is not finite — an
overflow, a NaN from inf − inf, an amount beyond any real asset — is not applicable, with the reason;
a reconciled conclusion is given only with a finite estimate, low and high.

``MAX_AMOUNT`` = 10^18 (in any currency unit): no data asset is worth that much (world output is
about 10^14 USD a year), and amounts beyond it make squares and products in the range and Monte
Carlo code lose meaning long before float64 overflows at 1.8 × 10^308 — so such an amount is
treated as an overflow, not as a value (docs/POLICY_CHOICES.md §5).

The decisions are numpy over the result columns (:func:`finite_amounts`, :func:`overflow_rows`,
:func:`negative_rows`); the engine applies them to the approaches' result arrays
(``MethodResult.refused``). :func:`guard_conclusion` applies them to the reconciled frame
through the frame's own methods (this module imports no pandas).
"""
from __future__ import annotations

from typing import Any

import numpy as np

DataFrame = Any     # an approach's result frame (read and copied through its own methods only)

__all__ = ["MAX_AMOUNT", "NEGATIVE_EN", "NEGATIVE_ZH", "OVERFLOW_ZH", "OVERFLOW_EN", "finite_amounts",
           "guard_conclusion", "negative_rows", "overflow_rows"]

MAX_AMOUNT = 1e18
OVERFLOW_ZH = "计算中出现溢出或非有限数值（如极端金额输入，绝对值超过 1e18 视为溢出），该方法不适用"
OVERFLOW_EN = ("an intermediate result overflowed or was not finite (e.g. an extreme amount in the input; "
               "|amount| > 1e18 counts as an overflow): the approach does not apply")


def finite_amounts(*arrays: np.ndarray) -> np.ndarray:
    """Rows where every array is finite and within ±MAX_AMOUNT."""
    ok = None
    for a in arrays:
        x = np.asarray(a, dtype=float)
        with np.errstate(invalid="ignore"):
            good = np.isfinite(x) & (np.abs(x) <= MAX_AMOUNT)
        ok = good if ok is None else ok & good
    return ok


def overflow_rows(applicable: np.ndarray, *amounts: np.ndarray) -> np.ndarray:
    """Applicable rows where an amount (estimate, low, high …) is not finite or beyond
    ±:data:`MAX_AMOUNT`: they are not applicable (reason :data:`OVERFLOW_EN`)."""
    return np.asarray(applicable, dtype=bool) & ~finite_amounts(*amounts)


def negative_rows(applicable: np.ndarray, estimate: np.ndarray, loss_rows: np.ndarray) -> np.ndarray:
    """Applicable rows with a negative estimate whose card states no loss (``income.loss_making``):
    they are not applicable (reason :data:`NEGATIVE_EN`; CAS 2023 art. 2)."""
    with np.errstate(invalid="ignore"):
        return np.asarray(applicable, dtype=bool) & (np.asarray(estimate, dtype=float) < 0) & ~loss_rows


def _floats(frame: DataFrame, name: str) -> np.ndarray:
    return frame[name].to_numpy(dtype=float)


def guard_conclusion(frame: DataFrame) -> DataFrame:
    """The reconciled frame with no conclusion (estimate, low, high NaN) on rows where any of the
    three is not a finite amount — ``status: ok`` is given only with all three (in place)."""
    if "estimate" not in frame or not len(frame):
        return frame
    est = _floats(frame, "estimate")
    lo = _floats(frame, "low") if "low" in frame else est
    hi = _floats(frame, "high") if "high" in frame else est
    bad = ~np.isnan(est) & ~finite_amounts(est, lo, hi)
    if bad.any():
        for c in ("estimate", "low", "high"):
            if c in frame:
                frame.loc[bad, c] = np.nan
        if "reason_zh" in frame:
            frame.loc[bad, "reason_zh"] = "结论或区间不是有限数值（溢出），不出具结论"
            frame.loc[bad, "reason_en"] = "the conclusion or its range is not finite (overflow): no conclusion is given"
    return frame


NEGATIVE_ZH = ("结果为负（扣除后的收益为负），但卡片未声明亏损资产（income.loss_making）：该方法不适用；"
               "如确为亏损资产，请声明后评估（第二条：数据资产须预期带来经济利益）")
NEGATIVE_EN = ("the result is negative (the income left after deductions is negative) but the card does not state "
               "a loss-making asset (income.loss_making): the approach does not apply; state it to value a loss "
               "(art. 2: a data asset must be expected to bring economic benefits)")

