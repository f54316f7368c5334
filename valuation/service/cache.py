"""Cache of appraisal responses: the same card on the same library snapshot gives the same
numbers (docs/DESIGN.md §9, determinism), so a pricing desk that asks again gets the stored answer.

The key is ``(sha256 of the canonical card, trace flag, library snapshot id, date)``: a new
active version in any library changes the snapshot id and so misses the cache; the date is in
the key because date-dependent rules (e.g. staleness) may flag differently tomorrow. Entries
are the responses exactly as first computed — provenance included — and the response says
``X-Result-Cache: hit``. The service keeps them as rendered JSON bytes: one object per entry
for the garbage collector instead of a result's ~800. Bounded (least recently used first out), thread-safe.

:meth:`ResultCache.answer` also computes an identical request already in flight only once: a
burst of the same card waits for the first computation (``shared``) instead of all missing.
"""
from __future__ import annotations

import asyncio
import threading
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

__all__ = ["ResultCache"]


class ResultCache:
    """A bounded LRU map; ``size <= 0`` disables it (every ``get`` misses, ``put`` ignores)."""

    def __init__(self, size: int):
        self.size = int(size)
        self._d: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0
        self._inflight: dict[tuple[Any, ...], asyncio.Future] = {}

    def get(self, key: tuple[Any, ...]) -> Any | None:
        with self._lock:
            v = self._d.get(key)
            if v is None:
                self.misses += 1
                return None
            self._d.move_to_end(key)
            self.hits += 1
            return v

    def put(self, key: tuple[Any, ...], value: Any) -> None:
        if self.size <= 0:
            return
        with self._lock:
            self._d[key] = value
            self._d.move_to_end(key)
            while len(self._d) > self.size:
                self._d.popitem(last=False)

    def __len__(self) -> int:
        return len(self._d)

    async def answer(self, key: tuple[Any, ...], snapshot_id: str,
                     compute: Callable[[], Awaitable[tuple[Any, str | None]]]
                     ) -> tuple[Any, str | None, str]:
        """``(body, snapshot id, how)`` with ``how`` one of ``hit`` (cached), ``shared`` (the same
        request was being computed: its answer) or ``miss`` (computed here by ``compute``, kept
        when it used ``snapshot_id``). A failure of the computation reaches every waiter."""
        hit = self.get(key)
        if hit is not None:
            return hit, snapshot_id, "hit"
        running = self._inflight.get(key)
        if running is not None:
            try:
                body, sid = await asyncio.shield(running)
                return body, sid, "shared"
            except asyncio.CancelledError:
                if not running.cancelled():      # this request itself was cancelled
                    raise
        fut: asyncio.Future = asyncio.get_running_loop().create_future()
        self._inflight[key] = fut
        try:
            body, sid = await compute()
            if sid == snapshot_id:
                self.put(key, body)
            fut.set_result((body, sid))
        except asyncio.CancelledError:
            fut.cancel()             # the computing request went away: waiters compute themselves
            raise
        except Exception as e:
            fut.set_exception(e)
            fut.exception()          # retrieved here: waiters re-raise it, none → no asyncio warning
            raise
        finally:
            if self._inflight.get(key) is fut:
                del self._inflight[key]
        return body, sid, "miss"
