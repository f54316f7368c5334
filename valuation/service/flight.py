"""Single flight: concurrent callers needing the same blocking read share one run of it.

Why: the service caches the library snapshot id (1 s) and verified API keys (2 s). When an
entry expires under load, every request arriving before the first re-read finishes would do
its own database read in a worker thread — with twenty concurrent clients, twenty thread hops
and twenty reads, each waiting for the interpreter lock while an appraisal computes. One read
answers them all. A caller may get a value read up to one read's duration before it
arrived — well inside the caches' own staleness; where no staleness is allowed (a key cache of
0 s: "read on every request") the service does not use it.
"""
from __future__ import annotations

import asyncio
from collections.abc import Callable, Hashable
from typing import Any

from fastapi.concurrency import run_in_threadpool

__all__ = ["SingleFlight"]


class SingleFlight:
    """``await flight.run(key, fn)``: ``fn()`` in a worker thread, shared by every caller that
    asks for the same ``key`` on the same event loop while it runs. An exception reaches every
    caller; a caller that is cancelled does not cancel the read for the others. ``runs``
    counts the reads actually made."""

    def __init__(self) -> None:
        self._inflight: dict[tuple[int, Hashable], asyncio.Future[Any]] = {}
        self.runs = 0

    async def run(self, key: Hashable, fn: Callable[[], Any]) -> Any:
        loop = asyncio.get_running_loop()
        k = (id(loop), key)
        task = self._inflight.get(k)
        if task is None or task.done() or task.get_loop() is not loop:
            self.runs += 1
            task = asyncio.ensure_future(run_in_threadpool(fn))
            self._inflight[k] = task
            task.add_done_callback(lambda t, k=k: self._forget(k, t))
        return await asyncio.shield(task)

    def _forget(self, k: tuple[int, Hashable], task: asyncio.Future[Any]) -> None:
        if self._inflight.get(k) is task:
            del self._inflight[k]
        if not task.cancelled():
            task.exception()        # retrieved: no "exception was never retrieved" warning
