"""Where partitions run: in this process, on all local cores, or on a Dask cluster.

Every backend runs the same pure :func:`valuation.batch.partition.run_partition` and yields
:class:`~valuation.batch.partition.PartitionOutput` objects as they complete (any order);
the pipeline writes checkpoints and assembles the output in partition order, so the numbers
do not depend on the backend.
"""
from __future__ import annotations

import multiprocessing
import os
import pickle
import threading
import uuid
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from typing import Any

from ..core.snapshot import LibrarySnapshot
from .partition import PartitionOutput, PartitionTask, run_partition
from .remote import run_ref
from .workerproc import setup_worker

__all__ = ["BACKENDS", "DaskCluster", "LocalPool", "run_dask", "run_inline", "run_local"]

BACKENDS = ("local", "dask")

_WORKER: dict[str, Any] = {}


def run_inline(tasks: Sequence[PartitionTask], snap: LibrarySnapshot, opts: Mapping[str, Any]
               ) -> Iterator[PartitionOutput]:
    for t in tasks:
        yield run_partition(t, snap, opts)


def _noop() -> None:
    return None


def _work(task: Any, key: str, payload: bytes, remote: tuple[Any, str, bool] | None = None) -> PartitionOutput:
    """Run one partition; the snapshot and options arrive pickled with every task and are
    unpickled once per run in each worker (``key``), so the engine's per-snapshot caches hold.
    ``remote``: ``task`` is a :class:`~valuation.batch.remote.PartRef` this worker reads, values
    and checkpoints itself (:func:`~valuation.batch.remote.run_ref`)."""
    if _WORKER.get("key") != key:
        _WORKER["snap"], _WORKER["opts"] = pickle.loads(payload)  # noqa: S301 - our own bytes
        _WORKER["key"] = key
    if remote is not None:
        return run_ref(task, remote[0], _WORKER["snap"], _WORKER["opts"], remote[1], remote[2])
    return run_partition(task, _WORKER["snap"], _WORKER["opts"])


class LocalPool:
    """The worker processes of the local backend, started before the input is read.

    Where processes are forked (Linux), a worker starts as a copy of this process: forked at
    the start of a run it holds the imported modules only, not the portfolio table, its plan and
    the results, which every worker would otherwise carry as a copy of the parent's pages
    (counted once per process in the resident memory of the run). ``workers`` ≤ 1: no pool
    (partitions run in this process)."""

    def __init__(self, workers: int):
        self.workers = max(1, int(workers))
        self.executor: ProcessPoolExecutor | None = None
        if self.workers > 1:
            self.executor = ProcessPoolExecutor(max_workers=self.workers, initializer=setup_worker)   # one BLAS thread, malloc keeps freed memory
            self.executor.submit(_noop).result()   # the processes start now (fork: all at once)

    def close(self, *, cancel: bool = False) -> None:
        if self.executor is not None:
            self.executor.shutdown(wait=not cancel, cancel_futures=cancel)
            self.executor = None

    def __enter__(self) -> LocalPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close(cancel=exc[0] is not None)


def run_local(tasks: Sequence[Any], snap: LibrarySnapshot, opts: Mapping[str, Any], *,
              workers: int | None = None, pool: LocalPool | None = None,
              remote: tuple[Any, str, bool] | None = None) -> Iterator[PartitionOutput]:
    """All cores of this machine: a process pool over partitions (at most 2 × workers in
    flight, so the input is not copied to the workers all at once). ``pool``: the run's
    :class:`LocalPool` (started early); without one a pool of ``workers`` is started here.
    ``remote = (source, parts folder, history)``: ``tasks`` are
    :class:`~valuation.batch.remote.PartRef` that each worker reads and checkpoints itself, as
    on a local Dask cluster (:func:`run_dask`)."""
    own = pool is None
    if pool is None:
        n = max(1, int(workers or os.cpu_count() or 1))
        pool = LocalPool(n if len(tasks) > 1 else 1)
    try:
        if pool.executor is not None and len(tasks) > 1:
            yield from _pooled(tasks, pool, pickle.dumps((snap, dict(opts)), protocol=5), remote)
        elif remote is not None:
            for ref in tasks:
                yield run_ref(ref, remote[0], snap, opts, remote[1], remote[2])
        else:
            yield from run_inline(tasks, snap, opts)
    finally:
        if own:
            pool.close()


