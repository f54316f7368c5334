"""Benchmark: the CPU of ONE batch partition in a worker, per stage — validation and the engine.

``bench_floor.py`` and ``bench_revalue.py`` print the stages ``cpu_validate`` / ``cpu_value``
as the partitions' own seconds summed over the run: wall-clock time inside each worker, which
grows with whatever else the machine runs. This script runs one partition of ``--n`` synthetic
assets (default 10,000, the batch's partition size; :func:`valuation.batch.synth.synthetic_portfolio`,
3 explicit comparables each, the comparables checked as the batch's plan checks them) in this
process, as a worker runs it (:func:`valuation.batch.partition.run_partition`, the run's
snapshot and options, this process set up as a worker is: :func:`valuation.batch.workerproc.setup_worker`,
unless ``--malloc-defaults``), and prints **process CPU seconds** (``time.process_time``), the least of
``--repeat`` runs, for

* ``validate``: :meth:`Portfolio.from_table` with ``strict=False`` — the partition's validation
  and building of the Portfolio (its ``validate`` stage);
* ``partition``: the whole :func:`run_partition` (validate, screen, value, result frame);
* ``value``: their difference — the engine's stage (approaches, reconciliation, range, facts,
  rules, result columns);

and, as its LAST line, ``partition: <N> assets, validate <V> ms, value <E> ms, total <T> ms CPU
(<U> µs an asset)``. A figure the machine's load distorts far less than the stage sums: compare
two commits by running this on each (alternating, twice).

Run:
    .venv/bin/python benchmarks/bench_partition.py [--n 10000] [--repeat 7] [--profile]
"""
from __future__ import annotations

import argparse
import datetime as dt
import time

import numpy as np
import pandas as pd

AS_OF = dt.date(2026, 1, 15)


def _cpu(fn, repeat: int) -> float:
    """The least process CPU seconds of ``repeat`` calls of ``fn`` (after one warm-up call)."""
    fn()
    best = np.inf
    for _ in range(repeat):
        c = time.process_time()
        fn()
        best = min(best, time.process_time() - c)
    return best


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--profile", action="store_true", help="print a cProfile of one partition (by own time)")
    ap.add_argument("--malloc-defaults", action="store_true",
                    help="keep glibc's malloc defaults instead of a worker's settings (batch/workerproc.py)")
    args = ap.parse_args(argv)
    if not args.malloc_defaults:     # this process stands for a worker: set up as one
        from valuation.batch.workerproc import setup_worker, worker_state

        setup_worker()
        print(f"worker set-up: malloc keeps freed memory: {worker_state().get('malloc')}", flush=True)

    from valuation.batch.partition import PartitionTask, run_partition, run_snapshot, thresholds
    from valuation.batch.records_check import check_records
    from valuation.batch.synth import synthetic_portfolio
    from valuation.core.portfolio import Portfolio
    from valuation.library.snapshot import snapshot_from_seeds

    assets, records = synthetic_portfolio(args.n, seed=0)
    recs = {k: check_records(k, v).frame for k, v in records.items()}
    # the run's snapshot at 200,000 assets (range by the analytic mixture, as bench_floor's run)
    snap, _ = run_snapshot(snapshot_from_seeds(), max(args.n, 200_000))
    opts = {"only": "all", "thresholds": thresholds(snap), "as_of": AS_OF, "flag_messages": False}
    task = PartitionTask(0, table=assets, records=recs, rows=np.arange(args.n))

    def validate() -> None:
        with pd.option_context("mode.string_storage", "python"):   # (as run_partition reads)
            Portfolio.from_table(assets, recs, strict=False)

    v = _cpu(validate, args.repeat)
    t = _cpu(lambda: run_partition(task, snap, opts), args.repeat)
    if args.profile:
        import cProfile
        import pstats

        pr = cProfile.Profile()
        pr.enable()
        run_partition(task, snap, opts)
        pr.disable()
        pstats.Stats(pr).sort_stats("tottime").print_stats(30)
    print(f"partition: {args.n} assets, validate {v * 1e3:.1f} ms, value {(t - v) * 1e3:.1f} ms, "
          f"total {t * 1e3:.1f} ms CPU ({t / args.n * 1e6:.2f} µs an asset; least of {args.repeat})")


if __name__ == "__main__":
    main()
