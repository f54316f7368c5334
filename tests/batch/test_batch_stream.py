"""The results file is written partition by partition (valuation/batch/assemble.py): read back it
equals the file of a one-partition run — columns, dtypes, Arrow types and values, first run and a
run diffed against it, Parquet and CSV, partitions left empty by screening included."""
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
from batch_helpers import AS_OF, small_portfolio

from valuation.api import revalue

RUN_IDS = ["run_id", "previous_run_id"]


def _runs(tmp_path: Path, name: str, chunk: int, suffix: str, only: str = "all") -> list[Path]:
    """Two runs of the same portfolio into one history: the second is diffed against the first."""
    a, recs = small_portfolio(40, seed=4)
    db = f"sqlite:///{tmp_path / (name + '.db')}"
    outs = []
    for k in range(2):
        out = tmp_path / f"{name}{k}{suffix}"
        s = revalue(a, out, records=recs, library="seed", as_of=AS_OF, workers=1, chunk_size=chunk,
                    db=db, only=only)
        assert s.partitions == -(-40 // chunk)
        outs.append(out)
    return outs


@pytest.mark.parametrize("only", ["all", "high-premium"])
def test_streamed_parquet_equals_one_partition(tmp_path, only):
    many = _runs(tmp_path, "many", 3, ".parquet", only)
    one = _runs(tmp_path, "one", 1000, ".parquet", only)
    for m, o in zip(many, one):
        sm, so = pq.read_schema(m), pq.read_schema(o)
        assert sm.names == so.names and sm.types == so.types
        fm, fo = pd.read_parquet(m), pd.read_parquet(o)
        assert len(fm) == len(fo) > 0
        pd.testing.assert_frame_equal(fm.drop(columns=RUN_IDS), fo.drop(columns=RUN_IDS), check_exact=True)
        assert fm["previous_run_id"].isna().equals(fo["previous_run_id"].isna())
    first, second = (pd.read_parquet(p) for p in many)
    assert first["previous_run_id"].isna().all() and str(pq.read_schema(many[0]).field("previous_run_id").type) == "null"
    # the second run is diffed against the first: every asset has its previous run and estimate
    assert (second["previous_run_id"] == first["run_id"].iloc[0]).all()
    pd.testing.assert_series_equal(second["previous_estimate"], first["estimate"], check_names=False)
    assert (second["change"] == 0).all()


def test_streamed_csv_equals_one_partition(tmp_path):
    many = _runs(tmp_path, "many", 7, ".csv")
    one = _runs(tmp_path, "one", 1000, ".csv")
    for m, o in zip(many, one):
        assert m.read_bytes()[:3] == o.read_bytes()[:3] == b"\xef\xbb\xbf"   # one BOM, at the start
        tm, to = (p.read_text(encoding="utf-8-sig").splitlines() for p in (m, o))
        assert len(tm) == len(to) == 41 and tm[0] == to[0]                    # one header
        fm, fo = (pd.read_csv(p, dtype=str, keep_default_na=False) for p in (m, o))
        pd.testing.assert_frame_equal(fm.drop(columns=RUN_IDS), fo.drop(columns=RUN_IDS), check_exact=True)


def test_early_pool_values_as_inline_and_starts_only_for_several_partitions(tmp_path):
    import datetime as dt

    import numpy as np

    from valuation import api
    from valuation.batch.backends import LocalPool, run_inline, run_local
    from valuation.batch.partition import PartitionTask, run_snapshot, thresholds
    from valuation.batch.pipeline import _early_pool

    a, recs = small_portfolio(12, seed=5)
    comps = recs["market.comparables"]
    snap, _ = run_snapshot(api.snapshot("seed"), len(a))
    opts = {"only": "all", "thresholds": thresholds(snap), "as_of": dt.date.fromisoformat(AS_OF)}

    def tasks():
        out = []
        for i, lo in enumerate(range(0, 12, 4)):
            rows = np.arange(lo, lo + 4)
            ids = set(a["asset_id"].iloc[rows])
            out.append(PartitionTask(i, table=a.iloc[rows], records={
                "market.comparables": comps[comps["asset_id"].isin(ids)]}, rows=rows))
        return out

    import multiprocessing as mp

    before = len(mp.active_children())
    with LocalPool(2) as pool:
        assert len(mp.active_children()) == before + 2                          # forked up front
        pooled = sorted(run_local(tasks(), snap, opts, pool=pool), key=lambda po: po.index)
    assert pool.executor is None                                                # closed with the run
    inline = list(run_inline(tasks(), snap, opts))
    for p, q in zip(pooled, inline):
        pd.testing.assert_frame_equal(p.results, q.results, check_exact=True)
    # a local pool is started before reading only when the input may span several partitions
    # (the Dask cluster always is: test_batch_backends.py)
    assert _early_pool(a, "local", 2, 1000).__class__.__name__ == "nullcontext"
    with _early_pool(a, "local", 2, 4) as pool:
        assert isinstance(pool, LocalPool)


def test_streamed_parquet_dictionary_encodes_text_not_floats(tmp_path):
    """The streamed writer keeps dictionary pages for text columns (few distinct values) and
    writes float columns plain (nearly all distinct: a dictionary is built and thrown away per
    row group); the values read back are those of the one-partition file (test above)."""
    out = _runs(tmp_path, "enc", 3, ".parquet")[0]
    meta = pq.ParquetFile(out).metadata
    cols = {meta.row_group(0).column(i).path_in_schema: meta.row_group(0).column(i).encodings
            for i in range(meta.num_columns)}
    assert not any("DICTIONARY" in e for e in cols["estimate"] + cols["change"])
    assert any("DICTIONARY" in e for e in cols["status"])
