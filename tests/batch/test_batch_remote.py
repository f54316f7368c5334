"""Partitions by reference (``valuation.batch.remote``): with a local Dask cluster and an input
file, each worker reads its own rows and writes its own checkpoint. The files it gives must
equal those of the in-process run (values exactly, rejects row by row), with bad rows, a bad
records row, an orphan records row, a failing asset and the run history."""
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from batch_helpers import AS_OF, comparable, defective_portfolio, write_defective_files

from valuation.api import revalue
from valuation.batch import plan as plan_mod
from valuation.batch import remote, rundb
from valuation.batch.io import file_sha256
from valuation.batch.partition import FAIL_HOOK_ENV
from valuation.batch.plan import load, make_plan
from valuation.batch.remote import PartRef, WorkerInput, task_of, worker_input
from valuation.core.errors import ValidationError


def _write(tmp_path: Path, suffix: str) -> tuple[Path, str]:
    """The defective files and the id of an asset that is valued, raises and becomes a failed row."""
    return write_defective_files(tmp_path, suffix), str(defective_portfolio()[0].loc[25, "asset_id"])


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_by_reference_equals_in_process(tmp_path: Path, monkeypatch, suffix: str):
    src, victim = _write(tmp_path, suffix)
    monkeypatch.setenv(FAIL_HOOK_ENV, victim)       # set before the cluster starts: workers inherit it
    kw = {"library": "seed", "as_of": AS_OF, "chunk_size": 7}
    one = revalue(src, tmp_path / "one.csv", backend="local", workers=1,
                  db=f"sqlite:///{tmp_path / 'a.db'}", **kw)
    two = revalue(src, tmp_path / "two.csv", backend="dask", workers=2,
                  db=f"sqlite:///{tmp_path / 'b.db'}", **kw)
    # 30 rows, one a duplicate id: the in-process plan also drops the asset with the bad records
    # row (28 rows in partitions of 7), the workers' lazy plan leaves it to partition 0 (29)
    assert (one.partitions, two.partitions) == (4, 5)
    assert one.counts == two.counts and one.counts["failed"] == 1 and one.counts["rejected"] >= 6
    r1, r2 = (pd.read_csv(tmp_path / f, dtype={"asset_id": str}) for f in ("one.csv", "two.csv"))
    comparable(r1, r2)
    assert r2.loc[r2["asset_id"] == victim, "status"].tolist() == ["failed"]
    j1, j2 = (pd.read_csv(tmp_path / f"{f}.rejects.csv", dtype=str) for f in ("one.csv", "two.csv"))
    pd.testing.assert_frame_equal(j1, j2)
    # the history rows come from the workers' summaries: same assets, statuses and estimates
    h1 = rundb.history(r1["asset_id"].iloc[0], db=f"sqlite:///{tmp_path / 'a.db'}")
    h2 = rundb.history(r1["asset_id"].iloc[0], db=f"sqlite:///{tmp_path / 'b.db'}")
    assert len(h1) == len(h2) == 1
    assert h1["estimate"].tolist() == h2["estimate"].tolist()
    assert not (tmp_path / "two.csv.parts").exists()


def test_task_of_equals_the_plans_task(tmp_path: Path):
    """The task a worker builds from positions is the plan's own task (rows, records, index)."""
    src, _ = _write(tmp_path, ".csv")
    inp = load(src, None, stage=tmp_path / "staged")     # the whole table, and the workers' staged copy
    plan = make_plan(inp, 7)
    worker = WorkerInput(inp.staged)
    for i in range(plan.n_parts):
        want, got = plan.task(inp, i), task_of(plan.ref(i), worker)
        pd.testing.assert_frame_equal(want.table, got.table)
        np.testing.assert_array_equal(want.rows, got.rows)
        assert want.records.keys() == got.records.keys()
        for k in want.records:
            pd.testing.assert_frame_equal(want.records[k], got.records[k])


