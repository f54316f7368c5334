"""Shared helpers of the batch tests: small portfolios with known defects."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from valuation.batch.synth import synthetic_portfolio

AS_OF = "2026-01-15"
NUMERIC_COLS = ["estimate", "low", "high", "coverage", "cost_estimate", "income_estimate",
                "market_estimate", "cost_weight", "income_weight", "market_weight"]


def small_portfolio(n: int = 30, seed: int = 1):
    """A clean synthetic portfolio (all three approaches) of n assets."""
    return synthetic_portfolio(n, seed=seed, prefix="T-")


def defective_portfolio():
    """30 clean assets plus bad rows; returns (table, records, expected bad rows (1-based))."""
    a, r = small_portfolio(30)
    a = a.copy()
    bad = {}
    a["book_value"] = a["book_value"].astype(object)
    a.loc[3, "book_value"] = "lots"                    # not a number
    bad[4] = "book_value"
    a["holder_type"] = a["holder_type"].astype(object)
    a.loc[7, "holder_type"] = "martian"                # not an allowed value
    bad[8] = "holder_type"
    a.loc[11, "valuation_date"] = "31/12/2025"         # wrong date format
    bad[12] = "valuation_date"
    a.loc[14, "asset_id"] = a.loc[13, "asset_id"]      # duplicate id
    bad[15] = "asset_id"
    a.loc[17, "asset_id"] = None                       # missing id
    bad[18] = "asset_id"
    # missing sections: no income inputs for asset 20, no cost inputs for asset 21
    for c in [c for c in a.columns if c.startswith("income_")]:
        a.loc[20, c] = np.nan
    for c in [c for c in a.columns if c.startswith("cost_")]:
        a.loc[21, c] = np.nan
    comps = r["market.comparables"].copy()
    orphan = comps.iloc[[0]].copy()
    orphan["asset_id"] = "NO-SUCH-ASSET"
    comps = pd.concat([comps, orphan], ignore_index=True)
    return a, {"market.comparables": comps}, bad


def comparable(df1: pd.DataFrame, df2: pd.DataFrame, drop=("run_id", "previous_run_id")) -> None:
    """Assert two result frames are identical (numbers exactly) except for the run ids."""
    a = df1.drop(columns=[c for c in drop if c in df1]).reset_index(drop=True)
    b = df2.drop(columns=[c for c in drop if c in df2]).reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b, check_exact=True, check_dtype=False)


def write_defective_files(tmp_path: Path, suffix: str, index: str | None = None) -> Path:
    """The defective portfolio written as ``pf<suffix>`` (``.csv`` or ``.parquet``) with its
    comparables side file, one records row made bad (a negative price: its asset is rejected);
    ``index``: a Parquet main table stored with that column as its index."""
    a, recs, _ = defective_portfolio()
    comps = recs["market.comparables"].copy()
    comps["price"] = comps["price"].astype(object)
    comps.loc[2, "price"] = -5.0                    # a bad records row: its asset is rejected
    src = tmp_path / f"pf{suffix}"
    side = tmp_path / f"pf.market.comparables{suffix}"
    if suffix == ".csv":
        a.to_csv(src, index=False)
        comps.to_csv(side, index=False)
    else:
        a = a.astype({"book_value": str})
        (a.set_index(index) if index else a).to_parquet(src, index=bool(index))
        comps.astype({"price": float}).to_parquet(side, index=False)
    return src
