"""Build a :class:`~valuation.core.snapshot.LibrarySnapshot` from the store or from seed files.

(Owned by the lead; the store itself lives in :mod:`valuation.library.store`.)
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pandas as pd

from ..core.models import repo_root
from ..core.snapshot import LibrarySnapshot

__all__ = ["snapshot_from_store", "snapshot_from_seeds"]



def snapshot_from_seeds(root: Path | None = None) -> LibrarySnapshot:
    """Snapshot of the seed files as shipped (no database): for tests and offline use.

    Reads the same items the seed loader stores, so a freshly initialised store and this
    snapshot give the same numbers."""
    from .seed.loader import seed_items

    root = root or repo_root()
    items = seed_items(root)
    h = hashlib.sha256()
    for lib in sorted(items):
        for it in items[lib]:
            h.update(f"{lib}/{it['key']}".encode())
            h.update(json.dumps(it["content"], sort_keys=True, ensure_ascii=False, default=str).encode())

    def contents(lib: str) -> list[dict[str, Any]]:
        return [dict(it["content"]) for it in items.get(lib, []) if it.get("status", "active") == "active"]

    case_rows = contents("cases")
    return LibrarySnapshot(
        snapshot_id="seed-" + h.hexdigest()[:12],
        models={c.get("id"): c for c in contents("models")},
        rules=contents("rules"),
        indicators=contents("indicators"),
        standards={c.get("id"): c for c in contents("standards")},
        cases=pd.DataFrame(case_rows) if case_rows else None,
    )


def snapshot_from_store(store: Any) -> LibrarySnapshot:
    """Snapshot of the active versions in a store; its id is the store's snapshot id."""
    def contents(lib: str) -> list[dict[str, Any]]:
        return [dict(e.content) for e in store.list(lib)]

    cases = store.frame("cases")
    return LibrarySnapshot(
        snapshot_id=store.snapshot_id(),
        models={c.get("id"): c for c in contents("models")},
        rules=contents("rules"),
        indicators=contents("indicators"),
        standards={c.get("id"): c for c in contents("standards")},
        cases=cases if cases is not None and len(cases) else None,
    )
