"""Benchmark: the lazy plan of a by-reference run in the run's process (issue 20, step 6).

Before any partition of a Dask run (or a local pool with a Parquet input) can start, the run's
process reads the input's ``asset_id``/``valuation_date`` columns and the records tables'
``asset_id`` (:func:`valuation.batch.plan.load` with ``lazy``) and makes the plan
(:func:`valuation.batch.plan.make_plan`: duplicate ids, each records row to the partition of
its asset, the cut). It runs while the cluster starts and competes with the fork server for the
cores, so its CPU counts even where it overlaps.

Prints, for the synthetic input of ``--n`` assets with 3 comparables each (or ``--input``):
* ``load``: CPU seconds of the lazy read and the staging of the input (not the plan's; for scale);
* ``make_plan``: CPU seconds of the first call in this fresh process (what a run pays: its
  arrays land on fresh memory) and the best of ``--repeat`` calls;
* with ``--shuffle``: the same with the main table's rows and the records rows shuffled, so
  that neither shortcut applies (sorted ids: no duplicate; records in the main table's order:
  positions read off the runs) and the hash lookups run.

Figures are CPU seconds of this process (``time.process_time``): the machine's load distorts
them less than wall time. Run:
    .venv/bin/python benchmarks/bench_plan.py [--n 1000000] [--repeat 3] [--shuffle]
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path


def write_input(n: int, folder: Path, shuffle: bool) -> Path:
    """The synthetic portfolio of ``n`` assets as Parquet (main table and comparables)."""
    import numpy as np

    from valuation.batch.synth import synthetic_portfolio

    a, recs = synthetic_portfolio(n, seed=0)
    comps = recs["market.comparables"]
    if shuffle:
        rng = np.random.default_rng(0)
        a = a.iloc[rng.permutation(len(a))]
        comps = comps.iloc[rng.permutation(len(comps))]
    src = folder / f"pf{n}.parquet"
    a.to_parquet(src, index=False)
    comps.to_parquet(folder / f"pf{n}.market.comparables.parquet", index=False)
    return src


def measure(src: Path, repeat: int, chunk: int, stage: Path) -> tuple[float, float, float, int]:
    """``(load CPU, first make_plan CPU, best make_plan CPU, partitions)``; the load stages the
    input into ``stage`` as a run by reference does (valuation.batch.staging)."""
    from valuation.batch.plan import load, make_plan

    c = time.process_time()
    inp = load(src, None, lazy=True, stage=stage)
    t_load = time.process_time() - c
    cpu = []
    for _ in range(repeat):
        c = time.process_time()
        plan = make_plan(inp, chunk)
        cpu.append(time.process_time() - c)
    return t_load, cpu[0], min(cpu), plan.n_parts


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--input", type=Path, help="a .parquet/.csv input instead of the synthetic one")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--chunk", type=int, default=10_000)
    ap.add_argument("--shuffle", action="store_true", help="rows and records rows in random order")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        src = args.input or write_input(args.n, Path(tmp), args.shuffle)
        import valuation.batch.plan  # noqa: F401  (imports are not the plan's CPU)

        t_load, first, best, parts = measure(src, max(1, args.repeat), args.chunk, Path(tmp) / "staged")
    order = "shuffled" if args.shuffle and not args.input else "as written"
    print(f"load (lazy): {t_load:.3f} CPU-s")
    print(f"make_plan: {src.name} ({order}), {parts} partitions: first {first:.3f} CPU-s, "
          f"best of {max(1, args.repeat)} {best:.3f} CPU-s")


if __name__ == "__main__":
    main()