def _pooled(tasks: Sequence[Any], pool: LocalPool, payload: bytes,
            remote: tuple[Any, str, bool] | None = None) -> Iterator[PartitionOutput]:
    ex, n, key = pool.executor, pool.workers, uuid.uuid4().hex
    assert ex is not None
    pending: set[Future] = set()
    it = iter(tasks)
    exhausted = False
    try:
        while True:
            while not exhausted and len(pending) < 2 * n:
                t = next(it, None)
                if t is None:
                    exhausted = True
                    break
                pending.add(ex.submit(_work, t, key, payload, remote))
            if not pending:
                break
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for f in done:
                yield f.result()
    except BaseException:
        for f in pending:
            f.cancel()
        pool.close(cancel=True)
        raise


def _dask_work(task: PartitionTask, snap: LibrarySnapshot, opts: Mapping[str, Any]) -> PartitionOutput:
    return run_partition(task, snap, opts)


#: How a local cluster starts its worker processes: forked from a server process that has
#: already imported distributed, numpy and pandas (``forkserver``), not a new interpreter each
#: (``spawn``, Dask's default): a forked worker skips the interpreter's start and the imports,
#: so the cluster starts and closes much sooner — time no worker computes, which the scaling
#: efficiency counted twice at 2 workers (issue 20 step 6; ``benchmarks/bench_revalue.py``).
_START_METHOD = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
_SERVER_ENV: dict[str, str] = {}

#: What a worker imports to value a partition (the engine, the approaches, pandas, pyarrow's
#: IPC reader and writer — it reads the staged copy of the input, not a Parquet file —,
#: ``scipy.special``: hundreds of modules; scikit-learn, statsmodels and
#: ``scipy.stats`` only where the case library's models use them, tests/core/test_import_budget.py):
#: imported once in the fork server, so that every worker forked from it starts with them
#: instead of importing them again itself — at 2 workers the second import was CPU the two
#: cores shared with the computing (issue 20 step 6).
WORKER_MODULES = ("valuation.batch.workerproc", "valuation.engine", "valuation.methods.registry",
                  "valuation.pricing.reconcile", "valuation.quality", "valuation.core.signs")


#: What ``distributed.utils.get_mp_context`` preloads in the fork server: ``distributed``, its
#: required packages and those of its optional ones that are installed (the fork server skips a
#: module it cannot import).
_DASK_PRELOAD = ("distributed", "dask", "msgpack", "cloudpickle", "tornado", "toolz", "numpy", "pandas", "lz4")


def _launch_fork_server() -> None:
    """Start this process's fork server now, importing Dask's packages and :data:`WORKER_MODULES`
    before it forks the first worker. Called first thing when a local cluster starts: the server
    (a process of its own) then imports while this process imports ``distributed`` and starts
    the scheduler, instead of after — started only with the first nanny, it made the workers
    ready later by its imports' time. Dask's own preload list
    (set later by ``get_mp_context``) does not apply to a server already running. No effect once
    a fork server runs in this process (it keeps its modules) or where workers are spawned."""
    if _START_METHOD != "forkserver":
        return
    from multiprocessing import forkserver

    forkserver.set_forkserver_preload([*_DASK_PRELOAD, *WORKER_MODULES])
    forkserver.ensure_running()


def _worker_env() -> dict[str, str]:
    """The environment of this process for the workers: a forked worker inherits the
    environment of the fork server (as it was when the first cluster of this process started
    it), not this process's, so the variables are passed on (the Nanny sets them in the worker
    before it imports anything); one since removed here is passed as empty."""
    if not _SERVER_ENV:
        _SERVER_ENV.update(os.environ)
    env = dict(os.environ)
    return {**{k: "" for k in _SERVER_ENV if k not in env}, **env}


#: A local cluster serves no dashboard (``dashboard_address=None``), so nothing reads what its
#: workers' statistical profiler samples: every 10 ms it takes the GIL from the computing thread
#: to walk its stack. Off, and the system monitor every 5 s instead of 0.5 s, the workers'
#: partitions take less time (``benchmarks/bench_revalue.py``). The event loops' tick (which
#: only measures how long a loop was blocked, for a warning) every second instead of every
#: 20 ms: the scheduler, the client and the nannies run in the run's own process, whose CPU the
#: 2 workers share on 2 cores — an idle cluster's ticks are CPU taken from them
#: (``benchmarks/bench_runproc.py`` prints that process's CPU by thread).
_QUIET_WORKERS = {"distributed.worker.profile.enabled": False,
                  "distributed.admin.system-monitor.interval": "5s",
                  "distributed.admin.tick.interval": "1s"}


