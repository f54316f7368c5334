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

Then it measures the serial work any run of this input must do in its own process, whatever
its design, with the most generous assumptions: decode the input files once (each table and
the hash on a thread of its own, nothing written) and write the one results file from the
checkpoints (:class:`valuation.batch.assemble.ResultsSink`, as a run's tail). With S those
seconds (least of 3), before and after the partitions of both runs, the efficiency cannot pass
(S + T1) / (2 S + 2 T2); it prints that bound and the S that 85 % would allow.

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


def _serial_work(src: Path, parts: Path, n_parts: int, n_rows: int) -> dict[str, float]:
    """Least wall seconds of 3 for decoding the input files once (each table and the hash on a
    thread of their own; the Parquet decode single-threaded per table) and for writing the
    results file from the checkpoints in ``parts``."""
    from concurrent.futures import ThreadPoolExecutor

    import pyarrow.parquet as pq

    from valuation.batch.assemble import ResultsSink
    from valuation.batch.io import file_sha256, record_siblings

    files = [src] + [q for _, q in sorted(record_siblings(src).items())]
    best = {"decode": float("inf"), "results": float("inf")}
    for k in range(3):
        t = time.perf_counter()
        with ThreadPoolExecutor(max_workers=len(files) + 1) as ex:
            jobs = [ex.submit(pq.read_table, f, use_threads=False) for f in files] + [ex.submit(file_sha256, files)]
            for j in jobs:
                j.result()
        best["decode"] = min(best["decode"], time.perf_counter() - t)
        t = time.perf_counter()
        dest = parts.parent / f"results{k}.parquet"
        with ResultsSink(parts, n_parts, dest, None, "ceiling", set(range(n_parts))) as sink:
            sink.close()    # every partition is checkpointed: all appended, then the footer
        best["results"] = min(best["results"], time.perf_counter() - t)
        if pq.ParquetFile(dest).metadata.num_rows != n_rows:
            raise SystemExit(f"the results file holds {pq.ParquetFile(dest).metadata.num_rows} rows, not {n_rows}")
    return best


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
            serial = _serial_work(src, folder / "all", plan.n_parts, plan.n_keep)
    t1, t2 = statistics.median(t1s), statistics.median(t2s)
    s = serial["decode"] + serial["results"]
    print(f"serial work of the run's own process (least of 3): decode the input once {serial['decode']:.2f} s "
          f"(tables and hash on threads of their own), write the results file {serial['results']:.2f} s; "
          f"with it before and after both runs' partitions the efficiency is at most "
          f"{(s + t1) / (2 * s + 2 * t2):.0%}; 85 % would allow {max(0.0, (t1 - 1.7 * t2) / 0.7):.2f} s")
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"load average at the end: {load} ({os.cpu_count()} cores)")
    print(f"ceiling: {args.n} assets, 1 process {t1:.2f} s, 2 processes {t2:.2f} s (the slower), "
          f"efficiency {t1 / (2 * t2):.0%}")


if __name__ == "__main__":
    main()
