"""The five libraries (标准库、规则库、指标库、模型库、案例库): a versioned, audited store in SQLite or
PostgreSQL (:mod:`.store`), seed files and their loader (:mod:`.seed`), snapshots (:mod:`.snapshot`).
"""
from .records import LIBRARIES, STATUSES, AuditRecord, Entry
from .store import IntegrityCheckError, Store, default_url, open_store

__all__ = ["LIBRARIES", "STATUSES", "AuditRecord", "Entry", "IntegrityCheckError", "Store",
           "default_url", "open_store"]
