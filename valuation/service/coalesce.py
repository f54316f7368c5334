"""Request coalescing (micro-batching) of single-card appraisals.

Why: an explained appraisal has a large fixed cost per evaluation and a small cost per card
(``benchmarks/bench_service.py --batch-cost`` measures both), and the service computes one
evaluation at a time per compute slot (CPU-bound Python, more threads only fight over the
GIL). Twenty concurrent clients with distinct cards computed one by one would queue behind
each other, each paying the fixed cost. An evaluation of twenty cards together pays it once,
and an asset's result does not depend on its neighbours in a portfolio
(``tests/test_method_conformance.py::test_whole_appraisal_independent_of_the_portfolio``), so
requests that arrive while the CPU slot is busy wait in a queue here, and when the slot frees,
all of them (up to ``max_batch``) are computed in one call of ``run`` — each request receives
exactly its own outcome.

A request arriving at an idle service takes the slot at once and is computed alone. Right
after a batch, though, the drainer waits a moment for the clients it has just answered to come
back, until as many items are queued as the batch plus the queue held — at most ``max_wait``
seconds and half the batch's own computing time (so the wait never costs more than a fraction
of what it saves), and only while requests keep arriving at least every ``gap`` seconds. Why:
closed-loop clients (a pricing desk's workers each sending its next request on the answer)
otherwise split into groups that alternate on the CPU — while one group is computed the
other queues — and every request pays the fixed cost of an evaluation twice. With the wait
they merge into one batch: one fixed cost per round. A lone client never waits (its batch of
one is complete as soon as it comes back), and the wait ends at the first quiet ``gap``.

Rules of a batch: only items of one *group* (``(trace flag, library snapshot)`` in the
service) are computed together, and never two items with the same *conflict* key (the asset
id, which indexes a portfolio) — the later one waits for the next batch. ``run`` returns one
outcome per item, an exception being that item's failure; it reaches only that item's waiter.
A waiter that goes away (cancelled) is taken out of the queue, or, when its item is already
being computed, its outcome is dropped; the others are unaffected.
"""
from __future__ import annotations

import asyncio
import weakref
from collections import Counter, deque
from collections.abc import Callable, Hashable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

import anyio
import anyio.to_thread

__all__ = ["Coalescer"]


@dataclass(eq=False)
class _Item:
    group: Hashable
    conflict: Hashable
    payload: Any
    future: asyncio.Future
    size: int = 0                       # how many items its batch had


@dataclass(eq=False)
class _LoopState:
    queue: deque[_Item] = field(default_factory=deque)
    drainers: int = 0
    computing: int = 0                  # items in the batches being computed now
    awaited: int = 0                    # items the waiting drainers expect back, together
    arrived: asyncio.Event = field(default_factory=asyncio.Event)


