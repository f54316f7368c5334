"""The Arrow memory pool of the run's staging of its input (:mod:`valuation.batch.staging`).

The staging allocates and frees one record batch after another (8,192 rows each, the whole
input with its comparables passing through). From pyarrow's default pool (mimalloc in the
Linux wheels) the first staging of a process — a run stages once, in a fresh process — cost
far more system CPU (fresh pages the kernel maps and zeroes) than jemalloc's pool or the
system allocator's, at the same user CPU (fresh processes, ``getrusage``; issue 20 step 6;
``benchmarks/bench_runproc.py`` prints the staging threads' user and system CPU). On a
2-core machine that CPU is taken from the workers. (The results sink, which also allocates
per partition, showed no such difference between the pools when replaying checkpoints; it
keeps the default.)

:func:`quiet_pool` makes jemalloc's pool (the system allocator's where pyarrow is built
without jemalloc) Arrow's default while it lasts. Arrow has no per-call pool for the Parquet
reader, so the switch is process-wide; it is counted, so that nested or concurrent uses (two
runs in one service process) restore the pool found by the first only when the last ends.
Buffers remember the pool they came from, so those kept afterwards stay valid.
"""
from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Any

__all__ = ["quiet_pool"]

_lock = threading.Lock()
_depth = 0
_saved: Any = None


def _pool() -> Any:
    import pyarrow as pa

    try:
        return pa.jemalloc_memory_pool()
    except NotImplementedError:      # a pyarrow built without jemalloc
        return pa.system_memory_pool()


@contextlib.contextmanager
def quiet_pool() -> Iterator[None]:
    """Arrow's default pool is jemalloc's (or the system's) while the context lasts; when the
    last context ends the pool found before is restored and the quiet pool's free memory is
    handed back to the system."""
    global _depth, _saved
    import pyarrow as pa

    with _lock:
        if _depth == 0:
            _saved = pa.default_memory_pool()
            pa.set_memory_pool(_pool())
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:
                pa.set_memory_pool(_saved)
                _saved = None
                _pool().release_unused()
