"""Where coalesced single-card appraisals are computed: a thread of the serving process, or a
pool of worker processes behind one serving process.

Why a pool: with ``valuation serve --workers N`` every uvicorn process has its own clients
(keep-alive connections stay where the kernel put them: 20 clients split 10/10 one run and
7/13 the next), its own coalescing queue, result cache and rate limiter. With
``--compute-processes N`` one process serves HTTP and coalesces every request, and N spawned
processes compute the batches — whichever is free takes the next one — so batches are
balanced, and one result cache and one per-key rate limit cover the whole service.

Both ways run :func:`appraise_rendered`: ``api.appraise_together`` on the library as it is
now, each answer rendered to JSON bytes where it is computed (and cached as bytes). An
exception is that card's outcome; errors pickle (:mod:`valuation.core.errors`).
"""
from __future__ import annotations

import gc
import json
import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any

from .. import api
from ..core.models import repo_root
from .render import render_result

__all__ = ["ComputePool", "appraise_rendered", "default_processes", "warm_engine"]


def limit_blas_threads(n: int) -> None:
    """At most ``n`` BLAS threads in this process and in the compute processes it spawns
    (0: leave the library's default). An appraisal's matrices are small, and spare BLAS threads
    only spin: on a loaded 2-core machine a history forecast cost many times the CPU with
    OpenBLAS's default threads that it costs with one (docs/SECURITY.md "Bounded work")."""
    if n <= 0:
        return
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, str(n))      # read by spawned processes at start
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - installed with scikit-learn
        return
    threadpool_limits(n, user_api="blas")


def default_processes(workers: int = 1, cpus: int | None = None) -> int:
    """Compute processes ``valuation serve`` starts when not told: one per core on a machine
    with two or more and a single serving process, else none (compute in the serving process).

    Why (measured again for issue 20 step 6, which asked whether the pool still pays for itself
    with a cheaper appraisal; ``benchmarks/bench_service.py --batch-cost``, CPU time, so the
    figures hold on a shared machine): an explained evaluation has a large fixed cost per
    evaluation and a small cost per card. Twenty closed-loop clients are one batch of 20 per
    round computing here, two batches of 10 side by side with two processes (plus the
    pickling): the pool pays the fixed cost twice per round, more CPU per answer, and buys the
    second core. In adjacent ``bench_service.py`` runs on the 2-core machine (loaded by other
    work) two processes gave both lower latency (p50 and p99) and more requests per second
    than none. The cheaper the fixed cost becomes, the larger the share of the
    per-card part the second process halves. Where the spare core is taken by other work, 0 is
    the cheaper choice. With ``--workers N`` each worker would start its own pool: N × cores
    processes fighting over the cores, so none by default."""
    n = os.cpu_count() if cpus is None else cpus
    return int(n) if workers == 1 and n and n >= 2 else 0


def appraise_rendered(library: Any, trace: bool, cards: list[dict[str, Any]],
                      hashes: list[str] | None = None, snapshot_id: str | None = None) -> list[Any]:
    """``[(JSON bytes of Result.to_dict(), its library snapshot id) | exception]`` per card,
    in order, against ``library`` (``"seed"`` or a store) as it is now — or, given the
    ``snapshot_id`` the requests were made on, against that snapshot when it is the one this
    process resolved last (no database read per batch). ``hashes``: the cards' ``card_hash``
    when already computed (the service's cache keys)."""
    snap = _snapshot(library, snapshot_id)
    return [r if isinstance(r, Exception)
            else (render_result(r), r.provenance.get("library_snapshot"))
            for r in api.appraise_together(cards, library=snap, trace=trace, input_hashes=hashes)]


_LAST: list[Any] = []          # [the library object, its snapshot] resolved last in this process


def _snapshot(library: Any, snapshot_id: str | None) -> Any:
    """``api.snapshot(library)``, except that a request made on the snapshot this process
    resolved last reuses it (a library write gives a new id, which resolves afresh)."""
    if snapshot_id and _LAST and _LAST[0] is library and _LAST[1].snapshot_id == snapshot_id:
        return _LAST[1]
    snap = api.snapshot(library)
    _LAST[:] = [library, snap]
    return snap


