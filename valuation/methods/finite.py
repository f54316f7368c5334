"""Finite results only (issue 17 item 5): an approach whose estimate or range is not finite — an
overflow, a NaN from inf − inf, an amount beyond any real asset — is not applicable, with the reason;
a reconciled conclusion is given only with a finite estimate, low and high.

``MAX_AMOUNT`` = 10^18 (in any currency unit): no data asset is worth that much (world output is
about 10^14 USD a year), and amounts beyond it make squares and products in the range and Monte
Carlo code lose meaning long before float64 overflows at 1.8 × 10^308 — so such an amount is
treated as an overflow, not as a value (docs/POLICY_CHOICES.md §5).

The decisions are numpy over the result columns (:func:`finite_amounts`, :func:`overflow_rows`,
:func:`negative_rows`); the engine applies them to the approaches' result arrays
(``MethodResult.refused``); :func:`guard_columns` to the reconciled columns (this module
imports no pandas).
"""
from __future__ import annotations

import numpy as np

__all__ = ["MAX_AMOUNT", "NEGATIVE_EN", "NEGATIVE_ZH", "OVERFLOW_ZH", "OVERFLOW_EN", "finite_amounts",
           "guard_columns", "negative_rows", "overflow_rows"]

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


def guard_columns(cols: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The reconciled columns with no conclusion (estimate, low, high NaN) on rows where any of
    the three is not a finite amount — ``status: ok`` is given only with all three. The
    columns themselves when no row is refused, else a new mapping (the arrays not changed)."""
    if "estimate" not in cols or not len(cols["estimate"]):
        return cols
    est = np.asarray(cols["estimate"], dtype=float)
    lo = np.asarray(cols["low"], dtype=float) if "low" in cols else est
    hi = np.asarray(cols["high"], dtype=float) if "high" in cols else est
    bad = ~np.isnan(est) & ~finite_amounts(est, lo, hi)
    if not bad.any():
        return cols
    out = dict(cols)
    for c in ("estimate", "low", "high"):
        if c in out:
            out[c] = np.where(bad, np.nan, np.asarray(out[c], dtype=float))
    if "reason_zh" in out:
        for c, text in (("reason_zh", CONCLUSION_OVERFLOW_ZH), ("reason_en", CONCLUSION_OVERFLOW_EN)):
            v = np.array(out[c], dtype=object)
            v[bad] = text
            out[c] = v
    return out


CONCLUSION_OVERFLOW_ZH = "结论或区间不是有限数值（溢出），不出具结论"
CONCLUSION_OVERFLOW_EN = "the conclusion or its range is not finite (overflow): no conclusion is given"


NEGATIVE_ZH = ("结果为负（扣除后的收益为负），但卡片未声明亏损资产（income.loss_making）：该方法不适用；"
               "如确为亏损资产，请声明后评估（第二条：数据资产须预期带来经济利益）")
NEGATIVE_EN = ("the result is negative (the income left after deductions is negative) but the card does not state "
               "a loss-making asset (income.loss_making): the approach does not apply; state it to value a loss "
               "(art. 2: a data asset must be expected to bring economic benefits)")

