"""Batch revaluation: portfolio I/O, the revaluation pipeline, local and Dask backends, run
history (docs/DESIGN.md §2 "Run", §3).

>>> from valuation.batch import revalue            # doctest: +SKIP
>>> s = revalue("portfolio.xlsx", "out/results.csv", only="high-premium", library="seed")
>>> s.counts["valued"], s.run_id                    # doctest: +SKIP
"""
from __future__ import annotations

from .io import read_portfolio, write_table
from .pipeline import ONLY, RunSummary, revalue
from .rundb import history, run_show, runs_diff, runs_list

__all__ = [
           "ONLY",
           "RunSummary",
           "history",
           "read_portfolio",
           "revalue",
           "run_show",
           "runs_diff",
           "runs_list",
           "write_table",
]