def warm_engine(library: Any) -> int:
    """Appraise every example card (``examples/cards/*.json`` beside the models, when present)
    once against ``library``, as a request would; returns how many were appraised.

    Why: a process's first appraisals fill its caches — the market approach's fit of the case
    library (seconds for the 2,000 seed cases), compiled rules, parsed model files, lazily
    imported modules. Without this the first requests after a start wait seconds (a client
    with a 2 s timeout gave up on them). A card that fails is skipped: warming is best effort
    and never stops the service from starting."""
    done = 0
    for path in sorted((repo_root() / "examples" / "cards").glob("*.json")):
        try:
            card = json.loads(path.read_text(encoding="utf-8"))
            (outcome,) = appraise_rendered(library, True, [card])
            done += not isinstance(outcome, Exception)   # a refused card is an outcome, not raised
        except Exception:  # noqa: BLE001 - best effort, see above
            continue
    return done


# ---------------------------------------------------------------------- in a worker process
_LIBRARY: Any = None


def _start(spec: str, warm: bool = True) -> None:
    """Process initializer: open the library (``"seed"`` or a database URL; the serving
    process has seeded an empty store already), resolve its snapshot once, fill the caches
    (:func:`warm_engine`), and freeze what was loaded out of the garbage collector's reach
    (see ``Service.warm_up``)."""
    global _LIBRARY
    _LIBRARY = "seed" if spec == "seed" else api.open_library(spec)
    api.snapshot(_LIBRARY)
    if warm:
        warm_engine(_LIBRARY)
    gc.collect()
    gc.freeze()


def _appraise(trace: bool, cards: list[dict[str, Any]], hashes: list[str] | None = None,
              snapshot_id: str | None = None) -> list[Any]:
    return appraise_rendered(_LIBRARY, trace, cards, hashes, snapshot_id)


def _ready() -> bool:
    return _LIBRARY is not None


class ComputePool:
    """``processes`` spawned worker processes (never forked from the threaded server), each
    with the library ``spec`` open; :meth:`submit` hands a batch to the next free one."""

    def __init__(self, processes: int, spec: str, *, warm: bool = True):
        self.processes = max(1, int(processes))
        self._pool = ProcessPoolExecutor(self.processes, mp_context=multiprocessing.get_context("spawn"),
                                         initializer=_start, initargs=(spec, warm))

    def warm_up(self) -> None:
        """Start every process (each opens the library) before the first request."""
        for f in [self._pool.submit(_ready) for _ in range(self.processes)]:
            f.result()

    def submit(self, trace: bool, cards: list[dict[str, Any]], hashes: list[str] | None = None,
               snapshot_id: str | None = None) -> Future[list[Any]]:
        """The batch's outcomes as a future (awaited by the coalescer on its event loop)."""
        return self._pool.submit(_appraise, trace, cards, hashes, snapshot_id)

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


Item = tuple[dict[str, Any], str]     # (card, its card_hash): a coalesced request


def runner(library: Callable[[], Any]) -> Callable[[tuple[bool, str], list[Item]], list[Any]]:
    """The coalescer's ``run(group, items)`` for the service's ``((trace, snapshot id), [(card,
    card_hash), …])``, computed in the calling (worker) thread against ``library()``."""
    return lambda group, items: appraise_rendered(library(), group[0], *_split(items), group[1])


def submitter(pool: ComputePool) -> Callable[[tuple[bool, str], list[Item]], Future[list[Any]]]:
    """The coalescer's ``submit(group, items)``: the batch in ``pool``, as a future."""
    return lambda group, items: pool.submit(group[0], *_split(items), group[1])


def _split(items: list[Item]) -> tuple[list[dict[str, Any]], list[str]]:
    return [c for c, _ in items], [h for _, h in items]
