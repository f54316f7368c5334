"""What a batch worker process sets up once, before its first partition (issue 20 step 6).

A worker of the local pool (:class:`~valuation.batch.backends.LocalPool`, its initializer) and a
worker of a local Dask cluster (this module is the cluster's ``preload``: Dask calls
:func:`dask_setup` in each worker as it starts) are processes of the run's own, so they may tune
what the run's or the user's process must not:

* one BLAS/OpenMP thread (the pool already uses every core);
* **glibc's malloc keeps the memory it frees** (:func:`keep_freed_memory`). A partition of
  10,000 assets allocates thousands of temporary arrays of 80–240 kB. With glibc's defaults,
  memory freed at the top of the heap goes back to the system (trim threshold 128 kB) and
  arrays above the mmap threshold are fresh mappings, so the next partition's arrays fault
  their pages in again and the kernel zeroes them, partition after partition. With a trim
  threshold of 256 MiB and an mmap threshold of 32 MiB (glibc's largest) the worker
  reuses its heap instead. ``benchmarks/bench_partition.py`` measures it (one 10,000-asset
  partition, process CPU, with and without ``--malloc-defaults``). The price is a worker's
  resident memory staying near its largest partition's peak between partitions.
"""
from __future__ import annotations

import ctypes
import os
import sys
from typing import Any

from . import remote  # noqa: F401 - a Dask worker imports the partition code as it starts

__all__ = ["MALLOC_MMAP_THRESHOLD", "MALLOC_TRIM_THRESHOLD", "dask_setup", "keep_freed_memory",
           "setup_worker", "worker_state"]

#: glibc ``mallopt`` parameters (``malloc.h``): M_TRIM_THRESHOLD, M_MMAP_THRESHOLD.
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
#: Free memory at the heap's top kept up to this size instead of returned to the system.
MALLOC_TRIM_THRESHOLD = 256 << 20
#: Allocations below this size come from the heap (glibc refuses more than 32 MiB on 64 bits).
MALLOC_MMAP_THRESHOLD = 32 << 20

_STATE: dict[str, Any] = {}


def keep_freed_memory() -> bool:
    """Set this process's glibc malloc to keep freed memory for reuse (see the module docstring).
    True if both parameters were set; False where the environment sets glibc's own variables
    (``MALLOC_TRIM_THRESHOLD_``, ``MALLOC_MMAP_THRESHOLD_``: the user's choice stands), or the C
    library has no ``mallopt`` (not glibc) or refuses them — the worker then runs as it is."""
    if not sys.platform.startswith("linux") or {"MALLOC_TRIM_THRESHOLD_", "MALLOC_MMAP_THRESHOLD_"} & set(os.environ):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return bool(mallopt(_M_TRIM_THRESHOLD, MALLOC_TRIM_THRESHOLD)) and \
        bool(mallopt(_M_MMAP_THRESHOLD, MALLOC_MMAP_THRESHOLD))


def setup_worker() -> None:
    """Once per worker process: one BLAS thread and malloc that keeps freed memory."""
    if _STATE:
        return
    try:
        from threadpoolctl import threadpool_limits

        _STATE["limits"] = threadpool_limits(1)
    except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
        pass
    _STATE["malloc"] = keep_freed_memory()


def worker_state() -> dict[str, Any]:
    """What :func:`setup_worker` did in this process (empty: not a batch worker)."""
    return dict(_STATE)


def dask_setup(worker: Any) -> None:
    """Dask's preload hook: :func:`setup_worker` in each worker of a local cluster."""
    setup_worker()
