"""The local process pool and a Dask LocalCluster (2 worker processes) give identical numbers
on 10⁴ assets."""
from pathlib import Path

import pandas as pd
from batch_helpers import AS_OF, comparable

from valuation.api import revalue
from valuation.batch.synth import synthetic_portfolio


def test_local_and_dask_backends_are_identical(tmp_path: Path):
    a, recs = synthetic_portfolio(10_000, seed=42, comparables_per_asset=2)
    src = tmp_path / "pf.parquet"
    a.to_parquet(src, index=False)
    recs["market.comparables"].to_parquet(tmp_path / "pf.market.comparables.parquet", index=False)
    kw = {"library": "seed", "as_of": AS_OF, "chunk_size": 2_500, "history": False, "workers": 2}
    s_local = revalue(src, tmp_path / "local.parquet", backend="local", **kw)
    s_dask = revalue(src, tmp_path / "dask.parquet", backend="dask", **kw)
    assert s_local.partitions == s_dask.partitions == 4
    assert s_local.counts == s_dask.counts and s_local.counts["valued"] == 10_000
    assert s_local.input_hash == s_dask.input_hash
    comparable(pd.read_parquet(tmp_path / "local.parquet"), pd.read_parquet(tmp_path / "dask.parquet"))
