"""Benchmark: batch revaluation of N synthetic assets (default 10⁶) end to end.

Every asset carries inputs for the three approaches (cost components + quality, income by
relief from royalty with base/growth, market with explicit comparables in a records table);
the tables are generated with numpy (:func:`valuation.batch.synth.synthetic_portfolio`) and
written to Parquet, then :func:`valuation.batch.revalue` reads, validates, screens, values,
diffs, writes and records the run.

Prints
* time per asset in the batch vs appraising a sample one at a time with
  :func:`valuation.api.appraise` (the ratio);
* the Dask scaling efficiency with 1 and 2 workers on a smaller N (``--dask-n``, 10⁵);
* as its LAST line: ``revalue: <N> assets in <S> s (<R> assets/s), peak <M> MB``
  (peak RSS of this process plus its largest child, from ``resource.getrusage``).

Run:
    .venv/bin/python benchmarks/bench_revalue.py [--n N] [--dask-n N] [--sample K] [--no-history]
"""
from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path


def peak_mb() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return (own + kids) / 1024.0  # Linux: kilobytes


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


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--dask-n", type=int, default=100_000)
    ap.add_argument("--sample", type=int, default=100, help="assets appraised one at a time")
    ap.add_argument("--workers", type=int, default=None)
    ap.add_argument("--chunk-size", type=int, default=50_000)
    ap.add_argument("--no-history", action="store_true", help="do not record the run (no database)")
    ap.add_argument("--skip-dask", action="store_true")
    ap.add_argument("--profile", action="store_true", help="cProfile the main run (inline, 1 worker)")
    args = ap.parse_args(argv)

    from valuation.batch import revalue

    with tempfile.TemporaryDirectory(prefix="bench_revalue.") as tmp:
        folder = Path(tmp)
        db = f"sqlite:///{folder / 'runs.db'}"
        t = time.perf_counter()
        src = write_input(args.n, folder)
        print(f"generate + write {args.n} assets: {time.perf_counter() - t:.1f} s", flush=True)

        kw = {"library": "seed", "db": db, "chunk_size": args.chunk_size,
              "history": not args.no_history, "as_of": "2026-01-15", "progress": False}
        t = time.perf_counter()
        if args.profile:
            import cProfile
            import pstats

            prof = cProfile.Profile()
            prof.enable()
            s = revalue(src, folder / "out.parquet", workers=1, **kw)
            prof.disable()
            pstats.Stats(prof).sort_stats("cumulative").print_stats(40)
        else:
            s = revalue(src, folder / "out.parquet", workers=args.workers, **kw)
        elapsed = time.perf_counter() - t
        print("stages (s): " + ", ".join(f"{k} {v:.2f}" for k, v in s.timings.items()), flush=True)
        print(f"counts: {s.counts}", flush=True)

        k = min(args.sample, args.n)
        per_one = one_at_a_time(src, k)
        per_batch = elapsed / args.n
        print(f"one at a time (api.appraise, {k} assets): {per_one * 1e3:.2f} ms/asset; "
              f"batch: {per_batch * 1e6:.1f} µs/asset; ratio {per_one / per_batch:,.0f}×", flush=True)

        if not args.skip_dask:
            dn = min(args.dask_n, args.n)
            dsrc = write_input(dn, folder, seed=1)
            times = {}
            for w in (1, 2):
                t = time.perf_counter()
                revalue(dsrc, folder / f"dask{w}.parquet", backend="dask", workers=w, **{**kw, "history": False})
                times[w] = time.perf_counter() - t
            eff = times[1] / (2 * times[2])
            print(f"dask {dn} assets: 1 worker {times[1]:.1f} s, 2 workers {times[2]:.1f} s, "
                  f"speed-up {times[1] / times[2]:.2f}×, efficiency {eff:.0%}", flush=True)

    rate = args.n / elapsed
    print(f"revalue: {args.n} assets in {elapsed:.1f} s ({rate:,.0f} assets/s), peak {peak_mb():,.0f} MB")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
