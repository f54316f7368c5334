"""The market approach's back-test (issue 16): an analysis tool at the edge, above ``methods``.

It reads listing files, splits them by listing family / provider / row (:mod:`.splitting`,
scikit-learn ``GroupShuffleSplit``), values the hold-out through the market approach and
builds the ratio-study tables per price mode and exchange (:mod:`.study`), written as CSV /
JSON. Frames are its input and output, so pandas lives here and not in the kernels
(issue 20; docs/DESIGN.md §4). Reached through ``valuation.api.backtest`` and
``valuation backtest``.
"""
from __future__ import annotations

from .splitting import GROUP_BY, group_keys, split_mask
from .study import PREDICTION_COLUMNS, BacktestResult, backtest_frames, ratio_study, run_backtest

__all__ = ["GROUP_BY", "PREDICTION_COLUMNS", "BacktestResult", "backtest_frames", "group_keys", "ratio_study",
           "run_backtest", "split_mask"]
