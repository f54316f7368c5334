"""What the run's process and the workers read when partitions go by reference
(``valuation.batch.plan.load(lazy=True, stage=...)``, ``valuation.batch.staging``,
``valuation.batch.remote.WorkerInput``).

The run's process reads the input once, stages it as Arrow IPC files and keeps of the main
table only its columns, ``asset_id`` and ``valuation_date``; the plan it makes from them must
be the plan of the whole table. A worker memory-maps the staged copy and converts one
partition at a time; the frames must be those ``read_portfolio`` gives, cut by ``iloc``."""
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from batch_helpers import defective_portfolio
from batch_helpers import write_defective_files as _write
from hypothesis import given, settings
from hypothesis import strategies as st

from valuation.batch.io import read_portfolio
from valuation.batch.plan import load, make_plan, valuation_dates
from valuation.batch.remote import WorkerInput, task_of
from valuation.batch.staging import Staged
from valuation.core.errors import ValidationError


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_the_plan_from_the_columns_is_the_plan_of_the_table(tmp_path: Path, suffix: str):
    """The same rows, duplicate rejects and partitions of the records rows; the records rows
    themselves are left to the workers (tests/batch/test_dask_records.py): the asset of the bad
    records row stays in its partition and no records row is rejected here."""
    src = _write(tmp_path, suffix)
    full, lazy = load(src, None), load(src, None, lazy=True, stage=tmp_path / "stg")
    assert lazy.table is None and lazy.columns is not None and lazy.columns.n_rows == len(full.table) == 30
    assert lazy.input_hash == full.input_hash
    assert valuation_dates(lazy) == valuation_dates(full) != []
    assert list(lazy.records["market.comparables"].columns) == ["asset_id"]
    p1, p2 = make_plan(full, 7), make_plan(lazy, 7)
    assert p1.n_total == p2.n_total == 30
    np.testing.assert_array_equal(p2.keep, np.setdiff1d(np.arange(30), [14]))    # row 15 repeats row 14's id
    np.testing.assert_array_equal(p1.keep, np.setdiff1d(p2.keep, [0]))          # row 1: the bad records row's asset
    pd.testing.assert_frame_equal(p1.pre_rejects[0], p2.pre_rejects[0])          # the duplicate
    assert len(p2.pre_rejects) == 1 and p2.assigned == {} and p2.lazy and not p1.lazy
    ids = full.table["asset_id"].astype("str").to_numpy(object)
    kept = set(ids[p2.keep])
    comps = full.records["market.comparables"]
    loose = np.flatnonzero(~comps["asset_id"].isin(kept).to_numpy())
    np.testing.assert_array_equal(p2.loose["market.comparables"], loose)          # the orphan, T-14, T-17
    assert len(loose) == 7
    assigned1, assigned2 = sum(plan_parts(p1), []), sum(plan_parts(p2), [])
    assert sorted(assigned2) == sorted(assigned1 + [0, 1, 2])                     # and T-0000000's rows


def _staged(src: Path, tmp_path: Path) -> Staged:
    """The run's staged copy of ``src`` (as a run by reference stages it)."""
    staged = load(src, None, lazy=True, stage=tmp_path / "stg").staged
    assert staged is not None and staged.path().exists()
    return staged


def plan_parts(plan) -> list[list[int]]:
    """The records rows of each partition, from the plan's order and starts."""
    _, order, starts = plan.rec_plan["market.comparables"]
    return [sorted(order[starts[i]:starts[i + 1]].tolist()) for i in range(plan.n_parts)]


def test_records_rows_go_to_the_partition_of_their_asset(tmp_path: Path):
    """Each records row's partition, computed here by a dictionary of the kept ids: the row of
    an asset kept at position k goes to the partition whose bounds hold k; the orphan row
    (NO-SUCH-ASSET), the bad row (price −5) and the rows of rejected assets go nowhere (−1)."""
    src = _write(tmp_path, ".parquet")
    inp = load(src, None)
    plan = make_plan(inp, 7)
    ids = inp.table["asset_id"].astype("str").to_numpy(object)
    part = {ids[row]: int(np.searchsorted(plan.bounds, k, side="right") - 1) for k, row in enumerate(plan.keep)}
    comps = inp.records["market.comparables"]
    want = np.array([part.get(a, -1) for a in comps["asset_id"]])
    want[2] = -1                                    # the bad row itself
    got = plan.assigned["market.comparables"][1]
    np.testing.assert_array_equal(got, want)
    # unassigned: the 3 rows of the bad row's asset T-0000000, the orphan, and the 3 rows each
    # of T-0000014 and T-0000017, whose ids the table lost (row 15 repeats row 14's id, row 18 has none)
    gone = comps["asset_id"].isin(["T-0000000", "NO-SUCH-ASSET", "T-0000014", "T-0000017"]).to_numpy()
    assert gone.sum() == 10 and (got[gone] == -1).all() and (got[~gone] >= 0).all()
    assert [sorted(np.flatnonzero(got == i).tolist()) for i in range(plan.n_parts)] == plan_parts(plan)


@pytest.mark.parametrize("index", [None, "name"])
def test_a_worker_cuts_parquet_rows_as_pandas_reads_them(tmp_path: Path, index: str | None):
    src = _write(tmp_path, ".parquet", index)
    table, records = read_portfolio(src)
    w = WorkerInput(_staged(src, tmp_path))
    for pos in (np.arange(0, 7), np.arange(9, 30), np.array([1, 2, 5, 29]), np.array([], dtype=np.int64)):
        pd.testing.assert_frame_equal(w.rows(pos), table.iloc[pos])
        rec = records["market.comparables"]
        rpos = pos[pos < len(rec)]
        pd.testing.assert_frame_equal(w.records_rows("market.comparables", rpos), rec.iloc[rpos])


