"""The state one service app shares between its routes: keys, rate limiter, library store,
snapshot id, background runs, result cache, coalescer and compute pool."""
from __future__ import annotations

import datetime as _dt
import gc
import threading
import time
from pathlib import Path
from typing import Any

import anyio
from fastapi.concurrency import run_in_threadpool

from .. import api
from ..core.portfolio import card_hash
from .cache import ResultCache
from .coalesce import Coalescer
from .compute import ComputePool, limit_blas_threads, runner, submitter, warm_engine
from .flight import SingleFlight
from .keys import ApiKey, KeyStore
from .ratelimit import TokenBucketLimiter
from .runs import RunRegistry
from .settings import Settings

__all__ = ["Service"]


class Service:
    """State shared by the routes of one app: keys, rate limiter, library, runs."""

    def __init__(self, settings: Settings):
        self.settings = settings
        limit_blas_threads(settings.blas_threads)     # before compute processes are spawned
        self.db_url = settings.resolved_db_url()
        self.keys = KeyStore(self.db_url, cache_seconds=settings.key_cache_seconds)
        self.limiter = TokenBucketLimiter(settings.rate_per_second, settings.rate_burst)
        self._store: Any = None
        self._store_lock = threading.Lock()
        self._sid: tuple[float, str] = (0.0, "")
        runs_dir = settings.runs_dir or str(Path("var") / "runs")
        self.runs = RunRegistry(runs_dir, self.library, history_db=settings.resolved_db_url())
        self.results = ResultCache(settings.result_cache_size)
        # appraisals are CPU-bound Python: more threads than this only fight over the GIL
        self.cpu_limiter = anyio.CapacityLimiter(max(1, settings.appraisal_threads))
        # single-card appraisals that queue for the CPU are computed together (coalesce.py),
        # in this process or in a pool of compute processes (compute.py), one batch each
        n = int(settings.compute_processes)
        self.pool = ComputePool(n, "seed" if settings.library == "seed" else self.db_url,
                                warm=settings.warm_up) if n > 0 else None
        self.warmed = 0                 # example cards appraised at start in this process
        self.flight = SingleFlight()    # expired snapshot id / key: one re-read for all waiting
        self.fast_answers = 0           # appraisals answered by ServiceMiddleware._fast_appraisal
        self.coalescer = Coalescer(None if self.pool else runner(self.library),
                                   anyio.CapacityLimiter(n) if self.pool else self.cpu_limiter,
                                   settings.coalesce_max, max_wait=settings.coalesce_wait_ms / 1e3,
                                   gap=settings.coalesce_gap_ms / 1e3,
                                   submit=submitter(self.pool) if self.pool else None)

    # ------------------------------------------------------------------ appraisal
    async def appraise_one(self, card: dict[str, Any], trace: bool, sid: str, input_hash: str
                           ) -> tuple[bytes, str | None, int]:
        """``(Result.to_dict() rendered as JSON, its library snapshot, n)`` of one card,
        computed in a batch of ``n`` requests that queued together (``sid``: the snapshot the
        request was made on; ``input_hash``: the card's ``card_hash``)."""
        asset = card.get("asset")
        aid = asset.get("asset_id") if isinstance(asset, dict) else None
        item = (card, input_hash)
        (body, snap_id), n = await self.coalescer.submit((bool(trace), sid), item, conflict=aid)
        return body, snap_id, n

    async def appraisal(self, card: dict[str, Any], trace: bool) -> tuple[bytes, str | None, str, int]:
        """``POST /v1/appraisals`` once the card is parsed and the caller authorised: ``(JSON
        body, its library snapshot, X-Result-Cache, X-Coalesced or 0)``. The same card on the
        same snapshot and day gives the same numbers, so it is answered from the result cache;
        otherwise computed in a coalesced batch."""
        sid = await self.current_snapshot_id()
        h = card_hash(card)
        ck = (h, bool(trace), sid, _dt.date.today().isoformat())
        together = 0

        async def compute() -> tuple[bytes, str | None]:
            nonlocal together
            body, snap_id, together = await self.appraise_one(card, trace, sid, h)
            return body, snap_id

        body, snap_id, how = await self.results.answer(ck, sid, compute)
        return body, snap_id, how, together

    async def key_for(self, presented: str) -> ApiKey | None:
        """The active key ``presented`` names, or None: from the cache on the event loop, else
        one database read shared by the requests waiting on it (a key cache of 0 s reads on
        every request)."""
        known, key = self.keys.cached(presented)
        if known:
            return key
        if self.keys.cache_seconds > 0:
            return await self.flight.run(("key", presented), lambda: self.keys.verify(presented))
        return await run_in_threadpool(self.keys.verify, presented)

    # ------------------------------------------------------------------ library
    def store(self) -> Any:
        """The library store at ``db_url`` (seeded when empty, as the Python API does)."""
        if self._store is None:
            with self._store_lock:
                if self._store is None:
                    st = api.open_library(self.db_url)
                    if not st.list("standards"):
                        from ..library.seed.loader import load_seeds

                        load_seeds(st)
                    self._store = st
        return self._store

    def library(self) -> Any:
        """What appraisals run against: ``"seed"`` or the store."""
        return "seed" if self.settings.library == "seed" else self.store()

    def cached_snapshot_id(self) -> str | None:
        """The snapshot id while its cache is fresh, else None (then :meth:`snapshot_id`, which
        may read the database, in a worker thread)."""
        t, sid = self._sid
        if sid and time.monotonic() - t <= self.settings.snapshot_cache_seconds:
            return sid
        return None

    async def current_snapshot_id(self) -> str:
        """:meth:`snapshot_id` for the event loop: without a thread hop when cached (while an
        appraisal computes in a worker thread, each hop waits for the GIL)."""
        return self.cached_snapshot_id() or await self.flight.run("snapshot", self.snapshot_id)

    def snapshot_id(self, *, fresh: bool = False) -> str:
        """Current library snapshot id (cached ``snapshot_cache_seconds``)."""
        now = time.monotonic()
        t, sid = self._sid
        if fresh or not sid or now - t > self.settings.snapshot_cache_seconds:
            lib = self.library()
            sid = api.snapshot("seed").snapshot_id if lib == "seed" else lib.snapshot_id()
            self._sid = (now, sid)
        return sid

    def warm_up(self) -> None:
        """Resolve the snapshot, import the approaches and appraise the example cards once (in
        each compute process, or here), so the first requests are not slow."""
        api.snapshot(self.library())
        api.load_engine()
        self.snapshot_id(fresh=True)
        if self.pool is not None:
            self.pool.warm_up()           # after the store is seeded: the processes open it
        elif self.settings.warm_up:
            self.warmed = warm_engine(self.library())   # the first requests must not fill the caches
        # the library, models and modules loaded above live as long as the process: out of
        # the collector's reach, its full collections no longer walk them (pauses that set the
        # tail latency of whatever request is computing at the time)
        gc.collect()
        gc.freeze()
