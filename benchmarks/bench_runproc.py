"""Benchmark: the CPU of a batch run's own process, by part (issue 20, step 6).

A batch run has one process of its own beside its workers (a local Dask cluster or the local
pool); on a machine with as many cores as workers, whatever that process does is taken from
them. This script runs one revaluation in this process (``valuation.batch.pipeline.revalue``,
``history=False``) and prints, per part of the run, the CPU seconds of this process's threads
(user + system, from ``/proc/self/task`` on Linux: the main thread, Dask's event loop and
cluster start, threads that ended — the staging's) and the user/system seconds of the staging
threads and of the results sink (``getrusage`` per thread):

* ``load``: staging the input (``batch.staging``: decode, Arrow IPC write, the sha256 of the
  files) while the cluster starts;
* ``plan``: the lazy plan (``batch.plan.make_plan``: duplicate ids, records rows assigned);
* ``value``: the partitions valued — this process gathers summaries (Dask's ``IO loop``) and
  appends each finished partition to the results file (``sink``: read back, diff, Parquet);
* ``finish``/``end``: the results footer, the rejects, the run's tail (checkpoints removed).

Figures are CPU seconds of this process only (not the workers'); the machine's load distorts
them (shared caches): compare runs measured the same way, several times. Run:
    .venv/bin/python benchmarks/bench_runproc.py [--n 1000000] [--input pf.parquet] [--backend dask]
"""
from __future__ import annotations

import argparse
import collections
import functools
import os
import resource
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

PHASES = (("load", "load"), ("make_plan", "plan"), ("_value", "value"), ("_finish", "finish"))


def _threads() -> tuple[dict[int, tuple[str, float]], float]:
    """``({thread id: (name, CPU-s)}, process CPU-s)``; threads not started by Python are
    ``native`` (Arrow's); without ``/proc`` only the process total."""
    names = {t.native_id: t.name for t in threading.enumerate()}
    tck, out = os.sysconf("SC_CLK_TCK"), {}
    task = Path("/proc/self/task")
    for tid in (os.listdir(task) if task.exists() else []):
        try:
            st = (task / tid / "stat").read_text()
        except OSError:
            continue                    # ended meanwhile
        f = st[st.rindex(")") + 2:].split()
        out[int(tid)] = (names.get(int(tid), "native"), (int(f[11]) + int(f[12])) / tck)
    t = os.times()
    return out, t.user + t.system


def _rusage_of(mod: Any, name: str, into: list[float]) -> None:
    """Add the user/system CPU of the calling thread in ``mod.name`` to ``into``."""
    f = getattr(mod, name)

    @functools.wraps(f)
    def timed(*a: Any, **k: Any) -> Any:
        r0 = resource.getrusage(resource.RUSAGE_THREAD)
        try:
            return f(*a, **k)
        finally:
            r1 = resource.getrusage(resource.RUSAGE_THREAD)
            into[0] += r1.ru_utime - r0.ru_utime
            into[1] += r1.ru_stime - r0.ru_stime
    setattr(mod, name, timed)


def measure(src: Path, out: Path, backend: str, workers: int) -> list[str]:
    """Run once; the printed lines."""
    import valuation.batch.assemble as A
    import valuation.batch.pipeline as P
    import valuation.batch.staging as S
    from valuation.api import snapshot

    marks: list[tuple[str, Any]] = []
    for fname, label in PHASES:
        f = getattr(P, fname)

        def after(*a: Any, _f: Any = f, _label: str = label, **k: Any) -> Any:
            try:
                return _f(*a, **k)
            finally:
                marks.append((_label, _threads()))
        setattr(P, fname, after)
    staging, sink = [0.0, 0.0], [0.0, 0.0]
    _rusage_of(S, "_stage_parquet", staging)
    _rusage_of(S, "_stage_csv", staging)
    _rusage_of(A.ResultsSink, "_append", sink)
    snap = snapshot(None)
    marks.append(("start", _threads()))
    P.revalue(src, out, snapshot=snap, db=None, backend=backend, workers=workers, history=False,
              as_of="2026-01-15")
    marks.append(("end", _threads()))
    lines = [f"run's process: {marks[-1][1][1] - marks[0][1][1]:.2f} CPU-s ({backend}, {workers} workers)"]
    for (_, (a, ta)), (label, (b, tb)) in zip(marks, marks[1:]):
        per: collections.Counter[str] = collections.Counter()
        for tid, (name, c) in b.items():
            per[name] += c - a.get(tid, (name, 0.0))[1]
        ended = (tb - ta) - sum(per.values())
        parts = "  ".join(f"{n}={c:.2f}" for n, c in per.most_common() if c >= 0.01)
        lines.append(f"  {label:7s} {tb - ta:5.2f} CPU-s  {parts}  ended-threads={ended:.2f}")
    lines.append(f"  staging tables (their threads): user {staging[0]:.2f} sys {staging[1]:.2f} CPU-s")
    lines.append(f"  results sink (main thread): user {sink[0]:.2f} sys {sink[1]:.2f} CPU-s")
    return lines


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--input", type=Path, help="a .parquet/.csv input instead of the synthetic one")
    ap.add_argument("--backend", default="dask", choices=("dask", "local"))
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--out", type=Path, help="folder of the results (default: a temporary one)")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        if args.input:
            src = args.input
        else:
            from bench_plan import write_input  # the same synthetic input

            src = write_input(args.n, Path(tmp), shuffle=False)
        out = (args.out or Path(tmp)) / f"runproc-{os.getpid()}.parquet"
        t = time.perf_counter()
        lines = measure(src, out, args.backend, args.workers)
        for suffix in ("", ".rejects.csv"):
            Path(str(out) + suffix).unlink(missing_ok=True)
    print("\n".join(lines))
    print(f"  wall {time.perf_counter() - t:.2f} s")


if __name__ == "__main__":
    main()
