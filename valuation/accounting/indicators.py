"""Indications of impairment (CAS 8 art. 5), read from the data of the card.

The article's list adapted to data resources (docs/DOMAIN.md §7.5); thresholds are
engineering defaults (ENG.default), not regulation:

=========================  ====================================================  ===========
code                       when                                                  CAS 8 art. 5
=========================  ====================================================  ===========
MARKET_PRICE_DECLINE       comparable data prices changed by ≤ −20 %              (1)
PERFORMANCE_BELOW_PLAN     actual usage or revenue < 80 % of plan                 (6)
RIGHTS_TERM_SHORTENED      stated; or the rights term ends before the end of     (2)
                           the useful life, or has ended by the balance-sheet date
DATA_OBSOLETE              stated; or updates stopped (``no-update``)             (4)
DECLARED                   indicators listed in ``asset.impairment_indicators``   —
VALUE_BELOW_CARRYING       the engine's recoverable amount < carrying amount      (7)
=========================  ====================================================  ===========
"""
from __future__ import annotations

import numpy as np

from .inputs import Inputs

__all__ = ["INDICATORS", "PRICE_DROP", "PERFORMANCE_RATIO", "indicators"]

PRICE_DROP = -0.20          # ENG.default
PERFORMANCE_RATIO = 0.80    # ENG.default

INDICATORS = {
    "MARKET_PRICE_DECLINE": ("可比数据产品市价大幅下跌", "prices of comparable data fell sharply", "(1)"),
    "PERFORMANCE_BELOW_PLAN": ("使用量或收入低于计划", "usage or revenue below plan", "(6)"),
    "RIGHTS_TERM_SHORTENED": ("权利期限缩短或先于使用寿命终止", "rights term shortened or ending before the useful life",
                              "(2)"),
    "DATA_OBSOLETE": ("数据过时（时效性丧失、停止更新）", "data obsolete (timeliness lost, updates stopped)", "(4)"),
    "DECLARED": ("卡片列明的减值迹象", "impairment indicators stated on the card", ""),
    "VALUE_BELOW_CARRYING": ("评估的可收回金额低于账面价值", "the appraised recoverable amount is below the carrying amount",
                             "(7)"),
}


def indicators(inp: Inputs, recoverable: np.ndarray, carrying: np.ndarray) -> dict[str, np.ndarray]:
    """One boolean array per indicator code (all assets at once)."""
    with np.errstate(invalid="ignore"):
        # last day of the useful life, in the convention of the schedule (amortise.py)
        life = np.nan_to_num(inp.life)
        av = np.where(np.isnat(inp.available), np.datetime64("2000-01-01"), inp.available)
        by_month = ((av.astype("datetime64[M]") + np.ceil(12.0 * life - 1e-9).astype("timedelta64[M]"))
                    .astype("datetime64[D]") - np.timedelta64(1, "D"))
        by_day = av + np.ceil(365.0 * life - 1e-9).astype("timedelta64[D]") - np.timedelta64(1, "D")
        end_of_life = np.where(inp.convention == "days", by_day, by_month)
        end_of_life = np.where(np.isnan(inp.life) | np.isnat(inp.available) | (inp.method == "units"),
                               np.datetime64("NaT"), end_of_life)
        rights_short = ~np.isnat(inp.rights_end) & (
            (~np.isnat(end_of_life) & (inp.rights_end < end_of_life)) | (inp.rights_end <= inp.bs_date))
        declared = np.array([bool(v) and str(v).strip() != "" for v in inp.declared_indicators])
        return {
            "MARKET_PRICE_DECLINE": inp.price_change <= PRICE_DROP,
            "PERFORMANCE_BELOW_PLAN": (inp.planned > 0) & (inp.actual < PERFORMANCE_RATIO * inp.planned),
            "RIGHTS_TERM_SHORTENED": inp.rights_shortened | rights_short,
            "DATA_OBSOLETE": inp.data_obsolete | (inp.update_frequency == "no-update"),
            "DECLARED": declared,
            "VALUE_BELOW_CARRYING": recoverable < carrying,
        }
