"""Settings of the HTTP pricing service (environment variables ``VALUATION_SERVICE_*``)."""
from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from typing import Any

from ..core.schema import BATCH_MAX_CARDS, BATCH_MAX_FORECASTS

__all__ = ["Settings"]


def _env(name: str, cast: Any, default: Any) -> Any:
    raw = os.environ.get(f"VALUATION_SERVICE_{name.upper()}")
    if raw is None or raw == "":
        return default
    if cast is bool:
        low = raw.strip().lower()
        if low not in _BOOLS:
            raise ValueError(f"VALUATION_SERVICE_{name.upper()}={raw!r}: allowed {', '.join(_BOOLS)}")
        return _BOOLS[low]
    return cast(raw)


_BOOLS = {"1": True, "true": True, "yes": True, "on": True, "0": False, "false": False, "no": False, "off": False}


@dataclass(frozen=True)
class Settings:
    """What the service needs to know.

    Attributes
    ----------
    db_url : database of the library store *and* of the API keys (``None`` →
        :func:`valuation.api.default_db_url`, i.e. ``VALUATION_DB_URL`` or ``./var/valuation.db``).
    library : ``None`` → appraisals run against the active versions of the store at ``db_url``
        (seeded on first start when empty); ``"seed"`` → against the seed files as shipped.
    max_body_bytes : request bodies above this size are refused with 413 before parsing.
    max_batch_body_bytes : the same limit for ``POST /v1/appraisals:batch``.
    max_batch : a batch with more cards than this becomes a background run (202 + run id).
    max_run_cards : a batch with more cards than this is refused (413).
    rate_per_second, rate_burst : token bucket per API key (``rate_per_second <= 0`` disables).
    key_cache_seconds : how long a verified key is trusted without reading the database again
        (a revocation takes effect within this time; 0 = read on every request).
    snapshot_cache_seconds : how long the library snapshot id shown in headers is cached.
    runs_dir : folder for the results of background runs (``None`` → ``var/runs``).
    appraisal_threads : appraisals computed at the same time per process (CPU-bound, so more
        threads only contend for the GIL; scale with ``valuation serve --workers``).
    result_cache_size : appraisal responses kept per process for identical requests on the
        same snapshot and day (:mod:`valuation.service.cache`; 0 disables).
    compute_processes : 0 computes single-card appraisals in a thread of each serving process;
        N ≥ 1 in a pool of N spawned processes behind this one (one queue, one result cache and
        one rate limit for the whole service, batches balanced over the processes; use it
        instead of ``valuation serve --workers``; :mod:`valuation.service.compute`).
    coalesce_max : at most this many single-card appraisal requests that queued while the CPU
        was busy are computed together in one evaluation (:mod:`valuation.service.coalesce`;
        1 computes every request alone).
    warm_up : at start, appraise the example cards once in every process that computes, so the
        first requests do not fill the caches (the market approach's fit of the case library
        alone takes seconds; :func:`valuation.service.compute.warm_engine`).
    coalesce_wait_ms, coalesce_gap_ms : right after a batch, wait at most ``coalesce_wait_ms``
        (and at most half the batch's computing time) for the clients just answered to send
        their next request, as long as requests keep arriving at least every
        ``coalesce_gap_ms`` (so closed-loop clients form one batch per round instead of
        alternating groups; 0 disables the wait; a lone client never waits). The gap is as long
        as the wait by default: on a 2-core machine the clients' own process may not run for
        a scheduler time slice or more while the workers compute, and a client that misses its
        round waits a whole batch more.
    auth_failures_burst, auth_failures_per_second : wrong keys allowed per client address
        (token bucket) before it gets 429 without its key being looked up
        (:mod:`valuation.service.guard`).
    request_deadline_seconds : a request not answered within this time gets 504 (0 disables).
    max_batch_forecasts : a batch with more cards that forecast from revenue history (a
        statsmodels fit each, the dearest step) becomes a background run, so one request stays
        within ~1 s of CPU (the budget of docs/SECURITY.md "Bounded work").
    blas_threads : BLAS threads per computing process (0: the library's default; spare threads
        only spin on an appraisal's small matrices, :func:`valuation.service.compute.limit_blas_threads`).
    """

    db_url: str | None = None
    library: str | None = None
    max_body_bytes: int = 1_000_000
    max_batch_body_bytes: int = 32_000_000
    max_batch: int = BATCH_MAX_CARDS
    max_run_cards: int = 20_000
    rate_per_second: float = 50.0
    rate_burst: int = 100
    key_cache_seconds: float = 2.0
    snapshot_cache_seconds: float = 1.0
    runs_dir: str | None = None
    result_cache_size: int = 2048
    appraisal_threads: int = 1
    compute_processes: int = 0
    coalesce_max: int = 32
    coalesce_wait_ms: float = 40.0
    coalesce_gap_ms: float = 40.0
    warm_up: bool = True
    auth_failures_burst: int = 20
    auth_failures_per_second: float = 0.2
    request_deadline_seconds: float = 30.0
    max_batch_forecasts: int = BATCH_MAX_FORECASTS
    blas_threads: int = 1
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_env(cls, **overrides: Any) -> Settings:
        """Defaults, then ``VALUATION_SERVICE_<FIELD>`` variables, then ``overrides`` (None
        values in ``overrides`` are ignored)."""
        base = cls()
        vals: dict[str, Any] = {}
        for f in fields(cls):
            if f.name == "extra":
                continue
            default = getattr(base, f.name)
            cast = type(default) if default is not None else str
            vals[f.name] = _env(f.name, cast, default)
        if vals.get("db_url") is None and os.environ.get("VALUATION_DB_URL"):
            vals["db_url"] = os.environ["VALUATION_DB_URL"]
        vals.update({k: v for k, v in overrides.items() if v is not None})
        return replace(base, **vals)

    def resolved_db_url(self) -> str:
        from .. import api

        return self.db_url or api.default_db_url()
