"""Benchmark: batch revaluation of N synthetic assets (default 10⁶) end to end.

Every asset carries inputs for the three approaches (cost components + quality, income by
relief from royalty with base/growth, market with explicit comparables in a records table);
the tables are generated with numpy (:func:`valuation.batch.synth.synthetic_portfolio`) and
written to Parquet, then :func:`valuation.batch.revalue` reads, validates, screens, values,
diffs, writes and records the run.

Prints
* time per asset in the batch vs appraising a sample one at a time with
  :func:`valuation.api.appraise` (the ratio);
* the Dask scaling efficiency with 1 and 2 workers on ``--dask-n`` assets (at most ``--n``;
  10⁶, the size issue 20 sets its goal at; ``--dask-n 100000`` for a quicker look), each run
  in a fresh process (``--dask-only``), 1 and 2 workers alternating ``--dask-repeat`` times
  (default 3; the efficiency of the median times), and the CPU seconds of the run's own process
  (imports, planning, gathering, assembling; the in-process scheduler) vs the cluster's
  processes — a figure the machine's load does not distort;
* as its LAST line: ``revalue: <N> assets in <S> s (<R> assets/s), peak <M> MB``
  (peak memory of the main run: the sampled RSS of its process and all its worker processes
  together, or that process's plus its largest child's peak from ``getrusage`` if larger),
  and the load average of the machine at the end of the main run (the figures are noisy when
  the machine is shared).

The main run is measured in a fresh process (``--run-only``), as a user's
``python -m valuation revalue`` would run: generating the input in the measured process left
its peak (and a heap of freed pages every forked worker then counted again) in the figure.

Run:
    .venv/bin/python benchmarks/bench_revalue.py [--n N] [--dask-n N] [--sample K] [--no-history]
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


class TreeSampler:
    """Samples the RSS of this process plus all its children (the worker processes run at the
    same time, so their memory adds up) every ``every`` seconds in a background thread."""

    def __init__(self, every: float = 0.2):
        import threading

        self.peak = 0.0
        self.cpu: dict[int, float] = {}     # CPU seconds of each child process, as last sampled
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, args=(every,), daemon=True)
        self._t.start()

    def _run(self, every: float) -> None:
        try:
            import psutil
        except ImportError:  # pragma: no cover - psutil comes with dask.distributed
            return
        me = psutil.Process()
        while not self._stop.is_set():
            total = 0
            for p in [me, *me.children(recursive=True)]:
                try:
                    total += p.memory_info().rss
                    if p.pid != me.pid:
                        c = p.cpu_times()
                        self.cpu[p.pid] = c.user + c.system
                except (psutil.NoSuchProcess, psutil.AccessDenied):
                    pass
            self.peak = max(self.peak, total / 2**20)
            self._stop.wait(every)

    def stop(self) -> float:
        self._stop.set()
        self._t.join()
        return self.peak


_SAMPLER: TreeSampler | None = None


def peak_mb() -> float:
    """The larger of: the sampled peak of the whole process tree, and this process's peak plus
    its largest child's (``getrusage``, which also catches spikes between samples)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    sampled = _SAMPLER.stop() if _SAMPLER is not None else 0.0
    return max((own + kids) / 1024.0, sampled)  # Linux: ru_maxrss in kilobytes


