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

Then it measures the work any run of this input must do in its own process, whatever its
design: decode the input files once (each table and the hash on a thread of its own, nothing
written) and write the one results file from the checkpoints
(:class:`valuation.batch.assemble.ResultsSink`, as a run's tail) — S seconds of wall clock,
S_cpu of CPU (least of 3). That work either comes before and after the partitions in both
runs — efficiency at most (S + T1) / (2 S + 2 T2) — or overlaps the partitions, where the
1-worker run hides it on the idle core and the 2-worker run takes it from its workers' two
cores — at most T1 / (S_cpu + C2), C2 the CPU seconds of the two processes together; a mix
lies between. It prints both bounds and the S that 85 % would allow before and after.

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
    """Least wall and CPU seconds of 3 (``decode``, ``decode_cpu``, ``results``,
    ``results_cpu``) for decoding the input files once (each table and the hash on a thread of
    its own; the Parquet decode single-threaded per table) and for writing the results file
    from the checkpoints in ``parts``."""
    from concurrent.futures import ThreadPoolExecutor

    import pyarrow.parquet as pq

    from valuation.batch.assemble import ResultsSink
    from valuation.batch.io import file_sha256, record_siblings

    files = [src] + [q for _, q in sorted(record_siblings(src).items())]
    best = dict.fromkeys(("decode", "decode_cpu", "results", "results_cpu"), float("inf"))

    def keep(name: str, t: float, c: float) -> None:
        best[name] = min(best[name], time.perf_counter() - t)
        best[name + "_cpu"] = min(best[name + "_cpu"], time.process_time() - c)

    for k in range(3):
        t, c = time.perf_counter(), time.process_time()
        with ThreadPoolExecutor(max_workers=len(files) + 1) as ex:
            jobs = [ex.submit(pq.read_table, f, use_threads=False) for f in files] + [ex.submit(file_sha256, files)]
            for j in jobs:
                j.result()
        keep("decode", t, c)
        t, c = time.perf_counter(), time.process_time()
        dest = parts.parent / f"results{k}.parquet"
        with ResultsSink(parts, n_parts, dest, None, "ceiling", set(range(n_parts))) as sink:
            sink.close()    # every partition is checkpointed: all appended, then the footer
        keep("results", t, c)
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
        t1s, t2s, c2s = [], [], []
        for r in range(args.repeat):
            (w1, c1), = _run(["all"], folder)
            two = _run(["even", "odd"], folder)
            w2 = max(w for w, _ in two)
            t1s.append(w1)
            t2s.append(w2)
            c2s.append(sum(c for _, c in two))
            print(f"repeat {r + 1}: 1 process {w1:.2f} s ({c1:.2f} CPU-s); 2 processes "
                  + ", ".join(f"{w:.2f} s ({c:.2f} CPU-s)" for w, c in two)
                  + f"; efficiency {w1 / (2 * w2):.0%}", flush=True)
        sw = _serial_work(src, folder / "all", plan.n_parts, plan.n_keep)
    t1, t2, c2 = statistics.median(t1s), statistics.median(t2s), statistics.median(c2s)
    s, s_cpu = sw["decode"] + sw["results"], sw["decode_cpu"] + sw["results_cpu"]
    apart, overlapped = (s + t1) / (2 * s + 2 * t2), t1 / (s_cpu + c2)
    print(f"the run's own work (least of 3): decode the input once {sw['decode']:.2f} s "
          f"({sw['decode_cpu']:.2f} CPU-s; tables and hash on threads of their own), write the results file "
          f"{sw['results']:.2f} s ({sw['results_cpu']:.2f} CPU-s); efficiency at most {max(apart, overlapped):.0%} "
          f"(before and after the partitions {apart:.0%}, overlapping them {overlapped:.0%}); "
          f"85 % would allow {max(0.0, (t1 - 1.7 * t2) / 0.7):.2f} s before and after")
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"load average at the end: {load} ({os.cpu_count()} cores)")
    print(f"ceiling: {args.n} assets, 1 process {t1:.2f} s, 2 processes {t2:.2f} s (the slower), "
          f"efficiency {t1 / (2 * t2):.0%}")


if __name__ == "__main__":
    main()
