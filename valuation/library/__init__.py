"""The five libraries (标准库、规则库、指标库、模型库、案例库): a versioned, audited store in SQLite or
PostgreSQL (:mod:`.store`), seed files and their loader (:mod:`.seed`), snapshots (:mod:`.snapshot`).
"""
from typing import TYPE_CHECKING

from ..core.lazy import lazy_names
from .records import LIBRARIES, STATUSES, AuditRecord, Entry

if TYPE_CHECKING:
    from .store import IntegrityCheckError, Store, default_url, open_store

# the store (SQLAlchemy, slow to import) on first use: the approaches import the case schema of
# ``valuation.library.cases`` through this package, and an appraisal with explicit comparables
# or a Dask worker never opens a store
__getattr__ = lazy_names(__name__, {".store": ("IntegrityCheckError", "Store", "default_url", "open_store")})

__all__ = ["LIBRARIES", "STATUSES", "AuditRecord", "Entry", "IntegrityCheckError", "Store",
           "default_url", "open_store"]