class Coalescer:
    """Queue of items computed in batches by ``run(group, payloads) -> outcomes`` (in a worker
    thread, holding one token of ``limiter``), or — given ``submit(group, payloads) ->
    concurrent Future of the outcomes`` (a process pool) — awaited on the event loop without
    a thread blocked on it (one thread hop less per batch).

    Attributes ``batches`` and ``items`` count the computations and the items they served;
    ``largest`` is the largest batch so far; ``waits`` counts how the waits after a batch
    ended: ``complete`` (everyone expected was back), ``quiet`` (nobody arrived for ``gap``)
    or ``limit`` (the longest wait passed).
    """

    def __init__(self, run: Callable[[Hashable, list[Any]], Sequence[Any]] | None,
                 limiter: anyio.CapacityLimiter, max_batch: int = 32, *,
                 max_wait: float = 0.0, gap: float = 0.004,
                 submit: Callable[[Hashable, list[Any]], Future[Sequence[Any]]] | None = None):
        if (run is None) == (submit is None):
            raise ValueError("a Coalescer needs exactly one of run (in a thread) and submit (a future)")
        self.run = run
        self.submit_batch = submit
        self.limiter = limiter
        self.max_batch = max(1, int(max_batch))
        self.max_wait = max(0.0, float(max_wait))
        self.gap = max(0.0, float(gap))
        self.batches = 0
        self.items = 0
        self.largest = 0
        self.waits: Counter[str] = Counter()
        # futures and tasks belong to one event loop: a state per loop (tests use several)
        self._states: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopState] = \
            weakref.WeakKeyDictionary()

    async def submit(self, group: Hashable, payload: Any, conflict: Hashable = None
                     ) -> tuple[Any, int]:
        """``(outcome, n)``: this payload's outcome and the number of items computed in its
        batch. An outcome that is an exception is raised instead."""
        hash(group)
        try:
            hash(conflict)
        except TypeError:
            conflict = repr(conflict)
        loop = asyncio.get_running_loop()
        st = self._states.get(loop)
        if st is None:
            st = self._states[loop] = _LoopState()
        item = _Item(group, conflict, payload, loop.create_future())
        st.queue.append(item)
        st.arrived.set()
        self._kick(loop, st)
        try:
            outcome = await item.future
        except asyncio.CancelledError:
            if not item.future.done():
                item.future.cancel()     # the drainer drops it, or skips its outcome
            try:
                st.queue.remove(item)
            except ValueError:
                pass
            raise
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome, item.size

    def pending(self) -> int:
        """Items waiting for a computation (every event loop)."""
        return sum(self._live(st) for st in list(self._states.values()))

    @staticmethod
    def _live(st: _LoopState) -> int:
        return sum(1 for it in st.queue if not it.future.done())

    # ------------------------------------------------------------------ internals
    def _kick(self, loop: asyncio.AbstractEventLoop, st: _LoopState) -> None:
        """Start a drainer when there is queued work and a CPU token no drainer is using."""
        if st.queue and st.drainers < max(1, int(self.limiter.total_tokens)):
            st.drainers += 1
            loop.create_task(self._drain(st))

    def _take(self, st: _LoopState) -> list[_Item]:
        """The oldest live item and the next ones of its group, skipping conflicts, at most
        ``max_batch``; the rest stays queued in order. With several tokens (compute
        processes) a batch takes at most its share of the work in hand — queued and being
        computed — so concurrent batches stay balanced (20 clients on 2 processes: 10 and 10,
        not 1 and 19 after a start at an idle service)."""
        while st.queue and st.queue[0].future.done():
            st.queue.popleft()
        if not st.queue:
            return []
        cap = self.max_batch
        tokens = int(self.limiter.total_tokens)
        if tokens > 1:
            cap = min(cap, -(-(self._live(st) + st.computing) // tokens))
        group = st.queue[0].group
        batch: list[_Item] = []
        seen: set[Hashable] = set()
        keep: deque[_Item] = deque()
        while st.queue:
            it = st.queue.popleft()
            if it.future.done():
                continue
            if len(batch) < cap and it.group == group and it.conflict not in seen:
                batch.append(it)
                seen.add(it.conflict)
            else:
                keep.append(it)
        st.queue.extend(keep)
        return batch

    async def _wait_for_returning(self, st: _LoopState, expected: int, longest: float) -> None:
        """After a batch: wait until as many live items are queued as this drainer
        (``expected``) and every other waiting one expect together, no item has arrived for
        ``gap`` seconds, or ``longest`` seconds have passed, whichever comes first."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + longest
        # several drainers waiting at once (compute processes) wait for all their clients
        st.awaited += expected
        try:
            await self._wait(st, deadline, loop)
        finally:
            st.awaited -= expected

    async def _wait(self, st: _LoopState, deadline: float, loop: asyncio.AbstractEventLoop) -> None:
        while self._live(st) < st.awaited:
            left = deadline - loop.time()
            if left <= 0:
                self.waits["limit"] += 1
                return
            st.arrived.clear()
            try:
                await asyncio.wait_for(st.arrived.wait(), timeout=min(self.gap, left))
            except TimeoutError:
                if self._live(st) < st.awaited:  # (an arrival may race the timeout)
                    self.waits["quiet" if self.gap < left else "limit"] += 1
                    return                       # nobody else is coming back soon
        self.waits["complete"] += 1

    async def _drain(self, st: _LoopState) -> None:
        batch: list[_Item] = []
        expected = 0
        took = 0.0
        loop = asyncio.get_running_loop()
        try:
            while True:
                if expected and self.max_wait > 0:
                    await self._wait_for_returning(st, expected, min(self.max_wait, took / 2))
                if not st.queue:
                    break
                async with self.limiter:
                    batch = self._take(st)
                    if not batch:
                        break
                    n = len(batch)
                    st.computing += n
                    self.batches += 1
                    self.items += n
                    self.largest = max(self.largest, n)
                    started = loop.time()
                    try:
                        payloads = [it.payload for it in batch]
                        if self.submit_batch is not None:   # a process pool: no thread to block
                            outcomes = list(await asyncio.wrap_future(
                                self.submit_batch(batch[0].group, payloads)))
                        else:
                            outcomes = list(await anyio.to_thread.run_sync(
                                self.run, batch[0].group, payloads))  # type: ignore[arg-type]
                        if len(outcomes) != n:
                            raise RuntimeError(f"{n} items, {len(outcomes)} outcomes")
                    except Exception as e:  # noqa: BLE001 - the batch failed as a whole
                        outcomes = [e] * n
                    took = loop.time() - started
                    st.computing -= n
                    # the clients answered now may come straight back with their next request;
                    # queued items another waiting drainer expects are not counted twice
                    expected = min(self.max_batch, n + max(0, self._live(st) - st.awaited))
                    for it, out in zip(batch, outcomes):
                        it.size = n
                        if not it.future.done():
                            it.future.set_result(out)
                    batch = []
        finally:
            # cancelled (the loop is shutting down): nobody is left hanging on this batch
            for it in batch:
                if not it.future.done():
                    it.future.cancel()
            if batch:
                st.computing -= len(batch)
            st.drainers -= 1