def _pre_spawn_environ() -> dict[str, Any]:
    """Dask's variables for a worker before it starts (``distributed.nanny.pre-spawn-environ``)
    without ``MALLOC_TRIM_THRESHOLD_``, unless this process's environment sets it.

    Dask sets it to 64 KiB so that a worker hands freed memory back to the system at once.
    Fixing that threshold also stops glibc from raising its mmap threshold, so every array the
    engine allocates above 128 KiB — a partition of 10,000 assets allocates thousands — is a
    fresh mapping whose pages fault in and are zeroed: the same partitions take more CPU
    with the variable than with glibc's defaults, and two such processes side by side lose
    more to each other (``benchmarks/bench_dask_ceiling.py`` runs them so). A worker keeps
    freed memory for its next partition instead (its resident set stays near one partition's
    peak)."""
    import dask

    env = dict(dask.config.get("distributed.nanny.pre-spawn-environ", default={}) or {})
    if "MALLOC_TRIM_THRESHOLD_" not in os.environ:
        env.pop("MALLOC_TRIM_THRESHOLD_", None)
    return env


class DaskCluster:
    """The Dask side of a run: ``Client(scheduler)`` when an address is given, else a
    ``LocalCluster`` of ``workers`` processes (one thread each) that imports the valuation
    package as each worker starts (``preload``).

    Started in a background thread at the start of the run, so the workers start and import
    the package while this process reads, stages and checks the input; :meth:`client` waits
    for it."""

    def __init__(self, workers: int | None, scheduler: str | None):
        self.workers, self.scheduler = workers, scheduler
        self._client: Any = None
        self._cluster: Any = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._start, name="dask-cluster-start", daemon=True)
        self._thread.start()

    def _start(self) -> None:
        try:
            if not self.scheduler:
                _launch_fork_server()
            import dask
            from dask.distributed import Client, LocalCluster

            if self.scheduler:
                self._client = Client(self.scheduler)
                return
            n = max(1, int(self.workers or os.cpu_count() or 1))
            with dask.config.set({"distributed.worker.multiprocessing-method": _START_METHOD,
                                  "distributed.nanny.pre-spawn-environ": _pre_spawn_environ(),
                                  **_QUIET_WORKERS}):
                self._cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                             dashboard_address=None, preload=["valuation.batch.workerproc"],
                                             env=_worker_env())
            self._client = Client(self._cluster)
        except BaseException as e:  # noqa: BLE001 - raised in the run's thread by client()
            self._error = e

    @property
    def local(self) -> bool:
        """Its workers run on this machine (a ``LocalCluster``): they read this machine's files."""
        return not self.scheduler

    def client(self) -> Any:
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._client

    def close(self) -> None:
        self._thread.join()
        if self._client is not None:
            self._client.close()
            self._client = None
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None

    def __enter__(self) -> DaskCluster:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def run_dask(tasks: Sequence[Any], snap: LibrarySnapshot, opts: Mapping[str, Any], *,
             workers: int | None = None, scheduler: str | None = None,
             cluster: DaskCluster | None = None, remote: tuple[Any, str, bool] | None = None
             ) -> Iterator[PartitionOutput]:
    """A ``dask.distributed`` cluster (:class:`DaskCluster`; ``cluster``: the run's, started
    early, else one is started here). The snapshot is broadcast to the workers once; at most
    2 × workers partitions are in flight.

    ``remote = (source, parts folder, history)``: ``tasks`` are
    :class:`~valuation.batch.remote.PartRef` and each worker reads its rows from the input file
    and writes its checkpoint itself (:func:`~valuation.batch.remote.run_ref`, from the run's
    staged copy of the input, :mod:`~valuation.batch.staging`); only positions
    go out and small summaries come back."""
    from dask.distributed import wait as dwait

    own = cluster is None
    if cluster is None:
        cluster = DaskCluster(workers, scheduler)
    try:
        client = cluster.client()
        nworkers = max(1, len(client.scheduler_info().get("workers", {})) or int(workers or 1))
        snap_f = client.scatter(snap, broadcast=True)
        opts = dict(opts)
        it = iter(tasks)
        pending: set = set()
        exhausted = False
        while True:
            while not exhausted and len(pending) < 2 * nworkers:
                t = next(it, None)
                if t is None:
                    exhausted = True
                    break
                if remote is not None:      # positions only: the worker reads its rows itself
                    src, parts, history = remote
                    pending.add(client.submit(run_ref, t, src, snap_f, opts, parts, history, pure=False))
                    continue
                # the partition's rows go to a worker as data, not inside the task graph
                t_f = client.scatter(t, hash=False)
                pending.add(client.submit(_dask_work, t_f, snap_f, opts, pure=False))
            if not pending:
                break
            res = dwait(list(pending), return_when="FIRST_COMPLETED")
            for f in res.done:
                pending.discard(f)
                out = f.result()
                f.release()
                yield out
    finally:
        if own:
            cluster.close()
