"""Batch worker processes keep the memory they free (``batch/workerproc.py``): a partition's
temporary arrays reuse the heap instead of faulting fresh pages in (issue 20 step 6)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# 20 rounds of what a partition does to malloc: 50 arrays of 240 kB (above glibc's initial mmap
# threshold), then all freed; the page faults of the rounds after a warm-up round
ROUNDS = """
import resource, sys, numpy as np
if sys.argv[1] == "keep":
    from valuation.batch.workerproc import keep_freed_memory
    print(keep_freed_memory())
def partition():
    arrays = [np.ones(30_000) for _ in range(50)]
    del arrays
partition()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(20):
    partition()
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def _faults(mode: str, **env: str) -> list[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    out = subprocess.run([sys.executable, "-c", ROUNDS, mode], capture_output=True, text=True, check=True,
                         cwd=ROOT, env={**clean, "PYTHONPATH": str(ROOT), **env}).stdout.split()
    return out


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt: Linux only")
def test_a_worker_reuses_freed_memory_instead_of_faulting_pages_in():
    # glibc's defaults: the freed 12 MB go back to the system and fault in again every round
    (default,) = _faults("default")
    assert int(default) > 20 * 50 * 30, default        # ≥ a page fault per 8 kB allocated, at least
    ok, kept = _faults("keep")
    assert ok == "True" and int(kept) < 100, kept       # the heap is reused: (almost) no fault


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt: Linux only")
def test_the_users_own_malloc_variables_stand():
    ok, _ = _faults("keep", MALLOC_TRIM_THRESHOLD_="131072")
    assert ok == "False"


def test_local_pool_and_dask_workers_are_set_up(tmp_path):
    """The real worker processes of both backends run :func:`setup_worker` before a partition."""
    from valuation.batch import workerproc
    from valuation.batch.backends import DaskCluster, LocalPool

    with LocalPool(2) as pool:
        assert pool.executor is not None
        states = {pool.executor.submit(_state).result() for _ in range(4)}
    with DaskCluster(1, None) as cluster:
        dask_states = set(cluster.client().run(_state).values())
    expected = sys.platform.startswith("linux") and not any(k.startswith("MALLOC_") for k in os.environ)
    assert states == dask_states == {expected}
    assert workerproc.worker_state() == {}          # this (the run's) process is left as it is


def _state() -> bool:
    from valuation.batch.workerproc import worker_state

    return bool(worker_state().get("malloc"))
