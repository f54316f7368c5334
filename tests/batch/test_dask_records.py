"""Records rows checked by the workers (``valuation.batch.remote_records``): a lazy plan reads
of each records table only its ``asset_id``; the worker of each partition checks its records
rows. The rejects must be those of the in-process run, row numbers and texts included, for a
bad records row in a later partition, a bad orphan row, a row with no asset id, the records of
main-table rows the partition rejects (unused) and of an asset whose records row is bad."""
from pathlib import Path

import numpy as np
import pandas as pd
from batch_helpers import AS_OF, defective_portfolio

from valuation.api import revalue, snapshot
from valuation.batch.assemble import read_part, read_rejects
from valuation.batch.checkpoints import parts_dir
from valuation.batch.io import write_table
from valuation.batch.partition import run_snapshot, thresholds
from valuation.batch.plan import load, make_plan
from valuation.batch.remote import run_ref
from valuation.batch.remote_records import globalise


def _write(tmp_path: Path, suffix: str = ".parquet") -> Path:
    a, recs, _ = defective_portfolio()
    comps = recs["market.comparables"].copy()
    comps["price"] = comps["price"].astype(float)
    comps.loc[2, "price"] = -5.0                    # asset T-0000000 (partition 0)
    comps.loc[70, "price"] = -1.0                   # asset T-0000023 (a later partition)
    comps.loc[90, "price"] = -2.0                   # the orphan row (NO-SUCH-ASSET): bad, not orphan
    extra = comps.iloc[[5]].copy()
    extra["asset_id"] = None                        # a records row with no asset id
    comps = pd.concat([comps, extra], ignore_index=True)
    src = tmp_path / f"pf{suffix}"
    if suffix == ".csv":
        a.to_csv(src, index=False)
        comps.to_csv(tmp_path / "pf.market.comparables.csv", index=False)
    else:
        a.astype({"book_value": str}).to_parquet(src, index=False)
        comps.to_parquet(tmp_path / "pf.market.comparables.parquet", index=False)
    return src


def test_workers_reject_records_rows_as_the_plan_does(tmp_path: Path):
    src = _write(tmp_path)
    revalue(src, tmp_path / "one.csv", backend="local", workers=1, library="seed", as_of=AS_OF,
            chunk_size=7, history=False)
    want = pd.read_csv(tmp_path / "one.csv.rejects.csv", dtype=str)
    assert {"T-0000000", "T-0000023"} <= set(want.loc[want["table"] == "assets", "asset_id"])

    inp = load(src, None, lazy=True, stage=tmp_path / "stg")
    assert list(inp.records["market.comparables"].columns) == ["asset_id"]   # ids only
    plan = make_plan(inp, 7)
    snap = snapshot("seed")
    snap_run, _ = run_snapshot(snap, plan.n_keep)
    opts = {"only": "all", "thresholds": thresholds(snap), "as_of": pd.Timestamp(AS_OF).date(),
            "flag_messages": False}
    pdir = parts_dir(tmp_path / "two.csv")
    pdir.mkdir()
    sizes = [run_ref(plan.ref(i), inp.staged, snap_run, opts, str(pdir), False).size for i in range(plan.n_parts)]
    assert sum(sizes) == plan.n_keep == 29          # the rows left out still count as the partition's
    got, _ = read_rejects(pdir, plan.n_parts, plan.pre_rejects, plan.assigned)
    write_table(got, tmp_path / "two.rejects.csv")  # as the run writes it (formula text neutralised)
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "two.rejects.csv", dtype=str), want)
    assert want["reason_en"].str.startswith("records table market.comparables row 71 (asset T-0000023)").sum() == 1
    results = pd.concat([read_part(pdir, i) for i in range(plan.n_parts)], ignore_index=True)
    valued = pd.read_csv(tmp_path / "one.csv", dtype={"asset_id": str})
    assert results["asset_id"].tolist() == valued["asset_id"].tolist()
    np.testing.assert_array_equal(results["estimate"].to_numpy(float), valued["estimate"].to_numpy(float))


def test_globalise_counts_rows_of_the_whole_table():
    rej = pd.DataFrame({"row": [1, 3], "reason_zh": ["明细表 t 第 1 行：坏", "第 3 行（资产 A）：第 1 行"],
                        "reason_en": ["records table t row 1: bad", "row 3 (asset A): see row 1"]})
    out = globalise(rej, np.array([10, 11, 40]))
    assert out["row"].tolist() == [11, 41]
    assert out["reason_zh"].tolist() == ["明细表 t 第 11 行：坏", "第 41 行（资产 A）：第 1 行"]
    assert out["reason_en"].tolist() == ["records table t row 11: bad", "row 41 (asset A): see row 1"]


def test_the_local_pool_goes_by_reference_too(tmp_path: Path):
    """Two local workers read, check and checkpoint their own partitions of an input file: the
    results and rejects files are those of the run in this process (one worker)."""
    src = _write(tmp_path)
    kw = {"library": "seed", "as_of": AS_OF, "chunk_size": 7, "history": False}
    one = revalue(src, tmp_path / "one.csv", backend="local", workers=1, **kw)
    two = revalue(src, tmp_path / "two.csv", backend="local", workers=2, **kw)
    # 5 partitions: the lazy plan of a run by reference (T-0000000's row is cut with the rest)
    assert (one.partitions, two.partitions) == (4, 5)
    assert one.counts == two.counts
    for f in ("{}.csv", "{}.csv.rejects.csv"):
        a, b = (pd.read_csv(tmp_path / f.format(k), dtype=str) for k in ("one", "two"))
        pd.testing.assert_frame_equal(a.drop(columns=["run_id"], errors="ignore"),
                                      b.drop(columns=["run_id"], errors="ignore"))


def test_the_local_pool_reads_a_csv_file_once_here(tmp_path: Path):
    """A CSV file is parsed once, by this process, and staged for the local workers
    (valuation.batch.staging): they get the partitions by reference as with Parquet (5
    partitions: the lazy plan) and give the files of the run in this process."""
    src = _write(tmp_path, ".csv")
    kw = {"library": "seed", "as_of": AS_OF, "chunk_size": 7, "history": False}
    one = revalue(src, tmp_path / "one.csv", backend="local", workers=1, **kw)
    two = revalue(src, tmp_path / "two.csv", backend="local", workers=2, **kw)
    assert (one.partitions, two.partitions) == (4, 5) and two.counts["rejected"] >= 6
    assert one.counts == two.counts
    for f in ("{}.csv", "{}.csv.rejects.csv"):
        a, b = (pd.read_csv(tmp_path / f.format(k), dtype=str) for k in ("one", "two"))
        pd.testing.assert_frame_equal(a.drop(columns=["run_id"], errors="ignore"),
                                      b.drop(columns=["run_id"], errors="ignore"))
    assert not (tmp_path / "two.csv.parts").exists() and not (tmp_path / "two.csv.staging").exists()