def _cpu() -> tuple[float, float]:
    """CPU seconds (user + system) of this process and of its reaped children (a Dask run's
    cluster processes are reaped when it closes)."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime, kids.ru_utime + kids.ru_stime


def write_input(n: int, folder: Path, seed: int = 0) -> Path:
    from valuation.batch.synth import synthetic_portfolio

    a, recs = synthetic_portfolio(n, seed=seed)
    src = folder / f"pf{n}.parquet"
    a.to_parquet(src, index=False)
    recs["market.comparables"].to_parquet(folder / f"pf{n}.market.comparables.parquet", index=False)
    return src


def one_at_a_time(src: Path, k: int) -> float:
    """Seconds per asset when each of k assets is appraised alone through valuation.api.appraise."""

    from valuation import api
    from valuation.batch.io import read_portfolio
    from valuation.core.portfolio import Portfolio

    table, recs = read_portfolio(src)
    sample = table.iloc[:k]
    ids = set(sample["asset_id"])
    pf = Portfolio.from_table(sample, {t: r[r["asset_id"].isin(ids)] for t, r in recs.items()})
    cards = [pf.card(a) for a in pf.index]
    api.appraise(cards[0], library="seed")  # warm-up (imports, snapshot)
    t = time.perf_counter()
    for c in cards:
        api.appraise(c, library="seed")
    return (time.perf_counter() - t) / len(cards)


def run_options(args: argparse.Namespace, db: str) -> dict:
    return {"library": "seed", "db": db, "chunk_size": args.chunk_size,
            "history": not args.no_history, "as_of": "2026-01-15", "progress": False}


def measured_run(src: Path, out: Path, args: argparse.Namespace) -> None:
    """The main run, in this (fresh) process: prints its stages and counts, then one JSON line
    ``{"seconds", "peak_mb", "load"}``."""
    from valuation.api import revalue

    global _SAMPLER
    _SAMPLER = TreeSampler()
    t = time.perf_counter()
    s = revalue(src, out, workers=args.workers, **run_options(args, args.db))
    elapsed = time.perf_counter() - t
    peak = peak_mb()
    print("stages (s): " + ", ".join(f"{k} {v:.2f}" for k, v in s.timings.items()))
    print(f"counts: {s.counts}")
    print(json.dumps({"seconds": elapsed, "peak_mb": peak, "load": os.getloadavg()}))


def dask_run(workers: int, src: Path, out: Path, args: argparse.Namespace) -> None:
    """One Dask run (a local cluster of ``workers``), in this (fresh) process: prints one JSON
    line ``{"seconds", "cpu"}`` (``cpu``: this process's CPU seconds, imports included). A
    fresh process per run, so that neither run finds the other's fork server (the workers'
    parent, :mod:`valuation.batch.backends`) already started. ``cluster_cpu``: the CPU seconds
    of the processes it started (fork server, workers), sampled every 0.5 s (the last 0.5 s
    of each may be missed): they are not this process's children to reap."""
    from valuation.api import revalue

    sampler = TreeSampler(every=0.5)
    t = time.perf_counter()
    revalue(src, out, backend="dask", workers=workers, **{**run_options(args, args.db), "history": False})
    elapsed = time.perf_counter() - t
    sampler.stop()
    print(json.dumps({"seconds": elapsed, "cpu": _cpu()[0], "cluster_cpu": sum(sampler.cpu.values())}))


