"""Build a :class:`~valuation.core.snapshot.LibrarySnapshot` from the store or from seed files.

(Owned by the lead; the store itself lives in :mod:`valuation.library.store`.)
"""
from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from ..core.models import load_models_dir, repo_root
from ..core.snapshot import LibrarySnapshot

__all__ = ["snapshot_from_store", "snapshot_from_seeds"]

SEED_DIR = Path(__file__).resolve().parent / "seed"


def _yaml_list(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if isinstance(data, dict):
        data = data.get("entries") or data.get("items") or list(data.values())
    return [d for d in (data or []) if isinstance(d, dict)]


def snapshot_from_seeds(root: Path | None = None) -> LibrarySnapshot:
    """Snapshot of the seed files as shipped (no database): for tests and offline use."""
    root = root or repo_root()
    h = hashlib.sha256()
    files = sorted(SEED_DIR.glob("*.yaml")) + sorted((root / "models").glob("*.yaml"))
    cases_csv = root / "case_library" / "cases.csv"
    for p in files + ([cases_csv] if cases_csv.exists() else []):
        h.update(p.name.encode())
        h.update(p.read_bytes())
    standards = {d.get("id"): d for d in _yaml_list(SEED_DIR / "standards.yaml")}
    cases = pd.read_csv(cases_csv) if cases_csv.exists() else None
    return LibrarySnapshot(
        snapshot_id="seed-" + h.hexdigest()[:12],
        models=load_models_dir(root / "models") if (root / "models").exists() else {},
        rules=_yaml_list(SEED_DIR / "rules.yaml"),
        indicators=_yaml_list(SEED_DIR / "indicators.yaml"),
        standards=standards,
        cases=cases,
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
