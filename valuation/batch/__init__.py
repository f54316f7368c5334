"""Batch revaluation: portfolio I/O, the revaluation pipeline, local and Dask backends, run
history (docs/DESIGN.md §2 "Run", §3).

The facade resolves what a run needs and passes it in: :func:`valuation.api.revalue` takes
``library=`` like every face; :func:`valuation.batch.revalue` takes the resolved ``snapshot=``
and the history ``db=``, so this package never imports :mod:`valuation.api`.

>>> from valuation import api                       # doctest: +SKIP
>>> s = api.revalue("portfolio.xlsx", "out/results.csv", only="high-premium", library="seed")
>>> s.counts["valued"], s.run_id                    # doctest: +SKIP
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..core.lazy import lazy_names

if TYPE_CHECKING:
    from .io import read_portfolio, write_table
    from .pipeline import ONLY, RunSummary, revalue
    from .rundb import history, run_show, runs_diff, runs_list

# imported on first use: a Dask worker imports ``valuation.batch.remote``, which must not pull
# in the pipeline and the run history (SQLAlchemy's import) through this ``__init__``
__getattr__ = lazy_names(__name__, {
    ".io": ("read_portfolio", "write_table"),
    ".pipeline": ("ONLY", "RunSummary", "revalue"),
    ".rundb": ("history", "run_show", "runs_diff", "runs_list"),
})
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
