"""Benchmark: the most any scheduler of 2 workers can get from this machine — the same
partitions valued in one process, then split between two processes side by side, without Dask.

The Dask scaling efficiency (``bench_revalue.py``: T(1 worker) / (2 × T(2 workers))) counts
everything a run does: the cluster's start, the run's plan and its tail, the scheduler and the
workers' own threads. This script takes all of that away and keeps only the partitions'
work: the run's process reads, stages and plans the input once as a run by reference does
(:func:`valuation.batch.plan.load` with ``stage``, a lazy plan; not timed), then forks

* one process that does every partition's work exactly as a worker does it
  (:func:`valuation.batch.remote.run_ref`: cut its rows from the staged copy, check its records
  rows, value it, write its checkpoint), and afterwards
* two processes side by side, one taking the even partitions, the other the odd ones.

It prints each process's wall and CPU seconds and, as its LAST line,
``ceiling: <N> assets, 1 process <T1> s, 2 processes <T2> s (the slower), efficiency <E>``
with E = T1 / (2 × T2): what two cores give two workers doing exactly this work, whatever
schedules them (memory bandwidth and caches the two cores share, the machine's other load).
A Dask run's efficiency can only come close to it from below.

Run:
    .venv/bin/python benchmarks/bench_dask_ceiling.py [--n 1000000] [--chunk-size 10000] [--repeat 2]
"""
from __future__ import annotations

import argparse
import datetime
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

_STATE: dict = {}


def _work(which: str, folder: str, conn) -> None:
    """Value this process's partitions (``all``, ``even`` or ``odd``) as a worker does and
    report its seconds."""
    from valuation.batch.remote import run_ref

    plan, staged, snap, opts = _STATE["plan"], _STATE["staged"], _STATE["snap"], _STATE["opts"]
    parts = range(plan.n_parts) if which == "all" else range(0 if which == "even" else 1, plan.n_parts, 2)
    wall, cpu = time.perf_counter(), time.process_time()
    for i in parts:
        run_ref(plan.ref(i), staged, snap, opts, folder, False)
    conn.send((time.perf_counter() - wall, time.process_time() - cpu))
    conn.close()


def _run(which: list[str], folder: Path) -> list[tuple[float, float]]:
    ctx = multiprocessing.get_context("fork")   # the children share the parent's plan and input
    pipes, procs = [], []
    for w in which:
        parent, child = ctx.Pipe()
        sub = folder / w
        sub.mkdir(exist_ok=True)
        procs.append(ctx.Process(target=_work, args=(w, str(sub), child)))
        pipes.append(parent)
    for p in procs:
        p.start()
    out = [c.recv() for c in pipes]
    for p in procs:
        p.join()
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--chunk-size", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args(argv)
    sys.path.insert(0, str(Path(__file__).parent))
    from bench_revalue import write_input

    from valuation.api import snapshot
    from valuation.batch.partition import run_snapshot, thresholds
    from valuation.batch.plan import load, make_plan

    with tempfile.TemporaryDirectory(prefix="bench_ceiling.") as tmp:
        folder = Path(tmp)
        src = write_input(args.n, folder, seed=1)
        inp = load(src, None, lazy=True, stage=folder / "staged")   # as a run by reference
        plan = make_plan(inp, args.chunk_size)
        snap = snapshot("seed")
        snap_run, _ = run_snapshot(snap, plan.n_keep)
        _STATE.update(plan=plan, staged=inp.staged, snap=snap_run,
                      opts={"only": "all", "thresholds": thresholds(snap), "as_of": datetime.date(2026, 1, 15),
                            "flag_messages": False})
        t1s, t2s = [], []
        for r in range(args.repeat):
            (w1, c1), = _run(["all"], folder)
            two = _run(["even", "odd"], folder)
            w2 = max(w for w, _ in two)
            t1s.append(w1)
            t2s.append(w2)
            print(f"repeat {r + 1}: 1 process {w1:.2f} s ({c1:.2f} CPU-s); 2 processes "
                  + ", ".join(f"{w:.2f} s ({c:.2f} CPU-s)" for w, c in two)
                  + f"; efficiency {w1 / (2 * w2):.0%}", flush=True)
    t1, t2 = statistics.median(t1s), statistics.median(t2s)
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"load average at the end: {load} ({os.cpu_count()} cores)")
    print(f"ceiling: {args.n} assets, 1 process {t1:.2f} s, 2 processes {t2:.2f} s (the slower), "
          f"efficiency {t1 / (2 * t2):.0%}")


if __name__ == "__main__":
    main()
