"""The seed standards library, for reports rendered without a snapshot's own library."""
from __future__ import annotations

from functools import lru_cache
from typing import Any

from ..library.seed.loader import seed_items

__all__ = ["seed_standards"]


@lru_cache(maxsize=1)
def seed_standards() -> dict[str, dict[str, Any]]:
    """``{id: entry}`` of ``valuation/library/seed/standards.yaml`` (read once)."""
    items = seed_items().get("standards", [])
    return {str(it["content"].get("id")): dict(it["content"]) for it in items}
