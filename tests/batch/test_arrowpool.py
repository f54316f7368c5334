"""The quiet Arrow pool of the run's own work (valuation/batch/arrowpool.py): jemalloc's (or
the system allocator's) while a context lasts, the pool found before restored when the last
of nested or concurrent contexts ends, buffers made inside still readable afterwards."""
import threading

import pyarrow as pa

from valuation.batch.arrowpool import quiet_pool


def test_pool_switched_while_the_context_lasts_and_restored_after_the_last():
    before = pa.default_memory_pool().backend_name
    with quiet_pool():
        inside = pa.default_memory_pool().backend_name
        assert inside in ("jemalloc", "system")
        arr = pa.array([f"资产-{k}" for k in range(1000)])      # allocated from the quiet pool
        with quiet_pool():
            assert pa.default_memory_pool().backend_name == inside
        assert pa.default_memory_pool().backend_name == inside    # the outer one still lasts
    assert pa.default_memory_pool().backend_name == before
    assert arr[999].as_py() == "资产-999" and len(arr) == 1000


def test_concurrent_contexts_restore_the_pool_once_both_end():
    """This thread enters first and leaves first: a plain save/restore would put the default
    pool back under the other thread's feet (and the quiet one back at the end)."""
    before = pa.default_memory_pool().backend_name
    entered, release = threading.Event(), threading.Event()
    seen = []

    def run():
        with quiet_pool():
            entered.set()
            release.wait(30)
            seen.append(pa.default_memory_pool().backend_name)

    t = threading.Thread(target=run)
    with quiet_pool():
        quiet = pa.default_memory_pool().backend_name
        t.start()
        assert entered.wait(30)
    assert pa.default_memory_pool().backend_name == quiet      # the other thread's still lasts
    release.set()
    t.join(30)
    assert seen == [quiet] and pa.default_memory_pool().backend_name == before


def test_an_error_inside_restores_the_pool():
    before = pa.default_memory_pool().backend_name
    try:
        with quiet_pool():
            raise KeyError("x")
    except KeyError:
        pass
    assert pa.default_memory_pool().backend_name == before

