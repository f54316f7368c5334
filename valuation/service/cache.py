"""Cache of appraisal responses: the same card on the same library snapshot gives the same
numbers (DESIGN.md §9, determinism), so a pricing desk that asks again gets the stored answer.

The key is ``(sha256 of the canonical card, trace flag, library snapshot id, date)``: a new
active version in any library changes the snapshot id and so misses the cache; the date is in
the key because date-dependent rules (e.g. staleness) may flag differently tomorrow. Entries
are the response dicts exactly as first computed — provenance included — and the response
says ``X-Result-Cache: hit``. Bounded (least recently used first out), thread-safe.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

__all__ = ["ResultCache"]


class ResultCache:
    """A bounded LRU map; ``size <= 0`` disables it (every ``get`` misses, ``put`` ignores)."""

    def __init__(self, size: int):
        self.size = int(size)
        self._d: OrderedDict[tuple[Any, ...], dict[str, Any]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: tuple[Any, ...]) -> dict[str, Any] | None:
        with self._lock:
            v = self._d.get(key)
            if v is None:
                self.misses += 1
                return None
            self._d.move_to_end(key)
            self.hits += 1
            return v

    def put(self, key: tuple[Any, ...], value: dict[str, Any]) -> None:
        if self.size <= 0:
            return
        with self._lock:
            self._d[key] = value
            self._d.move_to_end(key)
            while len(self._d) > self.size:
                self._d.popitem(last=False)

    def __len__(self) -> int:
        return len(self._d)