def test_the_workers_task_from_parquet_is_the_plans_task(tmp_path: Path):
    src = _write(tmp_path, ".parquet")
    inp = load(src, None)
    plan = make_plan(inp, 7)
    w = WorkerInput(_staged(src, tmp_path))
    for i in range(plan.n_parts):
        want, got = plan.task(inp, i), task_of(plan.ref(i), w)
        pd.testing.assert_frame_equal(want.table, got.table)
        assert want.records.keys() == got.records.keys()
        for k in want.records:
            pd.testing.assert_frame_equal(want.records[k], got.records[k])


def test_a_table_problem_refuses_the_lazy_run_as_the_whole_one(tmp_path: Path):
    a, _, _ = defective_portfolio()
    a.drop(columns=["asset_id"]).assign(colour="red").astype({"book_value": str}).to_parquet(
        tmp_path / "bad.parquet", index=False)
    errs = []
    for lazy in (False, True):
        with pytest.raises(ValidationError) as e:
            make_plan(load(tmp_path / "bad.parquet", None, lazy=lazy, stage=tmp_path / "stg"), 7)
        errs.append(sorted((i.field, i.message_en) for i in e.value.issues))
    assert errs[0] == errs[1] and any(f == "colour" for f, _ in errs[0])
    with pytest.raises(ValidationError):
        load(tmp_path / "missing.parquet", None, lazy=True, stage=tmp_path / "stg")


def test_workers_get_this_process_environment(monkeypatch):
    """Workers forked from the fork server inherit its environment, not this process's: the
    cluster passes this process's variables on, and one removed since the server started as
    empty (the test hooks read an empty variable as unset)."""
    from valuation.batch import backends

    monkeypatch.setattr(backends, "_SERVER_ENV", {})
    monkeypatch.setenv("VALUATION_TEST_ONLY", "1")
    assert backends._worker_env()["VALUATION_TEST_ONLY"] == "1"   # the server starts with it
    monkeypatch.delenv("VALUATION_TEST_ONLY")
    monkeypatch.setenv("VALUATION_TEST_NEW", "2")
    env = backends._worker_env()
    assert env["VALUATION_TEST_ONLY"] == "" and env["VALUATION_TEST_NEW"] == "2"


def test_an_empty_records_file_without_asset_id_is_refused_as_before(tmp_path: Path):
    a, _, _ = defective_portfolio()
    a.astype({"book_value": str}).to_parquet(tmp_path / "pf.parquet", index=False)
    pd.DataFrame({"case_id": pd.Series([], dtype=str)}).to_parquet(tmp_path / "pf.market.comparables.parquet")
    for lazy in (False, True):
        with pytest.raises(ValidationError) as e:
            make_plan(load(tmp_path / "pf.parquet", None, lazy=lazy, stage=tmp_path / "stg"), 7)
        assert e.value.issues[0].field == "market.comparables.asset_id"


@settings(max_examples=200, deadline=None)
@given(ids=st.lists(st.one_of(st.none(), st.sampled_from("abcde")), max_size=30),
       kept=st.lists(st.sampled_from("abcdef"), unique=True, max_size=6))
def test_records_ids_looked_up_once_per_run_as_one_by_one(ids, kept):
    """Looking the records ids up once per run of equal consecutive ids gives, for any order,
    missing ids and ids of no kept asset (-1) included, each id's position in the kept ids."""
    import pyarrow as pa

    from valuation.batch.plan import _index_in_runs

    got = _index_in_runs(pa.array(ids, pa.large_string()), pa.array(kept, pa.large_string()))
    want = [kept.index(i) if i is not None and i in kept else -1 for i in ids]   # by hand, one by one
    assert got.dtype == np.int64 and got.tolist() == want


@pytest.mark.parametrize(("suffix", "index"), [(".csv", None), (".parquet", None), (".parquet", "name")])
def test_a_staged_run_that_holds_the_whole_table_reads_the_file_once(tmp_path: Path, suffix: str,
                                                                      index: str | None, monkeypatch):
    """A run by reference that needs the whole table in its own process (the books) takes it
    from the staged copy: the same frames as read_portfolio gives (column types, missing
    values, a Parquet table's stored index), and the file is not parsed a second time."""
    from valuation.batch import plan as plan_mod

    src = _write(tmp_path, suffix, index)
    table, recs = read_portfolio(src)

    def parsed_again(*_a, **_k):
        raise AssertionError("the input was parsed a second time")

    monkeypatch.setattr(plan_mod, "read_portfolio", parsed_again)
    inp = load(src, None, stage=tmp_path / "stg")
    assert inp.staged is not None and inp.input_hash == load_hash(src)
    pd.testing.assert_frame_equal(inp.table, table)
    assert sorted(inp.records) == sorted(recs)
    for t, fr in recs.items():
        pd.testing.assert_frame_equal(inp.records[t], fr)


def load_hash(src: Path) -> str:
    from valuation.batch.io import file_sha256, record_siblings

    return file_sha256([src] + [q for _, q in sorted(record_siblings(src).items())])


def test_a_staged_records_table_without_asset_id_is_refused_as_read_portfolio_refuses_it(tmp_path: Path):
    src = _write(tmp_path, ".csv")
    side = src.with_name(f"{src.stem}.market.comparables.csv")
    pd.read_csv(side).drop(columns="asset_id").to_csv(side, index=False)
    with pytest.raises(ValidationError) as staged_err:
        load(src, None, stage=tmp_path / "stg")
    with pytest.raises(ValidationError) as read_err:
        read_portfolio(src)
    assert [i.field for i in staged_err.value.issues] == [i.field for i in read_err.value.issues] \
        == ["market.comparables.asset_id"]