def test_a_file_changed_during_the_run_is_refused(tmp_path: Path, monkeypatch):
    """The staged copy must be the bytes the run hashed: a file written to after the look
    before the hash and before the staging ends refuses the run (nothing staged is left), as
    does a revalue whose input changes while it is read."""
    src, _ = _write(tmp_path, ".csv")
    h = file_sha256([src, tmp_path / "pf.market.comparables.csv"])
    real = plan_mod.file_sha256

    def hash_then_touch(files):
        got = real(files)
        with open(src, "a", encoding="utf-8") as fh:    # another program appends a line
            fh.write("\n")
        return got
    monkeypatch.setattr(plan_mod, "file_sha256", hash_then_touch)
    with pytest.raises(ValidationError) as e:
        load(src, None, lazy=True, stage=tmp_path / "stg")
    assert "changed while the run read it" in e.value.issues[0].message_en
    assert "被修改" in e.value.issues[0].message_zh and e.value.issues[0].field == "portfolio"
    assert not (tmp_path / "stg").exists()
    with pytest.raises(ValidationError):
        revalue(src, tmp_path / "out.csv", backend="local", workers=2, library="seed", as_of=AS_OF,
                chunk_size=7, history=False)
    assert not (tmp_path / "out.csv.staging").exists() and not (tmp_path / "out.csv").exists()
    monkeypatch.undo()
    inp = load(src, None, lazy=True, stage=tmp_path / "stg")     # unchanged while read: accepted
    assert inp.input_hash != h                                     # the appended line is hashed
    assert PartRef(0, np.arange(3), {}).size == 3


def test_a_worker_maps_the_staged_copy_once_per_run(tmp_path: Path):
    src, _ = _write(tmp_path, ".parquet")
    staged = load(src, None, lazy=True, stage=tmp_path / "stg").staged
    remote._CACHE.clear()
    w = worker_input(staged)
    assert worker_input(staged) is w                               # not mapped again
    again = load(src, None, lazy=True, stage=tmp_path / "stg2").staged   # another run: its own copy
    assert again.token != staged.token and worker_input(again) is not w
    remote._CACHE.clear()
    (tmp_path / "stg2" / "main.arrow").unlink()
    with pytest.raises(ValidationError) as e:                      # a clear error, not a traceback
        worker_input(again)
    assert "staged copy" in e.value.issues[0].message_en


class _Stop(Exception):
    pass


def test_interrupted_by_reference_run_resumes(tmp_path: Path, monkeypatch):
    """The workers' checkpoints are the run's: an interrupted Dask run resumes from them and
    gives the output of an uninterrupted run."""
    from valuation.batch import pipeline

    src, _ = _write(tmp_path, ".parquet")
    kw = {"library": "seed", "as_of": AS_OF, "chunk_size": 5, "backend": "dask", "workers": 2,
          "db": f"sqlite:///{tmp_path / 'h.db'}"}
    full = revalue(src, tmp_path / "full.csv", **kw)

    def stop_after_two(written: int) -> None:
        if written >= 2:
            raise _Stop
    monkeypatch.setattr(pipeline, "crash_hook", stop_after_two)
    with pytest.raises(_Stop):
        revalue(src, tmp_path / "cut.csv", **kw)
    monkeypatch.undo()
    assert len(list((tmp_path / "cut.csv.parts").glob("part-*.json"))) >= 2
    staged = tmp_path / "cut.csv.parts" / "input" / "main.arrow"       # the interrupted run's copy
    assert staged.exists() and not (tmp_path / "cut.csv.staging").exists()
    staged.write_bytes(b"not the input")        # a resumed run stages the input again
    again = revalue(src, tmp_path / "cut.csv", resume=True, **kw)
    assert again.resumed_parts >= 2 and again.counts == full.counts
    comparable(pd.read_csv(tmp_path / "full.csv", dtype={"asset_id": str}),
               pd.read_csv(tmp_path / "cut.csv", dtype={"asset_id": str}),
               drop=("run_id", "previous_run_id", "previous_estimate", "change", "change_ratio",
                     "previous_low", "previous_high", "low_change", "high_change", "flags_new", "flags_cleared"))


def test_a_reference_travels_with_its_consecutive_positions_as_bounds():
    """A PartRef goes to a worker inside its Dask task: consecutive positions are pickled as
    their bounds (a few hundred bytes instead of 8 bytes a row), and come back equal — dtype,
    values, and the non-consecutive arrays as they were."""
    import pickle

    rows = np.arange(30_000, 40_000, dtype=np.int64)
    scattered = np.array([2, 5, 6, 90], dtype=np.int64)
    ref = PartRef(3, rows, {"market.comparables": np.arange(90_000, 120_000, dtype=np.int64),
                            "income.streams": scattered}, check=True, loose={"x": np.array([], dtype=np.int64)})
    blob = pickle.dumps(ref)
    assert len(blob) < 1_000 + scattered.nbytes      # 40,000 positions as arrays would be 320,000 bytes
    back = pickle.loads(blob)
    assert (back.index, back.check) == (3, True)
    np.testing.assert_array_equal(back.rows, rows)
    assert back.rows.dtype == np.int64
    assert set(back.records) == {"market.comparables", "income.streams"}
    np.testing.assert_array_equal(back.records["market.comparables"], np.arange(90_000, 120_000))
    np.testing.assert_array_equal(back.records["income.streams"], scattered)
    assert back.loose["x"].size == 0
