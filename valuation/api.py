"""The one facade every face uses (CLI, HTTP service, dashboard, notebooks).

>>> import json
>>> from valuation import api
>>> card = json.load(open("examples/interchange_example.json", encoding="utf-8"))
>>> r = api.appraise(card, library="seed")
>>> r.asset_id
'HZ-2025-0001'
>>> r.provenance["valuation_date"]
'2025-12-31'

The functions live in :mod:`valuation.facade` by concept (library, appraise, batch, analysis)
and in :mod:`valuation.share_api` (revenue sharing); this module is their one import path.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from . import __version__
from .core.lazy import lazy_names
from .facade.analysis import (
    backtest,
    book,
    book_papers,
    cite,
    parse_library_text,
    price,
    report,
    sensitivity,
    test_rule,
)
from .facade.appraise import appraise, appraise_together, load_engine, validate
from .facade.batch import (
    BatchResult,
    appraise_many,
    history,
    history_assets,
    revalue,
    run,
    runs,
    runs_diff,
)
from .facade.library import LibraryLike, default_db_url, open_library, snapshot
from .library.records import LIBRARIES
from .share_api import (
    coalition_values_from_income,
    share,
    share_diff,
    share_export,
    share_history,
    share_record,
    share_report,
    share_schema,
)

if TYPE_CHECKING:
    from .batch.pipeline import ONLY

# on first use: the batch pipeline (and the run history's SQLAlchemy behind it) is not what an
# appraisal, a CLI call or the service's start needs (issue 20 step 6)
__getattr__ = lazy_names(__name__, {".batch.pipeline": ("ONLY",)})

__all__ = ["appraise", "appraise_together", "appraise_many", "price", "revalue", "backtest", "open_library",
           "snapshot", "validate", "report", "book", "book_papers", "BatchResult", "cite", "__version__",
           "LibraryLike", "default_db_url", "history", "history_assets", "run", "runs", "runs_diff",
           "sensitivity", "test_rule", "parse_library_text", "load_engine", "coalition_values_from_income", "share",
           "share_diff", "share_export", "share_history", "share_record", "share_report", "share_schema",
           "LIBRARIES", "ONLY"]

test_rule.__test__ = False  # a library function, not a pytest test