def dask_scaling(args: argparse.Namespace, folder: Path, db: str) -> None:
    """The Dask scaling efficiency T(1 worker) / (2 × T(2 workers)) on ``--dask-n`` assets: each
    run in a fresh process, 1 and 2 workers alternating ``--dask-repeat`` times (the machine's
    noise between runs is ±15 %); prints every pair and the efficiency of the medians."""
    import statistics

    dn = min(args.dask_n, args.n)
    dsrc = write_input(dn, folder, seed=1)
    times: dict[int, list[float]] = {1: [], 2: []}
    cpu: dict[int, list[tuple[float, float]]] = {1: [], 2: []}
    for _ in range(args.dask_repeat):
        for w in (1, 2):
            cmd = [sys.executable, __file__, "--dask-only", str(w), str(dsrc), str(folder / f"dask{w}.parquet"),
                   "--chunk-size", str(args.chunk_size), "--db", db]
            proc = subprocess.run(cmd, check=True, capture_output=True, text=True)
            m = json.loads(proc.stdout.strip().splitlines()[-1])
            times[w].append(m["seconds"])
            cpu[w].append((m["cpu"], m["cluster_cpu"]))
        print(f"dask run pair: 1 worker {times[1][-1]:.1f} s, 2 workers {times[2][-1]:.1f} s, "
              f"efficiency {times[1][-1] / (2 * times[2][-1]):.0%}", flush=True)
    t1, t2 = statistics.median(times[1]), statistics.median(times[2])
    print(f"dask {dn} assets: 1 worker {t1:.1f} s, 2 workers {t2:.1f} s (medians of {args.dask_repeat}), "
          f"speed-up {t1 / t2:.2f}×, efficiency {t1 / (2 * t2):.0%}", flush=True)
    for w in (1, 2):   # CPU seconds: comparable on a shared machine
        own = statistics.median(c[0] for c in cpu[w])
        kids = statistics.median(c[1] for c in cpu[w])
        print(f"dask {w} worker(s): CPU of this process {own:.1f} s, of the cluster's processes "
              f"{kids:.1f} s (this process {own / max(own + kids, 1e-9):.0%})", flush=True)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--dask-n", type=int, default=1_000_000)
    ap.add_argument("--sample", type=int, default=100, help="assets appraised one at a time")
    ap.add_argument("--workers", type=int, default=None)
    ap.add_argument("--chunk-size", type=int, default=None, help="default: the pipeline's DEFAULT_CHUNK_SIZE")
    ap.add_argument("--db", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--no-history", action="store_true", help="do not record the run (no database)")
    ap.add_argument("--skip-dask", action="store_true")
    ap.add_argument("--dask-repeat", type=int, default=3, help="pairs of Dask runs (1 and 2 workers)")
    ap.add_argument("--profile", action="store_true", help="cProfile the main run (inline, 1 worker)")
    ap.add_argument("--run-only", nargs=2, metavar=("SRC", "OUT"), help=argparse.SUPPRESS)
    ap.add_argument("--dask-only", nargs=3, metavar=("WORKERS", "SRC", "OUT"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.chunk_size is None:
        from valuation.batch.pipeline import DEFAULT_CHUNK_SIZE

        args.chunk_size = DEFAULT_CHUNK_SIZE
    if args.run_only:
        return measured_run(Path(args.run_only[0]), Path(args.run_only[1]), args)
    if args.dask_only:
        return dask_run(int(args.dask_only[0]), Path(args.dask_only[1]), Path(args.dask_only[2]), args)

    from valuation.api import revalue

    with tempfile.TemporaryDirectory(prefix="bench_revalue.") as tmp:
        folder = Path(tmp)
        db = f"sqlite:///{folder / 'runs.db'}"
        t = time.perf_counter()
        src = write_input(args.n, folder)
        print(f"generate + write {args.n} assets: {time.perf_counter() - t:.1f} s", flush=True)

        kw = run_options(args, db)
        if args.profile:
            import cProfile
            import pstats

            prof = cProfile.Profile()
            t = time.perf_counter()
            prof.enable()
            s = revalue(src, folder / "out.parquet", workers=1, **kw)
            prof.disable()
            elapsed, peak = time.perf_counter() - t, peak_mb()
            pstats.Stats(prof).sort_stats("cumulative").print_stats(40)
            print("stages (s): " + ", ".join(f"{k} {v:.2f}" for k, v in s.timings.items()), flush=True)
        else:
            cmd = [sys.executable, __file__, "--run-only", str(src), str(folder / "out.parquet"),
                   "--chunk-size", str(args.chunk_size), "--db", db]
            cmd += (["--workers", str(args.workers)] if args.workers else []) + (["--no-history"] if args.no_history else [])
            proc = subprocess.run(cmd, check=True, capture_output=True, text=True)
            print(proc.stdout.rstrip(), flush=True)
            m = json.loads(proc.stdout.strip().splitlines()[-1])
            elapsed, peak = m["seconds"], m["peak_mb"]

        k = min(args.sample, args.n)
        per_one = one_at_a_time(src, k)
        per_batch = elapsed / args.n
        print(f"one at a time (api.appraise, {k} assets): {per_one * 1e3:.2f} ms/asset; "
              f"batch: {per_batch * 1e6:.1f} µs/asset; ratio {per_one / per_batch:,.0f}×", flush=True)

        if not args.skip_dask:
            dask_scaling(args, folder, db)

    rate = args.n / elapsed
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"load average at the end: {load} ({os.cpu_count()} cores)")
    print(f"revalue: {args.n} assets in {elapsed:.1f} s ({rate:,.0f} assets/s), peak {peak:,.0f} MB")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
