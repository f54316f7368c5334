"""Where partitions run: in this process, on all local cores, or on a Dask cluster.

Every backend runs the same pure :func:`valuation.batch.partition.run_partition` and yields
:class:`~valuation.batch.partition.PartitionOutput` objects as they complete (any order);
the pipeline writes checkpoints and assembles the output in partition order, so the numbers
do not depend on the backend.
"""
from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from typing import Any

from ..core.snapshot import LibrarySnapshot
from .partition import PartitionOutput, PartitionTask, run_partition

__all__ = ["BACKENDS", "run_dask", "run_inline", "run_local"]

BACKENDS = ("local", "dask")

_WORKER: dict[str, Any] = {}


def run_inline(tasks: Sequence[PartitionTask], snap: LibrarySnapshot, opts: Mapping[str, Any]
               ) -> Iterator[PartitionOutput]:
    for t in tasks:
        yield run_partition(t, snap, opts)


def _init_worker(snap: LibrarySnapshot, opts: Mapping[str, Any]) -> None:
    """One BLAS/OpenMP thread per worker process: the pool already uses every core."""
    try:
        from threadpoolctl import threadpool_limits

        _WORKER["limits"] = threadpool_limits(1)
    except ImportError:  # pragma: no cover
        pass
    _WORKER["snap"], _WORKER["opts"] = snap, dict(opts)


def _work(task: PartitionTask) -> PartitionOutput:
    return run_partition(task, _WORKER["snap"], _WORKER["opts"])


def run_local(tasks: Sequence[PartitionTask], snap: LibrarySnapshot, opts: Mapping[str, Any], *,
              workers: int | None = None) -> Iterator[PartitionOutput]:
    """All cores of this machine: a process pool over partitions (at most 2 × workers in
    flight, so the input is not copied to the workers all at once)."""
    n = max(1, int(workers or os.cpu_count() or 1))
    if n == 1 or len(tasks) <= 1:
        yield from run_inline(tasks, snap, opts)
        return
    with ProcessPoolExecutor(max_workers=n, initializer=_init_worker, initargs=(snap, dict(opts))) as ex:
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
                    pending.add(ex.submit(_work, t))
                if not pending:
                    break
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for f in done:
                    yield f.result()
        except BaseException:
            for f in pending:
                f.cancel()
            ex.shutdown(wait=False, cancel_futures=True)
            raise


def _dask_work(task: PartitionTask, snap: LibrarySnapshot, opts: Mapping[str, Any]) -> PartitionOutput:
    return run_partition(task, snap, opts)


def run_dask(tasks: Sequence[PartitionTask], snap: LibrarySnapshot, opts: Mapping[str, Any], *,
             workers: int | None = None, scheduler: str | None = None) -> Iterator[PartitionOutput]:
    """A ``dask.distributed`` cluster: ``Client(scheduler)`` when an address is given, else a
    ``LocalCluster`` of ``workers`` processes (one thread each). The snapshot is broadcast to
    the workers once; at most 2 × workers partitions are in flight."""
    from dask.distributed import Client, LocalCluster
    from dask.distributed import wait as dwait

    cluster = None
    if scheduler:
        client = Client(scheduler)
    else:
        n = max(1, int(workers or os.cpu_count() or 1))
        cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                               dashboard_address=None)
        client = Client(cluster)
    try:
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
        client.close()
        if cluster is not None:
            cluster.close()
