"""Benchmark: the books (入表 and impairment, valuation/accounting) of N assets at once.

Builds a portfolio table of N assets with accounting sections (a mix of purchased intangibles,
self-developed ones from cost lines, inventories and indefinite lives), validates it into a
Portfolio (timed apart) and books it with random income and market estimates — the columnar
path batch runs use. Prints assets per second. Run:
    .venv/bin/python benchmarks/bench_books.py [--n 100000]
"""
from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from valuation.accounting import book_portfolio, disclosure_table
from valuation.core.portfolio import Portfolio


def table(n: int, seed: int = 0) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    rng = np.random.default_rng(seed)
    ids = np.array([f"B-{i:07d}" for i in range(n)], dtype=object)
    kind = rng.integers(0, 4, n)
    acq = pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 1500, n), unit="D")
    avail = acq + pd.to_timedelta(rng.integers(0, 200, n), unit="D")
    t = pd.DataFrame({
        "asset_id": ids, "name": "bench", "valuation_date": "2025-12-31",
        "accounting_intent": np.where(kind == 2, "sale", "own_use"),
        "accounting_acquired_by": np.where(kind == 1, "self_developed", "purchase"),
        "accounting_acquisition_date": acq.strftime("%Y-%m-%d"),
        "accounting_available_for_use": avail.strftime("%Y-%m-%d"),
        "accounting_useful_life_years": np.where(kind == 3, np.nan, rng.integers(3, 11, n)),
        "accounting_capitalised_cost": np.where(kind == 1, np.nan, rng.uniform(1e5, 1e7, n).round(2)),
        "accounting_development_criteria_met": kind == 1,
        "accounting_expected_selling_price": np.where(kind == 2, rng.uniform(1e5, 1e7, n), np.nan),
        "accounting_disposal_costs": rng.uniform(0, 5e4, n).round(2),
    })
    dev = ids[kind == 1]
    lines = pd.DataFrame({"asset_id": np.repeat(dev, 2),
                          "amount": rng.uniform(1e4, 5e6, 2 * len(dev)).round(2),
                          "phase": np.tile(["research", "development"], len(dev))})
    return t, {"accounting.costs": lines}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=100_000)
    a = ap.parse_args()
    t, recs = table(a.n)
    t0 = time.perf_counter()
    pf = Portfolio.from_table(t, recs)
    t_build = time.perf_counter() - t0
    rng = np.random.default_rng(1)
    income, market = rng.uniform(0, 1e7, a.n), rng.uniform(0, 1e7, a.n)
    t0 = time.perf_counter()
    b = book_portfolio(pf.assets, pf.series, pf.records, income, market)
    t_book = time.perf_counter() - t0
    t0 = time.perf_counter()
    reg = b.register()
    disclosure_table(reg)
    t_reg = time.perf_counter() - t0
    print(f"portfolio build: {a.n} assets in {t_build:.2f} s")
    print(f"register + disclosure: {t_reg:.2f} s; impaired {int((reg['impairment_loss'] > 0).sum())}")
    print(f"books: {a.n} assets in {t_book:.3f} s ({a.n / t_book:,.0f} assets/s)")


if __name__ == "__main__":
    main()
