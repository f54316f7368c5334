"""Benchmark: a batch revaluation from an Excel workbook to an Excel workbook, end to end.

Builds a workbook of N synthetic assets (default 20,000) with
:func:`valuation.batch.synth.synthetic_portfolio`: the ``assets`` sheet and the
``market.comparables`` records sheet (3 comparables per asset), as a user's portfolio file
(docs/INTERCHANGE.md, "portfolio file"). Then times

* ``read``: :func:`valuation.batch.io.read_portfolio` alone (pandas' calamine engine);
* ``write``: :func:`valuation.batch.io.write_table` of the results alone (streaming xlsxwriter);
* the whole :func:`valuation.batch.revalue` from ``.xlsx`` to ``.xlsx`` (read, validate, value,
  diff, write the results and rejects workbooks; no run history unless ``--history``).

Prints the stage timings of the run and, as its LAST line,
``excel: <N> assets xlsx → xlsx in <S> s (read <R> s, write <W> s)``.
The machine may be shared: run it twice and read the figures as noisy.

Run:
    .venv/bin/python benchmarks/bench_excel.py [--n 20000] [--workers W] [--history]
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path


def write_workbook(n: int, dest: Path, seed: int = 0) -> Path:
    """The synthetic portfolio as a two-sheet workbook (streamed by ``batch.io.write_xlsx``)."""
    from valuation.batch.io import write_xlsx
    from valuation.batch.synth import synthetic_portfolio

    a, recs = synthetic_portfolio(n, seed=seed)
    return write_xlsx(dest, {"assets": a, "market.comparables": recs["market.comparables"]})


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=20_000)
    ap.add_argument("--workers", type=int, default=None)
    ap.add_argument("--history", action="store_true", help="record the run in a SQLite run database")
    args = ap.parse_args(argv)

    from valuation.api import revalue
    from valuation.batch import read_portfolio, write_table

    with tempfile.TemporaryDirectory(prefix="bench_excel.") as tmp:
        folder = Path(tmp)
        t = time.perf_counter()
        src = write_workbook(args.n, folder / f"pf{args.n}.xlsx")
        print(f"build workbook of {args.n} assets: {time.perf_counter() - t:.1f} s, "
              f"{src.stat().st_size / 2**20:.1f} MB", flush=True)

        t = time.perf_counter()
        table, recs = read_portfolio(src)
        t_read = time.perf_counter() - t
        print(f"read_portfolio: {t_read:.2f} s ({len(table)} assets, "
              f"{sum(len(r) for r in recs.values())} records rows)", flush=True)

        t = time.perf_counter()
        s = revalue(src, folder / "out.xlsx", library="seed", db=f"sqlite:///{folder / 'runs.db'}",
                    history=args.history, as_of="2026-01-15", progress=False, workers=args.workers)
        total = time.perf_counter() - t
        print("stages (s): " + ", ".join(f"{k} {v:.2f}" for k, v in s.timings.items()), flush=True)
        print(f"counts: {s.counts}", flush=True)

        import pandas as pd

        results = pd.read_excel(folder / "out.xlsx", sheet_name="results", engine="calamine")
        t = time.perf_counter()
        write_table(results, folder / "again.xlsx")
        t_write = time.perf_counter() - t
        print(f"write_table of the results ({results.shape[0]} rows × {results.shape[1]} columns): "
              f"{t_write:.2f} s", flush=True)

    print(f"excel: {args.n} assets xlsx → xlsx in {total:.1f} s (read {t_read:.1f} s, write {t_write:.1f} s)")


if __name__ == "__main__":
    main()
